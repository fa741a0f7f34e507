#include "services/accounts/accounts.h"

#include <algorithm>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/logging/logging.h"
#include "libs/metrics/metrics.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "spdlog/spdlog.h"

namespace quxiang::accounts {
namespace {

using common::v1::Access;
using common::v1::Module;
using common::v1::PrincipalKind;
using identity::Principal;

constexpr char kOperatorUsername[] = "operator";
constexpr int kStateActive = v1::User::ACTIVE;
constexpr int kStateDisabled = v1::User::DISABLED;
constexpr int kMaxPageSize = 100;
constexpr int kDefaultPageSize = 20;

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string encoded;
  absl::WebSafeBase64Escape(raw, &encoded);
  return encoded;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return absl::BytesToHexString(raw);
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

std::string BeijingMinute(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M", time, BeijingTimeZone());
}

// The one error for an unknown username, a wrong password and a graduate login not activated yet.
// The body is the same in all three cases and carries no count of remaining attempts, because any
// difference would tell a caller which usernames exist, and graduate usernames are easy to guess.
absl::Status InvalidCredentials(const AccountsOptions& options) {
  return Unauthenticated("INVALID_CREDENTIALS",
                         absl::StrCat("用户名或密码错误。毕业生首次登录前请先激活账号；连续输错 ",
                                      options.lockout_threshold, " 次账号将被锁定 ",
                                      absl::ToInt64Minutes(options.lockout_duration), " 分钟。"));
}

absl::Status SessionEnded() {
  return Unauthenticated("SESSION_ENDED", "登录已失效，请重新登录。");
}

absl::Status NotLoggedIn() { return Unauthenticated("MISSING_TOKEN", "请先登录。"); }

absl::Status UserNotFound() {
  return NotFound("USER_NOT_FOUND", "账号不存在或无权查看，请刷新列表后重试。");
}

absl::Status SchoolOutOfScope() {
  return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
}

// Limits of SearchSchools, in characters (Unicode code points) and rows.
constexpr int kMinSchoolQueryLength = 2;
constexpr int kMaxSchoolQueryLength = 50;
constexpr int kMaxSchoolResults = 20;

// Counts the code points of `text`, or returns -1 when it is not valid UTF-8 (including overlong
// forms, surrogates and values above U+10FFFF).
int Utf8Length(const std::string& text) {
  int count = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return -1;
    }
    if (i + extra >= text.size()) return -1;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[extra] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return -1;
    }
    i += extra + 1;
    ++count;
  }
  return count;
}

bool ParseId(const std::string& text, int64_t* id) {
  return absl::SimpleAtoi(text, id) && *id > 0;
}

bool IsKind(const RequestInfo& info, PrincipalKind kind) {
  return info.principal != nullptr && info.principal->kind() == kind;
}

// Staff of `school_id` with at least `minimum` on 基本信息和就业信息, or the operator.
// Checked before any lookup, so another school's ids get the same error whether or not they
// exist.
// Whether the caller is the SERVICE principal "signing", which reads a school's agreement type
// (GetSchool) and its department accounts (ListUsers) to check the signing settings of any school.
bool IsSigningService(const RequestInfo& info) {
  return info.principal != nullptr && info.principal->kind() == common::v1::PRINCIPAL_KIND_SERVICE &&
         info.principal->claims().service_name() == "signing";
}

absl::Status RequireSchoolStaff(const RequestInfo& info, const std::string& school_id, Access minimum,
                                bool school_users_only) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_OPERATOR) return absl::OkStatus();
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  if (school_users_only && caller.kind() != common::v1::PRINCIPAL_KIND_SCHOOL) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "账号管理仅对学校用户开放，院系用户无此功能。");
  }
  return identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, minimum);
}

Access GrantOf(int value) {
  if (!common::v1::Access_IsValid(value) || value == common::v1::ACCESS_UNSPECIFIED) {
    return common::v1::ACCESS_NONE;
  }
  return static_cast<Access>(value);
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

// Applies the grants of a request over `user`'s; ACCESS_UNSPECIFIED or an unknown module is
// invalid rather than ignored, because a silent default could open a module.
absl::Status ApplyGrants(const google::protobuf::RepeatedPtrField<common::v1::ModuleGrant>& grants,
                         UserRecord& user) {
  for (const auto& grant : grants) {
    if (grant.access() == common::v1::ACCESS_UNSPECIFIED) {
      return InvalidArgument("INVALID_GRANT",
                             absl::StrCat("请为“", identity::ModuleDisplayName(grant.module()),
                                          "”选择读写、只读或无权限。"),
                             {{"module", common::v1::Module_Name(grant.module())}});
    }
    switch (grant.module()) {
      case common::v1::MODULE_EMPLOYMENT:
        user.grant_employment = grant.access();
        break;
      case common::v1::MODULE_ARCHIVE:
        user.grant_archive = grant.access();
        break;
      case common::v1::MODULE_HOUSEHOLD:
        user.grant_household = grant.access();
        break;
      default:
        return InvalidArgument("INVALID_GRANT", "权限设置中的模块无效，只能是基本信息和就业信息、档案信息或户口信息。",
                               {{"module", common::v1::Module_Name(grant.module())}});
    }
  }
  return absl::OkStatus();
}

void AddGrants(const UserRecord& user, google::protobuf::RepeatedPtrField<common::v1::ModuleGrant>* out) {
  const std::pair<Module, int> grants[] = {{common::v1::MODULE_EMPLOYMENT, user.grant_employment},
                                           {common::v1::MODULE_ARCHIVE, user.grant_archive},
                                           {common::v1::MODULE_HOUSEHOLD, user.grant_household}};
  for (const auto& [module, access] : grants) {
    auto* grant = out->Add();
    grant->set_module(module);
    grant->set_access(GrantOf(access));
  }
}

v1::Province ProvinceToProto(const ProvinceRecord& record) {
  v1::Province province;
  province.set_code(record.code);
  province.set_name(record.name);
  if (record.employment_enabled) province.add_enabled_modules(common::v1::MODULE_EMPLOYMENT);
  if (record.archive_enabled) province.add_enabled_modules(common::v1::MODULE_ARCHIVE);
  if (record.household_enabled) province.add_enabled_modules(common::v1::MODULE_HOUSEHOLD);
  province.set_agreement_type(static_cast<v1::AgreementType>(record.agreement_type));
  province.set_etag(std::to_string(record.version));
  return province;
}

// Resolves a department name that must equal a name of the school's list character for
// character: the guide requires it because reviews are routed by the roster's department name.
absl::StatusOr<DepartmentRecord> ResolveDepartment(db::Session& s, int64_t school_id, const std::string& name) {
  if (name.empty()) {
    return InvalidArgument("DEPARTMENT_REQUIRED", "请填写院系名称，名称须与本校毕业生名单中的院系名称完全一致。",
                           {{"field", "department_name"}});
  }
  ASSIGN_OR_RETURN(auto candidates, Repository::FindDepartmentsByName(s, school_id, name));
  for (const auto& department : candidates) {
    if (department.name == name) return department;
  }
  std::string hint;
  if (!candidates.empty()) hint = absl::StrCat("是否应为“", candidates.front().name, "”？");
  return InvalidArgument(
      "DEPARTMENT_NOT_IN_SCHOOL",
      absl::StrCat("院系名称“", name, "”与本校毕业生名单中的院系名称不完全一致（包括空格和标点）。", hint,
                   "请按名单中的院系名称逐字填写。"),
      {{"field", "department_name"}, {"value", name}});
}

}  // namespace

v1::User UserToProto(const UserRecord& user, bool mask_phone) {
  v1::User proto;
  proto.set_id(std::to_string(user.id));
  proto.set_username(user.username);
  proto.set_display_name(user.display_name);
  proto.set_kind(static_cast<PrincipalKind>(user.kind));
  proto.set_province_code(user.province_code);
  if (user.school_id != 0) proto.set_school_id(std::to_string(user.school_id));
  if (user.department_id != 0) proto.set_department_id(std::to_string(user.department_id));
  proto.set_department_name(user.department_name);
  if (user.employer_id != 0) proto.set_employer_id(std::to_string(user.employer_id));
  proto.set_graduate_id(user.graduate_id);
  proto.set_state(user.state == kStateActive ? v1::User::ACTIVE : v1::User::DISABLED);
  proto.set_phone(mask_phone ? logging::MaskPhone(user.phone) : user.phone);
  AddGrants(user, proto.mutable_grants());
  *proto.mutable_created_at() = ToTimestamp(user.created_at);
  *proto.mutable_updated_at() = ToTimestamp(user.updated_at);
  proto.set_etag(std::to_string(user.version));
  return proto;
}

Accounts::Accounts(db::Pool& pool, const identity::TokenSigner& signer, const Clock& clock, AccountsOptions options)
    : pool_(pool), signer_(signer), clock_(clock), options_(options) {}

absl::Status Accounts::Mutate(const RequestInfo& info, const std::string& request_id,
                              const google::protobuf::Message& request, google::protobuf::Message* response,
                              const std::function<absl::Status(db::Session&)>& work) {
  db::IdempotencyKey key;
  key.scope = info.principal != nullptr ? info.principal->user_id() : "anonymous";
  key.method = info.method;
  key.request_id = request_id;
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, work);
}

absl::Status Accounts::Audit(db::Session& s, const RequestInfo& info, int64_t school_id,
                             const std::string& province_code, const std::string& action,
                             const std::string& target_type, const std::string& target_id,
                             const std::string& before_json, const std::string& after_json,
                             const std::string& reason) {
  AuditRecord entry;
  entry.occurred_at = clock_.Now();
  if (info.principal != nullptr) {
    int64_t actor_id = 0;
    if (absl::SimpleAtoi(info.principal->user_id(), &actor_id)) entry.actor_user_id = actor_id;
    entry.actor_username = info.principal->username();
    entry.actor_kind = info.principal->kind();
  }
  entry.school_id = school_id;
  entry.province_code = province_code;
  entry.action = action;
  entry.target_type = target_type;
  entry.target_id = target_id;
  entry.before_json = before_json;
  entry.after_json = after_json;
  entry.reason = reason;
  entry.request_id = info.trace_id;
  entry.peer = info.peer;
  return Repository::InsertAudit(s, entry);
}

absl::Status Accounts::AuditLogin(const RequestInfo& info, const std::string& username, const UserRecord* user,
                                  const std::string& action) {
  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    AuditRecord entry;
    entry.occurred_at = clock_.Now();
    entry.actor_username = username.substr(0, 64);
    if (user != nullptr) {
      entry.actor_user_id = user->id;
      entry.actor_kind = user->kind;
      entry.school_id = user->school_id;
      entry.target_id = std::to_string(user->id);
    }
    entry.action = action;
    entry.target_type = "user";
    entry.request_id = info.trace_id;
    entry.peer = info.peer;
    return Repository::InsertAudit(s, entry);
  });
}

absl::Status Accounts::BootstrapOperator(const std::string& password) {
  RETURN_IF_ERROR(validation::ValidatePassword(password, kOperatorUsername));
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password, options_.password_hash));
  RequestInfo info;
  info.method = "bootstrap";
  info.deadline = absl::Now() + absl::Seconds(30);
  absl::Status created = pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing, Repository::FindUserByUsername(s, kOperatorUsername));
    if (existing) return absl::OkStatus();
    UserRecord user;
    user.username = kOperatorUsername;
    user.display_name = "平台运维";
    user.kind = common::v1::PRINCIPAL_KIND_OPERATOR;
    user.state = kStateActive;
    user.password_hash = hash;
    user.grant_employment = common::v1::ACCESS_NONE;
    user.grant_archive = common::v1::ACCESS_NONE;
    user.grant_household = common::v1::ACCESS_NONE;
    ASSIGN_OR_RETURN(int64_t id, Repository::InsertUser(s, user, clock_.Now()));
    spdlog::info("created the operator account (user {})", id);
    return Audit(s, info, 0, "", "OPERATOR_BOOTSTRAPPED", "user", std::to_string(id), "", "");
  });
  // Replicas that start together on an empty database all find no operator. The ones that lose
  // the insert race find it created by another replica, which is the outcome they need.
  if (db::IsDuplicateKey(created)) {
    spdlog::info("the operator account was created by another replica");
    return absl::OkStatus();
  }
  return created;
}

absl::StatusOr<std::string> Accounts::IssueIdentityToken(db::Session& s, const UserRecord& user,
                                                         const std::string& session_id, absl::Time now,
                                                         absl::Time* expires_at) {
  common::v1::IdentityClaims claims;
  claims.set_kind(static_cast<PrincipalKind>(user.kind));
  claims.set_user_id(std::to_string(user.id));
  claims.set_username(user.username);
  claims.set_display_name(user.display_name);
  claims.set_province_code(user.province_code);
  if (user.school_id != 0) {
    claims.set_school_id(std::to_string(user.school_id));
    ASSIGN_OR_RETURN(auto school, Repository::FindSchool(s, user.school_id));
    if (school) claims.set_province_code(school->province_code);
  }
  if (user.department_id != 0) claims.set_department_id(std::to_string(user.department_id));
  claims.set_department_name(user.department_name);
  if (user.employer_id != 0) claims.set_employer_id(std::to_string(user.employer_id));
  claims.set_graduate_id(user.graduate_id);
  AddGrants(user, claims.mutable_grants());
  claims.set_session_id(session_id);
  *expires_at = now + options_.identity_token_lifetime;
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(*expires_at));
  return signer_.Sign(claims);
}

absl::Status Accounts::Login(const RequestInfo& info, const v1::LoginRequest& request, v1::LoginResponse* response) {
  absl::Status status = Authenticate(info, request, response);
  if (!status.ok()) {
    metrics::Registry::Default()
        .GetOrAddCounter("quxiang_login_failures_total", "Failed logins, by error reason.", {"reason"})
        .WithLabels({ErrorReason(status)})
        .Increment();
  }
  return status;
}

absl::Status Accounts::Authenticate(const RequestInfo& info, const v1::LoginRequest& request,
                                    v1::LoginResponse* response) {
  if (request.username().empty() || request.password().empty()) {
    return InvalidArgument("CREDENTIALS_REQUIRED", "请输入用户名和密码。");
  }
  absl::Time now = clock_.Now();

  ASSIGN_OR_RETURN(auto found, pool_.Read<std::optional<UserRecord>>(
                                   info.deadline, [&](db::Session& s) {
                                     return Repository::FindUserByUsername(s, request.username());
                                   }));
  if (!found) {
    // Spend the time of a password check so that an unknown username is not rejected sooner.
    VerifyPasswordOrHashDummy(request.password(), "", options_.password_hash);
    RETURN_IF_ERROR(AuditLogin(info, request.username(), nullptr, "LOGIN_FAILED_UNKNOWN_USER"));
    return InvalidCredentials(options_);
  }
  UserRecord user = *std::move(found);

  // A locked account is refused without checking the password, so guessing goes nowhere.
  if (user.locked_until && *user.locked_until > now) {
    RETURN_IF_ERROR(AuditLogin(info, request.username(), &user, "LOGIN_REFUSED_LOCKED"));
    return Unauthenticated("ACCOUNT_LOCKED",
                           absl::StrCat("连续 ", options_.lockout_threshold, " 次密码错误，账号已锁定，请于 ",
                                        BeijingMinute(*user.locked_until), "（北京时间）后再试。"),
                           {{"locked_until", absl::FormatTime(absl::RFC3339_sec, *user.locked_until,
                                                              absl::UTCTimeZone())}});
  }

  // A graduate login that is not activated has no hash and fails here like a wrong password.
  if (!VerifyPasswordOrHashDummy(request.password(), user.password_hash, options_.password_hash)) {
    // An expired lock starts a new count.
    bool lock_expired = user.locked_until.has_value();
    RETURN_IF_ERROR(pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
      if (lock_expired) RETURN_IF_ERROR(Repository::ResetFailedLogins(s, user.id));
      RETURN_IF_ERROR(Repository::RecordFailedLogin(s, user.id, options_.lockout_threshold,
                                                    now + options_.lockout_duration));
      AuditRecord entry;
      entry.occurred_at = now;
      entry.actor_user_id = user.id;
      entry.actor_username = user.username;
      entry.actor_kind = user.kind;
      entry.school_id = user.school_id;
      entry.action = "LOGIN_FAILED";
      entry.target_type = "user";
      entry.target_id = std::to_string(user.id);
      entry.request_id = info.trace_id;
      entry.peer = info.peer;
      return Repository::InsertAudit(s, entry);
    }));
    int failures = (lock_expired ? 0 : user.failed_logins) + 1;
    if (failures >= options_.lockout_threshold) {
      return Unauthenticated("ACCOUNT_LOCKED",
                             absl::StrCat("连续 ", options_.lockout_threshold, " 次密码错误，账号已锁定，请于 ",
                                          BeijingMinute(now + options_.lockout_duration), "（北京时间）后再试。"),
                             {{"locked_until", absl::FormatTime(absl::RFC3339_sec, now + options_.lockout_duration,
                                                                absl::UTCTimeZone())}});
    }
    return InvalidCredentials(options_);
  }

  if (user.state != kStateActive) {
    RETURN_IF_ERROR(AuditLogin(info, request.username(), &user, "LOGIN_REFUSED_DISABLED"));
    return Unauthenticated("ACCOUNT_DISABLED", "该账号已停用，请联系本校学校用户或平台运维。");
  }

  std::string session_token = RandomToken(32);
  SessionRecord session;
  session.id = RandomHex(16);
  session.user_id = user.id;
  session.csrf_token = RandomToken(24);
  session.created_at = now;
  session.last_seen_at = now;
  session.expires_at = now + options_.session_absolute_timeout;

  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Repository::ResetFailedLogins(s, user.id));
    RETURN_IF_ERROR(Repository::InsertSession(s, session, Sha256Hex(session_token)));
    absl::Time token_expires_at;
    ASSIGN_OR_RETURN(std::string token, IssueIdentityToken(s, user, session.id, now, &token_expires_at));
    AuditRecord entry;
    entry.occurred_at = now;
    entry.actor_user_id = user.id;
    entry.actor_username = user.username;
    entry.actor_kind = user.kind;
    entry.school_id = user.school_id;
    entry.action = "LOGIN_SUCCEEDED";
    entry.target_type = "user";
    entry.target_id = std::to_string(user.id);
    entry.request_id = info.trace_id;
    entry.peer = info.peer;
    RETURN_IF_ERROR(Repository::InsertAudit(s, entry));

    response->Clear();
    response->set_session_token(session_token);
    response->set_csrf_token(session.csrf_token);
    response->set_identity_token(token);
    *response->mutable_identity_token_expires_at() = ToTimestamp(token_expires_at);
    *response->mutable_session_expires_at() = ToTimestamp(session.expires_at);
    user.failed_logins = 0;
    *response->mutable_user() = UserToProto(user, false);
    return absl::OkStatus();
  });
}

absl::Status Accounts::RefreshIdentityToken(const RequestInfo& info, const v1::RefreshIdentityTokenRequest& request,
                                            v1::RefreshIdentityTokenResponse* response) {
  if (request.session_token().empty()) return SessionEnded();
  absl::Time now = clock_.Now();
  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto session, Repository::FindSessionByTokenHash(s, Sha256Hex(request.session_token())));
    if (!session || session->revoked_at) return SessionEnded();
    if (now >= session->expires_at) {
      return Unauthenticated("SESSION_EXPIRED", "登录已超过 12 小时，请重新登录。");
    }
    if (now - session->last_seen_at >= options_.session_idle_timeout) {
      RETURN_IF_ERROR(Repository::RevokeSession(s, session->id, now));
      return Unauthenticated("SESSION_IDLE_TIMEOUT", "超过 30 分钟未操作，登录已失效，请重新登录。");
    }
    ASSIGN_OR_RETURN(auto user, Repository::FindUser(s, session->user_id));
    if (!user || user->state != kStateActive) return SessionEnded();

    RETURN_IF_ERROR(Repository::TouchSession(s, session->id, now));
    absl::Time expires_at;
    ASSIGN_OR_RETURN(std::string token, IssueIdentityToken(s, *user, session->id, now, &expires_at));
    response->set_identity_token(token);
    *response->mutable_identity_token_expires_at() = ToTimestamp(std::min(expires_at, session->expires_at));
    response->set_csrf_token(session->csrf_token);
    response->set_user_id(std::to_string(user->id));
    return absl::OkStatus();
  });
}

absl::Status Accounts::Logout(const RequestInfo& info, const v1::LogoutRequest& request, v1::LogoutResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  absl::Time now = clock_.Now();
  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Repository::RevokeSession(s, info.principal->session_id(), now));
    int64_t school_id = 0;
    (void)absl::SimpleAtoi(info.principal->school_id(), &school_id);
    return Audit(s, info, school_id, "", "LOGOUT", "session", info.principal->session_id(), "", "");
  });
}

absl::Status Accounts::GetCurrentUser(const RequestInfo& info, const v1::GetCurrentUserRequest& request,
                                      v1::User* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  int64_t id = 0;
  if (!ParseId(info.principal->user_id(), &id)) return SessionEnded();
  ASSIGN_OR_RETURN(auto user, pool_.Read<std::optional<UserRecord>>(
                                  info.deadline, [&](db::Session& s) { return Repository::FindUser(s, id); }));
  if (!user) return SessionEnded();
  *response = UserToProto(*user, false);
  return absl::OkStatus();
}

absl::Status Accounts::ChangePassword(const RequestInfo& info, const v1::ChangePasswordRequest& request,
                                      v1::ChangePasswordResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  int64_t id = 0;
  if (!ParseId(info.principal->user_id(), &id)) return SessionEnded();
  RETURN_IF_ERROR(validation::ValidatePassword(request.new_password(), info.principal->username(), "new_password"));
  ASSIGN_OR_RETURN(std::string hash, HashPassword(request.new_password(), options_.password_hash));
  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto user, Repository::FindUser(s, id, /*for_update=*/true));
    if (!user) return SessionEnded();
    if (!VerifyPassword(request.old_password(), user->password_hash)) {
      return InvalidArgument("WRONG_OLD_PASSWORD", "原密码不正确，请重新输入。", {{"field", "old_password"}});
    }
    int64_t version = user->version;
    user->password_hash = hash;
    ASSIGN_OR_RETURN(bool updated, Repository::UpdateUser(s, *user, version, clock_.Now()));
    if (!updated) return StaleVersion("user", std::to_string(id));
    return Audit(s, info, user->school_id, "", "PASSWORD_CHANGED", "user", std::to_string(id), "", "");
  });
}

absl::Status Accounts::CreateProvince(const RequestInfo& info, const v1::CreateProvinceRequest& request,
                                      v1::Province* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  RETURN_IF_ERROR(identity::RequireKind(*info.principal, {common::v1::PRINCIPAL_KIND_OPERATOR}));
  const v1::Province& province = request.province();
  if (province.code().size() != 2 || !absl::ascii_isdigit(province.code()[0]) ||
      !absl::ascii_isdigit(province.code()[1])) {
    return InvalidArgument("INVALID_PROVINCE_CODE",
                           absl::StrCat("省级行政区划代码“", province.code(), "”无效，应为 2 位数字，例如 11（北京市）。"),
                           {{"field", "code"}, {"value", province.code()}});
  }
  if (province.name().empty()) {
    return InvalidArgument("PROVINCE_NAME_REQUIRED", "请填写省级行政区名称。", {{"field", "name"}});
  }
  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ProvinceRecord record;
    record.code = province.code();
    record.name = province.name();
    absl::Status inserted = Repository::InsertProvince(s, record, clock_.Now());
    if (db::IsDuplicateKey(inserted)) {
      return AlreadyExists("PROVINCE_EXISTS", absl::StrCat("代码为 ", record.code, " 的省份已存在。"),
                           {{"value", record.code}});
    }
    RETURN_IF_ERROR(inserted);
    *response = ProvinceToProto(record);
    return Audit(s, info, 0, record.code, "PROVINCE_CREATED", "province", record.code, "", ToJson(*response));
  });
}

absl::Status Accounts::GetProvince(const RequestInfo& info, const v1::GetProvinceRequest& request,
                                   v1::Province* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_OPERATOR && caller.province_code() != request.province_code()) {
    return PermissionDenied("OUTSIDE_PROVINCE_SCOPE", "无权查看该省份的设置。");
  }
  ASSIGN_OR_RETURN(auto province, pool_.Read<std::optional<ProvinceRecord>>(info.deadline, [&](db::Session& s) {
    return Repository::FindProvince(s, request.province_code());
  }));
  if (!province) return NotFound("PROVINCE_NOT_FOUND", "省份不存在。", {{"value", request.province_code()}});
  *response = ProvinceToProto(*province);
  return absl::OkStatus();
}

absl::Status Accounts::ConfigureProvince(const RequestInfo& info, const v1::ConfigureProvinceRequest& request,
                                         v1::Province* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  bool own_province = caller.kind() == common::v1::PRINCIPAL_KIND_PROVINCE &&
                      caller.province_code() == request.province_code();
  if (caller.kind() != common::v1::PRINCIPAL_KIND_OPERATOR && !own_province) {
    return PermissionDenied("OUTSIDE_PROVINCE_SCOPE", "只有本省的省级用户可以设置功能模块和协议类型。");
  }
  if (request.agreement_type() != v1::AGREEMENT_TYPE_UNSPECIFIED &&
      !v1::AgreementType_IsValid(request.agreement_type())) {
    return InvalidArgument("INVALID_AGREEMENT_TYPE", "协议类型只能是两方协议或三方协议。");
  }
  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto province, Repository::FindProvince(s, request.province_code(), /*for_update=*/true));
    if (!province) return NotFound("PROVINCE_NOT_FOUND", "省份不存在。", {{"value", request.province_code()}});
    if (!request.etag().empty() && request.etag() != std::to_string(province->version)) {
      return StaleVersion("province", province->code);
    }
    std::string before = ToJson(ProvinceToProto(*province));
    province->employment_enabled = province->archive_enabled = province->household_enabled = false;
    for (int module : request.enabled_modules()) {
      switch (module) {
        case common::v1::MODULE_EMPLOYMENT:
          province->employment_enabled = true;
          break;
        case common::v1::MODULE_ARCHIVE:
          province->archive_enabled = true;
          break;
        case common::v1::MODULE_HOUSEHOLD:
          province->household_enabled = true;
          break;
        default:
          return InvalidArgument("INVALID_MODULE", "功能模块无效，只能是毕业去向登记与网签、档案信息登记或户口信息登记。");
      }
    }
    if (request.agreement_type() != v1::AGREEMENT_TYPE_UNSPECIFIED) {
      province->agreement_type = request.agreement_type();
    }
    ASSIGN_OR_RETURN(bool updated, Repository::UpdateProvince(s, *province, province->version, clock_.Now()));
    if (!updated) return StaleVersion("province", province->code);
    province->version += 1;
    *response = ProvinceToProto(*province);
    return Audit(s, info, 0, province->code, "PROVINCE_CONFIGURED", "province", province->code, before,
                 ToJson(*response));
  });
}

absl::Status Accounts::CreateSchool(const RequestInfo& info, const v1::CreateSchoolRequest& request,
                                    v1::School* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  RETURN_IF_ERROR(identity::RequireKind(*info.principal, {common::v1::PRINCIPAL_KIND_OPERATOR}));
  const v1::School& school = request.school();
  RETURN_IF_ERROR(validation::ValidateSchoolCode(school.code(), "code"));
  if (school.name().empty()) return InvalidArgument("SCHOOL_NAME_REQUIRED", "请填写学校名称。", {{"field", "name"}});
  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto province, Repository::FindProvince(s, school.province_code()));
    if (!province) {
      return InvalidArgument("PROVINCE_NOT_FOUND",
                             absl::StrCat("省份代码“", school.province_code(), "”不存在，请先创建省份。"),
                             {{"field", "province_code"}, {"value", school.province_code()}});
    }
    SchoolRecord record{0, school.code(), school.name(), school.province_code()};
    auto id = Repository::InsertSchool(s, record, clock_.Now());
    if (db::IsDuplicateKey(id.status())) {
      return AlreadyExists("SCHOOL_EXISTS", absl::StrCat("院校代码为 ", school.code(), " 的学校已存在。"),
                           {{"value", school.code()}});
    }
    RETURN_IF_ERROR(id.status());
    response->set_id(std::to_string(*id));
    response->set_code(record.code);
    response->set_name(record.name);
    response->set_province_code(record.province_code);
    v1::Province province_proto = ProvinceToProto(*province);
    *response->mutable_enabled_modules() = province_proto.enabled_modules();
    response->set_agreement_type(province_proto.agreement_type());
    return Audit(s, info, *id, record.province_code, "SCHOOL_CREATED", "school", std::to_string(*id), "",
                 ToJson(*response));
  });
}

absl::Status Accounts::GetSchool(const RequestInfo& info, const v1::GetSchoolRequest& request,
                                 v1::School* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  bool province_user = caller.kind() == common::v1::PRINCIPAL_KIND_PROVINCE;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_OPERATOR && !province_user && !IsSigningService(info)) {
    RETURN_IF_ERROR(identity::RequireSchool(caller, request.school_id()));
  }
  int64_t id = 0;
  if (!ParseId(request.school_id(), &id)) return SchoolOutOfScope();
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto school, Repository::FindSchool(s, id));
    // A province user asking for another province's school gets the error of a missing one.
    if (!school || (province_user && school->province_code != caller.province_code())) return SchoolOutOfScope();
    ASSIGN_OR_RETURN(auto province, Repository::FindProvince(s, school->province_code));
    response->set_id(std::to_string(school->id));
    response->set_code(school->code);
    response->set_name(school->name);
    response->set_province_code(school->province_code);
    if (province) {
      v1::Province province_proto = ProvinceToProto(*province);
      *response->mutable_enabled_modules() = province_proto.enabled_modules();
      response->set_agreement_type(province_proto.agreement_type());
    }
    return absl::OkStatus();
  });
}

absl::Status Accounts::SearchSchools(const RequestInfo& info, const v1::SearchSchoolsRequest& request,
                                     v1::SearchSchoolsResponse* response) {
  // Any logged-in caller may search because ids, codes and names of schools are public. The login
  // requirement keeps anonymous callers from listing every school.
  if (info.principal == nullptr) return NotLoggedIn();
  std::string query(absl::StripAsciiWhitespace(request.query()));
  int length = Utf8Length(query);
  if (length < 0) {
    return InvalidArgument("INVALID_SCHOOL_QUERY", "查询内容含有无效字符，请重新输入院校代码或学校名称。",
                           {{"field", "query"}});
  }
  if (length < kMinSchoolQueryLength || length > kMaxSchoolQueryLength) {
    return InvalidArgument("INVALID_SCHOOL_QUERY",
                           absl::StrCat("请输入 10 位院校代码，或学校名称中的 ", kMinSchoolQueryLength, " 至 ",
                                        kMaxSchoolQueryLength, " 个字。"),
                           {{"field", "query"}, {"value", std::to_string(length)}});
  }
  // NOTE: schools have no active or closed state yet, so every stored school can be found.
  bool code_like = query.size() == 10 && std::all_of(query.begin(), query.end(), absl::ascii_isdigit);
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    // A 10-digit query matches codes exactly; every query also matches as a fragment of the name.
    ASSIGN_OR_RETURN(auto schools,
                     Repository::SearchSchools(s, code_like ? query : std::string(), query, kMaxSchoolResults));
    for (const SchoolRecord& school : schools) {
      v1::SchoolSummary* summary = response->add_schools();
      summary->set_id(std::to_string(school.id));
      summary->set_code(school.code);
      summary->set_name(school.name);
    }
    return absl::OkStatus();
  });
}

absl::Status Accounts::UpsertDepartments(const RequestInfo& info, const v1::UpsertDepartmentsRequest& request,
                                         v1::UpsertDepartmentsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  bool sync_service = info.principal->kind() == common::v1::PRINCIPAL_KIND_SERVICE &&
                      info.principal->claims().service_name() == "sync";
  if (!sync_service) {
    RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_WRITE, true));
  }
  int64_t school_id = 0;
  if (!ParseId(request.school_id(), &school_id)) return SchoolOutOfScope();
  std::vector<std::string> names;
  for (const auto& name : request.names()) {
    if (name.empty() || name.size() > 128 * 4) {
      return InvalidArgument("INVALID_DEPARTMENT_NAME", "院系名称不能为空，且不超过 128 个字。",
                             {{"field", "names"}, {"value", name.substr(0, 64)}});
    }
    names.push_back(name);
  }
  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto school, Repository::FindSchool(s, school_id));
    if (!school) return SchoolOutOfScope();
    ASSIGN_OR_RETURN(int created, Repository::InsertDepartments(s, school_id, names, clock_.Now()));
    ASSIGN_OR_RETURN(auto departments, Repository::ListDepartments(s, school_id));
    response->Clear();
    response->set_created_count(created);
    for (const auto& department : departments) {
      auto* out = response->add_departments();
      out->set_id(std::to_string(department.id));
      out->set_school_id(std::to_string(department.school_id));
      out->set_name(department.name);
    }
    if (created == 0) return absl::OkStatus();
    return Audit(s, info, school_id, school->province_code, "DEPARTMENTS_ADDED", "school", std::to_string(school_id),
                 "", absl::StrCat("{\"createdCount\":", created, "}"));
  });
}

absl::Status Accounts::ListDepartments(const RequestInfo& info, const v1::ListDepartmentsRequest& request,
                                       v1::ListDepartmentsResponse* response) {
  RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY, false));
  int64_t school_id = 0;
  if (!ParseId(request.school_id(), &school_id)) return SchoolOutOfScope();
  ASSIGN_OR_RETURN(auto departments, pool_.Read<std::vector<DepartmentRecord>>(info.deadline, [&](db::Session& s) {
    return Repository::ListDepartments(s, school_id);
  }));
  for (const auto& department : departments) {
    auto* out = response->add_departments();
    out->set_id(std::to_string(department.id));
    out->set_school_id(std::to_string(department.school_id));
    out->set_name(department.name);
  }
  return absl::OkStatus();
}

absl::Status Accounts::CreateUser(const RequestInfo& info, const v1::CreateUserRequest& request, v1::User* response) {
  RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_WRITE, true));
  bool by_operator = IsKind(info, common::v1::PRINCIPAL_KIND_OPERATOR);
  PrincipalKind kind = request.kind();
  if (kind == common::v1::PRINCIPAL_KIND_UNSPECIFIED) kind = common::v1::PRINCIPAL_KIND_DEPARTMENT;
  if (kind != common::v1::PRINCIPAL_KIND_DEPARTMENT &&
      !(by_operator && kind == common::v1::PRINCIPAL_KIND_SCHOOL)) {
    return PermissionDenied("ACCOUNT_KIND_NOT_ALLOWED", "学校用户只能新增院系账号。",
                            {{"kind", common::v1::PrincipalKind_Name(kind)}});
  }
  int64_t school_id = 0;
  if (!ParseId(request.school_id(), &school_id)) return SchoolOutOfScope();

  RETURN_IF_ERROR(validation::ValidateUsername(request.username()));
  if (request.display_name().empty() || request.display_name().size() > 64 * 4) {
    return InvalidArgument("DISPLAY_NAME_REQUIRED", "请填写账号的使用人姓名（不超过 64 个字）。",
                           {{"field", "display_name"}});
  }
  if (!request.phone().empty()) RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(request.phone()));
  RETURN_IF_ERROR(validation::ValidatePassword(request.password(), request.username()));

  UserRecord user;
  user.username = request.username();
  user.display_name = request.display_name();
  user.kind = kind;
  user.school_id = school_id;
  user.phone = request.phone();
  user.state = kStateActive;
  // Defaults of the guide's table 1: 读写 for 基本信息和就业信息, 无权限 for the other two.
  user.grant_employment = common::v1::ACCESS_READ_WRITE;
  user.grant_archive = common::v1::ACCESS_NONE;
  user.grant_household = common::v1::ACCESS_NONE;
  RETURN_IF_ERROR(ApplyGrants(request.grants(), user));
  ASSIGN_OR_RETURN(user.password_hash, HashPassword(request.password(), options_.password_hash));

  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto school, Repository::FindSchool(s, school_id));
    if (!school) return SchoolOutOfScope();
    if (kind == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
      ASSIGN_OR_RETURN(DepartmentRecord department, ResolveDepartment(s, school_id, request.department_name()));
      user.department_id = department.id;
      user.department_name = department.name;
    }
    absl::Time now = clock_.Now();
    auto id = Repository::InsertUser(s, user, now);
    if (db::IsDuplicateKey(id.status())) {
      return AlreadyExists("USERNAME_TAKEN", absl::StrCat("用户名“", user.username, "”已被使用，请换一个用户名。"),
                           {{"field", "username"}, {"value", user.username}});
    }
    RETURN_IF_ERROR(id.status());
    user.id = *id;
    user.created_at = user.updated_at = now;
    *response = UserToProto(user, false);
    return Audit(s, info, school_id, school->province_code, "USER_CREATED", "user", std::to_string(user.id), "",
                 ToJson(*response));
  });
}

absl::Status Accounts::ListUsers(const RequestInfo& info, const v1::ListUsersRequest& request,
                                 v1::ListUsersResponse* response) {
  if (!IsSigningService(info)) {
    RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY, true));
  }
  UserFilter filter;
  if (!ParseId(request.school_id(), &filter.school_id)) return SchoolOutOfScope();
  if (!request.department_id().empty() && !ParseId(request.department_id(), &filter.department_id)) {
    return InvalidArgument("INVALID_DEPARTMENT_ID", "院系编号无效。", {{"field", "department_id"}});
  }
  filter.kind = request.kind();
  filter.query = request.query();
  if (request.page_size() < 0 || request.page() < 0) {
    return InvalidArgument("INVALID_PAGE", "页码和每页条数不能为负数。");
  }
  int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  int page = request.page() == 0 ? 1 : request.page();
  filter.limit = page_size;
  filter.offset = (page - 1) * page_size;

  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t total, Repository::CountUsers(s, filter));
    ASSIGN_OR_RETURN(auto users, Repository::ListUsers(s, filter));
    response->Clear();
    for (const auto& user : users) *response->add_users() = UserToProto(user, true);
    response->set_total_size(static_cast<int32_t>(total));
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  });
}

absl::Status Accounts::GetUser(const RequestInfo& info, const v1::GetUserRequest& request, v1::User* response) {
  RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY, true));
  int64_t school_id = 0;
  int64_t user_id = 0;
  if (!ParseId(request.school_id(), &school_id)) return SchoolOutOfScope();
  if (!ParseId(request.user_id(), &user_id)) return UserNotFound();
  ASSIGN_OR_RETURN(auto user, pool_.Read<std::optional<UserRecord>>(
                                  info.deadline, [&](db::Session& s) { return Repository::FindUser(s, user_id); }));
  // A user of another school looks exactly like a missing one.
  if (!user || user->school_id != school_id) return UserNotFound();
  *response = UserToProto(*user, false);
  return absl::OkStatus();
}

absl::StatusOr<UserRecord> Accounts::LoadManagedUser(db::Session& s, const RequestInfo& info, int64_t school_id,
                                                     const std::string& user_id) {
  int64_t id = 0;
  if (!ParseId(user_id, &id)) return UserNotFound();
  ASSIGN_OR_RETURN(auto user, Repository::FindUser(s, id, /*for_update=*/true));
  if (!user || user->school_id != school_id) return UserNotFound();
  bool by_operator = IsKind(info, common::v1::PRINCIPAL_KIND_OPERATOR);
  if (!by_operator && user->kind != common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    return PermissionDenied("ONLY_DEPARTMENT_ACCOUNTS", "学校用户只能管理本校的院系账号。");
  }
  return *std::move(user);
}

absl::Status Accounts::ChangeManagedUser(const RequestInfo& info, const std::string& request_id,
                                         const google::protobuf::Message& request, const std::string& school_id_text,
                                         const std::string& user_id, const std::string& etag,
                                         const std::string& action,
                                         const std::function<absl::Status(db::Session&, UserRecord&)>& change,
                                         v1::User* response) {
  RETURN_IF_ERROR(RequireSchoolStaff(info, school_id_text, common::v1::ACCESS_READ_WRITE, true));
  int64_t school_id = 0;
  if (!ParseId(school_id_text, &school_id)) return SchoolOutOfScope();
  return Mutate(info, request_id, request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(UserRecord user, LoadManagedUser(s, info, school_id, user_id));
    if (!etag.empty() && etag != std::to_string(user.version)) return StaleVersion("user", user_id);
    std::string before = ToJson(UserToProto(user, false));
    int64_t version = user.version;
    RETURN_IF_ERROR(change(s, user));
    absl::Time now = clock_.Now();
    ASSIGN_OR_RETURN(bool updated, Repository::UpdateUser(s, user, version, now));
    if (!updated) return StaleVersion("user", user_id);
    user.version = version + 1;
    user.updated_at = now;
    *response = UserToProto(user, false);
    return Audit(s, info, school_id, "", action, "user", user_id, before, ToJson(*response));
  });
}

absl::Status Accounts::UpdateUser(const RequestInfo& info, const v1::UpdateUserRequest& request, v1::User* response) {
  if (!request.phone().empty()) RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(request.phone()));
  if (request.display_name().size() > 64 * 4) {
    return InvalidArgument("DISPLAY_NAME_TOO_LONG", "使用人姓名不能超过 64 个字。", {{"field", "display_name"}});
  }
  return ChangeManagedUser(
      info, request.request_id(), request, request.school_id(), request.user_id(), request.etag(), "USER_UPDATED",
      [&](db::Session& s, UserRecord& user) -> absl::Status {
        if (!request.display_name().empty()) user.display_name = request.display_name();
        if (!request.phone().empty()) user.phone = request.phone();
        if (!request.department_name().empty()) {
          ASSIGN_OR_RETURN(DepartmentRecord department,
                           ResolveDepartment(s, user.school_id, request.department_name()));
          user.department_id = department.id;
          user.department_name = department.name;
        }
        return absl::OkStatus();
      },
      response);
}

absl::Status Accounts::SetModuleGrants(const RequestInfo& info, const v1::SetModuleGrantsRequest& request,
                                       v1::User* response) {
  return ChangeManagedUser(
      info, request.request_id(), request, request.school_id(), request.user_id(), request.etag(),
      "USER_GRANTS_CHANGED",
      [&](db::Session&, UserRecord& user) -> absl::Status { return ApplyGrants(request.grants(), user); }, response);
}

absl::Status Accounts::DisableUser(const RequestInfo& info, const v1::DisableUserRequest& request,
                                   v1::User* response) {
  return ChangeManagedUser(
      info, request.request_id(), request, request.school_id(), request.user_id(), request.etag(), "USER_DISABLED",
      [&](db::Session& s, UserRecord& user) -> absl::Status {
        if (info.principal != nullptr && info.principal->user_id() == std::to_string(user.id)) {
          return FailedPrecondition("CANNOT_DISABLE_SELF", "不能停用当前登录的账号。");
        }
        user.state = kStateDisabled;
        // A disabled account's open sessions end now, not when their tokens expire.
        return Repository::RevokeUserSessions(s, user.id, clock_.Now());
      },
      response);
}

absl::Status Accounts::EnableUser(const RequestInfo& info, const v1::EnableUserRequest& request, v1::User* response) {
  return ChangeManagedUser(
      info, request.request_id(), request, request.school_id(), request.user_id(), request.etag(), "USER_ENABLED",
      [&](db::Session&, UserRecord& user) -> absl::Status {
        user.state = kStateActive;
        return absl::OkStatus();
      },
      response);
}

absl::Status Accounts::ResetPassword(const RequestInfo& info, const v1::ResetPasswordRequest& request,
                                     v1::User* response) {
  std::string hash;
  return ChangeManagedUser(
      info, request.request_id(), request, request.school_id(), request.user_id(), "", "USER_PASSWORD_RESET",
      [&](db::Session& s, UserRecord& user) -> absl::Status {
        RETURN_IF_ERROR(validation::ValidatePassword(request.new_password(), user.username, "new_password"));
        ASSIGN_OR_RETURN(user.password_hash, HashPassword(request.new_password(), options_.password_hash));
        user.failed_logins = 0;
        RETURN_IF_ERROR(Repository::ResetFailedLogins(s, user.id));
        return Repository::RevokeUserSessions(s, user.id, clock_.Now());
      },
      response);
}

absl::Status Accounts::RegisterEmployer(const RequestInfo& info, const v1::RegisterEmployerRequest& request,
                                        v1::Employer* response) {
  RETURN_IF_ERROR(validation::ValidateCreditCode(request.credit_code()));
  if (request.name().empty() || request.name().size() > 200 * 4) {
    return InvalidArgument("EMPLOYER_NAME_REQUIRED", "请填写单位名称（与营业执照一致，不超过 200 个字）。",
                           {{"field", "name"}});
  }
  if (!request.contact_phone().empty()) {
    RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(request.contact_phone(), "contact_phone"));
  }
  RETURN_IF_ERROR(validation::ValidateUsername(request.username()));
  RETURN_IF_ERROR(validation::ValidatePassword(request.password(), request.username()));
  ASSIGN_OR_RETURN(std::string hash, HashPassword(request.password(), options_.password_hash));

  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    absl::Time now = clock_.Now();
    EmployerRecord employer{0, request.credit_code(), request.name(), request.contact_name(), request.contact_phone()};
    auto employer_id = Repository::InsertEmployer(s, employer, now);
    if (db::IsDuplicateKey(employer_id.status())) {
      return AlreadyExists("CREDIT_CODE_REGISTERED",
                           absl::StrCat("统一社会信用代码 ", request.credit_code(),
                                        " 已注册。如需找回账号，请联系平台客服。"),
                           {{"field", "credit_code"}, {"value", request.credit_code()}});
    }
    RETURN_IF_ERROR(employer_id.status());
    UserRecord user;
    user.username = request.username();
    user.display_name = request.contact_name().empty() ? request.name() : request.contact_name();
    user.kind = common::v1::PRINCIPAL_KIND_EMPLOYER;
    user.employer_id = *employer_id;
    user.phone = request.contact_phone();
    user.state = kStateActive;
    user.password_hash = hash;
    user.grant_employment = common::v1::ACCESS_NONE;
    user.grant_archive = common::v1::ACCESS_NONE;
    user.grant_household = common::v1::ACCESS_NONE;
    auto user_id = Repository::InsertUser(s, user, now);
    if (db::IsDuplicateKey(user_id.status())) {
      return AlreadyExists("USERNAME_TAKEN", absl::StrCat("用户名“", user.username, "”已被使用，请换一个用户名。"),
                           {{"field", "username"}, {"value", user.username}});
    }
    RETURN_IF_ERROR(user_id.status());
    response->set_id(std::to_string(*employer_id));
    response->set_credit_code(employer.credit_code);
    response->set_name(employer.name);
    response->set_contact_name(employer.contact_name);
    response->set_contact_phone(employer.contact_phone);
    return Audit(s, info, 0, "", "EMPLOYER_REGISTERED", "employer", std::to_string(*employer_id), "",
                 ToJson(*response));
  });
}

absl::Status Accounts::GetEmployer(const RequestInfo& info, const v1::GetEmployerRequest& request,
                                   v1::Employer* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_EMPLOYER && caller.employer_id() != request.employer_id()) {
    return PermissionDenied("OTHER_EMPLOYER", "无权查看其他单位的信息。");
  }
  int64_t id = 0;
  if (!ParseId(request.employer_id(), &id)) return NotFound("EMPLOYER_NOT_FOUND", "单位不存在。");
  ASSIGN_OR_RETURN(auto employer, pool_.Read<std::optional<EmployerRecord>>(
                                      info.deadline, [&](db::Session& s) { return Repository::FindEmployer(s, id); }));
  if (!employer) return NotFound("EMPLOYER_NOT_FOUND", "单位不存在。");
  response->set_id(std::to_string(employer->id));
  response->set_credit_code(employer->credit_code);
  response->set_name(employer->name);
  response->set_contact_name(employer->contact_name);
  response->set_contact_phone(logging::MaskPhone(employer->contact_phone));
  return absl::OkStatus();
}

absl::Status Accounts::ListAuditEntries(const RequestInfo& info, const v1::ListAuditEntriesRequest& request,
                                        v1::ListAuditEntriesResponse* response) {
  RETURN_IF_ERROR(RequireSchoolStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY, true));
  int64_t school_id = 0;
  if (!ParseId(request.school_id(), &school_id)) return SchoolOutOfScope();
  if (request.page_size() < 0 || request.page() < 0) return InvalidArgument("INVALID_PAGE", "页码和每页条数不能为负数。");
  int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  int page = request.page() == 0 ? 1 : request.page();
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t total, Repository::CountAudit(s, school_id));
    ASSIGN_OR_RETURN(auto entries, Repository::ListAudit(s, school_id, page_size, (page - 1) * page_size));
    response->Clear();
    response->set_total_size(static_cast<int32_t>(total));
    for (const auto& entry : entries) {
      auto* out = response->add_entries();
      out->set_id(std::to_string(entry.id));
      *out->mutable_occurred_at() = ToTimestamp(entry.occurred_at);
      if (entry.actor_user_id != 0) out->set_actor_user_id(std::to_string(entry.actor_user_id));
      out->set_actor_username(entry.actor_username);
      out->set_action(entry.action);
      out->set_target_type(entry.target_type);
      out->set_target_id(entry.target_id);
      out->set_before_json(entry.before_json);
      out->set_after_json(entry.after_json);
      out->set_reason(entry.reason);
      out->set_request_id(entry.request_id);
    }
    return absl::OkStatus();
  });
}

}  // namespace quxiang::accounts

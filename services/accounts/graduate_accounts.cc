#include "services/accounts/graduate_accounts.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "services/accounts/graduate_accounts_repository.h"
#include "services/accounts/password.h"
#include "services/accounts/repository.h"
#include "spdlog/spdlog.h"

namespace quxiang::accounts {
namespace {

constexpr int kStateActive = v1::User::ACTIVE;
constexpr int kStateDisabled = v1::User::DISABLED;
// The length of users.username.
constexpr size_t kMaxUsernameLength = 64;
constexpr size_t kMinIdentityKeyLength = 32;

absl::Status RequireSyncService(const RequestInfo& info) {
  if (info.principal == nullptr) return Unauthenticated("MISSING_TOKEN", "请先登录。");
  if (info.principal->kind() != common::v1::PRINCIPAL_KIND_SERVICE ||
      info.principal->claims().service_name() != "sync") {
    return PermissionDenied("SYNC_SERVICE_ONLY", "只有数据同步服务可以维护毕业生账号。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(info.principal->kind())}});
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const std::string& request_id, int size) {
  if (request_id.empty() || request_id.size() > 128) {
    return InvalidArgument("REQUEST_ID_REQUIRED", "请求缺少请求编号（request_id）或超过 128 个字符。",
                           {{"field", "request_id"}});
  }
  if (size > kMaxGraduateAccountsPerCall) {
    return InvalidArgument("TOO_MANY_GRADUATES",
                           absl::StrCat("一次最多处理 ", kMaxGraduateAccountsPerCall, " 名毕业生，本次为 ", size,
                                        " 名，请分批提交。"),
                           {{"count", std::to_string(size)}});
  }
  return absl::OkStatus();
}

// The one error for any mismatch of username, name and ID number. Its body is the same for an
// unknown username and for wrong details of an existing login, and it carries no count of
// remaining attempts, so that the response reveals neither which part was wrong nor whether
// the username exists.
absl::Status IdentityMismatch(const AccountsOptions& options) {
  return Unauthenticated("IDENTITY_MISMATCH",
                         absl::StrCat("用户名、姓名或身份证号不正确，请核对后重试。连续输错 ",
                                      options.lockout_threshold, " 次账号将被锁定 ",
                                      absl::ToInt64Minutes(options.lockout_duration), " 分钟。"));
}

bool SameDigest(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

absl::StatusOr<std::string> LoadGraduateIdentityKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (!in || !std::getline(in, key)) {
    return FailedPrecondition("GRADUATE_IDENTITY_KEY_UNREADABLE",
                              absl::StrCat("无法读取毕业生身份校验密钥文件 ", path, "。"), {{"path", path}});
  }
  key = std::string(absl::StripAsciiWhitespace(key));
  if (key.size() < kMinIdentityKeyLength) {
    return InvalidArgument("GRADUATE_IDENTITY_KEY_TOO_SHORT",
                           absl::StrCat("毕业生身份校验密钥至少需要 ", kMinIdentityKeyLength,
                                        " 个字符，请用 openssl rand -hex 32 生成。"),
                           {{"path", path}});
  }
  return key;
}

std::string GraduateUsername(const std::string& school_code, const std::string& student_number) {
  return absl::StrCat(school_code, "-", student_number);
}

GraduateAccounts::GraduateAccounts(db::Pool& pool, const Clock& clock, std::string identity_key,
                                   AccountsOptions options)
    : pool_(pool), clock_(clock), identity_key_(std::move(identity_key)), options_(std::move(options)) {}

std::string GraduateAccounts::IdNumberDigest(const std::string& id_number) const {
  std::string normalized = validation::NormalizeIdNumber(id_number);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), identity_key_.data(), static_cast<int>(identity_key_.size()),
       reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::Status GraduateAccounts::UpsertGraduateAccounts(const RequestInfo& info,
                                                      const v1::UpsertGraduateAccountsRequest& request,
                                                      v1::UpsertGraduateAccountsResponse* response) {
  RETURN_IF_ERROR(RequireSyncService(info));
  RETURN_IF_ERROR(ValidateBatch(request.request_id(), request.accounts_size()));

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    response->Clear();
    absl::Time now = clock_.Now();
    std::vector<std::string> graduate_ids;
    for (const auto& account : request.accounts()) graduate_ids.push_back(account.graduate_id());
    ASSIGN_OR_RETURN(auto logins, GraduateAccountsRepository::LockLogins(s, graduate_ids));

    for (const v1::GraduateAccount& account : request.accounts()) {
      auto fail = [&](const std::string& reason, const std::string& message) {
        v1::GraduateAccountFailure* failure = response->add_failures();
        failure->set_graduate_id(account.graduate_id());
        failure->set_reason(reason);
        failure->set_message(message);
      };
      int64_t school_id = 0;
      if (account.graduate_id().empty() || account.graduate_id().size() > 64 ||
          !absl::SimpleAtoi(account.school_id(), &school_id) || !validation::IsValidSchoolCode(account.school_code()) ||
          account.student_number().empty() || account.name().empty() || account.id_number().empty()) {
        fail("INVALID_GRADUATE_ACCOUNT", "毕业生账号信息不完整：需要毕业生编号、学校、院校代码、学号、姓名和身份证号。");
        continue;
      }
      std::string username = GraduateUsername(account.school_code(), account.student_number());
      if (username.size() > kMaxUsernameLength) {
        fail("USERNAME_TOO_LONG", absl::StrCat("学号过长，生成的用户名超过 ", kMaxUsernameLength, " 个字符。"));
        continue;
      }

      GraduateLogin login;
      auto existing = logins.find(account.graduate_id());
      if (existing != logins.end()) login = existing->second;
      GraduateLogin wanted = login;
      wanted.graduate_id = account.graduate_id();
      wanted.school_id = school_id;
      wanted.name = account.name();
      wanted.id_number_digest = IdNumberDigest(account.id_number());
      wanted.username = username;
      wanted.state = kStateActive;

      // A username is unique among all accounts; another account with it keeps it.
      if (existing == logins.end() || login.username != username) {
        ASSIGN_OR_RETURN(auto holder, Repository::FindUserByUsername(s, username));
        if (holder && holder->id != login.user_id) {
          fail("USERNAME_TAKEN", absl::StrCat("用户名 ", username, " 已被另一个账号使用。"));
          spdlog::error("graduate account of graduate {} not written: username {} belongs to user {}",
                        account.graduate_id(), username, holder->id);
          continue;
        }
      }

      if (existing == logins.end()) {
        UserRecord user;
        user.username = username;
        user.display_name = account.name();
        user.kind = common::v1::PRINCIPAL_KIND_GRADUATE;
        user.school_id = school_id;
        user.graduate_id = account.graduate_id();
        user.state = kStateActive;
        user.grant_employment = common::v1::ACCESS_NONE;
        user.grant_archive = common::v1::ACCESS_NONE;
        user.grant_household = common::v1::ACCESS_NONE;
        ASSIGN_OR_RETURN(wanted.user_id, Repository::InsertUser(s, user, now));
        RETURN_IF_ERROR(GraduateAccountsRepository::InsertIdentity(s, wanted, now));
        logins[wanted.graduate_id] = wanted;
        response->set_created_count(response->created_count() + 1);
        continue;
      }
      bool unchanged = login.username == wanted.username && login.name == wanted.name &&
                       login.school_id == wanted.school_id && login.state == wanted.state &&
                       SameDigest(login.id_number_digest, wanted.id_number_digest);
      if (unchanged) {
        response->set_unchanged_count(response->unchanged_count() + 1);
        continue;
      }
      RETURN_IF_ERROR(GraduateAccountsRepository::UpdateLogin(s, wanted, now));
      logins[wanted.graduate_id] = wanted;
      response->set_updated_count(response->updated_count() + 1);
    }
    return absl::OkStatus();
  });
}

absl::Status GraduateAccounts::DisableGraduateAccounts(const RequestInfo& info,
                                                       const v1::DisableGraduateAccountsRequest& request,
                                                       v1::DisableGraduateAccountsResponse* response) {
  RETURN_IF_ERROR(RequireSyncService(info));
  RETURN_IF_ERROR(ValidateBatch(request.request_id(), request.graduate_ids_size()));

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    response->Clear();
    absl::Time now = clock_.Now();
    std::vector<std::string> graduate_ids(request.graduate_ids().begin(), request.graduate_ids().end());
    ASSIGN_OR_RETURN(auto logins, GraduateAccountsRepository::LockLogins(s, graduate_ids));
    for (auto& [graduate_id, login] : logins) {
      if (login.state == kStateDisabled) continue;
      login.state = kStateDisabled;
      RETURN_IF_ERROR(GraduateAccountsRepository::UpdateLogin(s, login, now));
      // An open session must not outlive the graduate's removal from the roster.
      RETURN_IF_ERROR(Repository::RevokeUserSessions(s, login.user_id, now));
      response->set_disabled_count(response->disabled_count() + 1);
    }
    return absl::OkStatus();
  });
}

absl::Status GraduateAccounts::ActivateGraduateAccount(const RequestInfo& info,
                                                       const v1::ActivateGraduateAccountRequest& request,
                                                       v1::User* response) {
  if (request.username().empty() || request.name().empty() || request.id_number().empty()) {
    return InvalidArgument("ACTIVATION_DETAILS_REQUIRED", "请填写用户名、姓名和身份证号。");
  }
  // The policy first: a weak password is not a failed attempt.
  RETURN_IF_ERROR(validation::ValidatePassword(request.new_password(), request.username(), "new_password"));
  absl::Time now = clock_.Now();

  // Hashing the new password is slow, so it happens before the transaction. It also happens
  // before the lookup, so that an unknown username costs the same time as a known one and the
  // timing does not tell which usernames exist.
  ASSIGN_OR_RETURN(std::string password_hash, HashPassword(request.new_password(), options_.password_hash));

  ASSIGN_OR_RETURN(auto found, pool_.Read<std::optional<UserRecord>>(info.deadline, [&](db::Session& s) {
    return Repository::FindUserByUsername(s, request.username());
  }));
  if (!found || found->kind != common::v1::PRINCIPAL_KIND_GRADUATE) return IdentityMismatch(options_);
  UserRecord user = *std::move(found);
  if (user.locked_until && *user.locked_until > now) {
    return Unauthenticated("ACCOUNT_LOCKED",
                           absl::StrCat("连续 ", options_.lockout_threshold, " 次验证失败，账号已锁定，请于 ",
                                        absl::FormatTime("%Y-%m-%d %H:%M", *user.locked_until, BeijingTimeZone()),
                                        "（北京时间）后再试。"));
  }

  absl::Status mismatch;
  absl::Status activated = pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto login, GraduateAccountsRepository::FindLoginByUserId(s, user.id));
    if (!login) return IdentityMismatch(options_);
    // The details are checked before the state of the login, because ACCOUNT_DISABLED or
    // ACCOUNT_ALREADY_ACTIVATED for wrong details would tell that the username exists.
    if (login->name != request.name() || !SameDigest(login->id_number_digest, IdNumberDigest(request.id_number()))) {
      // An expired lock starts a new count, as for logins.
      if (user.locked_until) RETURN_IF_ERROR(Repository::ResetFailedLogins(s, user.id));
      RETURN_IF_ERROR(Repository::RecordFailedLogin(s, user.id, options_.lockout_threshold,
                                                    now + options_.lockout_duration));
      mismatch = IdentityMismatch(options_);
      return absl::OkStatus();
    }
    if (login->state != kStateActive) {
      return FailedPrecondition("ACCOUNT_DISABLED",
                                "该毕业生已不在就业管理系统的毕业生名单中，账号已停用。如有疑问请联系学校就业部门。");
    }
    if (login->activated_at) {
      return FailedPrecondition("ACCOUNT_ALREADY_ACTIVATED",
                                "该账号已激活，请直接登录。");
    }
    RETURN_IF_ERROR(GraduateAccountsRepository::Activate(s, user.id, password_hash, now));
    AuditRecord entry;
    entry.occurred_at = now;
    entry.actor_user_id = user.id;
    entry.actor_username = user.username;
    entry.actor_kind = user.kind;
    entry.school_id = user.school_id;
    entry.action = "GRADUATE_ACCOUNT_ACTIVATED";
    entry.target_type = "user";
    entry.target_id = std::to_string(user.id);
    entry.request_id = info.trace_id;
    entry.peer = info.peer;
    return Repository::InsertAudit(s, entry);
  });
  RETURN_IF_ERROR(activated);
  // The failed attempt is committed; the error goes out after it.
  if (!mismatch.ok()) return mismatch;

  ASSIGN_OR_RETURN(auto after, pool_.Read<std::optional<UserRecord>>(info.deadline, [&](db::Session& s) {
    return Repository::FindUser(s, user.id);
  }));
  if (!after) return Internal("USER_MISSING", absl::StrCat("user ", user.id, " vanished after its activation"));
  *response = UserToProto(*after, /*mask_phone=*/true);
  return absl::OkStatus();
}

}  // namespace quxiang::accounts

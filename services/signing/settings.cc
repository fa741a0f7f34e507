#include "services/signing/settings.h"

#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"

namespace quxiang::signing {
namespace {

using common::v1::Access;
using identity::Principal;

// The width of idempotency_keys.request_id.
constexpr size_t kMaxRequestIdLength = 128;
constexpr char kTargetType[] = "signing_settings";

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

bool ParseId(const std::string& text, int64_t* id) { return absl::SimpleAtoi(text, id) && *id > 0; }

// Counts the Unicode code points of UTF-8 text (protobuf has checked that string fields are UTF-8).
int CountCharacters(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status NotLoggedIn() { return Unauthenticated("MISSING_TOKEN", "请先登录。"); }

absl::Status OutsideSchool() { return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。"); }

// Services that read settings to decide what a graduate may do; none of them writes.
bool IsReaderService(const Principal& caller) {
  static const std::set<std::string>* const kReaders =
      new std::set<std::string>{"sync", "termination", "destination", "notify"};
  return caller.kind() == common::v1::PRINCIPAL_KIND_SERVICE && kReaders->count(caller.claims().service_name()) > 0;
}

// School and department users of `school_id` with at least 只读 on 基本信息和就业信息, and reader
// services; returns the school's id. Checked before any lookup, so another school's settings get
// the same error whether or not they exist.
absl::StatusOr<int64_t> AuthorizeRead(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  int64_t id = 0;
  if (IsReaderService(caller)) {
    if (!ParseId(school_id, &id)) return OutsideSchool();
    return id;
  }
  if (!caller.IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以查看签约设置。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_ONLY));
  if (!ParseId(school_id, &id)) return OutsideSchool();
  return id;
}

// School users of `school_id` with 读写 on 基本信息和就业信息; the guide gives 签约设置 to school
// users only, so department users are rejected whatever their grants.
absl::StatusOr<int64_t> AuthorizeWrite(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "签约设置仅对学校用户开放，院系用户只能查看。");
  }
  if (caller.kind() != common::v1::PRINCIPAL_KIND_SCHOOL) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "签约设置仅对学校用户开放。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_WRITE));
  int64_t id = 0;
  if (!ParseId(school_id, &id)) return OutsideSchool();
  return id;
}

absl::Status ValidateClassYear(int class_year) {
  if (class_year < 2000 || class_year > 2100) {
    return InvalidArgument("INVALID_CLASS_YEAR",
                           absl::StrCat("毕业年份（届）无效：", class_year, "。请填写 2000 到 2100 之间的年份，例如 2025。"),
                           {{"field", "class_year"}, {"value", std::to_string(class_year)}});
  }
  return absl::OkStatus();
}

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.empty()) {
    return InvalidArgument("REQUEST_ID_REQUIRED", "请求缺少请求编号（request_id），请刷新页面后重新提交。",
                           {{"field", "request_id"}});
  }
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidArgument("REQUEST_ID_TOO_LONG", "请求编号（request_id）不能超过 128 个字符。",
                           {{"field", "request_id"}});
  }
  return absl::OkStatus();
}

// Validates one handler and returns it with surrounding spaces removed. `label` names the
// handler in messages (全校, 本专科 or 研究生) and `field` in metadata.
absl::StatusOr<HandlerRecord> ValidateHandler(const v1::AgreementHandler& handler, const std::string& label,
                                              const std::string& field) {
  HandlerRecord record;
  record.name = std::string(absl::StripAsciiWhitespace(handler.name()));
  record.phone = std::string(absl::StripAsciiWhitespace(handler.phone()));
  record.postal_address = std::string(absl::StripAsciiWhitespace(handler.postal_address()));
  record.postal_code = std::string(absl::StripAsciiWhitespace(handler.postal_code()));

  if (record.name.empty()) {
    return InvalidArgument("HANDLER_NAME_REQUIRED", absl::StrCat("请填写", label, "协议经办人姓名。"),
                           {{"field", field + ".name"}});
  }
  int name_characters = CountCharacters(record.name);
  if (name_characters > kMaxHandlerNameCharacters) {
    return InvalidArgument("HANDLER_NAME_TOO_LONG",
                           absl::StrCat(label, "协议经办人姓名不能超过 ", kMaxHandlerNameCharacters, " 个字，当前为 ",
                                        name_characters, " 个字。"),
                           {{"field", field + ".name"}, {"length", std::to_string(name_characters)}});
  }
  if (record.phone.empty()) {
    return InvalidArgument("HANDLER_PHONE_REQUIRED", absl::StrCat("请填写", label, "协议经办人联系电话。"),
                           {{"field", field + ".phone"}});
  }
  RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(record.phone, field + ".phone"));
  if (record.postal_address.empty()) {
    return InvalidArgument("POSTAL_ADDRESS_REQUIRED", absl::StrCat("请填写", label, "协议经办人的学校通讯地址。"),
                           {{"field", field + ".postal_address"}});
  }
  int address_characters = CountCharacters(record.postal_address);
  if (address_characters > kMaxPostalAddressCharacters) {
    return InvalidArgument("POSTAL_ADDRESS_TOO_LONG",
                           absl::StrCat(label, "学校通讯地址不能超过 ", kMaxPostalAddressCharacters, " 个字，当前为 ",
                                        address_characters, " 个字。"),
                           {{"field", field + ".postal_address"}, {"length", std::to_string(address_characters)}});
  }
  RETURN_IF_ERROR(validation::ValidatePostalCode(record.postal_code, field + ".postal_code"));
  return record;
}

// Builds the settings that `request` submits, without the key, version and authorship.
absl::StatusOr<SettingsRecord> ValidateSubmission(const v1::UpdateSigningSettingsRequest& request) {
  SettingsRecord settings;
  settings.online_signing_enabled = request.online_signing_enabled();
  // 在线签约 turns on 补登 and 填报去向登记 with it.
  settings.paper_registration_enabled = request.online_signing_enabled() || request.paper_registration_enabled();
  settings.destination_registration_enabled =
      request.online_signing_enabled() || request.destination_registration_enabled();

  if (request.review_mode() == v1::REVIEW_MODE_UNSPECIFIED || !v1::ReviewMode_IsValid(request.review_mode())) {
    return InvalidArgument("REVIEW_MODE_REQUIRED", "请选择审核方式：仅校级审核或先院系再校级审核。",
                           {{"field", "review_mode"}, {"value", std::to_string(static_cast<int>(request.review_mode()))}});
  }
  settings.review_mode = request.review_mode();

  if (request.max_termination_applications() < 0 || request.max_termination_applications() > kMaxTerminationApplications) {
    return InvalidArgument("INVALID_MAX_TERMINATION_APPLICATIONS",
                           absl::StrCat("学生可提交解约申请次数须为 0 到 ", kMaxTerminationApplications,
                                        " 之间的整数，当前为 ", request.max_termination_applications(), "。"),
                           {{"field", "max_termination_applications"},
                            {"value", std::to_string(request.max_termination_applications())}});
  }
  settings.max_termination_applications = request.max_termination_applications();

  switch (request.handler_scope()) {
    case v1::HANDLER_SCOPE_WHOLE_SCHOOL: {
      ASSIGN_OR_RETURN(settings.handler, ValidateHandler(request.school_handler(), "全校统一", "school_handler"));
      break;
    }
    case v1::HANDLER_SCOPE_BY_EDUCATION_LEVEL: {
      ASSIGN_OR_RETURN(settings.handler,
                       ValidateHandler(request.undergraduate_handler(), "本专科", "undergraduate_handler"));
      ASSIGN_OR_RETURN(settings.postgraduate_handler,
                       ValidateHandler(request.postgraduate_handler(), "研究生", "postgraduate_handler"));
      break;
    }
    default:
      return InvalidArgument("HANDLER_SCOPE_REQUIRED",
                             "请选择协议经办人的设置方式：设置全校统一协议经办人，或分别设置本专科、研究生协议经办人。",
                             {{"field", "handler_scope"}});
  }
  settings.handler_scope = request.handler_scope();
  return settings;
}

v1::AgreementHandler HandlerToProto(const HandlerRecord& handler) {
  v1::AgreementHandler proto;
  proto.set_name(handler.name);
  proto.set_phone(handler.phone);
  proto.set_postal_address(handler.postal_address);
  proto.set_postal_code(handler.postal_code);
  return proto;
}

// The switches that `before` had on and `after` turns off, by their console names.
std::vector<std::string> SwitchesTurnedOff(const SettingsRecord& before, const SettingsRecord& after) {
  std::vector<std::string> names;
  if (before.online_signing_enabled && !after.online_signing_enabled) names.push_back("在线签约");
  if (before.paper_registration_enabled && !after.paper_registration_enabled) names.push_back("补登");
  if (before.destination_registration_enabled && !after.destination_registration_enabled) {
    names.push_back("填报去向登记");
  }
  return names;
}

std::string ReviewModeName(int mode) {
  return mode == v1::REVIEW_MODE_DEPARTMENT_THEN_SCHOOL ? "先院系再校级审核" : "仅校级审核";
}

}  // namespace

v1::SigningSettings SettingsToProto(const SettingsRecord& settings, const UsageRecord& usage) {
  v1::SigningSettings proto;
  proto.set_school_id(std::to_string(settings.school_id));
  proto.set_class_year(settings.class_year);
  proto.set_submitted(true);
  proto.set_agreement_type(static_cast<accounts::v1::AgreementType>(settings.agreement_type));
  proto.set_online_signing_enabled(settings.online_signing_enabled);
  proto.set_paper_registration_enabled(settings.paper_registration_enabled);
  proto.set_destination_registration_enabled(settings.destination_registration_enabled);
  proto.set_review_mode(static_cast<v1::ReviewMode>(settings.review_mode));
  proto.set_max_termination_applications(settings.max_termination_applications);
  proto.set_handler_scope(static_cast<v1::HandlerScope>(settings.handler_scope));
  if (settings.handler_scope == v1::HANDLER_SCOPE_BY_EDUCATION_LEVEL) {
    *proto.mutable_undergraduate_handler() = HandlerToProto(settings.handler);
    *proto.mutable_postgraduate_handler() = HandlerToProto(settings.postgraduate_handler);
  } else {
    *proto.mutable_school_handler() = HandlerToProto(settings.handler);
  }
  proto.set_switches_locked(usage.acted);
  proto.set_records_in_review(static_cast<int32_t>(usage.records_in_review));
  proto.set_etag(std::to_string(settings.version));
  *proto.mutable_updated_at() = ToTimestamp(settings.updated_at);
  proto.set_updated_by(settings.updated_by);
  return proto;
}

Settings::Settings(db::Pool& pool, SchoolDirectory& directory, const Clock& clock)
    : pool_(pool), directory_(directory), clock_(clock) {}

absl::Status Settings::GetSigningSettings(const RequestInfo& info, const v1::GetSigningSettingsRequest& request,
                                          v1::SigningSettings* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeRead(info, request.school_id()));
  RETURN_IF_ERROR(ValidateClassYear(request.class_year()));
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(s, school_id, request.class_year()));
    ASSIGN_OR_RETURN(UsageRecord usage, Repository::ReadUsage(s, school_id, request.class_year()));
    if (settings) {
      *response = SettingsToProto(*settings, usage);
      return absl::OkStatus();
    }
    response->Clear();
    response->set_school_id(std::to_string(school_id));
    response->set_class_year(request.class_year());
    response->set_submitted(false);
    response->set_switches_locked(usage.acted);
    response->set_records_in_review(static_cast<int32_t>(usage.records_in_review));
    return absl::OkStatus();
  });
}

absl::Status Settings::CheckDepartmentAccounts(const RequestInfo& info, int64_t school_id, int class_year) {
  ASSIGN_OR_RETURN(std::vector<std::string> departments,
                   directory_.DepartmentsWithGraduates(info.deadline, school_id, class_year));
  ASSIGN_OR_RETURN(std::vector<accounts::v1::User> accounts, directory_.DepartmentAccounts(info.deadline, school_id));
  // A department is covered by an active account whose department name equals the roster's
  // name character for character and that has 读写 on 基本信息和就业信息.
  std::set<std::string> covered;
  for (const accounts::v1::User& user : accounts) {
    if (user.kind() != common::v1::PRINCIPAL_KIND_DEPARTMENT || user.state() != accounts::v1::User::ACTIVE) continue;
    for (const common::v1::ModuleGrant& grant : user.grants()) {
      if (grant.module() == common::v1::MODULE_EMPLOYMENT && grant.access() == common::v1::ACCESS_READ_WRITE) {
        covered.insert(user.department_name());
      }
    }
  }
  std::vector<std::string> missing;
  for (const std::string& department : departments) {
    if (covered.count(department) == 0) missing.push_back(department);
  }
  if (missing.empty()) return absl::OkStatus();
  return FailedPrecondition(
      "DEPARTMENT_ACCOUNTS_MISSING",
      absl::StrCat("以下院系没有可用的院系账号：", absl::StrJoin(missing, "、"),
                   "。选择“先院系再校级审核”前，请在账号管理中为这些院系各添加至少一个启用状态、"
                   "基本信息和就业信息为读写权限的院系账号，院系名称须与毕业生名单中的院系名称完全一致；"
                   "或改选“仅校级审核”。"),
      {{"field", "review_mode"}, {"departments", absl::StrJoin(missing, ",")}});
}

absl::Status Settings::UpdateSigningSettings(const RequestInfo& info, const v1::UpdateSigningSettingsRequest& request,
                                             v1::SigningSettings* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeWrite(info, request.school_id()));
  RETURN_IF_ERROR(ValidateClassYear(request.class_year()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(SettingsRecord submitted, ValidateSubmission(request));
  submitted.school_id = school_id;
  submitted.class_year = request.class_year();
  submitted.updated_by_user_id = info.principal->user_id();
  submitted.updated_by = info.principal->username();

  // The checks against accounts and sync run before the transaction, because a transaction must
  // not wait on another service. What they read can change before the commit.
  // NOTE: a repeated request_id also runs them again, so a repeat can fail where the first call
  // succeeded if the province or the department accounts changed in between.
  ASSIGN_OR_RETURN(accounts::v1::AgreementType agreement_type, directory_.AgreementType(info.deadline, school_id));
  if (agreement_type == accounts::v1::AGREEMENT_TYPE_UNSPECIFIED) {
    return FailedPrecondition("AGREEMENT_TYPE_NOT_SET",
                              "本省尚未设置电子就业协议书类型（两方协议或三方协议），暂不能提交签约设置。"
                              "请联系省级管理员先设置协议类型。");
  }
  submitted.agreement_type = agreement_type;
  if (submitted.review_mode == v1::REVIEW_MODE_DEPARTMENT_THEN_SCHOOL) {
    RETURN_IF_ERROR(CheckDepartmentAccounts(info, school_id, request.class_year()));
  }

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  const std::string target_id = absl::StrCat(school_id, "/", request.class_year());
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    // The usage row is locked first, as the flows' SettingsUsage calls lock it, so that a flow
    // cannot act or enter review between these checks and the commit.
    ASSIGN_OR_RETURN(UsageRecord usage, Repository::LockUsage(s, school_id, request.class_year()));
    ASSIGN_OR_RETURN(auto existing, Repository::FindSettings(s, school_id, request.class_year(), /*for_update=*/true));
    const std::string expected_etag = existing ? std::to_string(existing->version) : "";
    if (request.etag() != expected_etag) return StaleVersion(kTargetType, target_id);

    std::string before_json;
    if (existing) {
      std::vector<std::string> turned_off = SwitchesTurnedOff(*existing, submitted);
      if (usage.acted && !turned_off.empty()) {
        return FailedPrecondition("SWITCH_LOCKED",
                                  absl::StrCat("本届已有毕业生或用人单位按当前签约设置进行了操作，",
                                               absl::StrJoin(turned_off, "、"), "开关不能再关闭。"),
                                  {{"field", "online_signing_enabled"}, {"switches", absl::StrJoin(turned_off, ",")}});
      }
      if (existing->review_mode != submitted.review_mode && usage.records_in_review > 0) {
        return FailedPrecondition(
            "REVIEW_MODE_LOCKED",
            absl::StrCat("本届还有 ", usage.records_in_review, " 条数据处于审核流程中，审核方式暂不能从“",
                         ReviewModeName(existing->review_mode), "”改为“", ReviewModeName(submitted.review_mode),
                         "”。请先处理完所有待审核的数据后再修改。"),
            {{"field", "review_mode"}, {"records_in_review", std::to_string(usage.records_in_review)}});
      }
      before_json = ToJson(SettingsToProto(*existing, usage));
    }

    // DATETIME(6) keeps microseconds, so the response shows what a later read returns.
    absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    if (existing) {
      ASSIGN_OR_RETURN(bool updated, Repository::UpdateSettings(s, submitted, existing->version, now));
      if (!updated) return StaleVersion(kTargetType, target_id);
      submitted.version = existing->version + 1;
      submitted.created_at = existing->created_at;
    } else {
      absl::Status inserted = Repository::InsertSettings(s, submitted, now);
      if (db::IsDuplicateKey(inserted)) return StaleVersion(kTargetType, target_id);
      RETURN_IF_ERROR(inserted);
      submitted.version = 1;
      submitted.created_at = now;
    }
    submitted.updated_at = now;
    *response = SettingsToProto(submitted, usage);

    AuditRecord entry;
    entry.occurred_at = now;
    entry.actor_user_id = info.principal->user_id();
    entry.actor_username = info.principal->username();
    entry.actor_kind = info.principal->kind();
    entry.school_id = school_id;
    entry.action = existing ? "SIGNING_SETTINGS_UPDATED" : "SIGNING_SETTINGS_SUBMITTED";
    entry.target_type = kTargetType;
    entry.target_id = target_id;
    entry.before_json = before_json;
    entry.after_json = ToJson(*response);
    entry.request_id = request.request_id();
    entry.trace_id = info.trace_id;
    entry.peer = info.peer;
    return Repository::InsertAudit(s, entry);
  });
}

}  // namespace quxiang::signing

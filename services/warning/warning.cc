#include "services/warning/warning.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"

namespace quxiang::warning {
namespace {

using common::v1::Access;
using identity::Principal;

constexpr int kMaxPageSize = 100;
constexpr int kDefaultPageSize = 20;
// The width of idempotency_keys.request_id.
constexpr size_t kMaxRequestIdLength = 128;
constexpr char kTargetType[] = "warning_mark";

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

absl::Status MarkNotFound() {
  return NotFound("WARNING_MARK_NOT_FOUND", "预警单位标记不存在或已被删除，请刷新列表后重试。");
}

// School users of `school_id` with at least `minimum` on 基本信息和就业信息; returns the school's
// id. The guide gives 预警单位管理 to school users only, so department users are rejected whatever
// their grants. Checked before any lookup, so another school's ids get the same error whether
// or not they exist.
absl::StatusOr<int64_t> AuthorizeSchoolUser(const RequestInfo& info, const std::string& school_id, Access minimum) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "预警单位管理仅对学校用户开放，院系用户无此功能。");
  }
  if (caller.kind() != common::v1::PRINCIPAL_KIND_SCHOOL) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "预警单位管理仅对学校用户开放。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, minimum));
  int64_t id = 0;
  if (!ParseId(school_id, &id)) return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
  return id;
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

absl::Status ValidateCategory(v1::WarningCategory category) {
  if (category == v1::WARNING_CATEGORY_UNSPECIFIED) {
    return InvalidArgument("WARNING_CATEGORY_REQUIRED", "请选择预警类型：违规单位、虚假单位、就业歧视、虚假宣传或其他。",
                           {{"field", "category"}});
  }
  if (!v1::WarningCategory_IsValid(category)) {
    return InvalidArgument("INVALID_WARNING_CATEGORY",
                           "预警类型无效，只能是违规单位、虚假单位、就业歧视、虚假宣传或其他。",
                           {{"field", "category"}, {"value", std::to_string(static_cast<int>(category))}});
  }
  return absl::OkStatus();
}

absl::Status ValidateNote(const std::string& note) {
  int characters = CountCharacters(note);
  if (characters > kMaxNoteCharacters) {
    return InvalidArgument("NOTE_TOO_LONG",
                           absl::StrCat("备注不能超过 ", kMaxNoteCharacters, " 个字，当前为 ", characters,
                                        " 个字，请删减后重试。"),
                           {{"field", "note"}, {"length", std::to_string(characters)}});
  }
  return absl::OkStatus();
}

absl::Status ValidateEmployerName(const std::string& name) {
  int characters = CountCharacters(name);
  if (characters > kMaxEmployerNameCharacters) {
    return InvalidArgument("EMPLOYER_NAME_TOO_LONG",
                           absl::StrCat("单位名称不能超过 ", kMaxEmployerNameCharacters, " 个字，当前为 ", characters,
                                        " 个字。"),
                           {{"field", "employer_name"}, {"length", std::to_string(characters)}});
  }
  return absl::OkStatus();
}

absl::Status ValidatePage(int32_t page, int32_t page_size) {
  if (page < 0 || page_size < 0) {
    return InvalidArgument("INVALID_PAGE", "页码和每页条数不能为负数。", {{"field", page < 0 ? "page" : "page_size"}});
  }
  return absl::OkStatus();
}

// Returns the school whose marks a LookupWarnings caller sees (0 for none), or the error that
// rejects the caller.
absl::StatusOr<int64_t> LookupScope(const RequestInfo& info, const std::string& requested_school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  int64_t school_id = 0;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_SERVICE && caller.claims().service_name() == "signing") {
    // The signing service shows the alerts on the pages of one school's staff and graduates.
    if (!ParseId(requested_school_id, &school_id)) {
      return InvalidArgument("SCHOOL_ID_REQUIRED", "服务查询预警单位时必须指定学校编号（school_id）。",
                             {{"field", "school_id"}});
    }
    return school_id;
  }
  if (!requested_school_id.empty()) {
    return PermissionDenied("SCHOOL_ID_NOT_ALLOWED", "只能查询本人所在学校的预警信息，请不要指定学校编号（school_id）。");
  }
  switch (caller.kind()) {
    case common::v1::PRINCIPAL_KIND_SCHOOL:
    case common::v1::PRINCIPAL_KIND_DEPARTMENT:
      // Reviewers see alerts on review pages, which need at least 只读.
      RETURN_IF_ERROR(
          identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_ONLY));
      ParseId(caller.school_id(), &school_id);
      return school_id;
    case common::v1::PRINCIPAL_KIND_GRADUATE:
      // A graduate sees its own school's marks; the school comes from the token.
      ParseId(caller.school_id(), &school_id);
      return school_id;
    case common::v1::PRINCIPAL_KIND_OPERATOR:
    case common::v1::PRINCIPAL_KIND_PROVINCE:
      return int64_t{0};
    case common::v1::PRINCIPAL_KIND_EMPLOYER:
      return PermissionDenied("EMPLOYERS_NOT_ALLOWED", "用人单位账号不能查询预警单位信息。");
    default:
      return PermissionDenied("PRINCIPAL_KIND_NOT_ALLOWED", "当前账号类型无权查询预警单位信息。",
                              {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
}

// Builds the platform-wide alert of `alert`: the school count and every category some school chose.
v1::PlatformWideAlert PlatformWideAlertOf(const AlertRow& alert) {
  v1::PlatformWideAlert platform_wide;
  platform_wide.set_school_count(static_cast<int32_t>(alert.school_count));
  for (int i = 0; i < kCategoryCount; ++i) {
    if (alert.category_counts[i] > 0) platform_wide.add_categories(static_cast<v1::WarningCategory>(i + 1));
  }
  return platform_wide;
}

}  // namespace

v1::WarningMark MarkToProto(const MarkRecord& mark) {
  v1::WarningMark proto;
  proto.set_id(std::to_string(mark.id));
  proto.set_school_id(std::to_string(mark.school_id));
  proto.set_credit_code(mark.credit_code);
  proto.set_employer_name(mark.employer_name);
  proto.set_category(static_cast<v1::WarningCategory>(mark.category));
  proto.set_note(mark.note);
  proto.set_created_by(mark.created_by);
  *proto.mutable_created_at() = ToTimestamp(mark.created_at);
  *proto.mutable_updated_at() = ToTimestamp(mark.updated_at);
  proto.set_etag(std::to_string(mark.version));
  return proto;
}

Warnings::Warnings(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

absl::Status Warnings::Mutate(const RequestInfo& info, const std::string& request_id,
                              const google::protobuf::Message& request, google::protobuf::Message* response,
                              const std::function<absl::Status(db::Session&)>& work) {
  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request_id;
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, work);
}

absl::Status Warnings::Audit(db::Session& s, const RequestInfo& info, int64_t school_id, const std::string& action,
                             const std::string& mark_id, const std::string& request_id,
                             const std::string& before_json, const std::string& after_json) {
  AuditRecord entry;
  entry.occurred_at = clock_.Now();
  entry.actor_user_id = info.principal->user_id();
  entry.actor_username = info.principal->username();
  entry.actor_kind = info.principal->kind();
  entry.school_id = school_id;
  entry.action = action;
  entry.target_type = kTargetType;
  entry.target_id = mark_id;
  entry.before_json = before_json;
  entry.after_json = after_json;
  entry.request_id = request_id;
  entry.trace_id = info.trace_id;
  entry.peer = info.peer;
  return Repository::InsertAudit(s, entry);
}

absl::Status Warnings::CreateWarningMark(const RequestInfo& info, const v1::CreateWarningMarkRequest& request,
                                         v1::WarningMark* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_WRITE));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  // Spaces around a pasted code are dropped, but spaces inside it stay invalid.
  std::string credit_code(absl::StripAsciiWhitespace(request.credit_code()));
  RETURN_IF_ERROR(validation::ValidateCreditCode(credit_code));
  RETURN_IF_ERROR(ValidateCategory(request.category()));
  std::string employer_name(absl::StripAsciiWhitespace(request.employer_name()));
  RETURN_IF_ERROR(ValidateEmployerName(employer_name));
  RETURN_IF_ERROR(ValidateNote(request.note()));

  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    // DATETIME(6) keeps microseconds, so the response shows what a later read returns.
    absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    MarkRecord mark;
    mark.school_id = school_id;
    mark.credit_code = credit_code;
    mark.employer_name = employer_name;
    mark.category = request.category();
    mark.note = request.note();
    mark.created_by_user_id = info.principal->user_id();
    mark.created_by = info.principal->username();
    auto id = Repository::InsertMark(s, mark, now);
    if (db::IsDuplicateKey(id.status())) {
      return AlreadyExists("WARNING_MARK_EXISTS",
                           absl::StrCat("本校已将统一社会信用代码为 ", credit_code,
                                        " 的单位标记为预警单位，每个单位只能标记一次。如需修改预警类型或备注，"
                                        "请编辑已有的标记。"),
                           {{"field", "credit_code"}, {"value", credit_code}});
    }
    RETURN_IF_ERROR(id.status());
    mark.id = *id;
    mark.created_at = mark.updated_at = now;
    // The aggregate changes in this transaction, after the unique key has let this mark in, so
    // school_count counts each school once.
    RETURN_IF_ERROR(Repository::AddToAggregate(s, credit_code, mark.category, now));
    *response = MarkToProto(mark);
    return Audit(s, info, school_id, "WARNING_MARK_CREATED", response->id(), request.request_id(), "",
                 ToJson(*response));
  });
}

absl::Status Warnings::UpdateWarningMark(const RequestInfo& info, const v1::UpdateWarningMarkRequest& request,
                                         v1::WarningMark* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_WRITE));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  int64_t mark_id = 0;
  if (!ParseId(request.mark_id(), &mark_id)) return MarkNotFound();
  if (request.etag().empty()) {
    return InvalidArgument("ETAG_REQUIRED", "请求缺少版本号（etag），请刷新页面后重试。", {{"field", "etag"}});
  }
  bool change_category = request.category() != v1::WARNING_CATEGORY_UNSPECIFIED;
  if (change_category) RETURN_IF_ERROR(ValidateCategory(request.category()));
  if (request.has_note()) RETURN_IF_ERROR(ValidateNote(request.note()));

  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto mark, Repository::FindMark(s, school_id, mark_id, /*for_update=*/true));
    if (!mark) return MarkNotFound();
    if (request.etag() != std::to_string(mark->version)) return StaleVersion(kTargetType, request.mark_id());
    std::string before = ToJson(MarkToProto(*mark));

    absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    MarkRecord changed = *mark;
    if (change_category) changed.category = request.category();
    if (request.has_note()) changed.note = request.note();
    ASSIGN_OR_RETURN(bool updated, Repository::UpdateMark(s, changed, mark->version, now));
    if (!updated) return StaleVersion(kTargetType, request.mark_id());
    if (changed.category != mark->category) {
      RETURN_IF_ERROR(Repository::MoveAggregateCategory(s, mark->credit_code, mark->category, changed.category, now));
    }
    changed.version = mark->version + 1;
    changed.updated_at = now;
    *response = MarkToProto(changed);
    return Audit(s, info, school_id, "WARNING_MARK_UPDATED", request.mark_id(), request.request_id(), before,
                 ToJson(*response));
  });
}

absl::Status Warnings::DeleteWarningMark(const RequestInfo& info, const v1::DeleteWarningMarkRequest& request,
                                         v1::DeleteWarningMarkResponse* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_WRITE));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  int64_t mark_id = 0;
  if (!ParseId(request.mark_id(), &mark_id)) return MarkNotFound();
  if (request.etag().empty()) {
    return InvalidArgument("ETAG_REQUIRED", "请求缺少版本号（etag），请刷新页面后重试。", {{"field", "etag"}});
  }

  return Mutate(info, request.request_id(), request, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto mark, Repository::FindMark(s, school_id, mark_id, /*for_update=*/true));
    if (!mark) return MarkNotFound();
    if (request.etag() != std::to_string(mark->version)) return StaleVersion(kTargetType, request.mark_id());
    ASSIGN_OR_RETURN(bool deleted, Repository::DeleteMark(s, school_id, mark_id, mark->version));
    if (!deleted) return StaleVersion(kTargetType, request.mark_id());
    // Falling below kPlatformWideSchoolCount withdraws the platform-wide alert, because lookups
    // read school_count.
    RETURN_IF_ERROR(Repository::RemoveFromAggregate(s, mark->credit_code, mark->category, clock_.Now()));
    response->set_mark_id(request.mark_id());
    return Audit(s, info, school_id, "WARNING_MARK_DELETED", request.mark_id(), request.request_id(),
                 ToJson(MarkToProto(*mark)), "");
  });
}

absl::Status Warnings::ListWarningMarks(const RequestInfo& info, const v1::ListWarningMarksRequest& request,
                                        v1::ListWarningMarksResponse* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  if (request.category() != v1::WARNING_CATEGORY_UNSPECIFIED) RETURN_IF_ERROR(ValidateCategory(request.category()));
  RETURN_IF_ERROR(ValidatePage(request.page(), request.page_size()));
  MarkFilter filter;
  filter.school_id = school_id;
  filter.category = request.category();
  filter.query = std::string(absl::StripAsciiWhitespace(request.query()));
  int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  int page = request.page() == 0 ? 1 : request.page();
  filter.limit = page_size;
  filter.offset = (page - 1) * page_size;

  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t total, Repository::CountMarks(s, filter));
    ASSIGN_OR_RETURN(auto marks, Repository::ListMarks(s, filter));
    response->Clear();
    for (const auto& mark : marks) *response->add_marks() = MarkToProto(mark);
    response->set_total_size(static_cast<int32_t>(total));
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  });
}

absl::Status Warnings::GetWarningMark(const RequestInfo& info, const v1::GetWarningMarkRequest& request,
                                      v1::WarningMark* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  int64_t mark_id = 0;
  if (!ParseId(request.mark_id(), &mark_id)) return MarkNotFound();
  ASSIGN_OR_RETURN(auto mark, pool_.Read<std::optional<MarkRecord>>(info.deadline, [&](db::Session& s) {
    return Repository::FindMark(s, school_id, mark_id);
  }));
  // Another school's mark is looked up by (school, id) too, so it returns the same error as a
  // missing one.
  if (!mark) return MarkNotFound();
  *response = MarkToProto(*mark);
  return absl::OkStatus();
}

absl::Status Warnings::LookupWarnings(const RequestInfo& info, const v1::LookupWarningsRequest& request,
                                      v1::LookupWarningsResponse* response) {
  ASSIGN_OR_RETURN(int64_t own_school_id, LookupScope(info, request.school_id()));
  if (request.credit_codes_size() > kMaxLookupCodes) {
    return InvalidArgument("TOO_MANY_CREDIT_CODES",
                           absl::StrCat("一次最多查询 ", kMaxLookupCodes, " 个统一社会信用代码，本次为 ",
                                        request.credit_codes_size(), " 个，请分批查询。"),
                           {{"field", "credit_codes"}, {"count", std::to_string(request.credit_codes_size())}});
  }

  // Invalid codes cannot have been marked, so they are left out rather than rejected: a page
  // that shows many employers still gets the alerts of the valid ones.
  std::vector<std::string> codes;
  std::unordered_set<std::string> seen;
  for (const std::string& raw : request.credit_codes()) {
    std::string code(absl::StripAsciiWhitespace(raw));
    if (validation::IsValidCreditCode(code) && seen.insert(code).second) codes.push_back(std::move(code));
  }
  response->Clear();
  if (codes.empty()) return absl::OkStatus();

  ASSIGN_OR_RETURN(auto alerts, pool_.Read<std::vector<AlertRow>>(info.deadline, [&](db::Session& s) {
    return Repository::FindAlerts(s, own_school_id, codes, kPlatformWideSchoolCount);
  }));
  std::unordered_map<std::string, const AlertRow*> by_code;
  for (const auto& alert : alerts) by_code.emplace(alert.credit_code, &alert);

  for (const std::string& code : codes) {
    auto found = by_code.find(code);
    if (found == by_code.end()) continue;
    const AlertRow& alert = *found->second;
    v1::EmployerWarning* warning = response->add_warnings();
    warning->set_credit_code(code);
    if (alert.own_mark) {
      v1::OwnSchoolMark* own = warning->mutable_own_school_mark();
      own->set_mark_id(std::to_string(alert.own_mark->id));
      own->set_category(static_cast<v1::WarningCategory>(alert.own_mark->category));
      own->set_note(alert.own_mark->note);
      own->set_employer_name(alert.own_mark->employer_name);
    }
    // Below the threshold the row is returned only because of the own mark. The school count
    // stays hidden then, because it would reveal that other schools marked the employer.
    if (alert.school_count >= kPlatformWideSchoolCount) *warning->mutable_platform_wide() = PlatformWideAlertOf(alert);
  }
  return absl::OkStatus();
}

}  // namespace quxiang::warning

#include "services/signing/offline_signing.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/signing/list_export.h"
#include "libs/validation/validation.h"
#include "spdlog/spdlog.h"

namespace quxiang::signing {
namespace {

using identity::Principal;

constexpr size_t kMaxRequestIdLength = 128;
constexpr int kDefaultPageSize = 10;
constexpr int kMaxPageSize = 100;
constexpr char kTargetType[] = "offline_agreement";

// phase values.
constexpr char kPhaseAgreement[] = "AGREEMENT";
constexpr char kPhaseSigning[] = "SIGNING";

// Every column of offline_agreements, in the order RowToRecord reads them.
constexpr char kColumns[] =
    "id, school_id, class_year, graduate_id, graduate_name, student_number, department, employer_name, "
    "employer_credit_code, employer_nature_code, employer_industry_code, employer_location_code, employer_address, "
    "contact_name, contact_phone, position, work_location, salary, other_terms, phase, review_state, review_stage, "
    "reason_code, reason_detail, agreement_number, scan_file_id, scan_file_name, scan_content_type, "
    "scan_size_bytes, scan_uploaded_at, version, created_at, updated_at";
// The number of columns in kColumns.
constexpr int kColumnCount = 33;

struct OfflineRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  int class_year = 0;
  int64_t graduate_id = 0;
  std::string graduate_name;
  std::string student_number;
  std::string department;
  v1::OfflineEmployer employer;
  v1::OfflineAgreementTerms terms;
  std::string phase;
  std::string review_state;
  std::string review_stage;
  std::string reason_code;
  std::string reason_detail;
  std::string agreement_number;
  std::optional<std::string> scan_file_id;
  std::string scan_file_name;
  std::string scan_content_type;
  int64_t scan_size_bytes = 0;
  std::optional<absl::Time> scan_uploaded_at;
  int64_t version = 0;
  absl::Time created_at;
  absl::Time updated_at;

  bool in_signing_phase() const { return phase == kPhaseSigning; }
};

OfflineRecord RowToRecord(const db::Row& row) {
  OfflineRecord r;
  r.id = row.Int64(0);
  r.school_id = row.Int64(1);
  r.class_year = static_cast<int>(row.Int64(2));
  r.graduate_id = row.Int64(3);
  r.graduate_name = row.String(4);
  r.student_number = row.String(5);
  r.department = row.String(6);
  r.employer.set_name(row.String(7));
  r.employer.set_credit_code(row.String(8));
  r.employer.set_nature_code(row.String(9));
  r.employer.set_industry_code(row.String(10));
  r.employer.set_location_code(row.String(11));
  r.employer.set_address(row.String(12));
  r.employer.set_contact_name(row.String(13));
  r.employer.set_contact_phone(row.String(14));
  r.terms.set_position(row.String(15));
  r.terms.set_work_location(row.String(16));
  r.terms.set_salary(row.String(17));
  r.terms.set_other_terms(row.String(18));
  r.phase = row.String(19);
  r.review_state = row.String(20);
  r.review_stage = row.String(21);
  r.reason_code = row.String(22);
  r.reason_detail = row.String(23);
  r.agreement_number = row.String(24);
  r.scan_file_id = row.OptionalString(25);
  r.scan_file_name = row.String(26);
  r.scan_content_type = row.String(27);
  r.scan_size_bytes = row.Int64(28);
  if (!row.IsNull(29)) r.scan_uploaded_at = row.Time(29);
  r.version = row.Int64(30);
  r.created_at = row.Time(31);
  r.updated_at = row.Time(32);
  return r;
}

absl::StatusOr<std::optional<OfflineRecord>> FindRecord(db::Session& s, int64_t id, bool for_update) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT ", kColumns, " FROM offline_agreements WHERE id = ?",
                                                     for_update ? " FOR UPDATE" : ""),
                                        {id}));
  if (!row) return std::optional<OfflineRecord>();
  return std::optional<OfflineRecord>(RowToRecord(*row));
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

// Beijing time has had no daylight saving time since 1991, so a fixed offset needs no tzdata.
absl::TimeZone Beijing() { return absl::FixedTimeZone(8 * 60 * 60); }

std::string BeijingDate(absl::Time time) { return absl::FormatTime("%Y-%m-%d", time, Beijing()); }

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

bool ParseId(const std::string& text, int64_t* id) { return absl::SimpleAtoi(text, id) && *id > 0; }

absl::Status NotLoggedIn() { return Unauthenticated("MISSING_TOKEN", "请先登录。"); }

absl::Status AgreementNotFound() {
  return NotFound("OFFLINE_AGREEMENT_NOT_FOUND", "线下签约申请不存在或无权查看，请刷新列表后重试。");
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

// The version the client saw; a missing or malformed etag is INVALID_ARGUMENT.
absl::StatusOr<int64_t> ParseEtag(const std::string& etag) {
  int64_t version = 0;
  if (!ParseId(etag, &version)) {
    return InvalidArgument("ETAG_REQUIRED", "请求缺少有效的版本号（etag），请刷新后重试。", {{"field", "etag"}});
  }
  return version;
}

db::IdempotencyKey KeyFor(const RequestInfo& info, const std::string& request_id,
                          const google::protobuf::Message& request) {
  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request_id;
  key.request_fingerprint = db::Fingerprint(request);
  return key;
}

// Escapes LIKE wildcards so that a search term matches literally, as a prefix.
std::string LikePrefix(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"%", "\\%"}, {"_", "\\_"}}) + "%";
}

// The number of Unicode code points of UTF-8 `text`.
size_t CharacterCount(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

review::ReviewContext ContextOf(const SettingsRecord& settings) {
  review::ReviewContext context;
  context.mode = settings.review_mode == v1::REVIEW_MODE_DEPARTMENT_THEN_SCHOOL
                     ? review::ReviewMode::kDepartmentThenSchool
                     : review::ReviewMode::kSchoolOnly;
  context.agreement_type = settings.agreement_type == accounts::v1::AGREEMENT_TYPE_TWO_PARTY
                               ? review::AgreementType::kTwoParty
                               : review::AgreementType::kThreeParty;
  return context;
}

v1::ReviewStage StageToProto(const std::string& stage) {
  if (stage == review::StageName(review::Stage::kDepartment)) return v1::REVIEW_STAGE_DEPARTMENT;
  if (stage == review::StageName(review::Stage::kSchool)) return v1::REVIEW_STAGE_SCHOOL;
  return v1::REVIEW_STAGE_UNSPECIFIED;
}

const review::FlowDefinition& FlowOf(const OfflineRecord& r) {
  return r.in_signing_phase() ? OfflineSigningFlow() : OfflineAgreementFlow();
}

std::string StateColumn(review::State state) { return std::string(review::StateName(state)); }

// The public message of a record; the signing review's words follow `agreement_type`.
v1::OfflineAgreement ToProto(const OfflineRecord& r, review::AgreementType agreement_type) {
  v1::OfflineAgreement out;
  out.set_id(std::to_string(r.id));
  out.set_school_id(std::to_string(r.school_id));
  out.set_class_year(r.class_year);
  out.set_graduate_id(std::to_string(r.graduate_id));
  out.set_graduate_name(r.graduate_name);
  out.set_student_number(r.student_number);
  out.set_department(r.department);
  *out.mutable_employer() = r.employer;
  *out.mutable_terms() = r.terms;
  out.set_reason_code(r.reason_code);
  out.set_reason_detail(r.reason_detail);
  out.set_agreement_number(r.agreement_number);
  if (r.scan_file_id) {
    v1::StampedScan* scan = out.mutable_stamped_scan();
    scan->set_file_name(r.scan_file_name);
    scan->set_content_type(r.scan_content_type);
    scan->set_size_bytes(r.scan_size_bytes);
    if (r.scan_uploaded_at) *scan->mutable_uploaded_at() = ToTimestamp(*r.scan_uploaded_at);
  }
  *out.mutable_created_at() = ToTimestamp(r.created_at);
  *out.mutable_updated_at() = ToTimestamp(r.updated_at);
  out.set_etag(std::to_string(r.version));

  const bool signing = r.in_signing_phase();
  out.set_phase(signing ? v1::OFFLINE_REVIEW_PHASE_SIGNING : v1::OFFLINE_REVIEW_PHASE_AGREEMENT);
  const std::string verb = review::ReviewVerb(FlowOf(r), agreement_type);
  out.set_review_verb(verb);
  const std::string pending = StateColumn(review::State::kPending);
  if (r.review_state == pending) {
    out.set_review_stage(StageToProto(r.review_stage));
    const char* level = out.review_stage() == v1::REVIEW_STAGE_DEPARTMENT ? "学院" : "学校";
    out.set_state(signing ? v1::OFFLINE_AGREEMENT_STATE_SIGNING_REVIEW : v1::OFFLINE_AGREEMENT_STATE_AGREEMENT_REVIEW);
    out.set_status_text(signing ? absl::StrCat("签约", verb, "中，等待", level, verb)
                                : absl::StrCat("就业协议审核中，等待", level, "审核"));
  } else if (r.review_state == StateColumn(review::State::kReturned)) {
    out.set_state(signing ? v1::OFFLINE_AGREEMENT_STATE_SIGNING_RETURNED
                          : v1::OFFLINE_AGREEMENT_STATE_AGREEMENT_RETURNED);
    out.set_status_text(signing ? "签约退回修改" : "就业协议退回修改");
  } else if (r.review_state == StateColumn(review::State::kWithdrawn)) {
    out.set_state(signing ? v1::OFFLINE_AGREEMENT_STATE_SIGNING_WITHDRAWN
                          : v1::OFFLINE_AGREEMENT_STATE_AGREEMENT_WITHDRAWN);
    out.set_status_text(signing ? "签约已撤回，等待重新上传盖章协议" : "就业协议已撤回");
  } else if (r.review_state == StateColumn(review::State::kRejected)) {
    out.set_state(signing ? v1::OFFLINE_AGREEMENT_STATE_SIGNING_REJECTED
                          : v1::OFFLINE_AGREEMENT_STATE_AGREEMENT_REJECTED);
    out.set_status_text(signing ? absl::StrCat("签约", verb, "不通过") : "就业协议审核不通过");
  } else if (r.review_state == StateColumn(review::State::kApproved)) {
    out.set_state(signing ? v1::OFFLINE_AGREEMENT_STATE_SIGNED : v1::OFFLINE_AGREEMENT_STATE_AWAITING_UPLOAD);
    out.set_status_text(signing ? "签约完成" : "就业协议审核通过，等待上传盖章协议");
  } else if (r.review_state == StateColumn(review::State::kVoided)) {
    out.set_state(v1::OFFLINE_AGREEMENT_STATE_VOIDED);
    out.set_status_text("已作废");
  }
  return out;
}

absl::StatusOr<SettingsRecord> RequireOnlineSettings(db::Session& s, int64_t school_id, int class_year,
                                                     bool for_update) {
  ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(s, school_id, class_year, for_update));
  ErrorMetadata metadata = {{"school_id", std::to_string(school_id)}, {"class_year", std::to_string(class_year)}};
  if (!settings) {
    return FailedPrecondition(
        "SETTINGS_NOT_SUBMITTED",
        absl::StrCat("学校尚未提交 ", class_year, " 届的签约设置，暂时不能申请电子就业协议，请联系学校就业部门。"), metadata);
  }
  if (!settings->online_signing_enabled) {
    return FailedPrecondition(
        "ONLINE_SIGNING_DISABLED",
        absl::StrCat("学校未开启 ", class_year, " 届的在线签约，暂时不能申请电子就业协议，请联系学校就业部门。"), metadata);
  }
  return *settings;
}

// The agreement type of a school and class for display; 三方协议 when no settings exist.
review::AgreementType DisplayAgreementType(db::Session& s, int64_t school_id, int class_year) {
  auto settings = Repository::FindSettings(s, school_id, class_year);
  if (!settings.ok() || !*settings) return review::AgreementType::kThreeParty;
  return ContextOf(**settings).agreement_type;
}

// The agreement types of the classes on one page, read once per school and class.
class AgreementTypes {
 public:
  explicit AgreementTypes(db::Session& s) : session_(s) {}

  review::AgreementType Of(const OfflineRecord& record) {
    auto key = std::make_pair(record.school_id, record.class_year);
    auto it = types_.find(key);
    if (it == types_.end()) {
      it = types_.emplace(key, DisplayAgreementType(session_, record.school_id, record.class_year)).first;
    }
    return it->second;
  }

 private:
  db::Session& session_;
  std::map<std::pair<int64_t, int>, review::AgreementType> types_;
};

// Whether a call that failed with `status` may still have taken effect at the callee.
bool OutcomeUnknown(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

// Maps sync's rejection of a claim to a message for the graduate.
absl::Status ClaimRefused(const absl::Status& status) {
  if (ErrorReason(status) == "GRADUATE_HELD") {
    return FailedPrecondition("GRADUATE_HELD",
                              "您已有进行中或已生效的签约、补登或去向登记，不能再提交电子就业协议申请。如需更换，请先办理解约或作废。");
  }
  return status;
}

LedgerCall LedgerCallFor(const OfflineRecord& r, absl::string_view step, int64_t version) {
  LedgerCall call;
  call.flow = LedgerFlow::kOfflineAgreement;
  call.request_id = absl::StrCat("signing.offline/", r.id, "/", step, "/", version);
  call.school_id = r.school_id;
  call.graduate_id = r.graduate_id;
  call.record_id = std::to_string(r.id);
  return call;
}

absl::Status CheckLength(const std::string& value, size_t max_characters, bool required, const char* field,
                         const char* label) {
  if (required && absl::StripAsciiWhitespace(value).empty()) {
    return InvalidArgument("FIELD_REQUIRED", absl::StrCat("请填写", label, "。"), {{"field", field}});
  }
  if (CharacterCount(value) > max_characters) {
    return InvalidArgument("FIELD_TOO_LONG", absl::StrCat(label, "不能超过 ", max_characters, " 个字符，请精简后重新提交。"),
                           {{"field", field}});
  }
  return absl::OkStatus();
}

// A code of 1 to 16 digits; the code tables of sync hold only such codes.
absl::Status CheckCode(const std::string& code, const char* field, const char* label) {
  if (code.empty()) return InvalidArgument("FIELD_REQUIRED", absl::StrCat("请选择", label, "。"), {{"field", field}});
  if (code.size() > 16 || !std::all_of(code.begin(), code.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return InvalidArgument("INVALID_CODE", absl::StrCat(label, "无效，请从列表中重新选择。"),
                           {{"field", field}, {"value", code}});
  }
  return absl::OkStatus();
}

// Checks what the graduate filled in, except that the codes are checked for their form only
// (CheckEmployerCodes checks them against sync's code tables).
absl::Status ValidateContent(const v1::OfflineEmployer& employer, const v1::OfflineAgreementTerms& terms) {
  RETURN_IF_ERROR(CheckLength(employer.name(), 100, true, "employer.name", "单位名称"));
  RETURN_IF_ERROR(validation::ValidateCreditCode(employer.credit_code(), "employer.credit_code"));
  RETURN_IF_ERROR(CheckCode(employer.nature_code(), "employer.nature_code", "单位性质"));
  RETURN_IF_ERROR(CheckCode(employer.industry_code(), "employer.industry_code", "单位行业"));
  RETURN_IF_ERROR(CheckCode(employer.location_code(), "employer.location_code", "单位所在地"));
  RETURN_IF_ERROR(CheckLength(employer.address(), 200, true, "employer.address", "单位地址"));
  RETURN_IF_ERROR(CheckLength(employer.contact_name(), 50, true, "employer.contact_name", "单位联系人"));
  RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(employer.contact_phone(), "employer.contact_phone"));
  RETURN_IF_ERROR(CheckLength(terms.position(), 100, true, "terms.position", "工作岗位"));
  RETURN_IF_ERROR(CheckLength(terms.work_location(), 100, true, "terms.work_location", "工作地点"));
  RETURN_IF_ERROR(CheckLength(terms.salary(), 100, false, "terms.salary", "薪酬待遇"));
  RETURN_IF_ERROR(CheckLength(terms.other_terms(), 2000, false, "terms.other_terms", "其他约定"));
  return absl::OkStatus();
}

// Checks the employer's nature and industry codes against the code tables of `class_year` in
// sync, and its location code (an administrative division) by its province in the province table,
// which lists provinces only.
absl::Status CheckEmployerCodes(FlowPeers& peers, absl::Time deadline, int class_year,
                                const v1::OfflineEmployer& employer) {
  struct Check {
    const char* table;
    std::string code;
    const char* field;
    const char* label;
  };
  const std::string& location = employer.location_code();
  const std::string province = location.size() == 6 ? location.substr(0, 2) + "0000" : location;
  const Check checks[] = {{"unit-natures", employer.nature_code(), "employer.nature_code", "单位性质"},
                          {"industries", employer.industry_code(), "employer.industry_code", "单位行业"},
                          {"provinces", province, "employer.location_code", "单位所在地"}};
  for (const Check& check : checks) {
    ASSIGN_OR_RETURN(std::set<std::string> codes, peers.CodeTableCodes(deadline, check.table, class_year));
    if (codes.count(check.code) == 0) {
      return InvalidArgument("INVALID_CODE", absl::StrCat(check.label, "代码无效，请从列表中重新选择。"),
                             {{"field", check.field}, {"value", check.code}});
    }
  }
  if (location.size() != 6) {
    return InvalidArgument("INVALID_CODE", "单位所在地代码应为 6 位行政区划代码，请从列表中重新选择。",
                           {{"field", "employer.location_code"}, {"value", location}});
  }
  return absl::OkStatus();
}

// The parameters of the content columns, in the order of kContentAssignments.
constexpr char kContentAssignments[] =
    "employer_name = ?, employer_credit_code = ?, employer_nature_code = ?, employer_industry_code = ?, "
    "employer_location_code = ?, employer_address = ?, contact_name = ?, contact_phone = ?, position = ?, "
    "work_location = ?, salary = ?, other_terms = ?";

std::vector<db::Param> ContentParams(const v1::OfflineEmployer& employer, const v1::OfflineAgreementTerms& terms) {
  return {employer.name(),         employer.credit_code(),   employer.nature_code(),   employer.industry_code(),
          employer.location_code(), employer.address(),       employer.contact_name(),  employer.contact_phone(),
          terms.position(),         terms.work_location(),    terms.salary(),           terms.other_terms()};
}

// The caller as the graduate `graduate_id` of `school_id`.
absl::Status RequireGraduateSelf(const RequestInfo& info, const std::string& school_id,
                                 const std::string& graduate_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_GRADUATE) {
    return PermissionDenied("GRADUATES_ONLY", "只有毕业生本人可以申请电子就业协议。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  if (caller.graduate_id() != graduate_id || caller.school_id() != school_id) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能办理本人的电子就业协议。");
  }
  return absl::OkStatus();
}

// The caller's own record `id_text` for a graduate; another graduate's or school's record is
// NOT_FOUND, as a missing one.
absl::StatusOr<OfflineRecord> FindOwn(db::Session& s, const Principal& caller, const std::string& school_id,
                                      const std::string& id_text, bool for_update) {
  int64_t id = 0;
  if (!ParseId(id_text, &id) || caller.school_id() != school_id) return AgreementNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, for_update));
  if (!record || std::to_string(record->graduate_id) != caller.graduate_id() ||
      std::to_string(record->school_id) != caller.school_id()) {
    return AgreementNotFound();
  }
  return *record;
}

struct StaffScope {
  int64_t school_id = 0;
  // Set for department users.
  std::string department;
};

absl::StatusOr<StaffScope> AuthorizeStaff(const RequestInfo& info, const std::string& school_id,
                                          identity::Access minimum) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (!caller.IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以管理线下签约。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, minimum));
  StaffScope scope;
  if (!ParseId(school_id, &scope.school_id)) {
    return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
  }
  if (caller.kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    if (caller.department_name().empty()) {
      return PermissionDenied("DEPARTMENT_NOT_SET", "院系账号未设置院系名称，请联系本校学校用户在账号管理中设置。");
    }
    scope.department = caller.department_name();
  }
  return scope;
}

// The record `id` of the staff member's school and department; another school's or department's
// record is NOT_FOUND, as a missing one.
absl::StatusOr<OfflineRecord> FindInScope(db::Session& s, const StaffScope& scope, const std::string& id_text) {
  int64_t id = 0;
  if (!ParseId(id_text, &id)) return AgreementNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/false));
  if (!record || record->school_id != scope.school_id) return AgreementNotFound();
  if (!scope.department.empty() && record->department != scope.department) return AgreementNotFound();
  return *record;
}

review::Actor StaffActor(const Principal& principal) {
  review::Actor actor = review::ActorFromPrincipal(principal, common::v1::MODULE_EMPLOYMENT);
  // Records carry the roster's department name, which department accounts carry too.
  actor.department_id = principal.department_name();
  return actor;
}

review::RecordSnapshot SnapshotOf(const OfflineRecord& r) {
  review::RecordSnapshot snapshot;
  snapshot.record_id = std::to_string(r.id);
  snapshot.state = review::ParseState(r.review_state).value_or(review::State::kPending);
  snapshot.stage = review::ParseStage(r.review_stage).value_or(review::Stage::kNone);
  snapshot.version = r.version;
  snapshot.school_id = std::to_string(r.school_id);
  snapshot.department_id = r.department;
  snapshot.applicant_id = std::to_string(r.graduate_id);
  return snapshot;
}

absl::Status InsertAudit(db::Session& s, const RequestInfo& info, int64_t school_id, int64_t record_id,
                         const std::string& before_json, const std::string& after_json, const std::string& action,
                         const std::string& request_id, absl::Time now) {
  AuditRecord entry;
  entry.occurred_at = now;
  entry.actor_user_id = info.principal->user_id();
  entry.actor_username = info.principal->username();
  entry.actor_kind = info.principal->kind();
  entry.school_id = school_id;
  entry.action = action;
  entry.target_type = kTargetType;
  entry.target_id = std::to_string(record_id);
  entry.before_json = before_json;
  entry.after_json = after_json;
  entry.request_id = request_id;
  entry.trace_id = info.trace_id;
  entry.peer = info.peer;
  return Repository::InsertAudit(s, entry);
}

// Sets employer_warned on `agreements`, all shown to staff or graduates of `school_id`, with one
// call to the warning service.
absl::Status MarkWarnedEmployers(FlowPeers& peers, absl::Time deadline, int64_t school_id,
                                 google::protobuf::RepeatedPtrField<v1::OfflineAgreement>* agreements) {
  std::vector<std::string> codes;
  for (const v1::OfflineAgreement& agreement : *agreements) codes.push_back(agreement.employer().credit_code());
  if (codes.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::set<std::string> warned, peers.WarnedEmployers(deadline, school_id, codes));
  for (v1::OfflineAgreement& agreement : *agreements) {
    agreement.set_employer_warned(warned.count(agreement.employer().credit_code()) > 0);
  }
  return absl::OkStatus();
}

// The graduate's eligibility for offline signing (roster, class open, training mode), as a
// FAILED_PRECONDITION with sync's reason and message.
absl::Status RequireEligible(FlowPeers& peers, absl::Time deadline, int64_t school_id, int64_t graduate_id) {
  ASSIGN_OR_RETURN(EligibilityInfo eligibility,
                   peers.CheckEligibility(deadline, school_id, graduate_id, LedgerFlow::kOfflineAgreement));
  if (eligibility.eligible) return absl::OkStatus();
  return FailedPrecondition(eligibility.reason.empty() ? "GRADUATE_NOT_ELIGIBLE" : eligibility.reason,
                            eligibility.message.empty() ? "您目前不能申请电子就业协议线下签约。" : eligibility.message,
                            {{"graduate_id", std::to_string(graduate_id)}});
}

}  // namespace

const review::FlowDefinition& OfflineAgreementFlow() {
  static const review::FlowDefinition* const kFlow = [] {
    auto* flow = new review::FlowDefinition;
    flow->name = "signing.offline_agreement";
    flow->module = common::v1::MODULE_EMPLOYMENT;
    // The guide calls the first review 就业协议审核 whatever the agreement type.
    flow->wording = review::Wording::kAlwaysReview;
    flow->allows_return = true;
    flow->allows_withdraw = true;
    flow->allows_modify = false;
    flow->allows_void = false;
    flow->reject_reasons = {
        {"GRADUATE_DATA_MISMATCH", "学生信息与学籍信息不一致"},
        {"EMPLOYER_DATA_INVALID", "单位信息有误"},
        {"AGREEMENT_TERMS_INVALID", "协议内容不符合要求"},
        {"OTHER", "其他原因"},
    };
    return flow;
  }();
  return *kFlow;
}

const review::FlowDefinition& OfflineSigningFlow() {
  static const review::FlowDefinition* const kFlow = [] {
    auto* flow = new review::FlowDefinition;
    flow->name = "signing.offline_signing";
    flow->module = common::v1::MODULE_EMPLOYMENT;
    flow->wording = review::Wording::kByAgreementType;
    flow->allows_return = true;
    flow->allows_withdraw = true;
    flow->allows_modify = false;
    flow->allows_void = true;
    flow->reject_reasons = {
        {"SCAN_UNREADABLE", "上传的协议图像不清晰或不完整"},
        {"STAMP_MISSING", "协议未加盖用人单位公章"},
        {"AGREEMENT_CONTENT_WRONG", "电子就业协议书信息有误"},
        {"OTHER", "其他原因"},
    };
    return flow;
  }();
  return *kFlow;
}

const review::RecordTable& OfflineAgreementTable() {
  static const review::RecordTable* const kTable = [] {
    auto* table = new review::RecordTable;
    table->table = "offline_agreements";
    return table;
  }();
  return *kTable;
}

absl::StatusOr<std::optional<RecordParties>> OfflineAgreementParties(db::Session& s, int64_t record_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT school_id, graduate_id, department FROM offline_agreements WHERE id = ?",
                                        {record_id}));
  if (!row) return std::optional<RecordParties>();
  return std::optional<RecordParties>(RecordParties{row->Int64(0), row->Int64(1), 0, row->String(2)});
}

OfflineSigning::OfflineSigning(db::Pool& pool, FlowPeers& peers, filestore::MySqlFileStore& files,
                               Agreements& agreements, const Clock& clock)
    : pool_(pool), peers_(peers), files_(files), agreements_(agreements), clock_(clock) {}

absl::Status OfflineSigning::CreateOfflineAgreement(const RequestInfo& info,
                                                    const v1::CreateOfflineAgreementRequest& request,
                                                    v1::OfflineAgreement* response) {
  RETURN_IF_ERROR(RequireGraduateSelf(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateContent(request.employer(), request.terms()));
  int64_t school_id = 0;
  int64_t graduate_id = 0;
  if (!ParseId(request.school_id(), &school_id) || !ParseId(request.graduate_id(), &graduate_id)) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能办理本人的电子就业协议。");
  }
  ASSIGN_OR_RETURN(GraduateInfo graduate, peers_.GetGraduate(info.deadline, school_id, graduate_id));
  RETURN_IF_ERROR(CheckEmployerCodes(peers_, info.deadline, graduate.class_year, request.employer()));
  // The local check runs first, so that a class without settings needs no call to sync.
  RETURN_IF_ERROR(pool_.Read<SettingsRecord>(info.deadline, [&](db::Session& s) {
                         return RequireOnlineSettings(s, school_id, graduate.class_year, false);
                       }).status());
  RETURN_IF_ERROR(RequireEligible(peers_, info.deadline, school_id, graduate_id));
  const absl::Time now = clock_.Now();

  std::optional<LedgerCall> claim;
  absl::Status status = db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(auto open, s.QueryOne("SELECT id FROM offline_agreements WHERE graduate_id = ? AND "
                                               "open_marker = 1 FOR UPDATE",
                                               {graduate_id}));
        if (open) {
          return AlreadyExists("OFFLINE_AGREEMENT_OPEN",
                               "您已有一份进行中的电子就业协议申请，请在原申请上修改后提交，或等待其审核结束。",
                               {{"agreement_id", open->String(0)}});
        }
        // MarkActed and EnterReview lock the usage row. A concurrent settings update cannot change
        // the review mode after that, so the settings read below returns the mode that applies.
        RETURN_IF_ERROR(SettingsUsage::MarkActed(s, school_id, graduate.class_year, now));
        RETURN_IF_ERROR(SettingsUsage::EnterReview(s, school_id, graduate.class_year));
        ASSIGN_OR_RETURN(SettingsRecord settings,
                         RequireOnlineSettings(s, school_id, graduate.class_year, /*for_update=*/true));
        const review::Transition submission = review::Submission(ContextOf(settings).mode);
        std::vector<db::Param> params = {school_id,       static_cast<int64_t>(graduate.class_year),
                                         graduate_id,     graduate.name,
                                         graduate.student_number, graduate.department};
        for (db::Param& param : ContentParams(request.employer(), request.terms())) params.push_back(std::move(param));
        params.push_back(std::string(kPhaseAgreement));
        params.push_back(StateColumn(submission.to_state));
        params.push_back(std::string(review::StageName(submission.to_stage)));
        params.push_back(now);
        params.push_back(now);
        RETURN_IF_ERROR(
            s.Execute("INSERT INTO offline_agreements (school_id, class_year, graduate_id, graduate_name, "
                      "student_number, department, employer_name, employer_credit_code, employer_nature_code, "
                      "employer_industry_code, employer_location_code, employer_address, contact_name, contact_phone, "
                      "position, work_location, salary, other_terms, phase, review_state, review_stage, open_marker, "
                      "version, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)",
                      params)
                .status());
        ASSIGN_OR_RETURN(int64_t id, s.LastInsertId());
        ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
        if (!record) return Internal("OFFLINE_AGREEMENT_VANISHED", "the inserted offline agreement was not found");

        claim = LedgerCallFor(*record, "claim", record->version);
        absl::Status claimed = peers_.ClaimGraduate(info.deadline, *claim);
        if (!claimed.ok()) {
          // A claim that timed out or met an unavailable sync may have been applied, so it is
          // released below like one that succeeded. A definite rejection needs no release.
          if (!OutcomeUnknown(claimed)) claim.reset();
          return ClaimRefused(claimed);
        }
        review::Actor actor = review::ActorFromPrincipal(*info.principal, common::v1::MODULE_EMPLOYMENT);
        RETURN_IF_ERROR(review::RecordSubmission(s, OfflineAgreementFlow(), actor, std::to_string(id), submission,
                                                 record->version, request.request_id(), now)
                            .status());
        *response = ToProto(*record, ContextOf(settings).agreement_type);
        return absl::OkStatus();
      });

  if (!status.ok() && claim) {
    // The claim succeeded (or may have) but the insert rolled back, so no record owns it. If
    // this process dies before the release, sync's stale-claim job releases the claim later,
    // because CheckOfflineClaims reports a record id that names no open agreement as not in
    // flight.
    LedgerCall release = *claim;
    release.request_id = absl::StrCat(claim->request_id, "/release");
    absl::Status released = peers_.ReleaseClaim(info.deadline, release);
    if (!released.ok()) {
      spdlog::error("releasing the claim of offline agreement {} of graduate {} failed: {} {}", claim->record_id,
                    graduate_id, ErrorReason(released), std::string(released.message()));
    }
  }
  return status;
}

namespace {

// The ledger and settings side effects of a graduate's resubmission or withdrawal, in its
// transaction: a withdrawal releases the claim and leaves the review flow, and resubmitting a
// withdrawn record claims the graduate again and enters it.
absl::Status AfterGraduateAction(db::Session& s, FlowPeers& peers, absl::Time deadline, const OfflineRecord& record,
                                 const review::AppliedAction& applied) {
  const review::Transition& t = applied.transition;
  if (t.released_graduate) {
    RETURN_IF_ERROR(peers.ReleaseClaim(deadline, LedgerCallFor(record, "release", applied.new_version)));
    RETURN_IF_ERROR(SettingsUsage::LeaveReview(s, record.school_id, record.class_year));
  }
  if (t.claims_graduate) {
    absl::Status claimed = peers.ClaimGraduate(deadline, LedgerCallFor(record, "claim", applied.new_version));
    if (!claimed.ok()) return ClaimRefused(claimed);
    RETURN_IF_ERROR(SettingsUsage::EnterReview(s, record.school_id, record.class_year));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OfflineSigning::UpdateOfflineAgreement(const RequestInfo& info,
                                                    const v1::UpdateOfflineAgreementRequest& request,
                                                    v1::OfflineAgreement* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  RETURN_IF_ERROR(RequireGraduateSelf(info, request.school_id(), caller.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kResubmit;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  RETURN_IF_ERROR(ValidateContent(request.employer(), request.terms()));
  int64_t school_id = 0;
  int64_t graduate_id = 0;
  if (!ParseId(caller.school_id(), &school_id) || !ParseId(caller.graduate_id(), &graduate_id)) {
    return AgreementNotFound();
  }
  ASSIGN_OR_RETURN(GraduateInfo graduate, peers_.GetGraduate(info.deadline, school_id, graduate_id));
  RETURN_IF_ERROR(CheckEmployerCodes(peers_, info.deadline, graduate.class_year, request.employer()));
  RETURN_IF_ERROR(RequireEligible(peers_, info.deadline, school_id, graduate_id));
  const review::Actor actor = review::ActorFromPrincipal(caller, common::v1::MODULE_EMPLOYMENT);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(OfflineRecord record,
                         FindOwn(s, caller, request.school_id(), request.agreement_id(), /*for_update=*/true));
        if (record.version != action.expected_version) return StaleVersion(kTargetType, request.agreement_id());
        if (record.in_signing_phase()) {
          return FailedPrecondition("AGREEMENT_ALREADY_APPROVED",
                                    "就业协议已审核通过，不能再修改协议信息。如协议信息有误，请在签约审核阶段上传情况说明。",
                                    {{"agreement_id", request.agreement_id()}});
        }
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OfflineAgreementTable(), OfflineAgreementFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) {
          RETURN_IF_ERROR(AfterGraduateAction(s, peers_, info.deadline, record, applied));
          std::vector<db::Param> params = ContentParams(request.employer(), request.terms());
          params.push_back(record.id);
          RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE offline_agreements SET ", kContentAssignments,
                                                 ", reason_code = '', reason_detail = '' WHERE id = ?"),
                                    params)
                              .status());
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, context.agreement_type);
        return absl::OkStatus();
      });
}

absl::Status OfflineSigning::WithdrawOfflineAgreement(const RequestInfo& info,
                                                      const v1::OfflineAgreementActionRequest& request,
                                                      v1::OfflineAgreement* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  RETURN_IF_ERROR(RequireGraduateSelf(info, request.school_id(), caller.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kWithdraw;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  const review::Actor actor = review::ActorFromPrincipal(caller, common::v1::MODULE_EMPLOYMENT);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(OfflineRecord record,
                         FindOwn(s, caller, request.school_id(), request.agreement_id(), /*for_update=*/true));
        ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(s, record.school_id, record.class_year));
        const review::ReviewContext context = settings ? ContextOf(*settings) : review::ReviewContext{};
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OfflineAgreementTable(), FlowOf(record), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterGraduateAction(s, peers_, info.deadline, record, applied));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, context.agreement_type);
        return absl::OkStatus();
      });
}

absl::Status OfflineSigning::UploadStampedAgreement(const RequestInfo& info,
                                                    const v1::UploadStampedAgreementRequest& request,
                                                    v1::OfflineAgreement* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_EMPLOYER) {
    return PermissionDenied("GRADUATES_ONLY",
                            "线下签约的盖章协议由毕业生本人上传。已注册的用人单位请通过线上签约发起签约邀请。");
  }
  RETURN_IF_ERROR(RequireGraduateSelf(info, request.school_id(), caller.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  const std::string file_name = request.scan().file_name().empty() ? "盖章协议" : request.scan().file_name();
  // Checked before anything else, so that a wrong or oversized file costs no call and no lock.
  RETURN_IF_ERROR(
      filestore::DetectFileType(request.scan().data(), filestore::SanitizeFileName(file_name),
                                files_.options().max_file_bytes)
          .status());
  int64_t school_id = 0;
  int64_t graduate_id = 0;
  if (!ParseId(caller.school_id(), &school_id) || !ParseId(caller.graduate_id(), &graduate_id)) {
    return AgreementNotFound();
  }
  RETURN_IF_ERROR(RequireEligible(peers_, info.deadline, school_id, graduate_id));
  const review::Actor actor = review::ActorFromPrincipal(caller, common::v1::MODULE_EMPLOYMENT);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(OfflineRecord record,
                         FindOwn(s, caller, request.school_id(), request.agreement_id(), /*for_update=*/true));
        if (record.version != expected_version) return StaleVersion(kTargetType, request.agreement_id());
        const std::string approved = StateColumn(review::State::kApproved);
        const bool first_upload = !record.in_signing_phase() && record.review_state == approved;
        const bool reupload = record.in_signing_phase() &&
                              (record.review_state == StateColumn(review::State::kReturned) ||
                               record.review_state == StateColumn(review::State::kWithdrawn));
        if (!first_upload && !reupload) {
          return FailedPrecondition("UPLOAD_NOT_ALLOWED",
                                    "只有就业协议审核通过、签约被退回修改或已撤回时才能上传盖章协议，请刷新后查看当前状态。",
                                    {{"agreement_id", request.agreement_id()}});
        }
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);

        filestore::NewFile file;
        file.school_id = record.school_id;
        file.record_type = kStampedScanRecordType;
        file.record_id = std::to_string(record.id);
        file.file_name = file_name;
        file.content = request.scan().data();
        file.created_by = caller.user_id();
        ASSIGN_OR_RETURN(filestore::StoredFile stored, files_.Put(s, file, now));

        if (first_upload) {
          const review::Transition submission = review::Submission(context.mode);
          ASSIGN_OR_RETURN(int64_t changed,
                           s.Execute("UPDATE offline_agreements SET phase = ?, review_state = ?, review_stage = ?, "
                                     "reason_code = '', reason_detail = '', version = version + 1, updated_at = ? "
                                     "WHERE id = ? AND version = ?",
                                     {std::string(kPhaseSigning), StateColumn(submission.to_state),
                                      std::string(review::StageName(submission.to_stage)), now, record.id,
                                      expected_version}));
          if (changed != 1) return StaleVersion(kTargetType, request.agreement_id());
          RETURN_IF_ERROR(review::RecordSubmission(s, OfflineSigningFlow(), actor, std::to_string(record.id),
                                                   submission, expected_version + 1, request.request_id(), now)
                              .status());
        } else {
          review::ActionRequest action;
          action.action = review::Action::kResubmit;
          action.expected_version = expected_version;
          ASSIGN_OR_RETURN(review::AppliedAction applied,
                           review::ApplyAction(s, OfflineAgreementTable(), OfflineSigningFlow(), context, actor,
                                               SnapshotOf(record), action, request.request_id(), now));
          RETURN_IF_ERROR(AfterGraduateAction(s, peers_, info.deadline, record, applied));
          RETURN_IF_ERROR(s.Execute("UPDATE offline_agreements SET reason_code = '', reason_detail = '' WHERE id = ?",
                                    {record.id})
                              .status());
        }
        RETURN_IF_ERROR(s.Execute("UPDATE offline_agreements SET scan_file_id = ?, scan_file_name = ?, "
                                  "scan_content_type = ?, scan_size_bytes = ?, scan_uploaded_at = ? WHERE id = ?",
                                  {stored.id, stored.download_name(), stored.content_type(), stored.size_bytes, now,
                                   record.id})
                            .status());
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, context.agreement_type);
        return absl::OkStatus();
      });
}

absl::Status OfflineSigning::ListGraduateOfflineAgreements(const RequestInfo& info,
                                                           const v1::ListGraduateOfflineAgreementsRequest& request,
                                                           v1::ListOfflineAgreementsResponse* response) {
  RETURN_IF_ERROR(RequireGraduateSelf(info, request.school_id(), request.graduate_id()));
  int64_t graduate_id = 0;
  int64_t school_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id) || !ParseId(request.school_id(), &school_id)) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能办理本人的电子就业协议。");
  }
  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns,
                                                     " FROM offline_agreements WHERE graduate_id = ? AND school_id = ? "
                                                     "ORDER BY id DESC"),
                                        {graduate_id, school_id}));
    AgreementTypes agreement_types(s);
    for (const db::Row& row : rows) {
      OfflineRecord record = RowToRecord(row);
      *response->add_agreements() = ToProto(record, agreement_types.Of(record));
    }
    response->set_total_size(response->agreements_size());
    response->set_page(1);
    response->set_page_size(response->agreements_size());
    return absl::OkStatus();
  }));
  return MarkWarnedEmployers(peers_, info.deadline, school_id, response->mutable_agreements());
}

namespace {

// The SQL condition of the staff list's filters in the caller's scope.
struct ListQuery {
  std::string where;
  std::vector<db::Param> params;
};

absl::StatusOr<ListQuery> StaffListQuery(const StaffScope& scope, const v1::ListOfflineAgreementsRequest& filters) {
  if (!scope.department.empty() && !filters.department().empty() && filters.department() != scope.department) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE", "院系用户只能查看本院系的线下签约记录。",
                            {{"department", filters.department()}});
  }
  ListQuery query;
  query.where = "school_id = ?";
  query.params = {scope.school_id};
  auto phase_and_states = [&](const char* phase, std::initializer_list<review::State> states) {
    query.where += " AND phase = ? AND review_state IN (";
    query.params.push_back(std::string(phase));
    bool first = true;
    for (review::State state : states) {
      absl::StrAppend(&query.where, first ? "?" : ", ?");
      query.params.push_back(StateColumn(state));
      first = false;
    }
    query.where += ")";
  };
  switch (filters.status()) {
    case v1::OFFLINE_STATUS_FILTER_UNSPECIFIED:
    case v1::OFFLINE_STATUS_FILTER_AGREEMENT_REVIEW:
      phase_and_states(kPhaseAgreement, {review::State::kPending});
      break;
    case v1::OFFLINE_STATUS_FILTER_ALL:
      break;
    case v1::OFFLINE_STATUS_FILTER_AGREEMENT_RETURNED:
      phase_and_states(kPhaseAgreement, {review::State::kReturned, review::State::kWithdrawn});
      break;
    case v1::OFFLINE_STATUS_FILTER_AWAITING_UPLOAD:
      phase_and_states(kPhaseAgreement, {review::State::kApproved});
      break;
    case v1::OFFLINE_STATUS_FILTER_SIGNING_REVIEW:
      phase_and_states(kPhaseSigning, {review::State::kPending});
      break;
    case v1::OFFLINE_STATUS_FILTER_SIGNING_RETURNED:
      phase_and_states(kPhaseSigning, {review::State::kReturned, review::State::kWithdrawn});
      break;
    case v1::OFFLINE_STATUS_FILTER_REJECTED:
      query.where += " AND review_state = ?";
      query.params.push_back(StateColumn(review::State::kRejected));
      break;
    case v1::OFFLINE_STATUS_FILTER_SIGNED:
      phase_and_states(kPhaseSigning, {review::State::kApproved});
      break;
    case v1::OFFLINE_STATUS_FILTER_VOIDED:
      phase_and_states(kPhaseSigning, {review::State::kVoided});
      break;
    default:
      return InvalidArgument("INVALID_STATUS_FILTER", "签约状态筛选条件无效，请重新选择。", {{"field", "status"}});
  }
  const std::string department = scope.department.empty() ? filters.department() : scope.department;
  if (!department.empty()) {
    query.where += " AND department = ?";
    query.params.push_back(department);
  }
  if (!filters.employer().empty()) {
    query.where += " AND employer_name LIKE ?";
    query.params.push_back(LikePrefix(filters.employer()));
  }
  if (!filters.query().empty()) {
    query.where += " AND (student_number = ? OR graduate_name LIKE ?)";
    query.params.push_back(filters.query());
    query.params.push_back(LikePrefix(filters.query()));
  }
  return query;
}

}  // namespace

absl::Status OfflineSigning::ListOfflineAgreements(const RequestInfo& info,
                                                   const v1::ListOfflineAgreementsRequest& request,
                                                   v1::ListOfflineAgreementsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  if (request.page() < 0 || request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_PAGE", "页码不能为负数，每页条数应在 1 到 100 之间。");
  }
  const int page = request.page() == 0 ? 1 : request.page();
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, request));

  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    // A deferred join, as in ListOnlineSignings: the derived table selects the page's ids from
    // ix_offline_agreements_state or ix_offline_agreements_review alone for a filter on one phase
    // and review state, and only the page's rows are read by primary key. The total comes with
    // each row.
    std::vector<db::Param> page_params = query.params;
    page_params.insert(page_params.end(), query.params.begin(), query.params.end());
    page_params.push_back(static_cast<int64_t>(page_size));
    page_params.push_back(static_cast<int64_t>(page - 1) * page_size);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, ", (SELECT COUNT(*) FROM offline_agreements "
                                                     "WHERE ",
                                                     query.where,
                                                     ") FROM offline_agreements JOIN (SELECT id AS page_id FROM "
                                                     "offline_agreements WHERE ",
                                                     query.where,
                                                     " ORDER BY id DESC LIMIT ? OFFSET ?) page_ids ON "
                                                     "offline_agreements.id = page_ids.page_id ORDER BY "
                                                     "offline_agreements.id DESC"),
                                        page_params));
    int64_t total = rows.empty() ? 0 : rows.front().Int64(kColumnCount);
    if (rows.empty() && page > 1) {
      // A page past the end returns no row to carry the total.
      ASSIGN_OR_RETURN(auto count, s.QueryOne(absl::StrCat("SELECT COUNT(*) FROM offline_agreements WHERE ", query.where),
                                              query.params));
      total = count ? count->Int64(0) : 0;
    }
    AgreementTypes agreement_types(s);
    for (const db::Row& row : rows) {
      OfflineRecord record = RowToRecord(row);
      *response->add_agreements() = ToProto(record, agreement_types.Of(record));
    }
    response->set_total_size(static_cast<int32_t>(total));
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  }));
  return MarkWarnedEmployers(peers_, info.deadline, scope.school_id, response->mutable_agreements());
}

namespace {

// The columns of the offline exports, in the order of OfflineExportRecord.
ListExportSpec OfflineExportSpec(bool returned_only) {
  using exports::ColumnType;
  ListExportSpec spec;
  spec.kind = returned_only ? "signing.offline.returned" : "signing.offline.query";
  spec.file_title = returned_only ? "线下签约管理-退回修改学生名单" : "线下签约管理";
  spec.columns = {{"姓名", ColumnType::kText},
                  {"身份证件号", ColumnType::kIdNumber},
                  {"学号", ColumnType::kCode},
                  {"手机号码", ColumnType::kPhone},
                  {"院系", ColumnType::kText},
                  {"届别", ColumnType::kInteger},
                  {"签约单位", ColumnType::kText},
                  {"统一社会信用代码", ColumnType::kCode},
                  {"签约状态", ColumnType::kText},
                  {"退回修改原因", ColumnType::kText},
                  {"提交时间", ColumnType::kDateTime},
                  {"更新时间", ColumnType::kDateTime}};
  spec.id_number_column = 1;
  spec.phone_column = 3;
  return spec;
}

ExportRecord OfflineExportRecord(const OfflineRecord& r, review::AgreementType agreement_type) {
  using exports::Cell;
  const bool returned = r.review_state == StateColumn(review::State::kReturned);
  ExportRecord record;
  record.id = r.id;
  record.graduate_id = r.graduate_id;
  record.cells = {Cell::Text(r.graduate_name),
                  Cell::Empty(),
                  Cell::Text(r.student_number),
                  Cell::Empty(),
                  Cell::Text(r.department),
                  Cell::Integer(r.class_year),
                  Cell::Text(r.employer.name()),
                  Cell::Text(r.employer.credit_code()),
                  Cell::Text(ToProto(r, agreement_type).status_text()),
                  Cell::Text(returned ? r.reason_detail : ""),
                  Cell::Time(r.created_at),
                  Cell::Time(r.updated_at)};
  return record;
}

}  // namespace

absl::Status OfflineSigning::ExportOfflineAgreements(const RequestInfo& info,
                                                     const v1::ExportOfflineAgreementsRequest& request,
                                                     server::StreamWriter<common::v1::HttpFile>& stream) {
  return Export(info, request, /*returned_only=*/false, stream);
}

absl::Status OfflineSigning::ExportReturnedOfflineAgreements(const RequestInfo& info,
                                                             const v1::ExportOfflineAgreementsRequest& request,
                                                             server::StreamWriter<common::v1::HttpFile>& stream) {
  return Export(info, request, /*returned_only=*/true, stream);
}

absl::Status OfflineSigning::Export(const RequestInfo& info, const v1::ExportOfflineAgreementsRequest& request,
                                    bool returned_only, server::StreamWriter<common::v1::HttpFile>& stream) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  if (request.reveal_personal_data()) RETURN_IF_ERROR(CheckRevealAllowed(*info.principal));
  v1::ListOfflineAgreementsRequest filters;
  filters.set_school_id(request.school_id());
  filters.set_status(returned_only ? v1::OFFLINE_STATUS_FILTER_ALL : request.status());
  filters.set_department(request.department());
  filters.set_employer(request.employer());
  filters.set_query(request.query());
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, filters));
  if (returned_only) {
    query.where += " AND review_state = ?";
    query.params.push_back(StateColumn(review::State::kReturned));
  }

  ListExportOptions options;
  options.school_id = scope.school_id;
  options.format = request.format();
  options.full_view = request.reveal_personal_data();
  options.filter_summary = returned_only ? "状态=退回修改" : absl::StrCat("状态=", v1::OfflineStatusFilter_Name(request.status()));
  const std::string department = scope.department.empty() ? request.department() : scope.department;
  if (!department.empty()) absl::StrAppend(&options.filter_summary, "; 院系=", department);
  if (!request.employer().empty()) absl::StrAppend(&options.filter_summary, "; 签约单位=", request.employer());
  if (!request.query().empty()) absl::StrAppend(&options.filter_summary, "; 学号或姓名=", request.query());

  ExportPageReader read_page = [&](db::Session& s, int64_t before_id,
                                   int limit) -> absl::StatusOr<std::vector<ExportRecord>> {
    std::vector<db::Param> params = query.params;
    params.push_back(before_id);
    params.push_back(static_cast<int64_t>(limit));
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, " FROM offline_agreements WHERE ",
                                                     query.where, " AND id < ? ORDER BY id DESC LIMIT ?"),
                                        params));
    AgreementTypes agreement_types(s);
    std::vector<ExportRecord> records;
    records.reserve(rows.size());
    for (const db::Row& row : rows) {
      OfflineRecord record = RowToRecord(row);
      records.push_back(OfflineExportRecord(record, agreement_types.Of(record)));
    }
    return records;
  };
  ListExport list_export(pool_, peers_, clock_);
  return list_export.Run(info, OfflineExportSpec(returned_only), options, read_page, stream);
}

namespace {

// The review history of both reviews of a record, oldest first.
absl::Status AddHistory(db::Session& s, const OfflineRecord& record, review::AgreementType agreement_type,
                        v1::OfflineAgreement* out) {
  struct Entry {
    v1::OfflineReviewPhase phase;
    const review::FlowDefinition* flow;
    review::HistoryEntry entry;
  };
  std::vector<Entry> entries;
  for (const auto& [phase, flow] : {std::make_pair(v1::OFFLINE_REVIEW_PHASE_AGREEMENT, &OfflineAgreementFlow()),
                                    std::make_pair(v1::OFFLINE_REVIEW_PHASE_SIGNING, &OfflineSigningFlow())}) {
    ASSIGN_OR_RETURN(auto history, review::ListHistory(s, flow->name, std::to_string(record.id)));
    for (review::HistoryEntry& entry : history) entries.push_back({phase, flow, std::move(entry)});
  }
  // Versions grow across both reviews, so they order the entries.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.entry.version < b.entry.version; });
  for (const Entry& e : entries) {
    v1::OfflineHistoryEntry* item = out->add_history();
    item->set_phase(e.phase);
    v1::ReviewStep* step = item->mutable_step();
    step->set_action(std::string(review::ActionName(e.entry.action)));
    step->set_action_text(review::ActionLabel(*e.flow, agreement_type, e.entry.action));
    step->set_stage(StageToProto(std::string(review::StageName(e.entry.stage))));
    step->set_reviewer_id(e.entry.reviewer_id);
    step->set_reviewer_name(e.entry.reviewer_name);
    step->set_reason_code(e.entry.reason_code);
    step->set_detail(e.entry.detail);
    *step->mutable_occurred_at() = ToTimestamp(e.entry.occurred_at);
  }
  return absl::OkStatus();
}

// The record `agreement_id` for staff in scope or for its own graduate.
absl::StatusOr<OfflineRecord> FindForViewer(db::Session& s, const RequestInfo& info, const std::string& school_id,
                                            const std::string& agreement_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (info.principal->kind() == common::v1::PRINCIPAL_KIND_GRADUATE) {
    return FindOwn(s, *info.principal, school_id, agreement_id, /*for_update=*/false);
  }
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, school_id, common::v1::ACCESS_READ_ONLY));
  return FindInScope(s, scope, agreement_id);
}

}  // namespace

absl::Status OfflineSigning::GetOfflineAgreement(const RequestInfo& info, const v1::GetOfflineAgreementRequest& request,
                                                 v1::OfflineAgreement* response) {
  int64_t school_id = 0;
  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(OfflineRecord record, FindForViewer(s, info, request.school_id(), request.agreement_id()));
    school_id = record.school_id;
    const review::AgreementType agreement_type = DisplayAgreementType(s, record.school_id, record.class_year);
    *response = ToProto(record, agreement_type);
    return AddHistory(s, record, agreement_type, response);
  }));
  ASSIGN_OR_RETURN(std::set<std::string> warned,
                   peers_.WarnedEmployers(info.deadline, school_id, {response->employer().credit_code()}));
  response->set_employer_warned(warned.count(response->employer().credit_code()) > 0);
  return absl::OkStatus();
}

absl::Status OfflineSigning::DownloadStampedScan(const RequestInfo& info, const v1::GetOfflineAgreementRequest& request,
                                                 common::v1::HttpFile* response) {
  const absl::Time now = clock_.Now();
  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(OfflineRecord record, FindForViewer(s, info, request.school_id(), request.agreement_id()));
    if (!record.scan_file_id) {
      return NotFound("STAMPED_SCAN_NOT_FOUND", "该申请尚未上传盖章协议。", {{"agreement_id", request.agreement_id()}});
    }
    filestore::Downloader downloader{info.principal->user_id(), info.principal->username(), info.trace_id, info.peer};
    ASSIGN_OR_RETURN(filestore::FileContent file, files_.Get(s, record.school_id, *record.scan_file_id, downloader, now));
    response->set_content_type(file.file.content_type());
    response->set_file_name(file.file.download_name());
    *response->mutable_data() = std::move(file.content);
    const std::string scan_json = absl::StrCat("{\"fileId\":\"", file.file.id, "\",\"sha256\":\"", file.file.sha256, "\"}");
    return InsertAudit(s, info, record.school_id, record.id, scan_json, scan_json, "offline_agreement.download_scan", "",
                       now);
  });
}

absl::Status OfflineSigning::GetOfflineAgreementPendingCounts(
    const RequestInfo& info, const v1::GetOfflineAgreementPendingCountsRequest& request,
    v1::OfflineAgreementPendingCounts* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  const review::Stage queue_stage = scope.department.empty() ? review::Stage::kSchool : review::Stage::kDepartment;
  const std::string stage_name(review::StageName(queue_stage));
  // The first four parameters belong to the select list, the rest to the WHERE.
  std::string where = "school_id = ? AND review_state = ?";
  std::vector<db::Param> params = {stage_name,      std::string(kPhaseAgreement),
                                   stage_name,      std::string(kPhaseSigning),
                                   scope.school_id, StateColumn(review::State::kPending)};
  if (!scope.department.empty()) {
    where += " AND department = ?";
    params.push_back(scope.department);
  }
  ASSIGN_OR_RETURN(auto row, pool_.Read<std::optional<db::Row>>(info.deadline, [&](db::Session& s) {
    return s.QueryOne(absl::StrCat("SELECT COUNT(*), CAST(COALESCE(SUM(review_stage = ? AND phase = ?), 0) AS SIGNED), "
                                   "CAST(COALESCE(SUM(review_stage = ? AND phase = ?), 0) AS SIGNED) "
                                   "FROM offline_agreements WHERE ",
                                   where),
                      params);
  }));
  response->set_queue_stage(StageToProto(stage_name));
  response->set_all_pending_count(row ? static_cast<int32_t>(row->Int64(0)) : 0);
  response->set_agreement_review_count(row ? static_cast<int32_t>(row->Int64(1)) : 0);
  response->set_signing_review_count(row ? static_cast<int32_t>(row->Int64(2)) : 0);
  return absl::OkStatus();
}

namespace {

// The services a review's side effects call.
struct ReviewPeers {
  FlowPeers& peers;
  Agreements& agreements;
};

RecordRef RefOf(const OfflineRecord& record) {
  RecordRef ref;
  ref.flow = AgreementFlow::kOfflineSigning;
  ref.record_id = record.id;
  ref.school_id = record.school_id;
  return ref;
}

bool IsPostgraduate(const std::string& education_level) {
  return education_level.find("研究生") != std::string::npos || education_level.find("硕士") != std::string::npos ||
         education_level.find("博士") != std::string::npos;
}

// A term's text, or the agreement's standard words for a term left empty.
std::string TermText(const std::string& text) { return text.empty() ? "由甲乙双方另行约定" : text; }

// Renders and stores the electronic agreement of a record whose agreement review has just
// approved it; returns its number.
absl::StatusOr<std::string> IssuePdf(ReviewPeers& deps, db::Session& s, const OfflineRecord& record,
                                     const SettingsRecord& settings, const std::string& issued_by, absl::Time deadline,
                                     absl::Time now) {
  ASSIGN_OR_RETURN(GraduateInfo graduate, deps.peers.GetGraduate(deadline, record.school_id, record.graduate_id));
  AgreementContent content;
  content.type = settings.agreement_type == accounts::v1::AGREEMENT_TYPE_TWO_PARTY
                     ? agreement_pdf::AgreementType::kTwoParty
                     : agreement_pdf::AgreementType::kThreeParty;
  content.school_code = graduate.school_code;
  content.class_year = record.class_year;
  content.graduate.name = record.graduate_name;
  content.graduate.gender = graduate.gender;
  content.graduate.id_number = graduate.id_number;
  content.graduate.school = graduate.school_name;
  content.graduate.department = record.department;
  content.graduate.major = graduate.major;
  content.graduate.education_level = graduate.education_level;
  content.graduate.student_number = record.student_number;
  content.graduate.phone = graduate.phone;
  content.employer.name = record.employer.name();
  content.employer.unified_social_credit_code = record.employer.credit_code();
  content.employer.address = record.employer.address();
  content.employer.contact_name = record.employer.contact_name();
  content.employer.contact_phone = record.employer.contact_phone();
  const HandlerRecord& handler =
      settings.handler_scope == v1::HANDLER_SCOPE_BY_EDUCATION_LEVEL && IsPostgraduate(graduate.education_level)
          ? settings.postgraduate_handler
          : settings.handler;
  content.handler = {handler.name, handler.phone, handler.postal_address, handler.postal_code};
  content.terms = {{"一、工作岗位", record.terms.position()},
                   {"二、工作地点", record.terms.work_location()},
                   {"三、薪酬待遇", TermText(record.terms.salary())},
                   {"四、其他约定", TermText(record.terms.other_terms())}};
  // The employer and the graduate sign the printed agreement by hand, so only the school's
  // approval date is printed.
  content.sign_dates.school = absl::ToCivilDay(now, Beijing());
  ASSIGN_OR_RETURN(IssuedAgreement issued,
                   deps.agreements.IssueAgreement(s, RefOf(record), content, issued_by, now));
  return issued.number;
}

// The side effects of an applied staff action, in its transaction: the agreement PDF, the ledger
// calls, the reason columns and the settings usage. Runs only for an action applied now, never
// for a replay.
absl::Status AfterReview(ReviewPeers& deps, db::Session& s, const OfflineRecord& record, const SettingsRecord& settings,
                         const review::AppliedAction& applied, const std::string& actor_user_id, absl::Time deadline,
                         absl::Time now) {
  FlowPeers& peers = deps.peers;
  const review::Transition& t = applied.transition;
  const bool signing = record.in_signing_phase();
  if (t.became_effective && !signing) {
    ASSIGN_OR_RETURN(std::string number, IssuePdf(deps, s, record, settings, actor_user_id, deadline, now));
    return s.Execute("UPDATE offline_agreements SET agreement_number = ? WHERE id = ?", {number, record.id}).status();
  }
  if (t.became_effective) {
    ASSIGN_OR_RETURN(std::string code, peers.AgreementDestinationCode(deadline, record.class_year));
    ems::v1::Destination destination;
    destination.set_destination_code(code);
    destination.set_employer_name(record.employer.name());
    destination.set_employer_credit_code(record.employer.credit_code());
    destination.set_unit_nature_code(record.employer.nature_code());
    destination.set_industry_code(record.employer.industry_code());
    destination.set_unit_location_code(record.employer.location_code());
    destination.set_contact_name(record.employer.contact_name());
    destination.set_contact_phone(record.employer.contact_phone());
    destination.set_employer_address(record.employer.address());
    destination.set_signed_date(BeijingDate(now));
    RETURN_IF_ERROR(peers.CommitDestination(deadline, LedgerCallFor(record, "commit", applied.new_version), destination));
    return SettingsUsage::LeaveReview(s, record.school_id, record.class_year);
  }
  if (t.to_state == review::State::kReturned) {
    return s.Execute("UPDATE offline_agreements SET reason_code = '', reason_detail = ? WHERE id = ?",
                     {t.detail, record.id})
        .status();
  }
  if (t.to_state == review::State::kRejected) {
    RETURN_IF_ERROR(s.Execute("UPDATE offline_agreements SET reason_code = ?, reason_detail = ?, open_marker = NULL "
                              "WHERE id = ?",
                              {t.reason_code, t.detail, record.id})
                        .status());
    RETURN_IF_ERROR(peers.ReleaseClaim(deadline, LedgerCallFor(record, "release", applied.new_version)));
    return SettingsUsage::LeaveReview(s, record.school_id, record.class_year);
  }
  if (t.to_state == review::State::kVoided) {
    RETURN_IF_ERROR(
        s.Execute("UPDATE offline_agreements SET open_marker = NULL WHERE id = ?", {record.id}).status());
    RETURN_IF_ERROR(peers.VoidDestination(deadline, LedgerCallFor(record, "void", applied.new_version)));
    return deps.agreements.MarkVoided(s, RefOf(record), now);
  }
  return absl::OkStatus();
}

absl::StatusOr<review::ActionRequest> DecisionToAction(v1::OfflineReviewDecision decision,
                                                       const std::string& reason_code, const std::string& detail) {
  review::ActionRequest action;
  switch (decision) {
    case v1::OFFLINE_REVIEW_DECISION_APPROVE:
      action.action = review::Action::kApprove;
      break;
    case v1::OFFLINE_REVIEW_DECISION_RETURN:
      action.action = review::Action::kReturn;
      break;
    case v1::OFFLINE_REVIEW_DECISION_REJECT:
      action.action = review::Action::kReject;
      action.reason_code = reason_code;
      break;
    default:
      return InvalidArgument("DECISION_REQUIRED", "请选择审核结果：通过、退回修改或不通过。", {{"field", "decision"}});
  }
  action.detail = detail;
  return action;
}

// The audit action name of a staff action, such as offline_agreement.agreement_approve.
std::string AuditAction(const OfflineRecord& record, review::Action action, bool batch) {
  return absl::StrCat("offline_agreement.", batch ? "batch_" : "", record.in_signing_phase() ? "signing_" : "agreement_",
                      absl::AsciiStrToLower(review::ActionName(action)));
}

// Applies one staff action (review or void) to the record `agreement_id` in its own transaction.
absl::Status ApplyStaffAction(db::Pool& pool, const Clock& clock, ReviewPeers deps, const RequestInfo& info,
                              const StaffScope& scope, const std::string& agreement_id, const std::string& request_id,
                              const review::ActionRequest& action, const google::protobuf::Message& request,
                              v1::OfflineAgreement* response) {
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock.Now();
  return db::RunIdempotent(
      pool, info.deadline, KeyFor(info, request_id, request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(OfflineRecord record, FindInScope(s, scope, agreement_id));
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OfflineAgreementTable(), FlowOf(record), context, actor,
                                             SnapshotOf(record), action, request_id, now));
        if (!applied.replayed) {
          RETURN_IF_ERROR(AfterReview(deps, s, record, settings, applied, info.principal->user_id(), info.deadline, now));
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, context.agreement_type);
        if (applied.replayed) return absl::OkStatus();
        return InsertAudit(s, info, record.school_id, record.id, ToJson(ToProto(record, context.agreement_type)),
                           ToJson(*response), AuditAction(record, action.action, false), request_id, now);
      });
}

}  // namespace

absl::Status OfflineSigning::ReviewOfflineAgreement(const RequestInfo& info,
                                                    const v1::ReviewOfflineAgreementRequest& request,
                                                    v1::OfflineAgreement* response) {
  // Read-only staff pass here and get PERMISSION_DENIED from the review engine, which checks
  // the grant of every actor.
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  return ApplyStaffAction(pool_, clock_, {peers_, agreements_}, info, scope, request.agreement_id(), request.request_id(), action, request,
                          response);
}

absl::Status OfflineSigning::VoidOfflineAgreement(const RequestInfo& info,
                                                  const v1::VoidOfflineAgreementRequest& request,
                                                  v1::OfflineAgreement* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kVoid;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  action.detail = request.detail();
  return ApplyStaffAction(pool_, clock_, {peers_, agreements_}, info, scope, request.agreement_id(), request.request_id(), action, request,
                          response);
}

absl::Status OfflineSigning::BatchReviewOfflineAgreements(const RequestInfo& info,
                                                          const v1::BatchReviewOfflineAgreementsRequest& request,
                                                          v1::BatchReviewOfflineAgreementsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  const absl::Time now = clock_.Now();

  review::BatchRequest batch;
  batch.table = OfflineAgreementTable();
  batch.actor = StaffActor(*info.principal);
  batch.action = action;
  batch.request_id = request.request_id();
  for (const v1::OfflineBatchItem& item : request.items()) {
    int64_t version = 0;
    absl::SimpleAtoi(item.etag(), &version);
    batch.items.push_back({item.agreement_id(), version});
  }
  // The review context and the flow come from the first record that loads: its class's settings
  // and its review. The loader rejects a record of another class or review, whose settings or
  // flow may differ.
  std::optional<OfflineRecord> first;
  std::optional<SettingsRecord> settings;
  for (const v1::OfflineBatchItem& item : request.items()) {
    auto loaded = pool_.Read<OfflineRecord>(info.deadline,
                                            [&](db::Session& s) { return FindInScope(s, scope, item.agreement_id()); });
    if (!loaded.ok()) continue;
    first = *loaded;
    ASSIGN_OR_RETURN(settings, pool_.Read<SettingsRecord>(info.deadline, [&](db::Session& s) {
      return RequireOnlineSettings(s, first->school_id, first->class_year, false);
    }));
    batch.context = ContextOf(*settings);
    break;
  }
  // Without a record that loads, every item fails in the loader, so the default flow and
  // context are never used for a decision.
  batch.flow = first ? FlowOf(*first) : OfflineAgreementFlow();
  auto load = [&](db::Session& s, const std::string& record_id) -> absl::StatusOr<review::RecordSnapshot> {
    ASSIGN_OR_RETURN(OfflineRecord record, FindInScope(s, scope, record_id));
    if (!first || first->class_year != record.class_year || first->phase != record.phase) {
      return InvalidArgument("BATCH_MIXES_RECORDS",
                             "批量审核的记录须属于同一届毕业生且处于同一审核环节（就业协议审核或签约审核），请分别审核。");
    }
    return SnapshotOf(record);
  };
  auto after = [&](db::Session& s, const review::RecordSnapshot& snapshot,
                   const review::AppliedAction& applied) -> absl::Status {
    int64_t id = 0;
    if (!ParseId(snapshot.record_id, &id)) return AgreementNotFound();
    ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
    if (!record) return AgreementNotFound();
    // The record was re-read after the update, so its columns show the new state; the audit's
    // before is rebuilt from the snapshot.
    OfflineRecord before = *record;
    before.review_state = StateColumn(applied.transition.from_state);
    before.review_stage = std::string(review::StageName(applied.transition.from_stage));
    before.version = snapshot.version;
    ReviewPeers deps{peers_, agreements_};
    RETURN_IF_ERROR(AfterReview(deps, s, before, *settings, applied, info.principal->user_id(), info.deadline, now));
    ASSIGN_OR_RETURN(auto updated, FindRecord(s, id, false));
    return InsertAudit(s, info, before.school_id, before.id, ToJson(ToProto(before, batch.context.agreement_type)),
                       ToJson(ToProto(*updated, batch.context.agreement_type)),
                       AuditAction(before, action.action, true), request.request_id(), now);
  };
  // The batch's deadline is a real instant, so the batch measures it with the real clock.
  ASSIGN_OR_RETURN(auto results, review::ApplyBatch(pool_, info.deadline, Clock::Real(), batch, load, after));
  for (const review::BatchItemResult& result : results) {
    v1::BatchReviewResult* out = response->add_results();
    out->set_invitation_id(result.record_id);
    out->set_ok(result.status.ok());
    if (result.status.ok()) {
      out->set_etag(std::to_string(result.applied->new_version));
    } else {
      out->set_reason(ErrorReason(result.status));
      out->set_message(ErrorZhMessage(result.status).value_or(std::string(result.status.message())));
    }
  }
  return absl::OkStatus();
}

absl::Status OfflineSigning::CheckOfflineClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
                                                v1::CheckClaimsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_SERVICE || caller.claims().service_name() != "sync") {
    return PermissionDenied("SYNC_SERVICE_ONLY", "只有 sync 服务可以核对去向台账的占用。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  constexpr int kMaxClaimChecks = 500;
  if (request.record_ids_size() > kMaxClaimChecks) {
    return InvalidArgument("TOO_MANY_RECORDS", "一次最多核对 500 条记录，请分批提交。",
                           {{"count", std::to_string(request.record_ids_size())}});
  }

  // An id that is not a positive number names no record, so its claim is not in flight. The
  // states that keep the claim are the same at both reviews: a withdrawal, a rejection and a
  // void release it.
  std::string placeholders;
  std::vector<db::Param> params;
  for (const std::string& record_id : request.record_ids()) {
    int64_t id = 0;
    if (!ParseId(record_id, &id)) continue;
    absl::StrAppend(&placeholders, placeholders.empty() ? "?" : ", ?");
    params.push_back(id);
  }
  std::set<int64_t> in_flight;
  if (!params.empty()) {
    for (review::State state : {review::State::kPending, review::State::kReturned, review::State::kApproved}) {
      params.push_back(StateColumn(state));
    }
    ASSIGN_OR_RETURN(auto rows, pool_.Read<std::vector<db::Row>>(info.deadline, [&](db::Session& s) {
      return s.Query(absl::StrCat("SELECT id FROM offline_agreements WHERE id IN (", placeholders,
                                  ") AND review_state IN (?, ?, ?)"),
                     params);
    }));
    for (const db::Row& row : rows) in_flight.insert(row.Int64(0));
  }
  for (const std::string& record_id : request.record_ids()) {
    int64_t id = 0;
    v1::ClaimCheck* check = response->add_checks();
    check->set_record_id(record_id);
    check->set_in_flight(ParseId(record_id, &id) && in_flight.count(id) > 0);
  }
  return absl::OkStatus();
}

}  // namespace quxiang::signing

#include "services/signing/online_signing.h"

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
#include "absl/time/civil_time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/logging/logging.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/signing/online_agreement.h"
#include "services/signing/list_export.h"
#include "spdlog/spdlog.h"

namespace quxiang::signing {
namespace {

using identity::Principal;

constexpr size_t kMaxRequestIdLength = 128;
constexpr int kDefaultPageSize = 10;
constexpr int kMaxPageSize = 100;
// The maximum time from now to the response deadline that an employer may set.
constexpr absl::Duration kMaxAnswerWindow = absl::Hours(24 * 366);
constexpr char kTargetType[] = "online_signing";

// invitation_state values.
constexpr char kInvited[] = "INVITED";
constexpr char kDeclined[] = "DECLINED";
constexpr char kWithdrawn[] = "WITHDRAWN";
constexpr char kAccepted[] = "ACCEPTED";

// Every column of online_signings, in the order RowToRecord reads them.
constexpr char kColumns[] =
    "id, school_id, class_year, graduate_id, graduate_name, student_number, department, employer_id, "
    "employer_name, employer_credit_code, invitation_state, review_state, review_stage, answer_deadline, "
    "reject_reason_code, reject_detail, version, created_at, updated_at, position, work_location, salary, "
    "other_terms, employer_address, employer_contact_name, employer_contact_phone, agreement_number, "
    "agreement_version";
// The number of columns in kColumns.
constexpr int kColumnCount = 28;

struct SigningRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  int class_year = 0;
  int64_t graduate_id = 0;
  std::string graduate_name;
  std::string student_number;
  std::string department;
  int64_t employer_id = 0;
  std::string employer_name;
  std::string employer_credit_code;
  std::string invitation_state;
  std::string review_state;
  std::string review_stage;
  absl::Time answer_deadline;
  std::string reject_reason_code;
  std::string reject_detail;
  int64_t version = 0;
  absl::Time created_at;
  absl::Time updated_at;
  v1::AgreementTerms terms;
  std::string agreement_number;
  int64_t agreement_version = 0;
};

SigningRecord RowToRecord(const db::Row& row) {
  SigningRecord r;
  r.id = row.Int64(0);
  r.school_id = row.Int64(1);
  r.class_year = static_cast<int>(row.Int64(2));
  r.graduate_id = row.Int64(3);
  r.graduate_name = row.String(4);
  r.student_number = row.String(5);
  r.department = row.String(6);
  r.employer_id = row.Int64(7);
  r.employer_name = row.String(8);
  r.employer_credit_code = row.String(9);
  r.invitation_state = row.String(10);
  r.review_state = row.String(11);
  r.review_stage = row.String(12);
  r.answer_deadline = row.Time(13);
  r.reject_reason_code = row.String(14);
  r.reject_detail = row.String(15);
  r.version = row.Int64(16);
  r.created_at = row.Time(17);
  r.updated_at = row.Time(18);
  r.terms.set_position(row.String(19));
  r.terms.set_work_location(row.String(20));
  r.terms.set_salary(row.String(21));
  r.terms.set_other_terms(row.String(22));
  r.terms.set_employer_address(row.String(23));
  r.terms.set_employer_contact_name(row.String(24));
  r.terms.set_employer_contact_phone(row.String(25));
  r.agreement_number = row.String(26);
  r.agreement_version = row.Int64(27);
  return r;
}

absl::StatusOr<std::optional<SigningRecord>> FindRecord(db::Session& s, int64_t id, bool for_update) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT ", kColumns, " FROM online_signings WHERE id = ?",
                                                     for_update ? " FOR UPDATE" : ""),
                                        {id}));
  if (!row) return std::optional<SigningRecord>();
  return std::optional<SigningRecord>(RowToRecord(*row));
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(timestamp));
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

absl::Status InvitationNotFound() {
  return NotFound("INVITATION_NOT_FOUND", "签约邀请不存在或无权查看，请刷新列表后重试。");
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

// The public message of a record at `now`; the words follow `agreement_type`.
v1::OnlineSigning ToProto(const SigningRecord& r, absl::Time now, review::AgreementType agreement_type) {
  v1::OnlineSigning out;
  out.set_id(std::to_string(r.id));
  out.set_school_id(std::to_string(r.school_id));
  out.set_class_year(r.class_year);
  out.set_graduate_id(std::to_string(r.graduate_id));
  out.set_graduate_name(r.graduate_name);
  out.set_student_number(r.student_number);
  out.set_department(r.department);
  out.set_employer_id(std::to_string(r.employer_id));
  out.set_employer_name(r.employer_name);
  out.set_employer_credit_code(r.employer_credit_code);
  *out.mutable_answer_deadline() = ToTimestamp(r.answer_deadline);
  out.set_answer_deadline_date(BeijingDate(r.answer_deadline));
  *out.mutable_created_at() = ToTimestamp(r.created_at);
  *out.mutable_updated_at() = ToTimestamp(r.updated_at);
  out.set_etag(std::to_string(r.version));
  const std::string verb = review::ReviewVerb(OnlineSigningFlow(), agreement_type);
  out.set_review_verb(verb);
  *out.mutable_terms() = r.terms;
  out.set_agreement_number(r.agreement_number);
  out.set_agreement_version(static_cast<int32_t>(r.agreement_version));

  if (r.invitation_state == kInvited) {
    if (now < r.answer_deadline) {
      out.set_state(v1::ONLINE_SIGNING_STATE_INVITED);
      out.set_status_text("单位发起签约，等待学生应约");
    } else {
      out.set_state(v1::ONLINE_SIGNING_STATE_EXPIRED);
      out.set_status_text("签约邀请已失效");
    }
  } else if (r.invitation_state == kDeclined) {
    out.set_state(v1::ONLINE_SIGNING_STATE_DECLINED);
    out.set_status_text("学生已拒绝签约");
  } else if (r.invitation_state == kWithdrawn) {
    out.set_state(v1::ONLINE_SIGNING_STATE_WITHDRAWN);
    out.set_status_text("单位已撤回签约邀请");
  } else if (r.review_state == review::StateName(review::State::kPending)) {
    out.set_state(v1::ONLINE_SIGNING_STATE_PENDING_REVIEW);
    out.set_review_stage(StageToProto(r.review_stage));
    const char* level = out.review_stage() == v1::REVIEW_STAGE_DEPARTMENT ? "学院" : "学校";
    out.set_status_text(absl::StrCat("学生已同意签约，等待", level, verb));
  } else if (r.review_state == review::StateName(review::State::kRejected)) {
    out.set_state(v1::ONLINE_SIGNING_STATE_REJECTED);
    out.set_status_text(absl::StrCat(verb, "不通过，签约失败"));
    out.set_reject_reason_code(r.reject_reason_code);
    out.set_reject_detail(r.reject_detail);
  } else if (r.review_state == review::StateName(review::State::kApproved)) {
    out.set_state(v1::ONLINE_SIGNING_STATE_SIGNED);
    out.set_status_text("签约完成");
  } else if (r.review_state == review::StateName(review::State::kVoided)) {
    out.set_state(v1::ONLINE_SIGNING_STATE_VOIDED);
    out.set_status_text("已作废");
  }
  return out;
}

absl::StatusOr<SettingsRecord> RequireOnlineSettings(db::Session& s, int64_t school_id, int class_year,
                                                     bool for_update) {
  ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(s, school_id, class_year, for_update));
  if (!settings) {
    return FailedPrecondition("SETTINGS_NOT_SUBMITTED",
                              absl::StrCat("学校尚未提交 ", class_year, " 届的签约设置，暂时不能在线签约，请联系学校就业部门。"),
                              {{"school_id", std::to_string(school_id)}, {"class_year", std::to_string(class_year)}});
  }
  if (!settings->online_signing_enabled) {
    return FailedPrecondition("ONLINE_SIGNING_DISABLED",
                              absl::StrCat("学校未开启 ", class_year, " 届的在线签约，请联系学校就业部门。"),
                              {{"school_id", std::to_string(school_id)}, {"class_year", std::to_string(class_year)}});
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

  review::AgreementType Of(const SigningRecord& record) {
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

// Whether the graduate has an accepted invitation, other than `except_id`, that is in review or
// completed.
absl::StatusOr<bool> HoldsAcceptedInvitation(db::Session& s, int64_t graduate_id, int64_t except_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*) FROM online_signings WHERE graduate_id = ? AND id <> ? "
                                        "AND invitation_state = 'ACCEPTED' AND review_state IN ('PENDING', 'APPROVED')",
                                        {graduate_id, except_id}));
  return row && row->Int64(0) > 0;
}

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

absl::Status AnotherAcceptedError() {
  return FailedPrecondition("ANOTHER_INVITATION_ACCEPTED",
                            "您已同意其他单位的签约邀请，每名毕业生只能同意一个签约邀请，其他邀请只能查看。");
}

// Maps sync's rejection of a claim to a message for the graduate.
absl::Status ClaimRefused(const absl::Status& status) {
  if (ErrorReason(status) == "GRADUATE_HELD") {
    return FailedPrecondition("GRADUATE_HELD",
                              "您已有进行中或已生效的签约、补登或去向登记，不能再同意签约邀请。如需更换，请先办理解约或作废。");
  }
  return status;
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
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以管理在线签约。",
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
absl::StatusOr<SigningRecord> FindInScope(db::Session& s, const StaffScope& scope, const std::string& id_text) {
  int64_t id = 0;
  if (!ParseId(id_text, &id)) return InvitationNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/false));
  if (!record || record->school_id != scope.school_id) return InvitationNotFound();
  if (!scope.department.empty() && record->department != scope.department) return InvitationNotFound();
  return *record;
}

review::Actor StaffActor(const Principal& principal) {
  review::Actor actor = review::ActorFromPrincipal(principal, common::v1::MODULE_EMPLOYMENT);
  // Records carry the roster's department name, which department accounts carry too.
  actor.department_id = principal.department_name();
  return actor;
}

review::RecordSnapshot SnapshotOf(const SigningRecord& r) {
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

absl::Status RequireAccepted(const SigningRecord& r) {
  if (r.invitation_state != kAccepted) {
    return FailedPrecondition("INVITATION_NOT_ACCEPTED", "学生尚未同意该签约邀请，还不能审核。",
                              {{"invitation_id", std::to_string(r.id)}});
  }
  return absl::OkStatus();
}

LedgerCall LedgerCallFor(const SigningRecord& r, absl::string_view step, int64_t version) {
  LedgerCall call;
  call.request_id = absl::StrCat("signing.online/", r.id, "/", step, "/", version);
  call.school_id = r.school_id;
  call.graduate_id = r.graduate_id;
  call.record_id = std::to_string(r.id);
  return call;
}

// Sets employer_warned on `signings`, all shown to staff or graduates of `school_id`, with one
// call to the warning service.
absl::Status MarkWarnedEmployers(FlowPeers& peers, absl::Time deadline, int64_t school_id,
                                 google::protobuf::RepeatedPtrField<v1::OnlineSigning>* signings) {
  std::vector<std::string> codes;
  for (const v1::OnlineSigning& signing : *signings) {
    if (!signing.employer_credit_code().empty()) codes.push_back(signing.employer_credit_code());
  }
  ASSIGN_OR_RETURN(std::set<std::string> warned, peers.WarnedEmployers(deadline, school_id, codes));
  for (v1::OnlineSigning& signing : *signings) signing.set_employer_warned(warned.count(signing.employer_credit_code()) > 0);
  return absl::OkStatus();
}

absl::Status InsertStaffAudit(db::Session& s, const RequestInfo& info, const SigningRecord& before,
                              const v1::OnlineSigning& after, const std::string& action,
                              const std::string& request_id, absl::Time now,
                              review::AgreementType agreement_type) {
  AuditRecord entry;
  entry.occurred_at = now;
  entry.actor_user_id = info.principal->user_id();
  entry.actor_username = info.principal->username();
  entry.actor_kind = info.principal->kind();
  entry.school_id = before.school_id;
  entry.action = action;
  entry.target_type = kTargetType;
  entry.target_id = std::to_string(before.id);
  entry.before_json = ToJson(ToProto(before, now, agreement_type));
  entry.after_json = ToJson(after);
  entry.request_id = request_id;
  entry.trace_id = info.trace_id;
  entry.peer = info.peer;
  return Repository::InsertAudit(s, entry);
}

}  // namespace

const review::FlowDefinition& OnlineSigningFlow() {
  static const review::FlowDefinition* const kFlow = [] {
    auto* flow = new review::FlowDefinition;
    flow->name = "signing.online";
    flow->module = common::v1::MODULE_EMPLOYMENT;
    flow->wording = review::Wording::kByAgreementType;
    flow->allows_return = false;
    flow->allows_withdraw = false;
    flow->allows_modify = true;
    flow->allows_void = true;
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

const review::RecordTable& OnlineSigningTable() {
  static const review::RecordTable* const kTable = [] {
    auto* table = new review::RecordTable;
    table->table = "online_signings";
    return table;
  }();
  return *kTable;
}

OnlineSigning::OnlineSigning(db::Pool& pool, FlowPeers& peers, const Clock& clock, Agreements& agreements)
    : pool_(pool), peers_(peers), clock_(clock), agreements_(agreements) {}

absl::Status OnlineSigning::CreateInvitation(const RequestInfo& info, const v1::CreateInvitationRequest& request,
                                             v1::OnlineSigning* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_EMPLOYER) {
    return PermissionDenied("EMPLOYERS_ONLY", "只有已注册的用人单位可以发起签约邀请。");
  }
  if (caller.employer_id().empty() || caller.employer_id() != request.employer_id()) {
    return PermissionDenied("OTHER_EMPLOYER", "只能以本单位的名义发起签约邀请。");
  }
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  int64_t school_id = 0;
  int64_t employer_id = 0;
  if (!ParseId(request.school_id(), &school_id)) {
    return InvalidArgument("SCHOOL_REQUIRED", "请选择毕业生所在的学校。", {{"field", "school_id"}});
  }
  if (!ParseId(request.employer_id(), &employer_id)) return PermissionDenied("OTHER_EMPLOYER", "只能以本单位的名义发起签约邀请。");
  const absl::Time now = clock_.Now();
  if (!request.has_answer_deadline()) {
    return InvalidArgument("ANSWER_DEADLINE_REQUIRED", "请设置学生应约截止时间。", {{"field", "answer_deadline"}});
  }
  const absl::Time answer_deadline = FromTimestamp(request.answer_deadline());
  if (answer_deadline <= now) {
    return InvalidArgument("ANSWER_DEADLINE_PASSED",
                           absl::StrCat("应约截止时间（", BeijingDate(answer_deadline), "）必须晚于当前时间，请重新选择。"),
                           {{"field", "answer_deadline"}});
  }
  if (answer_deadline > now + kMaxAnswerWindow) {
    return InvalidArgument("ANSWER_DEADLINE_TOO_LATE", "应约截止时间不能晚于一年以后，请重新选择。",
                           {{"field", "answer_deadline"}});
  }
  RETURN_IF_ERROR(ValidateAgreementTerms(request.terms()));

  GraduateInfo graduate;
  int64_t graduate_id = 0;
  if (!request.graduate_id().empty()) {
    if (!ParseId(request.graduate_id(), &graduate_id)) {
      return NotFound("GRADUATE_NOT_FOUND", "毕业生不存在，请核对学校和学号。");
    }
    ASSIGN_OR_RETURN(graduate, peers_.GetGraduate(info.deadline, school_id, graduate_id));
  } else if (!request.student_number().empty()) {
    if (request.class_year() <= 0) {
      return InvalidArgument("CLASS_YEAR_REQUIRED", "按学号查找毕业生时请填写毕业年份（届）。", {{"field", "class_year"}});
    }
    ASSIGN_OR_RETURN(graduate, peers_.FindGraduateByStudentNumber(info.deadline, school_id, request.class_year(),
                                                                  request.student_number()));
  } else {
    return InvalidArgument("GRADUATE_REQUIRED", "请填写毕业生的学号。", {{"field", "student_number"}});
  }

  // The local checks run first, so that a rejected request needs no more calls.
  ASSIGN_OR_RETURN(SettingsRecord settings, pool_.Read<SettingsRecord>(info.deadline, [&](db::Session& s) {
    return RequireOnlineSettings(s, school_id, graduate.class_year, false);
  }));
  ASSIGN_OR_RETURN(EligibilityInfo eligibility,
                   peers_.CheckOnlineSigningEligibility(info.deadline, school_id, graduate.id));
  if (!eligibility.eligible) {
    return FailedPrecondition(eligibility.reason.empty() ? "GRADUATE_NOT_ELIGIBLE" : eligibility.reason,
                              eligibility.message.empty() ? "该毕业生目前不能在线签约。" : eligibility.message,
                              {{"graduate_id", std::to_string(graduate.id)}});
  }
  ASSIGN_OR_RETURN(EmployerInfo employer, peers_.GetEmployer(info.deadline, request.employer_id()));
  const review::AgreementType agreement_type = ContextOf(settings).agreement_type;

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        // An open invitation past its deadline no longer blocks a new one.
        RETURN_IF_ERROR(s.Execute("UPDATE online_signings SET open_marker = NULL WHERE employer_id = ? AND "
                                  "graduate_id = ? AND open_marker = 1 AND answer_deadline <= ?",
                                  {employer_id, graduate.id, now})
                            .status());
        ASSIGN_OR_RETURN(auto open, s.QueryOne("SELECT id FROM online_signings WHERE employer_id = ? AND graduate_id = ? "
                                               "AND open_marker = 1 FOR UPDATE",
                                               {employer_id, graduate.id}));
        if (open) {
          return AlreadyExists("INVITATION_ALREADY_OPEN",
                               "您已向该毕业生发出签约邀请，请等待学生应约，或撤回原邀请后再重新发起。",
                               {{"invitation_id", open->String(0)}});
        }
        ASSIGN_OR_RETURN(auto accepted, s.QueryOne("SELECT id FROM online_signings WHERE employer_id = ? AND "
                                                   "graduate_id = ? AND invitation_state = 'ACCEPTED' AND "
                                                   "review_state IN ('PENDING', 'APPROVED')",
                                                   {employer_id, graduate.id}));
        if (accepted) {
          return FailedPrecondition("SIGNING_IN_PROGRESS", "该毕业生已同意贵单位的签约邀请，签约正在审核或已完成，不能重复发起。",
                                    {{"invitation_id", accepted->String(0)}});
        }
        RETURN_IF_ERROR(
            s.Execute("INSERT INTO online_signings (school_id, class_year, graduate_id, graduate_name, student_number, "
                      "department, employer_id, employer_name, employer_credit_code, invitation_state, "
                      "answer_deadline, open_marker, version, created_at, updated_at, position, work_location, salary, "
                      "other_terms, employer_address, employer_contact_name, employer_contact_phone) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'INVITED', ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      {school_id, static_cast<int64_t>(graduate.class_year), graduate.id, graduate.name,
                       graduate.student_number, graduate.department, employer_id, employer.name, employer.credit_code,
                       answer_deadline, now, now, request.terms().position(), request.terms().work_location(),
                       request.terms().salary(), request.terms().other_terms(), request.terms().employer_address(),
                       request.terms().employer_contact_name(), request.terms().employer_contact_phone()})
                .status());
        ASSIGN_OR_RETURN(int64_t id, s.LastInsertId());
        RETURN_IF_ERROR(SettingsUsage::MarkActed(s, school_id, graduate.class_year, now));
        ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
        if (!record) return Internal("INVITATION_VANISHED", "the inserted invitation was not found");
        *response = ToProto(*record, now, agreement_type);
        return absl::OkStatus();
      });
}

absl::Status OnlineSigning::ListEmployerInvitations(const RequestInfo& info,
                                                    const v1::ListEmployerInvitationsRequest& request,
                                                    v1::ListOnlineSigningsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  int64_t employer_id = 0;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_EMPLOYER || caller.employer_id() != request.employer_id() ||
      !ParseId(request.employer_id(), &employer_id)) {
    return PermissionDenied("OTHER_EMPLOYER", "只能查看本单位发起的签约邀请。");
  }
  if (request.page() < 0 || request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_PAGE", "页码不能为负数，每页条数应在 1 到 100 之间。");
  }
  const int page = request.page() == 0 ? 1 : request.page();
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  const absl::Time now = clock_.Now();
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto count, s.QueryOne("SELECT COUNT(*) FROM online_signings WHERE employer_id = ?", {employer_id}));
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns,
                                                     " FROM online_signings WHERE employer_id = ? ORDER BY id DESC "
                                                     "LIMIT ? OFFSET ?"),
                                        {employer_id, static_cast<int64_t>(page_size),
                                         static_cast<int64_t>(page - 1) * page_size}));
    AgreementTypes agreement_types(s);
    for (const db::Row& row : rows) {
      SigningRecord record = RowToRecord(row);
      *response->add_signings() = ToProto(record, now, agreement_types.Of(record));
    }
    response->set_total_size(count ? static_cast<int32_t>(count->Int64(0)) : 0);
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  });
}

absl::Status OnlineSigning::WithdrawInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                               v1::OnlineSigning* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_EMPLOYER) {
    return PermissionDenied("EMPLOYERS_ONLY", "只有发起邀请的单位可以撤回签约邀请。");
  }
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  int64_t id = 0;
  if (!ParseId(request.invitation_id(), &id)) return InvitationNotFound();
  const absl::Time now = clock_.Now();
  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/true));
        if (!record || std::to_string(record->employer_id) != caller.employer_id()) return InvitationNotFound();
        if (record->version != expected_version) return StaleVersion(kTargetType, request.invitation_id());
        if (record->invitation_state != kInvited) {
          return FailedPrecondition("INVITATION_ANSWERED", "学生已应约或邀请已结束，不能撤回。",
                                    {{"invitation_id", request.invitation_id()}});
        }
        if (now >= record->answer_deadline) {
          return FailedPrecondition("INVITATION_EXPIRED", "签约邀请已失效，无需撤回。", {{"invitation_id", request.invitation_id()}});
        }
        RETURN_IF_ERROR(s.Execute("UPDATE online_signings SET invitation_state = 'WITHDRAWN', open_marker = NULL, "
                                  "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                                  {now, id, expected_version})
                            .status());
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, id, false));
        *response = ToProto(*updated, now, DisplayAgreementType(s, updated->school_id, updated->class_year));
        return absl::OkStatus();
      });
}

absl::Status OnlineSigning::ListGraduateInvitations(const RequestInfo& info,
                                                    const v1::ListGraduateInvitationsRequest& request,
                                                    v1::ListOnlineSigningsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  int64_t graduate_id = 0;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_GRADUATE || caller.graduate_id() != request.graduate_id() ||
      caller.school_id() != request.school_id() || !ParseId(request.graduate_id(), &graduate_id)) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能查看本人收到的签约邀请。");
  }
  const absl::Time now = clock_.Now();
  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns,
                                                     " FROM online_signings WHERE graduate_id = ? ORDER BY id DESC"),
                                        {graduate_id}));
    std::optional<int64_t> holding_id;
    for (const db::Row& row : rows) {
      SigningRecord record = RowToRecord(row);
      if (record.invitation_state == kAccepted &&
          (record.review_state == "PENDING" || record.review_state == "APPROVED")) {
        holding_id = record.id;
      }
    }
    AgreementTypes agreement_types(s);
    for (const db::Row& row : rows) {
      SigningRecord record = RowToRecord(row);
      v1::OnlineSigning* out = response->add_signings();
      *out = ToProto(record, now, agreement_types.Of(record));
      out->set_view_only(out->state() != v1::ONLINE_SIGNING_STATE_INVITED || (holding_id && *holding_id != record.id));
    }
    response->set_total_size(response->signings_size());
    response->set_page(1);
    response->set_page_size(response->signings_size());
    return absl::OkStatus();
  }));
  int64_t school_id = 0;
  ParseId(request.school_id(), &school_id);
  return MarkWarnedEmployers(peers_, info.deadline, school_id, response->mutable_signings());
}

absl::Status OnlineSigning::AcceptInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                             v1::OnlineSigning* response) {
  return Answer(info, request, /*accept=*/true, response);
}

absl::Status OnlineSigning::DeclineInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                              v1::OnlineSigning* response) {
  return Answer(info, request, /*accept=*/false, response);
}

absl::Status OnlineSigning::Answer(const RequestInfo& info, const v1::InvitationActionRequest& request, bool accept,
                                   v1::OnlineSigning* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_GRADUATE) {
    return PermissionDenied("GRADUATES_ONLY", "只有收到邀请的毕业生本人可以应约。");
  }
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  int64_t id = 0;
  if (!ParseId(request.invitation_id(), &id)) return InvitationNotFound();
  const absl::Time now = clock_.Now();

  std::optional<LedgerCall> claim;
  absl::Status status = db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        // The row lock serializes the responses to one invitation, so that only the request whose
        // conditional update below will succeed makes a claim.
        ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/true));
        if (!record || std::to_string(record->graduate_id) != caller.graduate_id() ||
            std::to_string(record->school_id) != caller.school_id()) {
          return InvitationNotFound();
        }
        if (record->version != expected_version) return StaleVersion(kTargetType, request.invitation_id());
        if (record->invitation_state != kInvited) {
          return FailedPrecondition("INVITATION_ANSWERED", "该签约邀请已处理或已撤回，不能再次应约。",
                                    {{"invitation_id", request.invitation_id()}});
        }
        if (now >= record->answer_deadline) {
          return FailedPrecondition("INVITATION_EXPIRED",
                                    absl::StrCat("签约邀请已于 ", BeijingDate(record->answer_deadline),
                                                 " 失效，不能再应约。如仍有意向，请联系单位重新发起邀请。"),
                                    {{"invitation_id", request.invitation_id()}});
        }

        if (!accept) {
          RETURN_IF_ERROR(s.Execute("UPDATE online_signings SET invitation_state = 'DECLINED', open_marker = NULL, "
                                    "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                                    {now, id, expected_version})
                              .status());
          RETURN_IF_ERROR(SettingsUsage::MarkActed(s, record->school_id, record->class_year, now));
        } else {
          RETURN_IF_ERROR(RequireOnlineSettings(s, record->school_id, record->class_year, false).status());
          ASSIGN_OR_RETURN(bool holds_other, HoldsAcceptedInvitation(s, record->graduate_id, record->id));
          if (holds_other) return AnotherAcceptedError();

          claim = LedgerCallFor(*record, "claim", expected_version);
          absl::Status claimed = peers_.ClaimGraduate(info.deadline, *claim);
          if (!claimed.ok()) {
            // A claim that timed out or met an unavailable sync may have been applied, so it is
            // released below like one that succeeded. A definite rejection needs no release.
            if (!OutcomeUnknown(claimed)) claim.reset();
            return ClaimRefused(claimed);
          }
          // MarkActed and EnterReview lock the usage row. A concurrent settings update cannot change
          // the review mode after that, so the settings read below returns the mode that applies.
          RETURN_IF_ERROR(SettingsUsage::MarkActed(s, record->school_id, record->class_year, now));
          RETURN_IF_ERROR(SettingsUsage::EnterReview(s, record->school_id, record->class_year));
          ASSIGN_OR_RETURN(SettingsRecord settings,
                           RequireOnlineSettings(s, record->school_id, record->class_year, /*for_update=*/true));
          const review::Transition submission = review::Submission(ContextOf(settings).mode);
          ASSIGN_OR_RETURN(int64_t updated,
                           s.Execute("UPDATE online_signings SET invitation_state = 'ACCEPTED', open_marker = NULL, "
                                     "review_state = ?, review_stage = ?, version = version + 1, updated_at = ? "
                                     "WHERE id = ? AND version = ?",
                                     {std::string(review::StateName(submission.to_state)),
                                      std::string(review::StageName(submission.to_stage)), now, id, expected_version}));
          if (updated != 1) return StaleVersion(kTargetType, request.invitation_id());
          review::Actor actor = review::ActorFromPrincipal(caller, common::v1::MODULE_EMPLOYMENT);
          RETURN_IF_ERROR(review::RecordSubmission(s, OnlineSigningFlow(), actor, std::to_string(id), submission,
                                                   expected_version + 1, request.request_id(), now)
                              .status());
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, id, false));
        *response = ToProto(*updated, now, DisplayAgreementType(s, updated->school_id, updated->class_year));
        return absl::OkStatus();
      });

  if (!status.ok() && claim) {
    // The claim succeeded but the local transaction did not commit. Unless an earlier request
    // accepted this invitation (a repeat of the same click), the claim is released.
    // If this process dies between the claim and the release, sync's stale-claim job releases
    // the claim later, because CheckClaims reports a record that is not accepted as not in flight.
    auto current = pool_.Read<std::optional<SigningRecord>>(
        info.deadline, [&](db::Session& s) { return FindRecord(s, id, false); });
    if (current.ok() && *current && (*current)->invitation_state != kAccepted) {
      LedgerCall release = *claim;
      release.request_id = absl::StrCat(claim->request_id, "/release");
      absl::Status released = peers_.ReleaseClaim(info.deadline, release);
      if (!released.ok()) {
        spdlog::error("releasing the claim of invitation {} failed: {} {}", id, ErrorReason(released),
                      std::string(released.message()));
      }
    }
  }
  return status;
}

namespace {

// The SQL condition of 在线签约管理's filters in the caller's scope.
struct ListQuery {
  std::string where;
  std::vector<db::Param> params;
};

// The condition of `filters` (the filter fields of ListOnlineSigningsRequest) for `scope`,
// shared by the list and its export so that both return the same records.
absl::StatusOr<ListQuery> StaffListQuery(const StaffScope& scope, const v1::ListOnlineSigningsRequest& filters,
                                         absl::Time now) {
  if (!scope.department.empty() && !filters.department().empty() && filters.department() != scope.department) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE", "院系用户只能查看本院系的在线签约记录。",
                            {{"department", filters.department()}});
  }
  ListQuery query;
  query.where = "school_id = ?";
  query.params = {scope.school_id};
  switch (filters.status()) {
    case v1::STATUS_FILTER_UNSPECIFIED:
    case v1::STATUS_FILTER_PENDING_REVIEW:
      query.where += " AND review_state = 'PENDING'";
      break;
    case v1::STATUS_FILTER_ALL:
      break;
    case v1::STATUS_FILTER_INVITED:
      query.where += " AND invitation_state = 'INVITED' AND answer_deadline > ?";
      query.params.push_back(now);
      break;
    case v1::STATUS_FILTER_SIGNED:
      query.where += " AND review_state = 'APPROVED'";
      break;
    case v1::STATUS_FILTER_REJECTED:
      query.where += " AND review_state = 'REJECTED'";
      break;
    case v1::STATUS_FILTER_VOIDED:
      query.where += " AND review_state = 'VOIDED'";
      break;
    case v1::STATUS_FILTER_CLOSED:
      query.where += " AND (invitation_state IN ('DECLINED', 'WITHDRAWN') OR (invitation_state = 'INVITED' AND "
                     "answer_deadline <= ?))";
      query.params.push_back(now);
      break;
    default:
      return InvalidArgument("INVALID_STATUS_FILTER", "签约状态筛选条件无效，请重新选择。", {{"field", "status"}});
  }
  const std::string department = scope.department.empty() ? filters.department() : scope.department;
  if (!department.empty()) {
    query.where += " AND department = ?";
    query.params.push_back(department);
  }
  if (!filters.initiator().empty()) {
    query.where += " AND employer_name LIKE ?";
    query.params.push_back(LikePrefix(filters.initiator()));
  }
  if (!filters.query().empty()) {
    query.where += " AND (student_number = ? OR graduate_name LIKE ?)";
    query.params.push_back(filters.query());
    query.params.push_back(LikePrefix(filters.query()));
  }
  return query;
}

}  // namespace

absl::Status OnlineSigning::ListOnlineSignings(const RequestInfo& info, const v1::ListOnlineSigningsRequest& request,
                                               v1::ListOnlineSigningsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  if (request.page() < 0 || request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_PAGE", "页码不能为负数，每页条数应在 1 到 100 之间。");
  }
  const int page = request.page() == 0 ? 1 : request.page();
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, request, now));
  const std::string& where = query.where;
  const std::vector<db::Param>& params = query.params;

  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    // A deferred join. For the default filter, the derived table selects the page's ids from
    // ix_online_signings_state or ix_online_signings_review alone. So a deep OFFSET skips index
    // entries, not rows, and only the page's rows are read by primary key. The total comes with
    // each row from an uncorrelated subquery, which the server evaluates once.
    std::vector<db::Param> page_params = params;
    page_params.insert(page_params.end(), params.begin(), params.end());
    page_params.push_back(static_cast<int64_t>(page_size));
    page_params.push_back(static_cast<int64_t>(page - 1) * page_size);
    ASSIGN_OR_RETURN(auto rows,
                     s.Query(absl::StrCat("SELECT ", kColumns, ", (SELECT COUNT(*) FROM online_signings WHERE ", where,
                                          ") FROM online_signings JOIN (SELECT id AS page_id FROM online_signings "
                                          "WHERE ",
                                          where,
                                          " ORDER BY id DESC LIMIT ? OFFSET ?) page_ids ON online_signings.id = "
                                          "page_ids.page_id ORDER BY online_signings.id DESC"),
                             page_params));
    int64_t total = rows.empty() ? 0 : rows.front().Int64(kColumnCount);
    if (rows.empty() && page > 1) {
      // A page past the end returns no row to carry the total.
      ASSIGN_OR_RETURN(auto count,
                       s.QueryOne(absl::StrCat("SELECT COUNT(*) FROM online_signings WHERE ", where), params));
      total = count ? count->Int64(0) : 0;
    }
    AgreementTypes agreement_types(s);
    for (const db::Row& row : rows) {
      SigningRecord record = RowToRecord(row);
      *response->add_signings() = ToProto(record, now, agreement_types.Of(record));
    }
    response->set_total_size(static_cast<int32_t>(total));
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  }));
  return MarkWarnedEmployers(peers_, info.deadline, scope.school_id, response->mutable_signings());
}

namespace {

// The status filter in words, for the export audit.
const char* StatusFilterLabel(v1::StatusFilter status) {
  switch (status) {
    case v1::STATUS_FILTER_ALL:
      return "全部";
    case v1::STATUS_FILTER_INVITED:
      return "等待学生应约";
    case v1::STATUS_FILTER_SIGNED:
      return "签约完成";
    case v1::STATUS_FILTER_REJECTED:
      return "审核不通过";
    case v1::STATUS_FILTER_VOIDED:
      return "已作废";
    case v1::STATUS_FILTER_CLOSED:
      return "已拒绝、已失效或已撤回";
    default:
      return "等待学院/学校审核";
  }
}

// The columns of 下载当前查询数据 of 在线签约管理, in the order of OnlineSigningExportRecord.
ListExportSpec OnlineSigningExportSpec() {
  using exports::ColumnType;
  ListExportSpec spec;
  spec.kind = "signing.online.query";
  spec.file_title = "在线签约管理";
  spec.columns = {{"姓名", ColumnType::kText},
                  {"身份证件号", ColumnType::kIdNumber},
                  {"学号", ColumnType::kCode},
                  {"手机号码", ColumnType::kPhone},
                  {"院系", ColumnType::kText},
                  {"届别", ColumnType::kInteger},
                  {"签约单位", ColumnType::kText},
                  {"统一社会信用代码", ColumnType::kCode},
                  {"签约状态", ColumnType::kText},
                  {"应约截止时间", ColumnType::kDateTime},
                  {"发起时间", ColumnType::kDateTime},
                  {"更新时间", ColumnType::kDateTime}};
  spec.id_number_column = 1;
  spec.phone_column = 3;
  return spec;
}

ExportRecord OnlineSigningExportRecord(const SigningRecord& r, absl::Time now, review::AgreementType agreement_type) {
  using exports::Cell;
  ExportRecord record;
  record.id = r.id;
  record.graduate_id = r.graduate_id;
  record.cells = {Cell::Text(r.graduate_name),
                  Cell::Empty(),
                  Cell::Text(r.student_number),
                  Cell::Empty(),
                  Cell::Text(r.department),
                  Cell::Integer(r.class_year),
                  Cell::Text(r.employer_name),
                  Cell::Text(r.employer_credit_code),
                  Cell::Text(ToProto(r, now, agreement_type).status_text()),
                  Cell::Time(r.answer_deadline),
                  Cell::Time(r.created_at),
                  Cell::Time(r.updated_at)};
  return record;
}

}  // namespace

absl::Status OnlineSigning::ExportOnlineSignings(const RequestInfo& info, const v1::ExportOnlineSigningsRequest& request,
                                                 server::StreamWriter<common::v1::HttpFile>& stream) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  if (request.reveal_personal_data()) RETURN_IF_ERROR(CheckRevealAllowed(*info.principal));
  v1::ListOnlineSigningsRequest filters;
  filters.set_school_id(request.school_id());
  filters.set_status(request.status());
  filters.set_department(request.department());
  filters.set_initiator(request.initiator());
  filters.set_query(request.query());
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, filters, now));

  ListExportOptions options;
  options.school_id = scope.school_id;
  options.format = request.format();
  options.full_view = request.reveal_personal_data();
  options.filter_summary = absl::StrCat("状态=", StatusFilterLabel(request.status()));
  const std::string department = scope.department.empty() ? request.department() : scope.department;
  if (!department.empty()) absl::StrAppend(&options.filter_summary, "; 院系=", department);
  if (!request.initiator().empty()) absl::StrAppend(&options.filter_summary, "; 发起单位=", request.initiator());
  if (!request.query().empty()) absl::StrAppend(&options.filter_summary, "; 学号或姓名=", request.query());

  ExportPageReader read_page = [&](db::Session& s, int64_t before_id,
                                   int limit) -> absl::StatusOr<std::vector<ExportRecord>> {
    std::vector<db::Param> params = query.params;
    params.push_back(before_id);
    params.push_back(static_cast<int64_t>(limit));
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, " FROM online_signings WHERE ", query.where,
                                                     " AND id < ? ORDER BY id DESC LIMIT ?"),
                                        params));
    AgreementTypes agreement_types(s);
    std::vector<ExportRecord> records;
    records.reserve(rows.size());
    for (const db::Row& row : rows) {
      SigningRecord record = RowToRecord(row);
      records.push_back(OnlineSigningExportRecord(record, now, agreement_types.Of(record)));
    }
    return records;
  };
  ListExport list_export(pool_, peers_, clock_);
  return list_export.Run(info, OnlineSigningExportSpec(), options, read_page, stream);
}

namespace {

// The record `id_text` of `school_id` for its own graduate or its inviting employer. Another
// party's record, or one of another school, is NOT_FOUND, as a missing one.
absl::StatusOr<SigningRecord> FindOwnSigning(db::Session& s, const Principal& caller, const std::string& school_id,
                                             const std::string& id_text) {
  int64_t id = 0;
  if (!ParseId(id_text, &id)) return InvitationNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/false));
  if (!record || std::to_string(record->school_id) != school_id) return InvitationNotFound();
  const bool own =
      caller.kind() == common::v1::PRINCIPAL_KIND_GRADUATE
          ? std::to_string(record->graduate_id) == caller.graduate_id() && caller.school_id() == school_id
          : std::to_string(record->employer_id) == caller.employer_id();
  if (!own) return InvitationNotFound();
  return *record;
}

}  // namespace

absl::Status OnlineSigning::GetOnlineSigning(const RequestInfo& info, const v1::GetOnlineSigningRequest& request,
                                             v1::OnlineSigning* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  // Graduates and employers read their own signings. They see each review step's stage, whose
  // role (学院 or 学校) is the reviewer they deal with, but not the staff member who acted.
  const bool party = caller.kind() == common::v1::PRINCIPAL_KIND_GRADUATE ||
                     caller.kind() == common::v1::PRINCIPAL_KIND_EMPLOYER;
  StaffScope scope;
  if (!party) {
    ASSIGN_OR_RETURN(scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  }
  const absl::Time now = clock_.Now();
  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(SigningRecord record, party ? FindOwnSigning(s, caller, request.school_id(), request.invitation_id())
                                                 : FindInScope(s, scope, request.invitation_id()));
    scope.school_id = record.school_id;
    const review::AgreementType agreement_type = DisplayAgreementType(s, record.school_id, record.class_year);
    *response = ToProto(record, now, agreement_type);
    ASSIGN_OR_RETURN(auto history, review::ListHistory(s, OnlineSigningFlow().name, std::to_string(record.id)));
    for (const review::HistoryEntry& entry : history) {
      v1::ReviewStep* step = response->add_history();
      step->set_action(std::string(review::ActionName(entry.action)));
      step->set_action_text(review::ActionLabel(OnlineSigningFlow(), agreement_type, entry.action));
      step->set_stage(StageToProto(std::string(review::StageName(entry.stage))));
      if (!party) {
        step->set_reviewer_id(entry.reviewer_id);
        step->set_reviewer_name(entry.reviewer_name);
      }
      step->set_reason_code(entry.reason_code);
      step->set_detail(entry.detail);
      *step->mutable_occurred_at() = ToTimestamp(entry.occurred_at);
    }
    return absl::OkStatus();
  }));
  // The warning mark is internal to schools, so employers never see it, not even their own.
  if (caller.kind() == common::v1::PRINCIPAL_KIND_EMPLOYER) return absl::OkStatus();
  if (response->employer_credit_code().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::set<std::string> warned,
                   peers_.WarnedEmployers(info.deadline, scope.school_id, {response->employer_credit_code()}));
  response->set_employer_warned(warned.count(response->employer_credit_code()) > 0);
  return absl::OkStatus();
}

namespace {

// The record's data for its agreement. The graduate accepted when the record was submitted for
// review, so that history entry gives the acceptance day.
absl::StatusOr<OnlineAgreementRecord> AgreementRecordOf(db::Session& s, const SigningRecord& record) {
  OnlineAgreementRecord out;
  out.id = record.id;
  out.school_id = record.school_id;
  out.class_year = record.class_year;
  out.graduate_id = record.graduate_id;
  out.employer_id = std::to_string(record.employer_id);
  out.invited_at = record.created_at;
  out.accepted_at = record.updated_at;
  out.terms = record.terms;
  ASSIGN_OR_RETURN(auto history, review::ListHistory(s, OnlineSigningFlow().name, std::to_string(record.id)));
  for (const review::HistoryEntry& entry : history) {
    if (entry.action == review::Action::kSubmit) {
      out.accepted_at = entry.occurred_at;
      break;
    }
  }
  return out;
}

// The destination that approval and modification send to sync's ledger.
absl::StatusOr<ems::v1::Destination> DestinationOf(FlowPeers& peers, absl::Time deadline, const SigningRecord& record,
                                                   absl::Time signed_at) {
  ASSIGN_OR_RETURN(std::string code, peers.AgreementDestinationCode(deadline, record.class_year));
  ems::v1::Destination destination;
  destination.set_destination_code(code);
  destination.set_employer_name(record.employer_name);
  destination.set_employer_credit_code(record.employer_credit_code);
  destination.set_signed_date(BeijingDate(signed_at));
  return destination;
}

// The side effects of an applied review action, in its transaction: the ledger call, the
// agreement, the reject columns and the settings usage. Runs only for an action applied now,
// never for a replay. `actor_user_id` is the reviewer, recorded as the agreement's issuer.
absl::Status AfterReview(db::Session& s, FlowPeers& peers, Agreements& agreements, const std::string& actor_user_id,
                         absl::Time deadline, const SigningRecord& record, const review::AppliedAction& applied,
                         absl::Time now) {
  const review::Transition& t = applied.transition;
  if (t.became_effective) {
    ASSIGN_OR_RETURN(ems::v1::Destination destination, DestinationOf(peers, deadline, record, now));
    RETURN_IF_ERROR(peers.CommitDestination(deadline, LedgerCallFor(record, "commit", applied.new_version), destination));
    RETURN_IF_ERROR(SettingsUsage::LeaveReview(s, record.school_id, record.class_year));
    ASSIGN_OR_RETURN(OnlineAgreementRecord agreement_record, AgreementRecordOf(s, record));
    RETURN_IF_ERROR(
        IssueOnlineAgreement(s, peers, agreements, agreement_record, actor_user_id, deadline, now).status());
  } else if (t.to_state == review::State::kRejected) {
    RETURN_IF_ERROR(s.Execute("UPDATE online_signings SET reject_reason_code = ?, reject_detail = ? WHERE id = ?",
                              {t.reason_code, t.detail, record.id})
                        .status());
    RETURN_IF_ERROR(peers.ReleaseClaim(deadline, LedgerCallFor(record, "release", applied.new_version)));
    RETURN_IF_ERROR(SettingsUsage::LeaveReview(s, record.school_id, record.class_year));
  } else if (t.to_state == review::State::kVoided) {
    RETURN_IF_ERROR(peers.VoidDestination(deadline, LedgerCallFor(record, "void", applied.new_version)));
    RETURN_IF_ERROR(agreements.MarkVoided(s, {AgreementFlow::kOnlineSigning, record.id, record.school_id}, now));
  }
  return absl::OkStatus();
}

absl::StatusOr<review::ActionRequest> DecisionToAction(v1::ReviewDecision decision, const std::string& reason_code,
                                                       const std::string& detail) {
  review::ActionRequest action;
  if (decision == v1::REVIEW_DECISION_APPROVE) {
    action.action = review::Action::kApprove;
  } else if (decision == v1::REVIEW_DECISION_REJECT) {
    action.action = review::Action::kReject;
    action.reason_code = reason_code;
  } else {
    return InvalidArgument("DECISION_REQUIRED", "请选择审核结果：通过或不通过。", {{"field", "decision"}});
  }
  action.detail = detail;
  return action;
}

}  // namespace

absl::Status OnlineSigning::ReviewOnlineSigning(const RequestInfo& info,
                                                const v1::ReviewOnlineSigningRequest& request,
                                                v1::OnlineSigning* response) {
  // Read-only staff pass here and get PERMISSION_DENIED from the review engine, which checks
  // the grant of every actor.
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  action.expected_version = expected_version;
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(SigningRecord record, FindInScope(s, scope, request.invitation_id()));
        RETURN_IF_ERROR(RequireAccepted(record));
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OnlineSigningTable(), OnlineSigningFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterReview(s, peers_, agreements_, info.principal->user_id(), info.deadline, record, applied, now));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, now, context.agreement_type);
        if (applied.replayed) return absl::OkStatus();
        return InsertStaffAudit(s, info, record, *response,
                                absl::StrCat("online_signing.", absl::AsciiStrToLower(review::ActionName(action.action))),
                                request.request_id(), now, context.agreement_type);
      });
}

absl::Status OnlineSigning::BatchReviewOnlineSignings(const RequestInfo& info,
                                                      const v1::BatchReviewOnlineSigningsRequest& request,
                                                      v1::BatchReviewOnlineSigningsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  const absl::Time now = clock_.Now();

  review::BatchRequest batch;
  batch.table = OnlineSigningTable();
  batch.flow = OnlineSigningFlow();
  batch.actor = StaffActor(*info.principal);
  batch.action = action;
  batch.request_id = request.request_id();
  for (const v1::BatchReviewItem& item : request.items()) {
    int64_t version = 0;
    absl::SimpleAtoi(item.etag(), &version);
    batch.items.push_back({item.invitation_id(), version});
  }
  // The review context comes from the settings of the class of the first record that loads. The
  // loader rejects a record of another class, whose settings may differ.
  std::optional<int> class_year;
  auto load = [&](db::Session& s, const std::string& record_id) -> absl::StatusOr<review::RecordSnapshot> {
    ASSIGN_OR_RETURN(SigningRecord record, FindInScope(s, scope, record_id));
    RETURN_IF_ERROR(RequireAccepted(record));
    if (!class_year || *class_year != record.class_year) {
      return InvalidArgument("BATCH_MIXES_CLASSES", "批量审核的记录须属于同一届毕业生，请按届分别审核。");
    }
    return SnapshotOf(record);
  };
  for (const v1::BatchReviewItem& item : request.items()) {
    auto first = pool_.Read<SigningRecord>(info.deadline, [&](db::Session& s) {
      return FindInScope(s, scope, item.invitation_id());
    });
    if (!first.ok()) continue;
    class_year = first->class_year;
    ASSIGN_OR_RETURN(SettingsRecord settings, pool_.Read<SettingsRecord>(info.deadline, [&](db::Session& s) {
      return RequireOnlineSettings(s, first->school_id, first->class_year, false);
    }));
    batch.context = ContextOf(settings);
    break;
  }
  // Without a record that loads, every item fails in the loader, so the default context is
  // never used for a decision.
  auto after = [&](db::Session& s, const review::RecordSnapshot& snapshot,
                   const review::AppliedAction& applied) -> absl::Status {
    int64_t id = 0;
    if (!ParseId(snapshot.record_id, &id)) return InvitationNotFound();
    ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
    if (!record) return InvitationNotFound();
    // The record was re-read after the update, so its columns show the new state; the audit's
    // before is rebuilt from the snapshot's version.
    SigningRecord before = *record;
    before.review_state = std::string(review::StateName(applied.transition.from_state));
    before.review_stage = std::string(review::StageName(applied.transition.from_stage));
    before.version = snapshot.version;
    RETURN_IF_ERROR(AfterReview(s, peers_, agreements_, info.principal->user_id(), info.deadline, before, applied, now));
    ASSIGN_OR_RETURN(auto updated, FindRecord(s, id, false));
    return InsertStaffAudit(s, info, before, ToProto(*updated, now, batch.context.agreement_type),
                            absl::StrCat("online_signing.batch_", absl::AsciiStrToLower(review::ActionName(action.action))),
                            request.request_id(), now, batch.context.agreement_type);
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

absl::Status OnlineSigning::VoidOnlineSigning(const RequestInfo& info, const v1::VoidOnlineSigningRequest& request,
                                              v1::OnlineSigning* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kVoid;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  action.detail = request.detail();
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(SigningRecord record, FindInScope(s, scope, request.invitation_id()));
        RETURN_IF_ERROR(RequireAccepted(record));
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OnlineSigningTable(), OnlineSigningFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterReview(s, peers_, agreements_, info.principal->user_id(), info.deadline, record, applied, now));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, now, context.agreement_type);
        if (applied.replayed) return absl::OkStatus();
        return InsertStaffAudit(s, info, record, *response, "online_signing.void", request.request_id(), now,
                                context.agreement_type);
      });
}

absl::Status OnlineSigning::ModifyOnlineSigning(const RequestInfo& info, const v1::ModifyOnlineSigningRequest& request,
                                                v1::OnlineSigning* response) {
  // Department and read-only users pass here and get PERMISSION_DENIED from the review engine,
  // which lets only school users with 读写 modify.
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kModify;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  if (absl::StripAsciiWhitespace(request.detail()).empty()) {
    return InvalidArgument("MODIFY_DETAIL_REQUIRED", "请填写修改原因。", {{"field", "detail"}});
  }
  action.detail = request.detail();
  RETURN_IF_ERROR(ValidateAgreementTerms(request.terms()));
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(SigningRecord record, FindInScope(s, scope, request.invitation_id()));
        RETURN_IF_ERROR(RequireAccepted(record));
        ASSIGN_OR_RETURN(SettingsRecord settings, RequireOnlineSettings(s, record.school_id, record.class_year, false));
        const review::ReviewContext context = ContextOf(settings);
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, OnlineSigningTable(), OnlineSigningFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) {
          const v1::AgreementTerms& terms = request.terms();
          RETURN_IF_ERROR(s.Execute("UPDATE online_signings SET position = ?, work_location = ?, salary = ?, "
                                    "other_terms = ?, employer_address = ?, employer_contact_name = ?, "
                                    "employer_contact_phone = ?, updated_at = ? WHERE id = ?",
                                    {terms.position(), terms.work_location(), terms.salary(), terms.other_terms(),
                                     terms.employer_address(), terms.employer_contact_name(),
                                     terms.employer_contact_phone(), now, record.id})
                              .status());
          ASSIGN_OR_RETURN(auto modified, FindRecord(s, record.id, false));
          ASSIGN_OR_RETURN(OnlineAgreementRecord agreement_record, AgreementRecordOf(s, *modified));
          // The ledger gets the destination again through the path approval uses, so that the
          // EMS record follows the modification.
          ASSIGN_OR_RETURN(auto latest, agreements_.LatestAgreement(s, {AgreementFlow::kOnlineSigning, record.id,
                                                                        record.school_id}));
          // The signing day stays the day of the final approval, which the agreement prints.
          absl::Time signed_at = now;
          if (latest && latest->content.sign_dates.school) {
            signed_at = absl::FromCivil(*latest->content.sign_dates.school, Beijing());
          }
          ASSIGN_OR_RETURN(ems::v1::Destination destination, DestinationOf(peers_, info.deadline, *modified, signed_at));
          RETURN_IF_ERROR(peers_.CommitDestination(info.deadline, LedgerCallFor(record, "modify", applied.new_version),
                                                   destination));
          RETURN_IF_ERROR(IssueOnlineAgreement(s, peers_, agreements_, agreement_record, info.principal->user_id(),
                                               info.deadline, now)
                              .status());
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated, now, context.agreement_type);
        if (applied.replayed) return absl::OkStatus();
        return InsertStaffAudit(s, info, record, *response, "online_signing.modify", request.request_id(), now,
                                context.agreement_type);
      });
}

absl::Status OnlineSigning::GetOnlineSigningPendingCounts(const RequestInfo& info,
                                                          const v1::GetOnlineSigningPendingCountsRequest& request,
                                                          v1::OnlineSigningPendingCounts* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  const review::Stage queue_stage = scope.department.empty() ? review::Stage::kSchool : review::Stage::kDepartment;
  const std::string stage_name(review::StageName(queue_stage));
  // The first parameter is the stage counted in the select list, the rest belong to the WHERE.
  std::string where = "school_id = ? AND review_state = ?";
  std::vector<db::Param> params = {stage_name, scope.school_id,
                                   std::string(review::StateName(review::State::kPending))};
  if (!scope.department.empty()) {
    where += " AND department = ?";
    params.push_back(scope.department);
  }

  ASSIGN_OR_RETURN(auto row, pool_.Read<std::optional<db::Row>>(info.deadline, [&](db::Session& s) {
    return s.QueryOne(
        absl::StrCat("SELECT COUNT(*), CAST(COALESCE(SUM(review_stage = ?), 0) AS SIGNED) FROM online_signings WHERE ", where), params);
  }));
  response->set_queue_stage(StageToProto(stage_name));
  response->set_queue_count(row ? static_cast<int32_t>(row->Int64(1)) : 0);
  response->set_all_pending_count(row ? static_cast<int32_t>(row->Int64(0)) : 0);
  return absl::OkStatus();
}

absl::Status OnlineSigning::CheckClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
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

  // An id that is not a positive number names no record, so its claim is not in flight.
  std::vector<int64_t> ids;
  for (const std::string& record_id : request.record_ids()) {
    int64_t id = 0;
    if (ParseId(record_id, &id)) ids.push_back(id);
  }
  std::set<int64_t> in_flight;
  if (!ids.empty()) {
    std::string placeholders;
    std::vector<db::Param> params;
    for (int64_t id : ids) {
      absl::StrAppend(&placeholders, placeholders.empty() ? "?" : ", ?");
      params.push_back(id);
    }
    params.push_back(std::string(kAccepted));
    params.push_back(std::string(review::StateName(review::State::kPending)));
    params.push_back(std::string(review::StateName(review::State::kApproved)));
    ASSIGN_OR_RETURN(auto rows, pool_.Read<std::vector<db::Row>>(info.deadline, [&](db::Session& s) {
      return s.Query(absl::StrCat("SELECT id FROM online_signings WHERE id IN (", placeholders,
                                  ") AND invitation_state = ? AND review_state IN (?, ?)"),
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

#include "services/signing/paper_registration.h"

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
#include "services/signing/paper_agreement.h"
#include "spdlog/spdlog.h"

namespace quxiang::signing {
namespace {

using identity::Principal;

constexpr size_t kMaxRequestIdLength = 128;
constexpr int kDefaultPageSize = 10;
constexpr int kMaxPageSize = 100;
constexpr char kTargetType[] = "paper_registration";
// The record type of the scans in the file store.
constexpr char kScanRecordType[] = "signing.paper_registration";

// The columns RowToRecord reads, in its order, from kFrom.
constexpr char kColumns[] =
    "p.id, p.school_id, p.class_year, p.graduate_id, p.graduate_name, p.student_number, p.department, "
    "p.employer_name, p.employer_credit_code, p.unit_nature_code, p.industry_code, p.job_category_code, "
    "p.unit_location_code, p.position, p.contact_name, p.contact_phone, p.contact_email, p.employer_address, "
    "p.employer_postal_code, p.signed_date, p.agreement_number, p.scan_file_id, p.review_state, p.review_stage, "
    "p.reject_reason_code, p.review_detail, p.version, p.created_at, p.updated_at, "
    "COALESCE(f.original_name, ''), COALESCE(f.content_type, ''), COALESCE(f.size_bytes, 0)";
constexpr char kFrom[] = " FROM paper_registrations p LEFT JOIN stored_files f ON f.id = p.scan_file_id ";

struct PaperRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  int class_year = 0;
  int64_t graduate_id = 0;
  std::string graduate_name;
  std::string student_number;
  std::string department;
  v1::PaperAgreement agreement;
  std::string scan_file_id;
  // '' while the record is a draft.
  std::string review_state;
  std::string review_stage;
  std::string reject_reason_code;
  std::string review_detail;
  int64_t version = 0;
  absl::Time created_at;
  absl::Time updated_at;
  std::string scan_file_name;
  std::string scan_content_type;
  int64_t scan_size_bytes = 0;

  bool is_draft() const { return review_state.empty(); }
};

PaperRecord RowToRecord(const db::Row& row) {
  PaperRecord r;
  r.id = row.Int64(0);
  r.school_id = row.Int64(1);
  r.class_year = static_cast<int>(row.Int64(2));
  r.graduate_id = row.Int64(3);
  r.graduate_name = row.String(4);
  r.student_number = row.String(5);
  r.department = row.String(6);
  v1::PaperAgreement& a = r.agreement;
  a.set_employer_name(row.String(7));
  a.set_employer_credit_code(row.String(8));
  a.set_unit_nature_code(row.String(9));
  a.set_industry_code(row.String(10));
  a.set_job_category_code(row.String(11));
  a.set_unit_location_code(row.String(12));
  a.set_position(row.String(13));
  a.set_contact_name(row.String(14));
  a.set_contact_phone(row.String(15));
  a.set_contact_email(row.String(16));
  a.set_employer_address(row.String(17));
  a.set_employer_postal_code(row.String(18));
  a.set_signed_date(row.String(19));
  a.set_agreement_number(row.String(20));
  r.scan_file_id = row.String(21);
  r.review_state = row.String(22);
  r.review_stage = row.String(23);
  r.reject_reason_code = row.String(24);
  r.review_detail = row.String(25);
  r.version = row.Int64(26);
  r.created_at = row.Time(27);
  r.updated_at = row.Time(28);
  r.scan_file_name = row.String(29);
  r.scan_content_type = row.String(30);
  r.scan_size_bytes = row.Int64(31);
  return r;
}

// The agreement columns in the order AgreementParams returns them.
constexpr char kAgreementAssignments[] =
    "employer_name = ?, employer_credit_code = ?, unit_nature_code = ?, industry_code = ?, job_category_code = ?, "
    "unit_location_code = ?, position = ?, contact_name = ?, contact_phone = ?, contact_email = ?, "
    "employer_address = ?, employer_postal_code = ?, signed_date = ?, agreement_number = ?";

std::vector<db::Param> AgreementParams(const v1::PaperAgreement& a) {
  return {a.employer_name(),    a.employer_credit_code(), a.unit_nature_code(), a.industry_code(),
          a.job_category_code(), a.unit_location_code(),  a.position(),         a.contact_name(),
          a.contact_phone(),    a.contact_email(),        a.employer_address(), a.employer_postal_code(),
          a.signed_date(),      a.agreement_number()};
}

absl::StatusOr<std::optional<PaperRecord>> FindRecord(db::Session& s, int64_t id, bool for_update) {
  if (for_update) {
    // Locks only the registration row, because the join below only reads file metadata.
    RETURN_IF_ERROR(s.QueryOne("SELECT id FROM paper_registrations WHERE id = ? FOR UPDATE", {id}).status());
  }
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT ", kColumns, kFrom, "WHERE p.id = ?"), {id}));
  if (!row) return std::optional<PaperRecord>();
  return std::optional<PaperRecord>(RowToRecord(*row));
}

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

absl::Status NotLoggedIn() { return Unauthenticated("MISSING_TOKEN", "请先登录。"); }

absl::Status RegistrationNotFound() {
  return NotFound("PAPER_REGISTRATION_NOT_FOUND", "补登记录不存在或无权查看，请刷新列表后重试。");
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

bool StateIs(const PaperRecord& r, review::State state) { return r.review_state == review::StateName(state); }

v1::PaperRegistration ToProto(const PaperRecord& r) {
  v1::PaperRegistration out;
  out.set_id(std::to_string(r.id));
  out.set_school_id(std::to_string(r.school_id));
  out.set_class_year(r.class_year);
  out.set_graduate_id(std::to_string(r.graduate_id));
  out.set_graduate_name(r.graduate_name);
  out.set_student_number(r.student_number);
  out.set_department(r.department);
  *out.mutable_agreement() = r.agreement;
  out.set_scan_file_name(r.scan_file_name);
  out.set_scan_content_type(r.scan_content_type);
  out.set_scan_size_bytes(r.scan_size_bytes);
  out.set_reject_reason_code(r.reject_reason_code);
  out.set_review_detail(r.review_detail);
  *out.mutable_created_at() = ToTimestamp(r.created_at);
  *out.mutable_updated_at() = ToTimestamp(r.updated_at);
  out.set_etag(std::to_string(r.version));

  if (r.is_draft()) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_DRAFT);
    out.set_status_text("草稿，尚未提交审核");
  } else if (StateIs(r, review::State::kPending)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_PENDING_REVIEW);
    out.set_review_stage(StageToProto(r.review_stage));
    out.set_status_text(out.review_stage() == v1::REVIEW_STAGE_DEPARTMENT ? "签约审核中，等待学院审核"
                                                                           : "签约审核中，等待学校审核");
  } else if (StateIs(r, review::State::kReturned)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_RETURNED);
    out.set_status_text("退回修改");
  } else if (StateIs(r, review::State::kRejected)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_REJECTED);
    out.set_status_text("审核不通过");
  } else if (StateIs(r, review::State::kWithdrawn)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_WITHDRAWN);
    out.set_status_text("已撤回");
  } else if (StateIs(r, review::State::kApproved)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_REGISTERED);
    out.set_status_text("登记完成");
  } else if (StateIs(r, review::State::kVoided)) {
    out.set_state(v1::PAPER_REGISTRATION_STATE_VOIDED);
    out.set_status_text("已作废");
  }
  return out;
}

// The settings of the class, submitted with 补登 on. 在线签约 turns 补登 on, so either switch
// will do.
absl::StatusOr<SettingsRecord> RequirePaperSettings(db::Session& s, int64_t school_id, int class_year,
                                                    bool for_update) {
  ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(s, school_id, class_year, for_update));
  const ErrorMetadata metadata = {{"school_id", std::to_string(school_id)},
                                  {"class_year", std::to_string(class_year)}};
  if (!settings) {
    return FailedPrecondition("SETTINGS_NOT_SUBMITTED",
                              absl::StrCat("学校尚未提交 ", class_year, " 届的签约设置，暂时不能补登，请联系学校就业部门。"),
                              metadata);
  }
  if (!settings->online_signing_enabled && !settings->paper_registration_enabled) {
    return FailedPrecondition("PAPER_REGISTRATION_DISABLED",
                              absl::StrCat("学校未开启 ", class_year, " 届的补登，请联系学校就业部门。"), metadata);
  }
  return *settings;
}

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
                              "您已有进行中或已生效的签约、补登或去向登记，不能再提交补登。如需更换，请先办理解约或作废。");
  }
  return status;
}

LedgerCall LedgerCallFor(const PaperRecord& r, absl::string_view step, int64_t version) {
  LedgerCall call;
  call.flow = LedgerFlow::kPaperAgreement;
  call.request_id = absl::StrCat("signing.paper/", r.id, "/", step, "/", version);
  call.school_id = r.school_id;
  call.graduate_id = r.graduate_id;
  call.record_id = std::to_string(r.id);
  return call;
}

review::RecordSnapshot SnapshotOf(const PaperRecord& r) {
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

absl::Status LoadHistory(db::Session& s, const PaperRecord& record, v1::PaperRegistration* out) {
  ASSIGN_OR_RETURN(auto history, review::ListHistory(s, PaperRegistrationFlow().name, std::to_string(record.id)));
  for (const review::HistoryEntry& entry : history) {
    v1::ReviewStep* step = out->add_history();
    step->set_action(std::string(review::ActionName(entry.action)));
    // The flow always uses 审核, so the agreement type does not matter here.
    step->set_action_text(review::ActionLabel(PaperRegistrationFlow(), review::AgreementType::kThreeParty, entry.action));
    step->set_stage(StageToProto(std::string(review::StageName(entry.stage))));
    step->set_reviewer_id(entry.reviewer_id);
    step->set_reviewer_name(entry.reviewer_name);
    step->set_reason_code(entry.reason_code);
    step->set_detail(entry.detail);
    *step->mutable_occurred_at() = ToTimestamp(entry.occurred_at);
  }
  return absl::OkStatus();
}

// --- The graduate's side -------------------------------------------------------------------

struct GraduateCaller {
  int64_t school_id = 0;
  int64_t graduate_id = 0;
};

// The caller as the graduate named by the request's school and graduate ids.
absl::StatusOr<GraduateCaller> RequireGraduate(const RequestInfo& info, const std::string& school_id,
                                               const std::string& graduate_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  GraduateCaller out;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_GRADUATE || caller.graduate_id() != graduate_id ||
      caller.school_id() != school_id || !ParseId(school_id, &out.school_id) ||
      !ParseId(graduate_id, &out.graduate_id)) {
    return PermissionDenied("OWN_RECORD_ONLY", "补登只能由毕业生本人办理，且只能查看和修改本人的登记信息。");
  }
  return out;
}

// Locks and returns the caller's own registration `id_text`. Another graduate's is NOT_FOUND.
absl::StatusOr<PaperRecord> FindOwn(db::Session& s, const GraduateCaller& caller, const std::string& id_text) {
  int64_t id = 0;
  if (!ParseId(id_text, &id)) return RegistrationNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, /*for_update=*/true));
  if (!record || record->graduate_id != caller.graduate_id || record->school_id != caller.school_id) {
    return RegistrationNotFound();
  }
  return *record;
}

// Drafts, returned and withdrawn registrations are the graduate's to edit.
absl::Status RequireEditable(const PaperRecord& r) {
  if (r.is_draft() || StateIs(r, review::State::kReturned) || StateIs(r, review::State::kWithdrawn)) {
    return absl::OkStatus();
  }
  return FailedPrecondition("PAPER_REGISTRATION_NOT_EDITABLE",
                            absl::StrCat("该补登记录当前为“", ToProto(r).status_text(),
                                         "”，只有草稿、退回修改或已撤回的登记可以修改。如需修改审核中的登记，请先撤回。"),
                            {{"registration_id", std::to_string(r.id)}});
}

// --- The staff's side ----------------------------------------------------------------------

struct StaffScope {
  int64_t school_id = 0;
  // Set for department users.
  std::string department;
};

absl::StatusOr<StaffScope> AuthorizeStaff(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  if (!caller.IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以管理补登。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  // Read-only staff pass here, and the review engine rejects their actions because it checks
  // the grant of every actor.
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_ONLY));
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

// A submitted registration of the staff member's school and department. Drafts, another
// school's and another department's registrations are NOT_FOUND, as a missing one.
absl::StatusOr<PaperRecord> FindInScope(db::Session& s, const StaffScope& scope, const std::string& id_text,
                                        bool for_update) {
  int64_t id = 0;
  if (!ParseId(id_text, &id)) return RegistrationNotFound();
  ASSIGN_OR_RETURN(auto record, FindRecord(s, id, for_update));
  if (!record || record->school_id != scope.school_id || record->is_draft()) return RegistrationNotFound();
  if (!scope.department.empty() && record->department != scope.department) return RegistrationNotFound();
  return *record;
}

review::Actor StaffActor(const Principal& principal) {
  review::Actor actor = review::ActorFromPrincipal(principal, common::v1::MODULE_EMPLOYMENT);
  // Records carry the roster's department name, which department accounts carry too.
  actor.department_id = principal.department_name();
  return actor;
}

absl::Status InsertAudit(db::Session& s, const RequestInfo& info, const PaperRecord& before,
                         const v1::PaperRegistration& after, const std::string& action, const std::string& request_id,
                         absl::Time now) {
  AuditRecord entry;
  entry.occurred_at = now;
  entry.actor_user_id = info.principal->user_id();
  entry.actor_username = info.principal->username();
  entry.actor_kind = info.principal->kind();
  entry.school_id = before.school_id;
  entry.action = action;
  entry.target_type = kTargetType;
  entry.target_id = std::to_string(before.id);
  entry.before_json = ToJson(ToProto(before));
  entry.after_json = ToJson(after);
  entry.request_id = request_id;
  entry.trace_id = info.trace_id;
  entry.peer = info.peer;
  return Repository::InsertAudit(s, entry);
}

// Sets employer_warned on `registrations`, all shown to staff of `school_id`, with one call to
// the warning service.
absl::Status MarkWarnedEmployers(FlowPeers& peers, absl::Time deadline, int64_t school_id,
                                 google::protobuf::RepeatedPtrField<v1::PaperRegistration>* registrations) {
  std::vector<std::string> codes;
  for (const v1::PaperRegistration& r : *registrations) {
    if (!r.agreement().employer_credit_code().empty()) codes.push_back(r.agreement().employer_credit_code());
  }
  ASSIGN_OR_RETURN(std::set<std::string> warned, peers.WarnedEmployers(deadline, school_id, codes));
  for (v1::PaperRegistration& r : *registrations) {
    r.set_employer_warned(warned.count(r.agreement().employer_credit_code()) > 0);
  }
  return absl::OkStatus();
}

// The side effects of an applied review action, in its transaction: the ledger call, the
// review columns of this flow and the settings usage. Runs only for an action applied now,
// never for a replay. `record` contains the state before the action.
absl::Status AfterReview(db::Session& s, FlowPeers& peers, absl::Time deadline, const PaperRecord& record,
                         const review::AppliedAction& applied) {
  const review::Transition& t = applied.transition;
  if (t.became_effective) {
    ASSIGN_OR_RETURN(std::string code, peers.AgreementDestinationCode(deadline, record.class_year));
    RETURN_IF_ERROR(peers.CommitDestination(deadline, LedgerCallFor(record, "commit", applied.new_version),
                                            PaperAgreementDestination(record.agreement, code)));
    return SettingsUsage::LeaveReview(s, record.school_id, record.class_year);
  }
  switch (t.to_state) {
    case review::State::kReturned:
      return s.Execute("UPDATE paper_registrations SET review_detail = ? WHERE id = ?", {t.detail, record.id}).status();
    case review::State::kRejected:
      RETURN_IF_ERROR(s.Execute("UPDATE paper_registrations SET reject_reason_code = ?, review_detail = ?, "
                                "open_marker = NULL WHERE id = ?",
                                {t.reason_code, t.detail, record.id})
                          .status());
      RETURN_IF_ERROR(peers.ReleaseClaim(deadline, LedgerCallFor(record, "release", applied.new_version)));
      return SettingsUsage::LeaveReview(s, record.school_id, record.class_year);
    case review::State::kWithdrawn:
      RETURN_IF_ERROR(peers.ReleaseClaim(deadline, LedgerCallFor(record, "release", applied.new_version)));
      return SettingsUsage::LeaveReview(s, record.school_id, record.class_year);
    case review::State::kVoided:
      RETURN_IF_ERROR(s.Execute("UPDATE paper_registrations SET review_detail = ?, open_marker = NULL WHERE id = ?",
                                {t.detail, record.id})
                          .status());
      return peers.VoidDestination(deadline, LedgerCallFor(record, "void", applied.new_version));
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<review::ActionRequest> DecisionToAction(v1::PaperReviewDecision decision, const std::string& reason_code,
                                                       const std::string& detail) {
  review::ActionRequest action;
  switch (decision) {
    case v1::PAPER_REVIEW_DECISION_APPROVE:
      action.action = review::Action::kApprove;
      break;
    case v1::PAPER_REVIEW_DECISION_RETURN:
      action.action = review::Action::kReturn;
      break;
    case v1::PAPER_REVIEW_DECISION_REJECT:
      action.action = review::Action::kReject;
      action.reason_code = reason_code;
      break;
    default:
      return InvalidArgument("DECISION_REQUIRED", "请选择审核结果：审核通过、退回修改或审核不通过。", {{"field", "decision"}});
  }
  action.detail = detail;
  return action;
}

absl::StatusOr<review::ReviewContext> ContextFor(db::Session& s, const PaperRecord& record) {
  ASSIGN_OR_RETURN(SettingsRecord settings, RequirePaperSettings(s, record.school_id, record.class_year, false));
  return ContextOf(settings);
}

}  // namespace

const review::FlowDefinition& PaperRegistrationFlow() {
  static const review::FlowDefinition* const kFlow = [] {
    auto* flow = new review::FlowDefinition;
    flow->name = "signing.paper_registration";
    flow->module = common::v1::MODULE_EMPLOYMENT;
    flow->wording = review::Wording::kAlwaysReview;
    flow->allows_return = true;
    flow->allows_withdraw = true;
    flow->allows_modify = true;
    flow->allows_void = true;
    flow->reject_reasons = {
        {"GRADUATE_DATA_MISMATCH", "学生信息与学籍信息不一致"},
        {"EMPLOYER_DATA_INVALID", "单位信息有误"},
        {"SCAN_INVALID", "协议书图像不清晰或未加盖单位公章"},
        {"AGREEMENT_DATA_MISMATCH", "登记信息与纸质协议书不一致"},
        {"OTHER", "其他原因"},
    };
    return flow;
  }();
  return *kFlow;
}

const review::RecordTable& PaperRegistrationTable() {
  static const review::RecordTable* const kTable = [] {
    auto* table = new review::RecordTable;
    table->table = "paper_registrations";
    return table;
  }();
  return *kTable;
}

PaperRegistrations::PaperRegistrations(db::Pool& pool, FlowPeers& peers, filestore::FileStore& files,
                                       const Clock& clock)
    : pool_(pool), peers_(peers), files_(files), clock_(clock) {}

absl::Status PaperRegistrations::CreatePaperRegistration(const RequestInfo& info,
                                                         const v1::CreatePaperRegistrationRequest& request,
                                                         v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  const absl::Time now = clock_.Now();

  ASSIGN_OR_RETURN(GraduateInfo graduate, peers_.GetGraduate(info.deadline, caller.school_id, caller.graduate_id));
  RETURN_IF_ERROR(pool_.Read<SettingsRecord>(info.deadline, [&](db::Session& s) {
                         return RequirePaperSettings(s, caller.school_id, graduate.class_year, false);
                       })
                      .status());
  ASSIGN_OR_RETURN(EligibilityInfo eligibility, peers_.CheckEligibility(info.deadline, caller.school_id,
                                                                        caller.graduate_id, LedgerFlow::kPaperAgreement));
  if (!eligibility.eligible) {
    return FailedPrecondition(eligibility.reason.empty() ? "GRADUATE_NOT_ELIGIBLE" : eligibility.reason,
                              eligibility.message.empty() ? "您目前不能办理补登。" : eligibility.message,
                              {{"graduate_id", request.graduate_id()}});
  }
  RETURN_IF_ERROR(ValidatePaperAgreement(request.agreement(), graduate.class_year, now, /*require_complete=*/false));

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(auto open, s.QueryOne("SELECT id FROM paper_registrations WHERE graduate_id = ? AND "
                                               "open_marker = 1 FOR UPDATE",
                                               {caller.graduate_id}));
        if (open) {
          return AlreadyExists("PAPER_REGISTRATION_OPEN",
                               "您已有一条未结束的补登记录，请在原记录上修改后提交；如需重新登记，请先撤回或等待审核结果。",
                               {{"registration_id", open->String(0)}});
        }
        std::vector<db::Param> params = {caller.school_id, static_cast<int64_t>(graduate.class_year), caller.graduate_id,
                                         graduate.name, graduate.student_number, graduate.department};
        for (db::Param& param : AgreementParams(request.agreement())) params.push_back(std::move(param));
        params.push_back(now);
        params.push_back(now);
        RETURN_IF_ERROR(
            s.Execute("INSERT INTO paper_registrations (school_id, class_year, graduate_id, graduate_name, "
                      "student_number, department, employer_name, employer_credit_code, unit_nature_code, "
                      "industry_code, job_category_code, unit_location_code, position, contact_name, contact_phone, "
                      "contact_email, employer_address, employer_postal_code, signed_date, agreement_number, "
                      "open_marker, version, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)",
                      params)
                .status());
        ASSIGN_OR_RETURN(int64_t id, s.LastInsertId());
        RETURN_IF_ERROR(SettingsUsage::MarkActed(s, caller.school_id, graduate.class_year, now));
        ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
        if (!record) return Internal("PAPER_REGISTRATION_VANISHED", "the inserted paper registration was not found");
        *response = ToProto(*record);
        return absl::OkStatus();
      });
}

absl::Status PaperRegistrations::UpdatePaperRegistration(const RequestInfo& info,
                                                         const v1::UpdatePaperRegistrationRequest& request,
                                                         v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindOwn(s, caller, request.registration_id()));
        if (record.version != expected_version) return StaleVersion(kTargetType, request.registration_id());
        RETURN_IF_ERROR(RequireEditable(record));
        RETURN_IF_ERROR(ValidatePaperAgreement(request.agreement(), record.class_year, now, false));
        std::vector<db::Param> params = AgreementParams(request.agreement());
        params.push_back(now);
        params.push_back(record.id);
        params.push_back(expected_version);
        RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE paper_registrations SET ", kAgreementAssignments,
                                               ", version = version + 1, updated_at = ? WHERE id = ? AND version = ?"),
                                  params)
                            .status());
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        return absl::OkStatus();
      });
}

absl::Status PaperRegistrations::UploadPaperRegistrationScan(const RequestInfo& info,
                                                             const v1::UploadPaperRegistrationScanRequest& request,
                                                             v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindOwn(s, caller, request.registration_id()));
        if (record.version != expected_version) return StaleVersion(kTargetType, request.registration_id());
        RETURN_IF_ERROR(RequireEditable(record));
        filestore::NewFile file;
        file.school_id = record.school_id;
        file.record_type = kScanRecordType;
        file.record_id = std::to_string(record.id);
        file.file_name = request.scan().file_name();
        file.content = request.scan().data();
        file.created_by = info.principal->user_id();
        // Put checks the size and the content type before it writes anything. The replaced scan
        // stays in the store for the audit.
        ASSIGN_OR_RETURN(filestore::StoredFile stored, files_.Put(s, file, now));
        RETURN_IF_ERROR(s.Execute("UPDATE paper_registrations SET scan_file_id = ?, version = version + 1, "
                                  "updated_at = ? WHERE id = ? AND version = ?",
                                  {stored.id, now, record.id, expected_version})
                            .status());
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        return absl::OkStatus();
      });
}

absl::Status PaperRegistrations::SubmitPaperRegistration(const RequestInfo& info,
                                                         const v1::PaperRegistrationActionRequest& request,
                                                         v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  const review::Actor actor = review::ActorFromPrincipal(*info.principal, common::v1::MODULE_EMPLOYMENT);
  const absl::Time now = clock_.Now();
  int64_t id = 0;
  ParseId(request.registration_id(), &id);

  // Claims the graduate for `record` and enters review. `claim` keeps the call so that a claim
  // whose transaction fails can be released below.
  std::optional<LedgerCall> claim;
  auto claim_graduate = [&](db::Session& s, const PaperRecord& record) -> absl::Status {
    claim = LedgerCallFor(record, "claim", expected_version);
    absl::Status claimed = peers_.ClaimGraduate(info.deadline, *claim);
    if (!claimed.ok()) {
      // A claim that timed out or met an unavailable sync may have been applied, so it is
      // released below like one that succeeded. A definite rejection needs no release.
      if (!OutcomeUnknown(claimed)) claim.reset();
      return ClaimRefused(claimed);
    }
    return SettingsUsage::EnterReview(s, record.school_id, record.class_year);
  };

  absl::Status status = db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindOwn(s, caller, request.registration_id()));
        if (record.version != expected_version) return StaleVersion(kTargetType, request.registration_id());
        RETURN_IF_ERROR(RequireEditable(record));
        RETURN_IF_ERROR(ValidatePaperAgreement(record.agreement, record.class_year, now, /*require_complete=*/true));
        if (record.scan_file_id.empty()) {
          return FailedPrecondition("SCAN_REQUIRED", "请先上传加盖用人单位公章的纸质就业协议书图像（JPG、PNG 或 PDF），再提交审核。",
                                    {{"registration_id", request.registration_id()}});
        }

        if (record.is_draft()) {
          RETURN_IF_ERROR(claim_graduate(s, record));
          // EnterReview locked the usage row, so a concurrent settings update cannot change the
          // review mode before this transaction commits.
          ASSIGN_OR_RETURN(SettingsRecord settings,
                           RequirePaperSettings(s, record.school_id, record.class_year, /*for_update=*/true));
          const review::Transition submission = review::Submission(ContextOf(settings).mode);
          ASSIGN_OR_RETURN(int64_t updated,
                           s.Execute("UPDATE paper_registrations SET review_state = ?, review_stage = ?, "
                                     "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                                     {std::string(review::StateName(submission.to_state)),
                                      std::string(review::StageName(submission.to_stage)), now, record.id,
                                      expected_version}));
          if (updated != 1) return StaleVersion(kTargetType, request.registration_id());
          RETURN_IF_ERROR(review::RecordSubmission(s, PaperRegistrationFlow(), actor, std::to_string(record.id),
                                                   submission, expected_version + 1, request.request_id(), now)
                              .status());
        } else {
          ASSIGN_OR_RETURN(review::ReviewContext context, ContextFor(s, record));
          if (StateIs(record, review::State::kReturned)) {
            // A returned registration keeps its claim, so no ledger call checks the graduate's
            // eligibility (class still open, roster state) before it goes back to review.
            ASSIGN_OR_RETURN(EligibilityInfo eligibility,
                             peers_.CheckEligibility(info.deadline, record.school_id, record.graduate_id,
                                                     LedgerFlow::kPaperAgreement));
            if (!eligibility.eligible) {
              return FailedPrecondition(eligibility.reason.empty() ? "GRADUATE_NOT_ELIGIBLE" : eligibility.reason,
                                        eligibility.message.empty() ? "您目前不能办理补登。" : eligibility.message,
                                        {{"registration_id", request.registration_id()}});
            }
          }
          review::ActionRequest action;
          action.action = review::Action::kResubmit;
          action.expected_version = expected_version;
          ASSIGN_OR_RETURN(review::AppliedAction applied,
                           review::ApplyAction(s, PaperRegistrationTable(), PaperRegistrationFlow(), context, actor,
                                               SnapshotOf(record), action, request.request_id(), now));
          // A withdrawn registration released its claim, but a returned one still has it and is
          // still counted in review.
          if (!applied.replayed && applied.transition.claims_graduate) RETURN_IF_ERROR(claim_graduate(s, record));
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        return absl::OkStatus();
      });

  if (!status.ok() && claim) {
    // The claim may have been applied but the local transaction did not commit. Unless the
    // registration is in review after all (a repeat of the same submission won), the claim is
    // released. If this process dies before the release, sync's stale-claim job releases the
    // claim later, because CheckPaperClaims reports a record that is not in review as not in
    // flight.
    auto current = pool_.Read<std::optional<PaperRecord>>(info.deadline,
                                                          [&](db::Session& s) { return FindRecord(s, id, false); });
    if (current.ok() && *current && !StateIs(**current, review::State::kPending)) {
      LedgerCall release = *claim;
      release.request_id = absl::StrCat(claim->request_id, "/release");
      absl::Status released = peers_.ReleaseClaim(info.deadline, release);
      if (!released.ok()) {
        spdlog::error("releasing the claim of paper registration {} failed: {} {}", id, ErrorReason(released),
                      std::string(released.message()));
      }
    }
  }
  return status;
}

absl::Status PaperRegistrations::WithdrawPaperRegistration(const RequestInfo& info,
                                                           const v1::PaperRegistrationActionRequest& request,
                                                           v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  const review::Actor actor = review::ActorFromPrincipal(*info.principal, common::v1::MODULE_EMPLOYMENT);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindOwn(s, caller, request.registration_id()));
        if (record.is_draft()) {
          return FailedPrecondition("PAPER_REGISTRATION_NOT_SUBMITTED", "该补登记录尚未提交，无需撤回。",
                                    {{"registration_id", request.registration_id()}});
        }
        ASSIGN_OR_RETURN(review::ReviewContext context, ContextFor(s, record));
        review::ActionRequest action;
        action.action = review::Action::kWithdraw;
        action.expected_version = expected_version;
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, PaperRegistrationTable(), PaperRegistrationFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterReview(s, peers_, info.deadline, record, applied));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        return absl::OkStatus();
      });
}

absl::Status PaperRegistrations::ListGraduatePaperRegistrations(
    const RequestInfo& info, const v1::ListGraduatePaperRegistrationsRequest& request,
    v1::ListPaperRegistrationsResponse* response) {
  ASSIGN_OR_RETURN(GraduateCaller caller, RequireGraduate(info, request.school_id(), request.graduate_id()));
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, kFrom,
                                                     "WHERE p.graduate_id = ? AND p.school_id = ? ORDER BY p.id DESC"),
                                        {caller.graduate_id, caller.school_id}));
    for (const db::Row& row : rows) {
      PaperRecord record = RowToRecord(row);
      v1::PaperRegistration* out = response->add_registrations();
      *out = ToProto(record);
      RETURN_IF_ERROR(LoadHistory(s, record, out));
    }
    response->set_total_size(response->registrations_size());
    response->set_page(1);
    response->set_page_size(response->registrations_size());
    return absl::OkStatus();
  });
}

namespace {

// The SQL condition of 补登管理's filters in the caller's scope.
struct ListQuery {
  std::string where;
  std::vector<db::Param> params;
};

// The condition of `filters` for `scope`, shared by the list and its exports so that both return
// the same records.
absl::StatusOr<ListQuery> StaffListQuery(const StaffScope& scope, const v1::ListPaperRegistrationsRequest& filters) {
  if (!scope.department.empty() && !filters.department().empty() && filters.department() != scope.department) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE", "院系用户只能查看本院系的补登记录。",
                            {{"department", filters.department()}});
  }

  // Drafts belong to the graduate until submitted.
  ListQuery query;
  query.where = "p.school_id = ? AND p.review_state <> ''";
  query.params = {scope.school_id};
  auto state_is = [&](review::State state) {
    query.where += " AND p.review_state = ?";
    query.params.push_back(std::string(review::StateName(state)));
  };
  switch (filters.status()) {
    case v1::PAPER_STATUS_FILTER_UNSPECIFIED:
    case v1::PAPER_STATUS_FILTER_PENDING_REVIEW:
      state_is(review::State::kPending);
      break;
    case v1::PAPER_STATUS_FILTER_ALL:
      break;
    case v1::PAPER_STATUS_FILTER_RETURNED:
      state_is(review::State::kReturned);
      break;
    case v1::PAPER_STATUS_FILTER_REJECTED:
      state_is(review::State::kRejected);
      break;
    case v1::PAPER_STATUS_FILTER_WITHDRAWN:
      state_is(review::State::kWithdrawn);
      break;
    case v1::PAPER_STATUS_FILTER_REGISTERED:
      state_is(review::State::kApproved);
      break;
    case v1::PAPER_STATUS_FILTER_VOIDED:
      state_is(review::State::kVoided);
      break;
    default:
      return InvalidArgument("INVALID_STATUS_FILTER", "签约状态筛选条件无效，请重新选择。", {{"field", "status"}});
  }
  const std::string department = scope.department.empty() ? filters.department() : scope.department;
  if (!department.empty()) {
    query.where += " AND p.department = ?";
    query.params.push_back(department);
  }
  if (filters.class_year() > 0) {
    query.where += " AND p.class_year = ?";
    query.params.push_back(static_cast<int64_t>(filters.class_year()));
  }
  if (!filters.employer().empty()) {
    query.where += " AND p.employer_name LIKE ?";
    query.params.push_back(LikePrefix(filters.employer()));
  }
  if (!filters.query().empty()) {
    query.where += " AND (p.student_number = ? OR p.graduate_name LIKE ?)";
    query.params.push_back(filters.query());
    query.params.push_back(LikePrefix(filters.query()));
  }

  return query;
}

}  // namespace

absl::Status PaperRegistrations::ListPaperRegistrations(const RequestInfo& info,
                                                        const v1::ListPaperRegistrationsRequest& request,
                                                        v1::ListPaperRegistrationsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  if (request.page() < 0 || request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_PAGE", "页码不能为负数，每页条数应在 1 到 100 之间。");
  }
  const int page = request.page() == 0 ? 1 : request.page();
  const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, request));
  const std::string& where = query.where;
  const std::vector<db::Param>& params = query.params;

  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto count,
                     s.QueryOne(absl::StrCat("SELECT COUNT(*) FROM paper_registrations p WHERE ", where), params));
    std::vector<db::Param> page_params = params;
    page_params.push_back(static_cast<int64_t>(page_size));
    page_params.push_back(static_cast<int64_t>(page - 1) * page_size);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, kFrom, "WHERE ", where,
                                                     " ORDER BY p.id DESC LIMIT ? OFFSET ?"),
                                        page_params));
    for (const db::Row& row : rows) *response->add_registrations() = ToProto(RowToRecord(row));
    response->set_total_size(count ? static_cast<int32_t>(count->Int64(0)) : 0);
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  }));
  return MarkWarnedEmployers(peers_, info.deadline, scope.school_id, response->mutable_registrations());
}

namespace {

// The columns of the 补登 exports, in the order of PaperExportRecord.
ListExportSpec PaperExportSpec(bool returned_only) {
  using exports::ColumnType;
  ListExportSpec spec;
  spec.kind = returned_only ? "signing.paper.returned" : "signing.paper.query";
  spec.file_title = returned_only ? "补登管理-退回修改学生名单" : "补登管理";
  spec.columns = {{"姓名", ColumnType::kText},
                  {"身份证件号", ColumnType::kIdNumber},
                  {"学号", ColumnType::kCode},
                  {"手机号码", ColumnType::kPhone},
                  {"院系", ColumnType::kText},
                  {"届别", ColumnType::kInteger},
                  {"签约单位", ColumnType::kText},
                  {"统一社会信用代码", ColumnType::kCode},
                  {"就业协议书编号", ColumnType::kCode},
                  {"签约日期", ColumnType::kText},
                  {"登记状态", ColumnType::kText},
                  {"退回修改原因", ColumnType::kText},
                  {"提交时间", ColumnType::kDateTime},
                  {"更新时间", ColumnType::kDateTime}};
  spec.id_number_column = 1;
  spec.phone_column = 3;
  return spec;
}

ExportRecord PaperExportRecord(const PaperRecord& r) {
  using exports::Cell;
  const bool returned = r.review_state == review::StateName(review::State::kReturned);
  ExportRecord record;
  record.id = r.id;
  record.graduate_id = r.graduate_id;
  record.cells = {Cell::Text(r.graduate_name),
                  Cell::Empty(),
                  Cell::Text(r.student_number),
                  Cell::Empty(),
                  Cell::Text(r.department),
                  Cell::Integer(r.class_year),
                  Cell::Text(r.agreement.employer_name()),
                  Cell::Text(r.agreement.employer_credit_code()),
                  Cell::Text(r.agreement.agreement_number()),
                  Cell::Text(r.agreement.signed_date()),
                  Cell::Text(ToProto(r).status_text()),
                  Cell::Text(returned ? r.review_detail : ""),
                  Cell::Time(r.created_at),
                  Cell::Time(r.updated_at)};
  return record;
}

}  // namespace

absl::Status PaperRegistrations::ExportPaperRegistrations(const RequestInfo& info,
                                                          const v1::ExportPaperRegistrationsRequest& request,
                                                          server::StreamWriter<common::v1::HttpFile>& stream) {
  return Export(info, request, /*returned_only=*/false, stream);
}

absl::Status PaperRegistrations::ExportReturnedPaperRegistrations(
    const RequestInfo& info, const v1::ExportPaperRegistrationsRequest& request,
    server::StreamWriter<common::v1::HttpFile>& stream) {
  return Export(info, request, /*returned_only=*/true, stream);
}

absl::Status PaperRegistrations::Export(const RequestInfo& info, const v1::ExportPaperRegistrationsRequest& request,
                                        bool returned_only, server::StreamWriter<common::v1::HttpFile>& stream) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  if (request.reveal_personal_data()) RETURN_IF_ERROR(CheckRevealAllowed(*info.principal));
  v1::ListPaperRegistrationsRequest filters;
  filters.set_school_id(request.school_id());
  filters.set_status(returned_only ? v1::PAPER_STATUS_FILTER_RETURNED : request.status());
  filters.set_department(request.department());
  filters.set_employer(request.employer());
  filters.set_query(request.query());
  filters.set_class_year(request.class_year());
  ASSIGN_OR_RETURN(ListQuery query, StaffListQuery(scope, filters));

  ListExportOptions options;
  options.school_id = scope.school_id;
  options.format = request.format();
  options.full_view = request.reveal_personal_data();
  options.filter_summary = absl::StrCat("状态=", v1::PaperStatusFilter_Name(filters.status()));
  const std::string department = scope.department.empty() ? request.department() : scope.department;
  if (!department.empty()) absl::StrAppend(&options.filter_summary, "; 院系=", department);
  if (request.class_year() > 0) absl::StrAppend(&options.filter_summary, "; 届别=", request.class_year());
  if (!request.employer().empty()) absl::StrAppend(&options.filter_summary, "; 签约单位=", request.employer());
  if (!request.query().empty()) absl::StrAppend(&options.filter_summary, "; 学号或姓名=", request.query());

  ExportPageReader read_page = [&](db::Session& s, int64_t before_id,
                                   int limit) -> absl::StatusOr<std::vector<ExportRecord>> {
    std::vector<db::Param> params = query.params;
    params.push_back(before_id);
    params.push_back(static_cast<int64_t>(limit));
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns, kFrom, "WHERE ", query.where,
                                                     " AND p.id < ? ORDER BY p.id DESC LIMIT ?"),
                                        params));
    std::vector<ExportRecord> records;
    records.reserve(rows.size());
    for (const db::Row& row : rows) records.push_back(PaperExportRecord(RowToRecord(row)));
    return records;
  };
  ListExport list_export(pool_, peers_, clock_);
  return list_export.Run(info, PaperExportSpec(returned_only), options, read_page, stream);
}

absl::Status PaperRegistrations::GetPaperRegistration(const RequestInfo& info,
                                                      const v1::GetPaperRegistrationRequest& request,
                                                      v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(PaperRecord record, FindInScope(s, scope, request.registration_id(), false));
    *response = ToProto(record);
    return LoadHistory(s, record, response);
  }));
  const std::string& code = response->agreement().employer_credit_code();
  if (code.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::set<std::string> warned, peers_.WarnedEmployers(info.deadline, scope.school_id, {code}));
  response->set_employer_warned(warned.count(code) > 0);
  return absl::OkStatus();
}

absl::Status PaperRegistrations::DownloadPaperRegistrationScan(
    const RequestInfo& info, const v1::DownloadPaperRegistrationScanRequest& request, common::v1::HttpFile* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  const Principal& caller = *info.principal;
  // The graduate downloads its own scans, drafts included, and staff the scans they may see.
  std::optional<GraduateCaller> graduate;
  std::optional<StaffScope> scope;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_GRADUATE) {
    ASSIGN_OR_RETURN(graduate, RequireGraduate(info, request.school_id(), caller.graduate_id()));
  } else {
    ASSIGN_OR_RETURN(scope, AuthorizeStaff(info, request.school_id()));
  }
  const absl::Time now = clock_.Now();
  return pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    PaperRecord record;
    if (graduate) {
      ASSIGN_OR_RETURN(record, FindOwn(s, *graduate, request.registration_id()));
    } else {
      ASSIGN_OR_RETURN(record, FindInScope(s, *scope, request.registration_id(), false));
    }
    if (record.scan_file_id.empty()) {
      return NotFound("SCAN_NOT_UPLOADED", "该补登记录还没有上传纸质就业协议书图像。",
                      {{"registration_id", request.registration_id()}});
    }
    filestore::Downloader downloader{caller.user_id(), caller.username(), info.trace_id, info.peer};
    ASSIGN_OR_RETURN(filestore::FileContent file, files_.Get(s, record.school_id, record.scan_file_id, downloader, now));
    response->set_content_type(file.file.content_type());
    response->set_file_name(file.file.download_name());
    response->set_data(std::move(file.content));
    const v1::PaperRegistration unchanged = ToProto(record);
    return InsertAudit(s, info, record, unchanged, "paper_registration.download_scan", "", now);
  });
}

absl::Status PaperRegistrations::ReviewPaperRegistration(const RequestInfo& info,
                                                         const v1::ReviewPaperRegistrationRequest& request,
                                                         v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(int64_t expected_version, ParseEtag(request.etag()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  action.expected_version = expected_version;
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindInScope(s, scope, request.registration_id(), false));
        ASSIGN_OR_RETURN(review::ReviewContext context, ContextFor(s, record));
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, PaperRegistrationTable(), PaperRegistrationFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterReview(s, peers_, info.deadline, record, applied));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        if (applied.replayed) return absl::OkStatus();
        return InsertAudit(s, info, record, *response,
                           absl::StrCat("paper_registration.", absl::AsciiStrToLower(review::ActionName(action.action))),
                           request.request_id(), now);
      });
}

absl::Status PaperRegistrations::BatchReviewPaperRegistrations(
    const RequestInfo& info, const v1::BatchReviewPaperRegistrationsRequest& request,
    v1::BatchReviewPaperRegistrationsResponse* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  ASSIGN_OR_RETURN(review::ActionRequest action,
                   DecisionToAction(request.decision(), request.reason_code(), request.detail()));
  const absl::Time now = clock_.Now();

  review::BatchRequest batch;
  batch.table = PaperRegistrationTable();
  batch.flow = PaperRegistrationFlow();
  batch.actor = StaffActor(*info.principal);
  batch.action = action;
  batch.request_id = request.request_id();
  for (const v1::PaperBatchReviewItem& item : request.items()) {
    int64_t version = 0;
    absl::SimpleAtoi(item.etag(), &version);
    batch.items.push_back({item.registration_id(), version});
  }
  // The review context comes from the settings of the class of the first record that loads. The
  // loader rejects a record of another class, whose settings may differ.
  std::optional<int> class_year;
  for (const v1::PaperBatchReviewItem& item : request.items()) {
    auto first = pool_.Read<PaperRecord>(
        info.deadline, [&](db::Session& s) { return FindInScope(s, scope, item.registration_id(), false); });
    if (!first.ok()) continue;
    class_year = first->class_year;
    ASSIGN_OR_RETURN(batch.context, pool_.Read<review::ReviewContext>(
                                        info.deadline, [&](db::Session& s) { return ContextFor(s, *first); }));
    break;
  }
  auto load = [&](db::Session& s, const std::string& record_id) -> absl::StatusOr<review::RecordSnapshot> {
    ASSIGN_OR_RETURN(PaperRecord record, FindInScope(s, scope, record_id, false));
    if (!class_year || *class_year != record.class_year) {
      return InvalidArgument("BATCH_MIXES_CLASSES", "批量审核的记录须属于同一届毕业生，请按届分别审核。");
    }
    return SnapshotOf(record);
  };
  // Without a record that loads, every item fails in the loader, so the default context is
  // never used for a decision.
  auto after = [&](db::Session& s, const review::RecordSnapshot& snapshot,
                   const review::AppliedAction& applied) -> absl::Status {
    int64_t id = 0;
    if (!ParseId(snapshot.record_id, &id)) return RegistrationNotFound();
    ASSIGN_OR_RETURN(auto record, FindRecord(s, id, false));
    if (!record) return RegistrationNotFound();
    // The record was read after the update, so its columns show the new state. The state before
    // is rebuilt from the snapshot.
    PaperRecord before = *record;
    before.review_state = std::string(review::StateName(applied.transition.from_state));
    before.review_stage = std::string(review::StageName(applied.transition.from_stage));
    before.version = snapshot.version;
    RETURN_IF_ERROR(AfterReview(s, peers_, info.deadline, before, applied));
    ASSIGN_OR_RETURN(auto updated, FindRecord(s, id, false));
    return InsertAudit(s, info, before, ToProto(*updated),
                       absl::StrCat("paper_registration.batch_", absl::AsciiStrToLower(review::ActionName(action.action))),
                       request.request_id(), now);
  };
  // The batch's deadline is a real instant, so the batch measures it with the real clock.
  ASSIGN_OR_RETURN(auto results, review::ApplyBatch(pool_, info.deadline, Clock::Real(), batch, load, after));
  for (const review::BatchItemResult& result : results) {
    v1::PaperBatchReviewResult* out = response->add_results();
    out->set_registration_id(result.record_id);
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

absl::Status PaperRegistrations::ModifyPaperRegistration(const RequestInfo& info,
                                                         const v1::ModifyPaperRegistrationRequest& request,
                                                         v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kModify;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  action.detail = request.detail();
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindInScope(s, scope, request.registration_id(), false));
        ASSIGN_OR_RETURN(review::ReviewContext context, ContextFor(s, record));
        // The engine checks the actor (school users with 读写 only) and the state before the
        // input, so that a department user learns nothing from a validation error.
        RETURN_IF_ERROR(review::Decide(PaperRegistrationFlow(), context, actor, SnapshotOf(record), action).status());
        const v1::PaperAgreement& agreement = request.agreement();
        if (agreement.employer_name() != record.agreement.employer_name() ||
            agreement.employer_credit_code() != record.agreement.employer_credit_code()) {
          return InvalidArgument("EMPLOYER_NOT_MODIFIABLE",
                                 "单位名称和统一社会信用代码是协议当事方信息，审核通过后不能修改。如单位信息有误，请作废该登记，由毕业生重新补登。",
                                 {{"field", "agreement.employer_credit_code"}});
        }
        RETURN_IF_ERROR(ValidatePaperAgreement(agreement, record.class_year, now, /*require_complete=*/true));
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, PaperRegistrationTable(), PaperRegistrationFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) {
          std::vector<db::Param> params = AgreementParams(agreement);
          params.push_back(record.id);
          RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE paper_registrations SET ", kAgreementAssignments, " WHERE id = ?"),
                                    params)
                              .status());
          ASSIGN_OR_RETURN(std::string code, peers_.AgreementDestinationCode(info.deadline, record.class_year));
          RETURN_IF_ERROR(peers_.CommitDestination(info.deadline, LedgerCallFor(record, "modify", applied.new_version),
                                                   PaperAgreementDestination(agreement, code)));
        }
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        if (applied.replayed) return absl::OkStatus();
        return InsertAudit(s, info, record, *response, "paper_registration.modify", request.request_id(), now);
      });
}

absl::Status PaperRegistrations::VoidPaperRegistration(const RequestInfo& info,
                                                       const v1::VoidPaperRegistrationRequest& request,
                                                       v1::PaperRegistration* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  review::ActionRequest action;
  action.action = review::Action::kVoid;
  ASSIGN_OR_RETURN(action.expected_version, ParseEtag(request.etag()));
  action.detail = request.detail();
  const review::Actor actor = StaffActor(*info.principal);
  const absl::Time now = clock_.Now();

  return db::RunIdempotent(
      pool_, info.deadline, KeyFor(info, request.request_id(), request), response, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(PaperRecord record, FindInScope(s, scope, request.registration_id(), false));
        ASSIGN_OR_RETURN(review::ReviewContext context, ContextFor(s, record));
        ASSIGN_OR_RETURN(review::AppliedAction applied,
                         review::ApplyAction(s, PaperRegistrationTable(), PaperRegistrationFlow(), context, actor,
                                             SnapshotOf(record), action, request.request_id(), now));
        if (!applied.replayed) RETURN_IF_ERROR(AfterReview(s, peers_, info.deadline, record, applied));
        ASSIGN_OR_RETURN(auto updated, FindRecord(s, record.id, false));
        *response = ToProto(*updated);
        if (applied.replayed) return absl::OkStatus();
        return InsertAudit(s, info, record, *response, "paper_registration.void", request.request_id(), now);
      });
}

absl::Status PaperRegistrations::GetPaperRegistrationPendingCounts(
    const RequestInfo& info, const v1::GetPaperRegistrationPendingCountsRequest& request,
    v1::PaperRegistrationPendingCounts* response) {
  ASSIGN_OR_RETURN(StaffScope scope, AuthorizeStaff(info, request.school_id()));
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
    return s.QueryOne(absl::StrCat("SELECT COUNT(*), CAST(COALESCE(SUM(review_stage = ?), 0) AS SIGNED) "
                                   "FROM paper_registrations WHERE ",
                                   where),
                      params);
  }));
  response->set_queue_stage(StageToProto(stage_name));
  response->set_queue_count(row ? static_cast<int32_t>(row->Int64(1)) : 0);
  response->set_all_pending_count(row ? static_cast<int32_t>(row->Int64(0)) : 0);
  return absl::OkStatus();
}

absl::Status PaperRegistrations::CheckPaperClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
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
      params.push_back(std::string(review::StateName(state)));
    }
    ASSIGN_OR_RETURN(auto rows, pool_.Read<std::vector<db::Row>>(info.deadline, [&](db::Session& s) {
      return s.Query(absl::StrCat("SELECT id FROM paper_registrations WHERE id IN (", placeholders,
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

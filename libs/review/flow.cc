#include "libs/review/flow.h"

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::review {
namespace {

constexpr size_t kMaxFlowNameLength = 64;

bool IsApplicantKind(ActorKind kind) {
  return kind == ActorKind::kGraduate || kind == ActorKind::kEmployer;
}

bool IsStaffKind(ActorKind kind) { return kind == ActorKind::kSchool || kind == ActorKind::kDepartment; }

bool IsReviewerAction(Action action) {
  return action == Action::kApprove || action == Action::kReturn || action == Action::kReject;
}

// The number of code points of valid UTF-8 text, or -1 when `text` is not valid UTF-8.
int64_t CountCodePoints(absl::string_view text) {
  int64_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return -1;
    }
    if (i + length > text.size()) return -1;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid UTF-8.
    static constexpr uint32_t kMinimumByLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimumByLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return -1;
    }
    i += length;
    ++count;
  }
  return count;
}

bool IsUpperSnake(absl::string_view code) {
  if (code.empty() || !absl::ascii_isupper(static_cast<unsigned char>(code.front()))) return false;
  for (char c : code) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

ErrorMetadata RecordMetadata(const RecordSnapshot& record, Action action) {
  return {{"record_id", record.record_id},
          {"state", std::string(StateName(record.state))},
          {"stage", std::string(StageName(record.stage))},
          {"action", std::string(ActionName(action))}};
}

absl::Status CheckStaffScope(const Actor& actor, const RecordSnapshot& record,
                             const FlowDefinition& flow, Action action) {
  if (actor.school_id.empty() || actor.school_id != record.school_id) {
    return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。",
                            {{"record_id", record.record_id}});
  }
  const std::string module_name = identity::ModuleDisplayName(flow.module);
  if (actor.access != identity::Access::ACCESS_READ_WRITE) {
    if (actor.access == identity::Access::ACCESS_READ_ONLY) {
      return PermissionDenied(
          "MODULE_READ_ONLY",
          absl::StrCat("您的账号对“", module_name,
                       "”为只读权限，只能查看和下载，不能审核或修改。如需操作，请联系本校学校用户在账号管理中调整权限。"),
          {{"module", common::v1::Module_Name(flow.module)}});
    }
    return PermissionDenied(
        "MODULE_ACCESS_NONE",
        absl::StrCat("您的账号对“", module_name, "”为无权限，请联系本校学校用户在账号管理中调整权限。"),
        {{"module", common::v1::Module_Name(flow.module)}});
  }
  if (actor.kind == ActorKind::kDepartment &&
      (actor.department_id.empty() || actor.department_id != record.department_id)) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE",
                            "该记录不属于您所在的院系，院系用户只能处理本院系毕业生的记录。",
                            {{"record_id", record.record_id}});
  }
  return absl::OkStatus();
}

bool IsApplicant(const Actor& actor, const RecordSnapshot& record) {
  return IsApplicantKind(actor.kind) && !actor.id.empty() && actor.id == record.applicant_id;
}

// Who may do `action` to `record` at all, whatever its state.
absl::Status CheckActor(const FlowDefinition& flow, const ReviewContext& context, const Actor& actor,
                        const RecordSnapshot& record, Action action) {
  const std::string verb = ReviewVerb(flow, context.agreement_type);
  if (IsReviewerAction(action)) {
    if (!IsStaffKind(actor.kind)) {
      return PermissionDenied(
          "REVIEWER_KIND_NOT_ALLOWED",
          absl::StrCat("只有学校用户和院系用户可以", verb, "，请使用学校或院系账号登录。"),
          {{"action", std::string(ActionName(action))}});
    }
    return CheckStaffScope(actor, record, flow, action);
  }

  switch (action) {
    case Action::kWithdraw:
    case Action::kResubmit:
      if (!IsApplicant(actor, record)) {
        return PermissionDenied("NOT_APPLICANT", "只有提交该申请的本人可以撤回或重新提交。",
                                {{"record_id", record.record_id},
                                 {"action", std::string(ActionName(action))}});
      }
      return absl::OkStatus();
    case Action::kVoid:
      if (flow.applicant_may_void && IsApplicant(actor, record)) return absl::OkStatus();
      [[fallthrough]];
    case Action::kModify:
      if (actor.kind != ActorKind::kSchool) {
        return PermissionDenied(
            "SCHOOL_USER_ONLY",
            absl::StrCat("只有学校用户可以", ActionLabel(flow, context.agreement_type, action), "已", verb,
                         "通过的记录，院系用户和其他账号没有此权限。"),
            {{"record_id", record.record_id}, {"action", std::string(ActionName(action))}});
      }
      return CheckStaffScope(actor, record, flow, action);
    default:
      return Internal("REVIEW_ACTION_UNKNOWN", absl::StrCat("unhandled review action ", ActionName(action)));
  }
}

absl::Status ActionNotAllowed(const FlowDefinition& flow, const ReviewContext& context, Action action,
                              absl::string_view what_to_do) {
  return FailedPrecondition(
      "REVIEW_ACTION_NOT_ALLOWED",
      absl::StrCat("该业务不提供“", ActionLabel(flow, context.agreement_type, action), "”操作，", what_to_do),
      {{"flow", flow.name}, {"action", std::string(ActionName(action))}});
}

// Whether the flow offers `action` at all.
absl::Status CheckFlowAllows(const FlowDefinition& flow, const ReviewContext& context, Action action) {
  const std::string verb = ReviewVerb(flow, context.agreement_type);
  switch (action) {
    case Action::kReturn:
      if (!flow.allows_return) {
        return ActionNotAllowed(flow, context, action,
                                absl::StrCat("请选择", verb, "通过或", verb, "不通过。"));
      }
      break;
    case Action::kWithdraw:
      if (!flow.allows_withdraw) {
        return ActionNotAllowed(flow, context, action, "提交后只能等待学校（院系）处理。");
      }
      break;
    case Action::kModify:
      if (!flow.allows_modify) {
        return ActionNotAllowed(flow, context, action, "如信息有误，请作废后由毕业生重新提交。");
      }
      break;
    case Action::kVoid:
      if (!flow.allows_void) {
        return ActionNotAllowed(flow, context, action, "请通过对应的解约或变更流程处理。");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

// Validates the reason and the detail, and returns the trimmed detail.
absl::StatusOr<std::string> CheckInput(const FlowDefinition& flow, const ReviewContext& context,
                                       const ActionRequest& request) {
  const std::string verb = ReviewVerb(flow, context.agreement_type);
  std::string detail(absl::StripAsciiWhitespace(request.detail));
  // U+3000 (the ideographic space, E3 80 80) is what a Chinese input method types as a space.
  constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";
  while (absl::StartsWith(detail, kIdeographicSpace) || absl::EndsWith(detail, kIdeographicSpace)) {
    if (absl::StartsWith(detail, kIdeographicSpace)) detail.erase(0, kIdeographicSpace.size());
    if (absl::EndsWith(detail, kIdeographicSpace)) detail.erase(detail.size() - kIdeographicSpace.size());
    detail = std::string(absl::StripAsciiWhitespace(detail));
  }

  const int64_t characters = CountCodePoints(detail);
  if (characters < 0) {
    return InvalidArgument("REVIEW_DETAIL_INVALID", "填写的说明含有无法识别的字符，请重新输入。");
  }
  if (characters > kMaxDetailCharacters) {
    return InvalidArgument("REVIEW_DETAIL_TOO_LONG",
                           absl::StrCat("填写的说明有 ", characters, " 个字，超过了 ", kMaxDetailCharacters,
                                        " 个字的上限，请精简后重新提交。"),
                           {{"characters", absl::StrCat(characters)},
                            {"max_characters", absl::StrCat(kMaxDetailCharacters)}});
  }

  if (request.action == Action::kReject) {
    if (request.reason_code.empty()) {
      return InvalidArgument("REJECT_REASON_REQUIRED",
                             absl::StrCat("请选择", verb, "不通过原因。"));
    }
    bool known = false;
    for (const ReasonOption& option : flow.reject_reasons) known = known || option.code == request.reason_code;
    if (!known) {
      return InvalidArgument("REJECT_REASON_UNKNOWN",
                             absl::StrCat("所选的", verb, "不通过原因不在可选列表中，请刷新页面后重新选择。"),
                             {{"reason_code", request.reason_code}});
    }
  } else if (!request.reason_code.empty()) {
    return InvalidArgument("REVIEW_REASON_NOT_ALLOWED",
                           absl::StrCat("只有", verb, "不通过时需要选择原因，请清空原因后重新提交。"),
                           {{"reason_code", request.reason_code},
                            {"action", std::string(ActionName(request.action))}});
  }

  if (detail.empty()) {
    switch (request.action) {
      case Action::kReject:
        return InvalidArgument("REVIEW_DETAIL_REQUIRED",
                               absl::StrCat("请填写具体问题，说明", verb, "不通过的原因，申请人将据此处理。"),
                               {{"action", "REJECT"}});
      case Action::kReturn:
        return InvalidArgument("REVIEW_DETAIL_REQUIRED", "请填写退回修改的原因，申请人将据此修改后重新提交。",
                               {{"action", "RETURN"}});
      case Action::kVoid:
        return InvalidArgument("REVIEW_DETAIL_REQUIRED", "请填写作废原因，作废记录会保留该说明。",
                               {{"action", "VOID"}});
      default:
        break;
    }
  }
  return detail;
}

absl::Status NotPending(const FlowDefinition& flow, const ReviewContext& context, const RecordSnapshot& record,
                        Action action) {
  return FailedPrecondition(
      "RECORD_NOT_PENDING",
      absl::StrCat("该记录当前为“", StateLabel(flow, context.agreement_type, record.state, record.stage),
                   "”，不能", ActionLabel(flow, context.agreement_type, action), "。请刷新列表查看最新状态。"),
      RecordMetadata(record, action));
}

// Whether the record's state and stage allow the action now, and the state it moves to.
absl::StatusOr<Transition> DecideState(const FlowDefinition& flow, const ReviewContext& context,
                                       const Actor& actor, const RecordSnapshot& record, Action action) {
  const std::string verb = ReviewVerb(flow, context.agreement_type);
  Transition next;
  next.action = action;
  next.from_state = record.state;
  next.from_stage = record.stage;

  if (record.state == State::kPending && record.stage == Stage::kNone) {
    return Internal("REVIEW_RECORD_INCONSISTENT",
                    absl::StrCat("record ", record.record_id, " of flow ", flow.name, " is pending without a stage"));
  }

  if (IsReviewerAction(action)) {
    if (record.state != State::kPending) return NotPending(flow, context, record, action);
    if (actor.kind == ActorKind::kDepartment && context.mode == ReviewMode::kSchoolOnly) {
      return FailedPrecondition(
          "DEPARTMENT_REVIEW_NOT_USED",
          absl::StrCat("本届采用仅校级审核，院系用户不能", verb, "，请由学校用户", verb, "。"),
          RecordMetadata(record, action));
    }
    if (actor.kind == ActorKind::kDepartment && record.stage != Stage::kDepartment) {
      return FailedPrecondition(
          "REVIEW_STAGE_MISMATCH",
          absl::StrCat("该记录已由院系", verb, "通过，正在等待学校", verb, "，院系用户不能再操作。"),
          RecordMetadata(record, action));
    }
    if (actor.kind == ActorKind::kSchool && record.stage != Stage::kSchool) {
      return FailedPrecondition(
          "REVIEW_STAGE_MISMATCH",
          absl::StrCat("该记录正在等待院系", verb, "，院系", verb, "通过后学校用户才能", verb, "。"),
          RecordMetadata(record, action));
    }
    if (action == Action::kApprove) {
      if (record.stage == Stage::kDepartment) {
        next.to_state = State::kPending;
        next.to_stage = Stage::kSchool;
      } else {
        next.to_state = State::kApproved;
        next.became_effective = true;
      }
    } else if (action == Action::kReturn) {
      next.to_state = State::kReturned;
    } else {
      next.to_state = State::kRejected;
      next.released_graduate = true;
    }
    return next;
  }

  switch (action) {
    case Action::kWithdraw: {
      if (record.state != State::kPending) return NotPending(flow, context, record, action);
      // The department stage, when there is one, is always the first. A record at the school
      // stage in two-level mode has been approved by its department.
      const bool at_first_stage =
          record.stage == Stage::kDepartment || context.mode == ReviewMode::kSchoolOnly;
      if (!at_first_stage) {
        return FailedPrecondition(
            "WITHDRAW_AFTER_REVIEW",
            absl::StrCat("院系已", verb, "通过，申请不能再撤回。如需修改，请联系学校用户退回修改。"),
            RecordMetadata(record, action));
      }
      next.to_state = State::kWithdrawn;
      next.released_graduate = true;
      return next;
    }
    case Action::kResubmit:
      if (record.state != State::kReturned && record.state != State::kWithdrawn) {
        return FailedPrecondition(
            "RECORD_NOT_RETURNED",
            absl::StrCat("该记录当前为“", StateLabel(flow, context.agreement_type, record.state, record.stage),
                         "”，只有退回修改或已撤回的申请可以重新提交。"),
            RecordMetadata(record, action));
      }
      next.to_state = State::kPending;
      next.to_stage = FirstStage(context.mode);
      // A withdrawn record released the graduate, so its resubmission claims it again.
      next.claims_graduate = record.state == State::kWithdrawn;
      return next;
    case Action::kModify:
    case Action::kVoid:
      if (record.state != State::kApproved) {
        return FailedPrecondition(
            "RECORD_NOT_APPROVED",
            absl::StrCat("该记录当前为“", StateLabel(flow, context.agreement_type, record.state, record.stage),
                         "”，只有已", verb, "通过的记录可以", ActionLabel(flow, context.agreement_type, action),
                         "。"),
            RecordMetadata(record, action));
      }
      next.to_state = action == Action::kVoid ? State::kVoided : State::kApproved;
      next.released_graduate = action == Action::kVoid;
      return next;
    default:
      return Internal("REVIEW_ACTION_UNKNOWN", absl::StrCat("unhandled review action ", ActionName(action)));
  }
}

}  // namespace

absl::Status ValidateFlow(const FlowDefinition& flow) {
  bool name_ok = !flow.name.empty() && flow.name.size() <= kMaxFlowNameLength;
  for (char c : flow.name) {
    name_ok = name_ok && (absl::ascii_islower(static_cast<unsigned char>(c)) ||
                          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.');
  }
  if (!name_ok) {
    return Internal("REVIEW_FLOW_INVALID",
                    absl::StrCat("review flow name \"", flow.name,
                                 "\" must be 1-64 characters of a-z, 0-9, '_' and '.'"));
  }
  if (flow.reject_reasons.empty()) {
    return Internal("REVIEW_FLOW_INVALID", absl::StrCat("review flow ", flow.name, " has no reject reasons"));
  }
  std::set<std::string> codes;
  for (const ReasonOption& option : flow.reject_reasons) {
    if (!IsUpperSnake(option.code) || option.code.size() > 64 || option.label.empty()) {
      return Internal("REVIEW_FLOW_INVALID",
                      absl::StrCat("review flow ", flow.name, " has an invalid reject reason \"", option.code,
                                   "\": codes are UPPER_SNAKE_CASE of at most 64 characters, with a label"));
    }
    if (!codes.insert(option.code).second) {
      return Internal("REVIEW_FLOW_INVALID",
                      absl::StrCat("review flow ", flow.name, " lists the reject reason ", option.code, " twice"));
    }
  }
  return absl::OkStatus();
}

const std::vector<ReasonOption>& DefaultRejectReasons() {
  static const auto* const kReasons = new std::vector<ReasonOption>{
      {"STUDENT_INFO_MISMATCH", "毕业生信息与就业管理系统不一致"},
      {"EMPLOYER_INFO_INCORRECT", "用人单位信息有误"},
      {"CONTENT_INCORRECT", "填报内容有误或不完整"},
      {"EVIDENCE_INSUFFICIENT", "证明材料不清晰或不符合要求"},
      {"OTHER", "其他"},
  };
  return *kReasons;
}

Stage FirstStage(ReviewMode mode) {
  return mode == ReviewMode::kDepartmentThenSchool ? Stage::kDepartment : Stage::kSchool;
}

Transition Submission(ReviewMode mode) {
  Transition submission;
  submission.action = Action::kSubmit;
  submission.from_state = State::kPending;
  submission.from_stage = Stage::kNone;
  submission.to_state = State::kPending;
  submission.to_stage = FirstStage(mode);
  submission.claims_graduate = true;
  return submission;
}

absl::StatusOr<Transition> Decide(const FlowDefinition& flow, const ReviewContext& context, const Actor& actor,
                                  const RecordSnapshot& record, const ActionRequest& request) {
  absl::Status valid = ValidateFlow(flow);
  if (!valid.ok()) return valid;
  if (request.action == Action::kSubmit) {
    return Internal("REVIEW_ACTION_UNKNOWN", "Decide does not take SUBMIT: a new record starts with Submission()");
  }
  absl::Status allowed = CheckActor(flow, context, actor, record, request.action);
  if (!allowed.ok()) return allowed;
  allowed = CheckFlowAllows(flow, context, request.action);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::string> detail = CheckInput(flow, context, request);
  if (!detail.ok()) return detail.status();

  if (request.expected_version <= 0) {
    return InvalidArgument("REVIEW_VERSION_REQUIRED", "缺少记录的版本号，请刷新页面后重新操作。",
                           {{"record_id", record.record_id}});
  }
  if (request.expected_version != record.version) return StaleVersion(flow.name, record.record_id);

  absl::StatusOr<Transition> next = DecideState(flow, context, actor, record, request.action);
  if (!next.ok()) return next.status();
  next->reason_code = request.reason_code;
  next->detail = *std::move(detail);
  return next;
}

Actor ActorFromPrincipal(const identity::Principal& principal, identity::Module module) {
  Actor actor;
  actor.school_id = principal.school_id();
  actor.name = principal.claims().display_name().empty() ? principal.username()
                                                         : principal.claims().display_name();
  switch (principal.kind()) {
    case identity::PrincipalKind::PRINCIPAL_KIND_SCHOOL:
      actor.kind = ActorKind::kSchool;
      actor.id = principal.user_id();
      actor.access = principal.AccessTo(module);
      break;
    case identity::PrincipalKind::PRINCIPAL_KIND_DEPARTMENT:
      actor.kind = ActorKind::kDepartment;
      actor.id = principal.user_id();
      actor.department_id = principal.department_id();
      actor.access = principal.AccessTo(module);
      break;
    case identity::PrincipalKind::PRINCIPAL_KIND_GRADUATE:
      actor.kind = ActorKind::kGraduate;
      actor.id = principal.graduate_id();
      break;
    case identity::PrincipalKind::PRINCIPAL_KIND_EMPLOYER:
      actor.kind = ActorKind::kEmployer;
      actor.id = principal.employer_id();
      break;
    default:
      actor.kind = ActorKind::kOther;
      actor.id = principal.user_id();
      break;
  }
  return actor;
}

std::string ReviewVerb(const FlowDefinition& flow, AgreementType agreement_type) {
  if (flow.wording == Wording::kByAgreementType && agreement_type == AgreementType::kTwoParty) return "鉴证";
  return "审核";
}

std::string ActionLabel(const FlowDefinition& flow, AgreementType agreement_type, Action action) {
  switch (action) {
    case Action::kSubmit:
      return "提交";
    case Action::kApprove:
      return ReviewVerb(flow, agreement_type) + "通过";
    case Action::kReject:
      return ReviewVerb(flow, agreement_type) + "不通过";
    case Action::kReturn:
      return "退回修改";
    case Action::kWithdraw:
      return "撤回";
    case Action::kResubmit:
      return "重新提交";
    case Action::kModify:
      return "修改";
    case Action::kVoid:
      return "作废";
  }
  return "";
}

std::string StateLabel(const FlowDefinition& flow, AgreementType agreement_type, State state, Stage stage) {
  const std::string verb = ReviewVerb(flow, agreement_type);
  switch (state) {
    case State::kPending:
      return absl::StrCat(stage == Stage::kDepartment ? "等待学院" : "等待学校", verb);
    case State::kReturned:
      return "退回修改";
    case State::kRejected:
      return verb + "不通过";
    case State::kWithdrawn:
      return "已撤回";
    case State::kApproved:
      return verb + "通过";
    case State::kVoided:
      return "已作废";
  }
  return "";
}

absl::string_view StateName(State state) {
  switch (state) {
    case State::kPending:
      return "PENDING";
    case State::kReturned:
      return "RETURNED";
    case State::kRejected:
      return "REJECTED";
    case State::kWithdrawn:
      return "WITHDRAWN";
    case State::kApproved:
      return "APPROVED";
    case State::kVoided:
      return "VOIDED";
  }
  return "";
}

absl::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "";
    case Stage::kDepartment:
      return "DEPARTMENT";
    case Stage::kSchool:
      return "SCHOOL";
  }
  return "";
}

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kSubmit:
      return "SUBMIT";
    case Action::kApprove:
      return "APPROVE";
    case Action::kReturn:
      return "RETURN";
    case Action::kReject:
      return "REJECT";
    case Action::kWithdraw:
      return "WITHDRAW";
    case Action::kResubmit:
      return "RESUBMIT";
    case Action::kModify:
      return "MODIFY";
    case Action::kVoid:
      return "VOID";
  }
  return "";
}

absl::StatusOr<State> ParseState(absl::string_view name) {
  for (State state : {State::kPending, State::kReturned, State::kRejected, State::kWithdrawn, State::kApproved,
                      State::kVoided}) {
    if (StateName(state) == name) return state;
  }
  return Internal("REVIEW_STATE_UNKNOWN", absl::StrCat("unknown review state \"", name, "\""));
}

absl::StatusOr<Stage> ParseStage(absl::string_view name) {
  for (Stage stage : {Stage::kNone, Stage::kDepartment, Stage::kSchool}) {
    if (StageName(stage) == name) return stage;
  }
  return Internal("REVIEW_STAGE_UNKNOWN", absl::StrCat("unknown review stage \"", name, "\""));
}

absl::StatusOr<Action> ParseAction(absl::string_view name) {
  for (Action action : {Action::kSubmit, Action::kApprove, Action::kReturn, Action::kReject, Action::kWithdraw, Action::kResubmit,
                        Action::kModify, Action::kVoid}) {
    if (ActionName(action) == name) return action;
  }
  return Internal("REVIEW_ACTION_UNKNOWN", absl::StrCat("unknown review action \"", name, "\""));
}

}  // namespace quxiang::review

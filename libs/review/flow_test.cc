// Tests of the review state machine (libs/review/flow.h), without a database.
#include "libs/review/flow.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"

namespace quxiang::review {
namespace {

using identity::Access;

const std::vector<ReasonOption> kReasons = {{"EMPLOYER_INFO_INCORRECT", "用人单位信息有误"}, {"OTHER", "其他"}};

FlowDefinition SigningFlow() {
  FlowDefinition flow;
  flow.name = "signing.offline_agreement";
  flow.wording = Wording::kByAgreementType;
  flow.reject_reasons = kReasons;
  return flow;
}

// Online signing: no return for revision, no withdrawal, as the guide describes it.
FlowDefinition OnlineSigningFlow() {
  FlowDefinition flow = SigningFlow();
  flow.name = "signing.online";
  flow.allows_return = false;
  flow.allows_withdraw = false;
  return flow;
}

FlowDefinition DestinationFlow() {
  FlowDefinition flow;
  flow.name = "destination.registration";
  flow.wording = Wording::kAlwaysReview;
  flow.applicant_may_void = true;
  flow.reject_reasons = DefaultRejectReasons();
  return flow;
}

Actor School(Access access = Access::ACCESS_READ_WRITE) {
  Actor actor;
  actor.kind = ActorKind::kSchool;
  actor.id = "u-school";
  actor.name = "校级审核员";
  actor.school_id = "1";
  actor.access = access;
  return actor;
}

Actor Department(const std::string& department_id = "d-law", Access access = Access::ACCESS_READ_WRITE) {
  Actor actor;
  actor.kind = ActorKind::kDepartment;
  actor.id = "u-dept";
  actor.name = "法学院审核员";
  actor.school_id = "1";
  actor.department_id = department_id;
  actor.access = access;
  return actor;
}

Actor Graduate(const std::string& id = "g-1") {
  Actor actor;
  actor.kind = ActorKind::kGraduate;
  actor.id = id;
  actor.name = "张三";
  actor.school_id = "1";
  return actor;
}

Actor Employer(const std::string& id = "e-1") {
  Actor actor;
  actor.kind = ActorKind::kEmployer;
  actor.id = id;
  actor.name = "某公司";
  return actor;
}

RecordSnapshot Record(State state, Stage stage) {
  RecordSnapshot record;
  record.record_id = "42";
  record.state = state;
  record.stage = stage;
  record.version = 3;
  record.school_id = "1";
  record.department_id = "d-law";
  record.applicant_id = "g-1";
  return record;
}

ActionRequest Request(Action action) {
  ActionRequest request;
  request.action = action;
  request.expected_version = 3;
  if (action == Action::kReject) request.reason_code = "OTHER";
  if (action == Action::kReject || action == Action::kReturn || action == Action::kVoid) {
    request.detail = "单位名称与营业执照不一致";
  }
  return request;
}

ReviewContext Context(ReviewMode mode, AgreementType type = AgreementType::kThreeParty) {
  return ReviewContext{mode, type};
}

void ExpectError(const absl::StatusOr<Transition>& result, absl::StatusCode code, const std::string& reason) {
  ASSERT_FALSE(result.ok()) << "expected " << reason;
  EXPECT_EQ(result.status().code(), code) << result.status();
  EXPECT_EQ(ErrorReason(result.status()), reason) << result.status();
  if (code != absl::StatusCode::kInternal) {
    ASSERT_TRUE(ErrorZhMessage(result.status()).has_value());
    EXPECT_FALSE(ErrorZhMessage(result.status())->empty());
  }
}

// The (state, stage) combinations a record can be in under each mode.
std::vector<std::pair<State, Stage>> Positions(ReviewMode mode) {
  std::vector<std::pair<State, Stage>> positions = {
      {State::kPending, Stage::kSchool}, {State::kReturned, Stage::kNone}, {State::kRejected, Stage::kNone},
      {State::kWithdrawn, Stage::kNone}, {State::kApproved, Stage::kNone}, {State::kVoided, Stage::kNone}};
  if (mode == ReviewMode::kDepartmentThenSchool) positions.push_back({State::kPending, Stage::kDepartment});
  return positions;
}

enum class Who { kSchool, kDepartment, kApplicant };

Actor ActorOf(Who who) {
  switch (who) {
    case Who::kSchool:
      return School();
    case Who::kDepartment:
      return Department();
    case Who::kApplicant:
      return Graduate();
  }
  return Actor();
}

// Every transition the guide allows, for actors with the right kind, scope and grant. The
// matrix test expects every other combination of these actors and actions to fail with
// FAILED_PRECONDITION.
struct Allowed {
  ReviewMode mode;
  State state;
  Stage stage;
  Who who;
  Action action;
  State to_state;
  Stage to_stage;
};

std::vector<Allowed> AllowedTransitions() {
  std::vector<Allowed> allowed;
  for (ReviewMode mode : {ReviewMode::kSchoolOnly, ReviewMode::kDepartmentThenSchool}) {
    const Stage first = mode == ReviewMode::kSchoolOnly ? Stage::kSchool : Stage::kDepartment;
    allowed.push_back({mode, State::kPending, Stage::kSchool, Who::kSchool, Action::kApprove, State::kApproved,
                       Stage::kNone});
    allowed.push_back({mode, State::kPending, Stage::kSchool, Who::kSchool, Action::kReturn, State::kReturned,
                       Stage::kNone});
    allowed.push_back({mode, State::kPending, Stage::kSchool, Who::kSchool, Action::kReject, State::kRejected,
                       Stage::kNone});
    allowed.push_back(
        {mode, State::kPending, first, Who::kApplicant, Action::kWithdraw, State::kWithdrawn, Stage::kNone});
    allowed.push_back({mode, State::kReturned, Stage::kNone, Who::kApplicant, Action::kResubmit, State::kPending, first});
    allowed.push_back(
        {mode, State::kWithdrawn, Stage::kNone, Who::kApplicant, Action::kResubmit, State::kPending, first});
    allowed.push_back(
        {mode, State::kApproved, Stage::kNone, Who::kSchool, Action::kModify, State::kApproved, Stage::kNone});
    allowed.push_back({mode, State::kApproved, Stage::kNone, Who::kSchool, Action::kVoid, State::kVoided, Stage::kNone});
  }
  const ReviewMode two = ReviewMode::kDepartmentThenSchool;
  allowed.push_back(
      {two, State::kPending, Stage::kDepartment, Who::kDepartment, Action::kApprove, State::kPending, Stage::kSchool});
  allowed.push_back(
      {two, State::kPending, Stage::kDepartment, Who::kDepartment, Action::kReturn, State::kReturned, Stage::kNone});
  allowed.push_back(
      {two, State::kPending, Stage::kDepartment, Who::kDepartment, Action::kReject, State::kRejected, Stage::kNone});
  return allowed;
}

TEST(ReviewFlowTest, MatrixOfTransitions) {
  const FlowDefinition flow = SigningFlow();
  const std::vector<Allowed> allowed = AllowedTransitions();
  // (who, action) pairs whose actor may do the action in some state, so that a refusal of a
  // forbidden state is a FAILED_PRECONDITION and never a PERMISSION_DENIED.
  const std::vector<std::pair<Who, Action>> pairs = {
      {Who::kSchool, Action::kApprove},     {Who::kSchool, Action::kReturn},      {Who::kSchool, Action::kReject},
      {Who::kDepartment, Action::kApprove}, {Who::kDepartment, Action::kReturn},  {Who::kDepartment, Action::kReject},
      {Who::kApplicant, Action::kWithdraw}, {Who::kApplicant, Action::kResubmit}, {Who::kSchool, Action::kModify},
      {Who::kSchool, Action::kVoid}};
  const std::set<std::string> precondition_reasons = {"RECORD_NOT_PENDING", "REVIEW_STAGE_MISMATCH",
                                                      "DEPARTMENT_REVIEW_NOT_USED",
                                                      "WITHDRAW_AFTER_REVIEW", "RECORD_NOT_RETURNED",
                                                      "RECORD_NOT_APPROVED"};
  int allowed_seen = 0;
  int forbidden_seen = 0;
  for (ReviewMode mode : {ReviewMode::kSchoolOnly, ReviewMode::kDepartmentThenSchool}) {
    for (const auto& [state, stage] : Positions(mode)) {
      for (const auto& [who, action] : pairs) {
        const std::string label = absl::StrCat(mode == ReviewMode::kSchoolOnly ? "school-only " : "two-level ",
                                               StateName(state), "@", StageName(stage), " ", ActionName(action),
                                               " by ", static_cast<int>(who));
        std::optional<Allowed> expected;
        for (const Allowed& entry : allowed) {
          if (entry.mode == mode && entry.state == state && entry.stage == stage && entry.who == who &&
              entry.action == action) {
            expected = entry;
          }
        }
        absl::StatusOr<Transition> result =
            Decide(flow, Context(mode), ActorOf(who), Record(state, stage), Request(action));
        if (expected.has_value()) {
          ++allowed_seen;
          ASSERT_TRUE(result.ok()) << label << ": " << result.status();
          EXPECT_EQ(result->from_state, state) << label;
          EXPECT_EQ(result->from_stage, stage) << label;
          EXPECT_EQ(result->to_state, expected->to_state) << label;
          EXPECT_EQ(result->to_stage, expected->to_stage) << label;
          EXPECT_EQ(result->action, action) << label;
        } else {
          ++forbidden_seen;
          ASSERT_FALSE(result.ok()) << label << " was allowed";
          EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << label << ": " << result.status();
          EXPECT_EQ(precondition_reasons.count(ErrorReason(result.status())), 1u)
              << label << ": " << ErrorReason(result.status());
        }
      }
    }
  }
  EXPECT_EQ(allowed_seen, static_cast<int>(allowed.size()));
  EXPECT_GT(forbidden_seen, 100);
}

TEST(ReviewFlowTest, DepartmentApprovalMovesToSchool) {
  absl::StatusOr<Transition> next = Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Department(),
                                           Record(State::kPending, Stage::kDepartment), Request(Action::kApprove));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->to_state, State::kPending);
  EXPECT_EQ(next->to_stage, Stage::kSchool);
  EXPECT_FALSE(next->became_effective);
  EXPECT_FALSE(next->released_graduate);
}

TEST(ReviewFlowTest, SchoolApprovalBecomesEffective) {
  for (ReviewMode mode : {ReviewMode::kSchoolOnly, ReviewMode::kDepartmentThenSchool}) {
    absl::StatusOr<Transition> next =
        Decide(SigningFlow(), Context(mode), School(), Record(State::kPending, Stage::kSchool), Request(Action::kApprove));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->to_state, State::kApproved);
    EXPECT_TRUE(next->became_effective);
    EXPECT_FALSE(next->released_graduate);
  }
}

TEST(ReviewFlowTest, SchoolCannotSkipDepartmentStage) {
  absl::StatusOr<Transition> result = Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), School(),
                                             Record(State::kPending, Stage::kDepartment), Request(Action::kApprove));
  ExpectError(result, absl::StatusCode::kFailedPrecondition, "REVIEW_STAGE_MISMATCH");
  EXPECT_NE(result.status().message().find("等待院系审核"), absl::string_view::npos) << result.status();
}

TEST(ReviewFlowTest, DepartmentCannotActAtSchoolStage) {
  for (Action action : {Action::kApprove, Action::kReturn, Action::kReject}) {
    absl::StatusOr<Transition> result = Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool),
                                               Department(), Record(State::kPending, Stage::kSchool), Request(action));
    ExpectError(result, absl::StatusCode::kFailedPrecondition, "REVIEW_STAGE_MISMATCH");
    EXPECT_NE(result.status().message().find("等待学校审核"), absl::string_view::npos) << result.status();
  }
}

TEST(ReviewFlowTest, DepartmentCannotReviewInSchoolOnlyMode) {
  for (Action action : {Action::kApprove, Action::kReturn, Action::kReject}) {
    absl::StatusOr<Transition> result = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), Department(),
                                               Record(State::kPending, Stage::kSchool), Request(action));
    ExpectError(result, absl::StatusCode::kFailedPrecondition, "DEPARTMENT_REVIEW_NOT_USED");
    EXPECT_NE(result.status().message().find("仅校级审核"), absl::string_view::npos) << result.status();
    EXPECT_NE(result.status().message().find("请由学校用户审核"), absl::string_view::npos) << result.status();
    EXPECT_EQ(result.status().message().find("院系审核通过"), absl::string_view::npos) << result.status();
  }
}

TEST(ReviewFlowTest, DepartmentScopeComesFirst) {
  // Another department's record is refused for scope whatever its stage, so that the error does
  // not tell the caller the record's state.
  for (Stage stage : {Stage::kDepartment, Stage::kSchool}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Department("d-physics"),
                       Record(State::kPending, stage), Request(Action::kApprove)),
                absl::StatusCode::kPermissionDenied, "OUTSIDE_DEPARTMENT_SCOPE");
  }
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Department(""),
                     Record(State::kPending, Stage::kDepartment), Request(Action::kApprove)),
              absl::StatusCode::kPermissionDenied, "OUTSIDE_DEPARTMENT_SCOPE");
}

TEST(ReviewFlowTest, OtherSchoolIsOutsideScope) {
  Actor school = School();
  school.school_id = "2";
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), school, Record(State::kPending, Stage::kSchool),
                     Request(Action::kApprove)),
              absl::StatusCode::kPermissionDenied, "OUTSIDE_SCHOOL_SCOPE");
  Actor department = Department();
  department.school_id = "2";
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), department,
                     Record(State::kPending, Stage::kDepartment), Request(Action::kReject)),
              absl::StatusCode::kPermissionDenied, "OUTSIDE_SCHOOL_SCOPE");
  Actor no_school = School();
  no_school.school_id = "";
  RecordSnapshot record = Record(State::kApproved, Stage::kNone);
  record.school_id = "";
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), no_school, record, Request(Action::kVoid)),
              absl::StatusCode::kPermissionDenied, "OUTSIDE_SCHOOL_SCOPE");
}

TEST(ReviewFlowTest, ReadOnlyGrantCannotAct) {
  for (Action action : {Action::kApprove, Action::kReturn, Action::kReject}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(Access::ACCESS_READ_ONLY),
                       Record(State::kPending, Stage::kSchool), Request(action)),
                absl::StatusCode::kPermissionDenied, "MODULE_READ_ONLY");
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool),
                       Department("d-law", Access::ACCESS_READ_ONLY), Record(State::kPending, Stage::kDepartment),
                       Request(action)),
                absl::StatusCode::kPermissionDenied, "MODULE_READ_ONLY");
  }
  for (Action action : {Action::kModify, Action::kVoid}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(Access::ACCESS_READ_ONLY),
                       Record(State::kApproved, Stage::kNone), Request(action)),
                absl::StatusCode::kPermissionDenied, "MODULE_READ_ONLY");
  }
  for (Access access : {Access::ACCESS_NONE, Access::ACCESS_UNSPECIFIED}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(access),
                       Record(State::kPending, Stage::kSchool), Request(Action::kApprove)),
                absl::StatusCode::kPermissionDenied, "MODULE_ACCESS_NONE");
  }
}

TEST(ReviewFlowTest, NonStaffCannotReview) {
  Actor operator_actor;
  operator_actor.kind = ActorKind::kOther;
  operator_actor.id = "op";
  for (const Actor& actor : {Graduate(), Employer(), operator_actor}) {
    for (Action action : {Action::kApprove, Action::kReturn, Action::kReject}) {
      ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), actor, Record(State::kPending, Stage::kSchool),
                         Request(action)),
                  absl::StatusCode::kPermissionDenied, "REVIEWER_KIND_NOT_ALLOWED");
    }
  }
}

TEST(ReviewFlowTest, WordsFollowAgreementType) {
  const FlowDefinition signing = SigningFlow();
  EXPECT_EQ(ReviewVerb(signing, AgreementType::kTwoParty), "鉴证");
  EXPECT_EQ(ReviewVerb(signing, AgreementType::kThreeParty), "审核");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kApprove), "鉴证通过");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kThreeParty, Action::kApprove), "审核通过");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kReject), "鉴证不通过");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kThreeParty, Action::kReject), "审核不通过");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kReturn), "退回修改");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kWithdraw), "撤回");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kVoid), "作废");
  EXPECT_EQ(ActionLabel(signing, AgreementType::kTwoParty, Action::kModify), "修改");
  EXPECT_EQ(StateLabel(signing, AgreementType::kTwoParty, State::kPending, Stage::kDepartment), "等待学院鉴证");
  EXPECT_EQ(StateLabel(signing, AgreementType::kThreeParty, State::kPending, Stage::kSchool), "等待学校审核");
  EXPECT_EQ(StateLabel(signing, AgreementType::kTwoParty, State::kApproved, Stage::kNone), "鉴证通过");
  EXPECT_EQ(StateLabel(signing, AgreementType::kTwoParty, State::kVoided, Stage::kNone), "已作废");

  // Destination registration uses 审核 under both agreement types.
  const FlowDefinition destination = DestinationFlow();
  EXPECT_EQ(ActionLabel(destination, AgreementType::kTwoParty, Action::kApprove), "审核通过");
  EXPECT_EQ(ActionLabel(destination, AgreementType::kTwoParty, Action::kReject), "审核不通过");
}

TEST(ReviewFlowTest, ErrorsUseAgreementWord) {
  absl::StatusOr<Transition> two_party =
      Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool, AgreementType::kTwoParty), Department(),
             Record(State::kPending, Stage::kSchool), Request(Action::kApprove));
  ExpectError(two_party, absl::StatusCode::kFailedPrecondition, "REVIEW_STAGE_MISMATCH");
  EXPECT_NE(two_party.status().message().find("鉴证"), absl::string_view::npos) << two_party.status();
  EXPECT_EQ(two_party.status().message().find("审核"), absl::string_view::npos) << two_party.status();

  ActionRequest request = Request(Action::kReject);
  request.detail = "";
  absl::StatusOr<Transition> missing = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly, AgreementType::kTwoParty),
                                              School(), Record(State::kPending, Stage::kSchool), request);
  ExpectError(missing, absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");
  EXPECT_NE(missing.status().message().find("鉴证不通过"), absl::string_view::npos) << missing.status();
}

TEST(ReviewFlowTest, RejectNeedsReasonAndDetail) {
  const auto decide = [](const ActionRequest& request) {
    return Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                  request);
  };
  ActionRequest request = Request(Action::kReject);
  request.detail = "";
  ExpectError(decide(request), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");
  request.detail = " \t\n ";
  ExpectError(decide(request), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");
  request.detail = "\xE3\x80\x80 \xE3\x80\x80";  // ideographic spaces around an ASCII space
  ExpectError(decide(request), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");

  request = Request(Action::kReject);
  request.reason_code = "";
  ExpectError(decide(request), absl::StatusCode::kInvalidArgument, "REJECT_REASON_REQUIRED");
  request.reason_code = "WARNED_EMPLOYER";
  absl::StatusOr<Transition> unknown = decide(request);
  ExpectError(unknown, absl::StatusCode::kInvalidArgument, "REJECT_REASON_UNKNOWN");
  EXPECT_EQ(ErrorMetadataOf(unknown.status())["reason_code"], "WARNED_EMPLOYER");

  request = Request(Action::kReject);
  request.reason_code = "EMPLOYER_INFO_INCORRECT";
  request.detail = "\xE3\x80\x80 单位名称有误 \n";
  absl::StatusOr<Transition> rejected = decide(request);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->to_state, State::kRejected);
  EXPECT_EQ(rejected->reason_code, "EMPLOYER_INFO_INCORRECT");
  EXPECT_EQ(rejected->detail, "单位名称有误");
  EXPECT_TRUE(rejected->released_graduate);
  EXPECT_FALSE(rejected->became_effective);
}

TEST(ReviewFlowTest, DetailLengthAndEncoding) {
  const auto decide = [](const std::string& detail) {
    ActionRequest request = Request(Action::kReturn);
    request.detail = detail;
    return Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                  request);
  };
  std::string longest;
  for (int i = 0; i < kMaxDetailCharacters; ++i) longest += "改";
  EXPECT_TRUE(decide(longest).ok());
  // A character outside the BMP counts as one.
  EXPECT_TRUE(decide(longest.substr(3) + "\xF0\xA0\x80\x80").ok());
  absl::StatusOr<Transition> too_long = decide(longest + "改");
  ExpectError(too_long, absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_TOO_LONG");
  EXPECT_EQ(ErrorMetadataOf(too_long.status())["characters"], "501");

  ExpectError(decide("退回\xFF原因"), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_INVALID");
  ExpectError(decide("\xC0\xAF"), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_INVALID");  // overlong '/'
  ExpectError(decide("\xED\xA0\x80"), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_INVALID");  // surrogate
  ExpectError(decide("原因\xE6\x94"), absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_INVALID");  // cut short
}

TEST(ReviewFlowTest, ReasonOnlyWithReject) {
  ActionRequest request = Request(Action::kApprove);
  request.reason_code = "OTHER";
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                     request),
              absl::StatusCode::kInvalidArgument, "REVIEW_REASON_NOT_ALLOWED");
}

TEST(ReviewFlowTest, ApproveDetailIsOptional) {
  ActionRequest request = Request(Action::kApprove);
  request.detail = "材料齐全";
  absl::StatusOr<Transition> next = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                           Record(State::kPending, Stage::kSchool), request);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->detail, "材料齐全");
}

TEST(ReviewFlowTest, ReturnAndVoidNeedDetail) {
  ActionRequest request = Request(Action::kReturn);
  request.detail = "";
  absl::StatusOr<Transition> returned = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                               Record(State::kPending, Stage::kSchool), request);
  ExpectError(returned, absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");
  EXPECT_EQ(ErrorMetadataOf(returned.status())["action"], "RETURN");

  request = Request(Action::kVoid);
  request.detail = "  ";
  absl::StatusOr<Transition> voided = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                             Record(State::kApproved, Stage::kNone), request);
  ExpectError(voided, absl::StatusCode::kInvalidArgument, "REVIEW_DETAIL_REQUIRED");
  EXPECT_EQ(ErrorMetadataOf(voided.status())["action"], "VOID");
}

TEST(ReviewFlowTest, FlowWithoutReturn) {
  absl::StatusOr<Transition> result = Decide(OnlineSigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                             Record(State::kPending, Stage::kSchool), Request(Action::kReturn));
  ExpectError(result, absl::StatusCode::kFailedPrecondition, "REVIEW_ACTION_NOT_ALLOWED");
  EXPECT_NE(result.status().message().find("退回修改"), absl::string_view::npos) << result.status();
  // Approve and reject still work on that flow.
  EXPECT_TRUE(Decide(OnlineSigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                     Record(State::kPending, Stage::kSchool), Request(Action::kReject))
                  .ok());
}

TEST(ReviewFlowTest, FlowWithoutWithdrawModifyOrVoid) {
  ExpectError(Decide(OnlineSigningFlow(), Context(ReviewMode::kSchoolOnly), Graduate(),
                     Record(State::kPending, Stage::kSchool), Request(Action::kWithdraw)),
              absl::StatusCode::kFailedPrecondition, "REVIEW_ACTION_NOT_ALLOWED");
  FlowDefinition flow = SigningFlow();
  flow.allows_modify = false;
  flow.allows_void = false;
  for (Action action : {Action::kModify, Action::kVoid}) {
    ExpectError(Decide(flow, Context(ReviewMode::kSchoolOnly), School(), Record(State::kApproved, Stage::kNone),
                       Request(action)),
                absl::StatusCode::kFailedPrecondition, "REVIEW_ACTION_NOT_ALLOWED");
  }
}

TEST(ReviewFlowTest, WithdrawOnlyByApplicant) {
  for (const Actor& actor : {Graduate("g-2"), School(), Department(), Employer()}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), actor, Record(State::kPending, Stage::kSchool),
                       Request(Action::kWithdraw)),
                absl::StatusCode::kPermissionDenied, "NOT_APPLICANT");
  }
  Actor no_id = Graduate("");
  RecordSnapshot no_applicant = Record(State::kPending, Stage::kSchool);
  no_applicant.applicant_id = "";
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), no_id, no_applicant, Request(Action::kWithdraw)),
              absl::StatusCode::kPermissionDenied, "NOT_APPLICANT");

  // An employer that started the record (an online termination) is its applicant.
  RecordSnapshot by_employer = Record(State::kPending, Stage::kSchool);
  by_employer.applicant_id = "e-1";
  absl::StatusOr<Transition> withdrawn = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), Employer("e-1"),
                                                by_employer, Request(Action::kWithdraw));
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->to_state, State::kWithdrawn);
  EXPECT_TRUE(withdrawn->released_graduate);
}

TEST(ReviewFlowTest, WithdrawAfterDepartmentApproval) {
  absl::StatusOr<Transition> result = Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Graduate(),
                                             Record(State::kPending, Stage::kSchool), Request(Action::kWithdraw));
  ExpectError(result, absl::StatusCode::kFailedPrecondition, "WITHDRAW_AFTER_REVIEW");
  for (State state : {State::kReturned, State::kRejected, State::kApproved, State::kWithdrawn, State::kVoided}) {
    ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Graduate(),
                       Record(state, Stage::kNone), Request(Action::kWithdraw)),
                absl::StatusCode::kFailedPrecondition, "RECORD_NOT_PENDING");
  }
}

TEST(ReviewFlowTest, ResubmitClaimsOnlyAfterWithdraw) {
  for (ReviewMode mode : {ReviewMode::kSchoolOnly, ReviewMode::kDepartmentThenSchool}) {
    absl::StatusOr<Transition> after_return =
        Decide(SigningFlow(), Context(mode), Graduate(), Record(State::kReturned, Stage::kNone), Request(Action::kResubmit));
    ASSERT_TRUE(after_return.ok()) << after_return.status();
    EXPECT_EQ(after_return->to_stage, FirstStage(mode));
    EXPECT_FALSE(after_return->claims_graduate);
    absl::StatusOr<Transition> after_withdraw = Decide(SigningFlow(), Context(mode), Graduate(),
                                                       Record(State::kWithdrawn, Stage::kNone), Request(Action::kResubmit));
    ASSERT_TRUE(after_withdraw.ok()) << after_withdraw.status();
    EXPECT_EQ(after_withdraw->to_stage, FirstStage(mode));
    EXPECT_TRUE(after_withdraw->claims_graduate);
  }
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kReturned, Stage::kNone),
                     Request(Action::kResubmit)),
              absl::StatusCode::kPermissionDenied, "NOT_APPLICANT");
}

TEST(ReviewFlowTest, ModifyAndVoidBySchoolOnly) {
  for (Action action : {Action::kModify, Action::kVoid}) {
    // The department user has 读写 and the record is its own department's; it is still refused.
    absl::StatusOr<Transition> by_department = Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool),
                                                      Department(), Record(State::kApproved, Stage::kNone), Request(action));
    ExpectError(by_department, absl::StatusCode::kPermissionDenied, "SCHOOL_USER_ONLY");
    EXPECT_NE(by_department.status().message().find("院系用户"), absl::string_view::npos) << by_department.status();
    for (const Actor& actor : {Graduate(), Employer()}) {
      ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), actor, Record(State::kApproved, Stage::kNone),
                         Request(action)),
                  absl::StatusCode::kPermissionDenied, "SCHOOL_USER_ONLY");
    }
  }
  absl::StatusOr<Transition> modified = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                               Record(State::kApproved, Stage::kNone), Request(Action::kModify));
  ASSERT_TRUE(modified.ok()) << modified.status();
  EXPECT_EQ(modified->to_state, State::kApproved);
  EXPECT_FALSE(modified->released_graduate);
  absl::StatusOr<Transition> voided = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                             Record(State::kApproved, Stage::kNone), Request(Action::kVoid));
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->to_state, State::kVoided);
  EXPECT_TRUE(voided->released_graduate);
}

TEST(ReviewFlowTest, ModifyBeforeApproval) {
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                     Request(Action::kModify)),
              absl::StatusCode::kFailedPrecondition, "RECORD_NOT_APPROVED");
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kVoided, Stage::kNone),
                     Request(Action::kVoid)),
              absl::StatusCode::kFailedPrecondition, "RECORD_NOT_APPROVED");
}

TEST(ReviewFlowTest, ApplicantVoidsOwnDestination) {
  absl::StatusOr<Transition> voided = Decide(DestinationFlow(), Context(ReviewMode::kSchoolOnly), Graduate(),
                                             Record(State::kApproved, Stage::kNone), Request(Action::kVoid));
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->to_state, State::kVoided);
  EXPECT_TRUE(voided->released_graduate);
  ExpectError(Decide(DestinationFlow(), Context(ReviewMode::kSchoolOnly), Graduate("g-2"),
                     Record(State::kApproved, Stage::kNone), Request(Action::kVoid)),
              absl::StatusCode::kPermissionDenied, "SCHOOL_USER_ONLY");
  // The applicant may void, not modify.
  ExpectError(Decide(DestinationFlow(), Context(ReviewMode::kSchoolOnly), Graduate(),
                     Record(State::kApproved, Stage::kNone), Request(Action::kModify)),
              absl::StatusCode::kPermissionDenied, "SCHOOL_USER_ONLY");
  ExpectError(Decide(DestinationFlow(), Context(ReviewMode::kSchoolOnly), Graduate(),
                     Record(State::kPending, Stage::kSchool), Request(Action::kVoid)),
              absl::StatusCode::kFailedPrecondition, "RECORD_NOT_APPROVED");
}

TEST(ReviewFlowTest, SubmissionStartsAtFirstStage) {
  EXPECT_EQ(Submission(ReviewMode::kSchoolOnly).to_stage, Stage::kSchool);
  EXPECT_EQ(Submission(ReviewMode::kDepartmentThenSchool).to_stage, Stage::kDepartment);
  EXPECT_EQ(Submission(ReviewMode::kSchoolOnly).to_state, State::kPending);
  EXPECT_EQ(Submission(ReviewMode::kSchoolOnly).action, Action::kSubmit);
  EXPECT_TRUE(Submission(ReviewMode::kSchoolOnly).claims_graduate);
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), Graduate(),
                     Record(State::kPending, Stage::kSchool), Request(Action::kSubmit)),
              absl::StatusCode::kInternal, "REVIEW_ACTION_UNKNOWN");
}

TEST(ReviewFlowTest, PendingWithoutStageIsInternal) {
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kNone),
                     Request(Action::kApprove)),
              absl::StatusCode::kInternal, "REVIEW_RECORD_INCONSISTENT");
}

TEST(ReviewFlowTest, ValidateFlowRejectsBadDefinitions) {
  EXPECT_TRUE(ValidateFlow(SigningFlow()).ok());
  EXPECT_TRUE(ValidateFlow(DestinationFlow()).ok());
  std::vector<FlowDefinition> bad(6, SigningFlow());
  bad[0].name = "";
  bad[1].name = "Signing";
  bad[2].name = std::string(65, 'a');
  bad[3].reject_reasons.clear();
  bad[4].reject_reasons.push_back({"OTHER", "其他"});
  bad[5].reject_reasons.push_back({"lower_case", "小写"});
  for (const FlowDefinition& flow : bad) {
    absl::Status status = ValidateFlow(flow);
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << flow.name;
    EXPECT_EQ(ErrorReason(status), "REVIEW_FLOW_INVALID") << flow.name;
  }
  // Decide refuses a bad flow before anything else.
  ExpectError(Decide(bad[3], Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                     Request(Action::kApprove)),
              absl::StatusCode::kInternal, "REVIEW_FLOW_INVALID");
}

TEST(ReviewFlowTest, NamesRoundTrip) {
  for (State state : {State::kPending, State::kReturned, State::kRejected, State::kWithdrawn, State::kApproved,
                      State::kVoided}) {
    absl::StatusOr<State> parsed = ParseState(StateName(state));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, state);
  }
  for (Stage stage : {Stage::kNone, Stage::kDepartment, Stage::kSchool}) {
    absl::StatusOr<Stage> parsed = ParseStage(StageName(stage));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, stage);
  }
  for (Action action : {Action::kSubmit, Action::kApprove, Action::kReturn, Action::kReject, Action::kWithdraw,
                        Action::kResubmit, Action::kModify, Action::kVoid}) {
    absl::StatusOr<Action> parsed = ParseAction(ActionName(action));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, action);
  }
  EXPECT_EQ(ParseState("pending").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseStage("COLLEGE").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseAction("APPROVED").status().code(), absl::StatusCode::kInternal);
}

TEST(ReviewFlowTest, ActorFromPrincipalMapsKinds) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_DEPARTMENT);
  claims.set_user_id("7");
  claims.set_username("law-office");
  claims.set_display_name("法学院办公室");
  claims.set_school_id("1");
  claims.set_department_id("d-law");
  auto* grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(common::v1::ACCESS_READ_ONLY);
  grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_ARCHIVE);
  grant->set_access(common::v1::ACCESS_READ_WRITE);

  Actor employment = ActorFromPrincipal(identity::Principal(claims), common::v1::MODULE_EMPLOYMENT);
  EXPECT_EQ(employment.kind, ActorKind::kDepartment);
  EXPECT_EQ(employment.id, "7");
  EXPECT_EQ(employment.name, "法学院办公室");
  EXPECT_EQ(employment.school_id, "1");
  EXPECT_EQ(employment.department_id, "d-law");
  EXPECT_EQ(employment.access, Access::ACCESS_READ_ONLY);
  EXPECT_EQ(ActorFromPrincipal(identity::Principal(claims), common::v1::MODULE_ARCHIVE).access,
            Access::ACCESS_READ_WRITE);
  EXPECT_EQ(ActorFromPrincipal(identity::Principal(claims), common::v1::MODULE_HOUSEHOLD).access,
            Access::ACCESS_NONE);

  common::v1::IdentityClaims graduate;
  graduate.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
  graduate.set_user_id("99");
  graduate.set_username("4111010001-2022001234");
  graduate.set_graduate_id("g-1");
  graduate.set_school_id("1");
  Actor applicant = ActorFromPrincipal(identity::Principal(graduate), common::v1::MODULE_EMPLOYMENT);
  EXPECT_EQ(applicant.kind, ActorKind::kGraduate);
  EXPECT_EQ(applicant.id, "g-1");
  EXPECT_EQ(applicant.name, "4111010001-2022001234");

  common::v1::IdentityClaims employer;
  employer.set_kind(common::v1::PRINCIPAL_KIND_EMPLOYER);
  employer.set_user_id("5");
  employer.set_employer_id("e-1");
  EXPECT_EQ(ActorFromPrincipal(identity::Principal(employer), common::v1::MODULE_EMPLOYMENT).id, "e-1");

  common::v1::IdentityClaims province;
  province.set_kind(common::v1::PRINCIPAL_KIND_PROVINCE);
  province.set_user_id("3");
  EXPECT_EQ(ActorFromPrincipal(identity::Principal(province), common::v1::MODULE_EMPLOYMENT).kind, ActorKind::kOther);
}

TEST(ReviewFlowTest, StaleOrMissingVersion) {
  ActionRequest request = Request(Action::kApprove);
  request.expected_version = 2;
  absl::StatusOr<Transition> stale = Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(),
                                            Record(State::kPending, Stage::kSchool), request);
  ExpectError(stale, absl::StatusCode::kAborted, "STALE_VERSION");
  // A stale version wins over the state, because the client saw something else.
  request.action = Action::kModify;
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                     request),
              absl::StatusCode::kAborted, "STALE_VERSION");
  request = Request(Action::kApprove);
  request.expected_version = 0;
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kSchoolOnly), School(), Record(State::kPending, Stage::kSchool),
                     request),
              absl::StatusCode::kInvalidArgument, "REVIEW_VERSION_REQUIRED");
  // Scope still comes before the version.
  request.expected_version = 2;
  ExpectError(Decide(SigningFlow(), Context(ReviewMode::kDepartmentThenSchool), Department("d-physics"),
                     Record(State::kPending, Stage::kDepartment), request),
              absl::StatusCode::kPermissionDenied, "OUTSIDE_DEPARTMENT_SCOPE");
}

TEST(ReviewFlowTest, DefaultReasonsAreValid) {
  FlowDefinition flow = SigningFlow();
  flow.reject_reasons = DefaultRejectReasons();
  EXPECT_TRUE(ValidateFlow(flow).ok());
  EXPECT_GE(DefaultRejectReasons().size(), 2u);
}

}  // namespace
}  // namespace quxiang::review

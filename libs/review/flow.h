// The review engine (审核 / 鉴证) shared by every flow that a school reviews: online and offline
// signing, paper agreement registration (补登), termination (解约), destination registration
// (去向登记), and later archive and household transfers.
//
// This header is the pure state machine, with no SQL or gRPC types. A record under review has a
// generic review state and, while pending, a stage:
//
//   submit ─▶ PENDING@DEPARTMENT ─approve─▶ PENDING@SCHOOL ─approve─▶ APPROVED ─void─▶ VOIDED
//               │  (two-level mode only)      │                         └─modify─▶ APPROVED
//               ├─return─▶ RETURNED ─resubmit─▶ PENDING@first stage
//               ├─reject─▶ REJECTED (final)
//               └─withdraw (first stage only)─▶ WITHDRAWN ─resubmit─▶ PENDING@first stage
//
// Rules, from the school/department operation guide:
//   * The first stage is DEPARTMENT when the school chose 先院系再校级审核, SCHOOL when it chose
//     仅校级审核. A department approval moves the record to the school stage, and the school's
//     approval makes it effective.
//   * A department user (院系用户) acts only at the department stage and only on records of its
//     own department. A school user (学校用户) acts only at the school stage, so it cannot skip a
//     department's review. Staff with a read-only grant (只读) on the flow's module never act.
//   * Reject (审核不通过) needs a reason code from the flow's list and a non-empty free-text detail,
//     and ends the record. Return (退回修改) needs a detail and exists only where the flow allows it.
//   * The applicant may withdraw (撤回) while the record waits at its first stage, that is before
//     any reviewer acted on this submission, and may resubmit a returned or withdrawn record.
//   * After the final approval only a school user may modify (修改) or void (作废) the record,
//     never a department user. Flows that allow it also let the applicant void its own approved
//     record (a graduate's destination registration).
//   * In flows with Wording::kByAgreementType the words follow the province's agreement type:
//     两方协议 → 鉴证, 三方协议 → 审核. Other flows always use 审核.
//
// Every refusal is an absl::Status built with libs/status/error.h: PERMISSION_DENIED when the
// actor may never do this to this record (its kind, grant, school or department), INVALID_ARGUMENT
// for a bad reason, detail or missing version, ABORTED (STALE_VERSION) when the client saw another
// version, FAILED_PRECONDITION when the record's state or stage forbids the action now. Checks
// run in that order, so an actor outside its scope learns nothing about the record's state.
//
// Example:
//   ASSIGN_OR_RETURN(review::Transition next,
//                    review::Decide(flow, context, review::ActorFromPrincipal(principal, flow.module),
//                                   snapshot, {review::Action::kApprove}));
#ifndef QUXIANG_LIBS_REVIEW_FLOW_H_
#define QUXIANG_LIBS_REVIEW_FLOW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/identity/principal.h"

namespace quxiang::review {

// 仅校级审核 or 先院系再校级审核, from the school's signing settings.
enum class ReviewMode { kSchoolOnly, kDepartmentThenSchool };

// The province's agreement type: 两方协议 (the school attests, 鉴证) or 三方协议 (the school
// reviews, 审核).
enum class AgreementType { kTwoParty, kThreeParty };

enum class State {
  // Waiting for a reviewer at `stage`.
  kPending,
  // 退回修改: the applicant edits and resubmits.
  kReturned,
  // 审核不通过: final.
  kRejected,
  // 撤回 by the applicant before any review. The applicant may edit and resubmit.
  kWithdrawn,
  // 审核通过 at the last stage: the record is effective.
  kApproved,
  // 作废 after approval: final.
  kVoided,
};

// The reviewer level a pending record waits for, and kNone in every other state.
enum class Stage { kNone, kDepartment, kSchool };

enum class Action {
  // The first submission, recorded by Submission(); Decide never takes it.
  kSubmit,
  kApprove,
  kReturn,
  kReject,
  kWithdraw,
  kResubmit,
  kModify,
  kVoid,
};

// The choice of words of a flow: 鉴证 for 两方协议 where they follow the agreement type, else 审核.
enum class Wording { kByAgreementType, kAlwaysReview };

// One entry of a flow's list of reject reasons (审核不通过原因).
struct ReasonOption {
  // UPPER_SNAKE_CASE, stored in the review history.
  std::string code;
  // The text the console shows, in Chinese.
  std::string label;
};

// The actions a flow offers and its reject reasons. Services define one constant per flow and
// validate it with ValidateFlow.
struct FlowDefinition {
  // Stored in the review history, for example "signing.paper_registration": lower-case letters,
  // digits, '_' and '.', at most 64 characters.
  std::string name;
  // The module whose grant decides whether a staff account may act (读写) or only read (只读).
  identity::Module module = identity::Module::MODULE_EMPLOYMENT;
  Wording wording = Wording::kAlwaysReview;
  // 退回修改. Online signing and online termination have none.
  bool allows_return = true;
  // 撤回 by the applicant before any review.
  bool allows_withdraw = true;
  // 修改 and 作废 by a school user after the final approval.
  bool allows_modify = true;
  bool allows_void = true;
  // The applicant may void its own approved record without review (destination registration).
  bool applicant_may_void = false;
  // Must not be empty, because every rejection needs a reason code.
  std::vector<ReasonOption> reject_reasons;
};

// The school's settings that a decision depends on.
struct ReviewContext {
  ReviewMode mode = ReviewMode::kSchoolOnly;
  AgreementType agreement_type = AgreementType::kThreeParty;
};

enum class ActorKind { kSchool, kDepartment, kGraduate, kEmployer, kOther };

// The acting user, as the engine needs it. Build it with ActorFromPrincipal, never from request
// fields.
struct Actor {
  ActorKind kind = ActorKind::kOther;
  // The user id of staff, the graduate id of a graduate, the employer id of an employer:
  // compared with RecordSnapshot::applicant_id and stored in the history as the reviewer id.
  std::string id;
  // Stored in the history as the reviewer name.
  std::string name;
  std::string school_id;
  // Department users only.
  std::string department_id;
  // Staff only: the grant on the flow's module.
  identity::Access access = identity::Access::ACCESS_NONE;
};

// The current review columns of the caller's record.
struct RecordSnapshot {
  std::string record_id;
  State state = State::kPending;
  Stage stage = Stage::kNone;
  // The record's current version, as read from its row.
  int64_t version = 0;
  std::string school_id;
  // The department of the record's graduate, which a department user must match.
  std::string department_id;
  // The submitter's id, compared with Actor::id for withdraw, resubmit and the applicant's void.
  std::string applicant_id;
};

struct ActionRequest {
  Action action = Action::kApprove;
  // The version the client saw (its etag), required. Another version than the record's is
  // ABORTED (STALE_VERSION), and the conditional update checks it again against the row.
  int64_t expected_version = 0;
  // Reject only: one of the flow's reject reason codes.
  std::string reason_code;
  // Required for reject, return and void, optional otherwise.
  std::string detail;
};

// The decided change of one record.
struct Transition {
  Action action = Action::kApprove;
  State from_state = State::kPending;
  Stage from_stage = Stage::kNone;
  State to_state = State::kPending;
  Stage to_stage = Stage::kNone;
  std::string reason_code;
  // Trimmed of surrounding white space.
  std::string detail;
  // True when the record became effective (the last stage approved), so that the caller sends
  // the destination to the EMS.
  bool became_effective = false;
  // True when the record ended without effect (rejected, withdrawn, voided), so that the caller
  // releases the graduate's claim in the destination ledger.
  bool released_graduate = false;
  // True when the record enters review holding no claim (a submission, or the resubmission of a
  // withdrawn record), so that the caller claims the graduate in the ledger first.
  bool claims_graduate = false;
};

// The maximum length of a detail in characters (Unicode code points), the width of the history's
// detail column.
inline constexpr int kMaxDetailCharacters = 500;

// INTERNAL unless `flow` has a valid name, at least one reject reason, and unique UPPER_SNAKE_CASE
// reason codes with labels. A flow is a constant of the calling service, so a bad one is a bug.
[[nodiscard]] absl::Status ValidateFlow(const FlowDefinition& flow);

// A reason list for flows that have no list of their own.
const std::vector<ReasonOption>& DefaultRejectReasons();

// The stage a new or resubmitted record waits at.
Stage FirstStage(ReviewMode mode);

// The state and stage of a newly submitted record.
Transition Submission(ReviewMode mode);

// Decides `request` by `actor` on `record`, or returns why it is not allowed (see the top of this
// file). Does not change anything.
absl::StatusOr<Transition> Decide(const FlowDefinition& flow, const ReviewContext& context,
                                  const Actor& actor, const RecordSnapshot& record,
                                  const ActionRequest& request);

// Builds the actor of a verified principal, with its grant on `module`.
Actor ActorFromPrincipal(const identity::Principal& principal, identity::Module module);

// Words. "鉴证" or "审核" for the flow and agreement type.
std::string ReviewVerb(const FlowDefinition& flow, AgreementType agreement_type);
// "提交", "鉴证通过", "审核不通过", "退回修改", "撤回", "重新提交", "修改", "作废".
std::string ActionLabel(const FlowDefinition& flow, AgreementType agreement_type, Action action);
// "等待学院审核" / "等待学校鉴证" for a pending record, the outcome for the others
// ("审核通过", "退回修改", ...).
std::string StateLabel(const FlowDefinition& flow, AgreementType agreement_type, State state,
                       Stage stage);

// Stable names for storage and logs: "PENDING", "DEPARTMENT", "APPROVE" and so on. Stage::kNone
// is the empty string.
absl::string_view StateName(State state);
absl::string_view StageName(Stage stage);
absl::string_view ActionName(Action action);
// INTERNAL for a name that no value has, because the names come from the caller's own columns.
absl::StatusOr<State> ParseState(absl::string_view name);
absl::StatusOr<Stage> ParseStage(absl::string_view name);
absl::StatusOr<Action> ParseAction(absl::string_view name);

}  // namespace quxiang::review

#endif  // QUXIANG_LIBS_REVIEW_FLOW_H_

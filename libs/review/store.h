// Persistence of the review engine: the review_history table, the conditional update of the
// caller's record, and batch review.
//
// The record table belongs to the calling service. It names the table and its columns in a
// RecordTable, and the columns hold the engine's names (StateName, StageName, with '' for no
// stage) and a BIGINT version. ApplyAction runs inside the caller's transaction:
//
//   1. Decide (flow.h) checks the actor, the input and the state, without writing;
//   2. UPDATE <table> SET state, stage, version = version + 1 WHERE id = ? AND version = ? AND
//      state = ? AND stage = ?, with the client's expected version: a record that changed since,
//      even after the caller read it, changes no row and returns ABORTED (STALE_VERSION), so of
//      two reviewers acting on one version exactly one wins;
//   3. INSERT INTO review_history, whose unique key (flow, record_id, version) would also stop a
//      second row for the same version.
// Any error leaves the caller's transaction to roll back, so a failed action writes nothing.
//
// A service embeds the history table by applying WithReviewMigrations(its own migrations).
//
// Example, in a service's transaction:
//   ASSIGN_OR_RETURN(RecordSnapshot snapshot, repository.LoadReviewSnapshot(s, id));
//   action.expected_version = request.version();  // the client's etag
//   ASSIGN_OR_RETURN(review::AppliedAction applied,
//                    review::ApplyAction(s, kPaperTable, kPaperFlow, context, actor, snapshot,
//                                        action, request.request_id(), clock.Now()));
//   if (applied.transition.became_effective) { /* write the outbox event */ }
#ifndef QUXIANG_LIBS_REVIEW_STORE_H_
#define QUXIANG_LIBS_REVIEW_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/review/flow.h"

namespace quxiang::review {

// The review migrations, named "review/NNNN_name.sql".
const std::vector<db::MigrationFile>& Migrations();

// The review migrations followed by `service_files`, for db::ApplyMigrations.
std::vector<db::MigrationFile> WithReviewMigrations(const std::vector<db::MigrationFile>& service_files);

// The caller's record table. Every name must be a plain identifier: a-z, 0-9 and '_', starting
// with a letter or '_', at most 64 characters. The names are constants of the calling service,
// never request fields, and the SQL quotes them with backticks.
struct RecordTable {
  std::string table;
  std::string id_column = "id";
  std::string state_column = "review_state";
  std::string stage_column = "review_stage";
  std::string version_column = "version";
  // Set to the action's time when not empty.
  std::string updated_at_column = "updated_at";
};

// INTERNAL when a name of `table` is not a plain identifier.
[[nodiscard]] absl::Status ValidateRecordTable(const RecordTable& table);

// One row of review_history.
struct HistoryEntry {
  int64_t id = 0;
  std::string flow;
  std::string record_id;
  int64_t version = 0;
  Action action = Action::kApprove;
  Stage stage = Stage::kNone;
  State from_state = State::kPending;
  State to_state = State::kPending;
  Stage to_stage = Stage::kNone;
  ActorKind actor_kind = ActorKind::kOther;
  std::string reviewer_id;
  std::string reviewer_name;
  std::string reason_code;
  std::string detail;
  std::string request_id;
  absl::Time occurred_at;
};

struct AppliedAction {
  Transition transition;
  // The record's version after the action.
  int64_t new_version = 0;
  int64_t history_id = 0;
  // True when the request id had been applied to this record before: nothing changed now, and
  // the fields describe the earlier action. The caller must not repeat its side effects.
  bool replayed = false;
};

// Records the submission of a record that the caller has just inserted in state PENDING at
// `submission.to_stage` with version `version`.
absl::StatusOr<int64_t> RecordSubmission(db::Session& session, const FlowDefinition& flow, const Actor& actor,
                                         const std::string& record_id, const Transition& submission,
                                         int64_t version, const std::string& request_id, absl::Time now);

// Decides `request` and, when allowed, updates the record conditionally on its expected version and
// appends the history row, all in the caller's transaction `session`. Returns the Decide errors,
// ABORTED (STALE_VERSION) when the record changed since `record.version`, and INVALID_ARGUMENT
// (REQUEST_ID_REUSED) when `request_id` was used on this record for another action. A request id
// that was applied to this record before returns that result with `replayed` set. An empty
// request id disables the replay.
// NOTE: a repeat that runs while the first is still uncommitted finds no history row, so it gets
// ABORTED (STALE_VERSION), and only a later retry gets the replay.
absl::StatusOr<AppliedAction> ApplyAction(db::Session& session, const RecordTable& table,
                                          const FlowDefinition& flow, const ReviewContext& context,
                                          const Actor& actor, const RecordSnapshot& record,
                                          const ActionRequest& request, const std::string& request_id,
                                          absl::Time now);

// The history of one record, oldest first.
absl::StatusOr<std::vector<HistoryEntry>> ListHistory(db::Session& session, const std::string& flow,
                                                      const std::string& record_id);

// The maximum number of records in one batch review.
inline constexpr size_t kMaxBatchRecords = 1000;

struct BatchItem {
  std::string record_id;
  // The version the reviewer saw; required.
  int64_t expected_version = 0;
};

struct BatchItemResult {
  std::string record_id;
  // OK, or the error of this record with its reason and Chinese message (ErrorReason,
  // ErrorZhMessage).
  absl::Status status;
  // Set when `status` is OK.
  std::optional<AppliedAction> applied;
};

// Reads the current review columns of one record in the batch's transaction, scoped to the
// caller's school so that another school's record is NOT_FOUND.
using SnapshotLoader = std::function<absl::StatusOr<RecordSnapshot>(db::Session&, const std::string& record_id)>;

// The caller's side effects of one applied record (an outbox event, a ledger release), in the
// same transaction; an error rolls that record back. Not called for a replayed record.
using AfterApply =
    std::function<absl::Status(db::Session&, const RecordSnapshot&, const AppliedAction&)>;

struct BatchRequest {
  RecordTable table;
  FlowDefinition flow;
  ReviewContext context;
  Actor actor;
  ActionRequest action;
  // The client's idempotency key of the batch; each record stores it, so a repeated batch
  // replays the records that were applied and retries the others.
  std::string request_id;
  std::vector<BatchItem> items;
};

// Applies one action to many records, one transaction per record, so that one record's failure
// leaves the others applied. Returns a result per item, in the items' order; INVALID_ARGUMENT
// only for an empty batch or one of more than kMaxBatchRecords items. A repeated record id gets
// REVIEW_BATCH_DUPLICATE_RECORD. Items not started before `deadline` get DEADLINE_EXCEEDED
// (REVIEW_BATCH_TIMEOUT).
absl::StatusOr<std::vector<BatchItemResult>> ApplyBatch(db::Pool& pool, absl::Time deadline,
                                                        const Clock& clock,
                                                        const BatchRequest& batch, const SnapshotLoader& load,
                                                        const AfterApply& after = nullptr);

}  // namespace quxiang::review

#endif  // QUXIANG_LIBS_REVIEW_STORE_H_

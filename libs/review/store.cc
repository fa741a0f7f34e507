#include "libs/review/store.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::review {
namespace embedded {
// Generated from libs/review/migrations by quxiang_embed_migrations().
const std::vector<db::MigrationFile>& Migrations();
}  // namespace embedded

namespace {

constexpr size_t kMaxIdentifierLength = 64;
// The width of review_history.reviewer_name, in characters.
constexpr size_t kMaxReviewerNameCharacters = 128;

bool IsPlainIdentifier(const std::string& name) {
  if (name.empty() || name.size() > kMaxIdentifierLength) return false;
  if (absl::ascii_isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) && !absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        c != '_') {
      return false;
    }
  }
  return true;
}

std::string Quoted(const std::string& identifier) { return absl::StrCat("`", identifier, "`"); }

// The first `max_characters` code points of UTF-8 text; a cut never splits a character.
std::string TruncateCharacters(const std::string& text, size_t max_characters) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts_character = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_character && ++characters > max_characters) return text.substr(0, i);
  }
  return text;
}

absl::string_view ActorKindName(ActorKind kind) {
  switch (kind) {
    case ActorKind::kSchool:
      return "SCHOOL";
    case ActorKind::kDepartment:
      return "DEPARTMENT";
    case ActorKind::kGraduate:
      return "GRADUATE";
    case ActorKind::kEmployer:
      return "EMPLOYER";
    case ActorKind::kOther:
      return "OTHER";
  }
  return "OTHER";
}

ActorKind ParseActorKind(absl::string_view name) {
  for (ActorKind kind :
       {ActorKind::kSchool, ActorKind::kDepartment, ActorKind::kGraduate, ActorKind::kEmployer}) {
    if (ActorKindName(kind) == name) return kind;
  }
  return ActorKind::kOther;
}

constexpr char kHistoryColumns[] =
    "id, flow, record_id, version, action, stage, from_state, to_state, to_stage, actor_kind, reviewer_id, "
    "reviewer_name, reason_code, detail, request_id, occurred_at";

absl::StatusOr<HistoryEntry> HistoryFromRow(const db::Row& row) {
  HistoryEntry entry;
  entry.id = row.Int64(0);
  entry.flow = row.String(1);
  entry.record_id = row.String(2);
  entry.version = row.Int64(3);
  ASSIGN_OR_RETURN(entry.action, ParseAction(row.String(4)));
  ASSIGN_OR_RETURN(entry.stage, ParseStage(row.String(5)));
  ASSIGN_OR_RETURN(entry.from_state, ParseState(row.String(6)));
  ASSIGN_OR_RETURN(entry.to_state, ParseState(row.String(7)));
  ASSIGN_OR_RETURN(entry.to_stage, ParseStage(row.String(8)));
  entry.actor_kind = ParseActorKind(row.String(9));
  entry.reviewer_id = row.String(10);
  entry.reviewer_name = row.String(11);
  entry.reason_code = row.String(12);
  entry.detail = row.String(13);
  entry.request_id = row.String(14);
  entry.occurred_at = row.Time(15);
  return entry;
}

absl::StatusOr<int64_t> InsertHistory(db::Session& session, const std::string& flow, const Actor& actor,
                                      const std::string& record_id, const Transition& transition, int64_t version,
                                      const std::string& request_id, absl::Time now) {
  db::Param request_param = nullptr;
  if (!request_id.empty()) request_param = request_id;
  ASSIGN_OR_RETURN(
      int64_t inserted,
      session.Execute("INSERT INTO review_history (flow, record_id, version, action, stage, from_state, to_state, "
                      "to_stage, actor_kind, reviewer_id, reviewer_name, reason_code, detail, request_id, "
                      "occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      {flow, record_id, version, std::string(ActionName(transition.action)),
                       std::string(StageName(transition.from_stage)), std::string(StateName(transition.from_state)),
                       std::string(StateName(transition.to_state)), std::string(StageName(transition.to_stage)),
                       std::string(ActorKindName(actor.kind)), actor.id,
                       TruncateCharacters(actor.name, kMaxReviewerNameCharacters), transition.reason_code,
                       transition.detail, request_param, now}));
  if (inserted != 1) {
    return Internal("REVIEW_HISTORY_NOT_WRITTEN",
                    absl::StrCat("inserting the review history of ", flow, " record ", record_id, " changed ",
                                 inserted, " rows"));
  }
  return session.LastInsertId();
}

// The earlier action of `request_id` on the record, if there was one.
absl::StatusOr<std::optional<HistoryEntry>> FindByRequestId(db::Session& session, const std::string& flow,
                                                            const std::string& record_id,
                                                            const std::string& request_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   session.QueryOne(absl::StrCat("SELECT ", kHistoryColumns,
                                                 " FROM review_history WHERE flow = ? AND record_id = ? "
                                                 "AND request_id = ?"),
                                    {flow, record_id, request_id}));
  if (!row.has_value()) return std::optional<HistoryEntry>();
  ASSIGN_OR_RETURN(HistoryEntry entry, HistoryFromRow(*row));
  return std::optional<HistoryEntry>(std::move(entry));
}

AppliedAction ReplayOf(const HistoryEntry& entry) {
  AppliedAction applied;
  applied.replayed = true;
  applied.new_version = entry.version;
  applied.history_id = entry.id;
  Transition& transition = applied.transition;
  transition.action = entry.action;
  transition.from_state = entry.from_state;
  transition.from_stage = entry.stage;
  transition.to_state = entry.to_state;
  transition.to_stage = entry.to_stage;
  transition.reason_code = entry.reason_code;
  transition.detail = entry.detail;
  return applied;
}

// Runs the conditional update; false when the row was not at the expected version and state.
absl::StatusOr<bool> UpdateRecord(db::Session& session, const RecordTable& table, const RecordSnapshot& record,
                                  int64_t expected_version, const Transition& transition, absl::Time now) {
  std::string sql = absl::StrCat("UPDATE ", Quoted(table.table), " SET ", Quoted(table.state_column), " = ?, ",
                                 Quoted(table.stage_column), " = ?, ", Quoted(table.version_column), " = ",
                                 Quoted(table.version_column), " + 1");
  std::vector<db::Param> params = {std::string(StateName(transition.to_state)),
                                   std::string(StageName(transition.to_stage))};
  if (!table.updated_at_column.empty()) {
    absl::StrAppend(&sql, ", ", Quoted(table.updated_at_column), " = ?");
    params.emplace_back(now);
  }
  absl::StrAppend(&sql, " WHERE ", Quoted(table.id_column), " = ? AND ", Quoted(table.version_column), " = ? AND ",
                  Quoted(table.state_column), " = ? AND ", Quoted(table.stage_column), " = ?");
  params.emplace_back(record.record_id);
  params.emplace_back(expected_version);
  params.emplace_back(std::string(StateName(record.state)));
  params.emplace_back(std::string(StageName(record.stage)));

  ASSIGN_OR_RETURN(int64_t changed, session.Execute(sql, params));
  if (changed > 1) {
    return Internal("REVIEW_UPDATE_NOT_UNIQUE",
                    absl::StrCat("the review update of ", table.table, " matched ", changed, " rows for id ",
                                 record.record_id, "; the id column must be unique"));
  }
  return changed == 1;
}

// An error that is not a rule of the flow or a stale version, so it goes to the log as well.
bool IsUnexpected(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

const std::vector<db::MigrationFile>& Migrations() {
  static const auto* const kMigrations = [] {
    auto* files = new std::vector<db::MigrationFile>();
    for (const db::MigrationFile& file : embedded::Migrations()) {
      files->push_back({absl::StrCat("review/", file.name), file.sql});
    }
    return files;
  }();
  return *kMigrations;
}

std::vector<db::MigrationFile> WithReviewMigrations(const std::vector<db::MigrationFile>& service_files) {
  std::vector<db::MigrationFile> files = Migrations();
  files.insert(files.end(), service_files.begin(), service_files.end());
  return files;
}

absl::Status ValidateRecordTable(const RecordTable& table) {
  for (const std::string* name : {&table.table, &table.id_column, &table.state_column, &table.stage_column,
                                  &table.version_column}) {
    if (!IsPlainIdentifier(*name)) {
      return Internal("REVIEW_TABLE_INVALID",
                      absl::StrCat("review record table name \"", *name,
                                   "\" is not a plain identifier (a-z, 0-9, '_', at most 64 characters)"));
    }
  }
  if (!table.updated_at_column.empty() && !IsPlainIdentifier(table.updated_at_column)) {
    return Internal("REVIEW_TABLE_INVALID", absl::StrCat("review record table column \"", table.updated_at_column,
                                                         "\" is not a plain identifier"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RecordSubmission(db::Session& session, const FlowDefinition& flow, const Actor& actor,
                                         const std::string& record_id, const Transition& submission,
                                         int64_t version, const std::string& request_id, absl::Time now) {
  RETURN_IF_ERROR(ValidateFlow(flow));
  return InsertHistory(session, flow.name, actor, record_id, submission, version, request_id, now);
}

absl::StatusOr<AppliedAction> ApplyAction(db::Session& session, const RecordTable& table,
                                          const FlowDefinition& flow, const ReviewContext& context,
                                          const Actor& actor, const RecordSnapshot& record,
                                          const ActionRequest& request, const std::string& request_id,
                                          absl::Time now) {
  RETURN_IF_ERROR(ValidateRecordTable(table));

  // A repeated request returns its first result, before the state check that it would now fail.
  if (!request_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<HistoryEntry> earlier,
                     FindByRequestId(session, flow.name, record.record_id, request_id));
    if (earlier.has_value()) {
      if (earlier->action != request.action || earlier->reviewer_id != actor.id) {
        return InvalidArgument("REQUEST_ID_REUSED",
                               "请求编号已用于对该记录的另一项操作，请刷新页面后重新操作。",
                               {{"record_id", record.record_id}, {"request_id", request_id}});
      }
      return ReplayOf(*earlier);
    }
  }

  ASSIGN_OR_RETURN(Transition transition, Decide(flow, context, actor, record, request));
  ASSIGN_OR_RETURN(bool updated, UpdateRecord(session, table, record, request.expected_version, transition, now));
  if (!updated) return StaleVersion(flow.name, record.record_id);

  AppliedAction applied;
  applied.new_version = request.expected_version + 1;
  ASSIGN_OR_RETURN(applied.history_id, InsertHistory(session, flow.name, actor, record.record_id, transition,
                                                     applied.new_version, request_id, now));
  applied.transition = std::move(transition);
  return applied;
}

absl::StatusOr<std::vector<HistoryEntry>> ListHistory(db::Session& session, const std::string& flow,
                                                      const std::string& record_id) {
  ASSIGN_OR_RETURN(std::vector<db::Row> rows,
                   session.Query(absl::StrCat("SELECT ", kHistoryColumns,
                                              " FROM review_history WHERE flow = ? AND record_id = ? ORDER BY id"),
                                 {flow, record_id}));
  std::vector<HistoryEntry> entries;
  entries.reserve(rows.size());
  for (const db::Row& row : rows) {
    ASSIGN_OR_RETURN(HistoryEntry entry, HistoryFromRow(row));
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::vector<BatchItemResult>> ApplyBatch(db::Pool& pool, absl::Time deadline, const Clock& clock,
                                                        const BatchRequest& batch, const SnapshotLoader& load,
                                                        const AfterApply& after) {
  if (batch.items.empty()) {
    return InvalidArgument("REVIEW_BATCH_EMPTY", "请至少选择一条记录后再进行批量操作。");
  }
  if (batch.items.size() > kMaxBatchRecords) {
    return InvalidArgument("REVIEW_BATCH_TOO_LARGE",
                           absl::StrCat("一次最多批量处理 ", kMaxBatchRecords, " 条记录，本次选择了 ",
                                        batch.items.size(), " 条，请分批操作。"),
                           {{"records", absl::StrCat(batch.items.size())},
                            {"max_records", absl::StrCat(kMaxBatchRecords)}});
  }
  RETURN_IF_ERROR(ValidateFlow(batch.flow));
  RETURN_IF_ERROR(ValidateRecordTable(batch.table));

  std::vector<BatchItemResult> results;
  results.reserve(batch.items.size());
  std::set<std::string> seen;
  int applied_count = 0;
  for (const BatchItem& item : batch.items) {
    BatchItemResult& result = results.emplace_back();
    result.record_id = item.record_id;

    if (!seen.insert(item.record_id).second) {
      result.status = InvalidArgument("REVIEW_BATCH_DUPLICATE_RECORD",
                                      "该记录在本次批量操作中重复出现，已按第一次出现处理。",
                                      {{"record_id", item.record_id}});
      continue;
    }
    if (item.expected_version <= 0) {
      result.status = InvalidArgument("REVIEW_VERSION_REQUIRED", "缺少记录的版本号，请刷新列表后重新选择。",
                                      {{"record_id", item.record_id}});
      continue;
    }
    if (clock.Now() >= deadline) {
      result.status = MakeError(absl::StatusCode::kDeadlineExceeded, "REVIEW_BATCH_TIMEOUT",
                                "批量操作超时，本条记录未处理，请稍后对未处理的记录重新操作。",
                                {{"record_id", item.record_id}});
      continue;
    }

    std::optional<AppliedAction> applied;
    result.status = pool.Transaction(deadline, [&](db::Session& session) -> absl::Status {
      applied.reset();
      ASSIGN_OR_RETURN(RecordSnapshot snapshot, load(session, item.record_id));
      snapshot.record_id = item.record_id;
      ActionRequest request = batch.action;
      request.expected_version = item.expected_version;
      ASSIGN_OR_RETURN(AppliedAction done, ApplyAction(session, batch.table, batch.flow, batch.context, batch.actor,
                                                       snapshot, request, batch.request_id, clock.Now()));
      if (after && !done.replayed) RETURN_IF_ERROR(after(session, snapshot, done));
      applied = std::move(done);
      return absl::OkStatus();
    });
    if (result.status.ok()) {
      result.applied = std::move(applied);
      ++applied_count;
    } else if (IsUnexpected(result.status)) {
      spdlog::warn("batch review of flow {} record {} failed: {}", batch.flow.name, item.record_id,
                   result.status.ToString());
    }
  }

  spdlog::info("batch review of flow {} by {}: action {}, {} of {} records applied", batch.flow.name,
               batch.actor.id, std::string(ActionName(batch.action.action)), applied_count, batch.items.size());
  return results;
}

}  // namespace quxiang::review

#include "services/sync/reconciliation_repository.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "services/sync/outbox.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;

constexpr char kRunColumns[] =
    "id, school_id, started_at, finished_at, graduates_compared, ems_records, difference_count";

ReconciliationRunRow RunFromRow(const db::Row& row) {
  ReconciliationRunRow run;
  run.id = row.Int64(0);
  run.school_id = row.Int64(1);
  run.started_at = row.Time(2);
  run.finished_at = row.Time(3);
  run.graduates_compared = static_cast<int>(row.Int64(4));
  run.ems_records = static_cast<int>(row.Int64(5));
  run.difference_count = static_cast<int>(row.Int64(6));
  return run;
}

}  // namespace

absl::StatusOr<std::vector<PlatformDestination>> ReconciliationRepository::ListPlatformDestinations(
    db::Session& s, int64_t school_id) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT g.id, g.id_number, g.state, l.ledger_version, l.destination_code "
                                      "FROM graduates g JOIN ledger l ON l.graduate_id = g.id WHERE g.school_id = ?",
                                      {school_id}));
  std::vector<PlatformDestination> destinations;
  destinations.reserve(rows.size());
  for (const auto& row : rows) {
    PlatformDestination destination;
    destination.graduate_id = row.Int64(0);
    destination.id_number = row.String(1);
    destination.state = static_cast<int>(row.Int64(2));
    destination.ledger_version = row.Int64(3);
    destination.destination_code = row.String(4);
    destinations.push_back(std::move(destination));
  }
  return destinations;
}

absl::StatusOr<std::set<int64_t>> ReconciliationRepository::GraduatesWithUnsentChanges(db::Session& s) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT DISTINCT aggregate_id FROM outbox WHERE sent_at IS NULL AND type IN (?, ?)",
                                      {std::string(kDestinationCommitted), std::string(kDestinationVoided)}));
  std::set<int64_t> graduates;
  for (const auto& row : rows) graduates.insert(row.Int64(0));
  return graduates;
}

absl::StatusOr<int64_t> ReconciliationRepository::InsertRun(db::Session& s, const ReconciliationRunRow& run,
                                                            const std::vector<DifferenceRow>& differences) {
  RETURN_IF_ERROR(s.Execute("INSERT INTO reconciliation_runs (school_id, started_at, finished_at, graduates_compared, "
                            "ems_records, difference_count) VALUES (?, ?, ?, ?, ?, ?)",
                            {run.school_id, run.started_at, run.finished_at, static_cast<int64_t>(run.graduates_compared),
                             static_cast<int64_t>(run.ems_records), static_cast<int64_t>(run.difference_count)})
                      .status());
  ASSIGN_OR_RETURN(int64_t run_id, s.LastInsertId());
  constexpr size_t kColumns = 9;
  size_t start = 0;
  for (size_t chunk : PowerOfTwoChunks(differences.size())) {
    std::vector<Param> params;
    params.reserve(chunk * kColumns);
    for (size_t i = start; i < start + chunk; ++i) {
      const DifferenceRow& difference = differences[i];
      params.push_back(run_id);
      params.push_back(difference.graduate_id ? Param(*difference.graduate_id) : Param(nullptr));
      params.push_back(difference.masked_id_number);
      params.push_back(static_cast<int64_t>(difference.kind));
      params.push_back(difference.ledger_version);
      params.push_back(difference.ems_version);
      params.push_back(difference.ledger_destination_code);
      params.push_back(difference.ems_destination_code);
      params.push_back(difference.pending_delivery);
    }
    RETURN_IF_ERROR(s.Execute(absl::StrCat("INSERT INTO reconciliation_differences (run_id, graduate_id, id_number, kind, "
                                           "ledger_version, ems_version, ledger_destination_code, "
                                           "ems_destination_code, pending_delivery) VALUES ",
                                           RowPlaceholders(chunk, kColumns)),
                              params)
                        .status());
    start += chunk;
  }
  return run_id;
}

absl::StatusOr<std::optional<ReconciliationRunRow>> ReconciliationRepository::FindRun(db::Session& s, int64_t school_id,
                                                                                      int64_t run_id) {
  std::optional<db::Row> row;
  if (run_id == 0) {
    ASSIGN_OR_RETURN(row, s.QueryOne(absl::StrCat("SELECT ", kRunColumns,
                                                  " FROM reconciliation_runs WHERE school_id = ? ORDER BY id DESC LIMIT 1"),
                                     {school_id}));
  } else {
    ASSIGN_OR_RETURN(row, s.QueryOne(absl::StrCat("SELECT ", kRunColumns,
                                                  " FROM reconciliation_runs WHERE school_id = ? AND id = ?"),
                                     {school_id, run_id}));
  }
  if (!row) return std::optional<ReconciliationRunRow>();
  return std::optional<ReconciliationRunRow>(RunFromRow(*row));
}

absl::StatusOr<std::vector<DifferenceRow>> ReconciliationRepository::ListDifferences(db::Session& s, int64_t run_id,
                                                                                    int limit, int64_t offset) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT graduate_id, id_number, kind, ledger_version, ems_version, "
                                      "ledger_destination_code, ems_destination_code, pending_delivery "
                                      "FROM reconciliation_differences WHERE run_id = ? ORDER BY id LIMIT ? OFFSET ?",
                                      {run_id, static_cast<int64_t>(limit), offset}));
  std::vector<DifferenceRow> differences;
  for (const auto& row : rows) {
    DifferenceRow difference;
    if (!row.IsNull(0)) difference.graduate_id = row.Int64(0);
    difference.masked_id_number = row.String(1);
    difference.kind = static_cast<int>(row.Int64(2));
    difference.ledger_version = row.Int64(3);
    difference.ems_version = row.Int64(4);
    difference.ledger_destination_code = row.String(5);
    difference.ems_destination_code = row.String(6);
    difference.pending_delivery = row.Bool(7);
    differences.push_back(std::move(difference));
  }
  return differences;
}

}  // namespace quxiang::sync

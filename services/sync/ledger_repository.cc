#include "services/sync/ledger_repository.h"

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;

constexpr char kLedgerColumns[] =
    "graduate_id, state, holder_flow, holder_record_id, claimed_at, destination, destination_code, ledger_version, "
    "version, updated_at";

absl::StatusOr<LedgerRow> LedgerFromRow(const db::Row& row) {
  LedgerRow ledger;
  ledger.graduate_id = row.Int64(0);
  ledger.state = static_cast<int>(row.Int64(1));
  ledger.holder_flow = static_cast<int>(row.Int64(2));
  ledger.holder_record_id = row.String(3);
  if (!row.IsNull(4)) ledger.claimed_at = row.Time(4);
  if (!row.IsNull(5)) {
    ems::v1::Destination destination;
    if (!destination.ParseFromString(row.String(5))) {
      return Internal("LEDGER_DESTINATION_INVALID",
                      absl::StrCat("the ledger row of graduate ", ledger.graduate_id, " holds no valid destination"));
    }
    ledger.destination = std::move(destination);
  }
  ledger.destination_code = row.String(6);
  ledger.ledger_version = row.Int64(7);
  ledger.version = row.Int64(8);
  ledger.updated_at = row.Time(9);
  return ledger;
}

absl::StatusOr<std::vector<LedgerRow>> LedgersFromRows(const std::vector<db::Row>& rows) {
  std::vector<LedgerRow> ledgers;
  ledgers.reserve(rows.size());
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(LedgerRow ledger, LedgerFromRow(row));
    ledgers.push_back(std::move(ledger));
  }
  return ledgers;
}

}  // namespace

absl::Status LedgerRepository::InsertMissing(db::Session& s, const std::vector<int64_t>& graduate_ids, absl::Time now) {
  size_t start = 0;
  for (size_t chunk : PowerOfTwoChunks(graduate_ids.size())) {
    std::vector<Param> params;
    for (size_t i = start; i < start + chunk; ++i) {
      params.push_back(graduate_ids[i]);
      params.push_back(now);
    }
    RETURN_IF_ERROR(s.Execute(absl::StrCat("INSERT IGNORE INTO ledger (graduate_id, updated_at) VALUES ",
                                           RowPlaceholders(chunk, 2)),
                              params)
                        .status());
    start += chunk;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<LedgerRow>> LedgerRepository::Find(db::Session& s, int64_t graduate_id, bool for_update) {
  std::string sql = absl::StrCat("SELECT ", kLedgerColumns, " FROM ledger WHERE graduate_id = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {graduate_id}));
  if (!row) return std::optional<LedgerRow>();
  ASSIGN_OR_RETURN(LedgerRow ledger, LedgerFromRow(*row));
  return std::optional<LedgerRow>(std::move(ledger));
}

absl::StatusOr<std::vector<LedgerRow>> LedgerRepository::FindMany(db::Session& s,
                                                                  const std::vector<int64_t>& graduate_ids,
                                                                  bool lock_shared) {
  std::vector<LedgerRow> ledgers;
  for (const auto& slice : Slices(graduate_ids)) {
    std::vector<Param> params;
    AppendPaddedList(slice, params);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kLedgerColumns, " FROM ledger WHERE graduate_id IN (",
                                                     Placeholders(params.size()), ")",
                                                     lock_shared ? " LOCK IN SHARE MODE" : ""),
                                        params));
    ASSIGN_OR_RETURN(auto found, LedgersFromRows(rows));
    for (auto& ledger : found) ledgers.push_back(std::move(ledger));
  }
  return ledgers;
}

absl::StatusOr<bool> LedgerRepository::Claim(db::Session& s, int64_t graduate_id, int flow,
                                             const std::string& record_id, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE ledger SET state = ?, holder_flow = ?, holder_record_id = ?, claimed_at = ?, "
                             "version = version + 1, updated_at = ? WHERE graduate_id = ? AND state = ?",
                             {int64_t{kLedgerClaimed}, static_cast<int64_t>(flow), record_id, now, now, graduate_id,
                              int64_t{kLedgerNone}}));
  return changed == 1;
}

absl::StatusOr<bool> LedgerRepository::Release(db::Session& s, int64_t graduate_id, int flow,
                                               const std::string& record_id, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE ledger SET state = ?, holder_flow = 0, holder_record_id = '', claimed_at = NULL, "
                             "version = version + 1, updated_at = ? "
                             "WHERE graduate_id = ? AND state = ? AND holder_flow = ? AND holder_record_id = ?",
                             {int64_t{kLedgerNone}, now, graduate_id, int64_t{kLedgerClaimed},
                              static_cast<int64_t>(flow), record_id}));
  return changed == 1;
}

absl::StatusOr<bool> LedgerRepository::Commit(db::Session& s, int64_t graduate_id, int flow,
                                              const std::string& record_id, const ems::v1::Destination& destination,
                                              absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE ledger SET state = ?, destination = ?, destination_code = ?, "
                             "ledger_version = ledger_version + 1, version = version + 1, updated_at = ? "
                             "WHERE graduate_id = ? AND state IN (?, ?) AND holder_flow = ? AND holder_record_id = ?",
                             {int64_t{kLedgerEffective}, destination.SerializeAsString(), destination.destination_code(),
                              now, graduate_id, int64_t{kLedgerClaimed}, int64_t{kLedgerEffective},
                              static_cast<int64_t>(flow), record_id}));
  return changed == 1;
}

absl::StatusOr<bool> LedgerRepository::Void(db::Session& s, int64_t graduate_id, int flow, const std::string& record_id,
                                            const ems::v1::Destination& destination, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE ledger SET state = ?, holder_flow = 0, holder_record_id = '', claimed_at = NULL, "
                             "destination = ?, destination_code = ?, ledger_version = ledger_version + 1, "
                             "version = version + 1, updated_at = ? "
                             "WHERE graduate_id = ? AND state = ? AND holder_flow = ? AND holder_record_id = ?",
                             {int64_t{kLedgerNone}, destination.SerializeAsString(), destination.destination_code(), now,
                              graduate_id, int64_t{kLedgerEffective}, static_cast<int64_t>(flow), record_id}));
  return changed == 1;
}

absl::Status LedgerRepository::BumpLedgerVersion(db::Session& s, int64_t graduate_id, absl::Time now) {
  return s
      .Execute("UPDATE ledger SET ledger_version = ledger_version + 1, version = version + 1, updated_at = ? "
               "WHERE graduate_id = ?",
               {now, graduate_id})
      .status();
}

absl::StatusOr<std::vector<LedgerRow>> LedgerRepository::ListClaimsBefore(db::Session& s, absl::Time claimed_before,
                                                                          int limit) {
  ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kLedgerColumns,
                                                   " FROM ledger WHERE state = ? AND claimed_at <= ? "
                                                   "ORDER BY claimed_at, graduate_id LIMIT ?"),
                                      {int64_t{kLedgerClaimed}, claimed_before, static_cast<int64_t>(limit)}));
  return LedgersFromRows(rows);
}

absl::StatusOr<bool> LedgerRepository::ReleaseIfUnchanged(db::Session& s, const LedgerRow& row, absl::Time now) {
  if (!row.claimed_at) return false;
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE ledger SET state = ?, holder_flow = 0, holder_record_id = '', claimed_at = NULL, "
                             "version = version + 1, updated_at = ? WHERE graduate_id = ? AND state = ? "
                             "AND holder_flow = ? AND holder_record_id = ? AND claimed_at = ?",
                             {int64_t{kLedgerNone}, now, row.graduate_id, int64_t{kLedgerClaimed},
                              static_cast<int64_t>(row.holder_flow), row.holder_record_id, *row.claimed_at}));
  return changed == 1;
}

}  // namespace quxiang::sync

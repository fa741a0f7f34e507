#include "services/sync/statistics_counters.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;

bool IsSigningFlow(int flow) {
  return flow == v1::FLOW_ONLINE_SIGNING || flow == v1::FLOW_OFFLINE_AGREEMENT || flow == v1::FLOW_PAPER_AGREEMENT;
}

CounterRow CounterFromRow(const db::Row& row) {
  CounterRow counter;
  counter.key.school_id = row.Int64(0);
  counter.key.class_year = static_cast<int>(row.Int64(1));
  counter.key.department = row.String(2);
  counter.key.dimension = static_cast<int>(row.Int64(3));
  counter.key.value = row.String(4);
  counter.key.destination_code = row.String(5);
  counter.key.signed_agreement = row.Bool(6);
  counter.display_name = row.String(7);
  counter.graduates = row.Int64(8);
  return counter;
}

constexpr char kCounterColumns[] =
    "school_id, class_year, department, dimension, dimension_value, destination_code, signed, display_name, graduates";

absl::Status WriteCounters(db::Session& s, const std::vector<CounterRow>& rows, bool add) {
  constexpr size_t kColumns = 9;
  size_t start = 0;
  for (size_t chunk : PowerOfTwoChunks(rows.size())) {
    std::vector<Param> params;
    params.reserve(chunk * kColumns);
    for (size_t i = start; i < start + chunk; ++i) {
      const CounterRow& row = rows[i];
      params.push_back(row.key.school_id);
      params.push_back(static_cast<int64_t>(row.key.class_year));
      params.push_back(row.key.department);
      params.push_back(static_cast<int64_t>(row.key.dimension));
      params.push_back(row.key.value);
      params.push_back(row.key.destination_code);
      params.push_back(row.key.signed_agreement);
      params.push_back(row.display_name);
      params.push_back(row.graduates);
    }
    std::string sql =
        absl::StrCat("INSERT INTO statistics_counters (", kCounterColumns, ") VALUES ", RowPlaceholders(chunk, kColumns));
    if (add) {
      // A delta that only removes graduates carries no name, and keeps the stored one.
      sql += " ON DUPLICATE KEY UPDATE graduates = graduates + VALUES(graduates), "
             "display_name = IF(VALUES(display_name) = '', display_name, VALUES(display_name))";
    }
    RETURN_IF_ERROR(s.Execute(sql, params).status());
    start += chunk;
  }
  return absl::OkStatus();
}

}  // namespace

void CounterDelta::Add(const GraduateRow& graduate, const LedgerRow& ledger, int sign) {
  if (graduate.state != kStateActive) return;
  const bool effective = ledger.state == kLedgerEffective;
  const ems::v1::RosterGraduate& record = graduate.record;
  const std::pair<Dimension, std::pair<const std::string*, const std::string*>> values[] = {
      {Dimension::kDepartment, {&record.department(), &record.department()}},
      {Dimension::kMajor, {&record.major_code(), &record.major_name()}},
      {Dimension::kEducationLevel, {&record.education_level_code(), &record.education_level()}},
      {Dimension::kGender, {&record.gender_code(), &record.gender()}},
  };
  for (const auto& [dimension, value] : values) {
    CounterKey key;
    key.school_id = graduate.school_id;
    key.class_year = graduate.class_year;
    key.department = record.department();
    key.dimension = static_cast<int>(dimension);
    key.value = *value.first;
    key.destination_code = effective ? ledger.destination_code : kNoDestinationCode;
    key.signed_agreement = effective && IsSigningFlow(ledger.holder_flow);
    deltas_[key] += sign;
    if (sign > 0) names_[key] = *value.second;
  }
}

bool CounterDelta::empty() const {
  for (const auto& [key, delta] : deltas_) {
    if (delta != 0) return false;
  }
  return true;
}

absl::Status CounterDelta::Apply(db::Session& s) const {
  std::vector<CounterRow> rows;
  for (const auto& [key, delta] : deltas_) {
    if (delta == 0) continue;
    auto name = names_.find(key);
    rows.push_back({key, name == names_.end() ? "" : name->second, delta});
  }
  return WriteCounters(s, rows, /*add=*/true);
}

absl::StatusOr<std::vector<CounterRow>> StatisticsRepository::ListCounters(db::Session& s, int64_t school_id,
                                                                           int class_year,
                                                                           const std::string& department) {
  std::vector<Param> params = {school_id, static_cast<int64_t>(class_year)};
  std::string sql =
      absl::StrCat("SELECT ", kCounterColumns, " FROM statistics_counters WHERE school_id = ? AND class_year = ?");
  if (!department.empty()) {
    sql += " AND department = ?";
    params.push_back(department);
  }
  sql += " AND graduates <> 0";
  ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<CounterRow> counters;
  counters.reserve(rows.size());
  for (const auto& row : rows) counters.push_back(CounterFromRow(row));
  return counters;
}

absl::StatusOr<int64_t> StatisticsRepository::Recount(db::Session& s, int64_t school_id, int class_year,
                                                      int64_t* counter_rows) {
  // Graduates and ledger rows are locked in share mode first, in the order every roster and
  // ledger change locks them, and the counters after them. Locking reads also return the latest
  // committed rows rather than the transaction's snapshot.
  ASSIGN_OR_RETURN(auto rows,
                   s.Query("SELECT g.id, g.state, g.department, g.major_code, g.major_name, g.education_level_code, "
                           "g.education_level, g.gender_code, g.gender, l.state, l.holder_flow, l.destination_code "
                           "FROM graduates g JOIN ledger l ON l.graduate_id = g.id "
                           "WHERE g.school_id = ? AND g.class_year = ? LOCK IN SHARE MODE",
                           {school_id, static_cast<int64_t>(class_year)}));
  CounterDelta expected;
  for (const auto& row : rows) {
    GraduateRow graduate;
    graduate.id = row.Int64(0);
    graduate.school_id = school_id;
    graduate.class_year = class_year;
    graduate.state = static_cast<int>(row.Int64(1));
    graduate.record.set_department(row.String(2));
    graduate.record.set_major_code(row.String(3));
    graduate.record.set_major_name(row.String(4));
    graduate.record.set_education_level_code(row.String(5));
    graduate.record.set_education_level(row.String(6));
    graduate.record.set_gender_code(row.String(7));
    graduate.record.set_gender(row.String(8));
    LedgerRow ledger;
    ledger.state = static_cast<int>(row.Int64(9));
    ledger.holder_flow = static_cast<int>(row.Int64(10));
    ledger.destination_code = row.String(11);
    expected.Add(graduate, ledger, +1);
  }

  ASSIGN_OR_RETURN(auto current_rows,
                   s.Query(absl::StrCat("SELECT ", kCounterColumns,
                                        " FROM statistics_counters WHERE school_id = ? AND class_year = ? FOR UPDATE"),
                           {school_id, static_cast<int64_t>(class_year)}));
  std::map<CounterKey, int64_t> current;
  for (const auto& row : current_rows) {
    CounterRow counter = CounterFromRow(row);
    if (counter.graduates != 0) current[counter.key] = counter.graduates;
  }

  int64_t corrected = 0;
  std::vector<CounterRow> recounted;
  for (const auto& [key, count] : expected.deltas()) {
    if (count == 0) continue;
    auto found = current.find(key);
    if (found == current.end() || found->second != count) ++corrected;
    if (found != current.end()) current.erase(found);
    auto name = expected.names().find(key);
    recounted.push_back({key, name == expected.names().end() ? "" : name->second, count});
  }
  // Counters left in `current` should be zero.
  corrected += static_cast<int64_t>(current.size());

  RETURN_IF_ERROR(s.Execute("DELETE FROM statistics_counters WHERE school_id = ? AND class_year = ?",
                            {school_id, static_cast<int64_t>(class_year)})
                      .status());
  RETURN_IF_ERROR(WriteCounters(s, recounted, /*add=*/false));
  *counter_rows = static_cast<int64_t>(recounted.size());
  return corrected;
}

}  // namespace quxiang::sync

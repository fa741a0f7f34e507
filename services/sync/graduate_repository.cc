#include "services/sync/graduate_repository.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/roster_record.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;
using db::Row;

// The record columns, named as the fields of RosterGraduate.
const std::vector<std::string>& RecordColumns() {
  static const auto* const kColumns = [] {
    auto* columns = new std::vector<std::string>();
    for (const auto* field : RosterRecordFields()) columns->push_back(field->name());
    return columns;
  }();
  return *kColumns;
}

// The columns GraduateFromRow reads, prefixed with `table` ("g." or "").
std::string GraduateColumns(const std::string& table) {
  std::vector<std::string> columns = {"id", "school_id", "class_year", "graduate_key"};
  for (const auto& column : RecordColumns()) columns.push_back(column);
  for (const char* column : {"fingerprint", "state", "invalidated_at", "restore_due_at", "roster_sequence", "version",
                             "created_at", "updated_at"}) {
    columns.push_back(column);
  }
  for (auto& column : columns) column = table + column;
  return absl::StrJoin(columns, ", ");
}

GraduateRow GraduateFromRow(const Row& row) {
  GraduateRow graduate;
  size_t column = 0;
  graduate.id = row.Int64(column++);
  graduate.school_id = row.Int64(column++);
  graduate.class_year = static_cast<int>(row.Int64(column++));
  graduate.graduate_key = row.String(column++);
  const google::protobuf::Reflection* reflection = graduate.record.GetReflection();
  for (const auto* field : RosterRecordFields()) reflection->SetString(&graduate.record, field, row.String(column++));
  graduate.fingerprint = row.String(column++);
  graduate.state = static_cast<int>(row.Int64(column++));
  if (!row.IsNull(column)) graduate.invalidated_at = row.Time(column);
  ++column;
  if (!row.IsNull(column)) graduate.restore_due_at = row.Time(column);
  ++column;
  graduate.roster_sequence = row.Int64(column++);
  graduate.version = row.Int64(column++);
  graduate.created_at = row.Time(column++);
  graduate.updated_at = row.Time(column++);
  return graduate;
}

std::vector<GraduateRow> GraduatesFromRows(const std::vector<Row>& rows) {
  std::vector<GraduateRow> graduates;
  graduates.reserve(rows.size());
  for (const auto& row : rows) graduates.push_back(GraduateFromRow(row));
  return graduates;
}

std::string LikePrefix(const std::string& text) {
  std::string pattern;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern += "%";
  return pattern;
}

std::string GraduateWhere(const GraduateFilter& filter, std::vector<Param>& params) {
  std::string where = " WHERE school_id = ? AND class_year = ? AND state = ?";
  params.push_back(filter.school_id);
  params.push_back(static_cast<int64_t>(filter.class_year));
  params.push_back(static_cast<int64_t>(filter.state));
  const std::pair<const char*, const std::string*> exact[] = {
      {"department", &filter.department},
      {"major_code", &filter.major_code},
      {"education_level_code", &filter.education_level_code},
      {"training_mode_code", &filter.training_mode_code},
      // An ID number is matched exactly on its unique index, never with LIKE.
      {"id_number", &filter.id_number},
  };
  for (const auto& [column, value] : exact) {
    if (value->empty()) continue;
    absl::StrAppend(&where, " AND ", column, " = ?");
    params.push_back(*value);
  }
  if (!filter.student_number_or_name.empty()) {
    where += " AND (student_number = ? OR name LIKE ?)";
    params.push_back(filter.student_number_or_name);
    params.push_back(LikePrefix(filter.student_number_or_name));
  }
  return where;
}

// The ODKU assignments of UpsertGraduates. MySQL and MariaDB evaluate them left to right, and
// each one reads the columns assigned before it. So every column compares the old fingerprint,
// and fingerprint itself comes last.
std::string UpsertAssignments() {
  constexpr char kChanged[] = "fingerprint <> VALUES(fingerprint)";
  std::vector<std::string> assignments;
  std::vector<std::string> columns = {"class_year", "graduate_key"};
  for (const auto& column : RecordColumns()) {
    if (column != "id_number") columns.push_back(column);
  }
  columns.push_back("roster_sequence");
  columns.push_back("updated_at");
  for (const auto& column : columns) {
    assignments.push_back(absl::StrCat(column, " = IF(", kChanged, ", VALUES(", column, "), ", column, ")"));
  }
  assignments.push_back(absl::StrCat("version = IF(", kChanged, ", version + 1, version)"));
  assignments.push_back("fingerprint = VALUES(fingerprint)");
  return absl::StrJoin(assignments, ", ");
}

}  // namespace

absl::StatusOr<int64_t> GraduateRepository::LockCursor(db::Session& s, absl::Time now) {
  RETURN_IF_ERROR(
      s.Execute("INSERT IGNORE INTO roster_cursor (id, after_sequence, updated_at) VALUES (1, 0, ?)", {now}).status());
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT after_sequence FROM roster_cursor WHERE id = 1 FOR UPDATE"));
  return row ? row->Int64(0) : 0;
}

absl::Status GraduateRepository::SaveCursor(db::Session& s, int64_t after_sequence, absl::Time now) {
  return s.Execute("UPDATE roster_cursor SET after_sequence = ?, updated_at = ? WHERE id = 1", {after_sequence, now})
      .status();
}

absl::StatusOr<int64_t> GraduateRepository::ReadCursor(db::Session& s) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT after_sequence FROM roster_cursor WHERE id = 1"));
  return row ? row->Int64(0) : 0;
}

absl::StatusOr<bool> GraduateRepository::IsUnknownSchool(db::Session& s, const std::string& school_code) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT 1 FROM unknown_schools WHERE school_code = ?", {school_code}));
  return row.has_value();
}

absl::StatusOr<std::map<std::string, SchoolRow>> GraduateRepository::FindSchools(
    db::Session& s, const std::vector<std::string>& codes) {
  std::map<std::string, SchoolRow> schools;
  for (const auto& slice : Slices(codes)) {
    std::vector<Param> params;
    AppendPaddedList(slice, params);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT school_code, school_id, backfill_cursor FROM schools "
                                                     "WHERE school_code IN (",
                                                     Placeholders(params.size()), ")"),
                                        params));
    for (const auto& row : rows) {
      SchoolRow school;
      school.school_code = row.String(0);
      school.school_id = row.Int64(1);
      if (!row.IsNull(2)) school.backfill_cursor = row.Int64(2);
      schools[school.school_code] = school;
    }
  }
  return schools;
}

absl::StatusOr<std::optional<SchoolRow>> GraduateRepository::FindSchoolById(db::Session& s, int64_t school_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT school_code, school_id, backfill_cursor FROM schools "
                                        "WHERE school_id = ?",
                                        {school_id}));
  if (!row) return std::optional<SchoolRow>();
  SchoolRow school;
  school.school_code = row->String(0);
  school.school_id = row->Int64(1);
  if (!row->IsNull(2)) school.backfill_cursor = row->Int64(2);
  return std::optional<SchoolRow>(school);
}

absl::StatusOr<bool> GraduateRepository::InsertSchool(db::Session& s, const SchoolRow& school, absl::Time now) {
  ASSIGN_OR_RETURN(
      int64_t inserted,
      s.Execute("INSERT IGNORE INTO schools (school_code, school_id, backfill_cursor, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                {school.school_code, school.school_id,
                 school.backfill_cursor ? Param(*school.backfill_cursor) : Param(nullptr), now, now}));
  return inserted == 1;
}

absl::Status GraduateRepository::SetBackfillCursor(db::Session& s, const std::string& school_code,
                                                   std::optional<int64_t> cursor, absl::Time now) {
  return s
      .Execute("UPDATE schools SET backfill_cursor = ?, updated_at = ? WHERE school_code = ?",
               {cursor ? Param(*cursor) : Param(nullptr), now, school_code})
      .status();
}

absl::StatusOr<std::vector<SchoolRow>> GraduateRepository::ListBackfillingSchools(db::Session& s) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT school_code, school_id, backfill_cursor FROM schools "
                                      "WHERE backfill_cursor IS NOT NULL ORDER BY school_code"));
  std::vector<SchoolRow> schools;
  for (const auto& row : rows) {
    SchoolRow school;
    school.school_code = row.String(0);
    school.school_id = row.Int64(1);
    school.backfill_cursor = row.Int64(2);
    schools.push_back(school);
  }
  return schools;
}

absl::StatusOr<std::vector<SchoolRow>> GraduateRepository::ListCaughtUpSchools(db::Session& s) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT school_code, school_id FROM schools WHERE backfill_cursor IS NULL "
                                      "ORDER BY school_code"));
  std::vector<SchoolRow> schools;
  for (const auto& row : rows) schools.push_back({row.String(0), row.Int64(1), std::nullopt});
  return schools;
}

absl::Status GraduateRepository::RecordUnknownSchool(db::Session& s, const std::string& school_code,
                                                     int64_t skipped, absl::Time now, absl::Time next_check_at) {
  return s
      .Execute("INSERT INTO unknown_schools (school_code, skipped_changes, first_seen_at, next_check_at) "
               "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE skipped_changes = skipped_changes + VALUES(skipped_changes)",
               {school_code, skipped, now, next_check_at})
      .status();
}

absl::StatusOr<std::vector<std::string>> GraduateRepository::ListUnknownSchoolsDue(db::Session& s, absl::Time now,
                                                                                  int limit) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT school_code FROM unknown_schools WHERE next_check_at <= ? "
                                      "ORDER BY next_check_at LIMIT ?",
                                      {now, static_cast<int64_t>(limit)}));
  std::vector<std::string> codes;
  for (const auto& row : rows) codes.push_back(row.String(0));
  return codes;
}

absl::Status GraduateRepository::DeleteUnknownSchool(db::Session& s, const std::string& school_code) {
  return s.Execute("DELETE FROM unknown_schools WHERE school_code = ?", {school_code}).status();
}

absl::Status GraduateRepository::PostponeUnknownSchool(db::Session& s, const std::string& school_code,
                                                       absl::Time next_check_at) {
  return s.Execute("UPDATE unknown_schools SET next_check_at = ? WHERE school_code = ?", {next_check_at, school_code})
      .status();
}

absl::Status GraduateRepository::InsertRejections(db::Session& s, const std::vector<RosterRejection>& rejections,
                                                  absl::Time now) {
  for (const auto& rejection : rejections) {
    // A change listed again (the EMS may deliver a change twice) keeps its first rejection.
    RETURN_IF_ERROR(s.Execute("INSERT IGNORE INTO roster_rejections (sequence, school_code, graduate_key, reason, "
                              "detail, rejected_at) VALUES (?, ?, ?, ?, ?, ?)",
                              {rejection.sequence, rejection.school_code, rejection.graduate_key, rejection.reason,
                               rejection.detail, now})
                        .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> GraduateRepository::CountRejections(db::Session& s, const std::string& school_code) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*) FROM roster_rejections WHERE school_code = ?", {school_code}));
  return row ? row->Int64(0) : 0;
}

absl::StatusOr<std::vector<GraduateRow>> GraduateRepository::LockByIdNumbers(
    db::Session& s, int64_t school_id, const std::vector<std::string>& id_numbers) {
  std::vector<GraduateRow> graduates;
  for (const auto& slice : Slices(id_numbers)) {
    std::vector<Param> params = {school_id};
    AppendPaddedList(slice, params);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", GraduateColumns(""),
                                                     " FROM graduates WHERE school_id = ? AND id_number IN (",
                                                     Placeholders(params.size() - 1), ") FOR UPDATE"),
                                        params));
    for (const auto& row : rows) graduates.push_back(GraduateFromRow(row));
  }
  return graduates;
}

absl::StatusOr<std::map<std::string, std::string>> GraduateRepository::LockActiveStudentNumbers(
    db::Session& s, int64_t school_id, const std::vector<std::string>& student_numbers) {
  std::map<std::string, std::string> holders;
  for (const auto& slice : Slices(student_numbers)) {
    std::vector<Param> params = {school_id};
    AppendPaddedList(slice, params);
    params.push_back(static_cast<int64_t>(kStateActive));
    ASSIGN_OR_RETURN(auto rows,
                     s.Query(absl::StrCat("SELECT student_number, id_number FROM graduates "
                                          "WHERE school_id = ? AND student_number IN (",
                                          Placeholders(params.size() - 2), ") AND state = ? FOR UPDATE"),
                             params));
    for (const auto& row : rows) holders[row.String(0)] = row.String(1);
  }
  return holders;
}

absl::StatusOr<int64_t> GraduateRepository::UpsertGraduates(db::Session& s, const std::vector<GraduateUpsert>& rows,
                                                            absl::Time now) {
  std::vector<std::string> columns = {"school_id", "class_year", "graduate_key"};
  for (const auto& column : RecordColumns()) columns.push_back(column);
  for (const char* column : {"fingerprint", "state", "roster_sequence", "version", "created_at", "updated_at"}) {
    columns.push_back(column);
  }
  const std::string column_list = absl::StrJoin(columns, ", ");
  const std::string assignments = UpsertAssignments();

  int64_t affected = 0;
  size_t start = 0;
  for (size_t chunk : PowerOfTwoChunks(rows.size())) {
    std::vector<Param> params;
    params.reserve(chunk * columns.size());
    for (size_t i = start; i < start + chunk; ++i) {
      const GraduateUpsert& row = rows[i];
      params.push_back(row.school_id);
      params.push_back(static_cast<int64_t>(row.class_year));
      params.push_back(row.graduate_key);
      const google::protobuf::Reflection* reflection = row.record.GetReflection();
      for (const auto* field : RosterRecordFields()) params.push_back(reflection->GetString(row.record, field));
      params.push_back(row.fingerprint);
      params.push_back(static_cast<int64_t>(kStateActive));
      params.push_back(row.roster_sequence);
      params.push_back(int64_t{1});
      params.push_back(now);
      params.push_back(now);
    }
    ASSIGN_OR_RETURN(int64_t changed,
                     s.Execute(absl::StrCat("INSERT INTO graduates (", column_list, ") VALUES ",
                                            RowPlaceholders(chunk, columns.size()),
                                            " ON DUPLICATE KEY UPDATE ", assignments),
                               params));
    affected += changed;
    start += chunk;
  }
  return affected;
}

absl::Status GraduateRepository::Invalidate(db::Session& s, const std::vector<int64_t>& ids, absl::Time now) {
  for (const auto& slice : Slices(ids)) {
    std::vector<Param> params = {static_cast<int64_t>(kStateInvalidated), now, now};
    AppendPaddedList(slice, params);
    RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE graduates SET state = ?, invalidated_at = ?, restore_due_at = NULL, "
                                           "version = version + 1, updated_at = ? WHERE id IN (",
                                           Placeholders(params.size() - 3), ")"),
                              params)
                        .status());
  }
  return absl::OkStatus();
}

absl::Status GraduateRepository::SetRestoreDue(db::Session& s, const std::vector<int64_t>& ids,
                                               std::optional<absl::Time> restore_due_at, absl::Time now) {
  for (const auto& slice : Slices(ids)) {
    std::vector<Param> params = {restore_due_at ? Param(*restore_due_at) : Param(nullptr), now};
    AppendPaddedList(slice, params);
    RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE graduates SET restore_due_at = ?, version = version + 1, "
                                           "updated_at = ? WHERE id IN (",
                                           Placeholders(params.size() - 2), ")"),
                              params)
                        .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> GraduateRepository::Restore(db::Session& s, int64_t id, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE graduates SET state = ?, invalidated_at = NULL, restore_due_at = NULL, "
                             "version = version + 1, updated_at = ? WHERE id = ? AND state = ?",
                             {static_cast<int64_t>(kStateActive), now, id, static_cast<int64_t>(kStateInvalidated)}));
  return changed == 1;
}

absl::StatusOr<std::vector<int64_t>> GraduateRepository::ListRestoreDue(db::Session& s, absl::Time now, int limit) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id FROM graduates WHERE state = ? AND restore_due_at <= ? "
                                      "ORDER BY restore_due_at, id LIMIT ?",
                                      {static_cast<int64_t>(kStateInvalidated), now, static_cast<int64_t>(limit)}));
  std::vector<int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.Int64(0));
  return ids;
}

absl::StatusOr<std::optional<GraduateRow>> GraduateRepository::FindGraduate(db::Session& s, int64_t school_id,
                                                                            int64_t id, bool for_update) {
  std::string sql = absl::StrCat("SELECT ", GraduateColumns(""), " FROM graduates WHERE id = ? AND school_id = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {id, school_id}));
  if (!row) return std::optional<GraduateRow>();
  return std::optional<GraduateRow>(GraduateFromRow(*row));
}

absl::StatusOr<std::optional<GraduateRow>> GraduateRepository::FindGraduateById(db::Session& s, int64_t id,
                                                                                bool for_update) {
  std::string sql = absl::StrCat("SELECT ", GraduateColumns(""), " FROM graduates WHERE id = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {id}));
  if (!row) return std::optional<GraduateRow>();
  return std::optional<GraduateRow>(GraduateFromRow(*row));
}

absl::StatusOr<std::vector<GraduateRow>> GraduateRepository::FindGraduatesByIds(db::Session& s,
                                                                               const std::vector<int64_t>& ids) {
  std::vector<GraduateRow> graduates;
  for (const auto& slice : Slices(ids)) {
    std::vector<Param> params;
    AppendPaddedList(slice, params);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", GraduateColumns(""), " FROM graduates WHERE id IN (",
                                                     Placeholders(params.size()), ")"),
                                        params));
    for (auto& graduate : GraduatesFromRows(rows)) graduates.push_back(std::move(graduate));
  }
  return graduates;
}

absl::StatusOr<std::vector<GraduateRow>> GraduateRepository::ListGraduates(db::Session& s,
                                                                          const GraduateFilter& filter) {
  // A deferred join. The derived table reads one page of ids in (department, id) order from the
  // list index of the filter (school, class, state, [filter column,] department, id). That index
  // covers it, so skipping rows for a deep page reads index entries only. Then the outer query
  // fetches the full rows of that page by primary key. With two or more filters the rows of the
  // first indexed filter are read and the others checked on them.
  std::vector<Param> params;
  std::string where = GraduateWhere(filter, params);
  params.push_back(static_cast<int64_t>(filter.limit));
  params.push_back(filter.offset);
  // With one department the order is by id alone; saying so keeps the optimizer from sorting
  // rows that the index already returns in that order.
  const char* order = filter.department.empty() ? "department, id" : "id";
  ASSIGN_OR_RETURN(auto rows,
                   s.Query(absl::StrCat("SELECT ", GraduateColumns("g."), " FROM (SELECT id FROM graduates", where,
                                        " ORDER BY ", order, " LIMIT ? OFFSET ?) AS page "
                                        "JOIN graduates g ON g.id = page.id ORDER BY g.department, g.id"),
                           params));
  return GraduatesFromRows(rows);
}

absl::StatusOr<int64_t> GraduateRepository::CountGraduates(db::Session& s, const GraduateFilter& filter) {
  // NOTE: the count reads the filter's index entries of the whole class, which are up to tens
  // of thousands for one school. A combination of filters that no single index covers also
  // reads those rows.
  std::vector<Param> params;
  std::string sql = absl::StrCat("SELECT COUNT(*) FROM graduates", GraduateWhere(filter, params));
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, params));
  return row ? row->Int64(0) : 0;
}

absl::Status GraduateRepository::InsertAudit(db::Session& s, const AuditRecord& entry) {
  return s
      .Execute("INSERT INTO audit_log (occurred_at, actor_user_id, actor_username, actor_kind, school_id, action, "
               "target_type, target_id, before_json, after_json, request_id, trace_id, peer) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {entry.occurred_at, entry.actor_user_id, entry.actor_username,
                static_cast<int64_t>(entry.actor_kind), entry.school_id, entry.action, entry.target_type,
                entry.target_id, entry.before_json.empty() ? Param(nullptr) : Param(entry.before_json),
                entry.after_json.empty() ? Param(nullptr) : Param(entry.after_json), entry.request_id,
                entry.trace_id, entry.peer})
      .status();
}

absl::StatusOr<std::map<std::string, int>> GraduateRepository::LoadColumnLimits(db::Session& s) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
                                      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'graduates' "
                                      "AND CHARACTER_MAXIMUM_LENGTH IS NOT NULL"));
  std::map<std::string, int> limits;
  for (const auto& row : rows) limits[row.String(0)] = static_cast<int>(row.Int64(1));
  return limits;
}

}  // namespace quxiang::sync

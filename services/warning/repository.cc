#include "services/warning/repository.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::warning {
namespace {

using db::Param;
using db::Row;

constexpr char kMarkColumns[] =
    "id, school_id, credit_code, employer_name, category, note, created_by_user_id, created_by, version, "
    "created_at, updated_at";

// The per-category counters of warning_aggregates, in the order of the categories 1 to 5.
constexpr const char* kCategoryColumns[kCategoryCount] = {
    "violation_count", "fake_employer_count", "discrimination_count", "false_advertising_count", "other_count"};

MarkRecord MarkFromRow(const Row& row) {
  MarkRecord mark;
  mark.id = row.Int64(0);
  mark.school_id = row.Int64(1);
  mark.credit_code = row.String(2);
  mark.employer_name = row.String(3);
  mark.category = static_cast<int>(row.Int64(4));
  mark.note = row.String(5);
  mark.created_by_user_id = row.String(6);
  mark.created_by = row.String(7);
  mark.version = row.Int64(8);
  mark.created_at = row.Time(9);
  mark.updated_at = row.Time(10);
  return mark;
}

// The counter column of `category`. Column names cannot be statement parameters, so they come
// from this fixed list and never from a request.
absl::StatusOr<std::string> CategoryColumn(int category) {
  if (category < 1 || category > kCategoryCount) {
    return Internal("UNKNOWN_WARNING_CATEGORY", absl::StrCat("no aggregate column for warning category ", category));
  }
  return std::string(kCategoryColumns[category - 1]);
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

// Whether `query` could be the beginning of a credit code: 1 to 18 ASCII letters or digits.
bool CouldBeCreditCode(const std::string& query) {
  return !query.empty() && query.size() <= 18 &&
         std::all_of(query.begin(), query.end(), [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); });
}

std::string MarkWhere(const MarkFilter& filter, std::vector<Param>& params) {
  std::string where = " WHERE school_id = ?";
  params.push_back(filter.school_id);
  if (filter.category != 0) {
    where += " AND category = ?";
    params.push_back(static_cast<int64_t>(filter.category));
  }
  if (!filter.query.empty()) {
    std::string pattern = LikePrefix(filter.query);
    if (CouldBeCreditCode(filter.query)) {
      where += " AND (credit_code LIKE ? OR employer_name LIKE ?)";
      params.push_back(pattern);
    } else {
      where += " AND employer_name LIKE ?";
    }
    params.push_back(pattern);
  }
  return where;
}

// The number of IN placeholders for `count` codes: the next power of two, at most
// kMaxLookupStatementCodes. Padding to a few sizes keeps the per-connection cache of prepared
// statements at ten shapes instead of one per batch size.
size_t PaddedCodeCount(size_t count) {
  size_t padded = 1;
  while (padded < count) padded *= 2;
  return std::min(padded, kMaxLookupStatementCodes);
}

}  // namespace

absl::StatusOr<int64_t> Repository::InsertMark(db::Session& s, const MarkRecord& mark, absl::Time now) {
  RETURN_IF_ERROR(s.Execute("INSERT INTO warning_marks (school_id, credit_code, employer_name, category, note, "
                            "created_by_user_id, created_by, version, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                            {mark.school_id, mark.credit_code, mark.employer_name,
                             static_cast<int64_t>(mark.category), mark.note, mark.created_by_user_id,
                             mark.created_by, now, now})
                      .status());
  return s.LastInsertId();
}

absl::StatusOr<std::optional<MarkRecord>> Repository::FindMark(db::Session& s, int64_t school_id, int64_t id,
                                                             bool for_update) {
  std::string sql = absl::StrCat("SELECT ", kMarkColumns, " FROM warning_marks WHERE id = ? AND school_id = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {id, school_id}));
  if (!row) return std::optional<MarkRecord>();
  return MarkFromRow(*row);
}

absl::StatusOr<bool> Repository::UpdateMark(db::Session& s, const MarkRecord& mark, int64_t expected_version,
                                           absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE warning_marks SET category = ?, note = ?, version = version + 1, "
                             "updated_at = ? WHERE id = ? AND school_id = ? AND version = ?",
                             {static_cast<int64_t>(mark.category), mark.note, now, mark.id, mark.school_id,
                              expected_version}));
  return changed == 1;
}

absl::StatusOr<bool> Repository::DeleteMark(db::Session& s, int64_t school_id, int64_t id,
                                           int64_t expected_version) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("DELETE FROM warning_marks WHERE id = ? AND school_id = ? AND version = ?",
                             {id, school_id, expected_version}));
  return changed == 1;
}

absl::StatusOr<std::vector<MarkRecord>> Repository::ListMarks(db::Session& s, const MarkFilter& filter) {
  std::vector<Param> params;
  std::string sql = absl::StrCat("SELECT ", kMarkColumns, " FROM warning_marks", MarkWhere(filter, params),
                                 " ORDER BY id DESC LIMIT ? OFFSET ?");
  params.push_back(static_cast<int64_t>(filter.limit));
  params.push_back(static_cast<int64_t>(filter.offset));
  ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<MarkRecord> marks;
  marks.reserve(rows.size());
  for (const auto& row : rows) marks.push_back(MarkFromRow(row));
  return marks;
}

absl::StatusOr<int64_t> Repository::CountMarks(db::Session& s, const MarkFilter& filter) {
  std::vector<Param> params;
  std::string sql = absl::StrCat("SELECT COUNT(*) FROM warning_marks", MarkWhere(filter, params));
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, params));
  return row ? row->Int64(0) : 0;
}

absl::Status Repository::AddToAggregate(db::Session& s, const std::string& credit_code, int category,
                                        absl::Time now) {
  ASSIGN_OR_RETURN(std::string column, CategoryColumn(category));
  return s
      .Execute(absl::StrCat("INSERT INTO warning_aggregates (credit_code, school_count, ", column,
                            ", updated_at) VALUES (?, 1, 1, ?) ON DUPLICATE KEY UPDATE "
                            "school_count = school_count + 1, ",
                            column, " = ", column, " + 1, updated_at = ?"),
               {credit_code, now, now})
      .status();
}

absl::Status Repository::RemoveFromAggregate(db::Session& s, const std::string& credit_code, int category,
                                             absl::Time now) {
  ASSIGN_OR_RETURN(std::string column, CategoryColumn(category));
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute(absl::StrCat("UPDATE warning_aggregates SET school_count = school_count - 1, ", column,
                                          " = ", column, " - 1, updated_at = ? WHERE credit_code = ?"),
                             {now, credit_code}));
  // Every mark added to its row when it was created, so a missing row is a bug or a manual edit.
  if (changed != 1) {
    return Internal("WARNING_AGGREGATE_MISSING", absl::StrCat("no aggregate row for credit code ", credit_code));
  }
  return absl::OkStatus();
}

absl::Status Repository::MoveAggregateCategory(db::Session& s, const std::string& credit_code, int from_category,
                                               int to_category, absl::Time now) {
  ASSIGN_OR_RETURN(std::string from, CategoryColumn(from_category));
  ASSIGN_OR_RETURN(std::string to, CategoryColumn(to_category));
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute(absl::StrCat("UPDATE warning_aggregates SET ", from, " = ", from, " - 1, ", to, " = ", to,
                                          " + 1, updated_at = ? WHERE credit_code = ?"),
                             {now, credit_code}));
  if (changed != 1) {
    return Internal("WARNING_AGGREGATE_MISSING", absl::StrCat("no aggregate row for credit code ", credit_code));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AlertRow>> Repository::FindAlerts(db::Session& s, int64_t own_school_id,
                                                            const std::vector<std::string>& credit_codes,
                                                            int platform_wide_school_count) {
  if (credit_codes.empty() || credit_codes.size() > kMaxLookupStatementCodes) {
    return Internal("INVALID_LOOKUP_BATCH", absl::StrCat("FindAlerts got ", credit_codes.size(), " codes"));
  }
  size_t placeholders = PaddedCodeCount(credit_codes.size());
  std::vector<Param> params;
  params.reserve(placeholders + 2);
  params.push_back(own_school_id);
  std::string in_list;
  for (size_t i = 0; i < placeholders; ++i) {
    in_list += i == 0 ? "?" : ", ?";
    // Padding repeats the first code, and a repeated value in IN changes no result.
    params.push_back(i < credit_codes.size() ? credit_codes[i] : credit_codes.front());
  }
  params.push_back(static_cast<int64_t>(platform_wide_school_count));

  ASSIGN_OR_RETURN(
      auto rows,
      s.Query(absl::StrCat("SELECT a.credit_code, a.school_count, a.violation_count, a.fake_employer_count, "
                           "a.discrimination_count, a.false_advertising_count, a.other_count, m.id, m.category, "
                           "m.note, m.employer_name "
                           "FROM warning_aggregates a "
                           "LEFT JOIN warning_marks m ON m.school_id = ? AND m.credit_code = a.credit_code "
                           "WHERE a.credit_code IN (",
                           in_list, ") AND (m.id IS NOT NULL OR a.school_count >= ?)"),
              params));
  std::vector<AlertRow> alerts;
  alerts.reserve(rows.size());
  for (const auto& row : rows) {
    AlertRow alert;
    alert.credit_code = row.String(0);
    alert.school_count = row.Int64(1);
    for (int i = 0; i < kCategoryCount; ++i) alert.category_counts[i] = row.Int64(2 + i);
    if (!row.IsNull(7)) {
      MarkRecord own;
      own.id = row.Int64(7);
      own.school_id = own_school_id;
      own.credit_code = alert.credit_code;
      own.category = static_cast<int>(row.Int64(8));
      own.note = row.String(9);
      own.employer_name = row.String(10);
      alert.own_mark = std::move(own);
    }
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

absl::Status Repository::InsertAudit(db::Session& s, const AuditRecord& entry) {
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

}  // namespace quxiang::warning

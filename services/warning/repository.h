// The SQL of the warning service. Every function runs on a db::Session that the caller opened
// (a transaction for writes), so that one request is one transaction.
#ifndef QUXIANG_SERVICES_WARNING_REPOSITORY_H_
#define QUXIANG_SERVICES_WARNING_REPOSITORY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::warning {

// The categories are the values 1 to 5 of quxiang.warning.v1.WarningCategory.
inline constexpr int kCategoryCount = 5;

struct MarkRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  std::string credit_code;
  std::string employer_name;
  int category = 0;
  std::string note;
  std::string created_by_user_id;
  std::string created_by;
  int64_t version = 1;
  absl::Time created_at;
  absl::Time updated_at;
};

struct MarkFilter {
  int64_t school_id = 0;
  // 0 means any category.
  int category = 0;
  // Prefix of the employer name, or of the credit code when it could be one.
  std::string query;
  int limit = 20;
  int offset = 0;
};

// One employer of a lookup that carries an alert for the caller.
struct AlertRow {
  std::string credit_code;
  int64_t school_count = 0;
  // Marks per category; index 0 is category 1 (WARNING_CATEGORY_VIOLATION).
  std::array<int64_t, kCategoryCount> category_counts{};
  // The caller's own school's mark, when there is one.
  std::optional<MarkRecord> own_mark;
};

struct AuditRecord {
  absl::Time occurred_at;
  std::string actor_user_id;
  std::string actor_username;
  int actor_kind = 0;
  int64_t school_id = 0;
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string before_json;
  std::string after_json;
  std::string request_id;
  std::string trace_id;
  std::string peer;
};

class Repository {
 public:
  // Marks. A mark of another school is not found: every lookup is by (school, id).
  static absl::StatusOr<int64_t> InsertMark(db::Session& s, const MarkRecord& mark, absl::Time now);
  static absl::StatusOr<std::optional<MarkRecord>> FindMark(db::Session& s, int64_t school_id, int64_t id,
                                                           bool for_update = false);
  // Writes category and note conditional on `expected_version`; false when stale.
  static absl::StatusOr<bool> UpdateMark(db::Session& s, const MarkRecord& mark, int64_t expected_version,
                                         absl::Time now);
  // Deletes conditional on `expected_version`; false when stale or already gone.
  static absl::StatusOr<bool> DeleteMark(db::Session& s, int64_t school_id, int64_t id, int64_t expected_version);
  static absl::StatusOr<std::vector<MarkRecord>> ListMarks(db::Session& s, const MarkFilter& filter);
  static absl::StatusOr<int64_t> CountMarks(db::Session& s, const MarkFilter& filter);

  // The aggregate per credit code. Each function is one statement of atomic increments, so that
  // concurrent transactions of several schools serialize on the row and none is lost.
  static absl::Status AddToAggregate(db::Session& s, const std::string& credit_code, int category, absl::Time now);
  static absl::Status RemoveFromAggregate(db::Session& s, const std::string& credit_code, int category,
                                          absl::Time now);
  static absl::Status MoveAggregateCategory(db::Session& s, const std::string& credit_code, int from_category,
                                            int to_category, absl::Time now);

  // The employers among `credit_codes` that the school `own_school_id` marked or that at least
  // `platform_wide_school_count` schools marked, in one statement. `own_school_id` 0 matches no
  // school. `credit_codes` must not be empty nor hold more than kMaxLookupStatementCodes codes.
  static absl::StatusOr<std::vector<AlertRow>> FindAlerts(db::Session& s, int64_t own_school_id,
                                                          const std::vector<std::string>& credit_codes,
                                                          int platform_wide_school_count);

  static absl::Status InsertAudit(db::Session& s, const AuditRecord& entry);
};

// The largest number of codes FindAlerts accepts.
inline constexpr size_t kMaxLookupStatementCodes = 500;

}  // namespace quxiang::warning

#endif  // QUXIANG_SERVICES_WARNING_REPOSITORY_H_

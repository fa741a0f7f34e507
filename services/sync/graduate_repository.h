// The SQL of the roster mirror: schools, the change cursor, graduates and the audit log. Every
// function runs on a db::Session that the caller opened (a transaction for writes), so that one
// roster batch or one request is one transaction.
#ifndef QUXIANG_SERVICES_SYNC_GRADUATE_REPOSITORY_H_
#define QUXIANG_SERVICES_SYNC_GRADUATE_REPOSITORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::sync {

// Values of graduates.state, equal to quxiang.sync.v1.GraduateState.
inline constexpr int kStateActive = 1;
inline constexpr int kStateInvalidated = 2;

struct SchoolRow {
  std::string school_code;
  int64_t school_id = 0;
  // Set while the school's history is being read; the sequence read so far.
  std::optional<int64_t> backfill_cursor;
};

struct GraduateRow {
  int64_t id = 0;
  int64_t school_id = 0;
  int class_year = 0;
  std::string graduate_key;
  ems::v1::RosterGraduate record;
  std::string fingerprint;
  int state = kStateActive;
  std::optional<absl::Time> invalidated_at;
  std::optional<absl::Time> restore_due_at;
  int64_t roster_sequence = 0;
  int64_t version = 1;
  absl::Time created_at;
  absl::Time updated_at;
};

// A graduate as a roster batch writes it.
struct GraduateUpsert {
  int64_t school_id = 0;
  int class_year = 0;
  std::string graduate_key;
  ems::v1::RosterGraduate record;
  std::string fingerprint;
  int64_t roster_sequence = 0;
};

struct RosterRejection {
  int64_t sequence = 0;
  std::string school_code;
  std::string graduate_key;
  std::string reason;
  std::string detail;
};

// Filters of the roster list. Empty strings match anything.
struct GraduateFilter {
  int64_t school_id = 0;
  int class_year = 0;
  int state = kStateActive;
  std::string department;
  std::string major_code;
  std::string education_level_code;
  std::string training_mode_code;
  // An exact ID number, matched on its unique index.
  std::string id_number;
  // A student number (exact) or the beginning of a name.
  std::string student_number_or_name;
  int limit = 10;
  int64_t offset = 0;
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

class GraduateRepository {
 public:
  // The cursor of the main change feed, locked until the transaction ends; 0 at the start.
  static absl::StatusOr<int64_t> LockCursor(db::Session& s, absl::Time now);
  static absl::Status SaveCursor(db::Session& s, int64_t after_sequence, absl::Time now);
  // The cursor without a lock; 0 before the first batch.
  static absl::StatusOr<int64_t> ReadCursor(db::Session& s);
  // Whether `school_code` is among the unknown school codes.
  static absl::StatusOr<bool> IsUnknownSchool(db::Session& s, const std::string& school_code);

  // Schools by code; codes not found are missing from the map.
  static absl::StatusOr<std::map<std::string, SchoolRow>> FindSchools(db::Session& s,
                                                                      const std::vector<std::string>& codes);
  static absl::StatusOr<std::optional<SchoolRow>> FindSchoolById(db::Session& s, int64_t school_id);
  // Inserts a school unless its code is there; returns whether it inserted.
  static absl::StatusOr<bool> InsertSchool(db::Session& s, const SchoolRow& school, absl::Time now);
  static absl::Status SetBackfillCursor(db::Session& s, const std::string& school_code,
                                        std::optional<int64_t> cursor, absl::Time now);
  static absl::StatusOr<std::vector<SchoolRow>> ListBackfillingSchools(db::Session& s);
  static absl::StatusOr<std::vector<SchoolRow>> ListCaughtUpSchools(db::Session& s);

  // Counts `skipped` more changes of an unknown school code and sets when to ask again.
  static absl::Status RecordUnknownSchool(db::Session& s, const std::string& school_code, int64_t skipped,
                                          absl::Time now, absl::Time next_check_at);
  static absl::StatusOr<std::vector<std::string>> ListUnknownSchoolsDue(db::Session& s, absl::Time now, int limit);
  static absl::Status DeleteUnknownSchool(db::Session& s, const std::string& school_code);
  static absl::Status PostponeUnknownSchool(db::Session& s, const std::string& school_code, absl::Time next_check_at);

  static absl::Status InsertRejections(db::Session& s, const std::vector<RosterRejection>& rejections,
                                       absl::Time now);
  static absl::StatusOr<int64_t> CountRejections(db::Session& s, const std::string& school_code);

  // The graduates of a school with these ID numbers, locked for update.
  static absl::StatusOr<std::vector<GraduateRow>> LockByIdNumbers(db::Session& s, int64_t school_id,
                                                                  const std::vector<std::string>& id_numbers);
  // The ID numbers of ACTIVE graduates of a school holding these student numbers, by student
  // number, locked for update.
  static absl::StatusOr<std::map<std::string, std::string>> LockActiveStudentNumbers(
      db::Session& s, int64_t school_id, const std::vector<std::string>& student_numbers);

  // Inserts new graduates (ACTIVE) and rewrites existing ones whose fingerprint differs, in
  // multi-row INSERT … ON DUPLICATE KEY UPDATE statements. Rows with an unchanged fingerprint
  // are left alone. Returns the affected-row count the server reports: 1 per inserted row, 2 per
  // changed row, 0 per unchanged row.
  static absl::StatusOr<int64_t> UpsertGraduates(db::Session& s, const std::vector<GraduateUpsert>& rows,
                                                 absl::Time now);

  // State changes of graduates by id; each moves version on.
  static absl::Status Invalidate(db::Session& s, const std::vector<int64_t>& ids, absl::Time now);
  static absl::Status SetRestoreDue(db::Session& s, const std::vector<int64_t>& ids,
                                    std::optional<absl::Time> restore_due_at, absl::Time now);
  // INVALIDATED → ACTIVE, conditional on the state; false when the graduate was not invalidated.
  static absl::StatusOr<bool> Restore(db::Session& s, int64_t id, absl::Time now);
  // Invalidated graduates whose restore is due at `now`, oldest first.
  static absl::StatusOr<std::vector<int64_t>> ListRestoreDue(db::Session& s, absl::Time now, int limit);

  static absl::StatusOr<std::optional<GraduateRow>> FindGraduate(db::Session& s, int64_t school_id, int64_t id,
                                                                 bool for_update = false);
  static absl::StatusOr<std::optional<GraduateRow>> FindGraduateById(db::Session& s, int64_t id,
                                                                     bool for_update = false);
  static absl::StatusOr<std::vector<GraduateRow>> FindGraduatesByIds(db::Session& s,
                                                                     const std::vector<int64_t>& ids);

  // A page of the roster list, sorted by (department, id), and the total of the filter.
  static absl::StatusOr<std::vector<GraduateRow>> ListGraduates(db::Session& s, const GraduateFilter& filter);
  static absl::StatusOr<int64_t> CountGraduates(db::Session& s, const GraduateFilter& filter);

  static absl::Status InsertAudit(db::Session& s, const AuditRecord& entry);

  // The maximum length in characters of each text column of graduates, from the server's
  // catalog, so that a roster record is checked against the schema as it is.
  static absl::StatusOr<std::map<std::string, int>> LoadColumnLimits(db::Session& s);
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_GRADUATE_REPOSITORY_H_

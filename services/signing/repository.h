// The SQL of the signing service. Every function runs on a db::Session that the caller opened
// (a transaction for writes), so that one request is one transaction.
#ifndef QUXIANG_SERVICES_SIGNING_REPOSITORY_H_
#define QUXIANG_SERVICES_SIGNING_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::signing {

struct HandlerRecord {
  std::string name;
  std::string phone;
  std::string postal_address;
  std::string postal_code;
};

struct SettingsRecord {
  int64_t school_id = 0;
  int class_year = 0;
  int agreement_type = 0;
  bool online_signing_enabled = false;
  bool paper_registration_enabled = false;
  bool destination_registration_enabled = false;
  int review_mode = 0;
  int max_termination_applications = 0;
  int handler_scope = 0;
  // The whole school's handler, or the 本专科 one when handler_scope is by education level.
  HandlerRecord handler;
  // The 研究生 handler; empty unless handler_scope is by education level.
  HandlerRecord postgraduate_handler;
  int64_t version = 1;
  std::string updated_by_user_id;
  std::string updated_by;
  absl::Time created_at;
  absl::Time updated_at;
};

// What the flows have done under the settings of one school and class.
struct UsageRecord {
  // Whether a graduate or employer has acted; the switches cannot be turned off from then on.
  bool acted = false;
  int64_t records_in_review = 0;
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
  static absl::StatusOr<std::optional<SettingsRecord>> FindSettings(db::Session& s, int64_t school_id,
                                                                   int class_year, bool for_update = false);
  // Inserts the first settings of a school and class; a duplicate key means a concurrent first
  // submission won.
  static absl::Status InsertSettings(db::Session& s, const SettingsRecord& settings, absl::Time now);
  // Writes `settings` conditional on `expected_version`; false when stale.
  static absl::StatusOr<bool> UpdateSettings(db::Session& s, const SettingsRecord& settings, int64_t expected_version,
                                             absl::Time now);

  // The usage row of a school and class, created when missing and locked until the transaction
  // ends, so that the flows' SettingsUsage calls wait for a settings update and the reverse.
  static absl::StatusOr<UsageRecord> LockUsage(db::Session& s, int64_t school_id, int class_year);
  // The usage of a school and class without a lock; zero values when there is no row.
  static absl::StatusOr<UsageRecord> ReadUsage(db::Session& s, int64_t school_id, int class_year);

  static absl::Status InsertAudit(db::Session& s, const AuditRecord& entry);
};

// The markers that the signing, paper registration, termination and destination flows keep on
// the settings of a school and class. Each flow calls them inside the transaction of its own
// state change, so that the markers change exactly when the state does:
// - MarkActed when a graduate or employer acts for the first time (an invitation, an
//   application, a registration), after which UpdateSigningSettings rejects turning a switch off;
// - EnterReview when a record enters a review flow and LeaveReview when it leaves it (approved,
//   rejected, withdrawn), after which the review mode can change again once the count is 0.
class SettingsUsage {
 public:
  static absl::Status MarkActed(db::Session& s, int64_t school_id, int class_year, absl::Time now);
  static absl::Status EnterReview(db::Session& s, int64_t school_id, int class_year);
  // Fails with an internal error when no record of the school and class is in review, because
  // that is a bug in the calling flow.
  static absl::Status LeaveReview(db::Session& s, int64_t school_id, int class_year);
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_REPOSITORY_H_

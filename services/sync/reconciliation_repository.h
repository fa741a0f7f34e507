// The SQL of the reconciliation with the EMS.
#ifndef QUXIANG_SERVICES_SYNC_RECONCILIATION_REPOSITORY_H_
#define QUXIANG_SERVICES_SYNC_RECONCILIATION_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::sync {

// A graduate's destination as the ledger has it.
struct PlatformDestination {
  int64_t graduate_id = 0;
  std::string id_number;
  int state = 0;
  int64_t ledger_version = 0;
  // Empty before the first commit.
  std::string destination_code;
};

struct ReconciliationRunRow {
  int64_t id = 0;
  int64_t school_id = 0;
  absl::Time started_at;
  absl::Time finished_at;
  int graduates_compared = 0;
  int ems_records = 0;
  int difference_count = 0;
};

struct DifferenceRow {
  std::optional<int64_t> graduate_id;
  std::string masked_id_number;
  int kind = 0;
  int64_t ledger_version = 0;
  int64_t ems_version = 0;
  std::string ledger_destination_code;
  std::string ems_destination_code;
  bool pending_delivery = false;
};

class ReconciliationRepository {
 public:
  // Every graduate of the school with its ledger entry.
  static absl::StatusOr<std::vector<PlatformDestination>> ListPlatformDestinations(db::Session& s, int64_t school_id);
  // Graduates with destination events not yet acknowledged by the EMS.
  static absl::StatusOr<std::set<int64_t>> GraduatesWithUnsentChanges(db::Session& s);

  static absl::StatusOr<int64_t> InsertRun(db::Session& s, const ReconciliationRunRow& run,
                                           const std::vector<DifferenceRow>& differences);
  // The run of the school with `run_id`, or its latest run when `run_id` is 0.
  static absl::StatusOr<std::optional<ReconciliationRunRow>> FindRun(db::Session& s, int64_t school_id, int64_t run_id);
  static absl::StatusOr<std::vector<DifferenceRow>> ListDifferences(db::Session& s, int64_t run_id, int limit,
                                                                    int64_t offset);
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_RECONCILIATION_REPOSITORY_H_

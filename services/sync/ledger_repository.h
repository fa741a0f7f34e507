// The SQL of the destination ledger. Every change is one conditional UPDATE on the graduate's
// row. Of two transactions changing the same row, the second one's UPDATE reads the row as the
// first one committed it, so its condition fails, instead of both reading and then writing.
#ifndef QUXIANG_SERVICES_SYNC_LEDGER_REPOSITORY_H_
#define QUXIANG_SERVICES_SYNC_LEDGER_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::sync {

// Values of ledger.state, equal to quxiang.sync.v1.LedgerState.
inline constexpr int kLedgerNone = 1;
inline constexpr int kLedgerClaimed = 2;
inline constexpr int kLedgerEffective = 3;

struct LedgerRow {
  int64_t graduate_id = 0;
  int state = kLedgerNone;
  int holder_flow = 0;
  std::string holder_record_id;
  std::optional<absl::Time> claimed_at;
  std::optional<ems::v1::Destination> destination;
  std::string destination_code;
  int64_t ledger_version = 0;
  int64_t version = 1;
  absl::Time updated_at;
};

class LedgerRepository {
 public:
  // Creates the NONE rows of new graduates; existing rows are left alone.
  static absl::Status InsertMissing(db::Session& s, const std::vector<int64_t>& graduate_ids, absl::Time now);

  static absl::StatusOr<std::optional<LedgerRow>> Find(db::Session& s, int64_t graduate_id, bool for_update = false);
  // The rows of `graduate_ids`; `lock_shared` reads them with a shared lock, which also reads the
  // latest committed rows instead of the transaction's snapshot.
  static absl::StatusOr<std::vector<LedgerRow>> FindMany(db::Session& s, const std::vector<int64_t>& graduate_ids,
                                                         bool lock_shared = false);

  // NONE → CLAIMED by (flow, record); false when the row is not NONE.
  static absl::StatusOr<bool> Claim(db::Session& s, int64_t graduate_id, int flow, const std::string& record_id,
                                    absl::Time now);
  // CLAIMED by (flow, record) → NONE; false when that holder has no claim.
  static absl::StatusOr<bool> Release(db::Session& s, int64_t graduate_id, int flow, const std::string& record_id,
                                      absl::Time now);
  // CLAIMED or EFFECTIVE by (flow, record) → EFFECTIVE with `destination`, ledger_version + 1;
  // false when that holder has neither a claim nor an effective destination.
  static absl::StatusOr<bool> Commit(db::Session& s, int64_t graduate_id, int flow, const std::string& record_id,
                                     const ems::v1::Destination& destination, absl::Time now);
  // EFFECTIVE by (flow, record) → NONE with `destination` (待就业), ledger_version + 1; false when
  // that holder has no effective destination.
  static absl::StatusOr<bool> Void(db::Session& s, int64_t graduate_id, int flow, const std::string& record_id,
                                   const ems::v1::Destination& destination, absl::Time now);
  // ledger_version + 1 with the destination unchanged, for the re-sync after a restore.
  static absl::Status BumpLedgerVersion(db::Session& s, int64_t graduate_id, absl::Time now);

  // Claims made at or before `claimed_before`, oldest first.
  static absl::StatusOr<std::vector<LedgerRow>> ListClaimsBefore(db::Session& s, absl::Time claimed_before, int limit);
  // Releases the claim of `row` if it is still the same claim (holder and time).
  static absl::StatusOr<bool> ReleaseIfUnchanged(db::Session& s, const LedgerRow& row, absl::Time now);
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_LEDGER_REPOSITORY_H_

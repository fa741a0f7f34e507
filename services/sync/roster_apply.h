// The application of EMS roster changes to the graduates of one school, inside the transaction
// of the page that listed them. RosterFeed reads the changes; this file decides what they do.
#ifndef QUXIANG_SERVICES_SYNC_ROSTER_APPLY_H_
#define QUXIANG_SERVICES_SYNC_ROSTER_APPLY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/db/db.h"
#include "quxiang/ems/v1/ems.pb.h"
#include "services/sync/graduate_repository.h"

namespace quxiang::sync {

// Counts of the roster changes a run of the feed handled, by outcome.
struct RosterCounts {
  // Changes listed by the EMS, without the copies of a duplicated delivery.
  int64_t listed = 0;
  int64_t inserted = 0;
  int64_t updated = 0;
  // UPSERTs whose record and class equal the stored ones.
  int64_t unchanged = 0;
  int64_t invalidated = 0;
  // UPSERTs of invalidated graduates that set a restore time, and REMOVEs that cleared one.
  int64_t restores_scheduled = 0;
  int64_t restores_cancelled = 0;
  // Changes that could not be stored (see roster_rejections).
  int64_t rejected = 0;
  // Changes of unknown schools or of schools whose backfill is running, and REMOVEs of
  // graduates the platform never had.
  int64_t skipped = 0;

  int64_t applied() const { return inserted + updated + invalidated + restores_scheduled + restores_cancelled; }
  void Add(const RosterCounts& other);
};

// Applies the changes of several schools in one transaction and collects the outbox events and
// rejections, which Finish writes.
class RosterApplier {
 public:
  // `column_limits` are the lengths of the text columns of graduates in characters.
  RosterApplier(db::Session& session, absl::Time now, absl::Duration restore_delay,
                const std::map<std::string, int>& column_limits);

  // Applies `changes` of `school`, which must be in sequence order without repeats.
  //   UPSERT of a new graduate        → inserted, ACTIVE
  //   UPSERT of an ACTIVE graduate    → rewritten when the record or the class changed
  //   UPSERT of an INVALIDATED one    → record rewritten; restore_due_at = now + restore delay
  //                                     unless already set
  //   REMOVE of an ACTIVE graduate    → INVALIDATED, records kept, restore_due_at cleared
  //   REMOVE of an INVALIDATED one    → restore_due_at cleared
  //
  // An UPSERT whose record does not fit the columns, lacks a required field or takes the
  // student number of another ACTIVE graduate is rejected and recorded in roster_rejections.
  absl::Status ApplySchool(const SchoolRow& school, const std::vector<const ems::v1::RosterChange*>& changes,
                           RosterCounts* counts);

  // Writes the events and rejections of every ApplySchool call.
  absl::Status Finish();

 private:
  // One graduate's state while the changes of a page are walked in order.
  struct Simulated {
    std::optional<GraduateRow> before;
    bool exists = false;
    int state = kStateActive;
    std::optional<absl::Time> restore_due_at;
    std::optional<GraduateUpsert> last_upsert;
  };

  // The rejection of an UPSERT whose record cannot be stored, or nullopt.
  std::optional<RosterRejection> CheckRecord(const ems::v1::RosterChange& change,
                                             const ems::v1::RosterGraduate& record) const;
  absl::Status WriteSchool(const SchoolRow& school, std::map<std::string, Simulated>& graduates,
                           RosterCounts* counts);
  // Moves the statistics counters from each graduate's state before the page to its state
  // after it; `after` holds the rows by ID number with their records after the page.
  absl::Status UpdateCounters(const std::map<std::string, Simulated>& graduates,
                              const std::map<std::string, GraduateRow>& after);

  db::Session& session_;
  const absl::Time now_;
  const absl::Duration restore_delay_;
  const std::map<std::string, int>& column_limits_;

  std::vector<RosterRejection> rejections_;
  // Event payloads, owned here until Finish writes them.
  std::vector<std::unique_ptr<google::protobuf::Message>> payloads_;
  std::vector<std::string> aggregate_ids_;
  std::vector<int64_t> aggregate_versions_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ROSTER_APPLY_H_

// The roster feed: the EMS's roster changes applied to the platform's graduates.
//
// The EMS lists its roster changes in one sequence over every school (ListRosterChanges). The
// feed reads them page by page after a persisted cursor and applies each page in one
// transaction: new graduates are inserted, changed ones rewritten, and a re-import of unchanged
// records changes no row. A removal (REMOVE) invalidates the graduate (失效): it may no longer act
// and its records are kept. When the EMS sends an invalidated graduate again, the graduate is
// restored after the restore delay (one hour by default, so within the hour), or at once by
// 恢复网签数据 (Graduates::RestoreGraduate).
//
// Schools: a change is applied only for a school that exists in the accounts service. Changes of other
// school codes are skipped and their codes remembered; once such a school exists, its whole
// history is read again from the EMS with the school filter (a backfill) up to the main cursor,
// and from then on the main cursor applies its changes.
#ifndef QUXIANG_SERVICES_SYNC_ROSTER_FEED_H_
#define QUXIANG_SERVICES_SYNC_ROSTER_FEED_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "services/sync/accounts_client.h"
#include "services/sync/ems_client.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/roster_apply.h"

namespace quxiang::sync {

struct RosterFeedOptions {
  // How long after the EMS sent an invalidated graduate again it is restored.
  absl::Duration restore_delay = absl::Hours(1);
  // Changes per ListRosterChanges call; the EMS accepts 1 to 1000.
  int page_size = 500;
  // Pages read by one Run before it yields to the other jobs.
  int max_pages_per_run = 100;
  // How often a school code that the accounts service did not know is asked for again.
  absl::Duration unknown_school_recheck = absl::Minutes(5);
  // The deadline of each EMS call, accounts call and transaction.
  absl::Duration call_timeout = absl::Seconds(30);
};

class RosterFeed {
 public:
  RosterFeed(db::Pool& pool, EmsClient& ems, AccountsClient& accounts, const Clock& clock,
             RosterFeedOptions options = {});

  // Applies every change the EMS has ready (at most max_pages_per_run pages), then resolves
  // school codes that are due for another look and runs the backfills. Logs the counts.
  absl::StatusOr<RosterCounts> Run();

  const RosterFeedOptions& options() const { return options_; }

 private:
  // Reads and applies one page after the main cursor; sets `has_more` when the EMS has more.
  absl::StatusOr<RosterCounts> PollPage(bool* has_more);
  // Asks accounts again about unknown school codes that are due, then backfills schools.
  absl::Status CatchUpSchools(RosterCounts* counts);
  absl::Status Backfill(const std::string& school_code, RosterCounts* counts);
  // The schools of `codes`, resolving new codes with the accounts service.
  absl::StatusOr<std::map<std::string, SchoolRow>> ResolveSchools(const std::vector<std::string>& codes,
                                                                        const std::map<std::string, int64_t>& counts);
  absl::StatusOr<std::map<std::string, int>> ColumnLimits();
  absl::Time Deadline() const;

  db::Pool& pool_;
  EmsClient& ems_;
  AccountsClient& accounts_;
  const Clock& clock_;
  RosterFeedOptions options_;

  std::mutex limits_mutex_;
  std::map<std::string, int> column_limits_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ROSTER_FEED_H_

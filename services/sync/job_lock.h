// Named locks (GET_LOCK) that let one replica of sync at a time run each background job, and a
// shared record of each job's last run, so that several replicas together run a job no more
// often than one replica would.
//
// A run takes the lock "quxiang_job:<database>:<job>" with timeout 0 on a connection of its own.
// It reads when any replica last finished the job (table background_job_runs) and runs the job
// when its interval has passed. Then it records the end of the run and releases the lock. A
// replica that finds the lock taken or the job not yet due skips the run and tries again later.
// The server releases a named lock when the session that holds it ends, so when the replica
// running a job stops or dies, the next replica whose turn comes runs it.
//
// NOTE: the server also releases the lock when only the lock's connection breaks (a network
// fault, a killed session) while the run goes on, and another replica may then start the same
// job before the first one finishes its run. MariaDB Galera rejects GET_LOCK while wsrep_on is
// set, so these locks need a single primary server.
#ifndef QUXIANG_SERVICES_SYNC_JOB_LOCK_H_
#define QUXIANG_SERVICES_SYNC_JOB_LOCK_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::sync {

// The result of one attempt to run a job.
struct JobAttempt {
  // The job ran on this replica; `status` is its result.
  bool ran = false;
  absl::Status status;
  // Another session held the job's lock, so the job is running elsewhere now.
  bool locked_elsewhere = false;
  // When the job did not run because it is not due: the time until it is.
  absl::Duration due_in = absl::ZeroDuration();
};

class JobLocks {
 public:
  // `pool` connects to the service's database and serves only the locks. A running job holds
  // one of its connections for the whole run, so it needs a connection per job that takes a lock.
  explicit JobLocks(db::Pool& pool);

  // Runs `run` as job `job` when no other session holds the job's lock and the job's last run,
  // on any replica, finished at least `interval` ago. With `force` the last run does not matter.
  // Returns an error when the lock or the record of the last run cannot be read. A failure of
  // the run itself is in JobAttempt::status.
  absl::StatusOr<JobAttempt> RunExclusive(absl::string_view job, absl::Duration interval, bool force,
                                          const std::function<absl::Status()>& run);

  // The lock name of `job`: "quxiang_job:<database>:<job>", or a digest of both when that is
  // longer than the 64 characters MySQL allows.
  std::string LockName(absl::string_view job) const;

 private:
  db::Pool& pool_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_JOB_LOCK_H_

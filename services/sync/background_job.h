// A thread that runs one job of the service again and again: the roster poller, the restore
// job, the relays and the reconciliations. Each run is followed by a wait of the job's interval,
// which Wake() cuts short, so that a test or a fresh event need not wait for the next period.
//
// A job given JobLocks runs on one replica at a time, and no more often than its interval over
// all replicas (job_lock.h). A replica that finds the job not yet due waits until it is due plus
// a tenth of the interval, so the replica that ran it last keeps it while it lives.
#ifndef QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_
#define QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/sync/job_lock.h"

namespace quxiang::sync {

class BackgroundJob {
 public:
  // `run` returns the status of one run. Errors are logged at most once a minute per job, with
  // the number of failures in between, and the job goes on. With `locks` the job takes its
  // named lock for each run; `name` is then also its key in background_job_runs.
  BackgroundJob(std::string name, absl::Duration interval, std::function<absl::Status()> run,
                JobLocks* locks = nullptr);
  ~BackgroundJob();

  BackgroundJob(const BackgroundJob&) = delete;
  BackgroundJob& operator=(const BackgroundJob&) = delete;

  void Start();
  // Finishes the current run, then ends the thread. Safe to call twice.
  void Stop();
  // Starts the next run now, or right after the current one.
  void Wake();
  // The number of finished runs, for tests that wait for one. With locks it counts the attempts,
  // including those skipped because the job ran elsewhere.
  int64_t runs() const;

 private:
  void Loop();
  // Runs the job under its lock; returns the wait before the next attempt.
  absl::Duration RunLocked(bool force);
  void LogFailure(const absl::Status& status);

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::Status()> run_;
  JobLocks* const locks_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  int64_t runs_ = 0;
  std::thread thread_;

  // Failure logging and whether the last attempt ran here, touched only by the job's thread.
  absl::Time last_failure_log_ = absl::InfinitePast();
  int64_t unlogged_failures_ = 0;
  std::optional<bool> ran_here_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_

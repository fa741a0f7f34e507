// A thread that runs one job of the service again and again: the roster poller, the restore
// job, the relays and the reconciliations. Each run is followed by a wait of the job's interval,
// which Wake() cuts short, so that a test or a fresh event need not wait for the next period.
#ifndef QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_
#define QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace quxiang::sync {

class BackgroundJob {
 public:
  // `run` returns the status of one run. Errors are logged at most once a minute per job, with
  // the number of failures in between, and the job goes on.
  BackgroundJob(std::string name, absl::Duration interval, std::function<absl::Status()> run);
  ~BackgroundJob();

  BackgroundJob(const BackgroundJob&) = delete;
  BackgroundJob& operator=(const BackgroundJob&) = delete;

  void Start();
  // Finishes the current run, then ends the thread. Safe to call twice.
  void Stop();
  // Starts the next run now, or right after the current one.
  void Wake();
  // The number of finished runs, for tests that wait for one.
  int64_t runs() const;

 private:
  void Loop();
  void LogFailure(const absl::Status& status);

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::Status()> run_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  int64_t runs_ = 0;
  std::thread thread_;

  // Failure logging, touched only by the job's thread.
  absl::Time last_failure_log_ = absl::InfinitePast();
  int64_t unlogged_failures_ = 0;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_BACKGROUND_JOB_H_

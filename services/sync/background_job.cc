#include "services/sync/background_job.h"

#include "absl/time/clock.h"
#include "libs/status/error.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {

BackgroundJob::BackgroundJob(std::string name, absl::Duration interval, std::function<absl::Status()> run,
                             JobLocks* locks)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)), locks_(locks) {}

BackgroundJob::~BackgroundJob() { Stop(); }

void BackgroundJob::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
  spdlog::info("job {} started, interval {}", name_, absl::FormatDuration(interval_));
}

void BackgroundJob::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    spdlog::info("job {} stopped after {} runs", name_, runs());
  }
}

void BackgroundJob::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

int64_t BackgroundJob::runs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return runs_;
}

void BackgroundJob::Loop() {
  bool woken = false;
  while (true) {
    absl::Duration wait = interval_;
    if (locks_ == nullptr) {
      absl::Status status = run_();
      if (!status.ok()) LogFailure(status);
    } else {
      wait = RunLocked(/*force=*/woken);
    }

    std::unique_lock<std::mutex> lock(mutex_);
    ++runs_;
    wake_.wait_for(lock, absl::ToChronoMilliseconds(wait), [this] { return stopping_ || woken_; });
    woken = woken_;
    woken_ = false;
    if (stopping_) return;
  }
}

absl::Duration BackgroundJob::RunLocked(bool force) {
  absl::StatusOr<JobAttempt> attempt = locks_->RunExclusive(name_, interval_, force, run_);
  if (!attempt.ok()) {
    LogFailure(attempt.status());
    return interval_;
  }
  if (attempt->ran) {
    if (ran_here_ != true) spdlog::info("job {} runs on this replica", name_);
    ran_here_ = true;
    if (!attempt->status.ok()) LogFailure(attempt->status);
    return interval_;
  }
  if (ran_here_ != false) {
    spdlog::info("job {} runs on another replica; this replica takes over when that one stops", name_);
  }
  ran_here_ = false;
  // The job is running elsewhere now, so its next run is an interval away at the earliest.
  if (attempt->locked_elsewhere) return interval_;
  return attempt->due_in + interval_ / 10;
}

void BackgroundJob::LogFailure(const absl::Status& status) {
  absl::Time now = absl::Now();
  if (now - last_failure_log_ < absl::Minutes(1)) {
    ++unlogged_failures_;
    return;
  }
  spdlog::error("job {} failed: {} {} ({} failures not logged since the last message)", name_, ErrorReason(status),
                std::string(status.message()), unlogged_failures_);
  last_failure_log_ = now;
  unlogged_failures_ = 0;
}

}  // namespace quxiang::sync

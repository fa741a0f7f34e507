#include "services/sync/job_lock.h"

#include <openssl/evp.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

// MySQL rejects longer lock names (error 3057); MariaDB accepts them.
constexpr size_t kMaxLockName = 64;

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

JobLocks::JobLocks(db::Pool& pool) : pool_(pool) {}

std::string JobLocks::LockName(absl::string_view job) const {
  std::string name = absl::StrCat("quxiang_job:", pool_.database(), ":", job);
  if (name.size() <= kMaxLockName) return name;
  return absl::StrCat("quxiang_job:", Sha256Hex(absl::StrCat(pool_.database(), ":", job)).substr(0, 48));
}

absl::StatusOr<JobAttempt> JobLocks::RunExclusive(absl::string_view job, absl::Duration interval, bool force,
                                                  const std::function<absl::Status()>& run) {
  const std::string lock_name = LockName(job);
  std::optional<JobAttempt> attempt;
  // One session for the whole run, because a named lock belongs to the session that took it. No
  // deadline: the run may take long, and GET_LOCK with timeout 0 returns at once.
  absl::Status status = pool_.Run(absl::InfiniteFuture(), [&](db::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<db::Row> locked, session.QueryOne("SELECT GET_LOCK(?, 0)", {lock_name}));
    if (!locked.has_value() || locked->IsNull(0)) {
      return Unavailable("JOB_LOCK_FAILED", "后台任务的数据库锁获取失败，系统会自动重试。", {{"lock", lock_name}});
    }
    if (locked->Int64(0) != 1) {
      attempt = JobAttempt{};
      attempt->locked_elsewhere = true;
      return absl::OkStatus();
    }

    // The server's clock measures the time since the last run, so that replicas whose clocks
    // differ agree on when a job is due.
    absl::StatusOr<std::optional<db::Row>> last = session.QueryOne(
        "SELECT TIMESTAMPDIFF(MICROSECOND, finished_at, UTC_TIMESTAMP(6)) FROM background_job_runs WHERE name = ?",
        {std::string(job)});
    absl::Status checked = last.status();
    if (checked.ok()) {
      absl::Duration since_last = last->has_value() ? absl::Microseconds((*last)->Int64(0)) : absl::InfiniteDuration();
      attempt = JobAttempt{};
      if (!force && since_last < interval) {
        attempt->due_in = interval - since_last;
      } else {
        attempt->ran = true;
        attempt->status = run();
        absl::StatusOr<int64_t> recorded = session.Execute(
            "INSERT INTO background_job_runs (name, finished_at) VALUES (?, UTC_TIMESTAMP(6)) "
            "ON DUPLICATE KEY UPDATE finished_at = UTC_TIMESTAMP(6)",
            {std::string(job)});
        // Without the record the next run, on any replica, may come before the interval has
        // passed. Nothing worse follows, because the lock still keeps runs apart.
        if (!recorded.ok()) {
          spdlog::warn("recording the run of job {} failed: {}", std::string(job), recorded.status().ToString());
        }
      }
    }

    // A lost session releases the lock on the server by itself.
    absl::StatusOr<std::optional<db::Row>> released = session.QueryOne("SELECT RELEASE_LOCK(?)", {lock_name});
    if (!released.ok()) spdlog::warn("releasing the job lock {} failed: {}", lock_name, released.status().ToString());
    return checked;
  });
  // The session's failure (a broken connection after the run) must not hide a run that happened.
  if (attempt.has_value() && attempt->ran) return *attempt;
  if (!status.ok()) return status;
  if (!attempt.has_value()) return Internal("JOB_LOCK_FAILED", "the job lock session ended without a result");
  return *attempt;
}

}  // namespace quxiang::sync

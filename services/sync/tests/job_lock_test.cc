// Background jobs of two sync replicas on one real database, each replica with its own lock
// pool as in two processes. One job never runs twice at once, and both replicas together run it
// no more often than its interval allows. When the replica running it stops, the other takes over.
#include "services/sync/job_lock.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/testing/test_database.h"
#include "services/sync/background_job.h"
#include "services/sync/migrations.h"

namespace quxiang::sync {
namespace {

// A job body that records how many runs overlap and when each run starts and ends.
class RunRecorder {
 public:
  explicit RunRecorder(absl::Duration run_time) : run_time_(run_time) {}

  std::function<absl::Status()> Body(int replica) {
    return [this, replica] {
      int overlapping = ++in_flight_;
      int seen = max_in_flight_.load();
      while (overlapping > seen && !max_in_flight_.compare_exchange_weak(seen, overlapping)) {
      }
      absl::Time start = absl::Now();
      absl::SleepFor(run_time_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        runs_.push_back({replica, start, absl::Now()});
      }
      --in_flight_;
      return absl::OkStatus();
    };
  }

  int max_in_flight() const { return max_in_flight_.load(); }

  int RunsOf(int replica) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(std::count_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.replica == replica; }));
  }

  int TotalRuns() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(runs_.size());
  }

  // The replica of the last finished run, or -1 before the first.
  int LastReplica() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return runs_.empty() ? -1 : runs_.back().replica;
  }

  // The shortest time from the end of one run to the start of the next, over both replicas.
  absl::Duration ShortestGap() const {
    std::lock_guard<std::mutex> lock(mutex_);
    absl::Duration shortest = absl::InfiniteDuration();
    for (size_t i = 1; i < runs_.size(); ++i) shortest = std::min(shortest, runs_[i].start - runs_[i - 1].end);
    return shortest;
  }

 private:
  struct Run {
    int replica;
    absl::Time start;
    absl::Time end;
  };

  const absl::Duration run_time_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  mutable std::mutex mutex_;
  std::vector<Run> runs_;
};

class JobLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = testing::TestDatabase::Create("sync_job_lock");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    auto pool = db::Pool::Create(database_->options());
    ASSERT_TRUE(pool.ok()) << pool.status();
    absl::Status migrated = db::ApplyMigrations(**pool, Migrations());
    ASSERT_TRUE(migrated.ok()) << migrated;
    admin_ = std::move(pool).value();

    for (int replica = 0; replica < 2; ++replica) {
      db::Options options = database_->options();
      options.max_connections = 2;
      auto lock_pool = db::Pool::Create(options);
      ASSERT_TRUE(lock_pool.ok()) << lock_pool.status();
      lock_pools_.push_back(std::move(lock_pool).value());
      locks_.push_back(std::make_unique<JobLocks>(*lock_pools_.back()));
    }
  }

  // Waits up to `timeout` for `condition`; returns whether it held.
  static bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return condition();
  }

  std::optional<testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> admin_;
  std::vector<std::unique_ptr<db::Pool>> lock_pools_;
  std::vector<std::unique_ptr<JobLocks>> locks_;
};

TEST_F(JobLockTest, TwoReplicasNeverRunJobAtOnce) {
  // A run takes longer than the interval, so a replica without the lock would start while the
  // other runs.
  RunRecorder recorder(absl::Milliseconds(40));
  auto first = std::make_unique<BackgroundJob>("overlap test", absl::Milliseconds(10), recorder.Body(0), locks_[0].get());
  auto second = std::make_unique<BackgroundJob>("overlap test", absl::Milliseconds(10), recorder.Body(1), locks_[1].get());
  first->Start();
  second->Start();
  ASSERT_TRUE(WaitFor([&] { return recorder.TotalRuns() >= 15; }, absl::Seconds(30)));
  first->Stop();
  second->Stop();

  EXPECT_EQ(recorder.max_in_flight(), 1);
  EXPECT_GE(recorder.ShortestGap(), absl::ZeroDuration());
}

TEST_F(JobLockTest, TwoReplicasKeepInterval) {
  // Each replica alone would run every 300 ms; together they must not run more often.
  const absl::Duration interval = absl::Milliseconds(300);
  RunRecorder recorder(absl::Milliseconds(5));
  auto first = std::make_unique<BackgroundJob>("interval test", interval, recorder.Body(0), locks_[0].get());
  auto second = std::make_unique<BackgroundJob>("interval test", interval, recorder.Body(1), locks_[1].get());
  absl::Time start = absl::Now();
  first->Start();
  second->Start();
  absl::SleepFor(absl::Seconds(3));
  first->Stop();
  second->Stop();
  absl::Duration elapsed = absl::Now() - start;

  EXPECT_EQ(recorder.max_in_flight(), 1);
  EXPECT_GE(recorder.TotalRuns(), 3);
  EXPECT_LE(recorder.TotalRuns(), static_cast<int>(elapsed / interval) + 1);
  // The interval counts from the end of the last run on either replica. The 20 ms of slack cover
  // the clock readings of the test, which come before and after the lock's statements.
  EXPECT_GE(recorder.ShortestGap(), interval - absl::Milliseconds(20));
}

TEST_F(JobLockTest, OtherReplicaTakesOverWhenHolderStops) {
  RunRecorder recorder(absl::Milliseconds(5));
  std::vector<std::unique_ptr<BackgroundJob>> replicas;
  for (int replica = 0; replica < 2; ++replica) {
    replicas.push_back(std::make_unique<BackgroundJob>("takeover test", absl::Milliseconds(100), recorder.Body(replica),
                                                       locks_[replica].get()));
    replicas.back()->Start();
  }
  ASSERT_TRUE(WaitFor([&] { return recorder.TotalRuns() >= 5; }, absl::Seconds(30)));

  int holder = recorder.LastReplica();
  int other = 1 - holder;
  replicas[holder]->Stop();
  int holder_runs = recorder.RunsOf(holder);
  int other_runs = recorder.RunsOf(other);

  EXPECT_TRUE(WaitFor([&] { return recorder.RunsOf(other) >= other_runs + 3; }, absl::Seconds(10)))
      << "replica " << other << " ran " << recorder.RunsOf(other) - other_runs << " times after replica " << holder
      << " stopped";
  EXPECT_EQ(recorder.RunsOf(holder), holder_runs);
  replicas[other]->Stop();
  EXPECT_EQ(recorder.max_in_flight(), 1);
}

TEST_F(JobLockTest, LockHeldElsewhereSkipsRun) {
  const std::string lock_name = locks_[0]->LockName("held test");
  std::promise<void> locked;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    absl::Status status = admin_->Run(absl::Now() + absl::Seconds(30), [&](db::Session& session) -> absl::Status {
      auto row = session.QueryOne("SELECT GET_LOCK(?, 0)", {lock_name});
      EXPECT_TRUE(row.ok()) << row.status();
      EXPECT_EQ(row.value_or(std::nullopt).value_or(db::Row({std::nullopt})).Int64(0), 1);
      locked.set_value();
      released.wait();
      return session.QueryOne("SELECT RELEASE_LOCK(?)", {lock_name}).status();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  locked.get_future().wait();

  int runs = 0;
  auto body = [&] {
    ++runs;
    return absl::OkStatus();
  };
  absl::StatusOr<JobAttempt> blocked = locks_[0]->RunExclusive("held test", absl::ZeroDuration(), false, body);
  release.set_value();
  holder.join();
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_FALSE(blocked->ran);
  EXPECT_TRUE(blocked->locked_elsewhere);
  EXPECT_EQ(runs, 0);

  absl::StatusOr<JobAttempt> free = locks_[0]->RunExclusive("held test", absl::ZeroDuration(), false, body);
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_TRUE(free->ran);
  EXPECT_EQ(runs, 1);
}

TEST_F(JobLockTest, NotDueSkipsUnlessForced) {
  int runs = 0;
  auto body = [&] {
    ++runs;
    return absl::InternalError("the run fails, and still counts as a run");
  };
  absl::StatusOr<JobAttempt> first = locks_[0]->RunExclusive("due test", absl::Hours(1), false, body);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->ran);
  EXPECT_EQ(first->status.code(), absl::StatusCode::kInternal);

  // The other replica finds the job done less than an hour ago.
  absl::StatusOr<JobAttempt> second = locks_[1]->RunExclusive("due test", absl::Hours(1), false, body);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->ran);
  EXPECT_FALSE(second->locked_elsewhere);
  EXPECT_GT(second->due_in, absl::Minutes(59));
  EXPECT_LE(second->due_in, absl::Hours(1));
  EXPECT_EQ(runs, 1);

  absl::StatusOr<JobAttempt> forced = locks_[1]->RunExclusive("due test", absl::Hours(1), true, body);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_TRUE(forced->ran);
  EXPECT_EQ(runs, 2);
}

TEST_F(JobLockTest, LongNamesFitMysqlLimit) {
  std::string name = locks_[0]->LockName(std::string(80, 'j'));
  EXPECT_LE(name.size(), 64u);
  EXPECT_EQ(name.rfind("quxiang_job:", 0), 0u);
  EXPECT_NE(name, locks_[0]->LockName(std::string(81, 'j')));
  // Each database has its own locks, so two deployments on one server do not block each other.
  EXPECT_NE(locks_[0]->LockName("roster feed").find(database_->options().database), std::string::npos);
}

}  // namespace
}  // namespace quxiang::sync

// Two sync processes on one schema, as a Deployment with two replicas runs them. Both serve,
// every background job runs, and once one replica stops the other runs every job. The lock
// itself, with overlapping runs and intervals, is tested in services/sync/tests/job_lock_test.cc.
// Also sync's channels: with round_robin, calls reach every address a target lists, as they
// must reach every pod behind a headless Service.
#include <signal.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "tests/ops/ops_stack.h"

namespace quxiang::ops {
namespace {

// The jobs of services/sync/main.cc that take a named lock, by their names in background_job_runs.
const std::set<std::string> kLockedJobs = {"roster feed", "restore", "accounts relay", "EMS relay",
                                           "EMS reconciliation"};

// The end of each job's last run as the database recorded it, with the database's current time.
struct JobRuns {
  std::map<std::string, absl::Time> finished_at;
  absl::Time now;
};

absl::StatusOr<JobRuns> ReadJobRuns(db::Pool& pool) {
  return pool.Read<JobRuns>(absl::Now() + absl::Seconds(10), [](db::Session& s) -> absl::StatusOr<JobRuns> {
    JobRuns runs;
    auto rows = s.Query("SELECT name, finished_at FROM background_job_runs");
    if (!rows.ok()) return rows.status();
    for (const db::Row& row : *rows) runs.finished_at[row.String(0)] = row.Time(1);
    auto now = s.QueryOne("SELECT UTC_TIMESTAMP(6)");
    if (!now.ok()) return now.status();
    runs.now = (*now)->Time(0);
    return runs;
  });
}

// Polls the table until every locked job has finished a run after `after`, or `timeout` passes;
// returns the jobs that had not.
std::set<std::string> JobsNotRunSince(db::Pool& pool, absl::Time after, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::set<std::string> missing = kLockedJobs;
  while (true) {
    absl::StatusOr<JobRuns> runs = ReadJobRuns(pool);
    if (runs.ok()) {
      missing.clear();
      for (const std::string& job : kLockedJobs) {
        auto it = runs->finished_at.find(job);
        if (it == runs->finished_at.end() || it->second <= after) missing.insert(job);
      }
    }
    if (missing.empty() || absl::Now() >= deadline) return missing;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

TEST(SyncReplicas, SurvivorTakesOverEveryJob) {
  std::unique_ptr<OpsStack> stack = OpsStack::Create("ops_sync_replicas");
  if (!stack) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
  Process* ems = stack->LaunchEmsSimulator();
  if (ems == nullptr) GTEST_SKIP() << "tools/ems-simulator is not built";
  Process& accounts = stack->LaunchAccounts("accounts");
  std::string failure;
  ASSERT_TRUE(stack->WaitReady(*ems, absl::Seconds(30), &failure)) << failure;
  ASSERT_TRUE(stack->WaitReady(accounts, absl::Seconds(90), &failure)) << failure;

  // Short intervals, so that each job runs several times within the test.
  const std::vector<std::string> intervals = {"--roster_poll_interval=200ms", "--relay_interval=200ms",
                                              "--restore_interval=200ms", "--reconcile_interval=1s"};
  Process* first = stack->LaunchSync("sync-1", ems->port, accounts.port, intervals);
  if (first == nullptr) GTEST_SKIP() << "services/sync is not built";
  ASSERT_TRUE(stack->WaitReady(*first, absl::Seconds(90), &failure)) << failure;
  Process* second = stack->LaunchSync("sync-2", ems->port, accounts.port, intervals);
  ASSERT_TRUE(stack->WaitReady(*second, absl::Seconds(90), &failure)) << failure;
  EXPECT_EQ(HealthStatus(first->port), "SERVING") << first->child->Log();
  EXPECT_EQ(HealthStatus(second->port), "SERVING") << second->child->Log();

  auto pool = db::Pool::Create(stack->sync_database()->options());
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::set<std::string> never_ran = JobsNotRunSince(**pool, absl::InfinitePast(), absl::Seconds(30));
  for (const std::string& job : never_ran) ADD_FAILURE() << "job " << job << " never ran\n" << first->child->Log();

  first->child->Signal(SIGTERM);
  ASSERT_EQ(first->child->WaitExit(absl::Seconds(20)), 0) << first->child->Log();
  absl::StatusOr<JobRuns> at_stop = ReadJobRuns(**pool);
  ASSERT_TRUE(at_stop.ok()) << at_stop.status();

  // Every job runs again, now on the second replica alone.
  std::set<std::string> not_taken_over = JobsNotRunSince(**pool, at_stop->now, absl::Seconds(30));
  for (const std::string& job : not_taken_over) ADD_FAILURE() << "job " << job << " did not run after sync-1 stopped";
  EXPECT_EQ(HealthStatus(second->port), "SERVING");
  EXPECT_NE(second->child->Log().find("job roster feed runs on this replica"), std::string::npos)
      << second->child->Log();
}

TEST(SyncChannels, RoundRobinReachesEveryEms) {
  std::unique_ptr<OpsStack> stack = OpsStack::Create("ops_sync_channels");
  if (!stack) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
  Process* first_ems = stack->LaunchEmsSimulator("ems-1");
  if (first_ems == nullptr) GTEST_SKIP() << "tools/ems-simulator is not built";
  Process* second_ems = stack->LaunchEmsSimulator("ems-2");
  Process& accounts = stack->LaunchAccounts("accounts");
  std::string failure;
  ASSERT_TRUE(stack->WaitReady(*first_ems, absl::Seconds(30), &failure)) << failure;
  ASSERT_TRUE(stack->WaitReady(*second_ems, absl::Seconds(30), &failure)) << failure;
  ASSERT_TRUE(stack->WaitReady(accounts, absl::Seconds(90), &failure)) << failure;

  // One target with both addresses, as DNS returns one address per pod. The flag given last wins.
  Process* sync = stack->LaunchSync(
      "sync", first_ems->port, accounts.port,
      {"--roster_poll_interval=100ms",
       absl::StrCat("--ems_address=ipv4:127.0.0.1:", first_ems->port, ",127.0.0.1:", second_ems->port)});
  if (sync == nullptr) GTEST_SKIP() << "services/sync is not built";
  ASSERT_TRUE(stack->WaitReady(*sync, absl::Seconds(90), &failure)) << failure;

  // The roster feed polls every 100 ms. pick_first, gRPC's default, would send every poll to
  // the first address.
  const std::string polls = "grpc_server_handled_total{grpc_service=\"quxiang.ems.v1.EmsService\","
                            "grpc_method=\"ListRosterChanges\",grpc_code=\"OK\"}";
  auto polls_of = [&](Process* ems) { return SampleValue(ScrapeMetrics(ems->metrics_port), polls).value_or(0); };
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline && (polls_of(first_ems) < 3 || polls_of(second_ems) < 3)) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_GE(polls_of(first_ems), 3) << sync->child->Log();
  EXPECT_GE(polls_of(second_ems), 3) << sync->child->Log();
}

}  // namespace
}  // namespace quxiang::ops

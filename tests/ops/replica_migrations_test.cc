// Two accounts replicas start at the same moment on one empty database, as a Deployment with
// two replicas does at its first rollout. The named migration lock lets one apply each file
// while the other waits, and both end up serving.
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "services/accounts/migrations.h"
#include "tests/ops/ops_stack.h"

namespace quxiang::ops {
namespace {

int CountLines(const std::string& text, const std::string& needle) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.find(needle) != absl::string_view::npos) ++count;
  }
  return count;
}

TEST(ReplicaMigrations, SimultaneousStartAppliesEachOnce) {
  std::unique_ptr<OpsStack> stack = OpsStack::Create("ops_migrations");
  if (!stack) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";

  Process& first = stack->LaunchAccounts("accounts-1");
  Process& second = stack->LaunchAccounts("accounts-2");
  std::string failure;
  ASSERT_TRUE(stack->WaitReady(first, absl::Seconds(90), &failure)) << failure;
  ASSERT_TRUE(stack->WaitReady(second, absl::Seconds(90), &failure)) << failure;

  EXPECT_EQ(HealthStatus(first.port), "SERVING") << first.child->Log();
  EXPECT_EQ(HealthStatus(second.port), "SERVING") << second.child->Log();

  std::vector<std::string> expected;
  for (const db::MigrationFile& file : db::SharedMigrations()) expected.push_back(file.name);
  for (const db::MigrationFile& file : accounts::Migrations()) expected.push_back(file.name);
  std::sort(expected.begin(), expected.end());

  auto pool = db::Pool::Create(stack->database().options());
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto rows = (*pool)->Read<std::vector<db::Row>>(absl::Now() + absl::Seconds(10), [](db::Session& s) {
    return s.Query("SELECT name, COUNT(*) FROM schema_migrations GROUP BY name ORDER BY name");
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<std::string> recorded;
  for (const db::Row& row : *rows) {
    recorded.push_back(row.String(0));
    EXPECT_EQ(row.Int64(1), 1) << row.String(0) << " is recorded more than once";
  }
  std::sort(recorded.begin(), recorded.end());
  EXPECT_EQ(recorded, expected);

  // Between them the replicas applied each file once: the one that waited for the lock found
  // every file applied and applied none.
  std::string logs = first.child->Log() + second.child->Log();
  EXPECT_EQ(CountLines(logs, "applied migration"), static_cast<int>(expected.size())) << logs;
}

TEST(ReplicaMigrations, ChangedMigrationStopsReplica) {
  std::unique_ptr<OpsStack> stack = OpsStack::Create("ops_checksum");
  if (!stack) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";

  Process& first = stack->LaunchAccounts("accounts-1");
  std::string failure;
  ASSERT_TRUE(stack->WaitReady(first, absl::Seconds(90), &failure)) << failure;

  // An applied file whose recorded checksum no longer matches, as after an edit of a
  // migration that had shipped: the next replica must refuse to start.
  auto pool = db::Pool::Create(stack->database().options());
  ASSERT_TRUE(pool.ok()) << pool.status();
  absl::Status edited = (*pool)->Run(absl::Now() + absl::Seconds(10), [](db::Session& s) {
    return s.Execute("UPDATE schema_migrations SET checksum = REPEAT('0', 64) WHERE name = '0001_init.sql'")
        .status();
  });
  ASSERT_TRUE(edited.ok()) << edited;

  Process& second = stack->LaunchAccounts("accounts-2");
  std::optional<int> exit_status = second.child->WaitExit(absl::Seconds(60));
  ASSERT_TRUE(exit_status.has_value()) << second.child->Log();
  EXPECT_EQ(*exit_status, 1) << second.child->Log();
  EXPECT_NE(second.child->Log().find("0001_init.sql"), std::string::npos) << second.child->Log();
  // The replica that was already serving is unaffected.
  EXPECT_EQ(HealthStatus(first.port), "SERVING");
}

}  // namespace
}  // namespace quxiang::ops

#include "libs/metrics/database_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "libs/testing/test_database.h"

namespace quxiang::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DatabaseMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("db_metrics");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    auto pool = db::Pool::Create(database_->options());
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    absl::Status migrated = db::ApplyMigrations(*pool_, {});
    ASSERT_TRUE(migrated.ok()) << migrated;
    metrics_ = DatabaseMetrics::Register(registry_, *pool_, "accounts");
  }

  void TearDown() override {
    metrics_.reset();
    pool_.reset();
  }

  void InsertOutboxRow(const std::string& event_id, absl::Time created_at, bool sent) {
    absl::Status status = pool_->Run(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s
          .Execute(
              "INSERT INTO outbox (event_id, aggregate_id, aggregate_version, type, payload, "
              "created_at, sent_at, next_attempt_at) VALUES (?, 'graduate-1', 1, 'test', '', ?, ?, ?)",
              {event_id, created_at, sent ? db::Param(created_at) : db::Param(nullptr), created_at})
          .status();
    });
    ASSERT_TRUE(status.ok()) << status;
  }

  // Waits past the one-second reuse of outbox results, so the next render queries again.
  std::string RenderFresh() {
    absl::SleepFor(absl::Milliseconds(1100));
    return registry_.Render();
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
  Registry registry_;
  std::unique_ptr<DatabaseMetrics> metrics_;
};

TEST_F(DatabaseMetricsTest, ExportsPoolGauges) {
  std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE quxiang_db_pool_open_connections gauge\n"));
  EXPECT_THAT(text, HasSubstr("quxiang_db_pool_in_use_connections{service=\"accounts\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("quxiang_db_pool_waiting_requests{service=\"accounts\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE quxiang_db_pool_discarded_connections_total counter\n"));
}

TEST_F(DatabaseMetricsTest, EmptyOutboxHasNoBacklog) {
  std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("quxiang_outbox_backlog{service=\"accounts\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("quxiang_outbox_oldest_unsent_age_seconds{service=\"accounts\"} 0\n"));
}

TEST_F(DatabaseMetricsTest, CountsUnsentRowsAndOldestAge) {
  absl::Time now = absl::Now();
  InsertOutboxRow("sent-long-ago", now - absl::Hours(5), /*sent=*/true);
  InsertOutboxRow("unsent-old", now - absl::Seconds(90), /*sent=*/false);
  InsertOutboxRow("unsent-new", now, /*sent=*/false);

  std::string text = RenderFresh();
  EXPECT_THAT(text, HasSubstr("quxiang_outbox_backlog{service=\"accounts\"} 2\n"));

  std::string prefix = "quxiang_outbox_oldest_unsent_age_seconds{service=\"accounts\"} ";
  size_t at = text.find(prefix);
  ASSERT_NE(at, std::string::npos) << text;
  double age = std::stod(text.substr(at + prefix.size()));
  EXPECT_GE(age, 90);
  // The sent row, five hours old, must not count.
  EXPECT_LT(age, 120);
}

TEST_F(DatabaseMetricsTest, FailedQueryLeavesOutboxSeriesOut) {
  absl::Status dropped = pool_->Run(absl::Now() + absl::Seconds(10), [](db::Session& s) {
    return s.ExecuteRaw("DROP TABLE outbox");
  });
  ASSERT_TRUE(dropped.ok()) << dropped;

  std::string text = RenderFresh();
  EXPECT_THAT(text, Not(HasSubstr("quxiang_outbox_backlog{")));
  EXPECT_THAT(text, Not(HasSubstr("quxiang_outbox_oldest_unsent_age_seconds{")));
  EXPECT_THAT(text, HasSubstr("quxiang_db_pool_open_connections{service=\"accounts\"}"));
}

TEST_F(DatabaseMetricsTest, UnregistersWhenDestroyed) {
  metrics_.reset();
  EXPECT_EQ(registry_.Render(), "");
}

}  // namespace
}  // namespace quxiang::metrics

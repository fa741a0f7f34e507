// The live /metrics output of every process after some traffic: it must pass promtool's check
// and contain the series that the alerting rules in deploy/monitoring/alerts.yaml use. sync
// runs against the EMS simulator and accounts, and signing against accounts and sync, as in
// docker-compose.yml.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/http_client.h"
#include "tests/ops/ops_stack.h"

namespace quxiang::ops {
namespace {

using ::testing::HasSubstr;

constexpr char kAccounts[] = "grpc_service=\"quxiang.accounts.v1.AccountsService\"";

class MetricsExpositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_STRNE(QUXIANG_PROMTOOL, "")
        << "promtool not found: install the Debian package prometheus (scripts/setup does)";
    stack_ = OpsStack::Create("ops_metrics");
    if (!stack_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";

    accounts_ = &stack_->LaunchAccounts("accounts");
    std::string failure;
    ASSERT_TRUE(stack_->WaitReady(*accounts_, absl::Seconds(90), &failure)) << failure;
    std::string backends = absl::StrCat("quxiang.accounts.v1.AccountsService=127.0.0.1:", accounts_->port);
    warning_ = stack_->LaunchWarning();
    if (warning_ != nullptr) {
      ASSERT_TRUE(stack_->WaitReady(*warning_, absl::Seconds(90), &failure)) << failure;
      backends += absl::StrCat(",quxiang.warning.v1.WarningService=127.0.0.1:", warning_->port);
    }
    ems_ = stack_->LaunchEmsSimulator();
    if (ems_ != nullptr) {
      ASSERT_TRUE(stack_->WaitReady(*ems_, absl::Seconds(30), &failure)) << failure;
      backends += absl::StrCat(",quxiang.ems.v1.EmsSimulatorControl=127.0.0.1:", ems_->port);
      sync_ = stack_->LaunchSync("sync", ems_->port, accounts_->port, {"--roster_poll_interval=200ms"});
    }
    if (sync_ != nullptr) {
      ASSERT_TRUE(stack_->WaitReady(*sync_, absl::Seconds(90), &failure)) << failure;
      backends += absl::StrCat(",quxiang.sync.v1.SyncService=127.0.0.1:", sync_->port);
      // Signing needs warning too, for the warned-employer flag of its lists.
      if (warning_ != nullptr) signing_ = stack_->LaunchSigning(accounts_->port, sync_->port, warning_->port);
    }
    if (signing_ != nullptr) {
      ASSERT_TRUE(stack_->WaitReady(*signing_, absl::Seconds(90), &failure)) << failure;
      backends += absl::StrCat(",quxiang.signing.v1.SigningService=127.0.0.1:", signing_->port);
    }
    gateway_ = &stack_->LaunchGateway(backends);
    ASSERT_TRUE(stack_->WaitReady(*gateway_, absl::Seconds(30), &failure)) << failure;

    // Traffic: a failed and a good login, an authenticated read, an unknown API path and the
    // console's page.
    quxiang::testing::HttpClient client(gateway_->port);
    ASSERT_EQ(client.Login("operator", "Wrong#Password1").status, 401);
    ASSERT_EQ(client.Login("operator", kOperatorPassword).status, 200);
    ASSERT_EQ(client.Get("/v1/users/me").status, 200);
    ASSERT_EQ(client.Get("/v1/no-such-thing").status, 404);
    client.Get("/");
    if (sync_ != nullptr) {
      ASSERT_EQ(client.Get("/v1/codeTables?classYear=2026").status, 200);
    }
    if (signing_ != nullptr) {
      // The operator is no school user, so signing rejects the read.
      ASSERT_EQ(client.Get("/v1/schools/1/classes/2026/signingSettings").status, 403);
    }
  }

  std::unique_ptr<OpsStack> stack_;
  Process* accounts_ = nullptr;
  Process* warning_ = nullptr;
  Process* ems_ = nullptr;
  Process* sync_ = nullptr;
  Process* signing_ = nullptr;
  Process* gateway_ = nullptr;
};

TEST_F(MetricsExpositionTest, AccountsOutputPassesPromtool) {
  std::string text = ScrapeMetrics(accounts_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;

  EXPECT_EQ(SampleValue(text, absl::StrCat("grpc_server_handled_total{", kAccounts,
                                           ",grpc_method=\"Login\",grpc_code=\"OK\"}")),
            1);
  EXPECT_EQ(SampleValue(text, absl::StrCat("grpc_server_handled_total{", kAccounts,
                                           ",grpc_method=\"Login\",grpc_code=\"UNAUTHENTICATED\"}")),
            1);
  EXPECT_EQ(SampleValue(text, absl::StrCat("grpc_server_handling_seconds_count{", kAccounts,
                                           ",grpc_method=\"Login\"}")),
            2);
  EXPECT_EQ(SampleValue(text, absl::StrCat("grpc_server_handling_seconds_bucket{", kAccounts,
                                           ",grpc_method=\"Login\",le=\"+Inf\"}")),
            2);
  EXPECT_EQ(SampleValue(text, "quxiang_login_failures_total{reason=\"INVALID_CREDENTIALS\"}"), 1);
  EXPECT_GE(SampleValue(text, "quxiang_db_pool_open_connections{service=\"accounts\"}").value_or(0), 1);
  EXPECT_EQ(SampleValue(text, "quxiang_db_pool_waiting_requests{service=\"accounts\"}"), 0);
  EXPECT_EQ(SampleValue(text, "quxiang_outbox_backlog{service=\"accounts\"}"), 0);
  EXPECT_EQ(SampleValue(text, "quxiang_outbox_oldest_unsent_age_seconds{service=\"accounts\"}"), 0);
  EXPECT_EQ(SampleValue(text, "quxiang_ems_sync_lag_seconds"), 0);
}

TEST_F(MetricsExpositionTest, GatewayOutputPassesPromtool) {
  std::string text = ScrapeMetrics(gateway_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;

  std::string login = "route=\"/quxiang.accounts.v1.AccountsService/Login\",method=\"POST\"";
  EXPECT_EQ(SampleValue(text, absl::StrCat("http_requests_total{", login, ",code=\"200\"}")), 1);
  EXPECT_EQ(SampleValue(text, absl::StrCat("http_requests_total{", login, ",code=\"401\"}")), 1);
  EXPECT_EQ(SampleValue(text, "http_requests_total{route=\"api_unmatched\",method=\"GET\",code=\"404\"}"), 1);
  EXPECT_EQ(SampleValue(text, absl::StrCat("http_request_duration_seconds_count{", login, "}")), 2);
  // Raw paths never become label values.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("no-such-thing")));
}

TEST_F(MetricsExpositionTest, WarningOutputPassesPromtool) {
  if (warning_ == nullptr) GTEST_SKIP() << "services/warning is not built";
  std::string text = ScrapeMetrics(warning_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;
  EXPECT_THAT(text, HasSubstr("# TYPE quxiang_ems_sync_lag_seconds gauge\n"));
  EXPECT_EQ(SampleValue(text, "quxiang_outbox_backlog{service=\"warning\"}"), 0);
  EXPECT_GE(SampleValue(text, "quxiang_db_pool_open_connections{service=\"warning\"}").value_or(0), 1);
}

TEST_F(MetricsExpositionTest, SyncOutputPassesPromtool) {
  if (sync_ == nullptr) GTEST_SKIP() << "services/sync or tools/ems-simulator is not built";
  // The roster feed's first poll of the EMS shows that the background jobs run, each under its
  // named lock.
  std::string ems_text;
  const std::string poll = "grpc_server_handled_total{grpc_service=\"quxiang.ems.v1.EmsService\","
                           "grpc_method=\"ListRosterChanges\",grpc_code=\"OK\"}";
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline && SampleValue(ems_text, poll).value_or(0) < 1) {
    absl::SleepFor(absl::Milliseconds(100));
    ems_text = ScrapeMetrics(ems_->metrics_port);
  }
  ASSERT_GE(SampleValue(ems_text, poll).value_or(0), 1) << sync_->child->Log();

  std::string text = ScrapeMetrics(sync_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;

  EXPECT_THAT(text, HasSubstr("# TYPE quxiang_ems_sync_lag_seconds gauge\n"));
  EXPECT_EQ(SampleValue(text, "quxiang_ems_sync_lag_seconds"), 0);
  EXPECT_THAT(text, HasSubstr("# TYPE quxiang_outbox_backlog gauge\n"));
  EXPECT_TRUE(SampleValue(text, "quxiang_outbox_backlog{service=\"sync\"}").has_value()) << text;
  EXPECT_TRUE(SampleValue(text, "quxiang_outbox_oldest_unsent_age_seconds{service=\"sync\"}").has_value()) << text;
  EXPECT_GE(SampleValue(text, "quxiang_db_pool_open_connections{service=\"sync\"}").value_or(0), 1);
  EXPECT_TRUE(SampleValue(text, "quxiang_db_pool_in_use_connections{service=\"sync\"}").has_value()) << text;
  EXPECT_EQ(SampleValue(text, "quxiang_db_pool_waiting_requests{service=\"sync\"}"), 0);
  EXPECT_TRUE(SampleValue(text, "quxiang_db_pool_discarded_connections_total{service=\"sync\"}").has_value())
      << text;
  EXPECT_EQ(SampleValue(text, "grpc_server_handled_total{grpc_service=\"quxiang.sync.v1.SyncService\","
                              "grpc_method=\"ListCodeTables\",grpc_code=\"OK\"}"),
            1);
}

TEST_F(MetricsExpositionTest, SigningOutputPassesPromtool) {
  if (signing_ == nullptr) GTEST_SKIP() << "services/signing, services/sync or tools/ems-simulator is not built";
  std::string text = ScrapeMetrics(signing_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;
  EXPECT_GE(SampleValue(text, "quxiang_db_pool_open_connections{service=\"signing\"}").value_or(0), 1);
  EXPECT_EQ(SampleValue(text, "quxiang_db_pool_waiting_requests{service=\"signing\"}"), 0);
  EXPECT_EQ(SampleValue(text, "grpc_server_handled_total{grpc_service=\"quxiang.signing.v1.SigningService\","
                              "grpc_method=\"GetSigningSettings\",grpc_code=\"PERMISSION_DENIED\"}"),
            1);
}

TEST_F(MetricsExpositionTest, EmsSimulatorOutputPassesPromtool) {
  if (ems_ == nullptr) GTEST_SKIP() << "tools/ems-simulator is not built";
  std::string text = ScrapeMetrics(ems_->metrics_port);
  auto [status, output] = PromtoolCheckMetrics(text);
  EXPECT_EQ(status, 0) << output << "\n" << text;
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handled_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handling_seconds histogram\n"));
}

TEST(Promtool, RejectsBrokenExposition) {
  // Shows that the checks above can fail.
  ASSERT_STRNE(QUXIANG_PROMTOOL, "");
  auto [status, output] = PromtoolCheckMetrics("# TYPE x_total counter\nx_total{a=\"1\" 1\n");
  EXPECT_NE(status, 0) << output;
}

}  // namespace
}  // namespace quxiang::ops

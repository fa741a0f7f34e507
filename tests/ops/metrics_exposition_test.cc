// The live /metrics output of every process after some traffic: it must pass promtool's check
// and contain the series that the alerting rules in deploy/monitoring/alerts.yaml use.
#include "absl/strings/str_cat.h"
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
  }

  std::unique_ptr<OpsStack> stack_;
  Process* accounts_ = nullptr;
  Process* warning_ = nullptr;
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

TEST(Promtool, RejectsBrokenExposition) {
  // Shows that the checks above can fail.
  ASSERT_STRNE(QUXIANG_PROMTOOL, "");
  auto [status, output] = PromtoolCheckMetrics("# TYPE x_total counter\nx_total{a=\"1\" 1\n");
  EXPECT_NE(status, 0) << output;
}

}  // namespace
}  // namespace quxiang::ops

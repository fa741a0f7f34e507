// A rolling restart in miniature: two accounts replicas behind one gateway whose backend target
// lists both (round_robin), a bounded load of authenticated GETs through the gateway, and
// SIGTERM to one replica in the middle of it. Every request must succeed and the replica must
// exit 0 after draining.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/testing/http_client.h"
#include "tests/ops/ops_stack.h"

namespace quxiang::ops {
namespace {

// The load: bounded in count and in time.
constexpr int kThreads = 4;
constexpr int kRequestsPerThread = 400;
constexpr absl::Duration kLoadTimeLimit = absl::Seconds(90);

TEST(SigtermUnderLoad, NoRequestFailsWhileReplicaDrains) {
  std::unique_ptr<OpsStack> stack = OpsStack::Create("ops_sigterm");
  if (!stack) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";

  // A short drain delay (greater than 0) keeps the test fast; production uses 5 s.
  Process& leaving = stack->LaunchAccounts("accounts-1", {"--drain_delay_ms=300", "--shutdown_grace_ms=5000"});
  std::string failure;
  ASSERT_TRUE(stack->WaitReady(leaving, absl::Seconds(90), &failure)) << failure;
  Process& staying = stack->LaunchAccounts("accounts-2", {"--drain_delay_ms=300"});
  ASSERT_TRUE(stack->WaitReady(staying, absl::Seconds(90), &failure)) << failure;
  Process& gateway = stack->LaunchGateway(absl::StrCat("quxiang.accounts.v1.AccountsService=ipv4:127.0.0.1:",
                                                       leaving.port, ",127.0.0.1:", staying.port));
  ASSERT_TRUE(stack->WaitReady(gateway, absl::Seconds(30), &failure)) << failure;

  quxiang::testing::HttpClient login_client(gateway.port);
  auto login = login_client.Login("operator", kOperatorPassword);
  ASSERT_EQ(login.status, 200) << login.body;

  std::atomic<int> completed{0};
  std::atomic<int> completed_after_signal{0};
  std::atomic<bool> signalled{false};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  absl::Time deadline = absl::Now() + kLoadTimeLimit;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      quxiang::testing::HttpClient client(gateway.port);
      client.cookies() = login_client.cookies();
      for (int i = 0; i < kRequestsPerThread && absl::Now() < deadline; ++i) {
        quxiang::testing::HttpResponse response;
        try {
          response = client.Get("/v1/users/me");
        } catch (const std::exception& error) {
          response.status = 0;
          response.body = error.what();
        }
        if (response.status != 200) {
          std::lock_guard<std::mutex> lock(failures_mutex);
          failures.push_back(absl::StrCat("thread ", t, " request ", i, ": ", response.status, " ", response.body));
        }
        ++completed;
        if (signalled.load()) ++completed_after_signal;
      }
    });
  }

  // SIGTERM once a third of the load is done.
  while (completed.load() < kThreads * kRequestsPerThread / 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  leaving.child->Signal(SIGTERM);
  signalled = true;
  std::optional<int> exit_status = leaving.child->WaitExit(absl::Seconds(20));
  int completed_at_exit = completed.load();
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(completed.load(), kThreads * kRequestsPerThread) << "the load did not finish within its time limit";
  EXPECT_GT(completed_after_signal.load(), kThreads * kRequestsPerThread / 3)
      << "too few requests ran after the SIGTERM to show anything";
  // Requests ran during the drain and after the replica was gone, so both paths were taken.
  EXPECT_LT(completed_at_exit, kThreads * kRequestsPerThread) << "the load ended before the replica exited";
  EXPECT_TRUE(failures.empty()) << failures.size() << " requests failed, the first: " << failures.front();

  ASSERT_TRUE(exit_status.has_value()) << leaving.child->Log();
  EXPECT_EQ(*exit_status, 0) << leaving.child->Log();
  EXPECT_EQ(HealthStatus(staying.port), "SERVING");

  // Both replicas served part of the load, so round_robin was in effect.
  std::string prefix = "grpc_server_handled_total{grpc_service=\"quxiang.accounts.v1.AccountsService\","
                       "grpc_method=\"GetCurrentUser\",grpc_code=\"OK\"}";
  std::optional<double> staying_calls = SampleValue(ScrapeMetrics(staying.metrics_port), prefix);
  ASSERT_TRUE(staying_calls.has_value());
  EXPECT_GT(*staying_calls, 0);
  EXPECT_LT(*staying_calls, kThreads * kRequestsPerThread) << "the replica that left served nothing";
}

}  // namespace
}  // namespace quxiang::ops

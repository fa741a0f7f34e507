#include "libs/metrics/server.h"

#include <boost/asio/ip/tcp.hpp>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/http_client.h"
#include "libs/testing/process.h"

namespace quxiang::metrics {
namespace {

using ::testing::HasSubstr;

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.GetOrAddCounter("quxiang_test_calls_total", "Calls.", {"code"})
        .WithLabels({"OK"})
        .Increment(7);
    ServerOptions options;
    options.port = 0;
    auto server = MetricsServer::Start(options, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_NE(server_, nullptr);
  }

  Registry registry_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, ServesMetricsAsTextFormat) {
  quxiang::testing::HttpClient client(server_->port());
  auto response = client.Get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("quxiang_test_calls_total{code=\"OK\"} 7\n"));
}

TEST_F(MetricsServerTest, ServesCurrentValuesOnEveryScrape) {
  quxiang::testing::HttpClient client(server_->port());
  registry_.GetOrAddCounter("quxiang_test_calls_total", "Calls.", {"code"})
      .WithLabels({"OK"})
      .Increment();
  EXPECT_THAT(client.Get("/metrics?ignored=1").body,
              HasSubstr("quxiang_test_calls_total{code=\"OK\"} 8\n"));
}

TEST_F(MetricsServerTest, OtherPathIsNotFound) {
  quxiang::testing::HttpClient client(server_->port());
  EXPECT_EQ(client.Get("/").status, 404);
  EXPECT_EQ(client.Get("/metrics/extra").status, 404);
  EXPECT_EQ(client.Get("/v1/sessions").status, 404);
}

TEST_F(MetricsServerTest, OtherMethodIsNotAllowed) {
  quxiang::testing::HttpClient client(server_->port());
  auto response = client.Post("/metrics", "{}");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("Allow"), "GET");
}

TEST(MetricsServer, MinusOneDisablesEndpoint) {
  Registry registry;
  ServerOptions options;
  options.port = -1;
  auto server = MetricsServer::Start(options, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(*server, nullptr);
}

TEST(MetricsServer, RejectsInvalidSettings) {
  Registry registry;
  ServerOptions options;
  options.port = 70000;
  EXPECT_EQ(MetricsServer::Start(options, registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.port = -2;
  EXPECT_EQ(MetricsServer::Start(options, registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.port = 0;
  options.address = "not-an-address";
  EXPECT_EQ(MetricsServer::Start(options, registry).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsServer, PortInUseIsUnavailable) {
  Registry registry;
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  ServerOptions options;
  options.port = taken.local_endpoint().port();
  EXPECT_EQ(MetricsServer::Start(options, registry).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(MetricsServer, WritesPortFile) {
  Registry registry;
  ServerOptions options;
  options.port_file = quxiang::testing::MakeTempDir("qx-metrics") + "/port";
  auto server = MetricsServer::Start(options, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  int written = 0;
  std::ifstream(options.port_file) >> written;
  EXPECT_EQ(written, (*server)->port());
}

TEST(MetricsServer, UnwritablePortFileIsUnavailable) {
  Registry registry;
  ServerOptions options;
  options.port_file = "/nonexistent-folder/port";
  EXPECT_EQ(MetricsServer::Start(options, registry).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace quxiang::metrics

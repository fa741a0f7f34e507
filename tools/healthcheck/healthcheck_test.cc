// The healthcheck binary against a real gRPC server with the standard health service and a real
// HTTP endpoint (the /metrics listener).
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <boost/asio/ip/tcp.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/metrics/server.h"
#include "libs/testing/process.h"
#include "quxiang/testing/v1/echo.grpc.pb.h"

namespace quxiang::healthcheck {
namespace {

// Runs the healthcheck binary with `args`; returns its exit status, or -1 when it ran too long.
int RunProbe(const std::vector<std::string>& args, std::string* log = nullptr) {
  quxiang::testing::ChildProcess probe(QUXIANG_HEALTHCHECK_BINARY, args);
  std::optional<int> status = probe.WaitExit(absl::Seconds(15));
  if (log != nullptr) *log = probe.Log();
  return status.value_or(-1);
}

class GrpcProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    // gRPC refuses to start a server without a service of its own besides health.
    builder.RegisterService(&echo_);
    server_ = builder.BuildAndStart();
    ASSERT_GT(port_, 0);
    target_ = absl::StrCat("127.0.0.1:", port_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  quxiang::testing::v1::EchoService::CallbackService echo_;
  int port_ = 0;
  std::string target_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GrpcProbeTest, ServingServerIsHealthy) {
  std::string log;
  EXPECT_EQ(RunProbe({"--grpc=" + target_}, &log), 0) << log;
}

TEST_F(GrpcProbeTest, NotServingServiceIsUnhealthy) {
  server_->GetHealthCheckService()->SetServingStatus("quxiang.accounts.v1.AccountsService", false);
  std::string log;
  EXPECT_EQ(RunProbe({"--grpc=" + target_, "--service=quxiang.accounts.v1.AccountsService"}, &log), 1) << log;
  EXPECT_NE(log.find("NOT_SERVING"), std::string::npos) << log;
}

TEST_F(GrpcProbeTest, DrainingServerIsUnhealthy) {
  server_->GetHealthCheckService()->SetServingStatus(false);
  EXPECT_EQ(RunProbe({"--grpc=" + target_}), 1);
}

TEST_F(GrpcProbeTest, UnknownServiceIsUnhealthy) {
  std::string log;
  EXPECT_EQ(RunProbe({"--grpc=" + target_, "--service=no.such.Service"}, &log), 1) << log;
}

TEST(GrpcProbe, ClosedPortIsUnhealthy) {
  boost::asio::io_context io;
  int free_port = 0;
  {
    boost::asio::ip::tcp::acceptor probe_port(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    free_port = probe_port.local_endpoint().port();
  }
  EXPECT_EQ(RunProbe({absl::StrCat("--grpc=127.0.0.1:", free_port), "--timeout_ms=500"}), 1);
}

TEST(GrpcProbe, SilentServerTimesOut) {
  // Accepts TCP connections but never speaks HTTP/2.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  absl::Time started = absl::Now();
  std::string log;
  EXPECT_EQ(RunProbe({absl::StrCat("--grpc=127.0.0.1:", silent.local_endpoint().port()), "--timeout_ms=300"},
                     &log),
            1)
      << log;
  EXPECT_LT(absl::Now() - started, absl::Seconds(10));
}

class HttpProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.GetOrAddGauge("quxiang_test_up", "Up.").WithLabels({}).Set(1);
    auto server = metrics::MetricsServer::Start(metrics::ServerOptions{}, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    base_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }

  metrics::Registry registry_;
  std::unique_ptr<metrics::MetricsServer> server_;
  std::string base_;
};

TEST_F(HttpProbeTest, SuccessStatusIsHealthy) {
  std::string log;
  EXPECT_EQ(RunProbe({"--http=" + base_ + "/metrics"}, &log), 0) << log;
}

TEST_F(HttpProbeTest, ErrorStatusIsUnhealthy) {
  std::string log;
  EXPECT_EQ(RunProbe({"--http=" + base_ + "/healthz"}, &log), 1) << log;
  EXPECT_NE(log.find("404"), std::string::npos) << log;
}

TEST(Arguments, InvalidArgumentsExitTwo) {
  EXPECT_EQ(RunProbe({}), 2);
  EXPECT_EQ(RunProbe({"--grpc=127.0.0.1:1", "--http=http://127.0.0.1:1/"}), 2);
  EXPECT_EQ(RunProbe({"--grpc=127.0.0.1:1", "--timeout_ms=0"}), 2);
  EXPECT_EQ(RunProbe({"--grpc=127.0.0.1:1", "extra"}), 2);
  EXPECT_EQ(RunProbe({"--http=https://127.0.0.1:8080/healthz"}), 2);
  EXPECT_EQ(RunProbe({"--http=http://127.0.0.1/healthz"}), 2);
  EXPECT_EQ(RunProbe({"--http=http://127.0.0.1:99999/healthz"}), 2);
}

}  // namespace
}  // namespace quxiang::healthcheck

// Serves quxiang.testing.v1.EchoService, for benchmarks and manual tests of the gateway.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "services/gateway/testing/echo_service.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_address, "127.0.0.1", "IP address the gRPC server listens on.");
ABSL_FLAG(int, grpc_port, 50099, "TCP port of the gRPC server; 0 picks a free port.");
ABSL_FLAG(std::string, port_file, "",
          "When set, the bound gRPC port is written to this file once the server listens.");

int main(int argc, char** argv) {
  quxiang::config::ParseFlagsAndEnvironment(argc, argv, "echo-server: quxiang.testing.v1.EchoService");
  quxiang::logging::Init("echo-server");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  quxiang::gateway::EchoServiceImpl service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  std::string address =
      absl::StrCat(absl::GetFlag(FLAGS_grpc_address), ":", absl::GetFlag(FLAGS_grpc_port));
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  // UploadFile takes files of 10 MiB and more, over gRPC's default 4 MiB.
  builder.SetMaxReceiveMessageSize(32 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::critical("cannot listen on {}", address);
    return 1;
  }

  std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    std::string temporary = absl::StrCat(port_file, ".tmp");
    std::ofstream(temporary, std::ios::trunc) << port << "\n";
    std::error_code error;
    std::filesystem::rename(temporary, port_file, error);
    if (error) {
      spdlog::critical("cannot write --port_file {}: {}", port_file, error.message());
      return 1;
    }
  }
  spdlog::info("echo-server listening on {}:{}", absl::GetFlag(FLAGS_grpc_address), port);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}; shutting down", signal_number);
  server->GetHealthCheckService()->SetServingStatus(false);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

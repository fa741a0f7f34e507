// ems-simulator: a development and test stand-in for the national employment management system
// (EMS), with fault injection. Never part of a production deployment.
#include <cstdint>
#include <memory>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "libs/clock/clock.h"
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "spdlog/spdlog.h"
#include "tools/ems-simulator/grpc_service.h"
#include "tools/ems-simulator/simulator.h"

ABSL_DECLARE_FLAG(std::string, token_public_key_files);

ABSL_FLAG(uint64_t, seed, 1, "Seed of the random draws behind failure_ratio and lost_ack_ratio; the same seed repeats a run.");
ABSL_FLAG(int64_t, max_upload_bytes, 64 << 20,
          "Largest request message accepted, in bytes, so that a roster file of a large school fits in one "
          "UploadRoster call (1 to 1073741824).");

int main(int argc, char** argv) {
  quxiang::server::BlockTerminationSignals();
  quxiang::config::ParseFlagsAndEnvironment(argc, argv,
                                            "ems-simulator: a stand-in for the national employment management system");
  quxiang::logging::Init("ems-simulator");

  // Calls need no identity token (the real EMS has its own authentication), but a call that
  // carries one, such as a console user's call through the gateway, is verified, which needs
  // the keys when --token_public_key_files names them.
  quxiang::server::RuntimeOptions runtime_options = quxiang::server::RuntimeOptionsFromFlags();
  std::unique_ptr<quxiang::identity::TokenVerifier> verifier;
  if (!absl::GetFlag(FLAGS_token_public_key_files).empty()) {
    auto loaded = quxiang::server::VerifierFromFlags();
    if (!loaded.ok()) {
      spdlog::critical("loading the token public keys failed: {} {}", quxiang::ErrorReason(loaded.status()),
                       std::string(loaded.status().message()));
      return 1;
    }
    verifier = *std::move(loaded);
    runtime_options.verifier = verifier.get();
  }

  quxiang::ems_simulator::EmsSimulator simulator(quxiang::Clock::Real(), absl::GetFlag(FLAGS_seed));
  quxiang::server::Runtime runtime(runtime_options);
  quxiang::ems_simulator::EmsGrpcService ems_service(simulator, runtime);
  quxiang::ems_simulator::EmsSimulatorControlGrpcService control_service(simulator, runtime);
  quxiang::server::ServeOptions serve_options = quxiang::server::ServeOptionsFromFlags();
  int64_t max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  if (max_upload_bytes < 1 || max_upload_bytes > (int64_t{1} << 30)) {
    spdlog::critical("--max_upload_bytes={} is invalid: use 1 to 1073741824", max_upload_bytes);
    return 1;
  }
  serve_options.max_receive_message_bytes = static_cast<int>(max_upload_bytes);
  return quxiang::server::Serve(serve_options, {&ems_service, &control_service}, runtime);
}

// healthcheck: exits 0 when a gRPC server reports SERVING or an HTTP endpoint returns a 2xx status, so
// that docker-compose and other supervisors can probe the services without grpc_health_probe,
// which Debian does not package.
//
//   healthcheck --grpc=127.0.0.1:50051 [--service=NAME] [--timeout_ms=2000]
//   healthcheck --http=http://127.0.0.1:8080/healthz [--timeout_ms=2000]
//
// Exit status: 0 healthy, 1 unhealthy or unreachable, 2 invalid arguments.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/healthcheck/probe.h"

// The flags are read from the command line only, never from the environment, because a probe
// runs inside a service's container and must not pick up that service's settings.
ABSL_FLAG(std::string, grpc, "", "gRPC target (host:port) to send grpc.health.v1.Health/Check to.");
ABSL_FLAG(std::string, service, "", "Service name for the gRPC check; empty checks the whole server.");
ABSL_FLAG(std::string, http, "", "URL (http://host:port/path) to GET instead; any 2xx status is healthy.");
ABSL_FLAG(int, timeout_ms, 2000, "Deadline of the check in milliseconds.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "exits 0 when --grpc reports SERVING or --http returns a 2xx status, 1 when not, 2 on invalid arguments");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);

  std::string grpc_target = absl::GetFlag(FLAGS_grpc);
  std::string url = absl::GetFlag(FLAGS_http);
  int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (positional.size() > 1 || grpc_target.empty() == url.empty() || timeout_ms <= 0) {
    std::fprintf(stderr,
                 "healthcheck: give exactly one of --grpc=host:port or --http=URL, a positive "
                 "--timeout_ms and no other arguments\n");
    return 2;
  }

  absl::Duration timeout = absl::Milliseconds(timeout_ms);
  absl::Status status = grpc_target.empty()
                            ? quxiang::healthcheck::CheckHttp(url, timeout)
                            : quxiang::healthcheck::CheckGrpc(grpc_target, absl::GetFlag(FLAGS_service), timeout);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "healthcheck: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "healthcheck: unhealthy: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("healthy\n");
  return 0;
}

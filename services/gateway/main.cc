// The HTTP/JSON gateway: serves the web console and maps /v1 requests to the gRPC services by
// the google.api.http options of their protos.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/metrics/server.h"
#include "services/gateway/gateway.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, http_address, "127.0.0.1", "IP address the HTTP server listens on.");
ABSL_FLAG(int, http_port, 8080, "TCP port of the HTTP server; 0 picks a free port.");
ABSL_FLAG(std::string, port_file, "",
          "When set, the bound HTTP port is written to this file once the server listens.");
ABSL_FLAG(std::string, backends,
          "quxiang.accounts.v1.AccountsService=127.0.0.1:50051",
          "Comma-separated Service=target pairs: the full gRPC service name and its address "
          "(host:port, dns:///host:port, or an address list such as "
          "ipv4:127.0.0.1:50051,127.0.0.1:50052).");
ABSL_FLAG(std::string, web_root, "web/placeholder",
          "Folder of the built web console, served for every path outside /v1.");
ABSL_FLAG(int, threads, 2, "Number of HTTP I/O threads.");
ABSL_FLAG(int64_t, max_body_bytes, 1 << 20, "Largest request body accepted, in bytes (413 above).");
ABSL_FLAG(int64_t, max_upload_bytes, (10 << 20) + (64 << 10),
          "Largest request body accepted on a file upload route, whose body field is a "
          "quxiang.common.v1.HttpFile, in bytes (413 above). The default is 64 KiB over 10 MiB, "
          "so a service with a 10 MiB file limit rejects larger files with its own message.");
ABSL_FLAG(int64_t, max_header_bytes, 16384,
          "Largest request line plus header block accepted, in bytes (431 above).");
ABSL_FLAG(int64_t, default_deadline_ms, 15000,
          "Deadline of a backend call in milliseconds; a client may shorten it with the "
          "X-Timeout-Ms header.");
ABSL_FLAG(int64_t, stream_deadline_seconds, 600,
          "Deadline of a backend call that streams a file download, in seconds; the whole "
          "download must finish within it. A client may shorten it with X-Timeout-Ms.");
ABSL_FLAG(int64_t, identity_cache_seconds, 60,
          "How long an identity token is reused for a session before it is refreshed, in "
          "seconds; never past the token's expiry.");
ABSL_FLAG(bool, cookie_secure, false,
          "Add the Secure attribute to the session cookies; set it whenever clients use HTTPS.");
ABSL_FLAG(int64_t, read_timeout_seconds, 30,
          "Time allowed for the next whole request on a connection, in seconds; idle keep-alive "
          "connections are closed after it.");
ABSL_FLAG(int64_t, shutdown_grace_seconds, 10,
          "On SIGTERM or SIGINT, how long requests in flight may take to finish, in seconds.");

namespace {

// Writes through a temporary file and a rename, so that a reader never sees a partial number.
bool WritePortFile(const std::string& path, int port) {
  std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  return !error;
}

}  // namespace

int main(int argc, char** argv) {
  quxiang::config::ParseFlagsAndEnvironment(
      argc, argv, "gateway: HTTP/JSON to gRPC gateway and web console server");
  quxiang::logging::Init("gateway");

  // Blocked before any thread starts, so that every thread inherits the mask and the main thread
  // alone receives the signals in sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  quxiang::gateway::GatewayOptions options;
  options.http.address = absl::GetFlag(FLAGS_http_address);
  options.http.port = absl::GetFlag(FLAGS_http_port);
  options.http.threads = absl::GetFlag(FLAGS_threads);
  options.http.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  options.http.max_upload_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_upload_bytes));
  options.http.max_header_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_header_bytes));
  options.http.read_timeout = absl::Seconds(absl::GetFlag(FLAGS_read_timeout_seconds));
  options.backends = absl::GetFlag(FLAGS_backends);
  options.web_root = absl::GetFlag(FLAGS_web_root);
  options.default_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_default_deadline_ms));
  options.stream_deadline = absl::Seconds(absl::GetFlag(FLAGS_stream_deadline_seconds));
  options.identity_cache_max_age = absl::Seconds(absl::GetFlag(FLAGS_identity_cache_seconds));
  options.cookie_secure = absl::GetFlag(FLAGS_cookie_secure);

  if (options.http.threads < 1 || absl::GetFlag(FLAGS_max_body_bytes) <= 0 ||
      absl::GetFlag(FLAGS_max_upload_bytes) <= 0 || absl::GetFlag(FLAGS_max_header_bytes) <= 0 ||
      options.default_deadline <= absl::ZeroDuration() ||
      options.stream_deadline <= absl::ZeroDuration()) {
    spdlog::critical("invalid flags: --threads, --max_body_bytes, --max_upload_bytes, "
                     "--max_header_bytes, --default_deadline_ms and --stream_deadline_seconds "
                     "must be positive");
    return 2;
  }
  // gRPC message sizes are int, and the backend channels need room for the other fields.
  constexpr int64_t kMaxUploadLimit = 1 << 30;
  if (absl::GetFlag(FLAGS_max_upload_bytes) > kMaxUploadLimit) {
    spdlog::critical("invalid flag: --max_upload_bytes={} exceeds {}",
                     absl::GetFlag(FLAGS_max_upload_bytes), kMaxUploadLimit);
    return 2;
  }
  if (!std::filesystem::is_regular_file(std::filesystem::path(options.web_root) / "index.html")) {
    spdlog::warn("--web_root {} has no index.html; the console and other static files return 404",
                 options.web_root);
  }

  auto gateway = quxiang::gateway::Gateway::Start(options);
  if (!gateway.ok()) {
    spdlog::critical("gateway failed to start: {}", std::string(gateway.status().message()));
    return 1;
  }

  auto metrics_server = quxiang::metrics::MetricsServer::Start(
      quxiang::metrics::ServerOptionsFromFlags(), quxiang::metrics::Registry::Default());
  if (!metrics_server.ok()) {
    spdlog::critical("gateway failed to start: {}", std::string(metrics_server.status().message()));
    return 1;
  }

  std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, (*gateway)->port())) {
    spdlog::critical("cannot write --port_file {}", port_file);
    return 1;
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received signal {}; draining", signal_number);
  (*gateway)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  gateway->reset();
  spdlog::info("gateway stopped");
  return 0;
}

// The /metrics endpoint: a small HTTP/1.1 listener on its own port and thread, apart from the
// gRPC and public HTTP ports. Prometheus can then scrape a process that is overloaded or
// draining, and the endpoint is never reachable through the gateway.
//
// It responds to GET /metrics with Registry::Render() as text/plain; version=0.0.4, 404 for any
// other path and 405 for any other method.
#ifndef QUXIANG_LIBS_METRICS_SERVER_H_
#define QUXIANG_LIBS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/metrics/metrics.h"

namespace quxiang::metrics {

struct ServerOptions {
  std::string address = "127.0.0.1";
  // 0 picks a free port; -1 disables the endpoint.
  int port = 0;
  // When set, the bound port is written there once the endpoint listens.
  std::string port_file;
};

// Reads ServerOptions from --metrics_address, --metrics_port and --metrics_port_file.
ServerOptions ServerOptionsFromFlags();

class MetricsServer {
 public:
  // Binds and starts serving `registry`, which must outlive the server. Returns nullptr when
  // options.port is -1, INVALID_ARGUMENT for a port outside -1..65535 or an invalid address,
  // and UNAVAILABLE when the address cannot be bound or the port file cannot be written.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const ServerOptions& options,
                                                              const Registry& registry);
  ~MetricsServer();

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const;

 private:
  class Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quxiang::metrics

#endif  // QUXIANG_LIBS_METRICS_SERVER_H_

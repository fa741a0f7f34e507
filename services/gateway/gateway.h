// The gateway process's parts put together: backend channels, the route table, the identity
// cache, the /v1 API handler, static files, health endpoints and the HTTP server.
#ifndef QUXIANG_SERVICES_GATEWAY_GATEWAY_H_
#define QUXIANG_SERVICES_GATEWAY_GATEWAY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/api_handler.h"
#include "services/gateway/backends.h"
#include "services/gateway/http_server.h"
#include "services/gateway/identity_cache.h"
#include "services/gateway/route_table.h"
#include "services/gateway/static_files.h"

namespace quxiang::gateway {

struct GatewayOptions {
  HttpServerOptions http;
  // "Service=target,..." as --backends takes it.
  std::string backends;
  std::string web_root = "web/placeholder";
  absl::Duration default_deadline = absl::Seconds(15);
  // Deadline of a call that streams a file to the client.
  absl::Duration stream_deadline = absl::Minutes(10);
  absl::Duration identity_cache_max_age = absl::Seconds(60);
  bool cookie_secure = false;
};

class Gateway {
 public:
  // Builds the routes of every configured backend, creates the channels and starts serving.
  // Returns INVALID_ARGUMENT for a bad --backends value or google.api.http rule, and UNAVAILABLE
  // when the HTTP address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayOptions& options);

  ~Gateway();

  int port() const { return server_->port(); }
  const RouteTable& routes() const { return routes_; }

  // Stops accepting, waits up to `grace` for requests in flight, then cancels the backend calls
  // still running. Safe to call more than once.
  void Shutdown(absl::Duration grace);

 private:
  explicit Gateway(const GatewayOptions& options);

  void Dispatch(std::shared_ptr<HttpRequest> request, Responder respond);
  void ServeStatic(const HttpRequest& request, const std::string& request_id,
                   const Responder& respond);
  void ServeReadiness(const Responder& respond);

  const GatewayOptions options_;
  // Destroyed last: the API handler's callbacks post to the server's I/O context.
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<BackendPool> backends_;
  RouteTable routes_;
  std::unique_ptr<IdentityCache> identities_;
  std::unique_ptr<ApiHandler> api_;
  std::unique_ptr<StaticFiles> static_files_;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_GATEWAY_H_

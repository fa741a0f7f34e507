#include "services/gateway/gateway.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "libs/metrics/metrics.h"
#include "services/gateway/request_id.h"
#include "spdlog/spdlog.h"

namespace quxiang::gateway {
namespace {

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

bool IsApiPath(absl::string_view path) {
  return path == "/v1" || absl::StartsWith(path, "/v1/");
}

// The route label of a request: the gRPC method that served it, or the kind of response. Both
// come from fixed sets, unlike raw paths, which carry ids and whatever a client sends.
std::string RouteLabel(absl::string_view path, const HttpResponse& response) {
  if (!response.backend_method.empty()) return response.backend_method;
  if (path == "/healthz" || path == "/readyz") return std::string(path);
  if (IsApiPath(path)) return "api_unmatched";
  return "static";
}

// Methods outside the standard set count as "OTHER", for the same reason.
std::string MethodLabel(const std::string& method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return method;
  }
  return "OTHER";
}

void RecordRequest(const std::string& method, const std::string& route, int status,
                   absl::Duration duration) {
  static metrics::Family<metrics::Counter>& requests = metrics::Registry::Default().GetOrAddCounter(
      "http_requests_total", "HTTP requests answered, by route, method and status code.",
      {"route", "method", "code"});
  static metrics::Family<metrics::Histogram>& seconds =
      metrics::Registry::Default().GetOrAddHistogram(
          "http_request_duration_seconds",
          "Time from reading an HTTP request to handing over its response, in seconds.",
          {"route", "method"}, metrics::DefaultLatencyBuckets());
  std::string method_label = MethodLabel(method);
  requests.WithLabels({route, method_label, std::to_string(status)}).Increment();
  seconds.WithLabels({route, method_label}).Observe(absl::ToDoubleSeconds(duration));
}

}  // namespace

Gateway::Gateway(const GatewayOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options) {
  std::unique_ptr<Gateway> gateway(new Gateway(options));

  absl::StatusOr<std::vector<BackendTarget>> targets = ParseBackends(options.backends);
  if (!targets.ok()) return targets.status();
  // The headroom beyond the upload limit is for the other fields of the request message.
  int64_t max_message_bytes =
      std::max<int64_t>(BackendPool::kMinMaxMessageBytes,
                        static_cast<int64_t>(options.http.max_upload_bytes) + (1 << 20));
  absl::StatusOr<std::unique_ptr<BackendPool>> backends = BackendPool::Create(
      *targets, static_cast<int>(std::min<int64_t>(max_message_bytes, INT_MAX)));
  if (!backends.ok()) return backends.status();
  gateway->backends_ = *std::move(backends);

  for (const BackendTarget& target : gateway->backends_->targets()) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(target.service);
    if (absl::Status status = gateway->routes_.AddService(*service); !status.ok()) return status;
    spdlog::info("backend {} at {}", target.service, target.target);
  }
  if (gateway->backends_->StubFor(kAccountsService) == nullptr) {
    spdlog::warn("--backends names no {}: session cookies are ignored and login is unavailable",
                 kAccountsService);
  }

  gateway->identities_ = std::make_unique<IdentityCache>(options.identity_cache_max_age);
  gateway->api_ = std::make_unique<ApiHandler>(
      gateway->routes_, *gateway->backends_, *gateway->identities_,
      ApiOptions{options.default_deadline, options.stream_deadline, options.cookie_secure});
  gateway->static_files_ = std::make_unique<StaticFiles>(options.web_root);

  Gateway* self = gateway.get();
  HttpServerOptions http_options = options.http;
  http_options.is_upload = [self](absl::string_view method, absl::string_view target) {
    RouteMatch match = self->routes_.Match(method, target.substr(0, target.find('?')));
    return match.route != nullptr && match.route->upload_field != nullptr;
  };
  gateway->server_ = std::make_unique<HttpServer>(
      http_options, [self](std::shared_ptr<HttpRequest> request, Responder respond) {
        self->Dispatch(std::move(request), std::move(respond));
      });
  if (absl::Status status = gateway->server_->Start(); !status.ok()) return status;
  spdlog::info("gateway listening on {}:{} with {} routes, web root {}", options.http.address,
               gateway->port(), gateway->routes_.routes().size(),
               gateway->static_files_->root().string());
  return gateway;
}

Gateway::~Gateway() { Shutdown(absl::ZeroDuration()); }

void Gateway::Shutdown(absl::Duration grace) {
  if (server_ != nullptr) server_->Shutdown(grace);
  if (api_ != nullptr) api_->CancelAll();
}

void Gateway::Dispatch(std::shared_ptr<HttpRequest> request, Responder respond) {
  const std::string* client_id = request->FindHeader("x-request-id");
  std::string request_id =
      client_id != nullptr && IsValidRequestId(*client_id) ? *client_id : NewRequestId();

  // Every response passes here once: common headers and the access log line. The log has the
  // path without the query string, which may hold personal data, and never bodies or cookies.
  Responder finish = [respond = std::move(respond), request_id, start = absl::Now(),
                      method = request->method,
                      path = std::string(request->path())](HttpResponse response) {
    response.headers.emplace_back("X-Request-Id", request_id);
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    spdlog::info("http {} {} status={} duration_ms={:.1f} request_id={} backend={}", method, path,
                 response.status, absl::ToDoubleMilliseconds(absl::Now() - start), request_id,
                 response.backend_method.empty() ? "-" : response.backend_method);
    RecordRequest(method, RouteLabel(path, response), response.status, absl::Now() - start);
    respond(std::move(response));
  };

  if (request->transport_error.has_value()) {
    finish(ErrorHttpResponse(*request->transport_error, request_id));
    return;
  }

  absl::string_view path = request->path();
  if (path == "/healthz") {
    finish(TextResponse(200, "ok\n"));
  } else if (path == "/readyz") {
    ServeReadiness(finish);
  } else if (IsApiPath(path)) {
    api_->Handle(std::move(request), request_id, std::move(finish));
  } else {
    ServeStatic(*request, request_id, finish);
  }
}

void Gateway::ServeReadiness(const Responder& respond) {
  if (backends_->AllConnected()) {
    respond(TextResponse(200, "ready\n"));
  } else {
    respond(TextResponse(503, "not ready: a backend channel is not connected\n"));
  }
}

void Gateway::ServeStatic(const HttpRequest& request, const std::string& request_id,
                          const Responder& respond) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = ErrorHttpResponse(
        MethodNotAllowed(request.method, request.path(), {"GET", "HEAD"}), request_id);
    response.headers.emplace_back("Allow", "GET, HEAD");
    respond(std::move(response));
    return;
  }

  absl::StatusOr<StaticFile> file = static_files_->Find(request.path());
  if (!file.ok()) {
    respond(ErrorHttpResponse(FileNotFound(request.path()), request_id));
    return;
  }
  HttpResponse response;
  response.headers.emplace_back("Content-Type", file->content_type);
  response.headers.emplace_back("Cache-Control", file->cache_control);
  response.body = std::move(file->content);
  respond(std::move(response));
}

}  // namespace quxiang::gateway

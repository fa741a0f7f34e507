// Transport-neutral HTTP request and response, so that routing, transcoding and sessions can be
// tested without sockets.
#ifndef QUXIANG_SERVICES_GATEWAY_HTTP_TYPES_H_
#define QUXIANG_SERVICES_GATEWAY_HTTP_TYPES_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/gateway/http_error.h"

namespace quxiang::gateway {

struct HttpRequest {
  std::string method;
  // The request target as sent: path and optional "?query".
  std::string target;
  // Header names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // IP address of the TCP peer.
  std::string peer_address;
  // Set by the HTTP server when the request could not be read whole, because it was too large or
  // malformed. The gateway sends this error as the response, then the server closes the connection.
  std::optional<HttpError> transport_error;

  // The first header named `lower_case_name`, or nullptr.
  const std::string* FindHeader(absl::string_view lower_case_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_case_name) return &value;
    }
    return nullptr;
  }
  absl::string_view path() const {
    absl::string_view view(target);
    return view.substr(0, view.find('?'));
  }
  absl::string_view query() const {
    absl::string_view view(target);
    size_t mark = view.find('?');
    return mark == absl::string_view::npos ? absl::string_view() : view.substr(mark + 1);
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The gRPC method that served the request, for the access log only.
  std::string backend_method;
};

// Completes a request. Callable from any thread; callers must call it exactly once.
using Responder = std::function<void(HttpResponse)>;

// A JSON response that no cache may store, because API responses hold personal data.
inline HttpResponse JsonHttpResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

inline HttpResponse ErrorHttpResponse(const HttpError& error, absl::string_view request_id) {
  HttpResponse response = JsonHttpResponse(error.http_status, ErrorBodyJson(error, request_id));
  if (error.http_status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_HTTP_TYPES_H_

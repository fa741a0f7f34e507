// Transport-neutral HTTP request and response, so that routing, transcoding and sessions can be
// tested without sockets.
#ifndef QUXIANG_SERVICES_GATEWAY_HTTP_TYPES_H_
#define QUXIANG_SERVICES_GATEWAY_HTTP_TYPES_H_

#include <functional>
#include <memory>
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

// One part of a response body that arrives in parts.
struct BodyChunk {
  enum class Kind {
    kData,
    // The body is complete.
    kEnd,
    // The source failed. The body is incomplete and the connection must be closed without the
    // final chunk, so that the client sees a truncated download and not a complete file.
    kFailed,
  };
  Kind kind = Kind::kData;
  std::string data;
};

// The source of a response body written with chunked transfer encoding.
class BodyStream {
 public:
  virtual ~BodyStream() = default;

  // Requests the next part. `deliver` runs exactly once, on any thread, possibly before Read
  // returns. The HTTP server calls Read again only after it has written the previous part to
  // the socket, so a slow client holds back the source instead of filling memory.
  virtual void Read(std::function<void(BodyChunk)> deliver) = 0;

  // Stops the source because the response cannot be completed: the client is gone, a write
  // failed or the server is closing. The server calls neither Read nor Cancel afterwards.
  virtual void Cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // The whole body, or with `body_stream` set, its first part.
  std::string body;
  // Set for a body that arrives in parts: the server writes `body` and then every part of the
  // stream with chunked transfer encoding, and ignores any Content-Length header.
  std::shared_ptr<BodyStream> body_stream;
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

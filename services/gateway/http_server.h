// HTTP/1.1 server on Boost.Beast: accepts connections, reads requests within the size and time
// limits, hands each to a handler and writes the response the handler completes, possibly later
// and from another thread. Keep-alive is supported; pipelined requests are served one by one.
#ifndef QUXIANG_SERVICES_GATEWAY_HTTP_SERVER_H_
#define QUXIANG_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/gateway/http_types.h"

namespace quxiang::gateway {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  // 0 picks a free port; port() then returns it.
  int port = 8080;
  int threads = 2;
  size_t max_header_bytes = 16384;
  size_t max_body_bytes = 1 << 20;
  // Body limit of the requests for which `is_upload` returns true, in place of max_body_bytes.
  size_t max_upload_bytes = (10 << 20) + (64 << 10);
  // Called with the method and target once the header is read. Unset means no upload requests.
  std::function<bool(absl::string_view method, absl::string_view target)> is_upload;
  // Time allowed for the whole next request on a connection, counted from the connection's start
  // or from the end of the previous response. An idle keep-alive connection is closed after it.
  absl::Duration read_timeout = absl::Seconds(30);
  // Time allowed to write one response, or one part of a streamed response.
  absl::Duration write_timeout = absl::Seconds(30);
};

// Receives each request and must complete `respond` exactly once, from any thread. A request
// with transport_error set needs a response too; the connection is closed afterwards.
using HttpHandler = std::function<void(std::shared_ptr<HttpRequest> request, Responder respond)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Returns UNAVAILABLE when the address cannot be
  // bound.
  absl::Status Start();

  // The bound port, valid after Start.
  int port() const { return port_; }

  // Stops accepting, closes idle connections, waits up to `grace` for requests in flight to be
  // written, then closes the remaining connections and joins the I/O threads.
  void Shutdown(absl::Duration grace);

  // Requests read whose response is not written yet.
  int requests_in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_HTTP_SERVER_H_

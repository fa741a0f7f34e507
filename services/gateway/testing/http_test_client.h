// A small blocking HTTP/1.1 client on Boost.Beast for the gateway's tests.
#ifndef QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_
#define QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace quxiang::gateway {

struct ClientResponse {
  // 0 when the request failed at the transport level; `transport_error` then contains the cause.
  int status = 0;
  std::string transport_error;
  // Header names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `lower_case_name`, or "" when absent.
  std::string Header(const std::string& lower_case_name) const;
  // Every header named `lower_case_name`, for Set-Cookie.
  std::vector<std::string> Headers(const std::string& lower_case_name) const;
};

// Sends one request on a new connection to 127.0.0.1:`port` and reads the response. A body
// goes with Content-Type application/json unless `headers` names another.
ClientResponse SendHttp(int port, const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends `raw` unchanged on a new connection, for requests the other helpers cannot build, and
// reads one response. `raw` may end before the body does.
ClientResponse SendRawHttp(int port, const std::string& raw);

// Sends a POST with "Expect: 100-continue": the headers first, then, once the server has sent its
// interim response, the body. Returns the interim status (100 expected) and the final response.
std::pair<int, ClientResponse> SendHttpExpectContinue(int port, const std::string& target,
                                                      const std::string& body);

// Connects, sends nothing, and returns true when the server closes the connection within
// `limit_ms` milliseconds.
bool ServerClosesIdleConnection(int port, int limit_ms);

// A response body read as it arrives, without holding it.
struct StreamedDownload {
  // 0 when no response header arrived; `transport_error` then contains the cause.
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // True when the body ended where its framing puts the end: the last chunk of a chunked
  // body, or all of Content-Length. False for a truncated body, with the cause in
  // `transport_error`.
  bool complete = false;
  std::string transport_error;
  uint64_t size = 0;
  // Lower-case hex SHA-256 of the body bytes received.
  std::string sha256;
  // The first 64 KiB of the body, for error responses.
  std::string body_prefix;

  std::string Header(const std::string& lower_case_name) const;
};

// Sends a GET and reads the body in pieces of at most 64 KiB, hashing them. After the header
// it waits `pause_after_header` before reading the body, as a slow client would.
StreamedDownload DownloadHttp(int port, const std::string& target,
                              std::chrono::milliseconds pause_after_header =
                                  std::chrono::milliseconds(0));

// A GET whose client reads the response header and then stops reading, as a stalled or closed
// browser tab would.
class StalledDownload {
 public:
  // Connects, sends the request and reads the response header.
  StalledDownload(int port, const std::string& target);
  ~StalledDownload();

  // The response status, or 0 when no header arrived.
  int status() const { return status_; }
  // Closes the connection with the rest of the body unread, which resets it.
  void Close();

 private:
  struct Connection;
  std::unique_ptr<Connection> connection_;
  int status_ = 0;
};

// Sends several requests over one keep-alive connection, in order, and returns the responses.
std::vector<ClientResponse> SendHttpKeepAlive(int port, const std::vector<std::string>& targets);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_

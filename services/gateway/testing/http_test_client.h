// A small blocking HTTP/1.1 client on Boost.Beast for the gateway's tests.
#ifndef QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_
#define QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_

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

// Sends one request on a new connection to 127.0.0.1:`port` and reads the response.
ClientResponse SendHttp(int port, const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends a POST with "Expect: 100-continue": the headers first, then, once the server has sent its
// interim response, the body. Returns the interim status (100 expected) and the final response.
std::pair<int, ClientResponse> SendHttpExpectContinue(int port, const std::string& target,
                                                      const std::string& body);

// Connects, sends nothing, and returns true when the server closes the connection within
// `limit_ms` milliseconds.
bool ServerClosesIdleConnection(int port, int limit_ms);

// Sends several requests over one keep-alive connection, in order, and returns the responses.
std::vector<ClientResponse> SendHttpKeepAlive(int port, const std::vector<std::string>& targets);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_TESTING_HTTP_TEST_CLIENT_H_

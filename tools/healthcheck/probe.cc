#include "tools/healthcheck/probe.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "grpc/health/v1/health.grpc.pb.h"

namespace quxiang::healthcheck {

absl::Status CheckGrpc(const std::string& target, const std::string& service, absl::Duration timeout) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("health check of ", target, " failed: ", status.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(
        target, " is ", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())));
  }
  return absl::OkStatus();
}

absl::Status CheckHttp(const std::string& url, absl::Duration timeout) {
  namespace beast = boost::beast;
  namespace http = boost::beast::http;
  using tcp = boost::asio::ip::tcp;

  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL \"", url, "\": expected http://host:port/path"));
  }
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(authority.substr(colon + 1), &port) || port < 1 ||
      port > 65535 || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL \"", url, "\": expected http://host:port/path"));
  }
  std::string host = authority.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(absl::ToChronoMilliseconds(timeout));
    stream.connect(resolver.resolve(host, std::to_string(port)));
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, authority);
    request.set(http::field::user_agent, "quxiang-healthcheck");
    request.keep_alive(false);
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    unsigned status = response.result_int();
    if (status < 200 || status > 299) {
      return absl::UnavailableError(absl::StrCat("GET ", url, " returned status ", status));
    }
  } catch (const boost::system::system_error& error) {
    return absl::UnavailableError(absl::StrCat("GET ", url, " failed: ", error.code().message()));
  }
  return absl::OkStatus();
}

}  // namespace quxiang::healthcheck

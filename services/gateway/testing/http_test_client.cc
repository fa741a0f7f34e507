#include "services/gateway/testing/http_test_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace quxiang::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

ClientResponse ReadResponse(tcp::socket& socket, beast::flat_buffer& buffer,
                            bool head_request = false) {
  ClientResponse result;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  // A response to HEAD has a Content-Length but no body.
  parser.skip(head_request);
  beast::error_code error;
  http::read(socket, buffer, parser, error);
  if (error) {
    result.transport_error = error.message();
    return result;
  }
  const auto& message = parser.get();
  result.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    result.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                std::string(field.value()));
  }
  result.body = message.body();
  return result;
}

bool Connect(asio::io_context& io_context, tcp::socket& socket, int port, std::string* error) {
  beast::error_code connect_error;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(port)),
                 connect_error);
  if (connect_error) {
    *error = connect_error.message();
    return false;
  }
  // A gateway that never responds fails the test after this long instead of hanging it.
  timeval timeout{10, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return true;
}

}  // namespace

std::string ClientResponse::Header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

std::vector<std::string> ClientResponse::Headers(const std::string& lower_case_name) const {
  std::vector<std::string> values;
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) values.push_back(value);
  }
  return values;
}

ClientResponse SendHttp(int port, const std::string& method, const std::string& target,
                        const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context io_context;
  tcp::socket socket(io_context);
  ClientResponse failed;
  if (!Connect(io_context, socket, port, &failed.transport_error)) return failed;

  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(false);
  for (const auto& [name, value] : headers) request.insert(name, value);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (request.find(http::field::content_type) == request.end()) {
      request.set(http::field::content_type, "application/json");
    }
    request.body() = body;
    request.prepare_payload();
  }

  beast::error_code error;
  http::write(socket, request, error);
  if (error) {
    failed.transport_error = error.message();
    return failed;
  }
  beast::flat_buffer buffer;
  return ReadResponse(socket, buffer, method == "HEAD");
}

ClientResponse SendRawHttp(int port, const std::string& raw) {
  asio::io_context io_context;
  tcp::socket socket(io_context);
  ClientResponse failed;
  if (!Connect(io_context, socket, port, &failed.transport_error)) return failed;

  beast::error_code error;
  asio::write(socket, asio::buffer(raw), error);
  if (error) {
    failed.transport_error = error.message();
    return failed;
  }
  beast::flat_buffer buffer;
  return ReadResponse(socket, buffer);
}

std::pair<int, ClientResponse> SendHttpExpectContinue(int port, const std::string& target,
                                                      const std::string& body) {
  asio::io_context io_context;
  tcp::socket socket(io_context);
  ClientResponse failed;
  if (!Connect(io_context, socket, port, &failed.transport_error)) return {0, failed};

  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::expect, "100-continue");
  request.keep_alive(false);
  request.body() = body;
  request.prepare_payload();

  http::request_serializer<http::string_body> serializer(request);
  beast::error_code error;
  http::write_header(socket, serializer, error);
  beast::flat_buffer buffer;
  http::response<http::empty_body> interim;
  if (!error) http::read(socket, buffer, interim, error);
  if (!error) http::write(socket, serializer, error);
  if (error) {
    failed.transport_error = error.message();
    return {0, failed};
  }
  return {static_cast<int>(interim.result_int()), ReadResponse(socket, buffer)};
}

bool ServerClosesIdleConnection(int port, int limit_ms) {
  asio::io_context io_context;
  tcp::socket socket(io_context);
  std::string error_text;
  if (!Connect(io_context, socket, port, &error_text)) return false;
  timeval timeout{limit_ms / 1000, (limit_ms % 1000) * 1000};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  std::array<char, 64> buffer;
  beast::error_code error;
  socket.read_some(asio::buffer(buffer), error);
  return error == asio::error::eof || error == asio::error::connection_reset;
}

std::string StreamedDownload::Header(const std::string& lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return value;
  }
  return "";
}

StreamedDownload DownloadHttp(int port, const std::string& target,
                              std::chrono::milliseconds pause_after_header) {
  StreamedDownload result;
  asio::io_context io_context;
  tcp::socket socket(io_context);
  if (!Connect(io_context, socket, port, &result.transport_error)) return result;

  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(false);
  beast::error_code error;
  http::write(socket, request, error);
  if (error) {
    result.transport_error = error.message();
    return result;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(socket, buffer, parser, error);
  if (error) {
    result.transport_error = error.message();
    return result;
  }
  result.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    result.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                std::string(field.value()));
  }
  std::this_thread::sleep_for(pause_after_header);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr);
  std::vector<char> piece(64 << 10);
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    http::read(socket, buffer, parser, error);
    if (error == http::error::need_buffer) error = {};
    size_t received = piece.size() - parser.get().body().size;
    EVP_DigestUpdate(digest.get(), piece.data(), received);
    result.size += received;
    if (result.body_prefix.size() < piece.size()) {
      result.body_prefix.append(piece.data(),
                                std::min(received, piece.size() - result.body_prefix.size()));
    }
    if (error) {
      result.transport_error = error.message();
      break;
    }
  }
  result.complete = parser.is_done();
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_size = 0;
  EVP_DigestFinal_ex(digest.get(), hash, &hash_size);
  result.sha256 =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(hash), hash_size));
  return result;
}

struct StalledDownload::Connection {
  asio::io_context io_context;
  tcp::socket socket{io_context};
};

StalledDownload::StalledDownload(int port, const std::string& target)
    : connection_(std::make_unique<Connection>()) {
  std::string error_text;
  if (!Connect(connection_->io_context, connection_->socket, port, &error_text)) return;

  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  beast::error_code error;
  http::write(connection_->socket, request, error);
  if (error) return;

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  http::read_header(connection_->socket, buffer, parser, error);
  if (!error) status_ = static_cast<int>(parser.get().result_int());
}

StalledDownload::~StalledDownload() { Close(); }

void StalledDownload::Close() {
  beast::error_code ignored;
  connection_->socket.close(ignored);
}

std::vector<ClientResponse> SendHttpKeepAlive(int port, const std::vector<std::string>& targets) {
  asio::io_context io_context;
  tcp::socket socket(io_context);
  std::vector<ClientResponse> responses;
  ClientResponse failed;
  if (!Connect(io_context, socket, port, &failed.transport_error)) return {failed};

  beast::flat_buffer buffer;
  for (const std::string& target : targets) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    beast::error_code error;
    http::write(socket, request, error);
    if (error) {
      failed.transport_error = error.message();
      responses.push_back(failed);
      return responses;
    }
    responses.push_back(ReadResponse(socket, buffer));
  }
  return responses;
}

}  // namespace quxiang::gateway

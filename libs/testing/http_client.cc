#include "libs/testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "libs/logging/logging.h"

namespace quxiang::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

const google::protobuf::Value* Lookup(const google::protobuf::Struct& root, const std::string& path) {
  const google::protobuf::Struct* current = &root;
  const google::protobuf::Value* value = nullptr;
  for (const auto& part : absl::StrSplit(path, '.')) {
    if (current == nullptr) return nullptr;
    auto it = current->fields().find(std::string(part));
    if (it == current->fields().end()) return nullptr;
    value = &it->second;
    current = value->has_struct_value() ? &value->struct_value() : nullptr;
  }
  return value;
}

}  // namespace

google::protobuf::Struct HttpResponse::Json() const {
  google::protobuf::Struct json;
  google::protobuf::util::JsonParseOptions options;
  if (!google::protobuf::util::JsonStringToMessage(body, &json, options).ok()) json.Clear();
  return json;
}

std::string HttpResponse::String(const std::string& path) const {
  google::protobuf::Struct json = Json();
  const auto* value = Lookup(json, path);
  if (value == nullptr) return "";
  if (value->has_string_value()) return value->string_value();
  if (value->has_number_value()) return std::to_string(static_cast<long long>(value->number_value()));
  if (value->has_bool_value()) return value->bool_value() ? "true" : "false";
  return "";
}

double HttpResponse::Number(const std::string& path) const {
  google::protobuf::Struct json = Json();
  const auto* value = Lookup(json, path);
  return value != nullptr && value->has_number_value() ? value->number_value() : 0;
}

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

HttpResponse HttpClient::Send(const std::string& method, const std::string& target, const std::string& body,
                              const std::map<std::string, std::string>& headers) {
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve(host_, std::to_string(port_)));

  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, host_);
  request.set(http::field::content_type, "application/json");
  std::string cookie_header;
  for (const auto& [name, value] : cookies_) {
    if (!cookie_header.empty()) cookie_header += "; ";
    cookie_header += name + "=" + value;
  }
  if (!cookie_header.empty()) request.set(http::field::cookie, cookie_header);
  if (send_csrf_ && method != "GET" && cookies_.count("qx_csrf") > 0) {
    request.set("X-CSRF-Token", cookies_["qx_csrf"]);
  }
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto response = parser.release();

  HttpResponse result;
  result.status = response.result_int();
  result.body = response.body();
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::string value(field.value());
    result.headers.emplace(name, value);
    if (absl::EqualsIgnoreCase(name, "Set-Cookie")) {
      std::string pair = value.substr(0, value.find(';'));
      size_t equals = pair.find('=');
      if (equals == std::string::npos) continue;
      std::string cookie_name = pair.substr(0, equals);
      std::string cookie_value = pair.substr(equals + 1);
      bool expired = value.find("Max-Age=0") != std::string::npos || cookie_value.empty();
      if (expired) {
        cookies_.erase(cookie_name);
      } else {
        cookies_[cookie_name] = cookie_value;
      }
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

HttpResponse HttpClient::Login(const std::string& username, const std::string& password) {
  return Post("/v1/sessions:login",
              "{\"username\":" + JsonQuote(username) + ",\"password\":" + JsonQuote(password) + "}");
}

std::string JsonQuote(const std::string& text) { return "\"" + logging::JsonEscape(text) + "\""; }

}  // namespace quxiang::testing

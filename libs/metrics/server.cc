#include "libs/metrics/server.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, metrics_address, "127.0.0.1",
          "IP address of the Prometheus /metrics endpoint (0.0.0.0 in containers).");
ABSL_FLAG(int, metrics_port, 0,
          "TCP port of the Prometheus /metrics endpoint; 0 picks a free port, -1 disables it.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "File the bound /metrics port is written to once the endpoint listens.");

namespace quxiang::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Limits for a scraper's request, which has no body and a few short headers.
constexpr size_t kMaxHeaderBytes = 8192;
constexpr size_t kMaxBodyBytes = 4096;
constexpr std::chrono::seconds kIoTimeout(10);

// One connection: reads requests one by one and responds to each, until the peer closes, a limit or
// the timeout is hit, or a response asks to close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const Registry& registry)
      : stream_(std::move(socket)), registry_(registry) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       self->OnRead(error);
                     });
  }

 private:
  void OnRead(beast::error_code error) {
    if (error) {
      stream_.socket().shutdown(tcp::socket::shutdown_both, error);
      return;
    }
    const http::request<http::string_body>& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::cache_control, "no-store");

    beast::string_view target = request.target();
    beast::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") {
      Text(http::status::not_found, "not found: the only path is /metrics\n");
    } else if (request.method() != http::verb::get) {
      response_.set(http::field::allow, "GET");
      Text(http::status::method_not_allowed, "method not allowed: use GET\n");
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = registry_.Render();
    }
    response_.prepare_payload();

    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code write_error, size_t) {
                        if (write_error || !self->response_.keep_alive()) {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_both, write_error);
                          return;
                        }
                        self->Read();
                      });
  }

  void Text(http::status status, const char* body) {
    response_.result(status);
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    response_.body() = body;
  }

  beast::tcp_stream stream_;
  const Registry& registry_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

bool WritePortFile(const std::string& path, int port) {
  std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace

class MetricsServer::Impl {
 public:
  explicit Impl(const Registry& registry) : registry_(registry), acceptor_(io_) {}

  ~Impl() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Listen(const ServerOptions& options) {
    beast::error_code error;
    asio::ip::address address = asio::ip::make_address(options.address, error);
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --metrics_address \"", options.address, "\": ", error.message()));
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot listen for /metrics on ",
                                                 options.address, ":", options.port, ": ",
                                                 error.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return absl::OkStatus();
  }

  int port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
      if (!acceptor_.is_open()) return;
      if (!error) std::make_shared<Connection>(std::move(socket), registry_)->Read();
      Accept();
    });
  }

  const Registry& registry_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  int port_ = 0;
};

ServerOptions ServerOptionsFromFlags() {
  ServerOptions options;
  options.address = absl::GetFlag(FLAGS_metrics_address);
  options.port = absl::GetFlag(FLAGS_metrics_port);
  options.port_file = absl::GetFlag(FLAGS_metrics_port_file);
  return options;
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const { return impl_->port(); }

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const ServerOptions& options,
                                                                    const Registry& registry) {
  if (options.port == -1) return nullptr;
  if (options.port < -1 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid --metrics_port ", options.port, ": use 1-65535, 0 for a free port or -1 for none"));
  }
  auto impl = std::make_unique<Impl>(registry);
  if (absl::Status status = impl->Listen(options); !status.ok()) return status;
  if (!options.port_file.empty() && !WritePortFile(options.port_file, impl->port())) {
    return absl::UnavailableError(
        absl::StrCat("cannot write --metrics_port_file ", options.port_file));
  }
  spdlog::info("metrics on http://{}:{}/metrics", options.address, impl->port());
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

}  // namespace quxiang::metrics

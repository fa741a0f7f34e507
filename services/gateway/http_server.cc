#include "services/gateway/http_server.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace quxiang::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::chrono::steady_clock::duration ToSteady(absl::Duration duration) {
  return absl::ToChronoNanoseconds(duration);
}

}  // namespace

class HttpServer::Impl {
 public:
  class Connection;

  Impl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        work_(asio::make_work_guard(io_context_)),
        acceptor_(io_context_) {}

  absl::Status Listen(int* port) {
    beast::error_code error;
    asio::ip::address address = asio::ip::make_address(options_.address, error);
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --http_address \"", options_.address, "\": ", error.message()));
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                 options_.port, ": ", error.message()));
    }
    *port = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  void Run() {
    Accept();
    int thread_count = std::max(1, options_.threads);
    for (int i = 0; i < thread_count; ++i) {
      threads_.emplace_back([this] { io_context_.run(); });
    }
  }

  void Shutdown(absl::Duration grace);

  const HttpServerOptions& options() const { return options_; }
  bool draining() const { return draining_.load(); }
  std::atomic<int>& in_flight() { return in_flight_; }

  void Dispatch(std::shared_ptr<HttpRequest> request, Responder respond) {
    handler_(std::move(request), std::move(respond));
  }

 private:
  void Accept();
  void Track(const std::shared_ptr<Connection>& connection);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  asio::io_context io_context_;
  // Keeps the I/O threads running while a connection waits for its handler with no pending socket
  // operation. Without it, they would exit once the acceptor closes during a drain.
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  std::mutex connections_mutex_;
  std::list<std::weak_ptr<Connection>> connections_;
  bool stopped_ = false;
};

// One TCP connection. Every member is used only from the connection's strand.
class HttpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Impl& server) : stream_(std::move(socket)), server_(server) {}

  // A connection dropped while its streamed response is unfinished, when the server stops,
  // still releases the backend call behind it.
  ~Connection() {
    if (body_stream_ != nullptr) body_stream_->Cancel();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Closes the connection now when it waits for a request, or after the current response.
  void CloseWhenIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->close_after_response_ = true;
      if (!self->busy_) self->Close();
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options().max_header_bytes));
    // The limit of the route is known only once the header is read. Until then the parser
    // takes the larger one, and OnHeader applies the route's limit.
    parser_->body_limit(server_.options().is_upload
                            ? std::max(server_.options().max_body_bytes,
                                       server_.options().max_upload_bytes)
                            : server_.options().max_body_bytes);
    stream_.expires_after(ToSteady(server_.options().read_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code error, size_t) {
                              self->OnHeader(error);
                            });
  }

  void OnHeader(beast::error_code error) {
    if (error) {
      OnRead(error);
      return;
    }
    // Beast compares Content-Length with the body limit only while it parses the header, so a
    // declared length over the route's limit is checked here. A chunked body is counted
    // against the new limit as it arrives.
    size_t body_limit = BodyLimit();
    parser_->body_limit(body_limit);
    if (parser_->content_length().has_value() && *parser_->content_length() > body_limit) {
      OnRead(http::error::body_limit);
      return;
    }
    auto read_body = [self = shared_from_this()] {
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code error, size_t) { self->OnRead(error); });
    };
    // curl and other clients send "Expect: 100-continue" before a large body and wait about a
    // second for this interim response before they send the body anyway.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim, read_body](beast::error_code error,
                                                                        size_t) {
                          if (error) {
                            self->Close();
                            return;
                          }
                          read_body();
                        });
      return;
    }
    read_body();
  }

  void OnRead(beast::error_code error) {
    auto request = std::make_shared<HttpRequest>();
    if (error) {
      if (error == http::error::header_limit) {
        request->transport_error = HeadersTooLarge(server_.options().max_header_bytes);
      } else if (error == http::error::body_limit) {
        request->transport_error = BodyTooLarge(BodyLimit());
      } else if (error.category() == http::make_error_code(http::error::bad_target).category() &&
                 error != http::error::end_of_stream && error != http::error::partial_message) {
        request->transport_error = MalformedHttpRequest();
      } else {
        // The peer closed or timed out, or the server is closing, so no response can be sent.
        Close();
        return;
      }
      close_after_response_ = true;
    }

    const auto& message = parser_->get();
    request->method = std::string(message.method_string());
    request->target = std::string(message.target());
    for (const auto& field : message) {
      request->headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                    std::string(field.value()));
    }
    // Read before release(), which moves the header fields out of the parser.
    head_request_ = message.method() == http::verb::head;
    keep_alive_ = !error && message.keep_alive();
    if (!error) request->body = parser_->release().body();

    beast::error_code peer_error;
    tcp::endpoint peer = stream_.socket().remote_endpoint(peer_error);
    if (!peer_error) request->peer_address = peer.address().to_string();

    busy_ = true;
    ++server_.in_flight();
    // No read timeout while the handler works; the backend deadline bounds it.
    // NOTE: nothing reads the socket meanwhile, so a client that disconnects is noticed only when
    // the response is written, and its backend call is not cancelled.
    stream_.expires_never();
    server_.Dispatch(std::move(request), [self = shared_from_this()](HttpResponse response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  // The body limit of the request being read: max_upload_bytes for an upload route,
  // max_body_bytes otherwise. Valid once the request line is parsed.
  size_t BodyLimit() const {
    const HttpServerOptions& options = server_.options();
    const auto& message = parser_->get();
    beast::string_view method = message.method_string();
    beast::string_view target = message.target();
    if (options.is_upload && options.is_upload(absl::string_view(method.data(), method.size()),
                                               absl::string_view(target.data(), target.size()))) {
      return options.max_upload_bytes;
    }
    return options.max_body_bytes;
  }

  void Write(HttpResponse response) {
    if (response.body_stream != nullptr) {
      WriteStreamed(std::move(response));
      return;
    }
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(11);
    message->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) message->insert(name, value);
    size_t body_size = response.body.size();
    message->body() = std::move(response.body);
    bool keep_alive = keep_alive_ && !close_after_response_ && !server_.draining();
    message->keep_alive(keep_alive);
    message->prepare_payload();
    if (head_request_) {
      // A response to HEAD announces the length of the body it leaves out.
      message->body().clear();
      message->content_length(body_size);
    }

    stream_.expires_after(ToSteady(server_.options().write_timeout));
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, keep_alive](beast::error_code error,
                                                                       size_t) {
                        self->OnWrite(error, keep_alive);
                      });
  }

  // Writes the status line and headers with chunked transfer encoding, then the first part of
  // the body from response.body, then each part of the body stream as it arrives.
  void WriteStreamed(HttpResponse response) {
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->version(11);
    header->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) {
      if (!beast::iequals(name, "content-length")) header->insert(name, value);
    }
    bool keep_alive = keep_alive_ && !close_after_response_ && !server_.draining();
    header->keep_alive(keep_alive);
    header->chunked(true);
    body_stream_ = std::move(response.body_stream);
    // NOTE: an HTTP/1.0 client cannot read chunked transfer encoding. Browsers and curl use
    // HTTP/1.1, so the gateway does not fall back to a body delimited by closing.

    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    auto first_part = std::make_shared<std::string>(std::move(response.body));
    stream_.expires_after(ToSteady(server_.options().write_timeout));
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), header, serializer, first_part, keep_alive](
            beast::error_code error, size_t) {
          if (error) {
            self->AbortStream();
            return;
          }
          self->WriteChunk(first_part, keep_alive);
        });
  }

  void WriteChunk(const std::shared_ptr<std::string>& data, bool keep_alive) {
    // An empty chunk would read as the last chunk, so empty parts are skipped.
    if (data->empty()) {
      ReadChunk(keep_alive);
      return;
    }
    stream_.expires_after(ToSteady(server_.options().write_timeout));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*data)),
                      [self = shared_from_this(), data, keep_alive](beast::error_code error,
                                                                    size_t) {
                        if (error) {
                          self->AbortStream();
                          return;
                        }
                        self->ReadChunk(keep_alive);
                      });
  }

  void ReadChunk(bool keep_alive) {
    // No write is pending while the source produces the next part, and the backend deadline
    // bounds the wait.
    stream_.expires_never();
    body_stream_->Read([self = shared_from_this(), keep_alive](BodyChunk chunk) {
      asio::post(self->stream_.get_executor(),
                 [self, keep_alive, chunk = std::move(chunk)]() mutable {
                   self->OnChunk(std::move(chunk), keep_alive);
                 });
    });
  }

  void OnChunk(BodyChunk chunk, bool keep_alive) {
    switch (chunk.kind) {
      case BodyChunk::Kind::kData:
        WriteChunk(std::make_shared<std::string>(std::move(chunk.data)), keep_alive);
        return;
      case BodyChunk::Kind::kEnd: {
        body_stream_.reset();
        auto last = std::make_shared<http::chunk_last<http::chunk_crlf>>(http::make_chunk_last());
        stream_.expires_after(ToSteady(server_.options().write_timeout));
        asio::async_write(stream_, *last,
                          [self = shared_from_this(), last, keep_alive](beast::error_code error,
                                                                        size_t) {
                            self->OnWrite(error, keep_alive);
                          });
        return;
      }
      case BodyChunk::Kind::kFailed:
        // The source has logged its failure. Closing without the last chunk marks the body as
        // incomplete for the client.
        body_stream_.reset();
        OnWrite(asio::error::operation_aborted, false);
        return;
    }
  }

  // Ends a streamed response whose write failed or timed out.
  void AbortStream() {
    if (body_stream_ != nullptr) {
      body_stream_->Cancel();
      body_stream_.reset();
    }
    OnWrite(asio::error::operation_aborted, false);
  }

  void OnWrite(beast::error_code error, bool keep_alive) {
    busy_ = false;
    --server_.in_flight();
    if (error) {
      Close();
    } else if (!keep_alive || close_after_response_) {
      LingerAndClose();
    } else {
      Read();
    }
  }

  // Closing a socket whose receive buffer still contains data (the rest of a rejected body) sends a
  // TCP reset, which can destroy the response before the client reads it. So the server stops
  // sending, then reads and discards until the client closes or kLingerTime passes.
  void LingerAndClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    Discard();
  }

  void Discard() {
    stream_.async_read_some(asio::buffer(discard_buffer_),
                            [self = shared_from_this()](beast::error_code error, size_t) {
                              if (error) {
                                self->Close();
                              } else {
                                self->Discard();
                              }
                            });
  }

  static constexpr std::chrono::seconds kLingerTime{2};

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The source of the streamed response being written, if any.
  std::shared_ptr<BodyStream> body_stream_;
  bool busy_ = false;
  bool keep_alive_ = false;
  bool head_request_ = false;
  bool close_after_response_ = false;
  std::array<char, 4096> discard_buffer_;
};

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(
      asio::make_strand(io_context_), [this](beast::error_code error, tcp::socket socket) {
        if (error) {
          if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
          spdlog::warn("accepting a connection failed: {}", error.message());
        } else {
          auto connection = std::make_shared<Connection>(std::move(socket), *this);
          Track(connection);
          if (draining()) connection->CloseWhenIdle();
          connection->Start();
        }
        if (acceptor_.is_open()) Accept();
      });
}

void HttpServer::Impl::Track(const std::shared_ptr<Connection>& connection) {
  std::lock_guard<std::mutex> lock(connections_mutex_);
  connections_.remove_if([](const std::weak_ptr<Connection>& weak) { return weak.expired(); });
  connections_.push_back(connection);
}

void HttpServer::Impl::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  draining_ = true;
  asio::post(io_context_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });

  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(connections_mutex_);
    for (const auto& weak : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (const auto& connection : open) connection->CloseWhenIdle();
  open.clear();

  absl::Time give_up = absl::Now() + grace;
  while (in_flight_.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  if (in_flight_.load() > 0) {
    spdlog::warn("shutdown grace period over; {} requests still in flight are dropped",
                 in_flight_.load());
  }

  work_.reset();
  io_context_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Start() {
  if (absl::Status status = impl_->Listen(&port_); !status.ok()) return status;
  impl_->Run();
  return absl::OkStatus();
}

void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

int HttpServer::requests_in_flight() const { return impl_->in_flight().load(); }

}  // namespace quxiang::gateway

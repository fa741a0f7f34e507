#include "services/gateway/api_handler.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "quxiang/accounts/v1/accounts.pb.h"
#include "quxiang/common/v1/files.pb.h"
#include "services/gateway/file_transfer.h"
#include "services/gateway/session_cookies.h"
#include "services/gateway/transcoder.h"
#include "spdlog/spdlog.h"

namespace quxiang::gateway {
namespace {

constexpr char kLoginMethod[] = "quxiang.accounts.v1.AccountsService.Login";
constexpr char kLogoutMethod[] = "quxiang.accounts.v1.AccountsService.Logout";
constexpr char kRefreshGrpcMethod[] =
    "/quxiang.accounts.v1.AccountsService/RefreshIdentityToken";

// Removes the members named in `names` whose value is "" from the top level of a JSON object.
// The JSON printer writes cleared string fields as "" (it prints fields with default values),
// and a login response must not even name the tokens it hides.
std::string RemoveEmptyTopLevelStrings(const std::string& json,
                                       const std::vector<std::string>& names) {
  std::string out;
  out.reserve(json.size());
  int depth = 0;
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (c == '"') {
      // Copies a whole string token, escapes included.
      size_t end = i + 1;
      while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
      ++end;
      if (depth == 1) {
        std::string key = json.substr(i + 1, end - i - 2);
        bool hidden = std::find(names.begin(), names.end(), key) != names.end() &&
                      json.compare(end, 3, ":\"\"") == 0;
        if (hidden) {
          i = end + 3;
          if (i < json.size() && json[i] == ',') {
            ++i;
          } else if (!out.empty() && out.back() == ',') {
            out.pop_back();
          }
          continue;
        }
      }
      out.append(json, i, end - i);
      // A string followed by ':' is a key; its value string is copied on the next turn.
      i = end;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    out.push_back(c);
    ++i;
  }
  return out;
}

bool IsWrite(absl::string_view http_method) {
  return http_method != "GET" && http_method != "HEAD";
}

absl::Time ToAbslTime(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

// The deadline of the backend call: the default, or sooner when the client sent X-Timeout-Ms.
// Returns false for a value that is not a positive integer.
bool DeadlineFor(const HttpRequest& request, absl::Duration default_deadline,
                 absl::Time* deadline) {
  absl::Duration timeout = default_deadline;
  if (const std::string* header = request.FindHeader(kTimeoutHeader)) {
    int64_t milliseconds;
    if (!absl::SimpleAtoi(*header, &milliseconds) || milliseconds <= 0) return false;
    timeout = std::min(timeout, absl::Milliseconds(milliseconds));
  }
  *deadline = absl::Now() + timeout;
  return true;
}

}  // namespace

// The state of one API request, shared by the callbacks of its gRPC calls.
struct ApiHandler::ApiCall {
  std::shared_ptr<HttpRequest> request;
  std::string request_id;
  const Route* route = nullptr;
  std::vector<PathBinding> bindings;
  absl::Time deadline;
  Responder done;
  // Set when the identity came from the qx_session cookie.
  std::string session_token;

  grpc::ClientContext context;
  std::unique_ptr<google::protobuf::Message> request_message;
  std::unique_ptr<google::protobuf::Message> response_message;
};

ApiHandler::ApiHandler(const RouteTable& routes, const BackendPool& backends,
                       IdentityCache& identities, ApiOptions options)
    : routes_(routes),
      backends_(backends),
      identities_(identities),
      options_(options),
      accounts_(backends.StubFor(kAccountsService)) {}

ApiHandler::~ApiHandler() {
  CancelAll();
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return running_.empty(); });
}

void ApiHandler::Handle(std::shared_ptr<HttpRequest> request, std::string request_id,
                        Responder done) {
  auto call = std::make_shared<ApiCall>();
  call->request = std::move(request);
  call->request_id = std::move(request_id);
  call->done = std::move(done);
  const HttpRequest& http = *call->request;

  RouteMatch match = routes_.Match(http.method, http.path());
  if (match.outcome == RouteMatch::Outcome::kNotFound) {
    RespondError(call, RouteNotFound(http.path()));
    return;
  }
  if (match.outcome == RouteMatch::Outcome::kMethodNotAllowed) {
    HttpResponse response = ErrorHttpResponse(
        MethodNotAllowed(http.method, http.path(), match.allowed_methods), call->request_id);
    response.headers.emplace_back("Allow", absl::StrJoin(match.allowed_methods, ", "));
    call->done(std::move(response));
    return;
  }
  call->route = match.route;
  call->bindings = std::move(match.bindings);

  absl::Duration deadline =
      call->route->server_streaming ? options_.stream_deadline : options_.default_deadline;
  if (!DeadlineFor(http, deadline, &call->deadline)) {
    RespondError(call, InvalidTimeoutHeader(*http.FindHeader(kTimeoutHeader)));
    return;
  }

  if (call->route->method->full_name() == kLoginMethod) {
    Forward(call, "");
    return;
  }
  if (const std::string* authorization = http.FindHeader("authorization")) {
    Forward(call, *authorization);
    return;
  }
  const std::string* cookies = http.FindHeader("cookie");
  std::optional<std::string> session_token =
      cookies == nullptr ? std::nullopt : FindCookie(*cookies, kSessionCookie);
  if (!session_token.has_value() || session_token->empty() || accounts_ == nullptr) {
    Forward(call, "");
    return;
  }
  AuthenticateBySession(call, *std::move(session_token));
}

void ApiHandler::AuthenticateBySession(std::shared_ptr<ApiCall> call, std::string session_token) {
  if (std::optional<SessionIdentity> cached = identities_.Find(session_token)) {
    ContinueWithSession(call, session_token, *cached);
    return;
  }

  // NOTE: concurrent requests of one session that all miss the cache each call
  // RefreshIdentityToken; the calls are idempotent, only redundant.
  struct RefreshCall {
    grpc::ClientContext context;
    quxiang::accounts::v1::RefreshIdentityTokenRequest request;
    quxiang::accounts::v1::RefreshIdentityTokenResponse response;
  };
  auto refresh = std::make_shared<RefreshCall>();
  PrepareContext(refresh->context, *call);
  refresh->request.set_session_token(session_token);

  BeginCall(&refresh->context);
  accounts_->UnaryCall(
      &refresh->context, kRefreshGrpcMethod, grpc::StubOptions(), &refresh->request,
      &refresh->response,
      [this, call, refresh, session_token = std::move(session_token)](grpc::Status status) {
        if (!status.ok()) {
          bool session_ended = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
          if (session_ended) identities_.Erase(session_token);
          RespondError(call, HttpErrorFromGrpc(status, kRefreshGrpcMethod), session_ended);
        } else {
          SessionIdentity identity{refresh->response.identity_token(),
                                   refresh->response.csrf_token()};
          identities_.Store(session_token, identity,
                            ToAbslTime(refresh->response.identity_token_expires_at()));
          ContinueWithSession(call, session_token, identity);
        }
        EndCall(&refresh->context);
      });
}

void ApiHandler::ContinueWithSession(std::shared_ptr<ApiCall> call,
                                     const std::string& session_token,
                                     const SessionIdentity& identity) {
  if (IsWrite(call->request->method)) {
    const std::string* csrf = call->request->FindHeader(kCsrfHeader);
    if (csrf == nullptr || identity.csrf_token.empty() ||
        !ConstantTimeEquals(*csrf, identity.csrf_token)) {
      RespondError(call, CsrfTokenInvalid());
      return;
    }
  }
  call->session_token = session_token;
  Forward(std::move(call), absl::StrCat("Bearer ", identity.identity_token));
}

void ApiHandler::Forward(std::shared_ptr<ApiCall> call, std::string authorization) {
  const Route& route = *call->route;
  HttpError error;
  // The body of an upload route is the raw file, which SetUploadedFile puts into its field.
  absl::string_view json_body =
      route.upload_field != nullptr ? absl::string_view() : absl::string_view(call->request->body);
  call->request_message =
      BuildRequestMessage(route, call->bindings, call->request->query(), json_body, &error);
  if (call->request_message == nullptr) {
    RespondError(call, error);
    return;
  }
  if (route.upload_field != nullptr &&
      !SetUploadedFile(route, *call->request, *call->request_message, &error)) {
    RespondError(call, error);
    return;
  }

  MessageStub* stub = backends_.StubFor(route.method->service()->full_name());
  if (stub == nullptr) {
    // Routes exist only for configured services, so this is a bug of the gateway.
    spdlog::error("no backend for routed method {}", route.grpc_method);
    RespondError(call, RouteNotFound(call->request->path()));
    return;
  }

  if (route.server_streaming) {
    ForwardStream(call, *stub, authorization);
    return;
  }

  PrepareContext(call->context, *call);
  if (!authorization.empty()) call->context.AddMetadata("authorization", authorization);
  call->response_message.reset(google::protobuf::MessageFactory::generated_factory()
                                   ->GetPrototype(route.method->output_type())
                                   ->New());

  BeginCall(&call->context);
  stub->UnaryCall(&call->context, route.grpc_method, grpc::StubOptions(),
                  call->request_message.get(), call->response_message.get(),
                  [this, call](grpc::Status status) {
                    OnBackendDone(call, status);
                    EndCall(&call->context);
                  });
}

void ApiHandler::ForwardStream(const std::shared_ptr<ApiCall>& call, MessageStub& stub,
                               const std::string& authorization) {
  auto stream = std::make_shared<BackendFileStream>(call->route->grpc_method, call->request_id);
  PrepareContext(stream->context(), *call);
  if (!authorization.empty()) stream->context().AddMetadata("authorization", authorization);

  grpc::ClientContext* context = &stream->context();
  BackendFileStream* raw_stream = stream.get();
  // The stream stays registered until its OnDone, so the raw pointer is valid in CancelAll.
  BeginCall(context, [raw_stream] { raw_stream->Cancel(); });
  std::weak_ptr<BackendFileStream> weak_stream = stream;
  stream->Start(
      stub, std::move(call->request_message),
      [this, call, weak_stream](const grpc::Status& status, quxiang::common::v1::HttpFile* first) {
        if (!status.ok()) {
          OnBackendDone(call, status);
          return;
        }
        HttpResponse response;
        response.backend_method = call->route->grpc_method;
        if (first == nullptr) {
          // A stream without messages is an empty file.
          response.headers = FileResponseHeaders("", "");
        } else {
          response.headers = FileResponseHeaders(first->content_type(), first->file_name());
          response.body = std::move(*first->mutable_data());
          // The first-message callback runs inside the stream's OnReadDone, so it is alive.
          response.body_stream = weak_stream.lock();
        }
        call->done(std::move(response));
      },
      [this, context] { EndCall(context); });
}

void ApiHandler::RespondFile(const std::shared_ptr<ApiCall>& call) {
  auto* file = dynamic_cast<quxiang::common::v1::HttpFile*>(call->response_message.get());
  if (file == nullptr) {
    spdlog::error("response of {} is not a {}", call->route->grpc_method, kHttpFileMessage);
    RespondError(call, BackendResponseInvalid(call->route->grpc_method));
    return;
  }
  HttpResponse response;
  response.headers = FileResponseHeaders(file->content_type(), file->file_name());
  response.body = std::move(*file->mutable_data());
  response.backend_method = call->route->grpc_method;
  call->done(std::move(response));
}

void ApiHandler::OnBackendDone(const std::shared_ptr<ApiCall>& call, const grpc::Status& status) {
  const std::string& method = call->route->method->full_name();
  bool by_session = !call->session_token.empty();

  if (!status.ok()) {
    bool unauthenticated = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    // The service rejected a cached identity token, for example because another gateway revoked
    // the session. Dropping the entry makes the next request refresh it and learn the outcome.
    if (unauthenticated && by_session) identities_.Erase(call->session_token);
    bool clear_cookies = unauthenticated && by_session && method == kLogoutMethod;
    RespondError(call, HttpErrorFromGrpc(status, call->route->grpc_method), clear_cookies);
    return;
  }

  if (method == kLoginMethod) {
    FinishLogin(call);
    return;
  }
  if (call->route->file_response) {
    RespondFile(call);
    return;
  }

  absl::StatusOr<std::string> json = RenderResponseJson(*call->response_message);
  if (!json.ok()) {
    spdlog::error("cannot render response of {} as JSON: {}", call->route->grpc_method,
                  std::string(json.status().message()));
    RespondError(call, BackendResponseInvalid(call->route->grpc_method));
    return;
  }
  HttpResponse response = JsonHttpResponse(200, *std::move(json));
  response.backend_method = call->route->grpc_method;
  if (method == kLogoutMethod && by_session) {
    identities_.Erase(call->session_token);
    AddClearCookieHeaders(response);
  }
  call->done(std::move(response));
}

void ApiHandler::FinishLogin(const std::shared_ptr<ApiCall>& call) {
  quxiang::accounts::v1::LoginResponse login;
  login.CopyFrom(*call->response_message);

  identities_.Store(login.session_token(), {login.identity_token(), login.csrf_token()},
                    ToAbslTime(login.identity_token_expires_at()));

  HttpResponse response;
  response.headers.emplace_back("Set-Cookie",
                                SessionCookieHeader(login.session_token(), options_.cookie_secure));
  response.headers.emplace_back("Set-Cookie",
                                CsrfCookieHeader(login.csrf_token(), options_.cookie_secure));

  // Scripts must never see the session token (it lives in the HttpOnly cookie) nor the identity
  // token (the gateway attaches it to each call).
  login.clear_session_token();
  login.clear_identity_token();
  absl::StatusOr<std::string> json = RenderResponseJson(login);
  if (!json.ok()) {
    RespondError(call, BackendResponseInvalid(call->route->grpc_method));
    return;
  }
  HttpResponse rendered = JsonHttpResponse(
      200, RemoveEmptyTopLevelStrings(*json, {"sessionToken", "identityToken"}));
  rendered.headers.insert(rendered.headers.end(), response.headers.begin(),
                          response.headers.end());
  rendered.backend_method = call->route->grpc_method;
  call->done(std::move(rendered));
}

void ApiHandler::RespondError(const std::shared_ptr<ApiCall>& call, const HttpError& error,
                              bool clear_cookies) {
  HttpResponse response = ErrorHttpResponse(error, call->request_id);
  if (clear_cookies) AddClearCookieHeaders(response);
  if (call->route != nullptr) response.backend_method = call->route->grpc_method;
  call->done(std::move(response));
}

void ApiHandler::AddClearCookieHeaders(HttpResponse& response) const {
  response.headers.emplace_back(
      "Set-Cookie", ExpiredCookieHeader(kSessionCookie, /*http_only=*/true, options_.cookie_secure));
  response.headers.emplace_back(
      "Set-Cookie", ExpiredCookieHeader(kCsrfCookie, /*http_only=*/false, options_.cookie_secure));
}

void ApiHandler::PrepareContext(grpc::ClientContext& context, const ApiCall& call) const {
  context.set_deadline(absl::ToChronoTime(call.deadline));
  context.AddMetadata("x-request-id", call.request_id);
  if (!call.request->peer_address.empty()) {
    context.AddMetadata("x-forwarded-for", call.request->peer_address);
  }
}

void ApiHandler::BeginCall(grpc::ClientContext* context, std::function<void()> cancel) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_.emplace(context, std::move(cancel));
}

void ApiHandler::EndCall(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_.erase(context);
  if (running_.empty()) idle_.notify_all();
}

void ApiHandler::CancelAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [context, cancel] : running_) {
    if (cancel) {
      cancel();
    } else {
      context->TryCancel();
    }
  }
}

}  // namespace quxiang::gateway

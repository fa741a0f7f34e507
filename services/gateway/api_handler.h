// The /v1 API: routes an HTTP request to a gRPC method, authenticates it and transcodes both ways.
//
// Identity, in order of precedence:
//   1. AccountsService.Login is public and gets no identity. On success the gateway sets the
//      qx_session and qx_csrf cookies and removes sessionToken and identityToken from the JSON.
//   2. A request with "Authorization: Bearer ..." (machine clients) is forwarded with that header
//      and no CSRF check.
//   3. A request with a qx_session cookie gets the identity token of its session, from the
//      IdentityCache or from AccountsService.RefreshIdentityToken. Writes (every method but GET
//      and HEAD) must carry X-CSRF-Token equal to the session's CSRF token.
//   4. Anything else is forwarded without identity, and the service decides.
// Every backend call carries the metadata authorization (when there is an identity),
// x-request-id and x-forwarded-for (the TCP peer's address).
#ifndef QUXIANG_SERVICES_GATEWAY_API_HANDLER_H_
#define QUXIANG_SERVICES_GATEWAY_API_HANDLER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/client_context.h>

#include "absl/time/time.h"
#include "services/gateway/backends.h"
#include "services/gateway/http_types.h"
#include "services/gateway/identity_cache.h"
#include "services/gateway/route_table.h"

namespace quxiang::gateway {

inline constexpr char kAccountsService[] = "quxiang.accounts.v1.AccountsService";
// The request header by which a client shortens the default deadline, in milliseconds.
inline constexpr char kTimeoutHeader[] = "x-timeout-ms";

struct ApiOptions {
  // Deadline of a backend call when the client sent no shorter X-Timeout-Ms.
  absl::Duration default_deadline = absl::Seconds(15);
  // Deadline of a call that streams a file, which lasts as long as the client takes to download.
  absl::Duration stream_deadline = absl::Minutes(10);
  // Adds the Secure attribute to the session cookies; required behind HTTPS.
  bool cookie_secure = false;
};

class ApiHandler {
 public:
  ApiHandler(const RouteTable& routes, const BackendPool& backends, IdentityCache& identities,
             ApiOptions options);
  // Cancels the backend calls still running and waits until their callbacks have finished.
  ~ApiHandler();

  ApiHandler(const ApiHandler&) = delete;
  ApiHandler& operator=(const ApiHandler&) = delete;

  // Serves one request under /v1. `request_id` is the validated client id or a generated one.
  // Never blocks: the backend calls are asynchronous and `done` runs on a gRPC thread or, for
  // errors found before any call, on the calling thread. The body of an upload is moved out of
  // `request`, so the file is not held twice.
  void Handle(std::shared_ptr<HttpRequest> request, std::string request_id, Responder done);

  // Cancels every running backend call; their requests complete with CANCELLED.
  void CancelAll();

 private:
  struct ApiCall;

  void AuthenticateBySession(std::shared_ptr<ApiCall> call, std::string session_token);
  void ContinueWithSession(std::shared_ptr<ApiCall> call, const std::string& session_token,
                           const SessionIdentity& identity);
  void Forward(std::shared_ptr<ApiCall> call, std::string authorization);
  void ForwardStream(const std::shared_ptr<ApiCall>& call, MessageStub& stub,
                     const std::string& authorization);
  void RespondFile(const std::shared_ptr<ApiCall>& call);
  void OnBackendDone(const std::shared_ptr<ApiCall>& call, const grpc::Status& status);
  void FinishLogin(const std::shared_ptr<ApiCall>& call);
  void RespondError(const std::shared_ptr<ApiCall>& call, const HttpError& error,
                    bool clear_cookies = false);
  void AddClearCookieHeaders(HttpResponse& response) const;
  void PrepareContext(grpc::ClientContext& context, const ApiCall& call) const;

  // Registration of running calls, for CancelAll and the destructor. `cancel` replaces
  // context->TryCancel() for calls that need more to stop.
  void BeginCall(grpc::ClientContext* context, std::function<void()> cancel = nullptr);
  void EndCall(grpc::ClientContext* context);

  const RouteTable& routes_;
  const BackendPool& backends_;
  IdentityCache& identities_;
  const ApiOptions options_;
  // Null when --backends names no AccountsService; cookies are then ignored.
  MessageStub* const accounts_;

  std::mutex mutex_;
  std::condition_variable idle_;
  std::map<grpc::ClientContext*, std::function<void()>> running_;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_API_HANDLER_H_

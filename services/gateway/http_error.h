// Error responses of the gateway.
//
// Every error, whether a backend returned it or the gateway raised it, gets a response body of
// one JSON shape:
//   {"code":"PERMISSION_DENIED","reason":"...","message":"<zh-CN text>","details":{...},
//    "request_id":"..."}
// `code` is the gRPC code name, `reason` the ErrorInfo reason, `message` the zh-CN
// LocalizedMessage and `details` the ErrorInfo metadata. The HTTP status follows the gRPC code as
// grpc-gateway and Envoy map it, except for the HTTP-only cases (405, 413, 431).
#ifndef QUXIANG_SERVICES_GATEWAY_HTTP_ERROR_H_
#define QUXIANG_SERVICES_GATEWAY_HTTP_ERROR_H_

#include <cstddef>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/status/error.h"

namespace quxiang::gateway {

struct HttpError {
  int http_status = 500;
  // Carries the ErrorInfo and LocalizedMessage payloads of libs/status/error.h.
  absl::Status status;
};

// An error whose HTTP status follows from the code of `status`.
HttpError HttpErrorFromStatus(absl::Status status);

// Converts a failed backend call. A status without ErrorInfo (one raised by gRPC itself, such as
// an unreachable backend or an expired deadline) gets a gateway reason and message.
HttpError HttpErrorFromGrpc(const grpc::Status& status, absl::string_view grpc_method);

// Renders the JSON error body.
std::string ErrorBodyJson(const HttpError& error, absl::string_view request_id);

// Errors the gateway raises itself.
HttpError RouteNotFound(absl::string_view path);
HttpError MethodNotAllowed(absl::string_view method, absl::string_view path,
                           const std::vector<std::string>& allowed_methods);
HttpError FileNotFound(absl::string_view path);
HttpError BodyTooLarge(size_t max_body_bytes);
HttpError HeadersTooLarge(size_t max_header_bytes);
HttpError MalformedHttpRequest();
HttpError InvalidJson(absl::string_view parser_message);
// The body is not valid UTF-8; `body` is the raw body, of which only a short excerpt is kept.
HttpError InvalidUtf8Body(absl::string_view body);
HttpError BodyNotAllowed(absl::string_view method, absl::string_view path);
// An upload route received an empty body.
HttpError EmptyUpload(absl::string_view path);
// The X-File-Name header is not percent-encoded text: a malformed escape or a control character.
HttpError InvalidFileNameHeader(absl::string_view value);
// The X-File-Name header decodes to bytes that are not UTF-8; `decoded` is the decoded name.
HttpError InvalidUtf8FileName(absl::string_view decoded);
HttpError UnknownQueryParameter(absl::string_view name);
HttpError InvalidParameterValue(absl::string_view kind, absl::string_view name,
                                absl::string_view value);
HttpError InvalidTimeoutHeader(absl::string_view value);
HttpError CsrfTokenInvalid();
HttpError BackendResponseInvalid(absl::string_view grpc_method);
HttpError ServiceShuttingDown();

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_HTTP_ERROR_H_

// Health probes for container health checks: a grpc.health.v1 Check against a gRPC server, or
// an HTTP GET that must return a 2xx status.
#ifndef QUXIANG_TOOLS_HEALTHCHECK_PROBE_H_
#define QUXIANG_TOOLS_HEALTHCHECK_PROBE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace quxiang::healthcheck {

// Calls grpc.health.v1.Health/Check for `service` ("" is the whole server) on `target`
// (host:port, or any gRPC target). OK when the response is SERVING; UNAVAILABLE with the status
// in the message when it is not; the RPC's own error (UNAVAILABLE, DEADLINE_EXCEEDED,
// NOT_FOUND for an unknown service name) when the call fails.
absl::Status CheckGrpc(const std::string& target, const std::string& service, absl::Duration timeout);

// Sends GET `url` (http://host:port/path; no TLS). OK for a 2xx response; UNAVAILABLE for any
// other status or a failed connection; INVALID_ARGUMENT for a URL that is not http://host:port/...
absl::Status CheckHttp(const std::string& url, absl::Duration timeout);

}  // namespace quxiang::healthcheck

#endif  // QUXIANG_TOOLS_HEALTHCHECK_PROBE_H_

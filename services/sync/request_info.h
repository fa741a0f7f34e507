// The caller and metadata of a call, without gRPC types, so that tests can call the domain
// directly.
#ifndef QUXIANG_SERVICES_SYNC_REQUEST_INFO_H_
#define QUXIANG_SERVICES_SYNC_REQUEST_INFO_H_

#include <string>

#include "absl/time/time.h"
#include "libs/identity/principal.h"

namespace quxiang::sync {

struct RequestInfo {
  // The verified caller; every RPC of this service needs one.
  const identity::Principal* principal = nullptr;
  // The full RPC method name; part of the idempotency key.
  std::string method;
  // The tracing id of the call (x-request-id), written to audit entries.
  std::string trace_id;
  absl::Time deadline = absl::InfiniteFuture();
  std::string peer;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_REQUEST_INFO_H_

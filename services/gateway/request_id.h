// Request ids: taken from the client's X-Request-Id when well-formed, generated otherwise.
#ifndef QUXIANG_SERVICES_GATEWAY_REQUEST_ID_H_
#define QUXIANG_SERVICES_GATEWAY_REQUEST_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace quxiang::gateway {

// True for 1 to 64 characters of [A-Za-z0-9._-], which are safe in logs and metadata.
bool IsValidRequestId(absl::string_view id);

// A random UUID (version 4) in the 8-4-4-4-12 lower-case hex form.
std::string NewRequestId();

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_REQUEST_ID_H_

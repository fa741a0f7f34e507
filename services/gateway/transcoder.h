// JSON and URL parts of an HTTP request to a protobuf request message, and a response message
// back to JSON, following the google.api.http mapping rules.
//
// Request: the body is parsed first (into the whole message for body "*", into the named field
// otherwise), then path variables are set, then query parameters fill the remaining fields.
// Parsing is strict: unknown JSON fields, unknown query parameters and query parameters that name
// a field already bound by the path or the body are rejected, because a typo silently dropped
// could change what a write does.
#ifndef QUXIANG_SERVICES_GATEWAY_TRANSCODER_H_
#define QUXIANG_SERVICES_GATEWAY_TRANSCODER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/http_error.h"
#include "services/gateway/route_table.h"

namespace quxiang::gateway {

// Builds the request message of `route`. Returns nullptr and sets `error` when the body, a path
// variable or a query parameter is invalid.
std::unique_ptr<google::protobuf::Message> BuildRequestMessage(
    const Route& route, const std::vector<PathBinding>& bindings, absl::string_view query,
    absl::string_view body, HttpError* error);

// Splits a query string into decoded (name, value) pairs in order; "+" decodes to a space.
// Returns nullopt when a percent escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQueryString(
    absl::string_view query);

// Sets the scalar field at the end of `field_path` from its text form, or appends to it when it
// is repeated. Integers are decimal, booleans "true"/"false", enums a value name or number, bytes
// base64. Returns false when `text` does not parse as the field's type.
bool SetFieldFromText(google::protobuf::Message& message,
                      const std::vector<const google::protobuf::FieldDescriptor*>& field_path,
                      absl::string_view text);

// Renders `message` as JSON: lowerCamelCase names, fields with default values included, enums
// by name, 64-bit integers as strings (the protobuf 3.21 defaults apart from the first).
absl::StatusOr<std::string> RenderResponseJson(const google::protobuf::Message& message);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_TRANSCODER_H_

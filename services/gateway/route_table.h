// HTTP routes built from the google.api.http options of gRPC methods.
//
// Each HttpRule (and each of its additional_bindings) becomes one Route. The table is built once
// at start and then only read, so lookups need no lock.
#ifndef QUXIANG_SERVICES_GATEWAY_ROUTE_TABLE_H_
#define QUXIANG_SERVICES_GATEWAY_ROUTE_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/path_template.h"

namespace quxiang::gateway {

struct Route {
  // Upper-case HTTP method: GET, POST, PUT, PATCH, DELETE or the kind of a custom pattern.
  std::string http_method;
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // "" (no body), "*" (the whole request message) or the name of a top-level request field.
  std::string body_field;
  // The gRPC method path, "/package.Service/Method".
  std::string grpc_method;
  // The body field when it is a quxiang.common.v1.HttpFile: the request body is then the raw
  // file, not JSON. Null otherwise.
  const google::protobuf::FieldDescriptor* upload_field = nullptr;
  // The method returns quxiang.common.v1.HttpFile, or a server stream of it when
  // `server_streaming` is set: the response is the raw file, not JSON.
  bool file_response = false;
  bool server_streaming = false;
};

// The full name of the message that crosses the gateway as raw HTTP bytes.
inline constexpr char kHttpFileMessage[] = "quxiang.common.v1.HttpFile";

struct RouteMatch {
  enum class Outcome { kMatched, kNotFound, kMethodNotAllowed };
  Outcome outcome = Outcome::kNotFound;
  const Route* route = nullptr;
  std::vector<PathBinding> bindings;
  // For kMethodNotAllowed: the methods the path accepts, for the Allow header.
  std::vector<std::string> allowed_methods;
};

class RouteTable {
 public:
  // Adds a route for every HTTP rule of every method of `service`. Methods without a rule are
  // skipped. Returns INVALID_ARGUMENT when a rule is malformed: a bad path template, a variable
  // that names no singular scalar field, a body that names no singular top-level field, or a
  // rule on a streaming method other than a server stream of HttpFile.
  absl::Status AddService(const google::protobuf::ServiceDescriptor& service);

  // Adds `rule` and its additional bindings for `method`.
  absl::Status AddRule(const google::protobuf::MethodDescriptor& method,
                       const google::api::HttpRule& rule);

  // Finds the route for `http_method` and `path` (no query string). When several templates match,
  // the one with a verb wins, then the one with more literal segments, then the one without a
  // trailing "**", then the one added first.
  RouteMatch Match(absl::string_view http_method, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Resolves a dotted field path against `message_type`. Returns the fields from the top down, or
// an empty vector when a name is unknown or an intermediate field is not a singular message.
// Each name may be the proto name or its lowerCamelCase JSON name.
std::vector<const google::protobuf::FieldDescriptor*> ResolveFieldPath(
    const google::protobuf::Descriptor& message_type, const std::vector<std::string>& field_path);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_ROUTE_TABLE_H_

#include "services/gateway/route_table.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/api/annotations.pb.h"

namespace quxiang::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

bool IsScalar(const FieldDescriptor& field) {
  return field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
}

absl::Status RuleError(const MethodDescriptor& method, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("google.api.http rule of ", method.full_name(), ": ", what));
}

// The HTTP method and path of `rule`, or an error when its pattern is unset.
absl::StatusOr<std::pair<std::string, std::string>> PatternOf(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return std::make_pair(std::string("GET"), rule.get());
    case google::api::HttpRule::kPut:
      return std::make_pair(std::string("PUT"), rule.put());
    case google::api::HttpRule::kPost:
      return std::make_pair(std::string("POST"), rule.post());
    case google::api::HttpRule::kDelete:
      return std::make_pair(std::string("DELETE"), rule.delete_());
    case google::api::HttpRule::kPatch:
      return std::make_pair(std::string("PATCH"), rule.patch());
    case google::api::HttpRule::kCustom:
      return std::make_pair(rule.custom().kind(), rule.custom().path());
    default:
      return absl::InvalidArgumentError("the rule has no HTTP method and path");
  }
}

}  // namespace

std::vector<const FieldDescriptor*> ResolveFieldPath(const Descriptor& message_type,
                                                     const std::vector<std::string>& field_path) {
  std::vector<const FieldDescriptor*> fields;
  const Descriptor* current = &message_type;
  for (size_t i = 0; i < field_path.size(); ++i) {
    if (current == nullptr) return {};
    const FieldDescriptor* field = current->FindFieldByName(field_path[i]);
    if (field == nullptr) field = current->FindFieldByCamelcaseName(field_path[i]);
    if (field == nullptr) return {};
    bool last = i + 1 == field_path.size();
    if (!last && (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)) {
      return {};
    }
    fields.push_back(field);
    current = field->message_type();
  }
  return fields;
}

absl::Status RouteTable::AddService(const google::protobuf::ServiceDescriptor& service) {
  for (int i = 0; i < service.method_count(); ++i) {
    const MethodDescriptor& method = *service.method(i);
    if (!method.options().HasExtension(google::api::http)) continue;
    if (absl::Status status = AddRule(method, method.options().GetExtension(google::api::http));
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status RouteTable::AddRule(const MethodDescriptor& method,
                                 const google::api::HttpRule& rule) {
  bool file_response = method.output_type()->full_name() == kHttpFileMessage;
  if (method.client_streaming() || (method.server_streaming() && !file_response)) {
    return RuleError(method, absl::StrCat("streaming methods are not transcoded, except a "
                                          "server stream of ", kHttpFileMessage));
  }
  auto pattern = PatternOf(rule);
  if (!pattern.ok()) return RuleError(method, pattern.status().message());
  auto [http_method, path_text] = *std::move(pattern);
  if (http_method.empty()) return RuleError(method, "the custom pattern has no kind");

  auto path = PathTemplate::Parse(path_text);
  if (!path.ok()) return RuleError(method, path.status().message());

  const Descriptor& input = *method.input_type();
  for (const std::vector<std::string>& field_path : path->variable_field_paths()) {
    std::vector<const FieldDescriptor*> fields = ResolveFieldPath(input, field_path);
    std::string name = absl::StrJoin(field_path, ".");
    if (fields.empty()) return RuleError(method, absl::StrCat("no field \"", name, "\""));
    if (fields.back()->is_repeated() || !IsScalar(*fields.back())) {
      return RuleError(method, absl::StrCat("path variable \"", name,
                                            "\" must name a singular scalar field"));
    }
  }

  const FieldDescriptor* upload_field = nullptr;
  if (!rule.body().empty() && rule.body() != "*") {
    const FieldDescriptor* body = input.FindFieldByName(rule.body());
    if (body == nullptr || body->is_repeated()) {
      return RuleError(method, absl::StrCat("body \"", rule.body(),
                                            "\" must name a singular top-level field"));
    }
    if (body->message_type() != nullptr && body->message_type()->full_name() == kHttpFileMessage) {
      upload_field = body;
    }
  }

  Route route;
  route.http_method = http_method;
  route.path = *std::move(path);
  route.method = &method;
  route.body_field = rule.body();
  route.grpc_method = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route.upload_field = upload_field;
  route.file_response = file_response;
  route.server_streaming = method.server_streaming();
  routes_.push_back(std::move(route));

  for (const google::api::HttpRule& additional : rule.additional_bindings()) {
    if (additional.additional_bindings_size() > 0) {
      return RuleError(method, "additional_bindings must not nest");
    }
    if (absl::Status status = AddRule(method, additional); !status.ok()) return status;
  }
  return absl::OkStatus();
}

RouteMatch RouteTable::Match(absl::string_view http_method, absl::string_view path) const {
  RouteMatch result;
  // The specificity key orders by verb, then literal count, then the absence of a trailing "**".
  // The highest key wins.
  std::tuple<bool, int, bool> best_key{false, -1, false};
  for (const Route& route : routes_) {
    std::optional<std::vector<PathBinding>> bindings = route.path.Match(path);
    if (!bindings.has_value()) continue;
    if (route.http_method != http_method) {
      if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(),
                    route.http_method) == result.allowed_methods.end()) {
        result.allowed_methods.push_back(route.http_method);
      }
      continue;
    }
    std::tuple<bool, int, bool> key{!route.path.verb().empty(), route.path.literal_count(),
                                    !route.path.ends_with_multi_segment_wildcard()};
    if (result.route == nullptr || key > best_key) {
      best_key = key;
      result.route = &route;
      result.bindings = *std::move(bindings);
    }
  }

  if (result.route != nullptr) {
    result.outcome = RouteMatch::Outcome::kMatched;
    result.allowed_methods.clear();
  } else if (!result.allowed_methods.empty()) {
    result.outcome = RouteMatch::Outcome::kMethodNotAllowed;
  }
  return result;
}

}  // namespace quxiang::gateway

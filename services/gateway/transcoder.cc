#include "services/gateway/transcoder.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/path_template.h"

namespace quxiang::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status ToAbslStatus(const google::protobuf::util::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(status.message().ToString());
}

bool ParseBool(absl::string_view text, bool* value) {
  if (text == "true" || text == "1") {
    *value = true;
    return true;
  }
  if (text == "false" || text == "0") {
    *value = false;
    return true;
  }
  return false;
}

// Parses the body into the single top-level field `field` of `message`. A message field is parsed
// directly, so unknown fields inside it are rejected as for body "*". A scalar field is parsed
// through the wrapper {"<field>": <body>}, and anything else the wrapper picked up is rejected.
absl::Status ParseBodyIntoField(absl::string_view body, const FieldDescriptor& field,
                                const google::protobuf::util::JsonParseOptions& options,
                                Message& message) {
  const Reflection& reflection = *message.GetReflection();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* target = reflection.MutableMessage(&message, &field);
    return ToAbslStatus(
        google::protobuf::util::JsonStringToMessage(std::string(body), target, options));
  }

  std::unique_ptr<Message> wrapper(message.New());
  std::string wrapped = absl::StrCat("{\"", field.name(), "\":", body, "}");
  if (absl::Status status = ToAbslStatus(
          google::protobuf::util::JsonStringToMessage(wrapped, wrapper.get(), options));
      !status.ok()) {
    return status;
  }
  std::vector<const FieldDescriptor*> set_fields;
  wrapper->GetReflection()->ListFields(*wrapper, &set_fields);
  for (const FieldDescriptor* set_field : set_fields) {
    if (set_field != &field) {
      return absl::InvalidArgumentError("the body must be a single JSON value");
    }
  }
  message.MergeFrom(*wrapper);
  return absl::OkStatus();
}

bool StartsWith(const std::vector<const FieldDescriptor*>& path,
                const std::vector<const FieldDescriptor*>& prefix) {
  if (prefix.size() > path.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (path[i] != prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool SetFieldFromText(Message& message, const std::vector<const FieldDescriptor*>& field_path,
                      absl::string_view text) {
  if (field_path.empty()) return false;
  Message* target = &message;
  for (size_t i = 0; i + 1 < field_path.size(); ++i) {
    target = target->GetReflection()->MutableMessage(target, field_path[i]);
  }
  const FieldDescriptor& field = *field_path.back();
  const Reflection& reflection = *target->GetReflection();
  bool repeated = field.is_repeated();

  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value(text);
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::Base64Unescape(text, &value) && !absl::WebSafeBase64Unescape(text, &value)) {
          return false;
        }
      } else if (ToValidUtf8(text) != text) {
        // A proto3 string must be UTF-8; the backend would fail to parse the request otherwise.
        return false;
      }
      repeated ? reflection.AddString(target, &field, value)
               : reflection.SetString(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      repeated ? reflection.AddInt32(target, &field, value)
               : reflection.SetInt32(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      repeated ? reflection.AddInt64(target, &field, value)
               : reflection.SetInt64(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      repeated ? reflection.AddUInt32(target, &field, value)
               : reflection.SetUInt32(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return false;
      repeated ? reflection.AddUInt64(target, &field, value)
               : reflection.SetUInt64(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return false;
      repeated ? reflection.AddDouble(target, &field, value)
               : reflection.SetDouble(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float value;
      if (!absl::SimpleAtof(text, &value)) return false;
      repeated ? reflection.AddFloat(target, &field, value)
               : reflection.SetFloat(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (!ParseBool(text, &value)) return false;
      repeated ? reflection.AddBool(target, &field, value)
               : reflection.SetBool(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* value =
          field.enum_type()->FindValueByName(std::string(text));
      int number;
      if (value == nullptr && absl::SimpleAtoi(text, &number)) {
        value = field.enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) return false;
      repeated ? reflection.AddEnum(target, &field, value)
               : reflection.SetEnum(target, &field, value);
      return true;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return false;
  }
  return false;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQueryString(
    absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> raw = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    for (std::string* part : {&raw.first, &raw.second}) {
      absl::StrReplaceAll({{"+", " "}}, part);
    }
    std::optional<std::string> name = PercentDecode(raw.first);
    std::optional<std::string> value = PercentDecode(raw.second);
    if (!name.has_value() || !value.has_value()) return std::nullopt;
    parameters.emplace_back(*std::move(name), *std::move(value));
  }
  return parameters;
}

std::unique_ptr<Message> BuildRequestMessage(const Route& route,
                                             const std::vector<PathBinding>& bindings,
                                             absl::string_view query, absl::string_view body,
                                             HttpError* error) {
  const Descriptor& input = *route.method->input_type();
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&input);
  std::unique_ptr<Message> message(prototype->New());

  google::protobuf::util::JsonParseOptions json_options;
  json_options.ignore_unknown_fields = false;
  bool has_body = !absl::StripAsciiWhitespace(body).empty();
  const FieldDescriptor* body_field = nullptr;
  if (!route.body_field.empty() && route.body_field != "*") {
    body_field = input.FindFieldByName(route.body_field);
  }

  if (has_body && route.body_field.empty()) {
    *error = BodyNotAllowed(route.http_method, route.path.text());
    return nullptr;
  }
  if (has_body && ToValidUtf8(body) != body) {
    *error = InvalidUtf8Body(body);
    return nullptr;
  }
  if (has_body) {
    absl::Status parsed =
        body_field == nullptr
            ? ToAbslStatus(google::protobuf::util::JsonStringToMessage(
                  std::string(body), message.get(), json_options))
            : ParseBodyIntoField(body, *body_field, json_options, *message);
    if (!parsed.ok()) {
      *error = InvalidJson(parsed.message());
      return nullptr;
    }
  }

  std::vector<std::vector<const FieldDescriptor*>> bound_paths;
  for (const PathBinding& binding : bindings) {
    std::vector<const FieldDescriptor*> path = ResolveFieldPath(input, binding.field_path);
    if (path.empty() || !SetFieldFromText(*message, path, binding.value)) {
      *error = InvalidParameterValue("路径参数", absl::StrJoin(binding.field_path, "."),
                                     ToValidUtf8(binding.value));
      return nullptr;
    }
    bound_paths.push_back(std::move(path));
  }

  auto parameters = ParseQueryString(query);
  if (!parameters.has_value()) {
    *error = InvalidParameterValue("查询字符串", "", query);
    return nullptr;
  }
  for (const auto& [name, value] : *parameters) {
    if (route.body_field == "*") {
      *error = UnknownQueryParameter(name);
      return nullptr;
    }
    std::vector<const FieldDescriptor*> path =
        ResolveFieldPath(input, absl::StrSplit(name, '.'));
    bool usable = !path.empty() && path.back()->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
                  (body_field == nullptr || path.front() != body_field);
    for (const auto& bound : bound_paths) usable = usable && !StartsWith(path, bound);
    if (!usable) {
      *error = UnknownQueryParameter(name);
      return nullptr;
    }
    if (!SetFieldFromText(*message, path, value)) {
      *error = InvalidParameterValue("查询参数", name, ToValidUtf8(value));
      return nullptr;
    }
  }
  return message;
}

absl::StatusOr<std::string> RenderResponseJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (absl::Status status =
          ToAbslStatus(google::protobuf::util::MessageToJsonString(message, &json, options));
      !status.ok()) {
    return status;
  }
  return json;
}

}  // namespace quxiang::gateway

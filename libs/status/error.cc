#include "libs/status/error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace quxiang {
namespace {

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence at the start of `text`, or 0 when there is none
// (stray continuation byte, truncated sequence, overlong form, surrogate, above U+10FFFF).
size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string ToValidUtf8(absl::string_view text) {
  std::string result;
  result.reserve(text.size());
  while (!text.empty()) {
    size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      result.append(kReplacementCharacter);
      text.remove_prefix(1);
    } else {
      result.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  return result;
}

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view zh_message,
                       const ErrorMetadata& metadata) {
  const std::string message = ToValidUtf8(zh_message);
  absl::Status status(code, message);

  google::rpc::ErrorInfo info;
  info.set_reason(ToValidUtf8(reason));
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata) {
    (*info.mutable_metadata())[ToValidUtf8(key)] = ToValidUtf8(value);
  }
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));

  google::rpc::LocalizedMessage localized;
  localized.set_locale(kLocaleZhCn);
  localized.set_message(message);
  status.SetPayload(kLocalizedMessageTypeUrl, absl::Cord(localized.SerializeAsString()));
  return status;
}

absl::Status InvalidArgument(absl::string_view reason, absl::string_view zh_message,
                             const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, zh_message, metadata);
}

absl::Status FailedPrecondition(absl::string_view reason, absl::string_view zh_message,
                                const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, zh_message, metadata);
}

absl::Status Aborted(absl::string_view reason, absl::string_view zh_message,
                     const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kAborted, reason, zh_message, metadata);
}

absl::Status AlreadyExists(absl::string_view reason, absl::string_view zh_message,
                           const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kAlreadyExists, reason, zh_message, metadata);
}

absl::Status NotFound(absl::string_view reason, absl::string_view zh_message,
                      const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kNotFound, reason, zh_message, metadata);
}

absl::Status PermissionDenied(absl::string_view reason, absl::string_view zh_message,
                              const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kPermissionDenied, reason, zh_message, metadata);
}

absl::Status Unauthenticated(absl::string_view reason, absl::string_view zh_message,
                             const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, zh_message, metadata);
}

absl::Status ResourceExhausted(absl::string_view reason, absl::string_view zh_message,
                               const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kResourceExhausted, reason, zh_message, metadata);
}

absl::Status Unavailable(absl::string_view reason, absl::string_view zh_message,
                         const ErrorMetadata& metadata) {
  return MakeError(absl::StatusCode::kUnavailable, reason, zh_message, metadata);
}

absl::Status Internal(absl::string_view reason, absl::string_view detail_for_logs) {
  // The detail stays in the server log (ToGrpcStatus logs and replaces it); users get a generic
  // message because internal details can leak schema or data.
  absl::Status status = MakeError(absl::StatusCode::kInternal, reason,
                                  "系统内部错误，请稍后重试；如果问题持续，请联系平台运维并提供请求编号。");
  status.SetPayload("quxiang/internal-detail", absl::Cord(std::string(detail_for_logs)));
  return status;
}

absl::Status StaleVersion(absl::string_view record_type, absl::string_view record_id) {
  return Aborted("STALE_VERSION", "该记录已被他人处理，请刷新后重试。",
                 {{"record_type", std::string(record_type)}, {"record_id", std::string(record_id)}});
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value()) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

std::optional<std::string> ErrorZhMessage(const absl::Status& status) {
  auto payload = status.GetPayload(kLocalizedMessageTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::LocalizedMessage localized;
  if (!localized.ParseFromString(std::string(*payload))) return std::nullopt;
  return localized.message();
}

ErrorMetadata ErrorMetadataOf(const absl::Status& status) {
  ErrorMetadata metadata;
  auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value()) return metadata;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return metadata;
  for (const auto& [key, value] : info.metadata()) metadata[key] = value;
  return metadata;
}

}  // namespace quxiang

#include "libs/status/error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace quxiang {

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view zh_message,
                       const ErrorMetadata& metadata) {
  absl::Status status(code, zh_message);

  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));

  google::rpc::LocalizedMessage localized;
  localized.set_locale(kLocaleZhCn);
  localized.set_message(std::string(zh_message));
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

// Errors with a reason code and a Chinese message for the people who use the platform.
//
// Every error that leaves a service carries google.rpc.ErrorInfo (reason in UPPER_SNAKE_CASE,
// domain "quxiang", the offending values as metadata) and google.rpc.LocalizedMessage in zh-CN.
// Inside a service they travel as absl::Status payloads, built here and converted to grpc::Status
// in exactly one place (grpc_status.h).
//
// Example:
//   return quxiang::InvalidArgument("DEPARTMENT_NOT_IN_SCHOOL",
//       absl::StrCat("院系“", name, "”不在本校院系名单中，请使用与毕业生名单完全一致的院系名称。"),
//       {{"department_name", name}});
#ifndef QUXIANG_LIBS_STATUS_ERROR_H_
#define QUXIANG_LIBS_STATUS_ERROR_H_

#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace quxiang {

inline constexpr char kErrorDomain[] = "quxiang";
inline constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr char kLocalizedMessageTypeUrl[] = "type.googleapis.com/google.rpc.LocalizedMessage";
inline constexpr char kLocaleZhCn[] = "zh-CN";

using ErrorMetadata = std::map<std::string, std::string>;

// `text` with every byte that does not belong to a well-formed UTF-8 sequence replaced by U+FFFD.
// Protobuf string fields must hold valid UTF-8, so text that may come from a client passes
// through this before it goes into an error.
std::string ToValidUtf8(absl::string_view text);

// Builds a non-OK status whose message is `zh_message` and whose payloads are an ErrorInfo with
// `reason` and `metadata` and a zh-CN LocalizedMessage. Every string is made valid UTF-8 with
// ToValidUtf8, so a value quoting raw client bytes cannot make the error unserializable.
[[nodiscard]] absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                                     absl::string_view zh_message, const ErrorMetadata& metadata = {});

[[nodiscard]] absl::Status InvalidArgument(absl::string_view reason, absl::string_view zh_message,
                                           const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status FailedPrecondition(absl::string_view reason, absl::string_view zh_message,
                                              const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status Aborted(absl::string_view reason, absl::string_view zh_message,
                                   const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status AlreadyExists(absl::string_view reason, absl::string_view zh_message,
                                         const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status NotFound(absl::string_view reason, absl::string_view zh_message,
                                    const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status PermissionDenied(absl::string_view reason, absl::string_view zh_message,
                                            const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status Unauthenticated(absl::string_view reason, absl::string_view zh_message,
                                           const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status ResourceExhausted(absl::string_view reason, absl::string_view zh_message,
                                             const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status Unavailable(absl::string_view reason, absl::string_view zh_message,
                                       const ErrorMetadata& metadata = {});
[[nodiscard]] absl::Status Internal(absl::string_view reason, absl::string_view detail_for_logs);

// The stale-version error every conditional update returns.
[[nodiscard]] absl::Status StaleVersion(absl::string_view record_type, absl::string_view record_id);

// The reason code of `status`, or an empty string when it carries no ErrorInfo.
std::string ErrorReason(const absl::Status& status);

// The zh-CN message of `status`, or nullopt when it carries none.
std::optional<std::string> ErrorZhMessage(const absl::Status& status);

// The metadata of the ErrorInfo of `status` (empty when none).
ErrorMetadata ErrorMetadataOf(const absl::Status& status);

}  // namespace quxiang

#endif  // QUXIANG_LIBS_STATUS_ERROR_H_

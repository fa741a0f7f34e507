#include "services/gateway/http_error.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/logging/logging.h"
#include "libs/status/grpc_status.h"

namespace quxiang::gateway {
namespace {

HttpError MakeHttpError(int http_status, absl::StatusCode code, absl::string_view reason,
                        absl::string_view zh_message, const ErrorMetadata& metadata = {}) {
  return HttpError{http_status, MakeError(code, reason, zh_message, metadata)};
}

std::string JsonString(absl::string_view text) {
  return absl::StrCat("\"", logging::JsonEscape(std::string(text)), "\"");
}

// Reason and message for a backend status without ErrorInfo. gRPC itself fails calls that way
// (no connection, deadline, cancellation), and so does a backend that bypasses libs/status.
std::pair<std::string, std::string> DefaultsForGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return {"BACKEND_UNAVAILABLE",
              "后端服务暂时不可用，请稍后重试；如果持续出现，请联系平台运维并提供请求编号。"};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {"DEADLINE_EXCEEDED", "后端服务未在时限内响应，请稍后重试。"};
    case grpc::StatusCode::CANCELLED:
      return {"CANCELLED", "请求已取消。"};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {"UNIMPLEMENTED", "后端服务尚未提供该接口，请联系平台运维。"};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {"RESOURCE_EXHAUSTED", "系统繁忙，请稍后重试。"};
    case grpc::StatusCode::UNAUTHENTICATED:
      return {"UNAUTHENTICATED", "登录已失效，请重新登录。"};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {"PERMISSION_DENIED", "没有执行此操作的权限。"};
    default:
      return {"BACKEND_ERROR",
              "系统内部错误，请稍后重试；如果问题持续，请联系平台运维并提供请求编号。"};
  }
}

}  // namespace

HttpError HttpErrorFromStatus(absl::Status status) {
  int http_status = HttpStatusForGrpcCode(static_cast<grpc::StatusCode>(status.code()));
  return HttpError{http_status, std::move(status)};
}

HttpError HttpErrorFromGrpc(const grpc::Status& status, absl::string_view grpc_method) {
  absl::Status converted = FromGrpcStatus(status);
  if (!ErrorReason(converted).empty() && ErrorZhMessage(converted).has_value()) {
    return HttpErrorFromStatus(std::move(converted));
  }

  // The raw gRPC message may hold English internals, so it goes to the log and not to the user.
  spdlog::warn("backend {} failed without error details: code={} message={}", std::string(grpc_method),
               static_cast<int>(status.error_code()), status.error_message());
  auto [reason, zh_message] = DefaultsForGrpcCode(status.error_code());
  std::string fallback_reason = ErrorReason(converted);
  return HttpErrorFromStatus(
      MakeError(static_cast<absl::StatusCode>(status.error_code()),
                fallback_reason.empty() ? reason : fallback_reason,
                ErrorZhMessage(converted).value_or(zh_message), ErrorMetadataOf(converted)));
}

std::string ErrorBodyJson(const HttpError& error, absl::string_view request_id) {
  std::string reason = ErrorReason(error.status);
  std::string message = ErrorZhMessage(error.status).value_or(std::string(error.status.message()));

  std::vector<std::string> details;
  for (const auto& [key, value] : ErrorMetadataOf(error.status)) {
    details.push_back(absl::StrCat(JsonString(key), ":", JsonString(value)));
  }

  return absl::StrCat("{\"code\":", JsonString(absl::StatusCodeToString(error.status.code())),
                      ",\"reason\":", JsonString(reason), ",\"message\":", JsonString(message),
                      ",\"details\":{", absl::StrJoin(details, ","),
                      "},\"request_id\":", JsonString(request_id), "}");
}

HttpError RouteNotFound(absl::string_view path) {
  return MakeHttpError(404, absl::StatusCode::kNotFound, "ROUTE_NOT_FOUND",
                       absl::StrCat("接口“", path, "”不存在，请检查请求路径。"),
                       {{"path", std::string(path)}});
}

HttpError MethodNotAllowed(absl::string_view method, absl::string_view path,
                           const std::vector<std::string>& allowed_methods) {
  std::string allowed = absl::StrJoin(allowed_methods, ", ");
  return MakeHttpError(
      405, absl::StatusCode::kUnimplemented, "METHOD_NOT_ALLOWED",
      absl::StrCat("接口“", path, "”不支持 ", method, " 请求，请改用 ", allowed, "。"),
      {{"method", std::string(method)}, {"path", std::string(path)}, {"allowed", allowed}});
}

HttpError FileNotFound(absl::string_view path) {
  return MakeHttpError(404, absl::StatusCode::kNotFound, "FILE_NOT_FOUND",
                       "请求的文件不存在，请检查地址。", {{"path", std::string(path)}});
}

HttpError BodyTooLarge(size_t max_body_bytes) {
  std::string limit = std::to_string(max_body_bytes);
  return MakeHttpError(413, absl::StatusCode::kInvalidArgument, "BODY_TOO_LARGE",
                       absl::StrCat("请求体超过 ", limit, " 字节的上限，请减小请求内容后重试。"),
                       {{"max_body_bytes", limit}});
}

HttpError HeadersTooLarge(size_t max_header_bytes) {
  std::string limit = std::to_string(max_header_bytes);
  return MakeHttpError(
      431, absl::StatusCode::kInvalidArgument, "HEADERS_TOO_LARGE",
      absl::StrCat("请求头超过 ", limit, " 字节的上限，请清除本站 Cookie 后重试。"),
      {{"max_header_bytes", limit}});
}

HttpError MalformedHttpRequest() {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "MALFORMED_HTTP_REQUEST",
                       "HTTP 请求格式错误，服务器无法解析，请检查客户端。");
}

// Maximum number of bytes of client text echoed back in error details.
constexpr size_t kMaxExcerptBytes = 120;

HttpError InvalidJson(absl::string_view parser_message) {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "INVALID_JSON",
                       "请求体不是有效的 JSON，或含有接口未定义的字段或取值，请按接口定义改正后重试。",
                       {{"parse_error", std::string(parser_message.substr(0, kMaxExcerptBytes))}});
}

// The offset of the first byte of `text` that is not part of well-formed UTF-8.
static size_t FirstInvalidUtf8Byte(absl::string_view text) {
  const std::string valid = ToValidUtf8(text);
  size_t first_bad = 0;
  while (first_bad < text.size() && first_bad < valid.size() &&
         text[first_bad] == valid[first_bad]) {
    ++first_bad;
  }
  return first_bad;
}

HttpError InvalidUtf8Body(absl::string_view body) {
  const size_t first_bad = FirstInvalidUtf8Byte(body);
  const size_t start = first_bad > kMaxExcerptBytes / 2 ? first_bad - kMaxExcerptBytes / 2 : 0;
  return MakeHttpError(
      400, absl::StatusCode::kInvalidArgument, "INVALID_UTF8",
      "提交的内容含有不是有效 UTF-8 编码的字符，请检查并重新输入这些文字，或把文件另存为 UTF-8 "
      "编码后重试。",
      {{"byte_offset", std::to_string(first_bad)},
       {"excerpt", std::string(body.substr(start, kMaxExcerptBytes))}});
}

HttpError BodyNotAllowed(absl::string_view method, absl::string_view path) {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "BODY_NOT_ALLOWED",
                       absl::StrCat(method, " 请求“", path,
                                    "”不接受请求体，请把参数放在路径或查询字符串中。"),
                       {{"method", std::string(method)}, {"path", std::string(path)}});
}

HttpError EmptyUpload(absl::string_view path) {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "EMPTY_FILE",
                       "上传的文件是空的（0 字节），请选择有内容的文件后重新上传。",
                       {{"path", std::string(path)}});
}

HttpError InvalidFileNameHeader(absl::string_view value) {
  return MakeHttpError(
      400, absl::StatusCode::kInvalidArgument, "INVALID_FILE_NAME",
      "请求头 X-File-Name 必须是百分号编码的文件名（如 JavaScript encodeURIComponent 的结果），"
      "且不能含有控制字符，请改正后重新上传。",
      {{"header", "X-File-Name"}, {"value", std::string(value.substr(0, kMaxExcerptBytes))}});
}

HttpError InvalidUtf8FileName(absl::string_view decoded) {
  return MakeHttpError(
      400, absl::StatusCode::kInvalidArgument, "INVALID_UTF8",
      "请求头 X-File-Name 中的文件名不是有效的 UTF-8 编码，请先把文件名按 UTF-8 编码，再做百分号"
      "编码后重新上传。",
      {{"header", "X-File-Name"},
       {"byte_offset", std::to_string(FirstInvalidUtf8Byte(decoded))},
       {"excerpt", std::string(decoded.substr(0, kMaxExcerptBytes))}});
}

HttpError UnknownQueryParameter(absl::string_view name) {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "UNKNOWN_QUERY_PARAMETER",
                       absl::StrCat("查询参数“", name, "”不是该接口的参数，请删除或改正后重试。"),
                       {{"parameter", std::string(name)}});
}

HttpError InvalidParameterValue(absl::string_view kind, absl::string_view name,
                                absl::string_view value) {
  return MakeHttpError(
      400, absl::StatusCode::kInvalidArgument, "INVALID_PARAMETER_VALUE",
      absl::StrCat(kind, "“", name, "”的值“", value, "”格式不正确，请改正后重试。"),
      {{"parameter", std::string(name)}, {"value", std::string(value)}});
}

HttpError InvalidTimeoutHeader(absl::string_view value) {
  return MakeHttpError(400, absl::StatusCode::kInvalidArgument, "INVALID_TIMEOUT",
                       "请求头 X-Timeout-Ms 必须是正整数（毫秒），请改正或删除后重试。",
                       {{"value", std::string(value)}});
}

HttpError CsrfTokenInvalid() {
  return MakeHttpError(403, absl::StatusCode::kPermissionDenied, "CSRF_TOKEN_INVALID",
                       "请求缺少有效的 CSRF 令牌（请求头 X-CSRF-Token），请刷新页面后重试。");
}

HttpError BackendResponseInvalid(absl::string_view grpc_method) {
  return MakeHttpError(500, absl::StatusCode::kInternal, "BACKEND_RESPONSE_INVALID",
                       "后端服务返回的数据无法解析，请稍后重试；如果问题持续，请联系平台运维并提供请求编号。",
                       {{"method", std::string(grpc_method)}});
}

HttpError ServiceShuttingDown() {
  return MakeHttpError(503, absl::StatusCode::kUnavailable, "GATEWAY_SHUTTING_DOWN",
                       "网关正在停止，请稍后重试。");
}

}  // namespace quxiang::gateway

#include "libs/status/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "libs/status/error.h"

namespace quxiang {
namespace {

std::string DefaultZhMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "请求内容有误，请检查后重试。";
    case absl::StatusCode::kDeadlineExceeded:
      return "请求超时，请稍后重试。";
    case absl::StatusCode::kNotFound:
      return "记录不存在或无权查看。";
    case absl::StatusCode::kAlreadyExists:
      return "记录已存在。";
    case absl::StatusCode::kPermissionDenied:
      return "没有执行此操作的权限。";
    case absl::StatusCode::kUnauthenticated:
      return "登录已失效，请重新登录。";
    case absl::StatusCode::kResourceExhausted:
      return "系统繁忙，请稍后重试。";
    case absl::StatusCode::kFailedPrecondition:
      return "当前状态不允许此操作，请刷新后查看。";
    case absl::StatusCode::kAborted:
      return "该记录已被他人处理，请刷新后重试。";
    case absl::StatusCode::kUnavailable:
      return "服务暂时不可用，请稍后重试。";
    case absl::StatusCode::kCancelled:
      return "请求已取消。";
    default:
      return "系统内部错误，请稍后重试；如果问题持续，请联系平台运维并提供请求编号。";
  }
}

std::string DefaultReason(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  for (char& c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == ' ') c = '_';
  }
  return name;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;

  google::rpc::ErrorInfo info;
  auto info_payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!info_payload.has_value() || !info.ParseFromString(std::string(*info_payload))) {
    info.set_reason(DefaultReason(status.code()));
    info.set_domain(kErrorDomain);
  }

  google::rpc::LocalizedMessage localized;
  auto localized_payload = status.GetPayload(kLocalizedMessageTypeUrl);
  if (!localized_payload.has_value() ||
      !localized.ParseFromString(std::string(*localized_payload))) {
    localized.set_locale(kLocaleZhCn);
    localized.set_message(DefaultZhMessage(status.code()));
  }

  // Internal errors without our own message keep their raw text in the server log only.
  std::string message = localized.message();

  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(status.code()));
  rpc_status.set_message(message);
  rpc_status.add_details()->PackFrom(info);
  rpc_status.add_details()->PackFrom(localized);

  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      rpc_status.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();

  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc_status;
  if (status.error_details().empty() || !rpc_status.ParseFromString(status.error_details())) {
    return result;
  }
  for (const auto& detail : rpc_status.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::LocalizedMessage localized;
    if (detail.UnpackTo(&info)) {
      result.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
    } else if (detail.UnpackTo(&localized)) {
      result.SetPayload(kLocalizedMessageTypeUrl, absl::Cord(localized.SerializeAsString()));
    }
  }
  return result;
}

int HttpStatusForGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::UNKNOWN:
      return 500;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    // Deliberately 400, not 412, as in grpc-gateway and Envoy.
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 400;
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::INTERNAL:
      return 500;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DATA_LOSS:
      return 500;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    default:
      return 500;
  }
}

}  // namespace quxiang

#include "services/gateway/testing/echo_service.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"

namespace quxiang::gateway {
namespace {

using quxiang::testing::v1::EchoResponse;

// Copies the client metadata into the response; binary headers ("-bin") are skipped.
void CopyMetadata(const grpc::CallbackServerContext& context, EchoResponse& response) {
  for (const auto& [key, value] : context.client_metadata()) {
    std::string name(key.data(), key.size());
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "-bin") == 0) continue;
    (*response.mutable_metadata())[name] = std::string(value.data(), value.size());
  }
}

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* EchoServiceImpl::Echo(grpc::CallbackServerContext* context,
                                                const quxiang::testing::v1::EchoRequest* request,
                                                EchoResponse* response) {
  if (request->response_bytes() < 0 || request->response_bytes() > kMaxResponseBytes) {
    absl::Status error = InvalidArgument(
        "RESPONSE_BYTES_OUT_OF_RANGE",
        absl::StrCat("response_bytes 必须在 0 到 ", kMaxResponseBytes, " 之间。"),
        {{"response_bytes", std::to_string(request->response_bytes())}});
    return FinishWith(context, ToGrpcStatus(error));
  }
  response->set_message(request->message());
  response->set_big_number(request->big_number());
  response->set_color(request->color());
  *response->mutable_tags() = request->tags();
  response->set_padding(std::string(static_cast<size_t>(request->response_bytes()), 'x'));
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::GetItem(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::GetItemRequest* request,
    EchoResponse* response) {
  response->set_shelf_id(request->shelf_id());
  response->set_item_id(request->item_id());
  response->set_page_size(request->page_size());
  *response->mutable_tags() = request->tags();
  response->set_color(request->color());
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::UpdateItem(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::UpdateItemRequest* request,
    EchoResponse* response) {
  response->set_shelf_id(request->shelf_id());
  *response->mutable_item() = request->item();
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::Fail(grpc::CallbackServerContext* context,
                                                const quxiang::testing::v1::FailRequest* request,
                                                EchoResponse* response) {
  if (request->code() == 0) return FinishWith(context, grpc::Status::OK);
  if (request->code() < 0 || request->code() > 16) {
    absl::Status error = InvalidArgument("CODE_OUT_OF_RANGE", "code 必须是 0 到 16 之间的 gRPC 状态码。",
                                         {{"code", std::to_string(request->code())}});
    return FinishWith(context, ToGrpcStatus(error));
  }
  std::string reason = request->reason().empty() ? "ECHO_FAILURE" : request->reason();
  absl::Status error = MakeError(static_cast<absl::StatusCode>(request->code()), reason,
                                 absl::StrCat("测试服务按请求返回状态码 ", request->code(), "。"),
                                 {{"code", std::to_string(request->code())}});
  return FinishWith(context, ToGrpcStatus(error));
}

}  // namespace quxiang::gateway

#include "services/signing/grpc_service.h"

namespace quxiang::signing {
namespace {

RequestInfo ToRequestInfo(const server::CallContext& call) {
  RequestInfo info;
  info.principal = call.principal ? &*call.principal : nullptr;
  info.method = call.method;
  info.trace_id = call.request_id;
  info.deadline = call.deadline;
  info.peer = call.peer;
  return info;
}

}  // namespace

// Each method hands its call to the runtime, which verifies the identity token (every method
// needs one) and runs the domain method on the worker pool.
grpc::ServerUnaryReactor* SigningGrpcService::GetSigningSettings(grpc::CallbackServerContext* context,
                                                                 const v1::GetSigningSettingsRequest* request,
                                                                 v1::SigningSettings* response) {
  return runtime_.Handle<v1::GetSigningSettingsRequest, v1::SigningSettings>(
      context, request, response, "/quxiang.signing.v1.SigningService/GetSigningSettings", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetSigningSettingsRequest& r, v1::SigningSettings* out) {
        return settings_.GetSigningSettings(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::UpdateSigningSettings(grpc::CallbackServerContext* context,
                                                                    const v1::UpdateSigningSettingsRequest* request,
                                                                    v1::SigningSettings* response) {
  return runtime_.Handle<v1::UpdateSigningSettingsRequest, v1::SigningSettings>(
      context, request, response, "/quxiang.signing.v1.SigningService/UpdateSigningSettings",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::UpdateSigningSettingsRequest& r, v1::SigningSettings* out) {
        return settings_.UpdateSigningSettings(ToRequestInfo(call), r, out);
      });
}

}  // namespace quxiang::signing

#include "services/warning/grpc_service.h"

namespace quxiang::warning {
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
#define QUXIANG_WARNING_RPC_IMPL(Method, Request, Response)                                             \
  grpc::ServerUnaryReactor* WarningGrpcService::Method(                                                 \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) {      \
    return runtime_.Handle<v1::Request, v1::Response>(                                                  \
        context, request, response, "/quxiang.warning.v1.WarningService/" #Method, server::Auth::kRequired, \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) {                    \
          return warnings_.Method(ToRequestInfo(call), r, out);                                         \
        });                                                                                             \
  }

QUXIANG_WARNING_RPC_IMPL(CreateWarningMark, CreateWarningMarkRequest, WarningMark)
QUXIANG_WARNING_RPC_IMPL(UpdateWarningMark, UpdateWarningMarkRequest, WarningMark)
QUXIANG_WARNING_RPC_IMPL(DeleteWarningMark, DeleteWarningMarkRequest, DeleteWarningMarkResponse)
QUXIANG_WARNING_RPC_IMPL(ListWarningMarks, ListWarningMarksRequest, ListWarningMarksResponse)
QUXIANG_WARNING_RPC_IMPL(GetWarningMark, GetWarningMarkRequest, WarningMark)
QUXIANG_WARNING_RPC_IMPL(LookupWarnings, LookupWarningsRequest, LookupWarningsResponse)

#undef QUXIANG_WARNING_RPC_IMPL

}  // namespace quxiang::warning

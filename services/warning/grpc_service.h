// The gRPC adapter of the warning service: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_WARNING_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_WARNING_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/warning/v1/warning.grpc.pb.h"
#include "services/warning/warning.h"

namespace quxiang::warning {

class WarningGrpcService final : public v1::WarningService::CallbackService {
 public:
  WarningGrpcService(Warnings& warnings, server::Runtime& runtime) : warnings_(warnings), runtime_(runtime) {}

#define QUXIANG_WARNING_RPC(Method, Request, Response)                                           \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, const v1::Request* request, \
                                   v1::Response* response) override;
  QUXIANG_WARNING_RPC(CreateWarningMark, CreateWarningMarkRequest, WarningMark)
  QUXIANG_WARNING_RPC(UpdateWarningMark, UpdateWarningMarkRequest, WarningMark)
  QUXIANG_WARNING_RPC(DeleteWarningMark, DeleteWarningMarkRequest, DeleteWarningMarkResponse)
  QUXIANG_WARNING_RPC(ListWarningMarks, ListWarningMarksRequest, ListWarningMarksResponse)
  QUXIANG_WARNING_RPC(GetWarningMark, GetWarningMarkRequest, WarningMark)
  QUXIANG_WARNING_RPC(LookupWarnings, LookupWarningsRequest, LookupWarningsResponse)
#undef QUXIANG_WARNING_RPC

 private:
  Warnings& warnings_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::warning

#endif  // QUXIANG_SERVICES_WARNING_GRPC_SERVICE_H_

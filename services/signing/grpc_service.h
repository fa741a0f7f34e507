// The gRPC adapter of the signing service: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/signing/v1/signing.grpc.pb.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

class SigningGrpcService final : public v1::SigningService::CallbackService {
 public:
  SigningGrpcService(Settings& settings, server::Runtime& runtime) : settings_(settings), runtime_(runtime) {}

  grpc::ServerUnaryReactor* GetSigningSettings(grpc::CallbackServerContext* context,
                                               const v1::GetSigningSettingsRequest* request,
                                               v1::SigningSettings* response) override;
  grpc::ServerUnaryReactor* UpdateSigningSettings(grpc::CallbackServerContext* context,
                                                  const v1::UpdateSigningSettingsRequest* request,
                                                  v1::SigningSettings* response) override;

 private:
  Settings& settings_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_

// The gRPC adapter of PaperRegistrationService: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_GRPC_H_
#define QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_GRPC_H_

#include "libs/server/server.h"
#include "quxiang/signing/v1/paper_registration.grpc.pb.h"
#include "services/signing/paper_registration.h"

namespace quxiang::signing {

class PaperRegistrationGrpcService final : public v1::PaperRegistrationService::CallbackService {
 public:
  PaperRegistrationGrpcService(PaperRegistrations& registrations, server::Runtime& runtime)
      : registrations_(registrations), runtime_(runtime) {}

  grpc::ServerUnaryReactor* CreatePaperRegistration(grpc::CallbackServerContext* context,
                                                    const v1::CreatePaperRegistrationRequest* request,
                                                    v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* UpdatePaperRegistration(grpc::CallbackServerContext* context,
                                                    const v1::UpdatePaperRegistrationRequest* request,
                                                    v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* UploadPaperRegistrationScan(grpc::CallbackServerContext* context,
                                                        const v1::UploadPaperRegistrationScanRequest* request,
                                                        v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* SubmitPaperRegistration(grpc::CallbackServerContext* context,
                                                    const v1::PaperRegistrationActionRequest* request,
                                                    v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* WithdrawPaperRegistration(grpc::CallbackServerContext* context,
                                                      const v1::PaperRegistrationActionRequest* request,
                                                      v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* ListGraduatePaperRegistrations(grpc::CallbackServerContext* context,
                                                           const v1::ListGraduatePaperRegistrationsRequest* request,
                                                           v1::ListPaperRegistrationsResponse* response) override;
  grpc::ServerWriteReactor<common::v1::HttpFile>* ExportPaperRegistrations(
      grpc::CallbackServerContext* context, const v1::ExportPaperRegistrationsRequest* request) override;
  grpc::ServerWriteReactor<common::v1::HttpFile>* ExportReturnedPaperRegistrations(
      grpc::CallbackServerContext* context, const v1::ExportPaperRegistrationsRequest* request) override;
  grpc::ServerUnaryReactor* ListPaperRegistrations(grpc::CallbackServerContext* context,
                                                   const v1::ListPaperRegistrationsRequest* request,
                                                   v1::ListPaperRegistrationsResponse* response) override;
  grpc::ServerUnaryReactor* GetPaperRegistration(grpc::CallbackServerContext* context,
                                                 const v1::GetPaperRegistrationRequest* request,
                                                 v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* DownloadPaperRegistrationScan(grpc::CallbackServerContext* context,
                                                          const v1::DownloadPaperRegistrationScanRequest* request,
                                                          common::v1::HttpFile* response) override;
  grpc::ServerUnaryReactor* ReviewPaperRegistration(grpc::CallbackServerContext* context,
                                                    const v1::ReviewPaperRegistrationRequest* request,
                                                    v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* BatchReviewPaperRegistrations(grpc::CallbackServerContext* context,
                                                          const v1::BatchReviewPaperRegistrationsRequest* request,
                                                          v1::BatchReviewPaperRegistrationsResponse* response) override;
  grpc::ServerUnaryReactor* ModifyPaperRegistration(grpc::CallbackServerContext* context,
                                                    const v1::ModifyPaperRegistrationRequest* request,
                                                    v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* VoidPaperRegistration(grpc::CallbackServerContext* context,
                                                  const v1::VoidPaperRegistrationRequest* request,
                                                  v1::PaperRegistration* response) override;
  grpc::ServerUnaryReactor* GetPaperRegistrationPendingCounts(
      grpc::CallbackServerContext* context, const v1::GetPaperRegistrationPendingCountsRequest* request,
      v1::PaperRegistrationPendingCounts* response) override;
  grpc::ServerUnaryReactor* CheckPaperClaims(grpc::CallbackServerContext* context, const v1::CheckClaimsRequest* request,
                                             v1::CheckClaimsResponse* response) override;

 private:
  PaperRegistrations& registrations_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_GRPC_H_

// The gRPC adapter of the signing service: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/signing/v1/signing.grpc.pb.h"
#include "services/signing/agreement_documents.h"
#include "services/signing/online_signing.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

class SigningGrpcService final : public v1::SigningService::CallbackService {
 public:
  SigningGrpcService(Settings& settings, OnlineSigning& online_signing, AgreementDocuments& documents,
                     server::Runtime& runtime)
      : settings_(settings), online_signing_(online_signing), documents_(documents), runtime_(runtime) {}

  grpc::ServerUnaryReactor* GetSigningSettings(grpc::CallbackServerContext* context,
                                               const v1::GetSigningSettingsRequest* request,
                                               v1::SigningSettings* response) override;
  grpc::ServerUnaryReactor* UpdateSigningSettings(grpc::CallbackServerContext* context,
                                                  const v1::UpdateSigningSettingsRequest* request,
                                                  v1::SigningSettings* response) override;

  grpc::ServerUnaryReactor* CreateInvitation(grpc::CallbackServerContext* context, const v1::CreateInvitationRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* ListEmployerInvitations(grpc::CallbackServerContext* context, const v1::ListEmployerInvitationsRequest* request,
                                       v1::ListOnlineSigningsResponse* response) override;
  grpc::ServerUnaryReactor* WithdrawInvitation(grpc::CallbackServerContext* context, const v1::InvitationActionRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* ListGraduateInvitations(grpc::CallbackServerContext* context, const v1::ListGraduateInvitationsRequest* request,
                                       v1::ListOnlineSigningsResponse* response) override;
  grpc::ServerUnaryReactor* AcceptInvitation(grpc::CallbackServerContext* context, const v1::InvitationActionRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* DeclineInvitation(grpc::CallbackServerContext* context, const v1::InvitationActionRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* ListOnlineSignings(grpc::CallbackServerContext* context, const v1::ListOnlineSigningsRequest* request,
                                       v1::ListOnlineSigningsResponse* response) override;
  grpc::ServerWriteReactor<common::v1::HttpFile>* ExportOnlineSignings(
      grpc::CallbackServerContext* context, const v1::ExportOnlineSigningsRequest* request) override;
  grpc::ServerUnaryReactor* GetOnlineSigning(grpc::CallbackServerContext* context, const v1::GetOnlineSigningRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* ReviewOnlineSigning(grpc::CallbackServerContext* context, const v1::ReviewOnlineSigningRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* BatchReviewOnlineSignings(grpc::CallbackServerContext* context, const v1::BatchReviewOnlineSigningsRequest* request,
                                       v1::BatchReviewOnlineSigningsResponse* response) override;
  grpc::ServerUnaryReactor* VoidOnlineSigning(grpc::CallbackServerContext* context, const v1::VoidOnlineSigningRequest* request,
                                       v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* ModifyOnlineSigning(grpc::CallbackServerContext* context,
                                                const v1::ModifyOnlineSigningRequest* request,
                                                v1::OnlineSigning* response) override;
  grpc::ServerUnaryReactor* GetAgreementPdf(grpc::CallbackServerContext* context,
                                            const v1::GetAgreementPdfRequest* request,
                                            common::v1::HttpFile* response) override;
  grpc::ServerUnaryReactor* VerifyAgreement(grpc::CallbackServerContext* context,
                                            const v1::VerifyAgreementRequest* request,
                                            v1::AgreementVerification* response) override;
  grpc::ServerUnaryReactor* GetOnlineSigningPendingCounts(grpc::CallbackServerContext* context,
                                                          const v1::GetOnlineSigningPendingCountsRequest* request,
                                                          v1::OnlineSigningPendingCounts* response) override;
  grpc::ServerUnaryReactor* CheckClaims(grpc::CallbackServerContext* context, const v1::CheckClaimsRequest* request,
                                        v1::CheckClaimsResponse* response) override;

 private:
  Settings& settings_;
  OnlineSigning& online_signing_;
  AgreementDocuments& documents_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_GRPC_SERVICE_H_

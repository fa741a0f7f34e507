// The gRPC adapter of OfflineSigningService: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_SIGNING_OFFLINE_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_SIGNING_OFFLINE_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/signing/v1/offline_signing.grpc.pb.h"
#include "services/signing/offline_signing.h"

namespace quxiang::signing {

class OfflineSigningGrpcService final : public v1::OfflineSigningService::CallbackService {
 public:
  OfflineSigningGrpcService(OfflineSigning& offline_signing, server::Runtime& runtime)
      : offline_signing_(offline_signing), runtime_(runtime) {}

  grpc::ServerUnaryReactor* CreateOfflineAgreement(grpc::CallbackServerContext* context, const v1::CreateOfflineAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* UpdateOfflineAgreement(grpc::CallbackServerContext* context, const v1::UpdateOfflineAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* WithdrawOfflineAgreement(grpc::CallbackServerContext* context, const v1::OfflineAgreementActionRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* UploadStampedAgreement(grpc::CallbackServerContext* context, const v1::UploadStampedAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* ListGraduateOfflineAgreements(grpc::CallbackServerContext* context, const v1::ListGraduateOfflineAgreementsRequest* request,
                                    v1::ListOfflineAgreementsResponse* response) override;
  grpc::ServerWriteReactor<common::v1::HttpFile>* ExportOfflineAgreements(
      grpc::CallbackServerContext* context, const v1::ExportOfflineAgreementsRequest* request) override;
  grpc::ServerWriteReactor<common::v1::HttpFile>* ExportReturnedOfflineAgreements(
      grpc::CallbackServerContext* context, const v1::ExportOfflineAgreementsRequest* request) override;
  grpc::ServerUnaryReactor* ListOfflineAgreements(grpc::CallbackServerContext* context, const v1::ListOfflineAgreementsRequest* request,
                                    v1::ListOfflineAgreementsResponse* response) override;
  grpc::ServerUnaryReactor* GetOfflineAgreement(grpc::CallbackServerContext* context, const v1::GetOfflineAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* ReviewOfflineAgreement(grpc::CallbackServerContext* context, const v1::ReviewOfflineAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* BatchReviewOfflineAgreements(grpc::CallbackServerContext* context, const v1::BatchReviewOfflineAgreementsRequest* request,
                                    v1::BatchReviewOfflineAgreementsResponse* response) override;
  grpc::ServerUnaryReactor* DownloadStampedScan(grpc::CallbackServerContext* context, const v1::GetOfflineAgreementRequest* request,
                                    common::v1::HttpFile* response) override;
  grpc::ServerUnaryReactor* VoidOfflineAgreement(grpc::CallbackServerContext* context, const v1::VoidOfflineAgreementRequest* request,
                                    v1::OfflineAgreement* response) override;
  grpc::ServerUnaryReactor* GetOfflineAgreementPendingCounts(grpc::CallbackServerContext* context, const v1::GetOfflineAgreementPendingCountsRequest* request,
                                    v1::OfflineAgreementPendingCounts* response) override;
  grpc::ServerUnaryReactor* CheckOfflineClaims(grpc::CallbackServerContext* context, const v1::CheckClaimsRequest* request,
                                               v1::CheckClaimsResponse* response) override;

 private:
  OfflineSigning& offline_signing_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_OFFLINE_GRPC_SERVICE_H_

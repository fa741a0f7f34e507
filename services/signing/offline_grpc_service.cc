#include "services/signing/offline_grpc_service.h"

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
grpc::ServerUnaryReactor* OfflineSigningGrpcService::CreateOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::CreateOfflineAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::CreateOfflineAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/CreateOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CreateOfflineAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.CreateOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::UpdateOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::UpdateOfflineAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::UpdateOfflineAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/UpdateOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::UpdateOfflineAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.UpdateOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::WithdrawOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::OfflineAgreementActionRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::OfflineAgreementActionRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/WithdrawOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::OfflineAgreementActionRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.WithdrawOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::UploadStampedAgreement(grpc::CallbackServerContext* context,
                                                            const v1::UploadStampedAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::UploadStampedAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/UploadStampedAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::UploadStampedAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.UploadStampedAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::ListGraduateOfflineAgreements(grpc::CallbackServerContext* context,
                                                            const v1::ListGraduateOfflineAgreementsRequest* request,
                                                            v1::ListOfflineAgreementsResponse* response) {
  return runtime_.Handle<v1::ListGraduateOfflineAgreementsRequest, v1::ListOfflineAgreementsResponse>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/ListGraduateOfflineAgreements", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListGraduateOfflineAgreementsRequest& r, v1::ListOfflineAgreementsResponse* out) {
        return offline_signing_.ListGraduateOfflineAgreements(ToRequestInfo(call), r, out);
      });
}

grpc::ServerWriteReactor<common::v1::HttpFile>* OfflineSigningGrpcService::ExportOfflineAgreements(
    grpc::CallbackServerContext* context, const v1::ExportOfflineAgreementsRequest* request) {
  return runtime_.HandleServerStream<v1::ExportOfflineAgreementsRequest, common::v1::HttpFile>(
      context, request, "/quxiang.signing.v1.OfflineSigningService/ExportOfflineAgreements", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ExportOfflineAgreementsRequest& r,
             server::StreamWriter<common::v1::HttpFile>& stream) {
        return offline_signing_.ExportOfflineAgreements(ToRequestInfo(call), r, stream);
      });
}

grpc::ServerWriteReactor<common::v1::HttpFile>* OfflineSigningGrpcService::ExportReturnedOfflineAgreements(
    grpc::CallbackServerContext* context, const v1::ExportOfflineAgreementsRequest* request) {
  return runtime_.HandleServerStream<v1::ExportOfflineAgreementsRequest, common::v1::HttpFile>(
      context, request, "/quxiang.signing.v1.OfflineSigningService/ExportReturnedOfflineAgreements",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ExportOfflineAgreementsRequest& r,
             server::StreamWriter<common::v1::HttpFile>& stream) {
        return offline_signing_.ExportReturnedOfflineAgreements(ToRequestInfo(call), r, stream);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::ListOfflineAgreements(grpc::CallbackServerContext* context,
                                                            const v1::ListOfflineAgreementsRequest* request,
                                                            v1::ListOfflineAgreementsResponse* response) {
  return runtime_.Handle<v1::ListOfflineAgreementsRequest, v1::ListOfflineAgreementsResponse>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/ListOfflineAgreements", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListOfflineAgreementsRequest& r, v1::ListOfflineAgreementsResponse* out) {
        return offline_signing_.ListOfflineAgreements(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::GetOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::GetOfflineAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::GetOfflineAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/GetOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetOfflineAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.GetOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::ReviewOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::ReviewOfflineAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::ReviewOfflineAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/ReviewOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ReviewOfflineAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.ReviewOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::BatchReviewOfflineAgreements(grpc::CallbackServerContext* context,
                                                            const v1::BatchReviewOfflineAgreementsRequest* request,
                                                            v1::BatchReviewOfflineAgreementsResponse* response) {
  return runtime_.Handle<v1::BatchReviewOfflineAgreementsRequest, v1::BatchReviewOfflineAgreementsResponse>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/BatchReviewOfflineAgreements", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::BatchReviewOfflineAgreementsRequest& r, v1::BatchReviewOfflineAgreementsResponse* out) {
        return offline_signing_.BatchReviewOfflineAgreements(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::DownloadStampedScan(grpc::CallbackServerContext* context,
                                                            const v1::GetOfflineAgreementRequest* request,
                                                            common::v1::HttpFile* response) {
  return runtime_.Handle<v1::GetOfflineAgreementRequest, common::v1::HttpFile>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/DownloadStampedScan", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetOfflineAgreementRequest& r, common::v1::HttpFile* out) {
        return offline_signing_.DownloadStampedScan(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::VoidOfflineAgreement(grpc::CallbackServerContext* context,
                                                            const v1::VoidOfflineAgreementRequest* request,
                                                            v1::OfflineAgreement* response) {
  return runtime_.Handle<v1::VoidOfflineAgreementRequest, v1::OfflineAgreement>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/VoidOfflineAgreement", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::VoidOfflineAgreementRequest& r, v1::OfflineAgreement* out) {
        return offline_signing_.VoidOfflineAgreement(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::GetOfflineAgreementPendingCounts(grpc::CallbackServerContext* context,
                                                            const v1::GetOfflineAgreementPendingCountsRequest* request,
                                                            v1::OfflineAgreementPendingCounts* response) {
  return runtime_.Handle<v1::GetOfflineAgreementPendingCountsRequest, v1::OfflineAgreementPendingCounts>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/GetOfflineAgreementPendingCounts", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetOfflineAgreementPendingCountsRequest& r, v1::OfflineAgreementPendingCounts* out) {
        return offline_signing_.GetOfflineAgreementPendingCounts(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* OfflineSigningGrpcService::CheckOfflineClaims(grpc::CallbackServerContext* context,
                                                                        const v1::CheckClaimsRequest* request,
                                                                        v1::CheckClaimsResponse* response) {
  return runtime_.Handle<v1::CheckClaimsRequest, v1::CheckClaimsResponse>(
      context, request, response, "/quxiang.signing.v1.OfflineSigningService/CheckOfflineClaims",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CheckClaimsRequest& r, v1::CheckClaimsResponse* out) {
        return offline_signing_.CheckOfflineClaims(ToRequestInfo(call), r, out);
      });
}

}  // namespace quxiang::signing

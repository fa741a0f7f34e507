#include "services/signing/paper_registration_grpc.h"

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
grpc::ServerUnaryReactor* PaperRegistrationGrpcService::CreatePaperRegistration(
    grpc::CallbackServerContext* context, const v1::CreatePaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::CreatePaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/CreatePaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CreatePaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.CreatePaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::UpdatePaperRegistration(
    grpc::CallbackServerContext* context, const v1::UpdatePaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::UpdatePaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/UpdatePaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::UpdatePaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.UpdatePaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::UploadPaperRegistrationScan(
    grpc::CallbackServerContext* context, const v1::UploadPaperRegistrationScanRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::UploadPaperRegistrationScanRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/UploadPaperRegistrationScan",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::UploadPaperRegistrationScanRequest& r, v1::PaperRegistration* out) {
        return registrations_.UploadPaperRegistrationScan(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::SubmitPaperRegistration(
    grpc::CallbackServerContext* context, const v1::PaperRegistrationActionRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::PaperRegistrationActionRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/SubmitPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::PaperRegistrationActionRequest& r, v1::PaperRegistration* out) {
        return registrations_.SubmitPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::WithdrawPaperRegistration(
    grpc::CallbackServerContext* context, const v1::PaperRegistrationActionRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::PaperRegistrationActionRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/WithdrawPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::PaperRegistrationActionRequest& r, v1::PaperRegistration* out) {
        return registrations_.WithdrawPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::ListGraduatePaperRegistrations(
    grpc::CallbackServerContext* context, const v1::ListGraduatePaperRegistrationsRequest* request,
    v1::ListPaperRegistrationsResponse* response) {
  return runtime_.Handle<v1::ListGraduatePaperRegistrationsRequest, v1::ListPaperRegistrationsResponse>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/ListGraduatePaperRegistrations",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListGraduatePaperRegistrationsRequest& r,
             v1::ListPaperRegistrationsResponse* out) {
        return registrations_.ListGraduatePaperRegistrations(ToRequestInfo(call), r, out);
      });
}

grpc::ServerWriteReactor<common::v1::HttpFile>* PaperRegistrationGrpcService::ExportPaperRegistrations(
    grpc::CallbackServerContext* context, const v1::ExportPaperRegistrationsRequest* request) {
  return runtime_.HandleServerStream<v1::ExportPaperRegistrationsRequest, common::v1::HttpFile>(
      context, request, "/quxiang.signing.v1.PaperRegistrationService/ExportPaperRegistrations",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ExportPaperRegistrationsRequest& r,
             server::StreamWriter<common::v1::HttpFile>& stream) {
        return registrations_.ExportPaperRegistrations(ToRequestInfo(call), r, stream);
      });
}

grpc::ServerWriteReactor<common::v1::HttpFile>* PaperRegistrationGrpcService::ExportReturnedPaperRegistrations(
    grpc::CallbackServerContext* context, const v1::ExportPaperRegistrationsRequest* request) {
  return runtime_.HandleServerStream<v1::ExportPaperRegistrationsRequest, common::v1::HttpFile>(
      context, request, "/quxiang.signing.v1.PaperRegistrationService/ExportReturnedPaperRegistrations",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ExportPaperRegistrationsRequest& r,
             server::StreamWriter<common::v1::HttpFile>& stream) {
        return registrations_.ExportReturnedPaperRegistrations(ToRequestInfo(call), r, stream);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::ListPaperRegistrations(
    grpc::CallbackServerContext* context, const v1::ListPaperRegistrationsRequest* request,
    v1::ListPaperRegistrationsResponse* response) {
  return runtime_.Handle<v1::ListPaperRegistrationsRequest, v1::ListPaperRegistrationsResponse>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/ListPaperRegistrations",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListPaperRegistrationsRequest& r,
             v1::ListPaperRegistrationsResponse* out) {
        return registrations_.ListPaperRegistrations(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::GetPaperRegistration(
    grpc::CallbackServerContext* context, const v1::GetPaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::GetPaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/GetPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetPaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.GetPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::DownloadPaperRegistrationScan(
    grpc::CallbackServerContext* context, const v1::DownloadPaperRegistrationScanRequest* request,
    common::v1::HttpFile* response) {
  return runtime_.Handle<v1::DownloadPaperRegistrationScanRequest, common::v1::HttpFile>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/DownloadPaperRegistrationScan",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::DownloadPaperRegistrationScanRequest& r, common::v1::HttpFile* out) {
        return registrations_.DownloadPaperRegistrationScan(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::ReviewPaperRegistration(
    grpc::CallbackServerContext* context, const v1::ReviewPaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::ReviewPaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/ReviewPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ReviewPaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.ReviewPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::BatchReviewPaperRegistrations(
    grpc::CallbackServerContext* context, const v1::BatchReviewPaperRegistrationsRequest* request,
    v1::BatchReviewPaperRegistrationsResponse* response) {
  return runtime_.Handle<v1::BatchReviewPaperRegistrationsRequest, v1::BatchReviewPaperRegistrationsResponse>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/BatchReviewPaperRegistrations",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::BatchReviewPaperRegistrationsRequest& r,
             v1::BatchReviewPaperRegistrationsResponse* out) {
        return registrations_.BatchReviewPaperRegistrations(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::ModifyPaperRegistration(
    grpc::CallbackServerContext* context, const v1::ModifyPaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::ModifyPaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/ModifyPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ModifyPaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.ModifyPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::VoidPaperRegistration(
    grpc::CallbackServerContext* context, const v1::VoidPaperRegistrationRequest* request,
    v1::PaperRegistration* response) {
  return runtime_.Handle<v1::VoidPaperRegistrationRequest, v1::PaperRegistration>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/VoidPaperRegistration",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::VoidPaperRegistrationRequest& r, v1::PaperRegistration* out) {
        return registrations_.VoidPaperRegistration(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::GetPaperRegistrationPendingCounts(
    grpc::CallbackServerContext* context, const v1::GetPaperRegistrationPendingCountsRequest* request,
    v1::PaperRegistrationPendingCounts* response) {
  return runtime_.Handle<v1::GetPaperRegistrationPendingCountsRequest, v1::PaperRegistrationPendingCounts>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/GetPaperRegistrationPendingCounts",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetPaperRegistrationPendingCountsRequest& r,
             v1::PaperRegistrationPendingCounts* out) {
        return registrations_.GetPaperRegistrationPendingCounts(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* PaperRegistrationGrpcService::CheckPaperClaims(grpc::CallbackServerContext* context,
                                                                         const v1::CheckClaimsRequest* request,
                                                                         v1::CheckClaimsResponse* response) {
  return runtime_.Handle<v1::CheckClaimsRequest, v1::CheckClaimsResponse>(
      context, request, response, "/quxiang.signing.v1.PaperRegistrationService/CheckPaperClaims",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CheckClaimsRequest& r, v1::CheckClaimsResponse* out) {
        return registrations_.CheckPaperClaims(ToRequestInfo(call), r, out);
      });
}

}  // namespace quxiang::signing

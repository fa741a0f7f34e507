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

// Each method hands its call to the runtime, which verifies the identity token and runs the
// domain method on the worker pool. Every method needs a token except VerifyAgreement, the public
// verification of printed agreements.
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

grpc::ServerUnaryReactor* SigningGrpcService::CreateInvitation(grpc::CallbackServerContext* context,
                                                 const v1::CreateInvitationRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::CreateInvitationRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/CreateInvitation", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CreateInvitationRequest& r, v1::OnlineSigning* out) {
        return online_signing_.CreateInvitation(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::ListEmployerInvitations(grpc::CallbackServerContext* context,
                                                 const v1::ListEmployerInvitationsRequest* request, v1::ListOnlineSigningsResponse* response) {
  return runtime_.Handle<v1::ListEmployerInvitationsRequest, v1::ListOnlineSigningsResponse>(
      context, request, response, "/quxiang.signing.v1.SigningService/ListEmployerInvitations", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListEmployerInvitationsRequest& r, v1::ListOnlineSigningsResponse* out) {
        return online_signing_.ListEmployerInvitations(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::WithdrawInvitation(grpc::CallbackServerContext* context,
                                                 const v1::InvitationActionRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::InvitationActionRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/WithdrawInvitation", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::InvitationActionRequest& r, v1::OnlineSigning* out) {
        return online_signing_.WithdrawInvitation(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::ListGraduateInvitations(grpc::CallbackServerContext* context,
                                                 const v1::ListGraduateInvitationsRequest* request, v1::ListOnlineSigningsResponse* response) {
  return runtime_.Handle<v1::ListGraduateInvitationsRequest, v1::ListOnlineSigningsResponse>(
      context, request, response, "/quxiang.signing.v1.SigningService/ListGraduateInvitations", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListGraduateInvitationsRequest& r, v1::ListOnlineSigningsResponse* out) {
        return online_signing_.ListGraduateInvitations(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::AcceptInvitation(grpc::CallbackServerContext* context,
                                                 const v1::InvitationActionRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::InvitationActionRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/AcceptInvitation", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::InvitationActionRequest& r, v1::OnlineSigning* out) {
        return online_signing_.AcceptInvitation(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::DeclineInvitation(grpc::CallbackServerContext* context,
                                                 const v1::InvitationActionRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::InvitationActionRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/DeclineInvitation", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::InvitationActionRequest& r, v1::OnlineSigning* out) {
        return online_signing_.DeclineInvitation(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::ListOnlineSignings(grpc::CallbackServerContext* context,
                                                 const v1::ListOnlineSigningsRequest* request, v1::ListOnlineSigningsResponse* response) {
  return runtime_.Handle<v1::ListOnlineSigningsRequest, v1::ListOnlineSigningsResponse>(
      context, request, response, "/quxiang.signing.v1.SigningService/ListOnlineSignings", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ListOnlineSigningsRequest& r, v1::ListOnlineSigningsResponse* out) {
        return online_signing_.ListOnlineSignings(ToRequestInfo(call), r, out);
      });
}

grpc::ServerWriteReactor<common::v1::HttpFile>* SigningGrpcService::ExportOnlineSignings(
    grpc::CallbackServerContext* context, const v1::ExportOnlineSigningsRequest* request) {
  return runtime_.HandleServerStream<v1::ExportOnlineSigningsRequest, common::v1::HttpFile>(
      context, request, "/quxiang.signing.v1.SigningService/ExportOnlineSignings", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ExportOnlineSigningsRequest& r,
             server::StreamWriter<common::v1::HttpFile>& stream) {
        return online_signing_.ExportOnlineSignings(ToRequestInfo(call), r, stream);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::GetOnlineSigning(grpc::CallbackServerContext* context,
                                                 const v1::GetOnlineSigningRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::GetOnlineSigningRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/GetOnlineSigning", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetOnlineSigningRequest& r, v1::OnlineSigning* out) {
        return online_signing_.GetOnlineSigning(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::ReviewOnlineSigning(grpc::CallbackServerContext* context,
                                                 const v1::ReviewOnlineSigningRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::ReviewOnlineSigningRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/ReviewOnlineSigning", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ReviewOnlineSigningRequest& r, v1::OnlineSigning* out) {
        return online_signing_.ReviewOnlineSigning(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::BatchReviewOnlineSignings(grpc::CallbackServerContext* context,
                                                 const v1::BatchReviewOnlineSigningsRequest* request, v1::BatchReviewOnlineSigningsResponse* response) {
  return runtime_.Handle<v1::BatchReviewOnlineSigningsRequest, v1::BatchReviewOnlineSigningsResponse>(
      context, request, response, "/quxiang.signing.v1.SigningService/BatchReviewOnlineSignings", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::BatchReviewOnlineSigningsRequest& r, v1::BatchReviewOnlineSigningsResponse* out) {
        return online_signing_.BatchReviewOnlineSignings(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::VoidOnlineSigning(grpc::CallbackServerContext* context,
                                                 const v1::VoidOnlineSigningRequest* request, v1::OnlineSigning* response) {
  return runtime_.Handle<v1::VoidOnlineSigningRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/VoidOnlineSigning", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::VoidOnlineSigningRequest& r, v1::OnlineSigning* out) {
        return online_signing_.VoidOnlineSigning(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::GetOnlineSigningPendingCounts(
    grpc::CallbackServerContext* context, const v1::GetOnlineSigningPendingCountsRequest* request,
    v1::OnlineSigningPendingCounts* response) {
  return runtime_.Handle<v1::GetOnlineSigningPendingCountsRequest, v1::OnlineSigningPendingCounts>(
      context, request, response, "/quxiang.signing.v1.SigningService/GetOnlineSigningPendingCounts",
      server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetOnlineSigningPendingCountsRequest& r,
             v1::OnlineSigningPendingCounts* out) {
        return online_signing_.GetOnlineSigningPendingCounts(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::CheckClaims(grpc::CallbackServerContext* context,
                                                          const v1::CheckClaimsRequest* request,
                                                          v1::CheckClaimsResponse* response) {
  return runtime_.Handle<v1::CheckClaimsRequest, v1::CheckClaimsResponse>(
      context, request, response, "/quxiang.signing.v1.SigningService/CheckClaims", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::CheckClaimsRequest& r, v1::CheckClaimsResponse* out) {
        return online_signing_.CheckClaims(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::ModifyOnlineSigning(grpc::CallbackServerContext* context,
                                                                  const v1::ModifyOnlineSigningRequest* request,
                                                                  v1::OnlineSigning* response) {
  return runtime_.Handle<v1::ModifyOnlineSigningRequest, v1::OnlineSigning>(
      context, request, response, "/quxiang.signing.v1.SigningService/ModifyOnlineSigning", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::ModifyOnlineSigningRequest& r, v1::OnlineSigning* out) {
        return online_signing_.ModifyOnlineSigning(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::GetAgreementPdf(grpc::CallbackServerContext* context,
                                                              const v1::GetAgreementPdfRequest* request,
                                                              common::v1::HttpFile* response) {
  return runtime_.Handle<v1::GetAgreementPdfRequest, common::v1::HttpFile>(
      context, request, response, "/quxiang.signing.v1.SigningService/GetAgreementPdf", server::Auth::kRequired,
      [this](server::CallContext& call, const v1::GetAgreementPdfRequest& r, common::v1::HttpFile* out) {
        return documents_.GetAgreementPdf(ToRequestInfo(call), r, out);
      });
}

grpc::ServerUnaryReactor* SigningGrpcService::VerifyAgreement(grpc::CallbackServerContext* context,
                                                              const v1::VerifyAgreementRequest* request,
                                                              v1::AgreementVerification* response) {
  return runtime_.Handle<v1::VerifyAgreementRequest, v1::AgreementVerification>(
      context, request, response, "/quxiang.signing.v1.SigningService/VerifyAgreement", server::Auth::kPublic,
      [this](server::CallContext& call, const v1::VerifyAgreementRequest& r, v1::AgreementVerification* out) {
        return documents_.VerifyAgreement(ToRequestInfo(call), r, out);
      });
}

}  // namespace quxiang::signing

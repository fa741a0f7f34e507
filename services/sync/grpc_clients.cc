#include "services/sync/grpc_clients.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"

namespace quxiang::sync {
namespace {

void SetDeadline(grpc::ClientContext& context, absl::Time deadline) {
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
}

}  // namespace

std::shared_ptr<grpc::Channel> CreateRoundRobinChannel(const std::string& target, bool health_check) {
  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(
      health_check ? R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}})"
                   : R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  // TODO: TLS towards the EMS and between the services; every channel is plaintext for now.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

GrpcEmsClient::GrpcEmsClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(ems::v1::EmsService::NewStub(std::move(channel))) {}

absl::Status GrpcEmsClient::ListRosterChanges(absl::Time deadline, const ems::v1::ListRosterChangesRequest& request,
                                              ems::v1::ListRosterChangesResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  return FromGrpcStatus(stub_->ListRosterChanges(&context, request, response));
}

absl::Status GrpcEmsClient::GetGraduate(absl::Time deadline, const ems::v1::GetGraduateRequest& request,
                                        ems::v1::GetGraduateResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  return FromGrpcStatus(stub_->GetGraduate(&context, request, response));
}

absl::Status GrpcEmsClient::UpsertDestination(absl::Time deadline, const ems::v1::UpsertDestinationRequest& request,
                                              ems::v1::DestinationAck* ack) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  return FromGrpcStatus(stub_->UpsertDestination(&context, request, ack));
}

absl::Status GrpcEmsClient::VoidDestination(absl::Time deadline, const ems::v1::VoidDestinationRequest& request,
                                            ems::v1::DestinationAck* ack) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  return FromGrpcStatus(stub_->VoidDestination(&context, request, ack));
}

absl::Status GrpcEmsClient::ListDestinations(absl::Time deadline, const ems::v1::ListDestinationsRequest& request,
                                             ems::v1::ListDestinationsResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  return FromGrpcStatus(stub_->ListDestinations(&context, request, response));
}

}  // namespace quxiang::sync

namespace quxiang::sync {
namespace {

identity::IssuedToken IssuedFrom(const accounts::v1::IssueServiceTokenResponse& response) {
  return {response.identity_token(), absl::FromUnixSeconds(response.expires_at().seconds())};
}

}  // namespace

GrpcAccountsClient::GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel, std::string service_name,
                                       std::string service_secret, const Clock& clock)
    : stub_(accounts::v1::AccountsService::NewStub(std::move(channel))),
      tokens_(
          [this, name = std::move(service_name),
           secret = std::move(service_secret)](absl::Time deadline) -> absl::StatusOr<identity::IssuedToken> {
            grpc::ClientContext context;
            if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
            accounts::v1::IssueServiceTokenRequest request;
            request.set_service_name(name);
            request.set_secret(secret);
            accounts::v1::IssueServiceTokenResponse response;
            absl::Status status = FromGrpcStatus(stub_->IssueServiceToken(&context, request, &response));
            if (!status.ok()) return status;
            return IssuedFrom(response);
          },
          clock) {}

absl::Status GrpcAccountsClient::CallWithToken(absl::Time deadline,
                                               const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> token = tokens_.Token(deadline);
    if (!token.ok()) return token.status();
    grpc::ClientContext context;
    if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
    context.AddMetadata("authorization", "Bearer " + *token);
    absl::Status status = FromGrpcStatus(call(context));
    if (status.code() != absl::StatusCode::kUnauthenticated || attempt == 1) return status;
    tokens_.Invalidate();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int64_t>> GrpcAccountsClient::LookupSchools(
    absl::Time deadline, const std::vector<std::string>& codes) {
  std::map<std::string, int64_t> found;
  for (size_t start = 0; start < codes.size(); start += 500) {
    accounts::v1::LookupSchoolsRequest request;
    for (size_t i = start; i < std::min(codes.size(), start + 500); ++i) request.add_codes(codes[i]);
    accounts::v1::LookupSchoolsResponse response;
    absl::Status status = CallWithToken(
        deadline, [&](grpc::ClientContext& context) { return stub_->LookupSchools(&context, request, &response); });
    if (!status.ok()) return status;
    for (const auto& school : response.schools()) {
      int64_t id = 0;
      if (absl::SimpleAtoi(school.id(), &id)) found[school.code()] = id;
    }
  }
  return found;
}

absl::Status GrpcAccountsClient::UpsertDepartments(absl::Time deadline, const std::string& request_id,
                                                   int64_t school_id, const std::vector<std::string>& names) {
  accounts::v1::UpsertDepartmentsRequest request;
  request.set_request_id(request_id);
  request.set_school_id(std::to_string(school_id));
  for (const auto& name : names) request.add_names(name);
  accounts::v1::UpsertDepartmentsResponse response;
  return CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return stub_->UpsertDepartments(&context, request, &response); });
}

absl::StatusOr<UpsertGraduateAccountsResult> GrpcAccountsClient::UpsertGraduateAccounts(
    absl::Time deadline, const std::string& request_id, const std::vector<GraduateAccountInfo>& accounts) {
  accounts::v1::UpsertGraduateAccountsRequest request;
  request.set_request_id(request_id);
  for (const auto& account : accounts) {
    accounts::v1::GraduateAccount* out = request.add_accounts();
    out->set_graduate_id(std::to_string(account.graduate_id));
    out->set_school_id(std::to_string(account.school_id));
    out->set_school_code(account.school_code);
    out->set_student_number(account.student_number);
    out->set_name(account.name);
    out->set_id_number(account.id_number);
  }
  accounts::v1::UpsertGraduateAccountsResponse response;
  absl::Status status = CallWithToken(deadline, [&](grpc::ClientContext& context) {
    return stub_->UpsertGraduateAccounts(&context, request, &response);
  });
  if (!status.ok()) return status;
  UpsertGraduateAccountsResult result;
  result.created = response.created_count();
  result.updated = response.updated_count();
  result.unchanged = response.unchanged_count();
  for (const auto& failure : response.failures()) result.failures.emplace_back(failure.graduate_id(), failure.reason());
  return result;
}

absl::StatusOr<int> GrpcAccountsClient::DisableGraduateAccounts(absl::Time deadline, const std::string& request_id,
                                                                const std::vector<int64_t>& graduate_ids) {
  accounts::v1::DisableGraduateAccountsRequest request;
  request.set_request_id(request_id);
  for (int64_t id : graduate_ids) request.add_graduate_ids(std::to_string(id));
  accounts::v1::DisableGraduateAccountsResponse response;
  absl::Status status = CallWithToken(deadline, [&](grpc::ClientContext& context) {
    return stub_->DisableGraduateAccounts(&context, request, &response);
  });
  if (!status.ok()) return status;
  return response.disabled_count();
}

namespace {

// The flows whose records the signing process keeps, so SigningClaimChecker can check them.
bool IsSigningFlow(v1::Flow flow) {
  return flow == v1::FLOW_ONLINE_SIGNING || flow == v1::FLOW_OFFLINE_AGREEMENT || flow == v1::FLOW_PAPER_AGREEMENT;
}

}  // namespace

SigningClaimChecker::SigningClaimChecker(std::shared_ptr<grpc::Channel> channel, GrpcAccountsClient& accounts)
    : stub_(signing::v1::SigningService::NewStub(channel)),
      paper_stub_(signing::v1::PaperRegistrationService::NewStub(channel)),
      offline_stub_(signing::v1::OfflineSigningService::NewStub(channel)),
      accounts_(accounts) {}

absl::Status SigningClaimChecker::Prefetch(const std::vector<ClaimHolder>& holders, absl::Time deadline) {
  in_flight_.clear();
  std::map<v1::Flow, std::vector<std::string>> record_ids;
  for (const ClaimHolder& holder : holders) {
    if (IsSigningFlow(holder.flow)) {
      record_ids[holder.flow].push_back(holder.record_id);
    }
  }
  constexpr size_t kBatchSize = 500;
  for (const auto& [flow, ids] : record_ids) {
    for (size_t start = 0; start < ids.size(); start += kBatchSize) {
      signing::v1::CheckClaimsRequest request;
      for (size_t i = start; i < std::min(ids.size(), start + kBatchSize); ++i) request.add_record_ids(ids[i]);
      signing::v1::CheckClaimsResponse response;
      absl::Status status = accounts_.CallWithToken(deadline, [&](grpc::ClientContext& context) {
        switch (flow) {
          case v1::FLOW_PAPER_AGREEMENT:
            return paper_stub_->CheckPaperClaims(&context, request, &response);
          case v1::FLOW_OFFLINE_AGREEMENT:
            return offline_stub_->CheckOfflineClaims(&context, request, &response);
          default:
            return stub_->CheckClaims(&context, request, &response);
        }
      });
      if (!status.ok()) {
        in_flight_.clear();
        return status;
      }
      for (const signing::v1::ClaimCheck& check : response.checks()) {
        in_flight_[{flow, check.record_id()}] = check.in_flight();
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SigningClaimChecker::IsInFlight(v1::Flow flow, const std::string& record_id, absl::Time) {
  if (!IsSigningFlow(flow)) {
    return MakeError(absl::StatusCode::kUnimplemented, "CLAIM_CHECK_UNAVAILABLE", "该业务的占用尚不能核对，占用保留。",
                         {{"flow", v1::Flow_Name(flow)}, {"record_id", record_id}});
  }
  auto found = in_flight_.find({flow, record_id});
  if (found == in_flight_.end()) {
    return Unavailable("CLAIM_NOT_CHECKED", "签约服务未返回该记录的状态，占用保留。", {{"record_id", record_id}});
  }
  return found->second;
}

PortFileSigningClaimChecker::PortFileSigningClaimChecker(std::string path, GrpcAccountsClient& accounts)
    : path_(std::move(path)), accounts_(accounts) {}

absl::Status PortFileSigningClaimChecker::PortUnknown() const {
  return Unavailable("SIGNING_PORT_UNKNOWN", "签约服务的端口文件不存在或内容无效，本次不释放任何占用。",
                     {{"path", path_}});
}

absl::Status PortFileSigningClaimChecker::Prefetch(const std::vector<ClaimHolder>& holders, absl::Time deadline) {
  std::ifstream in(path_);
  std::string line;
  int port = 0;
  if (!in || !std::getline(in, line) || !absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &port) || port <= 0 ||
      port > 65535) {
    checker_.reset();
    return PortUnknown();
  }
  if (checker_ == nullptr || port != port_) {
    port_ = port;
    checker_ = std::make_unique<SigningClaimChecker>(
        CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", port), /*health_check=*/true), accounts_);
  }
  return checker_->Prefetch(holders, deadline);
}

absl::StatusOr<bool> PortFileSigningClaimChecker::IsInFlight(v1::Flow flow, const std::string& record_id,
                                                             absl::Time deadline) {
  if (checker_ == nullptr) return PortUnknown();
  return checker_->IsInFlight(flow, record_id, deadline);
}

}  // namespace quxiang::sync

#include "services/signing/grpc_clients.h"

#include "libs/status/error.h"
#include "libs/status/grpc_status.h"

namespace quxiang::signing {
namespace {

// ListUsers returns at most this many users per page (kMaxPageSize in services/accounts).
constexpr int kUsersPageSize = 100;
// A bound on the pages of department accounts, so that a misbehaving callee cannot loop us.
constexpr int kMaxUserPages = 1000;

void SetDeadline(grpc::ClientContext& context, absl::Time deadline) {
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
}

}  // namespace

std::shared_ptr<grpc::Channel> CreateRoundRobinChannel(const std::string& target) {
  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(
      R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}})");
  // TODO: TLS between the services; every channel is plaintext for now.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

GrpcSchoolDirectory::GrpcSchoolDirectory(std::shared_ptr<grpc::Channel> accounts_channel,
                                         std::shared_ptr<grpc::Channel> sync_channel, std::string service_secret,
                                         const Clock& clock)
    : accounts_(accounts::v1::AccountsService::NewStub(std::move(accounts_channel))),
      sync_(sync::v1::SyncService::NewStub(std::move(sync_channel))),
      tokens_(
          [this, secret = std::move(service_secret)](absl::Time deadline) -> absl::StatusOr<identity::IssuedToken> {
            grpc::ClientContext context;
            SetDeadline(context, deadline);
            accounts::v1::IssueServiceTokenRequest request;
            request.set_service_name(kServiceName);
            request.set_secret(secret);
            accounts::v1::IssueServiceTokenResponse response;
            absl::Status status = FromGrpcStatus(accounts_->IssueServiceToken(&context, request, &response));
            if (!status.ok()) return status;
            return identity::IssuedToken{response.identity_token(),
                                         absl::FromUnixSeconds(response.expires_at().seconds())};
          },
          clock) {}

absl::Status GrpcSchoolDirectory::CallWithToken(absl::Time deadline,
                                                const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> token = tokens_.Token(deadline);
    if (!token.ok()) return token.status();
    grpc::ClientContext context;
    SetDeadline(context, deadline);
    context.AddMetadata("authorization", "Bearer " + *token);
    absl::Status status = FromGrpcStatus(call(context));
    if (status.code() != absl::StatusCode::kUnauthenticated || attempt == 1) return status;
    tokens_.Invalidate();
  }
  return absl::OkStatus();
}

absl::StatusOr<accounts::v1::AgreementType> GrpcSchoolDirectory::AgreementType(absl::Time deadline,
                                                                                int64_t school_id) {
  accounts::v1::GetSchoolRequest request;
  request.set_school_id(std::to_string(school_id));
  accounts::v1::School school;
  absl::Status status =
      CallWithToken(deadline, [&](grpc::ClientContext& context) { return accounts_->GetSchool(&context, request, &school); });
  if (!status.ok()) return status;
  return school.agreement_type();
}

absl::StatusOr<std::vector<std::string>> GrpcSchoolDirectory::DepartmentsWithGraduates(absl::Time deadline,
                                                                                       int64_t school_id,
                                                                                       int class_year) {
  sync::v1::GetStatisticsRequest request;
  request.set_school_id(std::to_string(school_id));
  request.set_class_year(class_year);
  sync::v1::Statistics statistics;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->GetStatistics(&context, request, &statistics); });
  if (!status.ok()) return status;
  std::vector<std::string> departments;
  for (const sync::v1::StatisticsGroup& group : statistics.by_department()) {
    if (group.graduate_count() > 0) departments.push_back(group.key());
  }
  return departments;
}

absl::StatusOr<std::vector<accounts::v1::User>> GrpcSchoolDirectory::DepartmentAccounts(absl::Time deadline,
                                                                                        int64_t school_id) {
  std::vector<accounts::v1::User> users;
  for (int page = 1; page <= kMaxUserPages; ++page) {
    accounts::v1::ListUsersRequest request;
    request.set_school_id(std::to_string(school_id));
    request.set_kind(common::v1::PRINCIPAL_KIND_DEPARTMENT);
    request.set_page_size(kUsersPageSize);
    request.set_page(page);
    accounts::v1::ListUsersResponse response;
    absl::Status status = CallWithToken(
        deadline, [&](grpc::ClientContext& context) { return accounts_->ListUsers(&context, request, &response); });
    if (!status.ok()) return status;
    for (const accounts::v1::User& user : response.users()) users.push_back(user);
    if (response.users_size() == 0 || static_cast<int>(users.size()) >= response.total_size()) return users;
  }
  return Internal("TOO_MANY_DEPARTMENT_ACCOUNT_PAGES", "ListUsers returned more pages than kMaxUserPages");
}

}  // namespace quxiang::signing

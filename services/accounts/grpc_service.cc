#include "services/accounts/grpc_service.h"

namespace quxiang::accounts {
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

// Each method hands its call to the runtime, which runs the domain method on the worker pool.
// Public methods (no identity token needed) are marked with Auth::kPublic.
#define QUXIANG_ACCOUNTS_RPC_IMPL(Method, Request, Response, AuthMode)                                     \
  grpc::ServerUnaryReactor* AccountsGrpcService::Method(                                                   \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) {         \
    return runtime_.Handle<v1::Request, v1::Response>(                                                     \
        context, request, response, "/quxiang.accounts.v1.AccountsService/" #Method, AuthMode,            \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) {                       \
          return accounts_.Method(ToRequestInfo(call), r, out);                                           \
        });                                                                                                \
  }

QUXIANG_ACCOUNTS_RPC_IMPL(Login, LoginRequest, LoginResponse, server::Auth::kPublic)
QUXIANG_ACCOUNTS_RPC_IMPL(RefreshIdentityToken, RefreshIdentityTokenRequest, RefreshIdentityTokenResponse,
                          server::Auth::kPublic)
QUXIANG_ACCOUNTS_RPC_IMPL(Logout, LogoutRequest, LogoutResponse, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(GetCurrentUser, GetCurrentUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ChangePassword, ChangePasswordRequest, ChangePasswordResponse, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(CreateProvince, CreateProvinceRequest, Province, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(GetProvince, GetProvinceRequest, Province, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ConfigureProvince, ConfigureProvinceRequest, Province, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(CreateSchool, CreateSchoolRequest, School, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(GetSchool, GetSchoolRequest, School, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(SearchSchools, SearchSchoolsRequest, SearchSchoolsResponse, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(UpsertDepartments, UpsertDepartmentsRequest, UpsertDepartmentsResponse,
                          server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ListDepartments, ListDepartmentsRequest, ListDepartmentsResponse, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(CreateUser, CreateUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ListUsers, ListUsersRequest, ListUsersResponse, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(GetUser, GetUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(UpdateUser, UpdateUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(SetModuleGrants, SetModuleGrantsRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(DisableUser, DisableUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(EnableUser, EnableUserRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ResetPassword, ResetPasswordRequest, User, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(RegisterEmployer, RegisterEmployerRequest, Employer, server::Auth::kPublic)
QUXIANG_ACCOUNTS_RPC_IMPL(GetEmployer, GetEmployerRequest, Employer, server::Auth::kRequired)
QUXIANG_ACCOUNTS_RPC_IMPL(ListAuditEntries, ListAuditEntriesRequest, ListAuditEntriesResponse,
                          server::Auth::kRequired)

#undef QUXIANG_ACCOUNTS_RPC_IMPL

// The methods of ServiceIdentities, when the service was given one.
#define QUXIANG_SERVICE_IDENTITIES_RPC_IMPL(Method, Request, Response, AuthMode)                          \
  grpc::ServerUnaryReactor* AccountsGrpcService::Method(                                                   \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) {         \
    return runtime_.Handle<v1::Request, v1::Response>(                                                     \
        context, request, response, "/quxiang.accounts.v1.AccountsService/" #Method, AuthMode,            \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) {                       \
          if (service_identities_ == nullptr) {                                                            \
            return absl::UnimplementedError(#Method " needs --service_secrets_file");                     \
          }                                                                                                \
          return service_identities_->Method(ToRequestInfo(call), r, out);                                \
        });                                                                                                \
  }

QUXIANG_SERVICE_IDENTITIES_RPC_IMPL(IssueServiceToken, IssueServiceTokenRequest, IssueServiceTokenResponse,
                                    server::Auth::kPublic)
QUXIANG_SERVICE_IDENTITIES_RPC_IMPL(LookupSchools, LookupSchoolsRequest, LookupSchoolsResponse,
                                    server::Auth::kRequired)

#undef QUXIANG_SERVICE_IDENTITIES_RPC_IMPL

// The methods of GraduateAccounts, when the service was given one.
#define QUXIANG_GRADUATE_ACCOUNTS_RPC_IMPL(Method, Request, Response, AuthMode)                           \
  grpc::ServerUnaryReactor* AccountsGrpcService::Method(                                                   \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) {         \
    return runtime_.Handle<v1::Request, v1::Response>(                                                     \
        context, request, response, "/quxiang.accounts.v1.AccountsService/" #Method, AuthMode,            \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) {                       \
          if (graduate_accounts_ == nullptr) {                                                             \
            return absl::UnimplementedError(#Method " needs --graduate_identity_key_file");               \
          }                                                                                                \
          return graduate_accounts_->Method(ToRequestInfo(call), r, out);                                 \
        });                                                                                                \
  }

QUXIANG_GRADUATE_ACCOUNTS_RPC_IMPL(UpsertGraduateAccounts, UpsertGraduateAccountsRequest,
                                   UpsertGraduateAccountsResponse, server::Auth::kRequired)
QUXIANG_GRADUATE_ACCOUNTS_RPC_IMPL(DisableGraduateAccounts, DisableGraduateAccountsRequest,
                                   DisableGraduateAccountsResponse, server::Auth::kRequired)
QUXIANG_GRADUATE_ACCOUNTS_RPC_IMPL(ActivateGraduateAccount, ActivateGraduateAccountRequest, User,
                                   server::Auth::kPublic)

#undef QUXIANG_GRADUATE_ACCOUNTS_RPC_IMPL

}  // namespace quxiang::accounts

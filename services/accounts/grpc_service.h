// The gRPC adapter of the accounts service: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_ACCOUNTS_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_ACCOUNTS_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/accounts.h"
#include "services/accounts/graduate_accounts.h"
#include "services/accounts/service_identities.h"

namespace quxiang::accounts {

class AccountsGrpcService final : public v1::AccountsService::CallbackService {
 public:
  // Without `service_identities`, IssueServiceToken and LookupSchools return UNIMPLEMENTED, and
  // without `graduate_accounts` the graduate account RPCs do.
  AccountsGrpcService(Accounts& accounts, server::Runtime& runtime, ServiceIdentities* service_identities = nullptr,
                      GraduateAccounts* graduate_accounts = nullptr)
      : accounts_(accounts),
        runtime_(runtime),
        service_identities_(service_identities),
        graduate_accounts_(graduate_accounts) {}

#define QUXIANG_ACCOUNTS_RPC(Method, Request, Response)                                          \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, const v1::Request* request, \
                                   v1::Response* response) override;
  QUXIANG_ACCOUNTS_RPC(Login, LoginRequest, LoginResponse)
  QUXIANG_ACCOUNTS_RPC(RefreshIdentityToken, RefreshIdentityTokenRequest, RefreshIdentityTokenResponse)
  QUXIANG_ACCOUNTS_RPC(Logout, LogoutRequest, LogoutResponse)
  QUXIANG_ACCOUNTS_RPC(GetCurrentUser, GetCurrentUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(ChangePassword, ChangePasswordRequest, ChangePasswordResponse)
  QUXIANG_ACCOUNTS_RPC(CreateProvince, CreateProvinceRequest, Province)
  QUXIANG_ACCOUNTS_RPC(GetProvince, GetProvinceRequest, Province)
  QUXIANG_ACCOUNTS_RPC(ConfigureProvince, ConfigureProvinceRequest, Province)
  QUXIANG_ACCOUNTS_RPC(CreateSchool, CreateSchoolRequest, School)
  QUXIANG_ACCOUNTS_RPC(GetSchool, GetSchoolRequest, School)
  QUXIANG_ACCOUNTS_RPC(SearchSchools, SearchSchoolsRequest, SearchSchoolsResponse)
  QUXIANG_ACCOUNTS_RPC(UpsertDepartments, UpsertDepartmentsRequest, UpsertDepartmentsResponse)
  QUXIANG_ACCOUNTS_RPC(ListDepartments, ListDepartmentsRequest, ListDepartmentsResponse)
  QUXIANG_ACCOUNTS_RPC(CreateUser, CreateUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(ListUsers, ListUsersRequest, ListUsersResponse)
  QUXIANG_ACCOUNTS_RPC(GetUser, GetUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(UpdateUser, UpdateUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(SetModuleGrants, SetModuleGrantsRequest, User)
  QUXIANG_ACCOUNTS_RPC(DisableUser, DisableUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(EnableUser, EnableUserRequest, User)
  QUXIANG_ACCOUNTS_RPC(ResetPassword, ResetPasswordRequest, User)
  QUXIANG_ACCOUNTS_RPC(RegisterEmployer, RegisterEmployerRequest, Employer)
  QUXIANG_ACCOUNTS_RPC(GetEmployer, GetEmployerRequest, Employer)
  QUXIANG_ACCOUNTS_RPC(ListAuditEntries, ListAuditEntriesRequest, ListAuditEntriesResponse)
  QUXIANG_ACCOUNTS_RPC(IssueServiceToken, IssueServiceTokenRequest, IssueServiceTokenResponse)
  QUXIANG_ACCOUNTS_RPC(LookupSchools, LookupSchoolsRequest, LookupSchoolsResponse)
  QUXIANG_ACCOUNTS_RPC(UpsertGraduateAccounts, UpsertGraduateAccountsRequest, UpsertGraduateAccountsResponse)
  QUXIANG_ACCOUNTS_RPC(DisableGraduateAccounts, DisableGraduateAccountsRequest, DisableGraduateAccountsResponse)
  QUXIANG_ACCOUNTS_RPC(ActivateGraduateAccount, ActivateGraduateAccountRequest, User)
#undef QUXIANG_ACCOUNTS_RPC

 private:
  Accounts& accounts_;
  server::Runtime& runtime_;
  ServiceIdentities* service_identities_;
  GraduateAccounts* graduate_accounts_;
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_GRPC_SERVICE_H_

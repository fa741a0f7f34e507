// The accounts domain: logins and sessions, identity tokens, provinces, schools, departments,
// employers, staff accounts with module grants, and the audit log of every change.
//
// The rules of the operation guide live here: lockout after 5 consecutive wrong passwords for
// 30 minutes, idle timeout 30 minutes and absolute 12 hours, the password policy, the default
// grants (读写 for 基本信息和就业信息, 无权限 for the other two), school-only account management, and
// department names that must equal a name of the school's list character for character.
#ifndef QUXIANG_SERVICES_ACCOUNTS_ACCOUNTS_H_
#define QUXIANG_SERVICES_ACCOUNTS_ACCOUNTS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/principal.h"
#include "libs/identity/token.h"
#include "quxiang/accounts/v1/accounts.pb.h"
#include "services/accounts/password.h"
#include "services/accounts/repository.h"

namespace quxiang::accounts {

namespace v1 = ::quxiang::accounts::v1;

// The call as the domain receives it, without gRPC types, so that tests can call the domain directly.
struct RequestInfo {
  // Null for calls without an identity token (Login, RegisterEmployer, RefreshIdentityToken).
  const identity::Principal* principal = nullptr;
  // The full RPC method name; part of the idempotency key.
  std::string method;
  // The tracing id of the call (x-request-id), written to audit entries.
  std::string trace_id;
  absl::Time deadline = absl::InfiniteFuture();
  std::string peer;
};

struct AccountsOptions {
  absl::Duration identity_token_lifetime = absl::Minutes(5);
  absl::Duration session_idle_timeout = absl::Minutes(30);
  absl::Duration session_absolute_timeout = absl::Hours(12);
  int lockout_threshold = 5;
  absl::Duration lockout_duration = absl::Minutes(30);
  PasswordHashParameters password_hash;
};

class Accounts {
 public:
  Accounts(db::Pool& pool, const identity::TokenSigner& signer, const Clock& clock,
           AccountsOptions options = {});

  // Creates the platform operator account `operator` when it does not exist yet.
  absl::Status BootstrapOperator(const std::string& password);

  absl::Status Login(const RequestInfo& info, const v1::LoginRequest& request, v1::LoginResponse* response);
  absl::Status RefreshIdentityToken(const RequestInfo& info, const v1::RefreshIdentityTokenRequest& request,
                                    v1::RefreshIdentityTokenResponse* response);
  absl::Status Logout(const RequestInfo& info, const v1::LogoutRequest& request, v1::LogoutResponse* response);
  absl::Status GetCurrentUser(const RequestInfo& info, const v1::GetCurrentUserRequest& request, v1::User* response);
  absl::Status ChangePassword(const RequestInfo& info, const v1::ChangePasswordRequest& request,
                              v1::ChangePasswordResponse* response);

  absl::Status CreateProvince(const RequestInfo& info, const v1::CreateProvinceRequest& request,
                              v1::Province* response);
  absl::Status GetProvince(const RequestInfo& info, const v1::GetProvinceRequest& request, v1::Province* response);
  absl::Status ConfigureProvince(const RequestInfo& info, const v1::ConfigureProvinceRequest& request,
                                 v1::Province* response);

  absl::Status CreateSchool(const RequestInfo& info, const v1::CreateSchoolRequest& request, v1::School* response);
  absl::Status GetSchool(const RequestInfo& info, const v1::GetSchoolRequest& request, v1::School* response);
  absl::Status SearchSchools(const RequestInfo& info, const v1::SearchSchoolsRequest& request,
                             v1::SearchSchoolsResponse* response);
  absl::Status UpsertDepartments(const RequestInfo& info, const v1::UpsertDepartmentsRequest& request,
                                 v1::UpsertDepartmentsResponse* response);
  absl::Status ListDepartments(const RequestInfo& info, const v1::ListDepartmentsRequest& request,
                               v1::ListDepartmentsResponse* response);

  absl::Status CreateUser(const RequestInfo& info, const v1::CreateUserRequest& request, v1::User* response);
  absl::Status ListUsers(const RequestInfo& info, const v1::ListUsersRequest& request,
                         v1::ListUsersResponse* response);
  absl::Status GetUser(const RequestInfo& info, const v1::GetUserRequest& request, v1::User* response);
  absl::Status UpdateUser(const RequestInfo& info, const v1::UpdateUserRequest& request, v1::User* response);
  absl::Status SetModuleGrants(const RequestInfo& info, const v1::SetModuleGrantsRequest& request,
                               v1::User* response);
  absl::Status DisableUser(const RequestInfo& info, const v1::DisableUserRequest& request, v1::User* response);
  absl::Status EnableUser(const RequestInfo& info, const v1::EnableUserRequest& request, v1::User* response);
  absl::Status ResetPassword(const RequestInfo& info, const v1::ResetPasswordRequest& request, v1::User* response);

  absl::Status RegisterEmployer(const RequestInfo& info, const v1::RegisterEmployerRequest& request,
                                v1::Employer* response);
  absl::Status GetEmployer(const RequestInfo& info, const v1::GetEmployerRequest& request, v1::Employer* response);

  absl::Status ListAuditEntries(const RequestInfo& info, const v1::ListAuditEntriesRequest& request,
                                v1::ListAuditEntriesResponse* response);

 private:
  // Runs `work` in one transaction at most once per request id (see libs/db/idempotency.h).
  absl::Status Mutate(const RequestInfo& info, const std::string& request_id,
                      const google::protobuf::Message& request, google::protobuf::Message* response,
                      const std::function<absl::Status(db::Session&)>& work);

  // Loads a user of `school_id` that the caller may manage, locked for update.
  absl::StatusOr<UserRecord> LoadManagedUser(db::Session& s, const RequestInfo& info, int64_t school_id,
                                             const std::string& user_id);
  // Applies `change` to a managed user conditionally on `etag`, audits it and fills `response`.
  absl::Status ChangeManagedUser(const RequestInfo& info, const std::string& request_id,
                                 const google::protobuf::Message& request, const std::string& school_id,
                                 const std::string& user_id, const std::string& etag, const std::string& action,
                                 const std::function<absl::Status(db::Session&, UserRecord&)>& change,
                                 v1::User* response);

  absl::StatusOr<std::string> IssueIdentityToken(db::Session& s, const UserRecord& user,
                                                 const std::string& session_id, absl::Time now,
                                                 absl::Time* expires_at);
  absl::Status Audit(db::Session& s, const RequestInfo& info, int64_t school_id, const std::string& province_code,
                     const std::string& action, const std::string& target_type, const std::string& target_id,
                     const std::string& before_json, const std::string& after_json,
                     const std::string& reason = "");
  absl::Status AuditLogin(const RequestInfo& info, const std::string& username, const UserRecord* user,
                          const std::string& action);
  // Login without the failure count that Login adds.
  absl::Status Authenticate(const RequestInfo& info, const v1::LoginRequest& request,
                            v1::LoginResponse* response);

  db::Pool& pool_;
  const identity::TokenSigner& signer_;
  const Clock& clock_;
  AccountsOptions options_;
};

// The public User message of a record; `mask_phone` for lists.
v1::User UserToProto(const UserRecord& user, bool mask_phone);

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_ACCOUNTS_H_

// Identities of the platform's own services: background jobs of one service (outbox relays,
// pollers) call other services as a SERVICE principal that names the calling service, with only
// the rights the callee grants that name.
//
// Each service has a secret. The accounts service stores only the SHA-256 of each secret, in the
// file of --service_secrets_file, one `name:sha256hex(secret)` per line. Blank lines and lines
// starting with # are ignored. A service exchanges its name and secret for a short-lived token
// with IssueServiceToken, and libs/identity/service_token_source.h keeps that token fresh.
#ifndef QUXIANG_SERVICES_ACCOUNTS_SERVICE_IDENTITIES_H_
#define QUXIANG_SERVICES_ACCOUNTS_SERVICE_IDENTITIES_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/token.h"
#include "quxiang/accounts/v1/accounts.pb.h"
#include "services/accounts/accounts.h"

namespace quxiang::accounts {

// Hex SHA-256 of each service's secret, by service name.
using ServiceSecretDigests = std::map<std::string, std::string>;

// Reads a secrets file; INVALID_ARGUMENT names the first malformed line. An empty path gives no
// services.
absl::StatusOr<ServiceSecretDigests> LoadServiceSecrets(const std::string& path);

// The maximum number of codes in one LookupSchools call.
inline constexpr int kMaxLookupSchoolCodes = 500;

class ServiceIdentities {
 public:
  ServiceIdentities(db::Pool& pool, const identity::TokenSigner& signer, const Clock& clock,
                    ServiceSecretDigests secrets, absl::Duration token_lifetime);

  absl::Status IssueServiceToken(const RequestInfo& info, const v1::IssueServiceTokenRequest& request,
                                 v1::IssueServiceTokenResponse* response);
  absl::Status LookupSchools(const RequestInfo& info, const v1::LookupSchoolsRequest& request,
                             v1::LookupSchoolsResponse* response);

 private:
  db::Pool& pool_;
  const identity::TokenSigner& signer_;
  const Clock& clock_;
  ServiceSecretDigests secrets_;
  absl::Duration token_lifetime_;
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_SERVICE_IDENTITIES_H_

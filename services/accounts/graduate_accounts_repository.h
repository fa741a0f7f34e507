// The SQL of service identities and graduate accounts (service_identities.h,
// graduate_accounts.h), beside the accounts service's own repository.h.
#ifndef QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_
#define QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/db/db.h"
#include "services/accounts/repository.h"

namespace quxiang::accounts {

class GraduateAccountsRepository {
 public:
  // The schools with these codes; at most 500 codes.
  static absl::StatusOr<std::vector<SchoolRecord>> FindSchoolsByCode(db::Session& s,
                                                                     const std::vector<std::string>& codes);
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_

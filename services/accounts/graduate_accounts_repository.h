// The SQL of service identities and graduate accounts (service_identities.h,
// graduate_accounts.h), beside the accounts service's own repository.h.
#ifndef QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_
#define QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/db/db.h"
#include "services/accounts/repository.h"

namespace quxiang::accounts {

// A graduate's login: its identity row and the users row it belongs to.
struct GraduateLogin {
  int64_t user_id = 0;
  std::string graduate_id;
  int64_t school_id = 0;
  std::string name;
  std::string id_number_digest;
  std::optional<absl::Time> activated_at;
  std::string username;
  int state = 0;
};

class GraduateAccountsRepository {
 public:
  // The logins of these graduates by graduate id, locked for update; at most 500 ids.
  static absl::StatusOr<std::map<std::string, GraduateLogin>> LockLogins(db::Session& s,
                                                                         const std::vector<std::string>& graduate_ids);
  static absl::StatusOr<std::optional<GraduateLogin>> FindLoginByUserId(db::Session& s, int64_t user_id);
  static absl::Status InsertIdentity(db::Session& s, const GraduateLogin& login, absl::Time now);
  // Writes the login's name, digest, username and state to both rows.
  static absl::Status UpdateLogin(db::Session& s, const GraduateLogin& login, absl::Time now);
  // Sets the first password and marks the identity activated.
  static absl::Status Activate(db::Session& s, int64_t user_id, const std::string& password_hash, absl::Time now);

  // The schools with these codes; at most 500 codes.
  static absl::StatusOr<std::vector<SchoolRecord>> FindSchoolsByCode(db::Session& s,
                                                                     const std::vector<std::string>& codes);
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_REPOSITORY_H_

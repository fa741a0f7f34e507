// The calls the sync service makes to the accounts service, behind an interface so that the
// domain contains no gRPC types. GrpcAccountsClient (grpc_clients.h) is the real one; it calls as
// the SERVICE principal "sync".
#ifndef QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_
#define QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace quxiang::sync {

// A graduate's login as accounts keeps it (AccountsService.UpsertGraduateAccounts).
struct GraduateAccountInfo {
  int64_t graduate_id = 0;
  int64_t school_id = 0;
  std::string school_code;
  std::string student_number;
  std::string name;
  std::string id_number;
};

struct UpsertGraduateAccountsResult {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  // Accounts that accounts could not write: graduate id and reason.
  std::vector<std::pair<std::string, std::string>> failures;
};

class AccountsClient {
 public:
  virtual ~AccountsClient() = default;

  // The platform's school ids of the 院校代码 in `codes`; codes without a school are missing
  // from the map.
  virtual absl::StatusOr<std::map<std::string, int64_t>> LookupSchools(absl::Time deadline,
                                                                       const std::vector<std::string>& codes) = 0;

  // Adds department names to a school's list; names already there are kept. Idempotent per
  // `request_id`.
  virtual absl::Status UpsertDepartments(absl::Time deadline, const std::string& request_id, int64_t school_id,
                                         const std::vector<std::string>& names) = 0;

  // Creates, updates and enables the logins of `accounts` (at most 500). Idempotent per
  // `request_id`.
  virtual absl::StatusOr<UpsertGraduateAccountsResult> UpsertGraduateAccounts(
      absl::Time deadline, const std::string& request_id, const std::vector<GraduateAccountInfo>& accounts) = 0;
  // Disables the logins of `graduate_ids` (at most 500); returns how many were enabled before.
  virtual absl::StatusOr<int> DisableGraduateAccounts(absl::Time deadline, const std::string& request_id,
                                                      const std::vector<int64_t>& graduate_ids) = 0;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_

// The calls the sync service makes to the accounts service, behind an interface so that the
// domain contains no gRPC types. GrpcAccountsClient (grpc_clients.h) is the real one; it calls as
// the SERVICE principal "sync".
#ifndef QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_
#define QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace quxiang::sync {

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
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ACCOUNTS_CLIENT_H_

// The interface through which the signing settings read the accounts and sync services, without
// gRPC types, so that the domain can be tested on its own and the gRPC clients stay in grpc_clients.h.
#ifndef QUXIANG_SERVICES_SIGNING_SCHOOL_DIRECTORY_H_
#define QUXIANG_SERVICES_SIGNING_SCHOOL_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "quxiang/accounts/v1/accounts.pb.h"

namespace quxiang::signing {

class SchoolDirectory {
 public:
  virtual ~SchoolDirectory() = default;

  // The agreement type that the school's province has set (accounts GetSchool);
  // AGREEMENT_TYPE_UNSPECIFIED while the province has not set one.
  virtual absl::StatusOr<accounts::v1::AgreementType> AgreementType(absl::Time deadline, int64_t school_id) = 0;

  // The names of the departments with at least one graduate in the class (sync GetStatistics,
  // by department).
  virtual absl::StatusOr<std::vector<std::string>> DepartmentsWithGraduates(absl::Time deadline, int64_t school_id,
                                                                            int class_year) = 0;

  // Every department account of the school, active or not, with its grants (accounts ListUsers).
  virtual absl::StatusOr<std::vector<accounts::v1::User>> DepartmentAccounts(absl::Time deadline,
                                                                             int64_t school_id) = 0;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_SCHOOL_DIRECTORY_H_

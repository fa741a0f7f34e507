// The interfaces through which the signing flows call accounts and sync, without gRPC types: the graduate and the
// employer of a record, eligibility, the destination code table and the destination ledger.
// grpc_clients.h implements it over gRPC as the SERVICE principal "signing".
#ifndef QUXIANG_SERVICES_SIGNING_FLOW_PEERS_H_
#define QUXIANG_SERVICES_SIGNING_FLOW_PEERS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::signing {

struct GraduateInfo {
  int64_t id = 0;
  int class_year = 0;
  std::string name;
  std::string student_number;
  std::string department;
  // Filled by GetGraduate only, for the agreement PDF: the roster's values, with the ID number
  // and the phone masked as sync's roster view masks them.
  std::string gender;
  std::string id_number;
  std::string school_code;
  std::string school_name;
  std::string major;
  std::string education_level;
  std::string phone;
};

// The personal data of a graduate that exports show, masked or in full.
struct GraduateContact {
  std::string id_number;
  std::string phone;
};

struct EmployerInfo {
  std::string name;
  std::string credit_code;
  std::string contact_name;
  std::string contact_phone;
};

struct EligibilityInfo {
  bool eligible = false;
  // When not eligible: sync's reason code and its Chinese message.
  std::string reason;
  std::string message;
};

// The signing flows that hold a graduate in sync's destination ledger.
enum class LedgerFlow { kOnlineSigning, kOfflineAgreement, kPaperAgreement };

// The ledger calls name the flow's record; sync makes each one idempotent by `request_id`.
struct LedgerCall {
  LedgerFlow flow = LedgerFlow::kOnlineSigning;
  std::string request_id;
  int64_t school_id = 0;
  int64_t graduate_id = 0;
  std::string record_id;
};

class FlowPeers {
 public:
  virtual ~FlowPeers() = default;

  // NOT_FOUND when the school has no such graduate.
  virtual absl::StatusOr<GraduateInfo> GetGraduate(absl::Time deadline, int64_t school_id, int64_t graduate_id) = 0;
  // The active graduate of the class with this student number; NOT_FOUND when there is none.
  virtual absl::StatusOr<GraduateInfo> FindGraduateByStudentNumber(absl::Time deadline, int64_t school_id,
                                                                   int class_year,
                                                                   const std::string& student_number) = 0;
  // Whether the graduate may start online signing now (class rule, training mode, roster state).
  virtual absl::StatusOr<EligibilityInfo> CheckOnlineSigningEligibility(absl::Time deadline, int64_t school_id,
                                                                        int64_t graduate_id) = 0;
  // The same check for any signing flow.
  virtual absl::StatusOr<EligibilityInfo> CheckEligibility(absl::Time deadline, int64_t school_id,
                                                           int64_t graduate_id, LedgerFlow flow) = 0;
  virtual absl::StatusOr<EmployerInfo> GetEmployer(absl::Time deadline, const std::string& employer_id) = 0;
  // The 毕业去向代码 named 签就业协议形式就业 in the class's code table.
  virtual absl::StatusOr<std::string> AgreementDestinationCode(absl::Time deadline, int class_year) = 0;

  // Ledger writes for the online signing flow.
  virtual absl::Status ClaimGraduate(absl::Time deadline, const LedgerCall& call) = 0;
  virtual absl::Status ReleaseClaim(absl::Time deadline, const LedgerCall& call) = 0;
  virtual absl::Status CommitDestination(absl::Time deadline, const LedgerCall& call,
                                         const ems::v1::Destination& destination) = 0;
  virtual absl::Status VoidDestination(absl::Time deadline, const LedgerCall& call) = 0;

  // The credit codes among `credit_codes` that carry a warning the staff and graduates of
  // `school_id` see (warning LookupWarnings, one call for up to 500 codes).
  virtual absl::StatusOr<std::set<std::string>> WarnedEmployers(absl::Time deadline, int64_t school_id,
                                                                const std::vector<std::string>& credit_codes) = 0;

  // The codes of sync's code table `table` (a ListCodeTables id such as "industries") for
  // `class_year`. Returns UNIMPLEMENTED unless overridden, so that test doubles need not provide it.
  virtual absl::StatusOr<std::set<std::string>> CodeTableCodes(absl::Time deadline, const std::string& table,
                                                               int class_year) {
    return absl::UnimplementedError("CodeTableCodes is not implemented by this FlowPeers");
  }

  // The ID numbers and mobile phones of up to 500 graduates of `school_id` for an export (sync
  // BatchGetGraduates), masked unless `reveal`. Graduates sync does not know are left out.
  // Returns UNIMPLEMENTED unless overridden, so that test doubles need not provide it.
  virtual absl::StatusOr<std::map<int64_t, GraduateContact>> GraduateContacts(absl::Time deadline, int64_t school_id,
                                                                              const std::vector<int64_t>& graduate_ids,
                                                                              bool reveal) {
    return absl::UnimplementedError("GraduateContacts is not implemented by this FlowPeers");
  }
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_FLOW_PEERS_H_

// The gRPC implementation of SchoolDirectory and FlowPeers: calls accounts, sync and warning as
// the SERVICE principal
// "signing", with a token from accounts' IssueServiceToken.
#ifndef QUXIANG_SERVICES_SIGNING_GRPC_CLIENTS_H_
#define QUXIANG_SERVICES_SIGNING_GRPC_CLIENTS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "libs/clock/clock.h"
#include "libs/identity/service_token_source.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "quxiang/sync/v1/sync.grpc.pb.h"
#include "quxiang/warning/v1/warning.grpc.pb.h"
#include "services/signing/flow_peers.h"
#include "services/signing/school_directory.h"

namespace quxiang::signing {

// The name under which signing asks accounts for its SERVICE token.
inline constexpr char kServiceName[] = "signing";

// A plaintext channel to `target` (host:port, dns:///host:port or an ipv4: address list) that
// spreads calls over every address the name resolves to with round_robin, so that a headless
// Service's replicas share the calls. A replica that reports NOT_SERVING over grpc.health.v1
// leaves the rotation.
std::shared_ptr<grpc::Channel> CreateRoundRobinChannel(const std::string& target);

class GrpcSchoolDirectory final : public SchoolDirectory, public FlowPeers {
 public:
  GrpcSchoolDirectory(std::shared_ptr<grpc::Channel> accounts_channel, std::shared_ptr<grpc::Channel> sync_channel,
                      std::shared_ptr<grpc::Channel> warning_channel, std::string service_secret, const Clock& clock);

  absl::StatusOr<accounts::v1::AgreementType> AgreementType(absl::Time deadline, int64_t school_id) override;
  absl::StatusOr<std::vector<std::string>> DepartmentsWithGraduates(absl::Time deadline, int64_t school_id,
                                                                    int class_year) override;
  absl::StatusOr<std::vector<accounts::v1::User>> DepartmentAccounts(absl::Time deadline, int64_t school_id) override;

  absl::StatusOr<GraduateInfo> GetGraduate(absl::Time deadline, int64_t school_id, int64_t graduate_id) override;
  absl::StatusOr<GraduateInfo> FindGraduateByStudentNumber(absl::Time deadline, int64_t school_id, int class_year,
                                                           const std::string& student_number) override;
  absl::StatusOr<EligibilityInfo> CheckOnlineSigningEligibility(absl::Time deadline, int64_t school_id,
                                                                int64_t graduate_id) override;
  absl::StatusOr<EligibilityInfo> CheckEligibility(absl::Time deadline, int64_t school_id, int64_t graduate_id,
                                                   LedgerFlow flow) override;
  absl::StatusOr<EmployerInfo> GetEmployer(absl::Time deadline, const std::string& employer_id) override;
  absl::StatusOr<std::string> AgreementDestinationCode(absl::Time deadline, int class_year) override;
  absl::StatusOr<std::set<std::string>> CodeTableCodes(absl::Time deadline, const std::string& table,
                                                       int class_year) override;
  absl::Status ClaimGraduate(absl::Time deadline, const LedgerCall& call) override;
  absl::Status ReleaseClaim(absl::Time deadline, const LedgerCall& call) override;
  absl::Status CommitDestination(absl::Time deadline, const LedgerCall& call,
                                 const ems::v1::Destination& destination) override;
  absl::Status VoidDestination(absl::Time deadline, const LedgerCall& call) override;
  absl::StatusOr<std::set<std::string>> WarnedEmployers(absl::Time deadline, int64_t school_id,
                                                        const std::vector<std::string>& credit_codes) override;
  absl::StatusOr<std::map<int64_t, GraduateContact>> GraduateContacts(absl::Time deadline, int64_t school_id,
                                                                      const std::vector<int64_t>& graduate_ids,
                                                                      bool reveal) override;

 private:
  // Runs `call` with the service token. When the callee rejects the token (UNAUTHENTICATED, for
  // example after a key rotation), the token is dropped and the call made once more with a new one.
  absl::Status CallWithToken(absl::Time deadline, const std::function<grpc::Status(grpc::ClientContext&)>& call);

  std::unique_ptr<accounts::v1::AccountsService::Stub> accounts_;
  std::unique_ptr<sync::v1::SyncService::Stub> sync_;
  std::unique_ptr<warning::v1::WarningService::Stub> warning_;
  identity::ServiceTokenSource tokens_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_GRPC_CLIENTS_H_

// The gRPC implementations of the sync service's outgoing calls: to the EMS, which needs no
// identity token of the platform, and to the accounts service, called as the SERVICE principal
// "sync" with a token from IssueServiceToken.
#ifndef QUXIANG_SERVICES_SYNC_GRPC_CLIENTS_H_
#define QUXIANG_SERVICES_SYNC_GRPC_CLIENTS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/clock/clock.h"
#include "libs/identity/service_token_source.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "quxiang/signing/v1/offline_signing.grpc.pb.h"
#include "quxiang/signing/v1/paper_registration.grpc.pb.h"
#include "quxiang/signing/v1/signing.grpc.pb.h"
#include "services/sync/accounts_client.h"
#include "services/sync/ems_client.h"
#include "services/sync/ledger.h"

namespace quxiang::sync {

// A plaintext channel to `target` (host:port, dns:///host:port or an ipv4: address list) that
// spreads calls over every address the name resolves to with round_robin, as the gateway's
// channels do, so that a headless Service's replicas share the calls. With `health_check` a
// replica that reports NOT_SERVING over grpc.health.v1 leaves the rotation, and a server that
// returns UNIMPLEMENTED for the health service counts as serving. It suits the platform's own
// services, not the external EMS, whose answer to the health call nobody has checked.
std::shared_ptr<grpc::Channel> CreateRoundRobinChannel(const std::string& target, bool health_check);

class GrpcEmsClient final : public EmsClient {
 public:
  explicit GrpcEmsClient(std::shared_ptr<grpc::Channel> channel);

  absl::Status ListRosterChanges(absl::Time deadline, const ems::v1::ListRosterChangesRequest& request,
                                 ems::v1::ListRosterChangesResponse* response) override;
  absl::Status GetGraduate(absl::Time deadline, const ems::v1::GetGraduateRequest& request,
                           ems::v1::GetGraduateResponse* response) override;
  absl::Status UpsertDestination(absl::Time deadline, const ems::v1::UpsertDestinationRequest& request,
                                 ems::v1::DestinationAck* ack) override;
  absl::Status VoidDestination(absl::Time deadline, const ems::v1::VoidDestinationRequest& request,
                               ems::v1::DestinationAck* ack) override;
  absl::Status ListDestinations(absl::Time deadline, const ems::v1::ListDestinationsRequest& request,
                                ems::v1::ListDestinationsResponse* response) override;

 private:
  std::unique_ptr<ems::v1::EmsService::Stub> stub_;
};

class GrpcAccountsClient final : public AccountsClient {
 public:
  GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel, std::string service_name, std::string service_secret,
                     const Clock& clock);

  absl::StatusOr<std::map<std::string, int64_t>> LookupSchools(absl::Time deadline,
                                                               const std::vector<std::string>& codes) override;
  absl::Status UpsertDepartments(absl::Time deadline, const std::string& request_id, int64_t school_id,
                                 const std::vector<std::string>& names) override;
  absl::StatusOr<UpsertGraduateAccountsResult> UpsertGraduateAccounts(
      absl::Time deadline, const std::string& request_id, const std::vector<GraduateAccountInfo>& accounts) override;
  absl::StatusOr<int> DisableGraduateAccounts(absl::Time deadline, const std::string& request_id,
                                              const std::vector<int64_t>& graduate_ids) override;

  // Runs `call` with the service token; other clients of sync use it too. When the server
  // rejects the token (UNAUTHENTICATED, for example after a key rotation), the token is dropped
  // and the call made once more with a new one.
  absl::Status CallWithToken(absl::Time deadline, const std::function<grpc::Status(grpc::ClientContext&)>& call);

 private:
  std::unique_ptr<accounts::v1::AccountsService::Stub> stub_;
  identity::ServiceTokenSource tokens_;
};

// The ClaimChecker of the flows that the signing process serves. Prefetch calls
// SigningService.CheckClaims for online signings, OfflineSigningService.CheckOfflineClaims for
// offline e-agreements and PaperRegistrationService.CheckPaperClaims for paper registrations,
// up to 500 record ids per call, as the SERVICE principal "sync" with the token from `accounts`.
// Claims of other flows get an UNIMPLEMENTED error, so they stay.
class SigningClaimChecker final : public ClaimChecker {
 public:
  SigningClaimChecker(std::shared_ptr<grpc::Channel> channel, GrpcAccountsClient& accounts);

  absl::Status Prefetch(const std::vector<ClaimHolder>& holders, absl::Time deadline) override;
  absl::StatusOr<bool> IsInFlight(v1::Flow flow, const std::string& record_id, absl::Time deadline) override;

 private:
  std::unique_ptr<signing::v1::SigningService::Stub> stub_;
  std::unique_ptr<signing::v1::PaperRegistrationService::Stub> paper_stub_;
  std::unique_ptr<signing::v1::OfflineSigningService::Stub> offline_stub_;
  GrpcAccountsClient& accounts_;
  // The results of the last Prefetch, by flow and record id: true while the record keeps its
  // claim.
  std::map<std::pair<v1::Flow, std::string>, bool> in_flight_;
};

// The ClaimChecker for sync's --signing_port_file: it reads the port of signing on 127.0.0.1
// from `path` at every Prefetch, so a port file left by an earlier signing process is followed
// once the new process writes its own. A missing or invalid file fails the run.
class PortFileSigningClaimChecker final : public ClaimChecker {
 public:
  PortFileSigningClaimChecker(std::string path, GrpcAccountsClient& accounts);

  absl::Status Prefetch(const std::vector<ClaimHolder>& holders, absl::Time deadline) override;
  absl::StatusOr<bool> IsInFlight(v1::Flow flow, const std::string& record_id, absl::Time deadline) override;

 private:
  absl::Status PortUnknown() const;

  const std::string path_;
  GrpcAccountsClient& accounts_;
  int port_ = 0;
  std::unique_ptr<SigningClaimChecker> checker_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_GRPC_CLIENTS_H_

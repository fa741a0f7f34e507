// A fixture that runs the signing service in-process on a fresh database, behind a real gRPC
// server on an unused loopback port and the real gateway binary. The accounts, sync and warning
// services run in-process too, each on its own database and gRPC server, and the EMS simulator feeds
// sync's roster. Signing reaches accounts and sync over gRPC as the SERVICE principal "signing",
// exactly as in production. Tests sign their own identity tokens with the fixture's key pair,
// which accounts signs service tokens with too.
#ifndef QUXIANG_SERVICES_SIGNING_TESTS_SIGNING_FIXTURE_H_
#define QUXIANG_SERVICES_SIGNING_TESTS_SIGNING_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/token.h"
#include "libs/server/server.h"
#include "libs/testing/http_client.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "quxiang/common/v1/identity.pb.h"
#include "quxiang/ems/v1/ems.pb.h"
#include "services/accounts/accounts.h"
#include "services/accounts/graduate_accounts.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/service_identities.h"
#include "libs/agreement_pdf/agreement_renderer.h"
#include "libs/filestore/file_store.h"
#include "services/signing/agreement_documents.h"
#include "services/signing/agreements.h"
#include "services/signing/grpc_clients.h"
#include "services/signing/grpc_service.h"
#include "services/signing/offline_grpc_service.h"
#include "services/signing/offline_signing.h"
#include "services/signing/paper_registration.h"
#include "services/signing/paper_registration_grpc.h"
#include "services/signing/settings.h"
#include "services/sync/accounts_relay.h"
#include "services/sync/ems_relay.h"
#include "services/sync/event_feed.h"
#include "services/sync/graduates.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/grpc_service.h"
#include "services/sync/reconciliation.h"
#include "services/sync/roster_feed.h"
#include "services/sync/statistics.h"
#include "services/warning/grpc_service.h"
#include "services/warning/warning.h"
#include "tools/ems-simulator/grpc_service.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::signing::testing {

// The verification page that the fixture's agreement QR codes link to.
inline constexpr char kVerificationUrl[] = "http://127.0.0.1:8080/verify";

// Claims of test principals. `user_id` must be unique per principal, because idempotency keys
// are scoped by it.
common::v1::IdentityClaims SchoolUser(const std::string& school_id, const std::string& user_id,
                                      common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims DepartmentUser(const std::string& school_id, const std::string& user_id,
                                          common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims PrincipalOfKind(common::v1::PrincipalKind kind, const std::string& user_id);

// A roster record that the EMS simulator accepts: graduate `serial` of `school_code`, class
// `class_year`, in `department`.
ems::v1::RosterGraduate RosterRecord(const std::string& school_code, int class_year, int serial,
                                     const std::string& department);

// A clock that runs with the real one plus an offset that tests move forward, so that an
// invitation's answer deadline can pass without waiting.
class OffsetClock final : public Clock {
 public:
  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return absl::Now() + offset_;
  }
  void Advance(absl::Duration duration) {
    std::lock_guard<std::mutex> lock(mutex_);
    offset_ += duration;
  }

 private:
  mutable std::mutex mutex_;
  absl::Duration offset_;
};

// An HTTP client that sends one identity token with every request.
class ApiClient {
 public:
  ApiClient(int port, const std::string& token);

  quxiang::testing::HttpResponse Get(const std::string& target);
  quxiang::testing::HttpResponse Put(const std::string& target, const std::string& body);
  quxiang::testing::HttpResponse Post(const std::string& target, const std::string& body);

 private:
  quxiang::testing::HttpClient http_;
  std::map<std::string, std::string> headers_;
};

class SigningStack {
 public:
  // Starts the stack; returns nullptr (and a reason in `skip_reason`) when no database server is
  // configured.
  static std::unique_ptr<SigningStack> Start(const std::string& name, std::string* skip_reason);
  ~SigningStack();

  db::Pool& pool() { return *pool_; }
  int http_port() const { return http_port_; }
  // The signing service's gRPC port, and sync's database and accounts client (which gets the
  // SERVICE token of "sync"), for tests that call signing as sync does.
  int grpc_port() const { return grpc_port_; }
  db::Pool& sync_pool() { return *sync_pool_; }
  const db::Options& sync_database_options() const { return sync_database_->options(); }
  sync::GrpcAccountsClient& sync_accounts() { return *sync_accounts_client_; }

  // Signs `claims` into a token valid for an hour.
  std::string Sign(common::v1::IdentityClaims claims) const;
  ApiClient ClientFor(const common::v1::IdentityClaims& claims) const { return ApiClient(http_port_, Sign(claims)); }

  // Creates province `province_code` the first time (with `agreement_type` when it is set) and a
  // school in it; returns the school's id.
  std::string CreateSchool(const std::string& province_code, accounts::v1::AgreementType agreement_type,
                           const std::string& school_code);

  // Creates a department account of `department` in accounts; returns the user's id.
  std::string CreateDepartmentAccount(const std::string& school_id, const std::string& username,
                                      const std::string& department, common::v1::Access employment);
  void DisableAccount(const std::string& school_id, const std::string& user_id);

  // Stores `records` as the roster of `school_code` in the EMS simulator and runs sync's roster
  // feed, so that sync's statistics count them.
  void LoadRoster(const std::string& school_code, int class_year, const std::vector<ems::v1::RosterGraduate>& records);
  // Removes the graduate with `id_number` from the EMS roster of `school_code` and runs sync's
  // roster feed, so that sync marks the graduate invalidated (失效).
  void RemoveFromRoster(const std::string& school_code, const std::string& id_number);

  // Registers an employer in accounts; returns its id.
  std::string RegisterEmployer(const std::string& credit_code, const std::string& name);
  // Runs sync's EMS relay until its outbox is empty, so that the simulator stores every change.
  void DeliverToEms();
  // The destination code that the EMS simulator stores for the graduate with `id_number`, or ""
  // when it stores none.
  std::string EmsDestinationCode(const std::string& school_code, const std::string& id_number);
  // The whole destination that the EMS simulator stores for that graduate, or an empty one.
  ems::v1::Destination EmsDestination(const std::string& school_code, const std::string& id_number);

  // Marks the employer with `credit_code` as warned (违规单位) by the school user of `school_id`.
  void MarkEmployerWarned(const std::string& school_id, const std::string& credit_code);

  // The gRPC clients of the signing service to accounts, sync and warning.
  FlowPeers& peers() { return *directory_; }

  // The agreements of the signing service, for tests that build a flow of their own.
  Agreements& agreements() { return *agreements_; }

  // The clock of the online signing flow.
  OffsetClock& clock() { return clock_; }

 private:
  SigningStack() = default;

  // Runs an accounts domain call as the platform operator and fails the test unless it succeeds.
  template <typename Request, typename Response>
  void AsOperator(absl::Status (accounts::Accounts::*method)(const accounts::RequestInfo&, const Request&, Response*),
                  const std::string& name, const Request& request, Response* response);

  std::optional<quxiang::testing::TestDatabase> database_;
  std::optional<quxiang::testing::TestDatabase> accounts_database_;
  std::optional<quxiang::testing::TestDatabase> sync_database_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::Pool> accounts_pool_;
  std::unique_ptr<db::Pool> sync_pool_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;
  std::vector<std::string> provinces_;

  std::unique_ptr<ems_simulator::EmsSimulator> simulator_;
  std::unique_ptr<server::Runtime> ems_runtime_;
  std::unique_ptr<ems_simulator::EmsGrpcService> ems_service_;
  std::unique_ptr<grpc::Server> ems_server_;

  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<accounts::ServiceIdentities> service_identities_;
  std::unique_ptr<accounts::GraduateAccounts> graduate_accounts_;
  std::unique_ptr<server::Runtime> accounts_runtime_;
  std::unique_ptr<accounts::AccountsGrpcService> accounts_service_;
  std::unique_ptr<grpc::Server> accounts_server_;

  std::unique_ptr<sync::GrpcEmsClient> ems_client_;
  std::unique_ptr<sync::GrpcAccountsClient> sync_accounts_client_;
  std::unique_ptr<sync::RosterFeed> feed_;
  std::unique_ptr<sync::Graduates> graduates_;
  std::unique_ptr<sync::CodeTableCatalog> code_tables_;
  std::unique_ptr<sync::EligibilityChecks> eligibility_;
  std::unique_ptr<sync::Ledger> ledger_;
  std::unique_ptr<sync::Reconciliation> reconciliation_;
  std::unique_ptr<sync::Statistics> statistics_;
  std::unique_ptr<sync::EventFeed> events_;
  std::unique_ptr<sync::EmsRelay> ems_relay_;
  std::unique_ptr<server::Runtime> sync_runtime_;
  std::unique_ptr<sync::SyncGrpcService> sync_service_;
  std::unique_ptr<grpc::Server> sync_server_;

  std::optional<quxiang::testing::TestDatabase> warning_database_;
  std::unique_ptr<db::Pool> warning_pool_;
  std::unique_ptr<warning::Warnings> warnings_;
  std::unique_ptr<server::Runtime> warning_runtime_;
  std::unique_ptr<warning::WarningGrpcService> warning_service_;
  std::unique_ptr<grpc::Server> warning_server_;

  std::unique_ptr<GrpcSchoolDirectory> directory_;
  std::unique_ptr<Settings> settings_;
  std::unique_ptr<agreement_pdf::AgreementRenderer> renderer_;
  std::unique_ptr<filestore::MySqlFileStore> files_;
  std::unique_ptr<Agreements> agreements_;
  std::unique_ptr<OnlineSigning> online_signing_;
  std::unique_ptr<AgreementDocuments> documents_;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<SigningGrpcService> service_;
  std::unique_ptr<OfflineSigning> offline_signing_;
  std::unique_ptr<OfflineSigningGrpcService> offline_service_;
  std::unique_ptr<PaperRegistrations> paper_registrations_;
  std::unique_ptr<PaperRegistrationGrpcService> paper_service_;
  std::unique_ptr<grpc::Server> server_;

  OffsetClock clock_;
  std::unique_ptr<quxiang::testing::ChildProcess> gateway_;
  int http_port_ = 0;
  int grpc_port_ = 0;
};

}  // namespace quxiang::signing::testing

#endif  // QUXIANG_SERVICES_SIGNING_TESTS_SIGNING_FIXTURE_H_

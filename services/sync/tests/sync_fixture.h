// A fixture that runs the sync service in-process on a fresh database with a FakeClock. It sits
// behind a real gRPC server on an unused loopback port and the real gateway binary. The accounts
// service runs in-process with its own database, and the EMS simulator in-process behind its own
// gRPC server. Sync reaches both over gRPC exactly as in production. The background jobs do not
// run by themselves: tests run them (RunRosterFeed, accounts_relay().DeliverOnce() ...), so that
// every step is deterministic. Tests sign their own identity tokens with the fixture's key pair,
// which accounts signs with too.
#ifndef QUXIANG_SERVICES_SYNC_TESTS_SYNC_FIXTURE_H_
#define QUXIANG_SERVICES_SYNC_TESTS_SYNC_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <map>
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
#include "services/sync/accounts_relay.h"
#include "services/sync/ems_relay.h"
#include "services/sync/event_feed.h"
#include "services/sync/graduates.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/grpc_service.h"
#include "services/sync/reconciliation.h"
#include "services/sync/roster_feed.h"
#include "tools/ems-simulator/grpc_service.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::sync::testing {

// The instant the fake clock starts at: 2025-03-01 10:00 in Beijing.
absl::Time StartTime();

// The secret of the "sync" service in the fixture's accounts service.
inline constexpr char kSyncSecret[] = "sync-test-secret";

// Claims of test principals. `user_id` must be unique per principal, because idempotency keys
// are scoped by it.
common::v1::IdentityClaims SchoolUser(const std::string& school_id, const std::string& user_id,
                                      common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims DepartmentUser(const std::string& school_id, const std::string& user_id,
                                          const std::string& department_name,
                                          common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims GraduateUser(const std::string& school_id, const std::string& graduate_id);
common::v1::IdentityClaims ServicePrincipal(const std::string& service_name);

// A valid resident ID number (GB 11643 check digit) that differs for each `serial` below 1000000.
std::string IdNumber(int serial);

// A roster record that the EMS simulator accepts: graduate `serial` of `school_code`, class
// `class_year`, in `department`.
ems::v1::RosterGraduate RosterRecord(const std::string& school_code, int class_year, int serial,
                                     const std::string& department);

// The objects of the JSON array `name` of a response body.
std::vector<google::protobuf::Struct> Items(const quxiang::testing::HttpResponse& response, const std::string& name);
// A string or number field of a JSON object, as text; "" when missing.
std::string Field(const google::protobuf::Struct& object, const std::string& name);
// Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ for a query string.
std::string UrlEncode(const std::string& text);

// An HTTP client that sends one identity token with every request.
class ApiClient {
 public:
  ApiClient(int port, const std::string& token);

  quxiang::testing::HttpResponse Get(const std::string& target);
  quxiang::testing::HttpResponse Post(const std::string& target, const std::string& body);

 private:
  quxiang::testing::HttpClient http_;
  std::map<std::string, std::string> headers_;
};

class SyncStack {
 public:
  // Starts the stack; returns nullptr (and a reason in `skip_reason`) when no database server is
  // configured.
  static std::unique_ptr<SyncStack> Start(const std::string& name, std::string* skip_reason);
  ~SyncStack();

  db::Pool& pool() { return *pool_; }
  FakeClock& clock() { return clock_; }
  ems_simulator::EmsSimulator& ems() { return *simulator_; }
  RosterFeed& feed() { return *feed_; }
  Graduates& graduates() { return *graduates_; }
  Ledger& ledger() { return *ledger_; }
  EmsRelay& ems_relay() { return *ems_relay_; }
  Reconciliation& reconciliation() { return *reconciliation_; }
  EventFeed& events() { return *events_; }
  AccountsRelay& accounts_relay() { return *accounts_relay_; }
  accounts::Accounts& accounts() { return *accounts_; }
  accounts::GraduateAccounts& graduate_accounts() { return *graduate_accounts_; }
  db::Pool& accounts_pool() { return *accounts_pool_; }
  int http_port() const { return http_port_; }

  // Signs `claims` into a token valid for an hour.
  std::string Sign(common::v1::IdentityClaims claims) const;
  ApiClient ClientFor(const common::v1::IdentityClaims& claims) const { return ApiClient(http_port_, Sign(claims)); }

  // Creates a school in accounts (and province 41 the first time); returns the school's id.
  std::string CreateSchool(const std::string& code, const std::string& name);

  // Stores `records` as the roster of `school_code` in the EMS simulator; fails the test on
  // rows the simulator rejects.
  void UploadRoster(const std::string& school_code, int class_year,
                    const std::vector<ems::v1::RosterGraduate>& records);

  // Runs the roster feed once (every ready change, then the school backfills).
  RosterCounts RunRosterFeed();

  // The sync id of the graduate of `school_id` with `id_number`, or "" when there is none.
  std::string GraduateIdOf(const std::string& school_id, const std::string& id_number);

 private:
  SyncStack();

  FakeClock clock_;
  std::optional<quxiang::testing::TestDatabase> database_;
  std::optional<quxiang::testing::TestDatabase> accounts_database_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::Pool> accounts_pool_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;

  // The EMS simulator.
  std::unique_ptr<ems_simulator::EmsSimulator> simulator_;
  std::unique_ptr<server::Runtime> ems_runtime_;
  std::unique_ptr<ems_simulator::EmsGrpcService> ems_service_;
  std::unique_ptr<grpc::Server> ems_server_;

  // The accounts service.
  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<accounts::ServiceIdentities> service_identities_;
  std::unique_ptr<accounts::GraduateAccounts> graduate_accounts_;
  std::unique_ptr<server::Runtime> accounts_runtime_;
  std::unique_ptr<accounts::AccountsGrpcService> accounts_service_;
  std::unique_ptr<grpc::Server> accounts_server_;
  bool province_created_ = false;

  // The sync service.
  std::unique_ptr<GrpcEmsClient> ems_client_;
  std::unique_ptr<GrpcAccountsClient> accounts_client_;
  std::unique_ptr<RosterFeed> feed_;
  std::unique_ptr<Graduates> graduates_;
  std::unique_ptr<CodeTableCatalog> code_tables_;
  std::unique_ptr<EligibilityChecks> eligibility_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<EmsRelay> ems_relay_;
  std::unique_ptr<Reconciliation> reconciliation_;
  std::unique_ptr<Statistics> statistics_;
  std::unique_ptr<EventFeed> events_;
  std::unique_ptr<EmsComparison> ems_comparison_;
  std::unique_ptr<AccountsRelay> accounts_relay_;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<SyncGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;

  std::unique_ptr<quxiang::testing::ChildProcess> gateway_;
  int http_port_ = 0;
};

}  // namespace quxiang::sync::testing

#endif  // QUXIANG_SERVICES_SYNC_TESTS_SYNC_FIXTURE_H_

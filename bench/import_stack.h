// The roster import path assembled in one process for benchmarks: the EMS simulator behind a real
// gRPC server on loopback, the accounts service behind another, and the sync service's roster feed,
// which reaches both over gRPC as in production. Each service has a fresh database on the server
// that MYSQL_* names, dropped at exit.
//
// The feed's database pool and EMS client are wrapped in timers, so that a run can report how much
// of its time went to SQL statements, to commits and to ListRosterChanges calls.
#ifndef QUXIANG_BENCH_IMPORT_STACK_H_
#define QUXIANG_BENCH_IMPORT_STACK_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "libs/identity/token.h"
#include "libs/server/server.h"
#include "libs/testing/test_database.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "services/accounts/accounts.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/service_identities.h"
#include "services/sync/ems_client.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/roster_feed.h"
#include "tools/ems-simulator/grpc_service.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::bench {

// Wall time spent in the calls that pass through a timer, and how many calls there were.
struct CallTimes {
  absl::Duration total;
  int64_t calls = 0;
};

// A db::Pool that forwards to another and times every statement, and the part of each
// transaction outside its callback (acquiring a connection, BEGIN, COMMIT).
class TimedPool final : public db::Pool {
 public:
  explicit TimedPool(db::Pool& inner);

  absl::Status Transaction(absl::Time deadline, const std::function<absl::Status(db::Session&)>& work) override;
  absl::Status Run(absl::Time deadline, const std::function<absl::Status(db::Session&)>& work) override;
  db::PoolStats Stats() const override { return inner_.Stats(); }

  CallTimes statements() const;
  CallTimes transaction_overhead() const;
  void ResetTimes();

  // Statement times by the statement's first 50 characters (and those of its FROM clause), the
  // slowest first.
  std::vector<std::pair<std::string, CallTimes>> StatementsByText() const;

  // Adds the time of one statement; called by the sessions this pool lends.
  void AddStatement(absl::string_view sql, absl::Duration elapsed);

 private:
  db::Pool& inner_;
  mutable std::mutex mutex_;
  CallTimes statements_;
  CallTimes transaction_overhead_;
  std::map<std::string, CallTimes> by_text_;
};

// An EmsClient that forwards to another and times ListRosterChanges.
class TimedEmsClient final : public sync::EmsClient {
 public:
  explicit TimedEmsClient(sync::EmsClient& inner) : inner_(inner) {}

  absl::Status ListRosterChanges(absl::Time deadline, const ems::v1::ListRosterChangesRequest& request,
                                 ems::v1::ListRosterChangesResponse* response) override;
  absl::Status GetGraduate(absl::Time deadline, const ems::v1::GetGraduateRequest& request,
                           ems::v1::GetGraduateResponse* response) override {
    return inner_.GetGraduate(deadline, request, response);
  }
  absl::Status UpsertDestination(absl::Time deadline, const ems::v1::UpsertDestinationRequest& request,
                                 ems::v1::DestinationAck* ack) override {
    return inner_.UpsertDestination(deadline, request, ack);
  }
  absl::Status VoidDestination(absl::Time deadline, const ems::v1::VoidDestinationRequest& request,
                               ems::v1::DestinationAck* ack) override {
    return inner_.VoidDestination(deadline, request, ack);
  }
  absl::Status ListDestinations(absl::Time deadline, const ems::v1::ListDestinationsRequest& request,
                                ems::v1::ListDestinationsResponse* response) override {
    return inner_.ListDestinations(deadline, request, response);
  }

  CallTimes list_calls() const;
  // Serialized bytes of the responses received.
  int64_t list_bytes() const;
  void ResetTimes();

 private:
  sync::EmsClient& inner_;
  mutable std::mutex mutex_;
  CallTimes list_calls_;
  int64_t list_bytes_ = 0;
};

struct ImportStackOptions {
  // The largest message the simulator's gRPC server accepts. gRPC's default of 4 MiB is below a
  // roster file of a few ten thousand rows, so the benchmark raises it to fit its file.
  int max_receive_message_bytes = 4 << 20;
  // RosterFeedOptions::page_size.
  int page_size = 500;
};

class ImportStack {
 public:
  // Starts the stack on fresh databases. Returns NOT_FOUND when MYSQL_HOST is not set.
  static absl::StatusOr<std::unique_ptr<ImportStack>> Start(const ImportStackOptions& options);
  ~ImportStack();

  // Creates the school `code` in accounts (with province 41), so that the feed applies its
  // changes; returns the school's id.
  absl::StatusOr<int64_t> CreateSchool(const std::string& code, const std::string& name);

  // Sends a roster file to the simulator through EmsSimulatorControl.UploadRoster over gRPC.
  absl::StatusOr<ems::v1::UploadRosterResponse> UploadRoster(const std::string& school_code, int class_year,
                                                             const std::string& file_name,
                                                             const std::string& content);

  // Runs the roster feed until it lists no more changes; adds up the counts of every run.
  absl::StatusOr<sync::RosterCounts> RunFeedUntilIdle();

  // Graduates rows in sync's database, and those whose updated_at is at or after `since`.
  absl::StatusOr<int64_t> CountGraduates();
  absl::StatusOr<int64_t> CountGraduatesUpdatedSince(absl::Time since);

  // Sets the feed's cursor back to 0, so that the next run reads every change again.
  absl::Status RewindFeedCursor();

  const db::Options& sync_database() const { return database_->options(); }
  db::Pool& sync_pool() { return *pool_; }
  TimedPool& timed_pool() { return *timed_pool_; }
  TimedEmsClient& timed_ems() { return *timed_ems_; }

 private:
  ImportStack() = default;

  std::optional<testing::TestDatabase> database_;
  std::optional<testing::TestDatabase> accounts_database_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<TimedPool> timed_pool_;
  std::unique_ptr<db::Pool> accounts_pool_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;

  std::unique_ptr<ems_simulator::EmsSimulator> simulator_;
  std::unique_ptr<server::Runtime> ems_runtime_;
  std::unique_ptr<ems_simulator::EmsGrpcService> ems_service_;
  std::unique_ptr<ems_simulator::EmsSimulatorControlGrpcService> control_service_;
  std::unique_ptr<grpc::Server> ems_server_;
  std::unique_ptr<ems::v1::EmsSimulatorControl::Stub> control_;

  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<accounts::ServiceIdentities> service_identities_;
  std::unique_ptr<server::Runtime> accounts_runtime_;
  std::unique_ptr<accounts::AccountsGrpcService> accounts_service_;
  std::unique_ptr<grpc::Server> accounts_server_;

  std::unique_ptr<sync::GrpcEmsClient> ems_client_;
  std::unique_ptr<TimedEmsClient> timed_ems_;
  std::unique_ptr<sync::GrpcAccountsClient> accounts_client_;
  std::unique_ptr<sync::RosterFeed> feed_;
};

}  // namespace quxiang::bench

#endif  // QUXIANG_BENCH_IMPORT_STACK_H_

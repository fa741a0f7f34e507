// Real service binaries on loopback for the operations tests: accounts replicas on one fresh
// database, the warning service, the EMS simulator, sync and signing when they are built, and
// the gateway in front of them. Every process writes its gRPC (or HTTP) port and its /metrics port
// to files in a private folder.
#ifndef QUXIANG_TESTS_OPS_OPS_STACK_H_
#define QUXIANG_TESTS_OPS_OPS_STACK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "services/accounts/tests/accounts_fixture.h"

namespace quxiang::ops {

// A password that meets the policy and does not contain the username "operator".
inline constexpr char kOperatorPassword[] = "Qx1-Ops#Test2026";
// The secret with which sync gets its SERVICE token from accounts.
inline constexpr char kSyncSecret[] = "ops-test-sync-service-secret";
inline constexpr char kSigningSecret[] = "ops-test-signing-service-secret";

struct Process {
  std::string name;
  std::unique_ptr<quxiang::testing::ChildProcess> child;
  std::string port_file;
  std::string metrics_port_file;
  int port = 0;
  int metrics_port = 0;
};

class OpsStack {
 public:
  // nullptr when MYSQL_HOST is not set (the test should skip).
  static std::unique_ptr<OpsStack> Create(const std::string& name);
  ~OpsStack();

  // Starts a process without waiting for it; WaitReady then reads its ports.
  Process& LaunchAccounts(const std::string& name, const std::vector<std::string>& extra_args = {});
  // Starts the warning service on its own schema; nullptr when services/warning is not built.
  Process* LaunchWarning(const std::vector<std::string>& extra_args = {});
  // Starts an EMS simulator named `name`; nullptr when tools/ems-simulator is not built.
  Process* LaunchEmsSimulator(const std::string& name = "ems-simulator");
  // Starts a sync replica named `name` on the stack's sync schema. It calls the EMS simulator and
  // accounts at these ports. Returns nullptr when services/sync is not built.
  Process* LaunchSync(const std::string& name, int ems_port, int accounts_port,
                      const std::vector<std::string>& extra_args = {});
  // Starts the signing service on its own schema; it calls accounts, sync and warning at these
  // ports.
  // Returns nullptr when services/signing is not built.
  Process* LaunchSigning(int accounts_port, int sync_port, int warning_port);
  Process& LaunchGateway(const std::string& backends);

  // Waits for the process's port files; returns false (with its log in `failure`) when it
  // exits first or takes longer than `timeout`.
  bool WaitReady(Process& process, absl::Duration timeout, std::string* failure);

  const quxiang::testing::TestDatabase& database() const { return *database_; }
  // The schema of the sync replicas; nullptr before the first LaunchSync.
  const quxiang::testing::TestDatabase* sync_database() const {
    return sync_database_ ? &*sync_database_ : nullptr;
  }
  const std::string& folder() const { return folder_; }

 private:
  OpsStack() = default;
  Process& Launch(const std::string& name, const std::string& binary, std::vector<std::string> args,
                  const std::map<std::string, std::string>& environment);

  std::optional<quxiang::testing::TestDatabase> database_;
  std::optional<quxiang::testing::TestDatabase> warning_database_;
  std::optional<quxiang::testing::TestDatabase> sync_database_;
  std::optional<quxiang::testing::TestDatabase> signing_database_;
  std::string folder_;
  accounts::testing::KeyPair keys_;
  std::vector<std::unique_ptr<Process>> processes_;
};

// grpc.health.v1 status of the server at 127.0.0.1:`port`; "UNREACHABLE" when the call fails.
std::string HealthStatus(int port);

// GET /metrics from 127.0.0.1:`port`.
std::string ScrapeMetrics(int port);

// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> PromtoolCheckMetrics(const std::string& text);

// The value of the sample line that starts with `series` (name and labels exactly as rendered),
// or nullopt when there is none.
std::optional<double> SampleValue(const std::string& metrics_text, const std::string& series);

}  // namespace quxiang::ops

#endif  // QUXIANG_TESTS_OPS_OPS_STACK_H_

// A fixture that runs the accounts domain in-process with a fake clock on a fresh database,
// behind a real gRPC server on an unused loopback port and the real gateway binary, so that the
// acceptance tests talk HTTP to the real stack while the clock stays under the test's control.
#ifndef QUXIANG_SERVICES_ACCOUNTS_TESTS_ACCOUNTS_FIXTURE_H_
#define QUXIANG_SERVICES_ACCOUNTS_TESTS_ACCOUNTS_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/token.h"
#include "libs/server/server.h"
#include "libs/testing/http_client.h"
#include "libs/testing/keys.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "services/accounts/accounts.h"
#include "services/accounts/grpc_service.h"

namespace quxiang::accounts::testing {

using ::quxiang::testing::GenerateKeyPair;
using ::quxiang::testing::KeyPair;

inline constexpr char kOperatorPassword[] = "Qx-Platform#2026";
inline constexpr char kStaffPassword[] = "Staff#2026pass";

class AccountsStack {
 public:
  // nullptr (and a reason in `skip_reason`) when no database server is configured.
  static std::unique_ptr<AccountsStack> Start(const std::string& name, std::string* skip_reason);
  ~AccountsStack();

  FakeClock& clock() { return clock_; }
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  const KeyPair& keys() const { return keys_; }
  const identity::TokenSigner& signer() const { return *signer_; }
  std::shared_ptr<grpc::Channel> channel() const;
  quxiang::testing::HttpClient NewHttpClient() const { return quxiang::testing::HttpClient(http_port_); }

  // A client logged in as `username`; fails the test when the login fails.
  quxiang::testing::HttpClient LoggedIn(const std::string& username, const std::string& password) const;

 private:
  AccountsStack();

  FakeClock clock_;
  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
  KeyPair keys_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<AccountsGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<quxiang::testing::ChildProcess> gateway_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

}  // namespace quxiang::accounts::testing

#endif  // QUXIANG_SERVICES_ACCOUNTS_TESTS_ACCOUNTS_FIXTURE_H_

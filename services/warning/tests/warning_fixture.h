// A fixture that runs the warning domain in-process on a fresh database, behind a real gRPC
// server on an unused loopback port and the real gateway binary. Tests sign their own identity
// tokens with a key pair of the fixture, for principals of any kind and school, and talk HTTP
// with an "Authorization: Bearer" header, which the gateway forwards as it is.
#ifndef QUXIANG_SERVICES_WARNING_TESTS_WARNING_FIXTURE_H_
#define QUXIANG_SERVICES_WARNING_TESTS_WARNING_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "libs/db/db.h"
#include "libs/identity/token.h"
#include "libs/server/server.h"
#include "libs/testing/http_client.h"
#include "libs/testing/keys.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "quxiang/common/v1/identity.pb.h"
#include "services/warning/grpc_service.h"
#include "services/warning/warning.h"

namespace quxiang::warning::testing {

using ::quxiang::testing::GenerateKeyPair;
using ::quxiang::testing::KeyPair;

// Claims of test principals. `user_id` must be unique per principal, because idempotency keys
// are scoped by it.
common::v1::IdentityClaims SchoolUser(const std::string& school_id, const std::string& user_id,
                                      common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims DepartmentUser(const std::string& school_id, const std::string& user_id,
                                          common::v1::Access employment = common::v1::ACCESS_READ_WRITE);
common::v1::IdentityClaims Graduate(const std::string& school_id, const std::string& user_id);
common::v1::IdentityClaims PrincipalOfKind(common::v1::PrincipalKind kind, const std::string& user_id);

// A valid unified social credit code, different for each `serial`.
std::string CreditCode(int serial);

// An HTTP client that sends one identity token with every request.
class ApiClient {
 public:
  ApiClient(int port, const std::string& token);

  quxiang::testing::HttpResponse Get(const std::string& target);
  quxiang::testing::HttpResponse Post(const std::string& target, const std::string& body);
  quxiang::testing::HttpResponse Patch(const std::string& target, const std::string& body);
  quxiang::testing::HttpResponse Delete(const std::string& target);

 private:
  quxiang::testing::HttpClient http_;
  std::map<std::string, std::string> headers_;
};

class WarningStack {
 public:
  // Starts the stack; returns nullptr (and a reason in `skip_reason`) when no database server is
  // configured.
  static std::unique_ptr<WarningStack> Start(const std::string& name, std::string* skip_reason);
  ~WarningStack();

  db::Pool& pool() { return *pool_; }
  Warnings& warnings() { return *warnings_; }
  int http_port() const { return http_port_; }
  const KeyPair& keys() const { return keys_; }

  // Signs `claims` into a token valid for an hour.
  std::string Sign(common::v1::IdentityClaims claims) const;
  ApiClient ClientFor(const common::v1::IdentityClaims& claims) const { return ApiClient(http_port_, Sign(claims)); }
  // A client without a token.
  quxiang::testing::HttpClient AnonymousClient() const { return quxiang::testing::HttpClient(http_port_); }

 private:
  WarningStack() = default;

  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
  KeyPair keys_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;
  std::unique_ptr<Warnings> warnings_;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<WarningGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<quxiang::testing::ChildProcess> gateway_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

}  // namespace quxiang::warning::testing

#endif  // QUXIANG_SERVICES_WARNING_TESTS_WARNING_FIXTURE_H_

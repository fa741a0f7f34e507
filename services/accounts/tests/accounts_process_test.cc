// The accounts binary as it runs in production: health checking, token checks, SIGTERM drain.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/tests/accounts_fixture.h"

namespace quxiang::accounts::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class AccountsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("accounts_process");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    folder_ = quxiang::testing::MakeTempDir("qx-accounts");
    keys_ = GenerateKeyPair();
    std::ofstream(folder_ + "/private.pem") << keys_.private_pem;
    std::ofstream(folder_ + "/public.pem") << keys_.public_pem;
    std::ofstream(folder_ + "/operator") << kOperatorPassword << "\n";

    auto environment = database_->Environment();
    process_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/services/accounts/accounts",
        std::vector<std::string>{"--port_file=" + folder_ + "/port", "--drain_delay_ms=1500",
                                 "--token_private_key_file=" + folder_ + "/private.pem",
                                 "--token_public_key_files=" + folder_ + "/public.pem",
                                 "--operator_password_file=" + folder_ + "/operator"},
        environment, folder_ + "/accounts.log");
    port_ = quxiang::testing::WaitForPortFile(folder_ + "/port", absl::Seconds(30), process_.get());
    ASSERT_GT(port_, 0) << process_->Log();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }

  HealthCheckResponse::ServingStatus Health() {
    auto stub = Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckRequest request;
    HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (!status.ok()) return HealthCheckResponse::UNKNOWN;
    return response.status();
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::string folder_;
  KeyPair keys_;
  std::unique_ptr<quxiang::testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(AccountsProcessTest, ServesHealthAndDrainsOnSigterm) {
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);

  process_->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  // During the drain delay the server still answers, but as NOT_SERVING.
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);

  std::optional<int> exit_status = process_->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << process_->Log();
  EXPECT_EQ(*exit_status, 0) << process_->Log();
}

TEST_F(AccountsProcessTest, RefusesForgedTokenAndAcceptsReal) {
  auto stub = v1::AccountsService::NewStub(channel_);

  grpc::ClientContext login_context;
  v1::LoginRequest login;
  login.set_username("operator");
  login.set_password(kOperatorPassword);
  v1::LoginResponse session;
  ASSERT_TRUE(stub->Login(&login_context, login, &session).ok());

  grpc::ClientContext real_context;
  real_context.AddMetadata("authorization", "Bearer " + session.identity_token());
  v1::User user;
  ASSERT_TRUE(stub->GetCurrentUser(&real_context, v1::GetCurrentUserRequest(), &user).ok());
  EXPECT_EQ(user.username(), "operator");

  // The same claims signed by a key the service does not trust.
  auto forger = *identity::TokenSigner::FromPem(GenerateKeyPair().private_pem);
  auto verifier = *identity::TokenVerifier::FromPems({keys_.public_pem});
  auto claims = verifier->Verify(session.identity_token(), absl::Now());
  ASSERT_TRUE(claims.ok());
  grpc::ClientContext forged_context;
  forged_context.AddMetadata("authorization", "Bearer " + forger->Sign(*claims));
  grpc::Status forged = stub->GetCurrentUser(&forged_context, v1::GetCurrentUserRequest(), &user);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(forged)), "INVALID_TOKEN");

  grpc::ClientContext anonymous_context;
  grpc::Status anonymous = stub->GetCurrentUser(&anonymous_context, v1::GetCurrentUserRequest(), &user);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace quxiang::accounts::testing

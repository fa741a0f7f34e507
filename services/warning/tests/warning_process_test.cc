// The warning binary as it runs in production: migrations at start, health checking, token
// checks, SIGTERM drain.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "quxiang/warning/v1/warning.grpc.pb.h"
#include "services/warning/tests/warning_fixture.h"

namespace quxiang::warning::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class WarningProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("warning_process");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    folder_ = quxiang::testing::MakeTempDir("qx-warning");
    keys_ = GenerateKeyPair();
    std::ofstream(folder_ + "/public.pem") << keys_.public_pem;
    signer_ = *identity::TokenSigner::FromPem(keys_.private_pem);

    process_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/services/warning/warning",
        std::vector<std::string>{"--port_file=" + folder_ + "/port", "--drain_delay_ms=1500",
                                 "--token_public_key_files=" + folder_ + "/public.pem"},
        database_->Environment(), folder_ + "/warning.log");
    port_ = quxiang::testing::WaitForPortFile(folder_ + "/port", absl::Seconds(30), process_.get());
    ASSERT_GT(port_, 0) << process_->Log();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }

  HealthCheckResponse::ServingStatus Health() {
    auto stub = Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, HealthCheckRequest(), &response);
    if (!status.ok()) return HealthCheckResponse::UNKNOWN;
    return response.status();
  }

  std::string Sign(const identity::TokenSigner& signer, common::v1::IdentityClaims claims) {
    claims.set_issued_at(absl::ToUnixSeconds(absl::Now()));
    claims.set_expires_at(absl::ToUnixSeconds(absl::Now() + absl::Minutes(5)));
    return signer.Sign(claims);
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::string folder_;
  KeyPair keys_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<quxiang::testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(WarningProcessTest, ServesHealthAndDrainsOnSigterm) {
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);

  process_->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  // During the drain delay the server still responds, but with NOT_SERVING.
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);

  std::optional<int> exit_status = process_->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << process_->Log();
  EXPECT_EQ(*exit_status, 0) << process_->Log();
}

TEST_F(WarningProcessTest, MarksWithRealTokenOnly) {
  auto stub = v1::WarningService::NewStub(channel_);
  v1::CreateWarningMarkRequest request;
  request.set_request_id("process-1");
  request.set_school_id("42");
  request.set_credit_code(CreditCode(1));
  request.set_category(v1::WARNING_CATEGORY_FAKE_EMPLOYER);

  grpc::ClientContext real_context;
  real_context.AddMetadata("authorization", "Bearer " + Sign(*signer_, SchoolUser("42", "s42")));
  v1::WarningMark mark;
  grpc::Status created = stub->CreateWarningMark(&real_context, request, &mark);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(mark.credit_code(), CreditCode(1));
  EXPECT_EQ(mark.etag(), "1");

  // The same claims signed by a key the service does not trust.
  auto forger = *identity::TokenSigner::FromPem(GenerateKeyPair().private_pem);
  grpc::ClientContext forged_context;
  forged_context.AddMetadata("authorization", "Bearer " + Sign(*forger, SchoolUser("42", "s42")));
  request.set_request_id("process-2");
  grpc::Status forged = stub->CreateWarningMark(&forged_context, request, &mark);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(forged)), "INVALID_TOKEN");

  grpc::ClientContext anonymous_context;
  v1::LookupWarningsResponse lookup;
  grpc::Status anonymous = stub->LookupWarnings(&anonymous_context, v1::LookupWarningsRequest(), &lookup);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace quxiang::warning::testing

// The signing binary as it runs in production: required flags, migrations at start, health
// checking, token checks, an unreachable accounts service, SIGTERM drain.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "libs/testing/keys.h"
#include "quxiang/signing/v1/offline_signing.grpc.pb.h"
#include "quxiang/signing/v1/signing.grpc.pb.h"
#include "services/signing/tests/signing_fixture.h"

namespace quxiang::signing::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using quxiang::testing::GenerateKeyPair;
using quxiang::testing::KeyPair;

std::string Binary() { return quxiang::testing::BuildDir() + "/services/signing/signing"; }

class SigningProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("signing_process");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    folder_ = quxiang::testing::MakeTempDir("qx-signing");
    keys_ = GenerateKeyPair();
    std::ofstream(folder_ + "/public.pem") << keys_.public_pem;
    std::ofstream(folder_ + "/secret") << "signing-process-secret\n";
    std::ofstream(folder_ + "/agreement-key") << "signing-process-agreement-key-0123456789abcdef\n";
    std::ofstream(folder_ + "/short-agreement-key") << "too-short\n";
    signer_ = *identity::TokenSigner::FromPem(keys_.private_pem);
  }

  // Starts the binary; port 1 on loopback has no listener, so every call to accounts or sync
  // fails at once.
  void StartProcess(std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> flags = {"--port_file=" + folder_ + "/port", "--drain_delay_ms=1500",
                                      "--token_public_key_files=" + folder_ + "/public.pem",
                                      "--service_secret_file=" + folder_ + "/secret",
                                      "--agreement_key_file=" + folder_ + "/agreement-key",
                                      "--accounts_address=127.0.0.1:1", "--sync_address=127.0.0.1:1",
                                      "--warning_address=127.0.0.1:1"};
    for (auto& flag : extra_flags) flags.push_back(std::move(flag));
    process_ = std::make_unique<quxiang::testing::ChildProcess>(Binary(), flags, database_->Environment(),
                                                                folder_ + "/signing.log");
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

TEST_F(SigningProcessTest, ServesHealthAndDrainsOnSigterm) {
  StartProcess();
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);

  process_->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  // During the drain delay the server still responds, but with NOT_SERVING.
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);

  std::optional<int> exit_status = process_->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << process_->Log();
  EXPECT_EQ(*exit_status, 0) << process_->Log();
}

TEST_F(SigningProcessTest, ReadsWithRealTokenAndReportsUnreachableAccounts) {
  StartProcess();
  auto stub = v1::SigningService::NewStub(channel_);
  v1::GetSigningSettingsRequest get;
  get.set_school_id("42");
  get.set_class_year(2026);

  grpc::ClientContext real_context;
  real_context.AddMetadata("authorization", "Bearer " + Sign(*signer_, SchoolUser("42", "s42")));
  v1::SigningSettings settings;
  grpc::Status read = stub->GetSigningSettings(&real_context, get, &settings);
  ASSERT_TRUE(read.ok()) << read.error_message();
  EXPECT_FALSE(settings.submitted());
  EXPECT_EQ(settings.school_id(), "42");

  // The same claims signed by a key the service does not trust.
  auto forger = *identity::TokenSigner::FromPem(GenerateKeyPair().private_pem);
  grpc::ClientContext forged_context;
  forged_context.AddMetadata("authorization", "Bearer " + Sign(*forger, SchoolUser("42", "s42")));
  grpc::Status forged = stub->GetSigningSettings(&forged_context, get, &settings);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(FromGrpcStatus(forged)), "INVALID_TOKEN");

  // A submission needs the agreement type from accounts, which is unreachable.
  v1::UpdateSigningSettingsRequest update;
  update.set_request_id("process-1");
  update.set_school_id("42");
  update.set_class_year(2026);
  update.set_review_mode(v1::REVIEW_MODE_SCHOOL_ONLY);
  update.set_handler_scope(v1::HANDLER_SCOPE_WHOLE_SCHOOL);
  v1::AgreementHandler* handler = update.mutable_school_handler();
  handler->set_name("张老师");
  handler->set_phone("13800138000");
  handler->set_postal_address("北京市海淀区学院路 1 号");
  handler->set_postal_code("100083");
  grpc::ClientContext update_context;
  update_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  update_context.AddMetadata("authorization", "Bearer " + Sign(*signer_, SchoolUser("42", "s42")));
  grpc::Status unreachable = stub->UpdateSigningSettings(&update_context, update, &settings);
  EXPECT_TRUE(unreachable.error_code() == grpc::StatusCode::UNAVAILABLE ||
              unreachable.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << unreachable.error_code() << " " << unreachable.error_message();
}

TEST_F(SigningProcessTest, VerifiesAgreementsWithoutToken) {
  StartProcess();
  auto stub = v1::SigningService::NewStub(channel_);
  v1::VerifyAgreementRequest request;
  request.set_agreement_number("4111010001-2026-000001");
  request.set_code("ABCD-EFGH");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::AgreementVerification verification;
  grpc::Status status = stub->VerifyAgreement(&context, request, &verification);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_FALSE(verification.valid());
  EXPECT_EQ(verification.status_text(), "验证失败：协议编号或验证码不正确");

  // The download needs a token.
  v1::GetAgreementPdfRequest download;
  download.set_agreement_number("4111010001-2026-000001");
  grpc::ClientContext download_context;
  download_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  common::v1::HttpFile file;
  EXPECT_EQ(stub->GetAgreementPdf(&download_context, download, &file).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SigningProcessTest, ExitsWithoutRequiredFlags) {
  const std::string key = "--agreement_key_file=" + folder_ + "/agreement-key";
  const std::vector<std::vector<std::string>> kCases = {
      {"--service_secret_file=" + folder_ + "/secret", key, "--sync_address=127.0.0.1:1",
       "--warning_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/secret", key, "--accounts_address=127.0.0.1:1",
       "--warning_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/secret", key, "--accounts_address=127.0.0.1:1",
       "--sync_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/missing", key, "--accounts_address=127.0.0.1:1",
       "--sync_address=127.0.0.1:1", "--warning_address=127.0.0.1:1"},
      // No agreement key, a missing key file, a key shorter than 32 bytes and a base URL
      // without a scheme.
      {"--service_secret_file=" + folder_ + "/secret", "--accounts_address=127.0.0.1:1", "--sync_address=127.0.0.1:1",
       "--warning_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/secret", "--agreement_key_file=" + folder_ + "/missing-key",
       "--accounts_address=127.0.0.1:1", "--sync_address=127.0.0.1:1", "--warning_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/secret", "--agreement_key_file=" + folder_ + "/short-agreement-key",
       "--accounts_address=127.0.0.1:1", "--sync_address=127.0.0.1:1", "--warning_address=127.0.0.1:1"},
      {"--service_secret_file=" + folder_ + "/secret", key, "--public_base_url=console.example.cn",
       "--accounts_address=127.0.0.1:1", "--sync_address=127.0.0.1:1", "--warning_address=127.0.0.1:1"},
  };
  int index = 0;
  for (const auto& flags : kCases) {
    SCOPED_TRACE(index);
    std::vector<std::string> all = flags;
    all.push_back("--token_public_key_files=" + folder_ + "/public.pem");
    all.push_back("--port_file=" + folder_ + absl::StrCat("/port-", index++));
    quxiang::testing::ChildProcess process(Binary(), all, database_->Environment(), folder_ + "/refused.log");
    std::optional<int> exit_status = process.WaitExit(absl::Seconds(20));
    ASSERT_TRUE(exit_status.has_value()) << process.Log();
    EXPECT_NE(*exit_status, 0) << process.Log();
  }
}


TEST_F(SigningProcessTest, AcceptsScanUploadsAboveFourMebibytes) {
  StartProcess();
  auto stub = v1::OfflineSigningService::NewStub(channel_);
  common::v1::IdentityClaims graduate;
  graduate.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
  graduate.set_user_id("g7");
  graduate.set_username("g7");
  graduate.set_school_id("42");
  graduate.set_graduate_id("7");
  // 5 MiB that is no image: above gRPC's default 4 MiB, so only a raised limit lets the service
  // see it and reject it by content.
  v1::UploadStampedAgreementRequest upload;
  upload.set_request_id("process-upload");
  upload.set_school_id("42");
  upload.set_agreement_id("1");
  upload.set_etag("1");
  upload.mutable_scan()->set_content_type("image/png");
  upload.mutable_scan()->set_data(std::string(5 << 20, 'x'));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  context.AddMetadata("authorization", "Bearer " + Sign(*signer_, graduate));
  v1::OfflineAgreement agreement;
  grpc::Status status = stub->UploadStampedAgreement(&context, upload, &agreement);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(ErrorReason(FromGrpcStatus(status)), "UNSUPPORTED_FILE_TYPE") << status.error_message();
}

}  // namespace
}  // namespace quxiang::signing::testing

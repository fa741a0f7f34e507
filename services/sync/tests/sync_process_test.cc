// The sync binary as it runs in production, wired to the real ems-simulator and accounts
// binaries: flags and secrets, the SERVICE token from accounts, the roster poller and the relays
// on their own threads, health checking and the SIGTERM drain.
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <signal.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "quxiang/sync/v1/sync.grpc.pb.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kSchoolCode[] = "4141070001";
constexpr char kSecret[] = "process-test-sync-secret";

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::shared_ptr<grpc::Channel> Channel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

class SyncProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("sync_process");
    accounts_database_ = quxiang::testing::TestDatabase::Create("sync_process_accounts");
    if (!database_ || !accounts_database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    folder_ = quxiang::testing::MakeTempDir("qx-sync-process");

    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    BIO* private_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(private_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO* public_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(public_bio, key);
    char* data = nullptr;
    long length = BIO_get_mem_data(private_bio, &data);
    std::string private_pem(data, length);
    length = BIO_get_mem_data(public_bio, &data);
    std::ofstream(folder_ + "/public.pem") << std::string(data, length);
    std::ofstream(folder_ + "/private.pem") << private_pem;
    BIO_free(private_bio);
    BIO_free(public_bio);
    EVP_PKEY_free(key);
    signer_ = *identity::TokenSigner::FromPem(private_pem);
    std::ofstream(folder_ + "/sync-secret") << kSecret << "\n";
    std::ofstream(folder_ + "/service-secrets") << "sync:" << Sha256Hex(kSecret) << "\n";
    std::ofstream(folder_ + "/graduate-identity-key") << "process-test-graduate-identity-key-0123456789\n";

    const std::string build = quxiang::testing::BuildDir();
    ems_ = Start(build + "/tools/ems-simulator/ems-simulator", "ems", {"--seed=3"}, {});
    accounts_ = Start(build + "/services/accounts/accounts", "accounts",
                      {"--token_private_key_file=" + folder_ + "/private.pem",
                       "--service_secrets_file=" + folder_ + "/service-secrets",
                       "--graduate_identity_key_file=" + folder_ + "/graduate-identity-key"},
                      accounts_database_->Environment());
    ems_port_ = Port("ems", ems_.get());
    accounts_port_ = Port("accounts", accounts_.get());
    ASSERT_GT(ems_port_, 0) << ems_->Log();
    ASSERT_GT(accounts_port_, 0) << accounts_->Log();
  }

  std::unique_ptr<quxiang::testing::ChildProcess> Start(const std::string& binary, const std::string& name,
                                                        std::vector<std::string> args,
                                                        const std::map<std::string, std::string>& environment) {
    args.push_back("--port_file=" + folder_ + "/" + name + ".port");
    args.push_back("--token_public_key_files=" + folder_ + "/public.pem");
    args.push_back("--drain_delay_ms=1000");
    args.push_back("--metrics_port=0");
    return std::make_unique<quxiang::testing::ChildProcess>(binary, args, environment, folder_ + "/" + name + ".log");
  }

  int Port(const std::string& name, quxiang::testing::ChildProcess* process) {
    return quxiang::testing::WaitForPortFile(folder_ + "/" + name + ".port", absl::Seconds(30), process);
  }

  std::unique_ptr<quxiang::testing::ChildProcess> StartSync(std::vector<std::string> extra) {
    std::vector<std::string> args = {absl::StrCat("--ems_address=127.0.0.1:", ems_port_),
                                     absl::StrCat("--accounts_address=127.0.0.1:", accounts_port_),
                                     "--service_secret_file=" + folder_ + "/sync-secret",
                                     "--roster_poll_interval=200ms", "--relay_interval=200ms"};
    for (auto& arg : extra) args.push_back(std::move(arg));
    return Start(quxiang::testing::BuildDir() + "/services/sync/sync", "sync", args, database_->Environment());
  }

  std::string Sign(common::v1::IdentityClaims claims) {
    claims.set_issued_at(absl::ToUnixSeconds(absl::Now()));
    claims.set_expires_at(absl::ToUnixSeconds(absl::Now() + absl::Minutes(5)));
    return signer_->Sign(claims);
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::optional<quxiang::testing::TestDatabase> accounts_database_;
  std::string folder_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<quxiang::testing::ChildProcess> ems_;
  std::unique_ptr<quxiang::testing::ChildProcess> accounts_;
  int ems_port_ = 0;
  int accounts_port_ = 0;
};

TEST_F(SyncProcessTest, MirrorsRosterAndCreatesLogins) {
  std::unique_ptr<quxiang::testing::ChildProcess> sync = StartSync({});
  int sync_port = Port("sync", sync.get());
  ASSERT_GT(sync_port, 0) << sync->Log();

  // The operator creates the school in accounts.
  common::v1::IdentityClaims operator_claims;
  operator_claims.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  operator_claims.set_user_id("1");
  auto accounts_stub = accounts::v1::AccountsService::NewStub(Channel(accounts_port_));
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Sign(operator_claims));
    accounts::v1::CreateProvinceRequest request;
    request.set_request_id("p-41");
    request.mutable_province()->set_code("41");
    request.mutable_province()->set_name("河南省");
    accounts::v1::Province province;
    ASSERT_TRUE(accounts_stub->CreateProvince(&context, request, &province).ok());
  }
  accounts::v1::School school;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Sign(operator_claims));
    accounts::v1::CreateSchoolRequest request;
    request.set_request_id("s-1");
    request.mutable_school()->set_code(kSchoolCode);
    request.mutable_school()->set_name("进程大学");
    request.mutable_school()->set_province_code("41");
    ASSERT_TRUE(accounts_stub->CreateSchool(&context, request, &school).ok());
  }

  // The school uploads its roster in the EMS.
  {
    auto control = ems::v1::EmsSimulatorControl::NewStub(Channel(ems_port_));
    grpc::ClientContext context;
    ems::v1::UpsertGraduatesRequest request;
    request.set_school_code(kSchoolCode);
    request.set_class_year(2025);
    for (int serial = 1; serial <= 3; ++serial) *request.add_graduates() = RosterRecord(kSchoolCode, 2025, serial, "文学院");
    ems::v1::UploadRosterResponse report;
    grpc::Status uploaded = control->UpsertGraduates(&context, request, &report);
    ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();
    ASSERT_EQ(report.inserted(), 3);
  }

  // The poller finds them within a few polls.
  auto sync_stub = v1::SyncService::NewStub(Channel(sync_port));
  v1::ListGraduatesResponse listed;
  for (int attempt = 0; attempt < 100 && listed.total_size() < 3; ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Sign(SchoolUser(school.id(), "process-school-user")));
    v1::ListGraduatesRequest request;
    request.set_school_id(school.id());
    request.set_class_year(2025);
    listed.Clear();
    ASSERT_TRUE(sync_stub->ListGraduates(&context, request, &listed).ok());
  }
  ASSERT_EQ(listed.total_size(), 3) << sync->Log();

  // The accounts relay creates the logins: the graduate can activate its account.
  grpc::Status activated;
  for (int attempt = 0; attempt < 100; ++attempt) {
    grpc::ClientContext context;
    accounts::v1::ActivateGraduateAccountRequest request;
    request.set_username(absl::StrCat(kSchoolCode, "-2025000001"));
    request.set_name("测试1");
    request.set_id_number(IdNumber(1));
    request.set_new_password("Graduate#2025ok");
    accounts::v1::User user;
    activated = accounts_stub->ActivateGraduateAccount(&context, request, &user);
    if (activated.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(activated.ok()) << activated.error_message() << "\n" << sync->Log();

  // Health, then the drain on SIGTERM. The test's connections close first: an open one makes
  // the server wait for its whole shutdown grace period.
  {
    auto health = Health::NewStub(Channel(sync_port));
    grpc::ClientContext health_context;
    HealthCheckResponse serving;
    ASSERT_TRUE(health->Check(&health_context, HealthCheckRequest(), &serving).ok());
    EXPECT_EQ(serving.status(), HealthCheckResponse::SERVING);
  }
  sync_stub.reset();
  sync->Signal(SIGTERM);
  std::optional<int> exit_status = sync->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << sync->Log();
  EXPECT_EQ(*exit_status, 0) << sync->Log();
}

TEST_F(SyncProcessTest, RefusesToStartWithoutRequiredFlags) {
  std::unique_ptr<quxiang::testing::ChildProcess> no_secret = StartSync({"--service_secret_file=/nonexistent"});
  std::optional<int> exit_status = no_secret->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << no_secret->Log();
  EXPECT_EQ(*exit_status, 1);
  EXPECT_NE(no_secret->Log().find("SERVICE_SECRET_UNREADABLE"), std::string::npos) << no_secret->Log();

  std::unique_ptr<quxiang::testing::ChildProcess> no_ems = StartSync({"--ems_address="});
  exit_status = no_ems->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << no_ems->Log();
  EXPECT_EQ(*exit_status, 1);
}

}  // namespace
}  // namespace quxiang::sync::testing

// Tests of service identities: the secrets file, IssueServiceToken and LookupSchools, on the
// domain with a real MariaDB.
#include "services/accounts/service_identities.h"

#include "services/accounts/accounts.h"

#include <openssl/sha.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "services/accounts/migrations.h"
#include "services/accounts/tests/accounts_fixture.h"

namespace quxiang::accounts {
namespace {

constexpr char kSecret[] = "a-long-random-secret";

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string WriteFile(const std::string& content) {
  std::string path = quxiang::testing::MakeTempDir("qx-secrets") + "/secrets";
  std::ofstream(path) << content;
  return path;
}

TEST(LoadServiceSecrets, ReadsNamesAndDigests) {
  std::string path = WriteFile(absl::StrCat("# services\n\nsync:", Sha256Hex(kSecret), "\n  signing:",
                                            absl::AsciiStrToUpper(Sha256Hex("other")), "  \n"));
  absl::StatusOr<ServiceSecretDigests> secrets = LoadServiceSecrets(path);
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  ASSERT_EQ(secrets->size(), 2u);
  EXPECT_EQ(secrets->at("sync"), Sha256Hex(kSecret));
  EXPECT_EQ(secrets->at("signing"), Sha256Hex("other"));
}

TEST(LoadServiceSecrets, RejectsMalformedLines) {
  const std::string cases[] = {"sync\n", "sync:abc\n", absl::StrCat("Sync:", Sha256Hex(kSecret), "\n"),
                               absl::StrCat(":", Sha256Hex(kSecret), "\n")};
  for (const std::string& content : cases) {
    SCOPED_TRACE(content);
    absl::StatusOr<ServiceSecretDigests> secrets = LoadServiceSecrets(WriteFile(content));
    ASSERT_FALSE(secrets.ok());
    EXPECT_EQ(ErrorReason(secrets.status()), "INVALID_SERVICE_SECRETS_FILE");
    EXPECT_EQ(ErrorMetadataOf(secrets.status())["line"], "1");
  }
}

TEST(LoadServiceSecrets, MissingFileFailsAndEmptyPathGivesNone) {
  EXPECT_EQ(LoadServiceSecrets("/nonexistent/secrets").status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<ServiceSecretDigests> none = LoadServiceSecrets("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

class ServiceIdentitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("accounts_service_identities");
    if (!database_) GTEST_SKIP() << "MYSQL_HOST is not set; scripts/test starts a database";
    pool_ = *db::Pool::Create(database_->options());
    ASSERT_TRUE(db::ApplyMigrations(*pool_, Migrations()).ok());
    testing::KeyPair keys = testing::GenerateKeyPair();
    signer_ = *identity::TokenSigner::FromPem(keys.private_pem);
    verifier_ = *identity::TokenVerifier::FromPems({keys.public_pem});
    identities_ = std::make_unique<ServiceIdentities>(*pool_, *signer_, clock_,
                                                      ServiceSecretDigests{{"sync", Sha256Hex(kSecret)}},
                                                      absl::Minutes(5));
    ASSERT_TRUE(pool_->Run(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::Status {
                       RETURN_IF_ERROR(s.Execute("INSERT INTO provinces (code, name, created_at, updated_at) "
                                                 "VALUES ('41', '河南省', NOW(6), NOW(6))")
                                           .status());
                       return s.Execute("INSERT INTO schools (code, name, province_code, created_at, updated_at) "
                                        "VALUES ('4141010459', '测试大学', '41', NOW(6), NOW(6))")
                           .status();
                     }).ok());
  }

  RequestInfo As(const common::v1::IdentityClaims* claims) {
    principal_.reset(claims == nullptr ? nullptr : new identity::Principal(*claims));
    RequestInfo info;
    info.principal = principal_.get();
    info.deadline = absl::Now() + absl::Seconds(10);
    info.peer = "ipv4:127.0.0.1:1";
    return info;
  }

  absl::Status Issue(const std::string& name, const std::string& secret, v1::IssueServiceTokenResponse* response) {
    v1::IssueServiceTokenRequest request;
    request.set_service_name(name);
    request.set_secret(secret);
    return identities_->IssueServiceToken(As(nullptr), request, response);
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<identity::TokenSigner> signer_;
  std::unique_ptr<identity::TokenVerifier> verifier_;
  std::unique_ptr<ServiceIdentities> identities_;
  std::unique_ptr<identity::Principal> principal_;
};

TEST_F(ServiceIdentitiesTest, IssuesServiceToken) {
  v1::IssueServiceTokenResponse response;
  ASSERT_TRUE(Issue("sync", kSecret, &response).ok());

  absl::StatusOr<common::v1::IdentityClaims> claims = verifier_->Verify(response.identity_token(), clock_.Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->kind(), common::v1::PRINCIPAL_KIND_SERVICE);
  EXPECT_EQ(claims->service_name(), "sync");
  EXPECT_EQ(claims->expires_at(), absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5)));
  EXPECT_EQ(response.expires_at().seconds(), claims->expires_at());
  EXPECT_TRUE(claims->school_id().empty());
}

TEST_F(ServiceIdentitiesTest, RejectsWrongCredentials) {
  struct Case {
    std::string name;
    std::string secret;
  };
  const Case cases[] = {{"sync", "wrong"}, {"sync", ""}, {"signing", kSecret}, {"", kSecret}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + "/" + c.secret);
    v1::IssueServiceTokenResponse response;
    absl::Status status = Issue(c.name, c.secret, &response);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(ErrorReason(status), "INVALID_SERVICE_CREDENTIALS");
    EXPECT_TRUE(response.identity_token().empty());
  }
}

TEST_F(ServiceIdentitiesTest, LookupSchoolsFindsKnownCodes) {
  common::v1::IdentityClaims service;
  service.set_kind(common::v1::PRINCIPAL_KIND_SERVICE);
  service.set_service_name("sync");
  v1::LookupSchoolsRequest request;
  request.add_codes("4141010459");
  request.add_codes("4141019999");
  v1::LookupSchoolsResponse response;

  ASSERT_TRUE(identities_->LookupSchools(As(&service), request, &response).ok());

  ASSERT_EQ(response.schools_size(), 1);
  EXPECT_EQ(response.schools(0).code(), "4141010459");
  EXPECT_EQ(response.schools(0).name(), "测试大学");
  EXPECT_FALSE(response.schools(0).id().empty());
}

TEST_F(ServiceIdentitiesTest, LookupSchoolsIsForServicesAndOperator) {
  v1::LookupSchoolsRequest request;
  request.add_codes("4141010459");
  v1::LookupSchoolsResponse response;

  common::v1::IdentityClaims school_user;
  school_user.set_kind(common::v1::PRINCIPAL_KIND_SCHOOL);
  school_user.set_school_id("1");
  EXPECT_EQ(identities_->LookupSchools(As(&school_user), request, &response).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(identities_->LookupSchools(As(nullptr), request, &response).code(), absl::StatusCode::kUnauthenticated);

  common::v1::IdentityClaims operator_user;
  operator_user.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  EXPECT_TRUE(identities_->LookupSchools(As(&operator_user), request, &response).ok());

  for (int i = 0; i < kMaxLookupSchoolCodes; ++i) request.add_codes("4141010459");
  EXPECT_EQ(identities_->LookupSchools(As(&operator_user), request, &response).code(),
            absl::StatusCode::kInvalidArgument);
}

// The signing service checks the settings of any school: it reads the school's agreement type
// and its department accounts. Other services get the errors of a school outside their scope.
TEST_F(ServiceIdentitiesTest, SigningServiceReadsSchoolAndUsers) {
  Accounts accounts(*pool_, *signer_, clock_);
  auto school_id = pool_->Read<int64_t>(absl::Now() + absl::Seconds(10), [](db::Session& s) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id FROM schools WHERE code = '4141010459'", {}));
    return row ? row->Int64(0) : int64_t{0};
  });
  ASSERT_TRUE(school_id.ok()) << school_id.status();
  v1::GetSchoolRequest get_school;
  get_school.set_school_id(std::to_string(*school_id));
  v1::ListUsersRequest list_users;
  list_users.set_school_id(std::to_string(*school_id));
  list_users.set_kind(common::v1::PRINCIPAL_KIND_DEPARTMENT);

  common::v1::IdentityClaims signing;
  signing.set_kind(common::v1::PRINCIPAL_KIND_SERVICE);
  signing.set_service_name("signing");
  v1::School school;
  absl::Status read = accounts.GetSchool(As(&signing), get_school, &school);
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_EQ(school.code(), "4141010459");
  v1::ListUsersResponse users;
  absl::Status listed = accounts.ListUsers(As(&signing), list_users, &users);
  ASSERT_TRUE(listed.ok()) << listed;
  EXPECT_EQ(users.total_size(), 0);

  common::v1::IdentityClaims termination;
  termination.set_kind(common::v1::PRINCIPAL_KIND_SERVICE);
  termination.set_service_name("termination");
  EXPECT_EQ(accounts.GetSchool(As(&termination), get_school, &school).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(accounts.ListUsers(As(&termination), list_users, &users).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace quxiang::accounts

// Acceptance tests of accounts over HTTP: the real gateway binary in front of the accounts
// service on a real MariaDB, with the service's clock injected for the timeouts.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/tests/accounts_fixture.h"

namespace quxiang::accounts::testing {
namespace {

using quxiang::testing::HttpClient;
using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

std::string CreateUserBody(const std::string& request_id, const std::string& username,
                           const std::string& department, const std::string& kind = "PRINCIPAL_KIND_DEPARTMENT",
                           const std::string& employment_access = "ACCESS_READ_WRITE") {
  return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"username\":", JsonQuote(username),
                      ",\"displayName\":\"张老师\",\"kind\":", JsonQuote(kind),
                      ",\"departmentName\":", JsonQuote(department), ",\"password\":", JsonQuote(kStaffPassword),
                      ",\"grants\":[{\"module\":\"MODULE_EMPLOYMENT\",\"access\":", JsonQuote(employment_access),
                      "}]}");
}

class AccountsHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = AccountsStack::Start("accounts_http", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    HttpClient operator_client = stack_->LoggedIn("operator", kOperatorPassword);
    ASSERT_EQ(operator_client.Post("/v1/provinces", R"({"code":"11","name":"北京市"})").status, 200);
    ASSERT_EQ(operator_client
                  .Post("/v1/provinces/11:configure",
                        R"({"enabledModules":["MODULE_EMPLOYMENT"],"agreementType":"AGREEMENT_TYPE_THREE_PARTY"})")
                  .status,
              200);
    school_a_ = new std::string(
        operator_client.Post("/v1/schools", R"({"code":"4111010001","name":"京华大学","provinceCode":"11"})")
            .String("id"));
    school_b_ = new std::string(
        operator_client.Post("/v1/schools", R"({"code":"4111010002","name":"燕山大学","provinceCode":"11"})")
            .String("id"));
    ASSERT_FALSE(school_a_->empty());
    ASSERT_FALSE(school_b_->empty());
    ASSERT_EQ(operator_client
                  .Post(absl::StrCat("/v1/schools/", *school_a_, "/departments:upsert"),
                        R"({"names":["计算机学院","文学院","经济管理学院"]})")
                  .status,
              200);
    ASSERT_EQ(operator_client
                  .Post(absl::StrCat("/v1/schools/", *school_b_, "/departments:upsert"), R"({"names":["计算机学院"]})")
                  .status,
              200);
    auto a_admin = operator_client.Post(absl::StrCat("/v1/schools/", *school_a_, "/users"),
                                        CreateUserBody("setup-a-admin", "a_admin", "", "PRINCIPAL_KIND_SCHOOL"));
    ASSERT_EQ(a_admin.status, 200) << a_admin.body;
    auto b_admin = operator_client.Post(absl::StrCat("/v1/schools/", *school_b_, "/users"),
                                        CreateUserBody("setup-b-admin", "b_admin", "", "PRINCIPAL_KIND_SCHOOL"));
    ASSERT_EQ(b_admin.status, 200) << b_admin.body;
    b_admin_id_ = new std::string(b_admin.String("id"));

    HttpClient a_client = stack_->LoggedIn("a_admin", kStaffPassword);
    auto readonly = a_client.Post(absl::StrCat("/v1/schools/", *school_a_, "/users"),
                                  CreateUserBody("setup-ro", "a_dept_ro", "文学院", "PRINCIPAL_KIND_DEPARTMENT",
                                                 "ACCESS_READ_ONLY"));
    ASSERT_EQ(readonly.status, 200) << readonly.body;
    readonly_id_ = new std::string(readonly.String("id"));
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static std::string Users(const std::string& school) { return absl::StrCat("/v1/schools/", school, "/users"); }

  static AccountsStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_a_;
  static std::string* school_b_;
  static std::string* b_admin_id_;
  static std::string* readonly_id_;
};

AccountsStack* AccountsHttpTest::stack_ = nullptr;
std::string* AccountsHttpTest::skip_reason_ = nullptr;
std::string* AccountsHttpTest::school_a_ = nullptr;
std::string* AccountsHttpTest::school_b_ = nullptr;
std::string* AccountsHttpTest::b_admin_id_ = nullptr;
std::string* AccountsHttpTest::readonly_id_ = nullptr;

TEST_F(AccountsHttpTest, SchoolUserCreatesDepartmentAccount) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  HttpResponse created = client.Post(Users(*school_a_), CreateUserBody("create-1", "cs_teacher", "计算机学院"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.String("departmentName"), "计算机学院");
  EXPECT_EQ(created.String("kind"), "PRINCIPAL_KIND_DEPARTMENT");
  EXPECT_EQ(created.String("state"), "ACTIVE");
  // Default grants of table 1 for the modules the request left out.
  EXPECT_NE(created.body.find(R"({"module":"MODULE_ARCHIVE","access":"ACCESS_NONE"})"), std::string::npos)
      << created.body;

  HttpClient teacher = stack_->LoggedIn("cs_teacher", kStaffPassword);
  EXPECT_EQ(teacher.Get("/v1/users/me").String("username"), "cs_teacher");
}

TEST_F(AccountsHttpTest, DepartmentNameMustMatchExactly) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  const std::string kCases[] = {"计算机学员", "计算机学院 ", " 计算机学院", "计算机学"};
  int index = 0;
  for (const std::string& name : kCases) {
    SCOPED_TRACE(name);
    HttpResponse refused =
        client.Post(Users(*school_a_), CreateUserBody(absl::StrCat("mismatch-", index), absl::StrCat("mm", index), name));
    ++index;
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.String("code"), "INVALID_ARGUMENT");
    EXPECT_EQ(refused.String("reason"), "DEPARTMENT_NOT_IN_SCHOOL");
    EXPECT_NE(refused.String("message").find("“" + name + "”"), std::string::npos) << refused.String("message");
    EXPECT_EQ(refused.String("details.value"), name);
  }
  // Nothing was written for the refused names.
  HttpResponse list = client.Get(Users(*school_a_) + "?query=mm");
  EXPECT_EQ(list.Number("totalSize"), 0) << list.body;
}

TEST_F(AccountsHttpTest, ReadOnlyDepartmentUserCannotWrite) {
  HttpClient client = stack_->LoggedIn("a_dept_ro", kStaffPassword);
  EXPECT_EQ(client.Get("/v1/users/me").status, 200);
  EXPECT_EQ(client.Get(absl::StrCat("/v1/schools/", *school_a_)).status, 200);
  EXPECT_EQ(client.Get(absl::StrCat("/v1/schools/", *school_a_, "/departments")).status, 200);

  struct Write {
    const char* method;
    std::string target;
    std::string body;
  };
  const Write kWrites[] = {
      {"POST", Users(*school_a_), CreateUserBody("ro-create", "ro_made", "文学院")},
      {"PATCH", Users(*school_a_) + "/" + *readonly_id_, R"({"requestId":"ro-patch","displayName":"李老师"})"},
      {"POST", Users(*school_a_) + "/" + *readonly_id_ + ":setGrants",
       R"({"requestId":"ro-grants","grants":[{"module":"MODULE_EMPLOYMENT","access":"ACCESS_READ_WRITE"}]})"},
      {"POST", Users(*school_a_) + "/" + *readonly_id_ + ":disable", R"({"requestId":"ro-disable"})"},
      {"POST", absl::StrCat("/v1/schools/", *school_a_, "/departments:upsert"),
       R"({"requestId":"ro-dept","names":["新学院"]})"},
      {"POST", "/v1/provinces/11:configure", R"({"requestId":"ro-province","enabledModules":[]})"},
  };
  for (const Write& write : kWrites) {
    SCOPED_TRACE(write.target);
    HttpResponse refused = client.Send(write.method, write.target, write.body);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_EQ(refused.String("code"), "PERMISSION_DENIED");
    EXPECT_FALSE(refused.String("message").empty());
  }
  HttpClient admin = stack_->LoggedIn("a_admin", kStaffPassword);
  EXPECT_EQ(admin.Get(Users(*school_a_) + "?query=ro_made").Number("totalSize"), 0);
  EXPECT_EQ(admin.Get(Users(*school_a_) + "/" + *readonly_id_).String("displayName"), "张老师");
}

TEST_F(AccountsHttpTest, OtherSchoolIsInvisible) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  HttpResponse existing = client.Get(Users(*school_b_) + "/" + *b_admin_id_);
  HttpResponse missing = client.Get(Users(*school_b_) + "/987654321");
  EXPECT_EQ(existing.status, 403);
  EXPECT_EQ(existing.status, missing.status);
  EXPECT_EQ(existing.String("reason"), missing.String("reason"));
  EXPECT_EQ(existing.String("message"), missing.String("message"));

  HttpResponse existing_school = client.Get(Users(*school_b_));
  HttpResponse missing_school = client.Get(Users("987654321"));
  EXPECT_EQ(existing_school.status, 403);
  EXPECT_EQ(existing_school.String("reason"), missing_school.String("reason"));
  EXPECT_EQ(existing_school.String("message"), missing_school.String("message"));

  // B's user addressed through A's own school path looks like a missing one.
  HttpResponse crossed = client.Get(Users(*school_a_) + "/" + *b_admin_id_);
  HttpResponse absent = client.Get(Users(*school_a_) + "/987654321");
  EXPECT_EQ(crossed.status, 404);
  EXPECT_EQ(crossed.status, absent.status);
  EXPECT_EQ(crossed.body.substr(0, crossed.body.find("request_id")),
            absent.body.substr(0, absent.body.find("request_id")));

  HttpResponse change = client.Patch(Users(*school_b_) + "/" + *b_admin_id_,
                                     R"({"requestId":"cross-patch","displayName":"入侵"})");
  EXPECT_EQ(change.status, 403);
  HttpClient b_client = stack_->LoggedIn("b_admin", kStaffPassword);
  EXPECT_EQ(b_client.Get("/v1/users/me").String("displayName"), "张老师");
}

TEST_F(AccountsHttpTest, EmployerSearchesSchools) {
  HttpClient anonymous = stack_->NewHttpClient();
  HttpResponse registered = anonymous.Post(
      "/v1/employers:register",
      absl::StrCat(R"({"requestId":"search-employer","creditCode":"91110000600037341L","name":"北京远航科技有限公司",)",
                   R"("contactName":"王经理","contactPhone":"13800138000","username":"search_employer",)",
                   R"("password":)", JsonQuote(kStaffPassword), "}"));
  ASSERT_EQ(registered.status, 200) << registered.body;
  HttpClient employer = stack_->LoggedIn("search_employer", kStaffPassword);

  HttpResponse by_code = employer.Get("/v1/schools:search?query=4111010002");
  ASSERT_EQ(by_code.status, 200) << by_code.body;
  EXPECT_NE(by_code.body.find(absl::StrCat(R"({"id":")", *school_b_, R"(","code":"4111010002","name":"燕山大学"})")),
            std::string::npos)
      << by_code.body;
  EXPECT_EQ(by_code.body.find("京华大学"), std::string::npos) << by_code.body;
  // Public data only: no province or module settings.
  EXPECT_EQ(by_code.body.find("provinceCode"), std::string::npos) << by_code.body;
  EXPECT_EQ(by_code.body.find("agreementType"), std::string::npos) << by_code.body;

  // "京华" percent-encoded as UTF-8.
  HttpResponse by_name = employer.Get("/v1/schools:search?query=%E4%BA%AC%E5%8D%8E");
  ASSERT_EQ(by_name.status, 200) << by_name.body;
  EXPECT_NE(by_name.body.find(absl::StrCat(R"("id":")", *school_a_, R"(")")), std::string::npos) << by_name.body;
  EXPECT_EQ(by_name.body.find("燕山大学"), std::string::npos) << by_name.body;

  // "大学" matches both schools; "%" is a literal character, not a wildcard.
  EXPECT_NE(employer.Get("/v1/schools:search?query=%E5%A4%A7%E5%AD%A6").body.find("燕山大学"), std::string::npos);
  HttpResponse wildcard = employer.Get("/v1/schools:search?query=%25%25");
  ASSERT_EQ(wildcard.status, 200) << wildcard.body;
  EXPECT_EQ(wildcard.body.find("大学"), std::string::npos) << wildcard.body;
  HttpResponse unknown_code = employer.Get("/v1/schools:search?query=4199999999");
  ASSERT_EQ(unknown_code.status, 200) << unknown_code.body;
  EXPECT_EQ(unknown_code.body.find("大学"), std::string::npos) << unknown_code.body;

  // Graduates and staff may search too.
  EXPECT_EQ(stack_->LoggedIn("a_admin", kStaffPassword).Get("/v1/schools:search?query=4111010001").status, 200);
}

TEST_F(AccountsHttpTest, SchoolSearchReturnsAtMostTwenty) {
  HttpClient operator_client = stack_->LoggedIn("operator", kOperatorPassword);
  for (int i = 0; i < 22; ++i) {
    std::string code = absl::StrCat("41110201", i < 10 ? "0" : "", i);
    HttpResponse created = operator_client.Post(
        "/v1/schools", absl::StrCat(R"({"code":")", code, R"(","name":"测试职业学院)", i, R"(","provinceCode":"11"})"));
    ASSERT_EQ(created.status, 200) << created.body;
  }
  // "职业学院"
  HttpResponse found = operator_client.Get("/v1/schools:search?query=%E8%81%8C%E4%B8%9A%E5%AD%A6%E9%99%A2");
  ASSERT_EQ(found.status, 200) << found.body;
  size_t count = 0;
  for (size_t at = found.body.find("\"code\""); at != std::string::npos; at = found.body.find("\"code\"", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 20u) << found.body;
}

TEST_F(AccountsHttpTest, SchoolSearchRejectsBadQueries) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  const std::string too_long(51, 'a');
  const std::string longest(50, 'a');
  for (const std::string& query : {std::string(""), std::string("a"), std::string("%E4%BA%AC"), too_long}) {
    HttpResponse response = client.Get("/v1/schools:search?query=" + query);
    EXPECT_EQ(response.status, 400) << query << ": " << response.body;
    EXPECT_EQ(response.String("reason"), "INVALID_SCHOOL_QUERY") << query << ": " << response.body;
    EXPECT_NE(response.String("message"), "") << query;
  }
  EXPECT_EQ(client.Get("/v1/schools:search?query=" + longest).status, 200);

  // Invalid UTF-8 is rejected by the gateway before it reaches the service.
  for (const std::string& query : {std::string("%FF%FE"), std::string("%E4%BA")}) {
    HttpResponse response = client.Get("/v1/schools:search?query=" + query);
    EXPECT_EQ(response.status, 400) << query << ": " << response.body;
    EXPECT_EQ(response.String("reason"), "INVALID_PARAMETER_VALUE") << query << ": " << response.body;
  }

  HttpResponse anonymous = stack_->NewHttpClient().Get("/v1/schools:search?query=4111010001");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(anonymous.body.find("京华大学"), std::string::npos) << anonymous.body;
}

TEST_F(AccountsHttpTest, LockoutAfterFiveFailures) {
  HttpClient admin = stack_->LoggedIn("a_admin", kStaffPassword);
  ASSERT_EQ(admin.Post(Users(*school_a_), CreateUserBody("lock-1", "lock_target", "经济管理学院")).status, 200);

  HttpClient client = stack_->NewHttpClient();
  for (int attempt = 1; attempt <= 5; ++attempt) {
    SCOPED_TRACE(attempt);
    HttpResponse wrong = client.Login("lock_target", "Wrong#password1");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.String("reason"), attempt < 5 ? "INVALID_CREDENTIALS" : "ACCOUNT_LOCKED");
  }
  HttpResponse locked = client.Login("lock_target", kStaffPassword);
  EXPECT_EQ(locked.status, 401);
  EXPECT_EQ(locked.String("reason"), "ACCOUNT_LOCKED");
  std::string expected_time =
      absl::FormatTime("%Y-%m-%d %H:%M", stack_->clock().Now() + absl::Minutes(30), BeijingTimeZone());
  EXPECT_NE(locked.String("message").find(expected_time), std::string::npos) << locked.String("message");
  EXPECT_NE(locked.String("message").find("后再试"), std::string::npos);

  stack_->clock().Advance(absl::Minutes(29));
  EXPECT_EQ(client.Login("lock_target", kStaffPassword).String("reason"), "ACCOUNT_LOCKED");
  stack_->clock().Advance(absl::Minutes(2));
  HttpResponse unlocked = client.Login("lock_target", kStaffPassword);
  EXPECT_EQ(unlocked.status, 200) << unlocked.body;
}

// The error body minus the request id, which differs between any two responses.
std::string BodyWithoutRequestId(const HttpResponse& response) {
  std::string body = response.body;
  size_t key = body.find("\"request_id\"");
  if (key == std::string::npos) return body;
  size_t value_start = body.find('"', body.find(':', key) + 1);
  size_t value_end = body.find('"', value_start + 1);
  return body.erase(value_start, value_end - value_start + 1);
}

TEST_F(AccountsHttpTest, UnknownUserAndWrongPasswordLookAlike) {
  HttpClient admin = stack_->LoggedIn("a_admin", kStaffPassword);
  ASSERT_EQ(admin.Post(Users(*school_a_), CreateUserBody("alike-1", "alike_target", "文学院")).status, 200);

  HttpClient client = stack_->NewHttpClient();
  HttpResponse unknown = client.Login("no_such_user", "Wrong#password1");
  HttpResponse wrong = client.Login("alike_target", "Wrong#password1");
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(wrong.String("reason"), "INVALID_CREDENTIALS");
  EXPECT_NE(wrong.body.find("request_id"), std::string::npos) << wrong.body;
  EXPECT_EQ(wrong.body.find("remaining_attempts"), std::string::npos) << wrong.body;
  EXPECT_EQ(BodyWithoutRequestId(unknown), BodyWithoutRequestId(wrong));

  // A second failure changes nothing in the body, so it does not count down either.
  HttpResponse wrong_again = client.Login("alike_target", "Wrong#password2");
  EXPECT_EQ(BodyWithoutRequestId(wrong_again), BodyWithoutRequestId(wrong));
}

TEST_F(AccountsHttpTest, RepeatedRequestIdCreatesOnce) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  std::string body = CreateUserBody("same-request-id", "twice_user", "文学院");
  HttpResponse first = client.Post(Users(*school_a_), body);
  HttpResponse second = client.Post(Users(*school_a_), body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(client.Get(Users(*school_a_) + "?query=twice_user").Number("totalSize"), 1);

  HttpResponse reused = client.Post(Users(*school_a_), CreateUserBody("same-request-id", "other_user", "文学院"));
  EXPECT_EQ(reused.status, 400) << reused.body;
}

TEST_F(AccountsHttpTest, WriteWithoutCsrfTokenRefused) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  client.set_send_csrf(false);
  HttpResponse refused = client.Post(Users(*school_a_), CreateUserBody("csrf-1", "csrf_user", "文学院"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.String("reason"), "CSRF_TOKEN_INVALID");
}

TEST_F(AccountsHttpTest, SessionEndsAfterIdleTimeout) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  ASSERT_EQ(client.Get("/v1/users/me").status, 200);
  stack_->clock().Advance(absl::Minutes(31));
  HttpResponse expired = client.Get("/v1/users/me");
  EXPECT_EQ(expired.status, 401) << expired.body;
}

TEST_F(AccountsHttpTest, LogoutEndsSession) {
  HttpClient client = stack_->LoggedIn("a_admin", kStaffPassword);
  ASSERT_EQ(client.Post("/v1/sessions:logout", "{}").status, 200);
  EXPECT_EQ(client.Get("/v1/users/me").status, 401);
}

// The service itself, not only the gateway, refuses forged and expired tokens.
TEST_F(AccountsHttpTest, ServiceRefusesForgedAndExpiredTokens) {
  auto stub = v1::AccountsService::NewStub(stack_->channel());
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  claims.set_user_id("1");
  claims.set_username("operator");
  claims.set_issued_at(absl::ToUnixSeconds(stack_->clock().Now()));
  claims.set_expires_at(absl::ToUnixSeconds(stack_->clock().Now() + absl::Minutes(5)));

  KeyPair other = GenerateKeyPair();
  auto forger = *identity::TokenSigner::FromPem(other.private_pem);
  common::v1::IdentityClaims expired_claims = claims;
  expired_claims.set_expires_at(absl::ToUnixSeconds(stack_->clock().Now() - absl::Seconds(1)));

  struct Case {
    const char* name;
    std::string token;
    const char* reason;
  };
  const Case kCases[] = {
      {"forged", forger->Sign(claims), "INVALID_TOKEN"},
      {"expired", stack_->signer().Sign(expired_claims), "TOKEN_EXPIRED"},
      {"garbage", "not-a-token", "INVALID_TOKEN"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + c.token);
    v1::GetCurrentUserRequest request;
    v1::User user;
    grpc::Status status = stub->GetCurrentUser(&context, request, &user);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(ErrorReason(FromGrpcStatus(status)), c.reason);
  }

  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + stack_->signer().Sign(claims));
  v1::GetCurrentUserRequest request;
  v1::User user;
  EXPECT_TRUE(stub->GetCurrentUser(&context, request, &user).ok());
}

}  // namespace
}  // namespace quxiang::accounts::testing

// Acceptance tests of graduate logins. The roster creates a login for every graduate through the
// accounts relay. The graduate activates it over HTTP with its name and ID number, signs in and
// reads only itself. Removal from the roster disables the login until the restore.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpClient;
using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

constexpr int kClass = 2025;
constexpr char kSchoolCode[] = "4141060001";
constexpr char kPassword[] = "Graduate#2025ok";

std::string ActivateBody(const std::string& username, const std::string& name, const std::string& id_number,
                         const std::string& password) {
  return absl::StrCat("{\"username\":", JsonQuote(username), ",\"name\":", JsonQuote(name),
                      ",\"idNumber\":", JsonQuote(id_number), ",\"newPassword\":", JsonQuote(password), "}");
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

class GraduateLoginsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_graduate_logins", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_id_ = new std::string(stack_->CreateSchool(kSchoolCode, "登录大学"));
    std::vector<ems::v1::RosterGraduate> roster;
    for (int serial = 900; serial < 906; ++serial) roster.push_back(RosterRecord(kSchoolCode, kClass, serial, "文学院"));
    stack_->UploadRoster(kSchoolCode, kClass, roster);
    stack_->RunRosterFeed();
    DeliverLogins();
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // Runs the accounts relay until it has nothing due, at most 20 rounds.
  static void DeliverLogins() {
    for (int round = 0; round < 20; ++round) {
      absl::StatusOr<int> delivered = stack_->accounts_relay().DeliverOnce();
      ASSERT_TRUE(delivered.ok()) << delivered.status();
      if (*delivered == 0) return;
    }
  }

  static std::string Username(int serial) { return absl::StrCat(kSchoolCode, "-", kClass, absl::StrFormat("%06d", serial)); }

  static HttpClient Anonymous() { return HttpClient(stack_->http_port()); }

  // The state and password hash of a user in the accounts database.
  static std::optional<db::Row> AccountRow(const std::string& username) {
    auto row = stack_->accounts_pool().Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s.QueryOne("SELECT kind, graduate_id, state, password_hash, school_id, display_name FROM users "
                        "WHERE username = ?",
                        {username});
    });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() ? *row : std::nullopt;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
};

SyncStack* GraduateLoginsTest::stack_ = nullptr;
std::string* GraduateLoginsTest::skip_reason_ = nullptr;
std::string* GraduateLoginsTest::school_id_ = nullptr;

TEST_F(GraduateLoginsTest, RosterCreatesInactiveLogins) {
  for (int serial = 900; serial < 906; ++serial) {
    SCOPED_TRACE(serial);
    std::optional<db::Row> row = AccountRow(Username(serial));
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->Int64(0), common::v1::PRINCIPAL_KIND_GRADUATE);
    EXPECT_EQ(row->String(1), stack_->GraduateIdOf(*school_id_, IdNumber(serial)));
    EXPECT_EQ(row->Int64(2), 1);
    EXPECT_EQ(row->String(3), "");
    EXPECT_EQ(row->String(4), *school_id_);
    EXPECT_EQ(row->String(5), absl::StrCat("测试", serial));
  }
  // No password yet, so no login.
  HttpResponse login = Anonymous().Login(Username(900), kPassword);
  EXPECT_EQ(login.status, 401) << login.body;
}

TEST_F(GraduateLoginsTest, ActivationChecksIdentity) {
  HttpClient client = Anonymous();
  const std::string path = "/v1/graduateAccounts:activate";
  struct Case {
    std::string name;
    std::string body;
    int status;
    std::string reason;
  };
  const Case cases[] = {
      {"wrong ID number", ActivateBody(Username(901), "测试901", IdNumber(902), kPassword), 401, "IDENTITY_MISMATCH"},
      {"wrong name", ActivateBody(Username(901), "测试999", IdNumber(901), kPassword), 401, "IDENTITY_MISMATCH"},
      {"unknown username", ActivateBody("4141060001-000", "测试901", IdNumber(901), kPassword), 401,
       "IDENTITY_MISMATCH"},
      {"weak password", ActivateBody(Username(901), "测试901", IdNumber(901), "password"), 400, "WEAK_PASSWORD"},
      {"missing name", ActivateBody(Username(901), "", IdNumber(901), kPassword), 400, "ACTIVATION_DETAILS_REQUIRED"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResponse response = client.Post(path, c.body);
    EXPECT_EQ(response.status, c.status) << response.body;
    EXPECT_EQ(response.String("reason"), c.reason);
  }

  // A lowercase x check character is the same number.
  std::string id_number = IdNumber(901);
  if (id_number.back() == 'X') id_number.back() = 'x';
  HttpResponse activated = client.Post(path, ActivateBody(Username(901), "测试901", id_number, kPassword));
  ASSERT_EQ(activated.status, 200) << activated.body;
  EXPECT_EQ(activated.String("kind"), "PRINCIPAL_KIND_GRADUATE");
  EXPECT_EQ(activated.String("graduateId"), stack_->GraduateIdOf(*school_id_, IdNumber(901)));

  HttpResponse again = client.Post(path, ActivateBody(Username(901), "测试901", IdNumber(901), "Another#Pass1"));
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(again.String("reason"), "ACCOUNT_ALREADY_ACTIVATED");
}

// Login and activation answer the same body whether or not the username exists, so graduate
// usernames, which are easy to guess, cannot be tested one by one.
TEST_F(GraduateLoginsTest, FailuresDoNotRevealUsernames) {
  HttpClient client = Anonymous();
  const std::string path = "/v1/graduateAccounts:activate";
  const std::string unknown_username = absl::StrCat(kSchoolCode, "-", kClass, "999999");

  HttpResponse activate_unknown = client.Post(path, ActivateBody(unknown_username, "测试904", IdNumber(904), kPassword));
  HttpResponse activate_wrong = client.Post(path, ActivateBody(Username(904), "测试999", IdNumber(904), kPassword));
  EXPECT_EQ(activate_unknown.status, 401) << activate_unknown.body;
  EXPECT_EQ(activate_wrong.status, 401) << activate_wrong.body;
  EXPECT_EQ(activate_wrong.String("reason"), "IDENTITY_MISMATCH");
  EXPECT_EQ(activate_wrong.body.find("remaining_attempts"), std::string::npos) << activate_wrong.body;
  EXPECT_EQ(BodyWithoutRequestId(activate_unknown), BodyWithoutRequestId(activate_wrong));

  ASSERT_EQ(client.Post(path, ActivateBody(Username(904), "测试904", IdNumber(904), kPassword)).status, 200);
  // Wrong details for an activated login are a mismatch too, not ACCOUNT_ALREADY_ACTIVATED.
  HttpResponse activate_done = client.Post(path, ActivateBody(Username(904), "测试999", IdNumber(904), kPassword));
  EXPECT_EQ(BodyWithoutRequestId(activate_done), BodyWithoutRequestId(activate_unknown));

  // Serial 900 is never activated, 904 now is.
  HttpResponse login_unknown = client.Login(unknown_username, kPassword);
  HttpResponse login_wrong = client.Login(Username(904), "Wrong#Password9");
  HttpResponse login_inactive = client.Login(Username(900), kPassword);
  EXPECT_EQ(login_wrong.status, 401) << login_wrong.body;
  EXPECT_EQ(login_wrong.String("reason"), "INVALID_CREDENTIALS");
  EXPECT_NE(login_wrong.String("message").find("请先激活账号"), std::string::npos) << login_wrong.body;
  EXPECT_EQ(login_wrong.body.find("remaining_attempts"), std::string::npos) << login_wrong.body;
  EXPECT_EQ(BodyWithoutRequestId(login_unknown), BodyWithoutRequestId(login_wrong));
  EXPECT_EQ(BodyWithoutRequestId(login_inactive), BodyWithoutRequestId(login_wrong));

  ASSERT_EQ(client.Login(Username(904), kPassword).status, 200);
}

TEST_F(GraduateLoginsTest, RepeatedMismatchesLockTheAccount) {
  HttpClient client = Anonymous();
  const std::string path = "/v1/graduateAccounts:activate";
  HttpResponse last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    last = client.Post(path, ActivateBody(Username(905), "测试905", IdNumber(904), kPassword));
    EXPECT_EQ(last.status, 401) << last.body;
    EXPECT_EQ(last.String("reason"), "IDENTITY_MISMATCH");
  }
  // The right details no longer help while the account is locked.
  HttpResponse locked = client.Post(path, ActivateBody(Username(905), "测试905", IdNumber(905), kPassword));
  EXPECT_EQ(locked.status, 401) << locked.body;
  EXPECT_EQ(locked.String("reason"), "ACCOUNT_LOCKED");
}

TEST_F(GraduateLoginsTest, GraduateSignsInAndReadsOnlyItself) {
  HttpClient client = Anonymous();
  ASSERT_EQ(client.Post("/v1/graduateAccounts:activate", ActivateBody(Username(902), "测试902", IdNumber(902), kPassword))
                .status,
            200);
  HttpResponse login = client.Login(Username(902), kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.String("user.kind"), "PRINCIPAL_KIND_GRADUATE");

  std::string own_id = stack_->GraduateIdOf(*school_id_, IdNumber(902));
  HttpResponse own = client.Get(absl::StrCat("/v1/schools/", *school_id_, "/graduates/", own_id));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.String("record.name"), "测试902");
  HttpResponse other = client.Get(absl::StrCat("/v1/schools/", *school_id_, "/graduates/",
                                               stack_->GraduateIdOf(*school_id_, IdNumber(903))));
  EXPECT_EQ(other.status, 403) << other.body;
}

TEST_F(GraduateLoginsTest, RemovalDisablesLoginUntilRestore) {
  HttpClient client = Anonymous();
  ASSERT_EQ(client.Post("/v1/graduateAccounts:activate", ActivateBody(Username(903), "测试903", IdNumber(903), kPassword))
                .status,
            200);
  ASSERT_EQ(client.Login(Username(903), kPassword).status, 200);
  std::string own = absl::StrCat("/v1/schools/", *school_id_, "/graduates/", stack_->GraduateIdOf(*school_id_, IdNumber(903)));
  ASSERT_EQ(client.Get(own).status, 200);

  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchoolCode);
  remove.set_id_number(IdNumber(903));
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();
  DeliverLogins();

  std::optional<db::Row> disabled = AccountRow(Username(903));
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ(disabled->Int64(2), 2);
  // The open session ended with the removal (the gateway may use an identity token it already
  // has until that token expires), and a new login is refused.
  auto open_sessions = stack_->accounts_pool().Read<std::optional<db::Row>>(
      absl::Now() + absl::Seconds(10), [&](db::Session& s) {
        return s.QueryOne("SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id "
                          "WHERE u.username = ? AND s.revoked_at IS NULL",
                          {Username(903)});
      });
  ASSERT_TRUE(open_sessions.ok()) << open_sessions.status();
  EXPECT_EQ((*open_sessions)->Int64(0), 0);
  HttpResponse refused = Anonymous().Login(Username(903), kPassword);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(refused.String("reason"), "ACCOUNT_DISABLED");

  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(kSchoolCode);
  readd.set_id_number(IdNumber(903));
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  stack_->RunRosterFeed();
  stack_->clock().Advance(absl::Hours(1));
  ASSERT_TRUE(stack_->graduates().RestoreDue(100, absl::Hours(1)).ok());
  DeliverLogins();

  std::optional<db::Row> enabled = AccountRow(Username(903));
  ASSERT_TRUE(enabled.has_value());
  EXPECT_EQ(enabled->Int64(2), 1);
  HttpClient again = Anonymous();
  EXPECT_EQ(again.Login(Username(903), kPassword).status, 200);
}

TEST_F(GraduateLoginsTest, OnlySyncMaintainsLogins) {
  accounts::v1::UpsertGraduateAccountsRequest upsert;
  upsert.set_request_id("not-sync");
  accounts::v1::UpsertGraduateAccountsResponse upserted;
  accounts::v1::DisableGraduateAccountsRequest disable;
  disable.set_request_id("not-sync");
  disable.add_graduate_ids("1");
  accounts::v1::DisableGraduateAccountsResponse disabled;
  for (const auto& claims : {ServicePrincipal("signing"), SchoolUser(*school_id_, "login-school-user")}) {
    identity::Principal principal(claims);
    accounts::RequestInfo info;
    info.principal = &principal;
    info.method = "test";
    info.deadline = absl::Now() + absl::Seconds(10);
    EXPECT_EQ(stack_->graduate_accounts().UpsertGraduateAccounts(info, upsert, &upserted).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(stack_->graduate_accounts().DisableGraduateAccounts(info, disable, &disabled).code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(GraduateLoginsTest, UpsertReportsTakenUsernames) {
  identity::Principal sync(ServicePrincipal("sync"));
  accounts::RequestInfo info;
  info.principal = &sync;
  info.method = "/quxiang.accounts.v1.AccountsService/UpsertGraduateAccounts";
  info.deadline = absl::Now() + absl::Seconds(10);
  accounts::v1::UpsertGraduateAccountsRequest request;
  request.set_request_id("taken-1");
  accounts::v1::GraduateAccount* account = request.add_accounts();
  account->set_graduate_id("999999");
  account->set_school_id(*school_id_);
  account->set_school_code(kSchoolCode);
  account->set_student_number(absl::StrCat(kClass, "000900"));
  account->set_name("冒名");
  account->set_id_number(IdNumber(999));
  accounts::v1::GraduateAccount* invalid = request.add_accounts();
  invalid->set_graduate_id("999998");
  accounts::v1::UpsertGraduateAccountsResponse response;

  absl::Status status = stack_->graduate_accounts().UpsertGraduateAccounts(info, request, &response);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.created_count(), 0);
  ASSERT_EQ(response.failures_size(), 2);
  EXPECT_EQ(response.failures(0).reason(), "USERNAME_TAKEN");
  EXPECT_EQ(response.failures(1).reason(), "INVALID_GRADUATE_ACCOUNT");
}

}  // namespace
}  // namespace quxiang::sync::testing

// Acceptance tests of the signing settings over HTTP: the real gateway binary in front of the
// signing service on a real MariaDB, which calls in-process accounts and sync services over gRPC
// as the SERVICE principal "signing".
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/signing/repository.h"
#include "services/signing/tests/signing_fixture.h"

namespace quxiang::signing::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

// The class of every test: the real clock runs, and a class operates until January 31 of the
// year after its graduation year, so the current year's class is always open.
int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

std::string SettingsPath(const std::string& school_id) {
  return absl::StrCat("/v1/schools/", school_id, "/classes/", ClassYear(), "/signingSettings");
}

struct Handler {
  std::string name = "张老师";
  std::string phone = "010-67410355";
  std::string postal_address = "北京市海淀区学院路 1 号";
  std::string postal_code = "100083";
};

std::string HandlerJson(const Handler& handler) {
  return absl::StrCat("{\"name\":", JsonQuote(handler.name), ",\"phone\":", JsonQuote(handler.phone),
                      ",\"postalAddress\":", JsonQuote(handler.postal_address),
                      ",\"postalCode\":", JsonQuote(handler.postal_code), "}");
}

// The body of an UpdateSigningSettings request; the defaults submit valid settings with one
// handler for the whole school.
struct Submission {
  std::string request_id;
  std::string etag;
  bool online_signing = true;
  bool paper_registration = false;
  bool destination_registration = false;
  std::string review_mode = "REVIEW_MODE_SCHOOL_ONLY";
  int max_termination_applications = 3;
  std::string handler_scope = "HANDLER_SCOPE_WHOLE_SCHOOL";
  Handler school_handler;
  std::optional<Handler> undergraduate_handler;
  std::optional<Handler> postgraduate_handler;

  std::string Json() const {
    std::string json = absl::StrCat(
        "{\"requestId\":", JsonQuote(request_id), ",\"etag\":", JsonQuote(etag),
        ",\"onlineSigningEnabled\":", online_signing ? "true" : "false",
        ",\"paperRegistrationEnabled\":", paper_registration ? "true" : "false",
        ",\"destinationRegistrationEnabled\":", destination_registration ? "true" : "false",
        ",\"reviewMode\":", JsonQuote(review_mode), ",\"maxTerminationApplications\":", max_termination_applications,
        ",\"handlerScope\":", JsonQuote(handler_scope), ",\"schoolHandler\":", HandlerJson(school_handler));
    if (undergraduate_handler) absl::StrAppend(&json, ",\"undergraduateHandler\":", HandlerJson(*undergraduate_handler));
    if (postgraduate_handler) absl::StrAppend(&json, ",\"postgraduateHandler\":", HandlerJson(*postgraduate_handler));
    return json + "}";
  }
};

class SettingsHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_settings_http", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A new school in province 41, whose agreement type is 三方协议; `serial` makes its code unique.
  static std::string NewSchool(int serial) {
    return stack_->CreateSchool("41", accounts::v1::AGREEMENT_TYPE_THREE_PARTY, SchoolCode(serial));
  }

  static std::string SchoolCode(int serial) { return absl::StrCat("41410", 10000 + serial); }

  // Submits `submission` as the school user "s<school_id>".
  static HttpResponse Submit(const std::string& school_id, const Submission& submission) {
    return stack_->ClientFor(SchoolUser(school_id, "s" + school_id)).Put(SettingsPath(school_id), submission.Json());
  }

  static HttpResponse Read(const std::string& school_id) {
    return stack_->ClientFor(SchoolUser(school_id, "s" + school_id)).Get(SettingsPath(school_id));
  }

  // Runs `work` in one transaction of the signing database, as a flow would.
  static void InFlowTransaction(const std::function<absl::Status(db::Session&)>& work) {
    absl::Status status = stack_->pool().Run(absl::Now() + absl::Seconds(10), work);
    ASSERT_TRUE(status.ok()) << status;
  }

  static int64_t AuditCount(const std::string& school_id) {
    auto count = stack_->pool().Read<int64_t>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      auto row = s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE school_id = ?", {std::stoll(school_id)});
      if (!row.ok()) return row.status();
      return *row ? (*row)->Int64(0) : -1;
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  static SigningStack* stack_;
  static std::string* skip_reason_;
};

SigningStack* SettingsHttpTest::stack_ = nullptr;
std::string* SettingsHttpTest::skip_reason_ = nullptr;

TEST_F(SettingsHttpTest, UnsubmittedSettingsReadAsNotSubmitted) {
  const std::string school = NewSchool(1);
  HttpResponse read = Read(school);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.String("submitted"), "false");
  EXPECT_EQ(read.String("schoolId"), school);
  EXPECT_EQ(read.Number("classYear"), ClassYear());
  EXPECT_EQ(read.String("etag"), "");
}

TEST_F(SettingsHttpTest, OnlySchoolUsersWithReadWriteSubmit) {
  const std::string school = NewSchool(2);
  Submission submission;
  submission.request_id = "roles-1";

  HttpResponse department = stack_->ClientFor(DepartmentUser(school, "d" + school)).Put(SettingsPath(school), submission.Json());
  EXPECT_EQ(department.status, 403) << department.body;
  EXPECT_EQ(department.String("reason"), "SCHOOL_USERS_ONLY");
  EXPECT_NE(department.String("message").find("院系用户只能查看"), std::string::npos) << department.body;

  ApiClient read_only = stack_->ClientFor(SchoolUser(school, "ro" + school, common::v1::ACCESS_READ_ONLY));
  HttpResponse refused = read_only.Put(SettingsPath(school), submission.Json());
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.String("reason"), "MODULE_READ_ONLY");

  HttpResponse graduate = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_GRADUATE, "g1")).Get(SettingsPath(school));
  EXPECT_EQ(graduate.status, 403) << graduate.body;

  HttpResponse submitted = Submit(school, submission);
  ASSERT_EQ(submitted.status, 200) << submitted.body;

  // Read-only school users and department users read the settings.
  HttpResponse read_by_reader = read_only.Get(SettingsPath(school));
  EXPECT_EQ(read_by_reader.status, 200) << read_by_reader.body;
  EXPECT_EQ(read_by_reader.String("submitted"), "true");
  HttpResponse read_by_department = stack_->ClientFor(DepartmentUser(school, "d" + school)).Get(SettingsPath(school));
  EXPECT_EQ(read_by_department.status, 200) << read_by_department.body;
  EXPECT_EQ(read_by_department.String("submitted"), "true");

  // Another school sees neither the settings nor whether they exist.
  const std::string other = NewSchool(3);
  HttpResponse foreign = stack_->ClientFor(SchoolUser(other, "s" + other)).Get(SettingsPath(school));
  EXPECT_EQ(foreign.status, 403) << foreign.body;
  HttpResponse foreign_write = stack_->ClientFor(SchoolUser(other, "s" + other)).Put(SettingsPath(school), submission.Json());
  EXPECT_EQ(foreign_write.status, 403) << foreign_write.body;

  // Sync reads settings as a service; an employer does not.
  HttpResponse service = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "sync")).Get(SettingsPath(school));
  EXPECT_EQ(service.status, 200) << service.body;
  EXPECT_EQ(service.String("submitted"), "true");
  HttpResponse employer = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_EMPLOYER, "e1")).Get(SettingsPath(school));
  EXPECT_EQ(employer.status, 403) << employer.body;
}

TEST_F(SettingsHttpTest, AgreementTypeMustBeSetFirst) {
  const std::string school = stack_->CreateSchool("42", accounts::v1::AGREEMENT_TYPE_UNSPECIFIED, "4242010001");
  Submission submission;
  submission.request_id = "no-type-1";
  HttpResponse refused = Submit(school, submission);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.String("code"), "FAILED_PRECONDITION");
  EXPECT_EQ(refused.String("reason"), "AGREEMENT_TYPE_NOT_SET");
  EXPECT_NE(refused.String("message").find("请联系省级管理员"), std::string::npos) << refused.body;
  EXPECT_EQ(Read(school).String("submitted"), "false");
  EXPECT_EQ(AuditCount(school), 0);
}

TEST_F(SettingsHttpTest, OnlineSigningTurnsOnOtherSwitches) {
  const std::string school = NewSchool(4);
  Submission submission;
  submission.request_id = "switches-1";
  submission.school_handler.name = "𠀀𠀁老师";  // characters outside the BMP
  HttpResponse submitted = Submit(school, submission);
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(submitted.String("submitted"), "true");
  EXPECT_EQ(submitted.String("agreementType"), "AGREEMENT_TYPE_THREE_PARTY");
  EXPECT_EQ(submitted.String("onlineSigningEnabled"), "true");
  EXPECT_EQ(submitted.String("paperRegistrationEnabled"), "true");
  EXPECT_EQ(submitted.String("destinationRegistrationEnabled"), "true");
  EXPECT_EQ(submitted.String("etag"), "1");
  EXPECT_EQ(submitted.String("updatedBy"), "s" + school);

  HttpResponse read = Read(school);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.String("schoolHandler.name"), "𠀀𠀁老师");
  EXPECT_EQ(read.String("schoolHandler.phone"), "010-67410355");
  EXPECT_EQ(read.String("schoolHandler.postalCode"), "100083");
  EXPECT_EQ(read.String("paperRegistrationEnabled"), "true");
  EXPECT_EQ(read.Number("maxTerminationApplications"), 3);
  EXPECT_EQ(read.String("reviewMode"), "REVIEW_MODE_SCHOOL_ONLY");

  // With 在线签约 off, 补登 and 填报去向登记 follow the request.
  Submission off;
  off.request_id = "switches-2";
  off.etag = "1";
  off.online_signing = false;
  off.paper_registration = true;
  HttpResponse changed = Submit(school, off);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.String("onlineSigningEnabled"), "false");
  EXPECT_EQ(changed.String("paperRegistrationEnabled"), "true");
  EXPECT_EQ(changed.String("destinationRegistrationEnabled"), "false");
  EXPECT_EQ(changed.String("etag"), "2");
}

TEST_F(SettingsHttpTest, SwitchesLockedOnceSomeoneActed) {
  const std::string school = NewSchool(5);
  Submission on;
  on.request_id = "lock-1";
  ASSERT_EQ(Submit(school, on).status, 200);

  InFlowTransaction([&](db::Session& s) {
    return SettingsUsage::MarkActed(s, std::stoll(school), ClassYear(), absl::Now());
  });
  EXPECT_EQ(Read(school).String("switchesLocked"), "true");

  Submission off;
  off.request_id = "lock-2";
  off.etag = "1";
  off.online_signing = false;
  HttpResponse refused = Submit(school, off);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.String("code"), "FAILED_PRECONDITION");
  EXPECT_EQ(refused.String("reason"), "SWITCH_LOCKED");
  EXPECT_NE(refused.String("message").find("在线签约"), std::string::npos) << refused.body;
  EXPECT_EQ(Read(school).String("onlineSigningEnabled"), "true");

  // Other settings still change while every switch stays on.
  Submission other;
  other.request_id = "lock-3";
  other.etag = "1";
  other.max_termination_applications = 5;
  HttpResponse changed = Submit(school, other);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.Number("maxTerminationApplications"), 5);
}

TEST_F(SettingsHttpTest, ReviewModeLockedWhileRecordsInReview) {
  const std::string school = NewSchool(6);
  Submission first;
  first.request_id = "mode-1";
  ASSERT_EQ(Submit(school, first).status, 200);

  InFlowTransaction([&](db::Session& s) { return SettingsUsage::EnterReview(s, std::stoll(school), ClassYear()); });
  EXPECT_EQ(Read(school).Number("recordsInReview"), 1);

  // The school has no roster in sync, so two-level review needs no department account.
  Submission two_level;
  two_level.request_id = "mode-2";
  two_level.etag = "1";
  two_level.review_mode = "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL";
  HttpResponse refused = Submit(school, two_level);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.String("reason"), "REVIEW_MODE_LOCKED");
  EXPECT_NE(refused.String("message").find("1 条数据处于审核流程中"), std::string::npos) << refused.body;

  InFlowTransaction([&](db::Session& s) { return SettingsUsage::LeaveReview(s, std::stoll(school), ClassYear()); });
  two_level.request_id = "mode-3";
  HttpResponse changed = Submit(school, two_level);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.String("reviewMode"), "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");

  // Leaving review with no record in review is a bug of the flow and fails.
  absl::Status extra = stack_->pool().Run(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
    return SettingsUsage::LeaveReview(s, std::stoll(school), ClassYear());
  });
  EXPECT_EQ(extra.code(), absl::StatusCode::kInternal);
}

TEST_F(SettingsHttpTest, TwoLevelReviewNeedsDepartmentAccounts) {
  const int serial = 7;
  const std::string school = NewSchool(serial);
  std::vector<ems::v1::RosterGraduate> roster;
  for (int i = 0; i < 4; ++i) roster.push_back(RosterRecord(SchoolCode(serial), ClassYear(), 700 + i, i < 2 ? "计算机学院" : "外国语学院"));
  stack_->LoadRoster(SchoolCode(serial), ClassYear(), roster);

  Submission submission;
  submission.review_mode = "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL";
  submission.request_id = "two-level-1";
  HttpResponse none = Submit(school, submission);
  EXPECT_EQ(none.status, 400) << none.body;
  EXPECT_EQ(none.String("reason"), "DEPARTMENT_ACCOUNTS_MISSING");
  EXPECT_NE(none.String("message").find("计算机学院"), std::string::npos) << none.body;
  EXPECT_NE(none.String("message").find("外国语学院"), std::string::npos) << none.body;

  // A read-only account and a disabled one do not count.
  stack_->CreateDepartmentAccount(school, "cs-rw-" + school, "计算机学院", common::v1::ACCESS_READ_WRITE);
  stack_->CreateDepartmentAccount(school, "fl-ro-" + school, "外国语学院", common::v1::ACCESS_READ_ONLY);
  std::string disabled = stack_->CreateDepartmentAccount(school, "fl-off-" + school, "外国语学院", common::v1::ACCESS_READ_WRITE);
  stack_->DisableAccount(school, disabled);
  submission.request_id = "two-level-2";
  HttpResponse partial = Submit(school, submission);
  EXPECT_EQ(partial.status, 400) << partial.body;
  EXPECT_EQ(partial.String("reason"), "DEPARTMENT_ACCOUNTS_MISSING");
  EXPECT_EQ(partial.String("message").find("计算机学院"), std::string::npos) << partial.body;
  EXPECT_NE(partial.String("message").find("外国语学院"), std::string::npos) << partial.body;
  EXPECT_EQ(Read(school).String("submitted"), "false");

  stack_->CreateDepartmentAccount(school, "fl-rw-" + school, "外国语学院", common::v1::ACCESS_READ_WRITE);
  submission.request_id = "two-level-3";
  HttpResponse submitted = Submit(school, submission);
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(submitted.String("reviewMode"), "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");

  // School-only review needs no department account at all.
  const std::string other = NewSchool(8);
  stack_->LoadRoster(SchoolCode(8), ClassYear(), {RosterRecord(SchoolCode(8), ClassYear(), 800, "法学院")});
  Submission school_only;
  school_only.request_id = "school-only-1";
  EXPECT_EQ(Submit(other, school_only).status, 200);
}

TEST_F(SettingsHttpTest, MaxTerminationApplicationsRange) {
  const std::string school = NewSchool(9);
  int index = 0;
  for (int invalid : {-1, 100, 1000}) {
    SCOPED_TRACE(invalid);
    Submission submission;
    submission.request_id = absl::StrCat("range-bad-", index++);
    submission.max_termination_applications = invalid;
    HttpResponse refused = Submit(school, submission);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.String("reason"), "INVALID_MAX_TERMINATION_APPLICATIONS");
    EXPECT_NE(refused.String("message").find("0 到 99"), std::string::npos) << refused.body;
  }
  std::string etag;
  for (int valid : {0, 99}) {
    SCOPED_TRACE(valid);
    Submission submission;
    submission.request_id = absl::StrCat("range-ok-", valid);
    submission.etag = etag;
    submission.max_termination_applications = valid;
    HttpResponse accepted = Submit(school, submission);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    EXPECT_EQ(accepted.Number("maxTerminationApplications"), valid);
    etag = accepted.String("etag");
  }
}

TEST_F(SettingsHttpTest, HandlersValidated) {
  const std::string school = NewSchool(10);
  struct Case {
    std::string field;
    std::string value;
    std::string reason;
  };
  const Case kCases[] = {
      {"phone", "12345", "INVALID_PHONE"},
      {"phone", "", "HANDLER_PHONE_REQUIRED"},
      {"postal_code", "10008", "INVALID_POSTAL_CODE"},
      {"postal_code", "10008a", "INVALID_POSTAL_CODE"},
      {"name", "  ", "HANDLER_NAME_REQUIRED"},
      {"name", std::string(51 * 3, 'x').substr(0, 51), "HANDLER_NAME_TOO_LONG"},
      {"postal_address", "", "POSTAL_ADDRESS_REQUIRED"},
  };
  int index = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.field + "=" + c.value);
    Submission submission;
    submission.request_id = absl::StrCat("handler-bad-", index++);
    if (c.field == "phone") submission.school_handler.phone = c.value;
    if (c.field == "postal_code") submission.school_handler.postal_code = c.value;
    if (c.field == "name") submission.school_handler.name = c.value;
    if (c.field == "postal_address") submission.school_handler.postal_address = c.value;
    HttpResponse refused = Submit(school, submission);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.String("reason"), c.reason);
  }

  // Handlers per education level need both; a mobile number is accepted too.
  Submission by_level;
  by_level.request_id = "handler-level-1";
  by_level.handler_scope = "HANDLER_SCOPE_BY_EDUCATION_LEVEL";
  by_level.undergraduate_handler = Handler();
  HttpResponse missing = Submit(school, by_level);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(missing.String("reason"), "HANDLER_NAME_REQUIRED");
  EXPECT_NE(missing.String("message").find("研究生"), std::string::npos) << missing.body;

  Handler postgraduate;
  postgraduate.name = "李老师";
  postgraduate.phone = "13800138000";
  postgraduate.postal_code = "100084";
  by_level.postgraduate_handler = postgraduate;
  by_level.request_id = "handler-level-2";
  HttpResponse accepted = Submit(school, by_level);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.String("handlerScope"), "HANDLER_SCOPE_BY_EDUCATION_LEVEL");
  EXPECT_EQ(accepted.String("undergraduateHandler.name"), "张老师");
  EXPECT_EQ(accepted.String("postgraduateHandler.name"), "李老师");
  EXPECT_EQ(accepted.String("postgraduateHandler.phone"), "13800138000");
  EXPECT_EQ(accepted.String("schoolHandler.name"), "");
}

TEST_F(SettingsHttpTest, RepeatAndStaleEtag) {
  const std::string school = NewSchool(11);
  Submission first;
  first.request_id = "repeat-1";
  HttpResponse created = Submit(school, first);
  ASSERT_EQ(created.status, 200) << created.body;
  HttpResponse repeated = Submit(school, first);
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.String("etag"), "1");
  EXPECT_EQ(repeated.String("updatedAt"), created.String("updatedAt"));
  EXPECT_EQ(AuditCount(school), 1);

  // The same request_id with another body is a client bug.
  Submission reused = first;
  reused.max_termination_applications = 7;
  EXPECT_EQ(Submit(school, reused).status, 400);

  // A first submission that raced another one, and an old etag, are both stale.
  Submission again;
  again.request_id = "repeat-2";
  HttpResponse no_etag = Submit(school, again);
  EXPECT_EQ(no_etag.status, 409) << no_etag.body;
  EXPECT_EQ(no_etag.String("code"), "ABORTED");

  Submission second;
  second.request_id = "repeat-3";
  second.etag = "1";
  second.max_termination_applications = 8;
  ASSERT_EQ(Submit(school, second).status, 200);
  Submission stale = second;
  stale.request_id = "repeat-4";
  stale.max_termination_applications = 9;
  HttpResponse refused = Submit(school, stale);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.String("code"), "ABORTED");
  EXPECT_EQ(Read(school).Number("maxTerminationApplications"), 8);
  EXPECT_EQ(AuditCount(school), 2);
}

TEST_F(SettingsHttpTest, AuditRecordsBeforeAndAfter) {
  const std::string school = NewSchool(12);
  Submission first;
  first.request_id = "audit-1";
  ASSERT_EQ(Submit(school, first).status, 200);
  Submission second;
  second.request_id = "audit-2";
  second.etag = "1";
  second.max_termination_applications = 42;
  ASSERT_EQ(Submit(school, second).status, 200);

  auto rows = stack_->pool().Read<std::vector<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
    return s.Query("SELECT action, actor_username, before_json, after_json, request_id, target_id FROM audit_log "
                   "WHERE school_id = ? ORDER BY id",
                   {std::stoll(school)});
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  const db::Row& submitted = (*rows)[0];
  EXPECT_EQ(submitted.String(0), "SIGNING_SETTINGS_SUBMITTED");
  EXPECT_EQ(submitted.String(1), "s" + school);
  EXPECT_TRUE(submitted.IsNull(2));
  EXPECT_NE(submitted.String(3).find("\"maxTerminationApplications\":3"), std::string::npos) << submitted.String(3);
  EXPECT_EQ(submitted.String(4), "audit-1");
  EXPECT_EQ(submitted.String(5), absl::StrCat(school, "/", ClassYear()));
  const db::Row& updated = (*rows)[1];
  EXPECT_EQ(updated.String(0), "SIGNING_SETTINGS_UPDATED");
  EXPECT_NE(updated.String(2).find("\"maxTerminationApplications\":3"), std::string::npos) << updated.String(2);
  EXPECT_NE(updated.String(3).find("\"maxTerminationApplications\":42"), std::string::npos) << updated.String(3);
}

TEST_F(SettingsHttpTest, InvalidClassYearAndMissingFields) {
  const std::string school = NewSchool(13);
  HttpResponse bad_year = stack_->ClientFor(SchoolUser(school, "s" + school))
                              .Get(absl::StrCat("/v1/schools/", school, "/classes/1999/signingSettings"));
  EXPECT_EQ(bad_year.status, 400) << bad_year.body;
  EXPECT_EQ(bad_year.String("reason"), "INVALID_CLASS_YEAR");

  Submission no_request_id;
  HttpResponse missing_id = Submit(school, no_request_id);
  EXPECT_EQ(missing_id.status, 400) << missing_id.body;
  EXPECT_EQ(missing_id.String("reason"), "REQUEST_ID_REQUIRED");

  Submission no_mode;
  no_mode.request_id = "fields-1";
  no_mode.review_mode = "REVIEW_MODE_UNSPECIFIED";
  EXPECT_EQ(Submit(school, no_mode).String("reason"), "REVIEW_MODE_REQUIRED");

  Submission no_scope;
  no_scope.request_id = "fields-2";
  no_scope.handler_scope = "HANDLER_SCOPE_UNSPECIFIED";
  EXPECT_EQ(Submit(school, no_scope).String("reason"), "HANDLER_SCOPE_REQUIRED");

  HttpResponse anonymous = quxiang::testing::HttpClient(stack_->http_port()).Send("GET", SettingsPath(school), "", {});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
}

TEST_F(SettingsHttpTest, ConcurrentWritesOneWins) {
  const std::string school = NewSchool(14);
  constexpr int kWriters = 6;

  // Several first submissions at once: exactly one creates the settings, the others are stale.
  std::vector<int> first_statuses(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Submission submission;
      submission.request_id = absl::StrCat("race-first-", i);
      submission.max_termination_applications = i;
      first_statuses[i] = Submit(school, submission).status;
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(std::count(first_statuses.begin(), first_statuses.end(), 200), 1);
  EXPECT_EQ(std::count(first_statuses.begin(), first_statuses.end(), 409), kWriters - 1);

  // Several updates from etag 1 at once: exactly one moves the settings to etag 2.
  std::vector<int> update_statuses(kWriters);
  writers.clear();
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Submission submission;
      submission.request_id = absl::StrCat("race-update-", i);
      submission.etag = "1";
      submission.max_termination_applications = 50 + i;
      update_statuses[i] = Submit(school, submission).status;
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(std::count(update_statuses.begin(), update_statuses.end(), 200), 1);
  EXPECT_EQ(std::count(update_statuses.begin(), update_statuses.end(), 409), kWriters - 1);
  HttpResponse read = Read(school);
  EXPECT_EQ(read.String("etag"), "2");
  EXPECT_EQ(AuditCount(school), 2);
}

}  // namespace
}  // namespace quxiang::signing::testing

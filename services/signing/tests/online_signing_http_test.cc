// Acceptance tests of online signing (线上签约) over HTTP: the real gateway binary in front of the
// signing service on a real MariaDB, which calls in-process accounts and sync services over gRPC
// as the SERVICE principal "signing"; sync's EMS relay delivers approved destinations to the EMS
// simulator.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "services/signing/online_signing.h"
#include "services/signing/tests/signing_fixture.h"
#include "services/sync/background_job.h"
#include "services/sync/job_lock.h"
#include "services/sync/ledger.h"

namespace quxiang::signing::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

constexpr char kDepartment[] = "计算机学院";
constexpr char kOtherDepartment[] = "外国语学院";
// Graduates per school; the first half are in kDepartment, the rest in kOtherDepartment.
constexpr int kGraduatesPerSchool = 60;

// Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ for a query string.
std::string UrlEncode(const std::string& text) {
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return encoded;
}

std::string RfcTime(absl::Time time) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()); }

// The "signings" array of a list response.
std::vector<google::protobuf::Struct> Signings(const HttpResponse& response) {
  std::vector<google::protobuf::Struct> items;
  google::protobuf::Struct json = response.Json();
  auto it = json.fields().find("signings");
  if (it == json.fields().end()) return items;
  for (const auto& value : it->second.list_value().values()) items.push_back(value.struct_value());
  return items;
}

// The "history" array of a GetOnlineSigning response.
std::vector<google::protobuf::Struct> History(const HttpResponse& response) {
  std::vector<google::protobuf::Struct> steps;
  google::protobuf::Struct json = response.Json();
  auto it = json.fields().find("history");
  if (it == json.fields().end()) return steps;
  for (const auto& value : it->second.list_value().values()) steps.push_back(value.struct_value());
  return steps;
}

std::string Field(const google::protobuf::Struct& item, const std::string& name) {
  auto it = item.fields().find(name);
  if (it == item.fields().end()) return "";
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  return it->second.string_value();
}

struct School {
  std::string id;
  std::string code;
};

class OnlineSigningHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_online_http", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    employer_a_ = new std::string(stack_->RegisterEmployer("91110000600037341L", "北京远航科技有限公司"));
    employer_b_ = new std::string(stack_->RegisterEmployer("91310000132200821H", "上海星河信息有限公司"));
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A school in `province` with `agreement_type` and a roster of kGraduatesPerSchool graduates,
  // of whom the last has training mode 21 (定向，不可网签). Settings are submitted with
  // `review_mode` unless it is empty.
  static School NewSchool(int serial, const std::string& review_mode, const std::string& province = "41",
                          accounts::v1::AgreementType agreement_type = accounts::v1::AGREEMENT_TYPE_THREE_PARTY) {
    School school;
    school.code = absl::StrCat(province, "420", 10000 + serial);
    school.id = stack_->CreateSchool(province, agreement_type, school.code);
    std::vector<ems::v1::RosterGraduate> roster;
    for (int i = 1; i <= kGraduatesPerSchool; ++i) {
      int graduate_serial = serial * 1000 + i;
      roster.push_back(RosterRecord(school.code, ClassYear(), graduate_serial,
                                    i <= kGraduatesPerSchool / 2 ? kDepartment : kOtherDepartment));
    }
    roster.back().set_training_mode_code("21");
    roster.back().set_training_mode("定向（不可网签）");
    stack_->LoadRoster(school.code, ClassYear(), roster);
    if (review_mode.empty()) return school;
    if (review_mode == "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL") {
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("cs", serial), kDepartment, common::v1::ACCESS_READ_WRITE);
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("fl", serial), kOtherDepartment,
                                      common::v1::ACCESS_READ_WRITE);
    }
    std::string body = absl::StrCat(
        "{\"requestId\":", JsonQuote("settings-" + school.id),
        ",\"etag\":\"\",\"onlineSigningEnabled\":true,\"reviewMode\":", JsonQuote(review_mode),
        ",\"maxTerminationApplications\":3,\"handlerScope\":\"HANDLER_SCOPE_WHOLE_SCHOOL\","
        "\"schoolHandler\":{\"name\":\"张老师\",\"phone\":\"010-67410355\",\"postalAddress\":\"北京市海淀区学院路 1 号\","
        "\"postalCode\":\"100083\"}}");
    HttpResponse submitted = Staff(school.id).Put(
        absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"), body);
    EXPECT_EQ(submitted.status, 200) << submitted.body;
    return school;
  }

  static std::string StudentNumber(int school_serial, int index) {
    return absl::StrFormat("%d%06d", ClassYear(), school_serial * 1000 + index);
  }

  static int64_t AuditCount(const std::string& school_id, const std::string& action) {
    auto count = stack_->pool().Read<int64_t>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      auto row = s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE school_id = ? AND action = ?",
                            {std::stoll(school_id), action});
      if (!row.ok()) return row.status();
      return *row ? (*row)->Int64(0) : -1;
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  static ApiClient Staff(const std::string& school_id, common::v1::Access access = common::v1::ACCESS_READ_WRITE) {
    return stack_->ClientFor(SchoolUser(school_id, absl::StrCat("s", school_id, "-", access), access));
  }

  static ApiClient Department(const std::string& school_id, const std::string& department) {
    common::v1::IdentityClaims claims = DepartmentUser(school_id, absl::StrCat("d", school_id, department));
    claims.set_department_name(department);
    return stack_->ClientFor(claims);
  }

  static ApiClient Employer(const std::string& employer_id) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_EMPLOYER);
    claims.set_user_id("e" + employer_id);
    claims.set_username("e" + employer_id);
    claims.set_employer_id(employer_id);
    return stack_->ClientFor(claims);
  }

  static ApiClient Graduate(const std::string& school_id, const std::string& graduate_id) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
    claims.set_user_id("g" + graduate_id);
    claims.set_username("g" + graduate_id);
    claims.set_school_id(school_id);
    claims.set_graduate_id(graduate_id);
    return stack_->ClientFor(claims);
  }

  static HttpResponse Invite(const std::string& employer_id, const std::string& school_id,
                             const std::string& student_number, absl::Duration answer_within = absl::Hours(72)) {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("invite-", ++request_serial_)),
                                    ",\"schoolId\":", JsonQuote(school_id), ",\"studentNumber\":", JsonQuote(student_number),
                                    ",\"classYear\":", ClassYear(), ",\"answerDeadline\":",
                                    JsonQuote(RfcTime(stack_->clock().Now() + answer_within)), "}");
    return Employer(employer_id).Post(absl::StrCat("/v1/employers/", employer_id, "/invitations"), body);
  }

  static std::string ActionBody(const std::string& etag, const std::string& request_id = "") {
    return absl::StrCat("{\"requestId\":",
                        JsonQuote(request_id.empty() ? absl::StrCat("action-", ++request_serial_) : request_id),
                        ",\"etag\":", JsonQuote(etag), "}");
  }

  static HttpResponse Accept(const HttpResponse& invitation, const std::string& request_id = "") {
    return Graduate(invitation.String("schoolId"), invitation.String("graduateId"))
        .Post(absl::StrCat("/v1/invitations/", invitation.String("id"), ":accept"),
              ActionBody(invitation.String("etag"), request_id));
  }

  static HttpResponse Review(ApiClient client, const HttpResponse& signing, const std::string& decision,
                             const std::string& reason_code = "", const std::string& detail = "") {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("review-", ++request_serial_)),
                                    ",\"etag\":", JsonQuote(signing.String("etag")), ",\"decision\":", JsonQuote(decision),
                                    ",\"reasonCode\":", JsonQuote(reason_code), ",\"detail\":", JsonQuote(detail), "}");
    return client.Post(absl::StrCat("/v1/schools/", signing.String("schoolId"), "/onlineSignings/", signing.String("id"),
                                    ":review"),
                       body);
  }

  static SigningStack* stack_;
  static std::string* skip_reason_;
  static std::string* employer_a_;
  static std::string* employer_b_;
  static std::atomic<int> request_serial_;
};

SigningStack* OnlineSigningHttpTest::stack_ = nullptr;
std::string* OnlineSigningHttpTest::skip_reason_ = nullptr;
std::string* OnlineSigningHttpTest::employer_a_ = nullptr;
std::string* OnlineSigningHttpTest::employer_b_ = nullptr;
std::atomic<int> OnlineSigningHttpTest::request_serial_{0};

TEST_F(OnlineSigningHttpTest, HappyPathReachesEms) {
  School school = NewSchool(1, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(1, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  EXPECT_EQ(invitation.String("state"), "ONLINE_SIGNING_STATE_INVITED");
  EXPECT_EQ(invitation.String("statusText"), "单位发起签约，等待学生应约");
  EXPECT_EQ(invitation.String("employerName"), "北京远航科技有限公司");
  EXPECT_EQ(invitation.String("answerDeadlineDate").size(), 10u) << invitation.body;

  HttpResponse received = Graduate(school.id, invitation.String("graduateId"))
                              .Get(absl::StrCat("/v1/schools/", school.id, "/graduates/", invitation.String("graduateId"),
                                                "/invitations"));
  ASSERT_EQ(received.status, 200) << received.body;
  ASSERT_EQ(Signings(received).size(), 1u);
  EXPECT_EQ(Field(Signings(received)[0], "statusText"), "单位发起签约，等待学生应约");

  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.String("state"), "ONLINE_SIGNING_STATE_PENDING_REVIEW");
  EXPECT_EQ(accepted.String("statusText"), "学生已同意签约，等待学校审核");

  // The staff list opens on signings waiting for review.
  HttpResponse pending = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings"));
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.String("totalSize"), "1");
  ASSERT_EQ(Signings(pending).size(), 1u);
  EXPECT_EQ(Field(Signings(pending)[0], "id"), invitation.String("id"));

  EXPECT_EQ(Field(Signings(pending)[0], "employerWarned"), "false") << pending.body;

  // Once the school warns about the employer, the review list and the graduate's list show it.
  stack_->MarkEmployerWarned(school.id, "91110000600037341L");
  HttpResponse warned = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings"));
  ASSERT_EQ(Signings(warned).size(), 1u) << warned.body;
  EXPECT_EQ(Field(Signings(warned)[0], "employerWarned"), "true") << warned.body;
  HttpResponse warned_graduate = Graduate(school.id, invitation.String("graduateId"))
                                     .Get(absl::StrCat("/v1/schools/", school.id, "/graduates/",
                                                       invitation.String("graduateId"), "/invitations"));
  ASSERT_EQ(Signings(warned_graduate).size(), 1u) << warned_graduate.body;
  EXPECT_EQ(Field(Signings(warned_graduate)[0], "employerWarned"), "true") << warned_graduate.body;
  // Another school's graduate does not see this school's own mark.
  School other = NewSchool(11, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse other_invitation = Invite(*employer_a_, other.id, StudentNumber(11, 1));
  ASSERT_EQ(other_invitation.status, 200) << other_invitation.body;
  HttpResponse other_graduate = Graduate(other.id, other_invitation.String("graduateId"))
                                    .Get(absl::StrCat("/v1/schools/", other.id, "/graduates/",
                                                      other_invitation.String("graduateId"), "/invitations"));
  ASSERT_EQ(Signings(other_graduate).size(), 1u) << other_graduate.body;
  EXPECT_EQ(Field(Signings(other_graduate)[0], "employerWarned"), "false") << other_graduate.body;

  HttpResponse approved = Review(Staff(school.id), accepted, "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("state"), "ONLINE_SIGNING_STATE_SIGNED");
  EXPECT_EQ(approved.String("statusText"), "签约完成");

  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, RosterRecord(school.code, ClassYear(), 1001, kDepartment).id_number()),
            "10");

  HttpResponse detail = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings/",
                                                           invitation.String("id")));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_NE(detail.body.find("\"SUBMIT\""), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("审核通过"), std::string::npos) << detail.body;
  EXPECT_EQ(AuditCount(school.id, "online_signing.approve"), 1);

  // The employer acted, so the settings' switches are locked.
  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("switchesLocked"), "true") << settings.body;
  EXPECT_EQ(settings.String("recordsInReview"), "0") << settings.body;

  HttpResponse sent = Employer(*employer_a_).Get(absl::StrCat("/v1/employers/", *employer_a_, "/invitations"));
  ASSERT_EQ(sent.status, 200) << sent.body;
  bool listed = false;
  for (const auto& item : Signings(sent)) listed = listed || Field(item, "id") == invitation.String("id");
  EXPECT_TRUE(listed) << sent.body;
  HttpResponse foreign = Employer(*employer_b_).Get(absl::StrCat("/v1/employers/", *employer_a_, "/invitations"));
  EXPECT_EQ(foreign.status, 403) << foreign.body;
}

TEST_F(OnlineSigningHttpTest, TwoPartyUsesAttestWords) {
  School school = NewSchool(12, "REVIEW_MODE_SCHOOL_ONLY", "42", accounts::v1::AGREEMENT_TYPE_TWO_PARTY);
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(12, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.String("statusText"), "学生已同意签约，等待学校鉴证");
  EXPECT_EQ(accepted.String("reviewVerb"), "鉴证");
  HttpResponse rejected = Review(Staff(school.id), accepted, "REVIEW_DECISION_REJECT", "EMPLOYER_DATA_INVALID", "单位名称有误");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.String("statusText"), "鉴证不通过，签约失败");
}

TEST_F(OnlineSigningHttpTest, InvitationNeedsSettingsAndEligibility) {
  School unsubmitted = NewSchool(13, "");
  HttpResponse no_settings = Invite(*employer_a_, unsubmitted.id, StudentNumber(13, 1));
  EXPECT_EQ(no_settings.status, 400) << no_settings.body;
  EXPECT_EQ(no_settings.String("reason"), "SETTINGS_NOT_SUBMITTED");

  School school = NewSchool(14, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse directed = Invite(*employer_a_, school.id, StudentNumber(14, kGraduatesPerSchool));
  EXPECT_EQ(directed.status, 400) << directed.body;
  EXPECT_EQ(directed.String("reason"), "TRAINING_MODE_DIRECTED_ONLY") << directed.body;

  HttpResponse unknown = Invite(*employer_a_, school.id, "no-such-student");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpResponse graduate_invites = Graduate(school.id, "1").Post(absl::StrCat("/v1/employers/", *employer_a_, "/invitations"), "{}");
  EXPECT_EQ(graduate_invites.status, 403) << graduate_invites.body;
}

TEST_F(OnlineSigningHttpTest, DeclineWithdrawAndDuplicate) {
  School school = NewSchool(2, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse first = Invite(*employer_a_, school.id, StudentNumber(2, 1));
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResponse duplicate = Invite(*employer_a_, school.id, StudentNumber(2, 1));
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(duplicate.String("reason"), "INVITATION_ALREADY_OPEN");

  HttpResponse declined = Graduate(school.id, first.String("graduateId"))
                              .Post(absl::StrCat("/v1/invitations/", first.String("id"), ":decline"),
                                    ActionBody(first.String("etag")));
  ASSERT_EQ(declined.status, 200) << declined.body;
  EXPECT_EQ(declined.String("statusText"), "学生已拒绝签约");

  // After the answer the employer may invite again, and withdraw before the graduate answers.
  HttpResponse second = Invite(*employer_a_, school.id, StudentNumber(2, 1));
  ASSERT_EQ(second.status, 200) << second.body;
  HttpResponse stranger = Employer(*employer_b_).Post(absl::StrCat("/v1/invitations/", second.String("id"), ":withdraw"),
                                                      ActionBody(second.String("etag")));
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  HttpResponse stale = Employer(*employer_a_).Post(absl::StrCat("/v1/invitations/", second.String("id"), ":withdraw"),
                                                   ActionBody("99"));
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.String("reason"), "STALE_VERSION");
  HttpResponse withdrawn = Employer(*employer_a_).Post(absl::StrCat("/v1/invitations/", second.String("id"), ":withdraw"),
                                                       ActionBody(second.String("etag")));
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(withdrawn.String("statusText"), "单位已撤回签约邀请");
  HttpResponse late_accept = Accept(second);
  EXPECT_EQ(late_accept.status, 409) << late_accept.body;
}

TEST_F(OnlineSigningHttpTest, ExpiresAtDeadline) {
  School school = NewSchool(3, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse past = Invite(*employer_a_, school.id, StudentNumber(3, 2), -absl::Minutes(1));
  EXPECT_EQ(past.status, 400) << past.body;
  EXPECT_EQ(past.String("reason"), "ANSWER_DEADLINE_PASSED");

  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(3, 1), absl::Hours(1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  stack_->clock().Advance(absl::Hours(1) + absl::Seconds(1));
  HttpResponse accepted = Accept(invitation);
  EXPECT_EQ(accepted.status, 400) << accepted.body;
  EXPECT_EQ(accepted.String("reason"), "INVITATION_EXPIRED");
  HttpResponse received = Graduate(school.id, invitation.String("graduateId"))
                              .Get(absl::StrCat("/v1/schools/", school.id, "/graduates/", invitation.String("graduateId"),
                                                "/invitations"));
  ASSERT_EQ(Signings(received).size(), 1u) << received.body;
  EXPECT_EQ(Field(Signings(received)[0], "statusText"), "签约邀请已失效");
  // An expired invitation does not block a new one.
  HttpResponse again = Invite(*employer_a_, school.id, StudentNumber(3, 1));
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(OnlineSigningHttpTest, SecondAcceptRefusedAndRejectReleases) {
  School school = NewSchool(4, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse from_a = Invite(*employer_a_, school.id, StudentNumber(4, 1));
  HttpResponse from_b = Invite(*employer_b_, school.id, StudentNumber(4, 1));
  ASSERT_EQ(from_a.status, 200) << from_a.body;
  ASSERT_EQ(from_b.status, 200) << from_b.body;
  HttpResponse accepted = Accept(from_a);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  HttpResponse second = Accept(from_b);
  EXPECT_EQ(second.status, 400) << second.body;
  EXPECT_EQ(second.String("reason"), "ANOTHER_INVITATION_ACCEPTED");
  HttpResponse received = Graduate(school.id, from_a.String("graduateId"))
                              .Get(absl::StrCat("/v1/schools/", school.id, "/graduates/", from_a.String("graduateId"),
                                                "/invitations"));
  for (const auto& item : Signings(received)) {
    if (Field(item, "id") == from_b.String("id")) {
      EXPECT_EQ(Field(item, "viewOnly"), "true");
    }
  }

  HttpResponse no_detail = Review(Staff(school.id), accepted, "REVIEW_DECISION_REJECT", "OTHER", "");
  EXPECT_EQ(no_detail.status, 400) << no_detail.body;
  HttpResponse rejected = Review(Staff(school.id), accepted, "REVIEW_DECISION_REJECT", "OTHER", "单位信息与营业执照不符");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.String("statusText"), "审核不通过，签约失败");
  EXPECT_EQ(rejected.String("rejectDetail"), "单位信息与营业执照不符");

  // The claim is released, so the graduate can accept the other invitation now.
  HttpResponse other = Accept(from_b);
  EXPECT_EQ(other.status, 200) << other.body;
}

TEST_F(OnlineSigningHttpTest, TwoLevelReviewAndVoid) {
  School school = NewSchool(5, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(5, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.String("statusText"), "学生已同意签约，等待学院审核");

  HttpResponse other_department = Review(Department(school.id, kOtherDepartment), accepted, "REVIEW_DECISION_APPROVE");
  EXPECT_EQ(other_department.status, 404) << other_department.body;
  HttpResponse other_list = Department(school.id, kOtherDepartment)
                                .Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings?status=STATUS_FILTER_ALL"));
  EXPECT_EQ(Signings(other_list).size(), 0u) << other_list.body;
  HttpResponse school_too_early = Review(Staff(school.id), accepted, "REVIEW_DECISION_APPROVE");
  EXPECT_EQ(school_too_early.status, 400) << school_too_early.body;
  EXPECT_EQ(school_too_early.String("reason"), "REVIEW_STAGE_MISMATCH");

  HttpResponse department_approved = Review(Department(school.id, kDepartment), accepted, "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(department_approved.status, 200) << department_approved.body;
  EXPECT_EQ(department_approved.String("statusText"), "学生已同意签约，等待学校审核");
  HttpResponse approved = Review(Staff(school.id), department_approved, "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("statusText"), "签约完成");

  const std::string void_path = absl::StrCat("/v1/schools/", school.id, "/onlineSignings/", invitation.String("id"), ":void");
  const std::string void_body = absl::StrCat("{\"requestId\":\"void-", school.id, "\",\"etag\":",
                                             JsonQuote(approved.String("etag")), ",\"detail\":\"学生信息有误\"}");
  HttpResponse department_void = Department(school.id, kDepartment).Post(void_path, void_body);
  EXPECT_EQ(department_void.status, 403) << department_void.body;
  HttpResponse voided = Staff(school.id).Post(void_path, void_body);
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.String("statusText"), "已作废");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, RosterRecord(school.code, ClassYear(), 5001, kDepartment).id_number()),
            "70");
}

TEST_F(OnlineSigningHttpTest, ConcurrentReviewersOneWins) {
  School school = NewSchool(6, "REVIEW_MODE_SCHOOL_ONLY");
  for (int round = 1; round <= 20; ++round) {
    HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(6, round));
    ASSERT_EQ(invitation.status, 200) << invitation.body;
    HttpResponse accepted = Accept(invitation);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    HttpResponse results[2];
    std::thread first([&] { results[0] = Review(Staff(school.id), accepted, "REVIEW_DECISION_APPROVE"); });
    std::thread second([&] {
      ApiClient other = stack_->ClientFor(SchoolUser(school.id, absl::StrCat("other-reviewer-", school.id)));
      results[1] = Review(other, accepted, "REVIEW_DECISION_APPROVE");
    });
    first.join();
    second.join();
    int wins = (results[0].status == 200) + (results[1].status == 200);
    int stale = (results[0].status == 409) + (results[1].status == 409);
    EXPECT_EQ(wins, 1) << "round " << round << ": " << results[0].body << " / " << results[1].body;
    EXPECT_EQ(stale, 1) << "round " << round << ": " << results[0].body << " / " << results[1].body;
  }
  HttpResponse signed_list = Staff(school.id).Get(
      absl::StrCat("/v1/schools/", school.id, "/onlineSignings?status=STATUS_FILTER_SIGNED&pageSize=5&page=2"));
  ASSERT_EQ(signed_list.status, 200) << signed_list.body;
  EXPECT_EQ(signed_list.String("totalSize"), "20");
  EXPECT_EQ(Signings(signed_list).size(), 5u);

  // Pages of 5 follow the one page of 20 in order, and a page past the end keeps the total.
  const std::string signed_path =
      absl::StrCat("/v1/schools/", school.id, "/onlineSignings?status=STATUS_FILTER_SIGNED&pageSize=");
  HttpResponse all_signed = Staff(school.id).Get(signed_path + "20");
  ASSERT_EQ(all_signed.status, 200) << all_signed.body;
  std::vector<std::string> expected_ids;
  for (const auto& signing : Signings(all_signed)) expected_ids.push_back(signing.fields().at("id").string_value());
  ASSERT_EQ(expected_ids.size(), 20u);
  std::vector<std::string> paged_ids;
  for (int page = 1; page <= 4; ++page) {
    HttpResponse page_response = Staff(school.id).Get(absl::StrCat(signed_path, "5&page=", page));
    ASSERT_EQ(page_response.status, 200) << page_response.body;
    EXPECT_EQ(page_response.String("totalSize"), "20") << "page " << page;
    for (const auto& signing : Signings(page_response)) paged_ids.push_back(signing.fields().at("id").string_value());
  }
  EXPECT_EQ(paged_ids, expected_ids);
  for (size_t i = 1; i < expected_ids.size(); ++i) {
    EXPECT_GT(std::stoll(expected_ids[i - 1]), std::stoll(expected_ids[i])) << "newest first at " << i;
  }
  HttpResponse past_end = Staff(school.id).Get(signed_path + "5&page=5");
  ASSERT_EQ(past_end.status, 200) << past_end.body;
  EXPECT_EQ(past_end.String("totalSize"), "20") << past_end.body;
  EXPECT_TRUE(Signings(past_end).empty()) << past_end.body;

  // Filters: initiator (the beginning of the employer's name), department and search.
  const std::string list = absl::StrCat("/v1/schools/", school.id, "/onlineSignings?status=STATUS_FILTER_ALL");
  HttpResponse by_employer = Staff(school.id).Get(list + "&initiator=" + UrlEncode("北京远航"));
  EXPECT_EQ(by_employer.String("totalSize"), "20") << by_employer.body;
  HttpResponse other_employer = Staff(school.id).Get(list + "&initiator=" + UrlEncode("上海"));
  EXPECT_EQ(other_employer.String("totalSize"), "0") << other_employer.body;
  HttpResponse wildcard = Staff(school.id).Get(list + "&initiator=" + UrlEncode("%"));
  EXPECT_EQ(wildcard.String("totalSize"), "0") << wildcard.body;
  HttpResponse by_department = Staff(school.id).Get(list + "&department=" + UrlEncode(kOtherDepartment));
  EXPECT_EQ(by_department.String("totalSize"), "0") << by_department.body;
  HttpResponse by_number = Staff(school.id).Get(list + "&query=" + StudentNumber(6, 3));
  EXPECT_EQ(by_number.String("totalSize"), "1") << by_number.body;
  HttpResponse pending = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings"));
  EXPECT_EQ(pending.String("totalSize"), "0") << pending.body;
}

TEST_F(OnlineSigningHttpTest, DoubleClickAcceptHasOneEffect) {
  School school = NewSchool(7, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(7, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse results[2];
  std::thread first([&] { results[0] = Accept(invitation, "double-click-" + school.id); });
  std::thread second([&] { results[1] = Accept(invitation, "double-click-" + school.id); });
  first.join();
  second.join();
  ASSERT_EQ(results[0].status, 200) << results[0].body;
  ASSERT_EQ(results[1].status, 200) << results[1].body;
  EXPECT_EQ(results[0].String("etag"), results[1].String("etag"));
  HttpResponse detail = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings/",
                                                           invitation.String("id")));
  ASSERT_EQ(detail.status, 200) << detail.body;
  auto history = detail.Json().fields().at("history").list_value().values();
  EXPECT_EQ(history.size(), 1) << detail.body;
  HttpResponse settings = Staff(school.id).Get(
      absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("recordsInReview"), "1") << settings.body;
}

TEST_F(OnlineSigningHttpTest, ScopeAndReadOnly) {
  School school = NewSchool(8, "REVIEW_MODE_SCHOOL_ONLY");
  School other = NewSchool(9, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(8, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;

  HttpResponse read_only = Review(Staff(school.id, common::v1::ACCESS_READ_ONLY), accepted, "REVIEW_DECISION_APPROVE");
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse read_only_list = Staff(school.id, common::v1::ACCESS_READ_ONLY)
                                    .Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings"));
  EXPECT_EQ(Signings(read_only_list).size(), 1u) << read_only_list.body;

  HttpResponse foreign_list = Staff(other.id).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings"));
  EXPECT_EQ(foreign_list.status, 403) << foreign_list.body;

  // A department user may filter by its own department only, as in sync's roster and statistics.
  const std::string all = absl::StrCat("/v1/schools/", school.id, "/onlineSignings?status=STATUS_FILTER_ALL");
  HttpResponse other_department =
      Department(school.id, kDepartment).Get(all + "&department=" + UrlEncode(kOtherDepartment));
  EXPECT_EQ(other_department.status, 403) << other_department.body;
  EXPECT_EQ(other_department.String("reason"), "OUTSIDE_DEPARTMENT_SCOPE") << other_department.body;
  EXPECT_EQ(other_department.String("message"), "院系用户只能查看本院系的在线签约记录。") << other_department.body;
  HttpResponse own_department = Department(school.id, kDepartment).Get(all + "&department=" + UrlEncode(kDepartment));
  ASSERT_EQ(own_department.status, 200) << own_department.body;
  EXPECT_EQ(Signings(own_department).size(), 1u) << own_department.body;
  HttpResponse own_list =
      Staff(other.id).Get(absl::StrCat("/v1/schools/", other.id, "/onlineSignings?status=STATUS_FILTER_ALL"));
  ASSERT_EQ(own_list.status, 200) << own_list.body;
  EXPECT_EQ(Signings(own_list).size(), 0u) << own_list.body;
  HttpResponse foreign_review = Review(Staff(other.id), accepted, "REVIEW_DECISION_APPROVE");
  EXPECT_EQ(foreign_review.status, 403) << foreign_review.body;

  // A graduate cannot answer another graduate's invitation, nor an employer invite for another.
  HttpResponse stranger = Graduate(school.id, "999999").Post(absl::StrCat("/v1/invitations/", invitation.String("id"), ":decline"),
                                                             ActionBody(accepted.String("etag")));
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  HttpResponse impostor = Employer(*employer_b_).Post(absl::StrCat("/v1/employers/", *employer_a_, "/invitations"), "{}");
  EXPECT_EQ(impostor.status, 403) << impostor.body;
}

TEST_F(OnlineSigningHttpTest, BatchReviewReportsEachRecord) {
  School school = NewSchool(10, "REVIEW_MODE_SCHOOL_ONLY");
  std::vector<HttpResponse> accepted;
  for (int i = 1; i <= 3; ++i) {
    HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(10, i));
    ASSERT_EQ(invitation.status, 200) << invitation.body;
    accepted.push_back(Accept(invitation));
    ASSERT_EQ(accepted.back().status, 200) << accepted.back().body;
  }
  // The first item names no record of this school and fails alone.
  std::string items = "{\"invitationId\":\"999999\",\"etag\":\"2\"},";
  for (size_t i = 0; i < accepted.size(); ++i) {
    // The last item carries a stale etag and must fail alone.
    std::string etag = i + 1 == accepted.size() ? "99" : accepted[i].String("etag");
    absl::StrAppend(&items, i ? "," : "", "{\"invitationId\":", JsonQuote(accepted[i].String("id")),
                    ",\"etag\":", JsonQuote(etag), "}");
  }
  HttpResponse batch = Staff(school.id).Post(
      absl::StrCat("/v1/schools/", school.id, "/onlineSignings:batchReview"),
      absl::StrCat("{\"requestId\":\"batch-", school.id, "\",\"decision\":\"REVIEW_DECISION_APPROVE\",\"items\":[", items, "]}"));
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto results = batch.Json().fields().at("results").list_value().values();
  ASSERT_EQ(results.size(), 4) << batch.body;
  EXPECT_EQ(Field(results[0].struct_value(), "reason"), "INVITATION_NOT_FOUND") << batch.body;
  EXPECT_EQ(Field(results[1].struct_value(), "ok"), "true") << batch.body;
  EXPECT_EQ(Field(results[2].struct_value(), "ok"), "true") << batch.body;
  EXPECT_EQ(Field(results[3].struct_value(), "ok"), "false") << batch.body;
  EXPECT_EQ(Field(results[3].struct_value(), "reason"), "STALE_VERSION") << batch.body;
  EXPECT_EQ(AuditCount(school.id, "online_signing.batch_approve"), 2);
}

// Forwards every call to the real clients, but reports UNAVAILABLE after a claim that sync
// applied, as when the response is lost on the way back.
class LostClaimResponse final : public FlowPeers {
 public:
  explicit LostClaimResponse(FlowPeers& inner) : inner_(inner) {}

  absl::StatusOr<GraduateInfo> GetGraduate(absl::Time deadline, int64_t school_id, int64_t graduate_id) override {
    return inner_.GetGraduate(deadline, school_id, graduate_id);
  }
  absl::StatusOr<GraduateInfo> FindGraduateByStudentNumber(absl::Time deadline, int64_t school_id, int class_year,
                                                           const std::string& student_number) override {
    return inner_.FindGraduateByStudentNumber(deadline, school_id, class_year, student_number);
  }
  absl::StatusOr<EligibilityInfo> CheckOnlineSigningEligibility(absl::Time deadline, int64_t school_id,
                                                                int64_t graduate_id) override {
    return inner_.CheckOnlineSigningEligibility(deadline, school_id, graduate_id);
  }
  absl::StatusOr<EligibilityInfo> CheckEligibility(absl::Time deadline, int64_t school_id, int64_t graduate_id,
                                                   LedgerFlow flow) override {
    return inner_.CheckEligibility(deadline, school_id, graduate_id, flow);
  }
  absl::StatusOr<EmployerInfo> GetEmployer(absl::Time deadline, const std::string& employer_id) override {
    return inner_.GetEmployer(deadline, employer_id);
  }
  absl::StatusOr<std::string> AgreementDestinationCode(absl::Time deadline, int class_year) override {
    return inner_.AgreementDestinationCode(deadline, class_year);
  }
  absl::Status ClaimGraduate(absl::Time deadline, const LedgerCall& call) override {
    absl::Status status = inner_.ClaimGraduate(deadline, call);
    if (!status.ok()) return status;
    return absl::UnavailableError("the claim's response was lost");
  }
  absl::Status ReleaseClaim(absl::Time deadline, const LedgerCall& call) override {
    ++releases;
    return inner_.ReleaseClaim(deadline, call);
  }
  absl::Status CommitDestination(absl::Time deadline, const LedgerCall& call,
                                 const ems::v1::Destination& destination) override {
    return inner_.CommitDestination(deadline, call, destination);
  }
  absl::Status VoidDestination(absl::Time deadline, const LedgerCall& call) override {
    return inner_.VoidDestination(deadline, call);
  }
  absl::StatusOr<std::set<std::string>> WarnedEmployers(absl::Time deadline, int64_t school_id,
                                                        const std::vector<std::string>& credit_codes) override {
    return inner_.WarnedEmployers(deadline, school_id, credit_codes);
  }

  std::atomic<int> releases{0};

 private:
  FlowPeers& inner_;
};

TEST_F(OnlineSigningHttpTest, LostClaimResponseIsReleased) {
  School school = NewSchool(15, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse from_a = Invite(*employer_a_, school.id, StudentNumber(15, 1));
  HttpResponse from_b = Invite(*employer_b_, school.id, StudentNumber(15, 1));
  ASSERT_EQ(from_a.status, 200) << from_a.body;
  ASSERT_EQ(from_b.status, 200) << from_b.body;

  // The accept runs on the domain directly, with a client that loses the claim's response.
  LostClaimResponse peers(stack_->peers());
  OnlineSigning flow(stack_->pool(), peers, stack_->clock(), stack_->agreements());
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
  claims.set_user_id("g" + from_a.String("graduateId"));
  claims.set_school_id(school.id);
  claims.set_graduate_id(from_a.String("graduateId"));
  identity::Principal principal(claims);
  RequestInfo info;
  info.principal = &principal;
  info.method = "/quxiang.signing.v1.SigningService/AcceptInvitation";
  info.deadline = absl::Now() + absl::Seconds(30);
  v1::InvitationActionRequest request;
  request.set_request_id("lost-claim-" + school.id);
  request.set_invitation_id(from_a.String("id"));
  request.set_etag(from_a.String("etag"));
  v1::OnlineSigning response;
  absl::Status status = flow.AcceptInvitation(info, request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(peers.releases.load(), 1);

  // The claim was released, so the graduate is free to accept the other invitation.
  HttpResponse other = Accept(from_b);
  EXPECT_EQ(other.status, 200) << other.body;
}

// A loopback port that nothing listens on: bound once by the kernel's choice, then closed.
int ClosedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

// The ledger entry of a graduate in sync: its state and the record that holds it.
std::pair<int64_t, std::string> LedgerHolder(db::Pool& sync_pool, const std::string& graduate_id) {
  auto holder = sync_pool.Read<std::pair<int64_t, std::string>>(
      absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<std::pair<int64_t, std::string>> {
        auto row = s.QueryOne("SELECT holder_flow, holder_record_id FROM ledger WHERE graduate_id = ?",
                              {std::stoll(graduate_id)});
        if (!row.ok()) return row.status();
        if (!*row) return std::make_pair(int64_t{-1}, std::string());
        return std::make_pair((*row)->Int64(0), (*row)->String(1));
      });
  EXPECT_TRUE(holder.ok()) << holder.status();
  return holder.ok() ? *holder : std::make_pair(int64_t{-1}, std::string());
}

TEST_F(OnlineSigningHttpTest, StaleClaimJobReleasesLostClaims) {
  School school = NewSchool(16, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse accepted_invitation = Invite(*employer_a_, school.id, StudentNumber(16, 1));
  HttpResponse declined_invitation = Invite(*employer_a_, school.id, StudentNumber(16, 2));
  HttpResponse unknown_record_graduate = Invite(*employer_a_, school.id, StudentNumber(16, 3));
  ASSERT_EQ(accepted_invitation.status, 200) << accepted_invitation.body;
  ASSERT_EQ(declined_invitation.status, 200) << declined_invitation.body;
  ASSERT_EQ(unknown_record_graduate.status, 200) << unknown_record_graduate.body;
  HttpResponse accepted = Accept(accepted_invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  HttpResponse declined =
      Graduate(school.id, declined_invitation.String("graduateId"))
          .Post(absl::StrCat("/v1/invitations/", declined_invitation.String("id"), ":decline"),
                ActionBody(declined_invitation.String("etag")));
  ASSERT_EQ(declined.status, 200) << declined.body;

  // Claims that signing made but whose local transaction never committed: one for the declined
  // invitation and one for a record id that signing does not have.
  const std::string unknown_record_id = "987654321";
  LedgerCall lost_decline{LedgerFlow::kOnlineSigning, "lost-decline-" + school.id, std::stoll(school.id),
                          std::stoll(declined_invitation.String("graduateId")), declined_invitation.String("id")};
  LedgerCall lost_unknown{LedgerFlow::kOnlineSigning, "lost-unknown-" + school.id, std::stoll(school.id),
                          std::stoll(unknown_record_graduate.String("graduateId")), unknown_record_id};
  ASSERT_TRUE(stack_->peers().ClaimGraduate(absl::Now() + absl::Seconds(10), lost_decline).ok());
  ASSERT_TRUE(stack_->peers().ClaimGraduate(absl::Now() + absl::Seconds(10), lost_unknown).ok());
  ASSERT_EQ(LedgerHolder(stack_->sync_pool(), declined_invitation.String("graduateId")).second,
            declined_invitation.String("id"));
  ASSERT_EQ(LedgerHolder(stack_->sync_pool(), unknown_record_graduate.String("graduateId")).second, unknown_record_id);

  // The real gRPC client of sync to signing, with the SERVICE token of "sync" from accounts.
  sync::SigningClaimChecker checker(sync::CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()),
                                                                  /*health_check=*/true),
                                    stack_->sync_accounts());

  // Claims younger than the minimum age are not checked.
  sync::Ledger ledger(stack_->sync_pool(), Clock::Real());
  absl::StatusOr<int> fresh = ledger.ReleaseStaleClaims(checker, absl::Hours(1), 500);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*fresh, 0);

  // Signing unavailable: the run fails and releases nothing.
  OffsetClock later;
  later.Advance(absl::Hours(2));
  sync::Ledger aged_ledger(stack_->sync_pool(), later);
  int closed_port = ClosedLoopbackPort();
  sync::SigningClaimChecker unreachable(
      sync::CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", closed_port), /*health_check=*/true),
      stack_->sync_accounts());
  absl::StatusOr<int> failed = aged_ledger.ReleaseStaleClaims(unreachable, absl::Hours(1), 500);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), declined_invitation.String("graduateId")).second,
            declined_invitation.String("id"));
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), unknown_record_graduate.String("graduateId")).second, unknown_record_id);

  // The job, under its lock, releases the lost claims once they are old enough and keeps the
  // claim of the accepted invitation.
  auto lock_pool = db::Pool::Create(stack_->sync_database_options());
  ASSERT_TRUE(lock_pool.ok()) << lock_pool.status();
  sync::JobLocks locks(**lock_pool);
  std::atomic<int> released{0};
  sync::BackgroundJob job(
      "stale claims", absl::Hours(1),
      [&]() -> absl::Status {
        absl::StatusOr<int> count = aged_ledger.ReleaseStaleClaims(checker, absl::Hours(1), 500);
        if (!count.ok()) return count.status();
        released += *count;
        return absl::OkStatus();
      },
      &locks);
  job.Start();
  job.Wake();
  absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (job.runs() < 1 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(50));
  job.Stop();
  ASSERT_GE(job.runs(), 1);
  EXPECT_GE(released.load(), 2);
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), declined_invitation.String("graduateId")).second, "");
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), unknown_record_graduate.String("graduateId")).second, "");
  std::pair<int64_t, std::string> accepted_holder = LedgerHolder(stack_->sync_pool(), accepted_invitation.String("graduateId"));
  EXPECT_EQ(accepted_holder.first, static_cast<int64_t>(sync::v1::FLOW_ONLINE_SIGNING));
  EXPECT_EQ(accepted_holder.second, accepted_invitation.String("id"));
}

TEST_F(OnlineSigningHttpTest, CheckClaimsOnlyForSync) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()), grpc::InsecureChannelCredentials());
  auto stub = v1::SigningService::NewStub(channel);
  auto call = [&](const std::string& service_name, const v1::CheckClaimsRequest& request,
                  v1::CheckClaimsResponse* response) {
    common::v1::IdentityClaims claims = PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "svc-" + service_name);
    claims.set_service_name(service_name);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer " + stack_->Sign(claims));
    return stub->CheckClaims(&context, request, response);
  };

  v1::CheckClaimsRequest request;
  request.add_record_ids("1");
  request.add_record_ids("not-a-number");
  v1::CheckClaimsResponse response;
  EXPECT_EQ(call("signing", request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status answered = call("sync", request, &response);
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  ASSERT_EQ(response.checks_size(), 2);
  EXPECT_EQ(response.checks(1).record_id(), "not-a-number");
  EXPECT_FALSE(response.checks(1).in_flight());

  v1::CheckClaimsRequest too_many;
  for (int i = 1; i <= 501; ++i) too_many.add_record_ids(std::to_string(i));
  EXPECT_EQ(call("sync", too_many, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // No HTTP route reaches it.
  HttpResponse over_http = Staff("1").Post("/v1/claims:check", "{\"recordIds\":[\"1\"]}");
  EXPECT_EQ(over_http.status, 404) << over_http.body;
}

TEST_F(OnlineSigningHttpTest, PortFileCheckerFollowsFile) {
  School school = NewSchool(17, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(17, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  std::vector<sync::ClaimHolder> holders = {{sync::v1::FLOW_ONLINE_SIGNING, invitation.String("id")}};
  const absl::Time deadline = absl::Now() + absl::Seconds(10);

  const std::string path = absl::StrCat(::testing::TempDir(), "/signing-port-", school.id);
  std::remove(path.c_str());
  sync::PortFileSigningClaimChecker checker(path, stack_->sync_accounts());
  absl::Status missing = checker.Prefetch(holders, deadline);
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnavailable) << missing;
  EXPECT_EQ(quxiang::ErrorReason(missing), "SIGNING_PORT_UNKNOWN");
  EXPECT_FALSE(checker.IsInFlight(sync::v1::FLOW_ONLINE_SIGNING, invitation.String("id"), deadline).ok());

  // A port file of a signing process that is gone, then the one of the running process.
  std::ofstream(path) << ClosedLoopbackPort() << "\n";
  EXPECT_EQ(checker.Prefetch(holders, deadline).code(), absl::StatusCode::kUnavailable);
  std::ofstream(path) << stack_->grpc_port() << "\n";
  absl::Status prefetched = checker.Prefetch(holders, deadline);
  ASSERT_TRUE(prefetched.ok()) << prefetched;
  absl::StatusOr<bool> in_flight = checker.IsInFlight(sync::v1::FLOW_ONLINE_SIGNING, invitation.String("id"), deadline);
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  EXPECT_TRUE(*in_flight);

  std::ofstream(path) << "not a port\n";
  EXPECT_EQ(quxiang::ErrorReason(checker.Prefetch(holders, deadline)), "SIGNING_PORT_UNKNOWN");
  std::remove(path.c_str());
}

TEST_F(OnlineSigningHttpTest, PendingCountsFollowScope) {
  School school = NewSchool(18, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  School other_school = NewSchool(19, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  // Graduates 1 and 2 are in kDepartment, the last half of the roster in kOtherDepartment.
  std::vector<HttpResponse> accepted;
  for (int index : {1, 2, kGraduatesPerSchool / 2 + 1}) {
    HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(18, index));
    ASSERT_EQ(invitation.status, 200) << invitation.body;
    accepted.push_back(Accept(invitation));
    ASSERT_EQ(accepted.back().status, 200) << accepted.back().body;
  }
  // An invitation not yet answered and another school's pending signing are not counted.
  ASSERT_EQ(Invite(*employer_a_, school.id, StudentNumber(18, 3)).status, 200);
  HttpResponse elsewhere = Invite(*employer_a_, other_school.id, StudentNumber(19, 1));
  ASSERT_EQ(elsewhere.status, 200) << elsewhere.body;
  ASSERT_EQ(Accept(elsewhere).status, 200);
  HttpResponse at_school_stage = Review(Department(school.id, kDepartment), accepted[0], "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(at_school_stage.status, 200) << at_school_stage.body;

  const std::string target = absl::StrCat("/v1/schools/", school.id, "/onlineSignings:pendingCounts");
  HttpResponse department = Department(school.id, kDepartment).Get(target);
  ASSERT_EQ(department.status, 200) << department.body;
  EXPECT_EQ(department.String("queueStage"), "REVIEW_STAGE_DEPARTMENT");
  EXPECT_EQ(department.Number("queueCount"), 1);
  EXPECT_EQ(department.Number("allPendingCount"), 2);

  HttpResponse other_department = Department(school.id, kOtherDepartment).Get(target);
  ASSERT_EQ(other_department.status, 200) << other_department.body;
  EXPECT_EQ(other_department.Number("queueCount"), 1);
  EXPECT_EQ(other_department.Number("allPendingCount"), 1);

  HttpResponse school_user = Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(target);
  ASSERT_EQ(school_user.status, 200) << school_user.body;
  EXPECT_EQ(school_user.String("queueStage"), "REVIEW_STAGE_SCHOOL");
  EXPECT_EQ(school_user.Number("queueCount"), 1);
  EXPECT_EQ(school_user.Number("allPendingCount"), 3);

  // A final approval leaves the queue.
  HttpResponse approved = Review(Staff(school.id), at_school_stage, "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  HttpResponse after = Staff(school.id).Get(target);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.Number("queueCount"), 0);
  EXPECT_EQ(after.Number("allPendingCount"), 2);

  EXPECT_EQ(Staff(other_school.id).Get(target).status, 403);
  EXPECT_EQ(Graduate(school.id, accepted[1].String("graduateId")).Get(target).status, 403);
  EXPECT_EQ(Employer(*employer_a_).Get(target).status, 403);
}

TEST_F(OnlineSigningHttpTest, PartiesReadOwnSigningHistory) {
  School school = NewSchool(20, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  School other_school = NewSchool(21, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse invitation = Invite(*employer_a_, school.id, StudentNumber(20, 1));
  ASSERT_EQ(invitation.status, 200) << invitation.body;
  HttpResponse accepted = Accept(invitation);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  HttpResponse approved = Review(Department(school.id, kDepartment), accepted, "REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  stack_->MarkEmployerWarned(school.id, "91110000600037341L");

  const std::string target = absl::StrCat("/v1/schools/", school.id, "/onlineSignings/", invitation.String("id"));
  const std::string graduate_id = invitation.String("graduateId");

  // Staff keep seeing who reviewed and the warning mark.
  HttpResponse staff = Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(target);
  ASSERT_EQ(staff.status, 200) << staff.body;
  std::vector<google::protobuf::Struct> staff_history = History(staff);
  ASSERT_EQ(staff_history.size(), 2u) << staff.body;
  EXPECT_FALSE(Field(staff_history[1], "reviewerName").empty()) << staff.body;
  EXPECT_EQ(staff.String("employerWarned"), "true") << staff.body;

  // The graduate gets the stage and action of each step, but no staff identity.
  HttpResponse graduate = Graduate(school.id, graduate_id).Get(target);
  ASSERT_EQ(graduate.status, 200) << graduate.body;
  EXPECT_EQ(graduate.String("statusText"), "学生已同意签约，等待学校审核") << graduate.body;
  std::vector<google::protobuf::Struct> history = History(graduate);
  ASSERT_EQ(history.size(), 2u) << graduate.body;
  EXPECT_EQ(Field(history[0], "action"), "SUBMIT") << graduate.body;
  EXPECT_EQ(Field(history[1], "action"), "APPROVE") << graduate.body;
  EXPECT_EQ(Field(history[1], "actionText"), "审核通过") << graduate.body;
  EXPECT_EQ(Field(history[1], "stage"), "REVIEW_STAGE_DEPARTMENT") << graduate.body;
  EXPECT_FALSE(Field(history[1], "occurredAt").empty()) << graduate.body;
  for (const google::protobuf::Struct& step : history) {
    EXPECT_EQ(Field(step, "reviewerId"), "") << graduate.body;
    EXPECT_EQ(Field(step, "reviewerName"), "") << graduate.body;
  }
  EXPECT_EQ(graduate.String("employerWarned"), "true") << graduate.body;

  // The inviting employer gets the same history and never the school's warning mark.
  HttpResponse employer = Employer(*employer_a_).Get(target);
  ASSERT_EQ(employer.status, 200) << employer.body;
  std::vector<google::protobuf::Struct> employer_history = History(employer);
  ASSERT_EQ(employer_history.size(), 2u) << employer.body;
  EXPECT_EQ(Field(employer_history[1], "stage"), "REVIEW_STAGE_DEPARTMENT") << employer.body;
  EXPECT_EQ(Field(employer_history[1], "reviewerName"), "") << employer.body;
  EXPECT_EQ(employer.String("employerWarned"), "false") << employer.body;

  // Other graduates, other employers and a path with another school get the 404 of a missing id.
  HttpResponse other_graduate = Graduate(school.id, "999999").Get(target);
  EXPECT_EQ(other_graduate.status, 404) << other_graduate.body;
  EXPECT_EQ(other_graduate.String("reason"), "INVITATION_NOT_FOUND") << other_graduate.body;
  HttpResponse other_employer = Employer(*employer_b_).Get(target);
  EXPECT_EQ(other_employer.status, 404) << other_employer.body;
  EXPECT_EQ(other_employer.String("reason"), "INVITATION_NOT_FOUND") << other_employer.body;
  const std::string foreign_target =
      absl::StrCat("/v1/schools/", other_school.id, "/onlineSignings/", invitation.String("id"));
  EXPECT_EQ(Graduate(school.id, graduate_id).Get(foreign_target).status, 404);
  EXPECT_EQ(Graduate(other_school.id, graduate_id).Get(target).status, 404);
  EXPECT_EQ(Employer(*employer_a_).Get(foreign_target).status, 404);
  EXPECT_EQ(Employer(*employer_a_).Get(absl::StrCat("/v1/schools/", school.id, "/onlineSignings/abc")).status, 404);
  // Staff of another school keep getting 403, as before.
  EXPECT_EQ(Staff(other_school.id).Get(target).status, 403);
}

}  // namespace
}  // namespace quxiang::signing::testing

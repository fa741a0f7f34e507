// Acceptance tests of paper agreement registration (补登) over HTTP. The real gateway binary runs in
// front of the signing service on a real MariaDB, which claims graduates in the in-process sync
// service's ledger. Sync's EMS relay delivers approved, modified and voided destinations to the
// EMS simulator. Scans travel as raw HTTP bodies (HttpFile).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/filestore/test_files.h"
#include "quxiang/signing/v1/paper_registration.grpc.pb.h"
#include "services/signing/tests/signing_fixture.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/ledger.h"

namespace quxiang::signing::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

constexpr char kDepartment[] = "计算机学院";
constexpr char kOtherDepartment[] = "外国语学院";
// Graduates per school; the first half are in kDepartment, the rest in kOtherDepartment, and the
// last has training mode 21.
constexpr int kGraduatesPerSchool = 8;
constexpr char kCreditCode[] = "91110000600037341L";
constexpr char kEmployerName[] = "北京远航科技有限公司";

struct School {
  std::string id;
  std::string code;
  int serial = 0;
};

struct Graduate {
  std::string school_id;
  std::string id;
  std::string id_number;
};

// An agreement body that passes every check, with `position` as 工作职位.
std::string AgreementJson(const std::string& position = "软件工程师", const std::string& employer_name = kEmployerName) {
  return absl::StrCat("{\"employerName\":", JsonQuote(employer_name), ",\"employerCreditCode\":", JsonQuote(kCreditCode),
                      ",\"unitNatureCode\":\"39\",\"industryCode\":\"34\",\"jobCategoryCode\":\"13\","
                      "\"unitLocationCode\":\"110108\",\"position\":",
                      JsonQuote(position),
                      ",\"contactName\":\"王经理\",\"contactPhone\":\"010-67410355\","
                      "\"contactEmail\":\"hr@example.com\",\"employerAddress\":\"北京市海淀区中关村大街 1 号\","
                      "\"employerPostalCode\":\"100080\",\"signedDate\":\"",
                      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(48), absl::UTCTimeZone()),
                      "\",\"agreementNumber\":\"ZJ-2026-001\"}");
}

class PaperRegistrationHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_paper_http", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A school with a roster of kGraduatesPerSchool graduates of `class_year`, and settings with
  // 在线签约 on and `review_mode` unless it is empty.
  static School NewSchool(int serial, const std::string& review_mode, int class_year = ClassYear()) {
    School school;
    school.serial = serial;
    school.code = absl::StrCat("43", "520", 10000 + serial);
    school.id = stack_->CreateSchool("43", accounts::v1::AGREEMENT_TYPE_THREE_PARTY, school.code);
    std::vector<ems::v1::RosterGraduate> roster;
    for (int i = 1; i <= kGraduatesPerSchool; ++i) {
      roster.push_back(RosterRecord(school.code, class_year, serial * 1000 + i,
                                    i <= kGraduatesPerSchool / 2 ? kDepartment : kOtherDepartment));
    }
    roster.back().set_training_mode_code("21");
    roster.back().set_training_mode("定向（不可网签）");
    stack_->LoadRoster(school.code, class_year, roster);
    if (review_mode.empty()) return school;
    if (review_mode == "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL") {
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("pcs", serial), kDepartment, common::v1::ACCESS_READ_WRITE);
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("pfl", serial), kOtherDepartment,
                                      common::v1::ACCESS_READ_WRITE);
    }
    std::string body = absl::StrCat(
        "{\"requestId\":", JsonQuote("settings-" + school.id),
        ",\"etag\":\"\",\"onlineSigningEnabled\":true,\"reviewMode\":", JsonQuote(review_mode),
        ",\"maxTerminationApplications\":3,\"handlerScope\":\"HANDLER_SCOPE_WHOLE_SCHOOL\","
        "\"schoolHandler\":{\"name\":\"张老师\",\"phone\":\"010-67410355\",\"postalAddress\":\"北京市海淀区学院路 1 号\","
        "\"postalCode\":\"100083\"}}");
    HttpResponse submitted = Staff(school.id).Put(
        absl::StrCat("/v1/schools/", school.id, "/classes/", class_year, "/signingSettings"), body);
    EXPECT_EQ(submitted.status, 200) << submitted.body;
    return school;
  }

  // Graduate `index` (1-based) of `school`, found in sync by student number.
  static Graduate GraduateOf(const School& school, int index, int class_year = ClassYear()) {
    const int serial = school.serial * 1000 + index;
    const std::string student_number = absl::StrFormat("%d%06d", class_year, serial);
    auto found = stack_->peers().FindGraduateByStudentNumber(absl::Now() + absl::Seconds(10), std::stoll(school.id),
                                                             class_year, student_number);
    EXPECT_TRUE(found.ok()) << found.status();
    Graduate graduate;
    graduate.school_id = school.id;
    graduate.id = found.ok() ? std::to_string(found->id) : "0";
    graduate.id_number = RosterRecord(school.code, class_year, serial, kDepartment).id_number();
    return graduate;
  }

  static ApiClient Staff(const std::string& school_id, common::v1::Access access = common::v1::ACCESS_READ_WRITE,
                         const std::string& user = "") {
    return stack_->ClientFor(SchoolUser(school_id, absl::StrCat("ps", school_id, "-", access, user), access));
  }

  static ApiClient Department(const std::string& school_id, const std::string& department) {
    common::v1::IdentityClaims claims = DepartmentUser(school_id, absl::StrCat("pd", school_id, department));
    claims.set_department_name(department);
    return stack_->ClientFor(claims);
  }

  static common::v1::IdentityClaims GraduateClaims(const Graduate& graduate) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
    claims.set_user_id("pg" + graduate.id);
    claims.set_username("pg" + graduate.id);
    claims.set_school_id(graduate.school_id);
    claims.set_graduate_id(graduate.id);
    return claims;
  }

  static ApiClient As(const Graduate& graduate) { return stack_->ClientFor(GraduateClaims(graduate)); }

  static std::string NextRequestId(const std::string& prefix) { return absl::StrCat(prefix, "-", ++request_serial_); }

  static std::string OwnPath(const Graduate& graduate, const std::string& suffix = "") {
    return absl::StrCat("/v1/schools/", graduate.school_id, "/graduates/", graduate.id, "/paperRegistrations", suffix);
  }

  static std::string StaffPath(const std::string& school_id, const std::string& suffix = "") {
    return absl::StrCat("/v1/schools/", school_id, "/paperRegistrations", suffix);
  }

  static HttpResponse Create(const Graduate& graduate, const std::string& agreement = AgreementJson()) {
    return As(graduate).Post(OwnPath(graduate), absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("create")),
                                                             ",\"agreement\":", agreement, "}"));
  }

  // Uploads `content` as the scan of `registration` through the gateway's raw upload route.
  static HttpResponse Upload(const Graduate& graduate, const HttpResponse& registration, const std::string& content,
                             const std::string& file_name = "scan.pdf",
                             const std::string& content_type = "application/pdf") {
    quxiang::testing::HttpClient http(stack_->http_port());
    return http.Send("POST",
                     OwnPath(graduate, absl::StrCat("/", registration.String("id"), "/scan?requestId=",
                                                    NextRequestId("upload"), "&etag=", registration.String("etag"))),
                     content,
                     {{"Authorization", "Bearer " + stack_->Sign(GraduateClaims(graduate))},
                      {"Content-Type", content_type},
                      {"x-file-name", file_name}});
  }

  static HttpResponse GraduateAction(const Graduate& graduate, const HttpResponse& registration,
                                     const std::string& action, const std::string& request_id = "") {
    return As(graduate).Post(
        OwnPath(graduate, absl::StrCat("/", registration.String("id"), ":", action)),
        absl::StrCat("{\"requestId\":", JsonQuote(request_id.empty() ? NextRequestId(action) : request_id),
                     ",\"etag\":", JsonQuote(registration.String("etag")), "}"));
  }

  // Creates a draft, uploads a PDF scan and submits it; returns the submitted registration.
  static HttpResponse Submitted(const Graduate& graduate) {
    HttpResponse draft = Create(graduate);
    EXPECT_EQ(draft.status, 200) << draft.body;
    HttpResponse uploaded = Upload(graduate, draft, filestore::testing::TinyPdf());
    EXPECT_EQ(uploaded.status, 200) << uploaded.body;
    HttpResponse submitted = GraduateAction(graduate, uploaded, "submit");
    EXPECT_EQ(submitted.status, 200) << submitted.body;
    return submitted;
  }

  static HttpResponse Review(ApiClient client, const HttpResponse& registration, const std::string& decision,
                             const std::string& reason_code = "", const std::string& detail = "",
                             const std::string& request_id = "") {
    std::string body = absl::StrCat(
        "{\"requestId\":", JsonQuote(request_id.empty() ? NextRequestId("review") : request_id),
        ",\"etag\":", JsonQuote(registration.String("etag")), ",\"decision\":", JsonQuote(decision),
        ",\"reasonCode\":", JsonQuote(reason_code), ",\"detail\":", JsonQuote(detail), "}");
    return client.Post(StaffPath(registration.String("schoolId"), absl::StrCat("/", registration.String("id"), ":review")),
                       body);
  }

  static HttpResponse Modify(ApiClient client, const HttpResponse& registration, const std::string& agreement) {
    return client.Post(
        StaffPath(registration.String("schoolId"), absl::StrCat("/", registration.String("id"), ":modify")),
        absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("modify")), ",\"etag\":",
                     JsonQuote(registration.String("etag")), ",\"agreement\":", agreement,
                     ",\"detail\":\"单位调整了工作职位\"}"));
  }

  static HttpResponse Void(ApiClient client, const HttpResponse& registration) {
    return client.Post(
        StaffPath(registration.String("schoolId"), absl::StrCat("/", registration.String("id"), ":void")),
        absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("void")), ",\"etag\":",
                     JsonQuote(registration.String("etag")), ",\"detail\":\"经与单位核实，协议已不再履行\"}"));
  }

  static int64_t CountRows(const std::string& sql, const std::vector<db::Param>& params) {
    auto count = stack_->pool().Read<int64_t>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      auto row = s.QueryOne(sql, params);
      if (!row.ok()) return row.status();
      return *row ? (*row)->Int64(0) : -1;
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  static int64_t AuditCount(const std::string& school_id, const std::string& action) {
    return CountRows("SELECT COUNT(*) FROM audit_log WHERE school_id = ? AND action = ?", {std::stoll(school_id), action});
  }

  static size_t HistorySize(const HttpResponse& registration) {
    auto fields = registration.Json().fields();
    auto it = fields.find("history");
    return it == fields.end() ? 0 : it->second.list_value().values_size();
  }

  static std::vector<std::string> ListedIds(const HttpResponse& list) {
    std::vector<std::string> ids;
    auto fields = list.Json().fields();
    auto it = fields.find("registrations");
    if (it == fields.end()) return ids;
    for (const auto& value : it->second.list_value().values()) {
      ids.push_back(value.struct_value().fields().at("id").string_value());
    }
    return ids;
  }

  static SigningStack* stack_;
  static std::string* skip_reason_;
  static std::atomic<int> request_serial_;
};

SigningStack* PaperRegistrationHttpTest::stack_ = nullptr;
std::string* PaperRegistrationHttpTest::skip_reason_ = nullptr;
std::atomic<int> PaperRegistrationHttpTest::request_serial_{0};

TEST_F(PaperRegistrationHttpTest, SchoolOnlyReachesEms) {
  School school = NewSchool(1, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);

  HttpResponse draft = Create(graduate);
  ASSERT_EQ(draft.status, 200) << draft.body;
  EXPECT_EQ(draft.String("state"), "PAPER_REGISTRATION_STATE_DRAFT");
  EXPECT_EQ(draft.String("agreement.employerName"), kEmployerName);

  // A draft without a scan cannot be submitted, and staff never see drafts.
  HttpResponse without_scan = GraduateAction(graduate, draft, "submit");
  EXPECT_EQ(without_scan.status, 400) << without_scan.body;
  EXPECT_EQ(without_scan.String("reason"), "SCAN_REQUIRED");
  HttpResponse staff_all = Staff(school.id).Get(StaffPath(school.id, "?status=PAPER_STATUS_FILTER_ALL"));
  EXPECT_TRUE(ListedIds(staff_all).empty()) << staff_all.body;

  const std::string scan = filestore::testing::TinyPdf(1000);
  HttpResponse uploaded = Upload(graduate, draft, scan, "纸质协议.pdf");
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(uploaded.String("scanContentType"), "application/pdf");
  EXPECT_EQ(uploaded.String("scanFileName"), "纸质协议.pdf");
  EXPECT_EQ(uploaded.String("scanSizeBytes"), std::to_string(scan.size()));

  HttpResponse submitted = GraduateAction(graduate, uploaded, "submit");
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(submitted.String("state"), "PAPER_REGISTRATION_STATE_PENDING_REVIEW");
  EXPECT_EQ(submitted.String("statusText"), "签约审核中，等待学校审核");

  // The staff list opens on registrations waiting for review; the home page counts them.
  HttpResponse pending = Staff(school.id).Get(StaffPath(school.id));
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.String("totalSize"), "1");
  EXPECT_EQ(ListedIds(pending), std::vector<std::string>{submitted.String("id")});
  HttpResponse counts = Staff(school.id).Get(StaffPath(school.id, ":pendingCounts"));
  EXPECT_EQ(counts.String("queueCount"), "1") << counts.body;
  EXPECT_EQ(counts.String("queueStage"), "REVIEW_STAGE_SCHOOL") << counts.body;

  // The reviewer downloads the scan as it was uploaded, and the download is audited.
  HttpResponse download = Staff(school.id).Get(StaffPath(school.id, absl::StrCat("/", submitted.String("id"), "/scan")));
  ASSERT_EQ(download.status, 200) << download.body.substr(0, 200);
  EXPECT_EQ(download.body, scan);
  EXPECT_EQ(download.Header("Content-Type"), "application/pdf");
  EXPECT_NE(download.Header("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(AuditCount(school.id, "paper_registration.download_scan"), 1);

  // The employer is flagged once the school warns about it.
  stack_->MarkEmployerWarned(school.id, kCreditCode);
  HttpResponse detail = Staff(school.id).Get(StaffPath(school.id, "/" + submitted.String("id")));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.String("employerWarned"), "true") << detail.body;
  EXPECT_EQ(HistorySize(detail), 1u) << detail.body;

  HttpResponse approved = Review(Staff(school.id), submitted, "PAPER_REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("state"), "PAPER_REGISTRATION_STATE_REGISTERED");
  EXPECT_EQ(approved.String("statusText"), "登记完成");
  EXPECT_EQ(AuditCount(school.id, "paper_registration.approve"), 1);

  stack_->DeliverToEms();
  ems::v1::Destination destination = stack_->EmsDestination(school.code, graduate.id_number);
  EXPECT_EQ(destination.destination_code(), "10");
  EXPECT_EQ(destination.employer_credit_code(), kCreditCode);
  EXPECT_EQ(destination.unit_nature_code(), "39");
  EXPECT_EQ(destination.contact_name(), "王经理");

  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("switchesLocked"), "true") << settings.body;
  EXPECT_EQ(settings.String("recordsInReview"), "0") << settings.body;

  // The graduate's list shows its registration with the whole history.
  HttpResponse own = As(graduate).Get(OwnPath(graduate));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_NE(own.body.find("审核通过"), std::string::npos) << own.body;
}

TEST_F(PaperRegistrationHttpTest, TwoLevelReviewReachesEms) {
  School school = NewSchool(2, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse submitted = Submitted(graduate);
  EXPECT_EQ(submitted.String("statusText"), "签约审核中，等待学院审核");

  HttpResponse other_department = Review(Department(school.id, kOtherDepartment), submitted, "PAPER_REVIEW_DECISION_APPROVE");
  EXPECT_EQ(other_department.status, 404) << other_department.body;
  HttpResponse school_too_early = Review(Staff(school.id), submitted, "PAPER_REVIEW_DECISION_APPROVE");
  EXPECT_EQ(school_too_early.status, 400) << school_too_early.body;
  EXPECT_EQ(school_too_early.String("reason"), "REVIEW_STAGE_MISMATCH");
  HttpResponse department_counts = Department(school.id, kDepartment).Get(StaffPath(school.id, ":pendingCounts"));
  EXPECT_EQ(department_counts.String("queueCount"), "1") << department_counts.body;

  HttpResponse department_approved = Review(Department(school.id, kDepartment), submitted, "PAPER_REVIEW_DECISION_APPROVE");
  ASSERT_EQ(department_approved.status, 200) << department_approved.body;
  EXPECT_EQ(department_approved.String("statusText"), "签约审核中，等待学校审核");

  // The department cannot act at the school stage, and the graduate can no longer withdraw.
  HttpResponse department_again =
      Review(Department(school.id, kDepartment), department_approved, "PAPER_REVIEW_DECISION_APPROVE");
  EXPECT_EQ(department_again.status, 400) << department_again.body;
  EXPECT_EQ(department_again.String("reason"), "REVIEW_STAGE_MISMATCH") << department_again.body;
  HttpResponse late_withdraw = GraduateAction(graduate, department_approved, "withdraw");
  EXPECT_EQ(late_withdraw.status, 400) << late_withdraw.body;
  EXPECT_EQ(late_withdraw.String("reason"), "WITHDRAW_AFTER_REVIEW") << late_withdraw.body;

  HttpResponse approved = Review(Staff(school.id), department_approved, "PAPER_REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("statusText"), "登记完成");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestination(school.code, graduate.id_number).destination_code(), "10");

  // After approval only school users may modify or void.
  HttpResponse department_modify = Modify(Department(school.id, kDepartment), approved, AgreementJson("架构师"));
  EXPECT_EQ(department_modify.status, 403) << department_modify.body;
  HttpResponse department_void = Void(Department(school.id, kDepartment), approved);
  EXPECT_EQ(department_void.status, 403) << department_void.body;
}

TEST_F(PaperRegistrationHttpTest, ReturnThenRejectReleasesClaim) {
  School school = NewSchool(3, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse submitted = Submitted(graduate);

  HttpResponse no_detail = Review(Staff(school.id), submitted, "PAPER_REVIEW_DECISION_RETURN");
  EXPECT_EQ(no_detail.status, 400) << no_detail.body;
  HttpResponse returned = Review(Staff(school.id), submitted, "PAPER_REVIEW_DECISION_RETURN", "", "协议书图像不清晰，请重新上传");
  ASSERT_EQ(returned.status, 200) << returned.body;
  EXPECT_EQ(returned.String("state"), "PAPER_REGISTRATION_STATE_RETURNED");
  EXPECT_EQ(returned.String("statusText"), "退回修改");
  EXPECT_EQ(returned.String("reviewDetail"), "协议书图像不清晰，请重新上传");

  // The returned registration keeps the claim, so a second registration is rejected.
  HttpResponse second = Create(graduate);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.String("reason"), "PAPER_REGISTRATION_OPEN");

  // The graduate edits, uploads a PNG and resubmits.
  HttpResponse edited = As(graduate).Put(OwnPath(graduate, "/" + returned.String("id")),
                                         absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("edit")),
                                                      ",\"etag\":", JsonQuote(returned.String("etag")),
                                                      ",\"agreement\":", AgreementJson("测试工程师"), "}"));
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.String("agreement.position"), "测试工程师");
  HttpResponse reuploaded = Upload(graduate, edited, filestore::testing::RandomPng(16, 16, 7), "page.png", "image/png");
  ASSERT_EQ(reuploaded.status, 200) << reuploaded.body;
  EXPECT_EQ(reuploaded.String("scanContentType"), "image/png");
  HttpResponse resubmitted = GraduateAction(graduate, reuploaded, "submit");
  ASSERT_EQ(resubmitted.status, 200) << resubmitted.body;
  EXPECT_EQ(resubmitted.String("statusText"), "签约审核中，等待学校审核");

  HttpResponse no_reason = Review(Staff(school.id), resubmitted, "PAPER_REVIEW_DECISION_REJECT", "", "单位公章不清晰");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  HttpResponse rejected =
      Review(Staff(school.id), resubmitted, "PAPER_REVIEW_DECISION_REJECT", "SCAN_INVALID", "单位公章不清晰");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.String("state"), "PAPER_REGISTRATION_STATE_REJECTED");
  EXPECT_EQ(rejected.String("statusText"), "审核不通过");
  EXPECT_EQ(rejected.String("rejectReasonCode"), "SCAN_INVALID");
  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("recordsInReview"), "0") << settings.body;

  // The rejection released the claim: a new registration can be submitted.
  HttpResponse again = Submitted(graduate);
  EXPECT_EQ(again.String("state"), "PAPER_REGISTRATION_STATE_PENDING_REVIEW") << again.body;
  HttpResponse own = As(graduate).Get(OwnPath(graduate));
  EXPECT_EQ(ListedIds(own).size(), 2u) << own.body;
}

TEST_F(PaperRegistrationHttpTest, ReturnedResubmitChecksEligibility) {
  School school = NewSchool(16, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 3);
  HttpResponse returned = Review(Staff(school.id), Submitted(graduate), "PAPER_REVIEW_DECISION_RETURN", "", "请核对签约日期");
  ASSERT_EQ(returned.status, 200) << returned.body;

  // The school deletes the graduate from the EMS roster while the registration is returned.
  stack_->RemoveFromRoster(school.code, graduate.id_number);
  HttpResponse resubmitted = GraduateAction(graduate, returned, "submit");
  EXPECT_EQ(resubmitted.status, 400) << resubmitted.body;
  EXPECT_EQ(resubmitted.String("reason"), "GRADUATE_INVALIDATED") << resubmitted.body;
  HttpResponse own = As(graduate).Get(OwnPath(graduate));
  EXPECT_NE(own.body.find("PAPER_REGISTRATION_STATE_RETURNED"), std::string::npos) << own.body;
}

TEST_F(PaperRegistrationHttpTest, WithdrawThenResubmit) {
  School school = NewSchool(4, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  Graduate graduate = GraduateOf(school, 2);
  HttpResponse submitted = Submitted(graduate);

  // Nothing in review may be edited until it is withdrawn.
  HttpResponse edit_in_review = As(graduate).Put(OwnPath(graduate, "/" + submitted.String("id")),
                                                 absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("edit")),
                                                              ",\"etag\":", JsonQuote(submitted.String("etag")),
                                                              ",\"agreement\":", AgreementJson(), "}"));
  EXPECT_EQ(edit_in_review.status, 400) << edit_in_review.body;
  EXPECT_EQ(edit_in_review.String("reason"), "PAPER_REGISTRATION_NOT_EDITABLE");

  HttpResponse withdrawn = GraduateAction(graduate, submitted, "withdraw");
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(withdrawn.String("state"), "PAPER_REGISTRATION_STATE_WITHDRAWN");
  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("recordsInReview"), "0") << settings.body;
  HttpResponse review_withdrawn = Review(Department(school.id, kDepartment), withdrawn, "PAPER_REVIEW_DECISION_APPROVE");
  EXPECT_EQ(review_withdrawn.status, 400) << review_withdrawn.body;

  HttpResponse resubmitted = GraduateAction(graduate, withdrawn, "submit");
  ASSERT_EQ(resubmitted.status, 200) << resubmitted.body;
  EXPECT_EQ(resubmitted.String("statusText"), "签约审核中，等待学院审核");
  HttpResponse detail = Staff(school.id).Get(StaffPath(school.id, "/" + submitted.String("id")));
  EXPECT_EQ(HistorySize(detail), 3u) << detail.body;
  settings = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("recordsInReview"), "1") << settings.body;
}

TEST_F(PaperRegistrationHttpTest, ModifyAndVoidFollowToEms) {
  School school = NewSchool(5, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse approved = Review(Staff(school.id), Submitted(graduate), "PAPER_REVIEW_DECISION_APPROVE");
  ASSERT_EQ(approved.status, 200) << approved.body;

  // The parties' identities cannot change, and read-only staff cannot modify.
  HttpResponse other_employer = Modify(Staff(school.id), approved, AgreementJson("架构师", "北京另一家科技有限公司"));
  EXPECT_EQ(other_employer.status, 400) << other_employer.body;
  EXPECT_EQ(other_employer.String("reason"), "EMPLOYER_NOT_MODIFIABLE");
  HttpResponse read_only = Modify(Staff(school.id, common::v1::ACCESS_READ_ONLY), approved, AgreementJson("架构师"));
  EXPECT_EQ(read_only.status, 403) << read_only.body;

  HttpResponse modified = Modify(Staff(school.id), approved, AgreementJson("架构师"));
  ASSERT_EQ(modified.status, 200) << modified.body;
  EXPECT_EQ(modified.String("agreement.position"), "架构师");
  EXPECT_EQ(modified.String("state"), "PAPER_REGISTRATION_STATE_REGISTERED");
  EXPECT_EQ(AuditCount(school.id, "paper_registration.modify"), 1);
  auto audit_after = stack_->pool().Read<std::string>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<std::string> {
    auto row = s.QueryOne("SELECT CONCAT(before_json, after_json) FROM audit_log WHERE action = 'paper_registration.modify' "
                          "AND target_id = ?",
                          {modified.String("id")});
    if (!row.ok()) return row.status();
    return *row ? (*row)->String(0) : std::string();
  });
  ASSERT_TRUE(audit_after.ok()) << audit_after.status();
  EXPECT_NE(audit_after->find("软件工程师"), std::string::npos) << *audit_after;
  EXPECT_NE(audit_after->find("架构师"), std::string::npos) << *audit_after;
  HttpResponse detail = Staff(school.id).Get(StaffPath(school.id, "/" + modified.String("id")));
  EXPECT_NE(detail.body.find("\"MODIFY\""), std::string::npos) << detail.body;

  // The changed contact reaches the EMS through the same ledger path.
  std::string agreement = AgreementJson("架构师");
  agreement.replace(agreement.find("王经理"), std::string("王经理").size(), "李经理");
  HttpResponse recontact = Modify(Staff(school.id), modified, agreement);
  ASSERT_EQ(recontact.status, 200) << recontact.body;
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestination(school.code, graduate.id_number).contact_name(), "李经理");

  HttpResponse voided = Void(Staff(school.id), recontact);
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.String("statusText"), "已作废");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestination(school.code, graduate.id_number).destination_code(), "70");

  // The void released the graduate for a new registration.
  HttpResponse again = Create(graduate);
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(PaperRegistrationHttpTest, IneligibleGraduatesRefused) {
  School school = NewSchool(6, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse directed = Create(GraduateOf(school, kGraduatesPerSchool));
  EXPECT_EQ(directed.status, 400) << directed.body;
  EXPECT_EQ(directed.String("reason"), "TRAINING_MODE_DIRECTED_ONLY") << directed.body;

  // A class whose period ended on January 31 after its graduation year is read-only.
  School closed = NewSchool(7, "REVIEW_MODE_SCHOOL_ONLY", ClassYear() - 2);
  HttpResponse closed_class = Create(GraduateOf(closed, 1, ClassYear() - 2));
  EXPECT_EQ(closed_class.status, 400) << closed_class.body;
  EXPECT_EQ(closed_class.String("reason"), "CLASS_CLOSED") << closed_class.body;

  School unsubmitted = NewSchool(8, "");
  HttpResponse no_settings = Create(GraduateOf(unsubmitted, 1));
  EXPECT_EQ(no_settings.status, 400) << no_settings.body;
  EXPECT_EQ(no_settings.String("reason"), "SETTINGS_NOT_SUBMITTED");

  // Invalid agreement data is rejected with the field named.
  Graduate graduate = GraduateOf(school, 1);
  std::string bad_code = AgreementJson();
  bad_code.replace(bad_code.find("91110000600037341L"), 18, "91110000600037341X");
  HttpResponse invalid_code = Create(graduate, bad_code);
  EXPECT_EQ(invalid_code.status, 400) << invalid_code.body;
  EXPECT_EQ(invalid_code.String("reason"), "INVALID_CREDIT_CODE") << invalid_code.body;
  std::string bad_nature = AgreementJson();
  bad_nature.replace(bad_nature.find("\"39\""), 4, "\"98\"");
  HttpResponse invalid_nature = Create(graduate, bad_nature);
  EXPECT_EQ(invalid_nature.status, 400) << invalid_nature.body;
  EXPECT_EQ(invalid_nature.String("reason"), "INVALID_AGREEMENT_CODE") << invalid_nature.body;

  // Another graduate's path is rejected.
  Graduate other = GraduateOf(school, 2);
  HttpResponse foreign = As(graduate).Post(OwnPath(other), absl::StrCat("{\"requestId\":\"x\",\"agreement\":", AgreementJson(), "}"));
  EXPECT_EQ(foreign.status, 403) << foreign.body;
}

TEST_F(PaperRegistrationHttpTest, UploadChecksContentAndSize) {
  School school = NewSchool(9, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse draft = Create(graduate);
  ASSERT_EQ(draft.status, 200) << draft.body;

  HttpResponse fake = Upload(graduate, draft, "<html><script>alert(1)</script></html>", "scan.jpg", "image/jpeg");
  EXPECT_EQ(fake.status, 400) << fake.body;
  EXPECT_EQ(fake.String("reason"), "UNSUPPORTED_FILE_TYPE") << fake.body;
  EXPECT_NE(fake.String("message").find("JPG"), std::string::npos) << fake.body;
  EXPECT_NE(fake.String("message").find("scan.jpg"), std::string::npos) << fake.body;

  HttpResponse too_large = Upload(graduate, draft, filestore::testing::TinyPdf(10 * 1024 * 1024), "big.pdf");
  EXPECT_EQ(too_large.status, 400) << too_large.body;
  EXPECT_EQ(too_large.String("reason"), "FILE_TOO_LARGE") << too_large.body;

  // Neither refusal stored anything or changed the draft.
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM stored_files WHERE record_id = ?", {draft.String("id")}), 0);
  HttpResponse own = As(graduate).Get(OwnPath(graduate));
  EXPECT_NE(own.body.find(absl::StrCat("\"etag\":\"", draft.String("etag"), "\"")), std::string::npos) << own.body;

  // Another graduate finds no such registration under its own path.
  Graduate other = GraduateOf(school, 2);
  HttpResponse foreign = Upload(other, draft, filestore::testing::TinyJpeg(), "x.jpg", "image/jpeg");
  EXPECT_EQ(foreign.status, 404) << foreign.body;
}

TEST_F(PaperRegistrationHttpTest, ConcurrentReviewersOneWins) {
  School school = NewSchool(10, "REVIEW_MODE_SCHOOL_ONLY");
  for (int index = 1; index <= 3; ++index) {
    HttpResponse submitted = Submitted(GraduateOf(school, index));
    HttpResponse results[2];
    std::thread first([&] { results[0] = Review(Staff(school.id), submitted, "PAPER_REVIEW_DECISION_APPROVE"); });
    std::thread second([&] {
      results[1] = Review(Staff(school.id, common::v1::ACCESS_READ_WRITE, "other"), submitted,
                          "PAPER_REVIEW_DECISION_RETURN", "", "请补充材料");
    });
    first.join();
    second.join();
    int wins = (results[0].status == 200) + (results[1].status == 200);
    int stale = (results[0].status == 409) + (results[1].status == 409);
    EXPECT_EQ(wins, 1) << results[0].body << " / " << results[1].body;
    EXPECT_EQ(stale, 1) << results[0].body << " / " << results[1].body;
  }
}

TEST_F(PaperRegistrationHttpTest, ReplayAndStaleEtag) {
  School school = NewSchool(11, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse draft = Create(graduate);
  ASSERT_EQ(draft.status, 200) << draft.body;
  HttpResponse uploaded = Upload(graduate, draft, filestore::testing::TinyJpeg(), "scan.jpg", "image/jpeg");
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;

  // A stale etag is a conflict.
  HttpResponse stale = GraduateAction(graduate, draft, "submit");
  EXPECT_EQ(stale.status, 409) << stale.body;

  // The same submission twice has one effect.
  HttpResponse first = GraduateAction(graduate, uploaded, "submit", "submit-once-" + school.id);
  HttpResponse repeat = GraduateAction(graduate, uploaded, "submit", "submit-once-" + school.id);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(first.String("etag"), repeat.String("etag"));
  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("recordsInReview"), "1") << settings.body;

  // So does a repeated approval.
  HttpResponse approved = Review(Staff(school.id), first, "PAPER_REVIEW_DECISION_APPROVE", "", "", "approve-" + school.id);
  HttpResponse approved_again = Review(Staff(school.id), first, "PAPER_REVIEW_DECISION_APPROVE", "", "", "approve-" + school.id);
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_EQ(approved_again.status, 200) << approved_again.body;
  EXPECT_EQ(approved.String("etag"), approved_again.String("etag"));
  EXPECT_EQ(AuditCount(school.id, "paper_registration.approve"), 1);
  HttpResponse detail = Staff(school.id).Get(StaffPath(school.id, "/" + first.String("id")));
  EXPECT_EQ(HistorySize(detail), 2u) << detail.body;
  HttpResponse stale_void = Void(Staff(school.id), first);
  EXPECT_EQ(stale_void.status, 409) << stale_void.body;
}

TEST_F(PaperRegistrationHttpTest, ScopeAndReadOnly) {
  School school = NewSchool(12, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  School other = NewSchool(13, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse submitted = Submitted(graduate);
  const std::string record = StaffPath(school.id, "/" + submitted.String("id"));

  HttpResponse read_only = Review(Staff(school.id, common::v1::ACCESS_READ_ONLY), submitted, "PAPER_REVIEW_DECISION_APPROVE");
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  // Read-only staff still see and download.
  EXPECT_EQ(Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(record).status, 200);
  EXPECT_EQ(Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(record + "/scan").status, 200);

  // Another department lists nothing and may not filter for this one. Another school may not either.
  HttpResponse other_department = Department(school.id, kOtherDepartment).Get(record);
  EXPECT_EQ(other_department.status, 404) << other_department.body;
  EXPECT_EQ(Department(school.id, kOtherDepartment).Get(record + "/scan").status, 404);
  HttpResponse other_list =
      Department(school.id, kOtherDepartment).Get(StaffPath(school.id, "?status=PAPER_STATUS_FILTER_ALL"));
  EXPECT_TRUE(ListedIds(other_list).empty()) << other_list.body;
  HttpResponse filter = Department(school.id, kOtherDepartment)
                            .Get(StaffPath(school.id, "?department=%E8%AE%A1%E7%AE%97%E6%9C%BA%E5%AD%A6%E9%99%A2"));
  EXPECT_EQ(filter.status, 403) << filter.body;
  HttpResponse other_school = Staff(other.id).Get(StaffPath(other.id, "/" + submitted.String("id")));
  EXPECT_EQ(other_school.status, 404) << other_school.body;
  HttpResponse cross_school = Staff(other.id).Get(record);
  EXPECT_EQ(cross_school.status, 403) << cross_school.body;
  HttpResponse own_department = Department(school.id, kDepartment).Get(StaffPath(school.id));
  EXPECT_EQ(ListedIds(own_department), std::vector<std::string>{submitted.String("id")}) << own_department.body;

  // Another graduate cannot download the scan.
  HttpResponse other_graduate = As(GraduateOf(school, 2)).Get(record + "/scan");
  EXPECT_EQ(other_graduate.status, 404) << other_graduate.body;
  HttpResponse own_scan = As(graduate).Get(record + "/scan");
  EXPECT_EQ(own_scan.status, 200);
}

TEST_F(PaperRegistrationHttpTest, BatchReviewReportsEachRecord) {
  School school = NewSchool(14, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse first = Submitted(GraduateOf(school, 1));
  HttpResponse second = Submitted(GraduateOf(school, 2));
  std::string body = absl::StrCat(
      "{\"requestId\":", JsonQuote(NextRequestId("batch")), ",\"decision\":\"PAPER_REVIEW_DECISION_APPROVE\",\"items\":[",
      "{\"registrationId\":", JsonQuote(first.String("id")), ",\"etag\":", JsonQuote(first.String("etag")), "},",
      "{\"registrationId\":", JsonQuote(second.String("id")), ",\"etag\":\"999\"},",
      "{\"registrationId\":\"999999\",\"etag\":\"1\"}]}");
  HttpResponse batch = Staff(school.id).Post(StaffPath(school.id, ":batchReview"), body);
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto results = batch.Json().fields().at("results").list_value().values();
  ASSERT_EQ(results.size(), 3) << batch.body;
  EXPECT_TRUE(results[0].struct_value().fields().at("ok").bool_value()) << batch.body;
  EXPECT_EQ(results[1].struct_value().fields().at("reason").string_value(), "STALE_VERSION") << batch.body;
  EXPECT_EQ(results[2].struct_value().fields().at("reason").string_value(), "PAPER_REGISTRATION_NOT_FOUND") << batch.body;
  EXPECT_EQ(AuditCount(school.id, "paper_registration.batch_approve"), 1);
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestination(school.code, GraduateOf(school, 1).id_number).destination_code(), "10");
}

// The flow and record that hold `graduate_id` in sync's ledger, or (-1, "") without a ledger row.
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

TEST_F(PaperRegistrationHttpTest, StaleClaimJobReleasesLostClaims) {
  School school = NewSchool(15, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate pending_graduate = GraduateOf(school, 1);
  Graduate draft_graduate = GraduateOf(school, 2);
  HttpResponse submitted = Submitted(pending_graduate);
  HttpResponse draft = Create(draft_graduate);
  ASSERT_EQ(draft.status, 200) << draft.body;

  // A claim that signing made for the draft but whose transaction never committed.
  LedgerCall lost{LedgerFlow::kPaperAgreement, "lost-paper-" + school.id, std::stoll(school.id),
                  std::stoll(draft_graduate.id), draft.String("id")};
  ASSERT_TRUE(stack_->peers().ClaimGraduate(absl::Now() + absl::Seconds(10), lost).ok());
  ASSERT_EQ(LedgerHolder(stack_->sync_pool(), draft_graduate.id).second, draft.String("id"));

  // The real gRPC client of sync to signing, with the SERVICE token of "sync", on claims old
  // enough to check.
  sync::SigningClaimChecker checker(
      sync::CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()), /*health_check=*/true),
      stack_->sync_accounts());
  OffsetClock later;
  later.Advance(absl::Hours(2));
  sync::Ledger aged_ledger(stack_->sync_pool(), later);
  absl::StatusOr<int> released = aged_ledger.ReleaseStaleClaims(checker, absl::Hours(1), 500);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_GE(*released, 1);
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), draft_graduate.id).second, "");
  std::pair<int64_t, std::string> kept = LedgerHolder(stack_->sync_pool(), pending_graduate.id);
  EXPECT_EQ(kept.first, static_cast<int64_t>(sync::v1::FLOW_PAPER_AGREEMENT));
  EXPECT_EQ(kept.second, submitted.String("id"));

  // With the claim gone, the draft can be submitted.
  HttpResponse uploaded = Upload(draft_graduate, draft, filestore::testing::TinyPdf());
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  HttpResponse resubmitted = GraduateAction(draft_graduate, uploaded, "submit");
  EXPECT_EQ(resubmitted.status, 200) << resubmitted.body;
}

TEST_F(PaperRegistrationHttpTest, CheckPaperClaimsOnlyForSync) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()), grpc::InsecureChannelCredentials());
  auto stub = v1::PaperRegistrationService::NewStub(channel);
  auto call = [&](const std::string& service_name, const v1::CheckClaimsRequest& request,
                  v1::CheckClaimsResponse* response) {
    common::v1::IdentityClaims claims = PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "psvc-" + service_name);
    claims.set_service_name(service_name);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer " + stack_->Sign(claims));
    return stub->CheckPaperClaims(&context, request, response);
  };

  v1::CheckClaimsRequest request;
  request.add_record_ids("1");
  request.add_record_ids("not-a-number");
  v1::CheckClaimsResponse response;
  EXPECT_EQ(call("signing", request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status checked = call("sync", request, &response);
  ASSERT_TRUE(checked.ok()) << checked.error_message();
  ASSERT_EQ(response.checks_size(), 2);
  EXPECT_EQ(response.checks(1).record_id(), "not-a-number");
  EXPECT_FALSE(response.checks(1).in_flight());

  v1::CheckClaimsRequest too_many;
  for (int i = 1; i <= 501; ++i) too_many.add_record_ids(std::to_string(i));
  EXPECT_EQ(call("sync", too_many, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace quxiang::signing::testing

// Acceptance tests of offline e-agreements (毕业生申请电子就业协议线下签约) over HTTP. The real
// gateway binary runs in front of the signing service on a real MariaDB, which calls in-process
// accounts, sync and warning services over gRPC. Sync's EMS relay delivers approved destinations
// to the EMS simulator.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/filestore/test_files.h"
#include "quxiang/signing/v1/offline_signing.grpc.pb.h"
#include "services/signing/tests/signing_fixture.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/ledger.h"

namespace quxiang::signing::testing {
namespace {

using quxiang::testing::HttpClient;
using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

constexpr char kDepartment[] = "计算机学院";
constexpr char kOtherDepartment[] = "外国语学院";
// Graduates per school; the first half are in kDepartment, the rest in kOtherDepartment, and the
// last has training mode 21 (定向，不可网签).
constexpr int kGraduatesPerSchool = 8;
// The ledger states of sync (quxiang.sync.v1.LedgerState).
constexpr int64_t kLedgerNone = 1;
constexpr int64_t kLedgerClaimed = 2;
constexpr int64_t kLedgerEffective = 3;

struct School {
  std::string id;
  std::string code;
  int serial = 0;
};

// The graduate `index` (1-based) of a school, as the tests act for it.
struct Graduate {
  std::string school_id;
  std::string id;
  std::string id_number;
};

// The "agreements" array of a list response.
std::vector<google::protobuf::Struct> Agreements(const HttpResponse& response) {
  std::vector<google::protobuf::Struct> items;
  google::protobuf::Struct json = response.Json();
  auto it = json.fields().find("agreements");
  if (it == json.fields().end()) return items;
  for (const auto& value : it->second.list_value().values()) items.push_back(value.struct_value());
  return items;
}

std::string Field(const google::protobuf::Struct& item, const std::string& name) {
  auto it = item.fields().find(name);
  if (it == item.fields().end()) return "";
  return it->second.string_value();
}

class OfflineSigningHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_offline_http", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A school in `province` with a roster of class `class_year`; settings are submitted with
  // `review_mode` unless it is empty.
  static School NewSchool(int serial, const std::string& review_mode, const std::string& province = "41",
                          accounts::v1::AgreementType agreement_type = accounts::v1::AGREEMENT_TYPE_THREE_PARTY,
                          int class_year = ClassYear()) {
    School school;
    school.serial = serial;
    school.code = absl::StrCat(province, "430", 10000 + serial);
    school.id = stack_->CreateSchool(province, agreement_type, school.code);
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
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("ocs", serial), kDepartment, common::v1::ACCESS_READ_WRITE);
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("ofl", serial), kOtherDepartment,
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

  // Graduate `index` of `school` in class `class_year`, by its id in sync.
  static Graduate GraduateOf(const School& school, int index, int class_year = ClassYear()) {
    Graduate graduate;
    graduate.school_id = school.id;
    graduate.id_number = RosterRecord(school.code, class_year, school.serial * 1000 + index, kDepartment).id_number();
    auto id = stack_->sync_pool().Read<int64_t>(absl::Now() + absl::Seconds(10),
                                                [&](db::Session& s) -> absl::StatusOr<int64_t> {
                                                  auto row = s.QueryOne(
                                                      "SELECT id FROM graduates WHERE school_id = ? AND id_number = ?",
                                                      {std::stoll(school.id), graduate.id_number});
                                                  if (!row.ok()) return row.status();
                                                  return *row ? (*row)->Int64(0) : -1;
                                                });
    EXPECT_TRUE(id.ok()) << id.status();
    graduate.id = id.ok() ? std::to_string(*id) : "0";
    return graduate;
  }

  // sync's ledger state of the graduate: kLedgerNone, kLedgerClaimed or kLedgerEffective.
  static int64_t LedgerState(const Graduate& graduate) {
    auto state = stack_->sync_pool().Read<int64_t>(absl::Now() + absl::Seconds(10),
                                                   [&](db::Session& s) -> absl::StatusOr<int64_t> {
                                                     auto row = s.QueryOne("SELECT state FROM ledger WHERE graduate_id = ?",
                                                                           {std::stoll(graduate.id)});
                                                     if (!row.ok()) return row.status();
                                                     return *row ? (*row)->Int64(0) : kLedgerNone;
                                                   });
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? *state : -1;
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
    return stack_->ClientFor(SchoolUser(school_id, absl::StrCat("os", school_id, "-", access), access));
  }

  static ApiClient Department(const std::string& school_id, const std::string& department) {
    common::v1::IdentityClaims claims = DepartmentUser(school_id, absl::StrCat("od", school_id, department));
    claims.set_department_name(department);
    return stack_->ClientFor(claims);
  }

  static common::v1::IdentityClaims GraduateClaims(const Graduate& graduate) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
    claims.set_user_id("og" + graduate.id);
    claims.set_username("og" + graduate.id);
    claims.set_school_id(graduate.school_id);
    claims.set_graduate_id(graduate.id);
    return claims;
  }

  static ApiClient As(const Graduate& graduate) { return stack_->ClientFor(GraduateClaims(graduate)); }

  static std::string NextRequestId(const std::string& prefix) { return absl::StrCat(prefix, "-", ++request_serial_); }

  static std::string ContentJson(const std::string& employer_name = "杭州青禾文化传媒有限公司",
                                 const std::string& credit_code = "91330100MA27XK2A4N") {
    return absl::StrCat(
        "\"employer\":{\"name\":", JsonQuote(employer_name), ",\"creditCode\":", JsonQuote(credit_code),
        ",\"natureCode\":\"10\",\"industryCode\":\"11\",\"locationCode\":\"330100\","
        "\"address\":\"浙江省杭州市西湖区文三路 90 号\",\"contactName\":\"李经理\",\"contactPhone\":\"0571-87654321\"},"
        "\"terms\":{\"position\":\"软件开发工程师\",\"workLocation\":\"杭州市\",\"salary\":\"月薪 9000 元\","
        "\"otherTerms\":\"试用期三个月\"}");
  }

  static HttpResponse Create(const Graduate& graduate, const std::string& request_id = "",
                             const std::string& content = ContentJson()) {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(request_id.empty() ? NextRequestId("create") : request_id),
                                    ",", content, "}");
    return As(graduate).Post(
        absl::StrCat("/v1/schools/", graduate.school_id, "/graduates/", graduate.id, "/offlineAgreements"), body);
  }

  static std::string RecordPath(const HttpResponse& record, const std::string& suffix = "") {
    return absl::StrCat("/v1/schools/", record.String("schoolId"), "/offlineAgreements/", record.String("id"), suffix);
  }

  static std::string ActionBody(const HttpResponse& record, const std::string& request_id = "") {
    return absl::StrCat("{\"requestId\":", JsonQuote(request_id.empty() ? NextRequestId("action") : request_id),
                        ",\"etag\":", JsonQuote(record.String("etag")), "}");
  }

  static HttpResponse Update(const Graduate& graduate, const HttpResponse& record) {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("update")),
                                    ",\"etag\":", JsonQuote(record.String("etag")), ",",
                                    ContentJson("杭州青禾文化传媒有限公司（更正）"), "}");
    return As(graduate).Put(RecordPath(record), body);
  }

  static HttpResponse Withdraw(const Graduate& graduate, const HttpResponse& record) {
    return As(graduate).Post(RecordPath(record, ":withdraw"), ActionBody(record));
  }

  static HttpResponse Review(ApiClient client, const HttpResponse& record, const std::string& decision,
                             const std::string& reason_code = "", const std::string& detail = "",
                             const std::string& request_id = "") {
    std::string body = absl::StrCat(
        "{\"requestId\":", JsonQuote(request_id.empty() ? NextRequestId("review") : request_id),
        ",\"etag\":", JsonQuote(record.String("etag")), ",\"decision\":", JsonQuote(decision),
        ",\"reasonCode\":", JsonQuote(reason_code), ",\"detail\":", JsonQuote(detail), "}");
    return client.Post(RecordPath(record, ":review"), body);
  }

  static HttpResponse Approve(ApiClient client, const HttpResponse& record) {
    return Review(client, record, "OFFLINE_REVIEW_DECISION_APPROVE");
  }

  // Uploads `content` as the stamped scan: the raw request body with its Content-Type, the
  // request id and etag in the query string.
  static HttpResponse Upload(const common::v1::IdentityClaims& claims, const HttpResponse& record,
                             const std::string& content, const std::string& content_type,
                             const std::string& request_id = "") {
    HttpClient http(stack_->http_port());
    return http.Send("POST",
                     absl::StrCat(RecordPath(record, "/stampedScan"), "?requestId=",
                                  request_id.empty() ? NextRequestId("upload") : request_id, "&etag=", record.String("etag")),
                     content,
                     {{"Authorization", absl::StrCat("Bearer ", stack_->Sign(claims))}, {"Content-Type", content_type}});
  }

  static HttpResponse UploadPng(const Graduate& graduate, const HttpResponse& record) {
    return Upload(GraduateClaims(graduate), record, filestore::testing::RandomPng(16, 16, 7), "image/png");
  }

  // Creates an agreement of `graduate` and approves its agreement review at the school stage
  // (school-only review mode).
  static HttpResponse ApprovedAgreement(const School& school, const Graduate& graduate) {
    HttpResponse created = Create(graduate);
    EXPECT_EQ(created.status, 200) << created.body;
    HttpResponse approved = Approve(Staff(school.id), created);
    EXPECT_EQ(approved.status, 200) << approved.body;
    return approved;
  }

  static SigningStack* stack_;
  static std::string* skip_reason_;
  static std::atomic<int> request_serial_;
};

SigningStack* OfflineSigningHttpTest::stack_ = nullptr;
std::string* OfflineSigningHttpTest::skip_reason_ = nullptr;
std::atomic<int> OfflineSigningHttpTest::request_serial_{0};

TEST_F(OfflineSigningHttpTest, SchoolOnlyReachesEms) {
  School school = NewSchool(1, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);

  HttpResponse created = Create(graduate);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_REVIEW");
  EXPECT_EQ(created.String("statusText"), "就业协议审核中，等待学校审核");
  EXPECT_EQ(created.String("reviewVerb"), "审核");
  EXPECT_EQ(created.String("employer.name"), "杭州青禾文化传媒有限公司");
  EXPECT_EQ(LedgerState(graduate), kLedgerClaimed);

  // The staff list opens on agreements waiting for the agreement review.
  HttpResponse pending = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements"));
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.Number("totalSize"), 1) << pending.body;
  ASSERT_EQ(Agreements(pending).size(), 1u);
  EXPECT_EQ(Field(Agreements(pending)[0], "id"), created.String("id"));
  // A page past the end has no rows but keeps the total.
  HttpResponse past_end =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements?pageSize=1&page=2"));
  ASSERT_EQ(past_end.status, 200) << past_end.body;
  EXPECT_EQ(past_end.Number("totalSize"), 1) << past_end.body;
  EXPECT_TRUE(Agreements(past_end).empty()) << past_end.body;
  HttpResponse counts = Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements:pendingCounts"));
  ASSERT_EQ(counts.status, 200) << counts.body;
  EXPECT_EQ(counts.Number("agreementReviewCount"), 1) << counts.body;
  EXPECT_EQ(counts.Number("signingReviewCount"), 0) << counts.body;

  HttpResponse approved = Approve(Staff(school.id), created);
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("state"), "OFFLINE_AGREEMENT_STATE_AWAITING_UPLOAD");
  EXPECT_EQ(approved.String("statusText"), "就业协议审核通过，等待上传盖章协议");
  EXPECT_FALSE(approved.String("agreementNumber").empty()) << approved.body;
  // The graduate and the school download the agreement PDF to print; another graduate cannot.
  const std::string pdf_path = absl::StrCat("/v1/agreements/", approved.String("agreementNumber"), "/pdf");
  HttpResponse pdf = As(graduate).Get(pdf_path);
  ASSERT_EQ(pdf.status, 200) << pdf.body.substr(0, 300);
  EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");
  EXPECT_EQ(Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(pdf_path).status, 200);
  HttpResponse foreign_pdf = As(GraduateOf(school, 2)).Get(pdf_path);
  EXPECT_EQ(foreign_pdf.status, 404) << foreign_pdf.body;

  const std::string png = filestore::testing::RandomPng(16, 16, 3);
  HttpResponse uploaded = Upload(GraduateClaims(graduate), approved, png, "image/png");
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(uploaded.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_REVIEW");
  EXPECT_EQ(uploaded.String("statusText"), "签约审核中，等待学校审核");
  EXPECT_EQ(uploaded.String("stampedScan.contentType"), "image/png") << uploaded.body;
  HttpResponse signing_counts =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements:pendingCounts"));
  EXPECT_EQ(signing_counts.Number("agreementReviewCount"), 0) << signing_counts.body;
  EXPECT_EQ(signing_counts.Number("signingReviewCount"), 1) << signing_counts.body;

  HttpResponse scan = Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(RecordPath(uploaded, "/stampedScan"));
  ASSERT_EQ(scan.status, 200) << scan.body.substr(0, 200);
  EXPECT_EQ(scan.body, png);
  EXPECT_EQ(scan.Header("Content-Type"), "image/png");
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.download_scan"), 1);

  HttpResponse signed_record = Approve(Staff(school.id), uploaded);
  ASSERT_EQ(signed_record.status, 200) << signed_record.body;
  EXPECT_EQ(signed_record.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNED");
  EXPECT_EQ(signed_record.String("statusText"), "签约完成");
  EXPECT_EQ(LedgerState(graduate), kLedgerEffective);
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, graduate.id_number), "10");

  HttpResponse detail = Staff(school.id).Get(RecordPath(created));
  ASSERT_EQ(detail.status, 200) << detail.body;
  google::protobuf::Struct json = detail.Json();
  ASSERT_EQ(json.fields().at("history").list_value().values_size(), 4) << detail.body;
  EXPECT_NE(detail.body.find("OFFLINE_REVIEW_PHASE_SIGNING"), std::string::npos) << detail.body;
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.agreement_approve"), 1);
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.signing_approve"), 1);

  HttpResponse own = As(graduate).Get(
      absl::StrCat("/v1/schools/", school.id, "/graduates/", graduate.id, "/offlineAgreements"));
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_EQ(Agreements(own).size(), 1u);
  EXPECT_EQ(Field(Agreements(own)[0], "statusText"), "签约完成");

  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.String("switchesLocked"), "true") << settings.body;
  EXPECT_EQ(settings.Number("recordsInReview"), 0) << settings.body;
}

TEST_F(OfflineSigningHttpTest, TwoLevelTwoPartyReachesEmsAndVoids) {
  School school = NewSchool(2, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL", "42", accounts::v1::AGREEMENT_TYPE_TWO_PARTY);
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse created = Create(graduate);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.String("statusText"), "就业协议审核中，等待学院审核");

  // The school cannot skip the department, and a record under review blocks mode changes.
  HttpResponse skipped = Approve(Staff(school.id), created);
  EXPECT_EQ(skipped.status, 400) << skipped.body;
  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.Number("recordsInReview"), 1) << settings.body;
  EXPECT_EQ(settings.String("switchesLocked"), "true") << settings.body;
  std::string mode_change = absl::StrCat(
      "{\"requestId\":", JsonQuote(NextRequestId("mode")), ",\"etag\":", JsonQuote(settings.String("etag")),
      ",\"onlineSigningEnabled\":true,\"reviewMode\":\"REVIEW_MODE_SCHOOL_ONLY\",\"maxTerminationApplications\":3,"
      "\"handlerScope\":\"HANDLER_SCOPE_WHOLE_SCHOOL\",\"schoolHandler\":{\"name\":\"张老师\",\"phone\":\"010-67410355\","
      "\"postalAddress\":\"北京市海淀区学院路 1 号\",\"postalCode\":\"100083\"}}");
  HttpResponse locked = Staff(school.id).Put(
      absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"), mode_change);
  EXPECT_EQ(locked.status, 400) << locked.body;
  EXPECT_EQ(locked.String("reason"), "REVIEW_MODE_LOCKED") << locked.body;

  HttpResponse department_approved = Approve(Department(school.id, kDepartment), created);
  ASSERT_EQ(department_approved.status, 200) << department_approved.body;
  EXPECT_EQ(department_approved.String("statusText"), "就业协议审核中，等待学校审核");
  // A department user cannot act at the school stage.
  HttpResponse department_again = Approve(Department(school.id, kDepartment), department_approved);
  EXPECT_EQ(department_again.status, 400) << department_again.body;
  EXPECT_EQ(department_again.String("reason"), "REVIEW_STAGE_MISMATCH") << department_again.body;
  HttpResponse approved = Approve(Staff(school.id), department_approved);
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.String("state"), "OFFLINE_AGREEMENT_STATE_AWAITING_UPLOAD");

  HttpResponse uploaded = UploadPng(graduate, approved);
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(uploaded.String("statusText"), "签约鉴证中，等待学院鉴证");
  EXPECT_EQ(uploaded.String("reviewVerb"), "鉴证");
  HttpResponse signing_department = Approve(Department(school.id, kDepartment), uploaded);
  ASSERT_EQ(signing_department.status, 200) << signing_department.body;
  EXPECT_EQ(signing_department.String("statusText"), "签约鉴证中，等待学校鉴证");
  HttpResponse signed_record = Approve(Staff(school.id), signing_department);
  ASSERT_EQ(signed_record.status, 200) << signed_record.body;
  EXPECT_EQ(signed_record.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNED");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, graduate.id_number), "10");

  // Only a school user with 读写 voids.
  std::string void_body = absl::StrCat("{\"requestId\":", JsonQuote(NextRequestId("void")),
                                       ",\"etag\":", JsonQuote(signed_record.String("etag")),
                                       ",\"detail\":\"单位与学生协商一致解除协议\"}");
  HttpResponse department_void = Department(school.id, kDepartment).Post(RecordPath(signed_record, ":void"), void_body);
  EXPECT_EQ(department_void.status, 403) << department_void.body;
  HttpResponse read_only_void =
      Staff(school.id, common::v1::ACCESS_READ_ONLY).Post(RecordPath(signed_record, ":void"), void_body);
  EXPECT_EQ(read_only_void.status, 403) << read_only_void.body;
  HttpResponse voided = Staff(school.id).Post(RecordPath(signed_record, ":void"), void_body);
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.String("state"), "OFFLINE_AGREEMENT_STATE_VOIDED");
  EXPECT_EQ(voided.String("statusText"), "已作废");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, graduate.id_number), "70");
  EXPECT_EQ(LedgerState(graduate), kLedgerNone);
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.signing_void"), 1);
  auto agreement_voided = stack_->pool().Read<bool>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<bool> {
    auto row = s.QueryOne("SELECT voided_at IS NOT NULL FROM agreements WHERE flow = 'OFFLINE' AND record_id = ?",
                          {std::stoll(voided.String("id"))});
    if (!row.ok()) return row.status();
    return *row && (*row)->Int64(0) == 1;
  });
  ASSERT_TRUE(agreement_voided.ok()) << agreement_voided.status();
  EXPECT_TRUE(*agreement_voided) << "the agreement of a voided signing must verify as 已作废";

  // The voided record no longer blocks a new application.
  HttpResponse again = Create(graduate);
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(OfflineSigningHttpTest, ReturnKeepsAndRejectReleasesClaim) {
  School school = NewSchool(3, "REVIEW_MODE_SCHOOL_ONLY");

  // Agreement review: return, edit and resubmit, then reject.
  Graduate first = GraduateOf(school, 1);
  HttpResponse created = Create(first);
  ASSERT_EQ(created.status, 200) << created.body;
  HttpResponse no_detail = Review(Staff(school.id), created, "OFFLINE_REVIEW_DECISION_RETURN");
  EXPECT_EQ(no_detail.status, 400) << no_detail.body;
  HttpResponse returned = Review(Staff(school.id), created, "OFFLINE_REVIEW_DECISION_RETURN", "", "岗位名称填写不完整");
  ASSERT_EQ(returned.status, 200) << returned.body;
  EXPECT_EQ(returned.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_RETURNED");
  EXPECT_EQ(returned.String("statusText"), "就业协议退回修改");
  EXPECT_EQ(returned.String("reasonDetail"), "岗位名称填写不完整");
  EXPECT_EQ(LedgerState(first), kLedgerClaimed);
  HttpResponse resubmitted = Update(first, returned);
  ASSERT_EQ(resubmitted.status, 200) << resubmitted.body;
  EXPECT_EQ(resubmitted.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_REVIEW");
  EXPECT_EQ(resubmitted.String("employer.name"), "杭州青禾文化传媒有限公司（更正）");
  HttpResponse no_reason = Review(Staff(school.id), resubmitted, "OFFLINE_REVIEW_DECISION_REJECT", "", "单位不存在");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  HttpResponse rejected =
      Review(Staff(school.id), resubmitted, "OFFLINE_REVIEW_DECISION_REJECT", "EMPLOYER_DATA_INVALID", "单位不存在");
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_REJECTED");
  EXPECT_EQ(rejected.String("statusText"), "就业协议审核不通过");
  EXPECT_EQ(rejected.String("reasonCode"), "EMPLOYER_DATA_INVALID");
  EXPECT_EQ(LedgerState(first), kLedgerNone);
  // A rejected record ends: the graduate fills in a new one.
  HttpResponse edit_rejected = Update(first, rejected);
  EXPECT_EQ(edit_rejected.status, 400) << edit_rejected.body;
  HttpResponse fresh = Create(first);
  EXPECT_EQ(fresh.status, 200) << fresh.body;

  // Signing review: return, upload again, then reject.
  Graduate second = GraduateOf(school, 2);
  HttpResponse awaiting = ApprovedAgreement(school, second);
  HttpResponse uploaded = UploadPng(second, awaiting);
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  HttpResponse signing_returned =
      Review(Staff(school.id), uploaded, "OFFLINE_REVIEW_DECISION_RETURN", "", "图像不清晰，请重新上传");
  ASSERT_EQ(signing_returned.status, 200) << signing_returned.body;
  EXPECT_EQ(signing_returned.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_RETURNED");
  EXPECT_EQ(signing_returned.String("statusText"), "签约退回修改");
  EXPECT_EQ(LedgerState(second), kLedgerClaimed);
  HttpResponse reuploaded = UploadPng(second, signing_returned);
  ASSERT_EQ(reuploaded.status, 200) << reuploaded.body;
  EXPECT_EQ(reuploaded.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_REVIEW");
  HttpResponse signing_rejected =
      Review(Staff(school.id), reuploaded, "OFFLINE_REVIEW_DECISION_REJECT", "STAMP_MISSING", "未加盖公章");
  ASSERT_EQ(signing_rejected.status, 200) << signing_rejected.body;
  EXPECT_EQ(signing_rejected.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_REJECTED");
  EXPECT_EQ(signing_rejected.String("statusText"), "签约审核不通过");
  EXPECT_EQ(LedgerState(second), kLedgerNone);
  HttpResponse upload_rejected = UploadPng(second, signing_rejected);
  EXPECT_EQ(upload_rejected.status, 400) << upload_rejected.body;
  HttpResponse refill = Create(second);
  EXPECT_EQ(refill.status, 200) << refill.body;

  HttpResponse settings =
      Staff(school.id).Get(absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"));
  EXPECT_EQ(settings.Number("recordsInReview"), 2) << settings.body;
}

TEST_F(OfflineSigningHttpTest, WithdrawAtBothReviews) {
  School school = NewSchool(4, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse created = Create(graduate);
  ASSERT_EQ(created.status, 200) << created.body;
  HttpResponse withdrawn = Withdraw(graduate, created);
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(withdrawn.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_WITHDRAWN");
  EXPECT_EQ(LedgerState(graduate), kLedgerNone);
  HttpResponse resubmitted = Update(graduate, withdrawn);
  ASSERT_EQ(resubmitted.status, 200) << resubmitted.body;
  EXPECT_EQ(resubmitted.String("state"), "OFFLINE_AGREEMENT_STATE_AGREEMENT_REVIEW");
  EXPECT_EQ(LedgerState(graduate), kLedgerClaimed);

  // Once the department acted, the graduate can no longer withdraw.
  HttpResponse department_approved = Approve(Department(school.id, kDepartment), resubmitted);
  ASSERT_EQ(department_approved.status, 200) << department_approved.body;
  HttpResponse late = Withdraw(graduate, department_approved);
  EXPECT_EQ(late.status, 400) << late.body;
  HttpResponse approved = Approve(Staff(school.id), department_approved);
  ASSERT_EQ(approved.status, 200) << approved.body;

  HttpResponse uploaded = UploadPng(graduate, approved);
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  HttpResponse scan_withdrawn = Withdraw(graduate, uploaded);
  ASSERT_EQ(scan_withdrawn.status, 200) << scan_withdrawn.body;
  EXPECT_EQ(scan_withdrawn.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_WITHDRAWN");
  EXPECT_EQ(scan_withdrawn.String("statusText"), "签约已撤回，等待重新上传盖章协议");
  HttpResponse reuploaded = UploadPng(graduate, scan_withdrawn);
  ASSERT_EQ(reuploaded.status, 200) << reuploaded.body;
  EXPECT_EQ(reuploaded.String("state"), "OFFLINE_AGREEMENT_STATE_SIGNING_REVIEW");
  EXPECT_EQ(reuploaded.String("statusText"), "签约审核中，等待学院审核");
  EXPECT_EQ(LedgerState(graduate), kLedgerClaimed);
}

TEST_F(OfflineSigningHttpTest, IneligibleGraduatesCannotApply) {
  School school = NewSchool(5, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse directed = Create(GraduateOf(school, kGraduatesPerSchool));
  EXPECT_EQ(directed.status, 400) << directed.body;
  EXPECT_EQ(directed.String("reason"), "TRAINING_MODE_DIRECTED_ONLY") << directed.body;
  EXPECT_NE(directed.String("message").find("定向"), std::string::npos) << directed.body;

  School unsubmitted = NewSchool(6, "");
  HttpResponse no_settings = Create(GraduateOf(unsubmitted, 1));
  EXPECT_EQ(no_settings.status, 400) << no_settings.body;
  EXPECT_EQ(no_settings.String("reason"), "SETTINGS_NOT_SUBMITTED") << no_settings.body;

  // A class that closed on January 31 of the year after its graduation cannot act, even with
  // settings submitted.
  const int closed_class = ClassYear() - 2;
  School closed = NewSchool(7, "REVIEW_MODE_SCHOOL_ONLY", "41", accounts::v1::AGREEMENT_TYPE_THREE_PARTY, closed_class);
  HttpResponse closed_create = Create(GraduateOf(closed, 1, closed_class));
  EXPECT_EQ(closed_create.status, 400) << closed_create.body;
  EXPECT_EQ(closed_create.String("reason"), "CLASS_CLOSED") << closed_create.body;

  HttpResponse bad_code = Create(GraduateOf(school, 1), "", ContentJson("杭州青禾文化传媒有限公司", "91330100MA27XK2A4X"));
  EXPECT_EQ(bad_code.status, 400) << bad_code.body;
  EXPECT_EQ(bad_code.String("reason"), "INVALID_CREDIT_CODE") << bad_code.body;
  std::string unknown_industry = ContentJson();
  unknown_industry.replace(unknown_industry.find("\"industryCode\":\"11\""), 19, "\"industryCode\":\"99\"");
  HttpResponse bad_industry = Create(GraduateOf(school, 1), "", unknown_industry);
  EXPECT_EQ(bad_industry.status, 400) << bad_industry.body;
  EXPECT_EQ(bad_industry.String("reason"), "INVALID_CODE") << bad_industry.body;
  EXPECT_EQ(bad_industry.String("details.field"), "employer.industry_code") << bad_industry.body;

  // A graduate acts only for itself, and has one open application at a time.
  Graduate graduate = GraduateOf(school, 2);
  Graduate other = GraduateOf(school, 3);
  HttpResponse for_other = As(graduate).Post(
      absl::StrCat("/v1/schools/", school.id, "/graduates/", other.id, "/offlineAgreements"),
      absl::StrCat("{\"requestId\":\"for-other\",", ContentJson(), "}"));
  EXPECT_EQ(for_other.status, 403) << for_other.body;
  ASSERT_EQ(Create(graduate).status, 200);
  HttpResponse second = Create(graduate);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.String("reason"), "OFFLINE_AGREEMENT_OPEN") << second.body;
}

TEST_F(OfflineSigningHttpTest, ConcurrencyIdempotencyAndEtags) {
  School school = NewSchool(8, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);

  // A repeated request id creates one record.
  HttpResponse created = Create(graduate, "create-once");
  ASSERT_EQ(created.status, 200) << created.body;
  HttpResponse repeated = Create(graduate, "create-once");
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.String("id"), created.String("id"));

  // Two reviewers on one version: exactly one wins.
  HttpResponse results[2];
  std::thread a([&] { results[0] = Approve(Staff(school.id), created); });
  std::thread b([&] {
    results[1] = Approve(stack_->ClientFor(SchoolUser(school.id, "second-reviewer-" + school.id)), created);
  });
  a.join();
  b.join();
  const int ok = (results[0].status == 200) + (results[1].status == 200);
  const int conflict = (results[0].status == 409) + (results[1].status == 409);
  EXPECT_EQ(ok, 1) << results[0].body << results[1].body;
  EXPECT_EQ(conflict, 1) << results[0].body << results[1].body;
  const HttpResponse& approved = results[0].status == 200 ? results[0] : results[1];

  // A stale etag is a conflict, and a repeated upload request stores one submission.
  HttpResponse stale = Withdraw(graduate, created);
  EXPECT_EQ(stale.status, 409) << stale.body;
  HttpResponse uploaded = Upload(GraduateClaims(graduate), approved, filestore::testing::TinyPdf(), "application/pdf",
                                 "upload-once");
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  HttpResponse uploaded_again = Upload(GraduateClaims(graduate), approved, filestore::testing::TinyPdf(),
                                       "application/pdf", "upload-once");
  ASSERT_EQ(uploaded_again.status, 200) << uploaded_again.body;
  EXPECT_EQ(uploaded_again.String("etag"), uploaded.String("etag"));
  const std::string review_id = NextRequestId("review-once");
  HttpResponse signed_record = Review(Staff(school.id), uploaded, "OFFLINE_REVIEW_DECISION_APPROVE", "", "", review_id);
  ASSERT_EQ(signed_record.status, 200) << signed_record.body;
  HttpResponse signed_again = Review(Staff(school.id), uploaded, "OFFLINE_REVIEW_DECISION_APPROVE", "", "", review_id);
  ASSERT_EQ(signed_again.status, 200) << signed_again.body;
  EXPECT_EQ(signed_again.String("etag"), signed_record.String("etag"));
  HttpResponse detail = Staff(school.id).Get(RecordPath(created));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.Json().fields().at("history").list_value().values_size(), 4) << detail.body;
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.signing_approve"), 1);
}

TEST_F(OfflineSigningHttpTest, ScopeAndAccess) {
  School school = NewSchool(9, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  School other_school = NewSchool(10, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse created = Create(graduate);
  ASSERT_EQ(created.status, 200) << created.body;

  // Read-only staff and another department see or act on nothing they should not.
  HttpResponse read_only = Approve(stack_->ClientFor(DepartmentUser(school.id, "ro-" + school.id,
                                                                    common::v1::ACCESS_READ_ONLY)),
                                   created);
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse other_department = Department(school.id, kOtherDepartment).Get(RecordPath(created));
  EXPECT_EQ(other_department.status, 404) << other_department.body;
  HttpResponse other_department_list = Department(school.id, kOtherDepartment)
                                           .Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements"));
  ASSERT_EQ(other_department_list.status, 200) << other_department_list.body;
  EXPECT_EQ(Agreements(other_department_list).size(), 0u) << other_department_list.body;
  HttpResponse foreign_filter = Department(school.id, kOtherDepartment)
                                    .Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements?department=",
                                                      "%E8%AE%A1%E7%AE%97%E6%9C%BA%E5%AD%A6%E9%99%A2"));
  EXPECT_EQ(foreign_filter.status, 403) << foreign_filter.body;
  HttpResponse own_department = Department(school.id, kDepartment).Get(RecordPath(created));
  EXPECT_EQ(own_department.status, 200) << own_department.body;

  // Another school's staff get 403 for the school and 404 for the record under their own school.
  HttpResponse foreign_school = Staff(other_school.id).Get(RecordPath(created));
  EXPECT_EQ(foreign_school.status, 403) << foreign_school.body;
  HttpResponse foreign_list = Staff(other_school.id).Get(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements"));
  EXPECT_EQ(foreign_list.status, 403) << foreign_list.body;
  HttpResponse under_own_school = Staff(other_school.id)
                                      .Get(absl::StrCat("/v1/schools/", other_school.id, "/offlineAgreements/",
                                                        created.String("id")));
  EXPECT_EQ(under_own_school.status, 404) << under_own_school.body;

  // Another graduate of the same school gets the record as missing (404).
  HttpResponse other_graduate = As(GraduateOf(school, 2)).Get(RecordPath(created));
  EXPECT_EQ(other_graduate.status, 404) << other_graduate.body;
  HttpResponse own = As(graduate).Get(RecordPath(created));
  EXPECT_EQ(own.status, 200) << own.body;

  HttpResponse department_approved = Approve(Department(school.id, kDepartment), created);
  ASSERT_EQ(department_approved.status, 200) << department_approved.body;
  HttpResponse approved = Approve(Staff(school.id), department_approved);
  ASSERT_EQ(approved.status, 200) << approved.body;

  // Employers have no access to offline agreements.
  common::v1::IdentityClaims employer;
  employer.set_kind(common::v1::PRINCIPAL_KIND_EMPLOYER);
  employer.set_user_id("oe-" + school.id);
  employer.set_username("oe-" + school.id);
  employer.set_employer_id("1");
  HttpResponse employer_upload = Upload(employer, approved, filestore::testing::TinyJpeg(), "image/jpeg");
  EXPECT_EQ(employer_upload.status, 403) << employer_upload.body;
}

TEST_F(OfflineSigningHttpTest, RejectsBadAndLargeFiles) {
  School school = NewSchool(11, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate graduate = GraduateOf(school, 1);
  HttpResponse approved = ApprovedAgreement(school, graduate);
  ASSERT_EQ(approved.status, 200) << approved.body;

  // A page of HTML named as a JPEG is not an image.
  HttpResponse fake = Upload(GraduateClaims(graduate), approved, "<html><body>not a scan</body></html>", "image/jpeg");
  EXPECT_EQ(fake.status, 400) << fake.body;
  EXPECT_EQ(fake.String("reason"), "UNSUPPORTED_FILE_TYPE") << fake.body;
  EXPECT_NE(fake.String("message").find("不是 JPG、PNG 或 PDF 格式"), std::string::npos) << fake.body;

  // One byte over the 10 MiB limit is refused, by the gateway (413) or the service (400).
  const std::string large = filestore::testing::TinyPdf(filestore::kDefaultMaxFileBytes + 1 -
                                                        static_cast<int64_t>(filestore::testing::TinyPdf().size()));
  ASSERT_GT(static_cast<int64_t>(large.size()), filestore::kDefaultMaxFileBytes);
  HttpResponse too_large = Upload(GraduateClaims(graduate), approved, large, "application/pdf");
  EXPECT_TRUE(too_large.status == 400 || too_large.status == 413) << too_large.status << too_large.body;
  EXPECT_FALSE(too_large.String("message").empty()) << too_large.body;

  // Neither changed the record.
  HttpResponse current = As(graduate).Get(RecordPath(approved));
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(current.String("etag"), approved.String("etag"));
  EXPECT_EQ(current.String("state"), "OFFLINE_AGREEMENT_STATE_AWAITING_UPLOAD");
}

TEST_F(OfflineSigningHttpTest, BatchReviewReportsEachRecord) {
  School school = NewSchool(12, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse first = Create(GraduateOf(school, 1));
  HttpResponse second = Create(GraduateOf(school, 2));
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(second.status, 200) << second.body;
  std::string body = absl::StrCat(
      "{\"requestId\":\"batch-", school.id, "\",\"decision\":\"OFFLINE_REVIEW_DECISION_APPROVE\",\"items\":[",
      "{\"agreementId\":", JsonQuote(first.String("id")), ",\"etag\":", JsonQuote(first.String("etag")), "},",
      "{\"agreementId\":", JsonQuote(second.String("id")), ",\"etag\":\"99\"}]}");
  HttpResponse batch = Staff(school.id).Post(absl::StrCat("/v1/schools/", school.id, "/offlineAgreements:batchReview"), body);
  ASSERT_EQ(batch.status, 200) << batch.body;
  const google::protobuf::Struct json = batch.Json();
  const auto& results = json.fields().at("results").list_value().values();
  ASSERT_EQ(results.size(), 2) << batch.body;
  EXPECT_TRUE(results[0].struct_value().fields().at("ok").bool_value()) << batch.body;
  EXPECT_EQ(Field(results[1].struct_value(), "reason"), "STALE_VERSION") << batch.body;
  HttpResponse awaiting = Staff(school.id).Get(
      absl::StrCat("/v1/schools/", school.id, "/offlineAgreements?status=OFFLINE_STATUS_FILTER_AWAITING_UPLOAD"));
  ASSERT_EQ(awaiting.status, 200) << awaiting.body;
  ASSERT_EQ(Agreements(awaiting).size(), 1u) << awaiting.body;
  EXPECT_EQ(Field(Agreements(awaiting)[0], "id"), first.String("id"));
  EXPECT_EQ(AuditCount(school.id, "offline_agreement.batch_agreement_approve"), 1);
}

// The flow and record that hold `graduate` in sync's ledger, or (-1, "") without a ledger row.
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

TEST_F(OfflineSigningHttpTest, StaleClaimJobReleasesLostClaims) {
  School school = NewSchool(16, "REVIEW_MODE_SCHOOL_ONLY");
  Graduate pending_graduate = GraduateOf(school, 1);
  Graduate awaiting_scan_graduate = GraduateOf(school, 2);
  Graduate withdrawn_graduate = GraduateOf(school, 3);
  HttpResponse pending = Create(pending_graduate);
  ASSERT_EQ(pending.status, 200) << pending.body;
  HttpResponse awaiting_scan = ApprovedAgreement(school, awaiting_scan_graduate);
  ASSERT_EQ(awaiting_scan.String("state"), "OFFLINE_AGREEMENT_STATE_AWAITING_UPLOAD") << awaiting_scan.body;
  HttpResponse created = Create(withdrawn_graduate);
  ASSERT_EQ(created.status, 200) << created.body;
  HttpResponse withdrawn = Withdraw(withdrawn_graduate, created);
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  ASSERT_EQ(LedgerState(withdrawn_graduate), kLedgerNone);

  // A claim that signing made for the withdrawn record but whose transaction never committed,
  // as when the process dies between sync's commit and its own.
  LedgerCall lost{LedgerFlow::kOfflineAgreement, "lost-offline-" + school.id, std::stoll(school.id),
                  std::stoll(withdrawn_graduate.id), withdrawn.String("id")};
  ASSERT_TRUE(stack_->peers().ClaimGraduate(absl::Now() + absl::Seconds(10), lost).ok());
  ASSERT_EQ(LedgerHolder(stack_->sync_pool(), withdrawn_graduate.id).second, withdrawn.String("id"));

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
  EXPECT_EQ(LedgerHolder(stack_->sync_pool(), withdrawn_graduate.id).second, "");
  for (const auto& [graduate, record] : {std::make_pair(pending_graduate, pending),
                                         std::make_pair(awaiting_scan_graduate, awaiting_scan)}) {
    std::pair<int64_t, std::string> kept = LedgerHolder(stack_->sync_pool(), graduate.id);
    EXPECT_EQ(kept.first, static_cast<int64_t>(sync::v1::FLOW_OFFLINE_AGREEMENT));
    EXPECT_EQ(kept.second, record.String("id"));
  }

  // With the claim gone, the withdrawn agreement can be submitted again.
  HttpResponse resubmitted = Update(withdrawn_graduate, withdrawn);
  EXPECT_EQ(resubmitted.status, 200) << resubmitted.body;
  EXPECT_EQ(LedgerState(withdrawn_graduate), kLedgerClaimed);
}

TEST_F(OfflineSigningHttpTest, CheckOfflineClaimsOnlyForSync) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()), grpc::InsecureChannelCredentials());
  auto stub = v1::OfflineSigningService::NewStub(channel);
  auto call = [&](const std::string& service_name, const v1::CheckClaimsRequest& request,
                  v1::CheckClaimsResponse* response) {
    common::v1::IdentityClaims claims = PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "osvc-" + service_name);
    claims.set_service_name(service_name);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer " + stack_->Sign(claims));
    return stub->CheckOfflineClaims(&context, request, response);
  };

  v1::CheckClaimsRequest request;
  request.add_record_ids("999999999");
  request.add_record_ids("not-a-number");
  v1::CheckClaimsResponse response;
  EXPECT_EQ(call("signing", request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status checked = call("sync", request, &response);
  ASSERT_TRUE(checked.ok()) << checked.error_message();
  ASSERT_EQ(response.checks_size(), 2);
  EXPECT_EQ(response.checks(0).record_id(), "999999999");
  EXPECT_FALSE(response.checks(0).in_flight());
  EXPECT_FALSE(response.checks(1).in_flight());

  v1::CheckClaimsRequest too_many;
  for (int i = 1; i <= 501; ++i) too_many.add_record_ids(std::to_string(i));
  EXPECT_EQ(call("sync", too_many, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace quxiang::signing::testing

// Acceptance tests of the review page's comparison with the EMS and of 获取最新学生信息 over HTTP,
// through the real gateway binary in front of the sync service on a real MariaDB. The EMS
// simulator changes a graduate's record as a school does in the EMS; the roster feed does not
// run afterwards, so the platform's copy keeps the old values until the refresh.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;

constexpr int kClass = 2025;
constexpr char kSchoolCode[] = "4141030001";
constexpr char kOtherSchoolCode[] = "4141030002";
constexpr char kLiterature[] = "文学院";
constexpr char kComputing[] = "计算机学院";
constexpr int kFirstSerial = 300;
constexpr int kGraduates = 12;

class EmsComparisonHttpTest : public ::testing::Test {
 protected:
  // 12 graduates: even serials in 文学院, odd ones in 计算机学院. Another school has one.
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_ems_comparison", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_id_ = new std::string(stack_->CreateSchool(kSchoolCode, "比对大学"));
    other_school_id_ = new std::string(stack_->CreateSchool(kOtherSchoolCode, "另一所比对大学"));
    std::vector<ems::v1::RosterGraduate> records;
    for (int serial = kFirstSerial; serial < kFirstSerial + kGraduates; ++serial) records.push_back(Record(serial));
    stack_->UploadRoster(kSchoolCode, kClass, records);
    stack_->UploadRoster(kOtherSchoolCode, kClass, {RosterRecord(kOtherSchoolCode, kClass, 399, kLiterature)});
    stack_->RunRosterFeed();
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static ems::v1::RosterGraduate Record(int serial) {
    return RosterRecord(kSchoolCode, kClass, serial, serial % 2 == 0 ? kLiterature : kComputing);
  }

  // Stores `record` in the EMS simulator only, as a school's correction in the EMS.
  static void ChangeInEms(const ems::v1::RosterGraduate& record) { stack_->UploadRoster(kSchoolCode, kClass, {record}); }

  static std::string IdOf(int serial) { return stack_->GraduateIdOf(*school_id_, IdNumber(serial)); }

  static std::string ComparisonPath(const std::string& graduate_id) {
    return absl::StrCat("/v1/schools/", *school_id_, "/graduates/", graduate_id, "/emsComparison");
  }
  static std::string RefreshPath(const std::string& graduate_id) {
    return absl::StrCat("/v1/schools/", *school_id_, "/graduates/", graduate_id, ":refreshFromEms");
  }
  static std::string RefreshBody(const std::string& request_id, const std::string& etag) {
    return absl::StrCat(R"({"requestId":")", request_id, R"(","etag":")", etag, R"("})");
  }

  static ApiClient School(common::v1::Access access = common::v1::ACCESS_READ_WRITE) {
    return stack_->ClientFor(
        SchoolUser(*school_id_, absl::StrCat("comparison-school-", static_cast<int>(access)), access));
  }
  static ApiClient Department(const std::string& name, common::v1::Access access = common::v1::ACCESS_READ_WRITE) {
    return stack_->ClientFor(DepartmentUser(
        *school_id_, absl::StrCat("comparison-department-", name.size(), "-", static_cast<int>(access)), name, access));
  }

  // Returns the comparison row of `field` and fails the test when it is missing.
  static google::protobuf::Struct Row(const HttpResponse& response, const std::string& field) {
    for (const google::protobuf::Struct& row : Items(response, "fields")) {
      if (Field(row, "field") == field) return row;
    }
    ADD_FAILURE() << "no comparison row for " << field << " in " << response.body;
    return {};
  }

  static int64_t CountRows(const std::string& sql, const std::vector<db::Param>& params) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10),
                                                          [&](db::Session& s) { return s.QueryOne(sql, params); });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
  static std::string* other_school_id_;
};

SyncStack* EmsComparisonHttpTest::stack_ = nullptr;
std::string* EmsComparisonHttpTest::skip_reason_ = nullptr;
std::string* EmsComparisonHttpTest::school_id_ = nullptr;
std::string* EmsComparisonHttpTest::other_school_id_ = nullptr;

TEST_F(EmsComparisonHttpTest, EqualRecordsShowNoDifference) {
  HttpResponse response = School(common::v1::ACCESS_READ_ONLY).Get(ComparisonPath(IdOf(kFirstSerial)));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Number("refreshableDifferenceCount"), 0);
  EXPECT_EQ(response.Number("blockingDifferenceCount"), 0);
  EXPECT_EQ(response.String("message"), "");
  std::vector<google::protobuf::Struct> rows = Items(response, "fields");
  EXPECT_EQ(rows.size(), 18u);
  for (const auto& row : rows) EXPECT_NE(Field(row, "differs"), "true") << Field(row, "field");

  // The ID number is compared but shown masked and never taken over.
  google::protobuf::Struct id_number = Row(response, "id_number");
  EXPECT_EQ(Field(id_number, "platformValue").substr(6, 8), "********");
  EXPECT_NE(Field(id_number, "refreshable"), "true");
  EXPECT_EQ(response.body.find(IdNumber(kFirstSerial)), std::string::npos);
  EXPECT_EQ(Field(Row(response, "political_status"), "refreshable"), "true");
  EXPECT_NE(Field(Row(response, "name"), "refreshable"), "true");
}

TEST_F(EmsComparisonHttpTest, CompareShowsFieldChangedInEms) {
  const int serial = kFirstSerial + 1;
  ems::v1::RosterGraduate changed = Record(serial);
  changed.set_political_status_code("01");
  changed.set_political_status("中共党员");
  ChangeInEms(changed);

  HttpResponse response = School(common::v1::ACCESS_READ_ONLY).Get(ComparisonPath(IdOf(serial)));
  ASSERT_EQ(response.status, 200) << response.body;
  google::protobuf::Struct row = Row(response, "political_status");
  EXPECT_EQ(Field(row, "label"), "政治面貌");
  EXPECT_EQ(Field(row, "platformValue"), "共青团员");
  EXPECT_EQ(Field(row, "emsValue"), "中共党员");
  EXPECT_EQ(Field(row, "differs"), "true");
  EXPECT_EQ(Field(row, "refreshable"), "true");
  EXPECT_NE(Field(Row(response, "name"), "differs"), "true");
  EXPECT_EQ(response.Number("refreshableDifferenceCount"), 2);
  EXPECT_EQ(response.Number("blockingDifferenceCount"), 0);
  EXPECT_NE(response.String("message").find("获取最新学生信息"), std::string::npos) << response.body;
}

TEST_F(EmsComparisonHttpTest, RefreshTakesOverAllowedFields) {
  const int serial = kFirstSerial + 2;
  const std::string graduate_id = IdOf(serial);
  ems::v1::RosterGraduate changed = Record(serial);
  changed.set_political_status_code("01");
  changed.set_political_status("中共党员");
  changed.set_department(kComputing);
  ChangeInEms(changed);

  ApiClient school = School();
  HttpResponse comparison = school.Get(ComparisonPath(graduate_id));
  ASSERT_EQ(comparison.status, 200) << comparison.body;
  const std::string etag = comparison.String("etag");
  ASSERT_FALSE(etag.empty());

  HttpResponse refreshed = school.Post(RefreshPath(graduate_id), RefreshBody("refresh-allowed-1", etag));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(refreshed.String("graduate.record.politicalStatus"), "中共党员");
  EXPECT_EQ(refreshed.String("graduate.record.department"), kComputing);
  EXPECT_TRUE(Items(refreshed, "remainingDifferences").empty()) << refreshed.body;
  EXPECT_NE(refreshed.String("message").find("政治面貌"), std::string::npos) << refreshed.body;
  EXPECT_NE(refreshed.String("graduate.etag"), etag);

  // The detail shows the new values and the comparison no difference.
  HttpResponse detail = school.Get(absl::StrCat("/v1/schools/", *school_id_, "/graduates/", graduate_id));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.String("record.politicalStatus"), "中共党员");
  EXPECT_EQ(detail.String("record.department"), kComputing);
  HttpResponse after = school.Get(ComparisonPath(graduate_id));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.Number("refreshableDifferenceCount"), 0);

  // The same request again returns the first response, and a new one with the old etag is stale.
  HttpResponse repeated = school.Post(RefreshPath(graduate_id), RefreshBody("refresh-allowed-1", etag));
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.String("graduate.etag"), refreshed.String("graduate.etag"));
  HttpResponse stale = school.Post(RefreshPath(graduate_id), RefreshBody("refresh-allowed-2", etag));
  EXPECT_EQ(stale.status, 409) << stale.body;

  // One audit entry, one roster event, and counters that still equal a recount.
  const int64_t graduate = std::stoll(graduate_id);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM audit_log WHERE action = 'GRADUATE_REFRESHED_FROM_EMS' AND target_id = ?",
                      {graduate_id}),
            1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND type LIKE '%GraduateRosterChanged'",
                      {std::to_string(graduate)}),
            2);  // the insert by the feed and the refresh
  HttpResponse recount = school.Post(
      absl::StrCat("/v1/schools/", *school_id_, "/classes/", kClass, "/statistics:recount"),
      R"({"requestId":"recount-after-refresh"})");
  ASSERT_EQ(recount.status, 200) << recount.body;
  EXPECT_EQ(recount.Number("correctedRows"), 0) << recount.body;
}

TEST_F(EmsComparisonHttpTest, RefreshRejectsNameOnlyDifference) {
  const int serial = kFirstSerial + 4;
  const std::string graduate_id = IdOf(serial);
  ems::v1::RosterGraduate changed = Record(serial);
  changed.set_name("改名后");
  ChangeInEms(changed);

  ApiClient school = School();
  HttpResponse comparison = school.Get(ComparisonPath(graduate_id));
  ASSERT_EQ(comparison.status, 200) << comparison.body;
  EXPECT_EQ(Field(Row(comparison, "name"), "differs"), "true");
  EXPECT_EQ(comparison.Number("blockingDifferenceCount"), 1);
  EXPECT_NE(comparison.String("message").find("审核不通过"), std::string::npos) << comparison.body;

  HttpResponse refused =
      school.Post(RefreshPath(graduate_id), RefreshBody("refresh-name-1", comparison.String("etag")));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.String("reason"), "EMS_DIFFERENCES_NOT_REFRESHABLE");
  EXPECT_NE(refused.String("message").find("姓名"), std::string::npos) << refused.body;
  EXPECT_NE(refused.String("message").find("就业管理系统中修改"), std::string::npos) << refused.body;

  HttpResponse detail = school.Get(absl::StrCat("/v1/schools/", *school_id_, "/graduates/", graduate_id));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.String("record.name"), Record(serial).name());
}

TEST_F(EmsComparisonHttpTest, RefreshLeavesNameAndSaysWhatRemains) {
  const int serial = kFirstSerial + 6;
  const std::string graduate_id = IdOf(serial);
  ems::v1::RosterGraduate changed = Record(serial);
  changed.set_name("新名字");
  changed.set_schooling_length("5");
  changed.set_major_code("050101");
  changed.set_major_name("汉语言文学");
  ChangeInEms(changed);

  ApiClient school = School();
  HttpResponse comparison = school.Get(ComparisonPath(graduate_id));
  ASSERT_EQ(comparison.status, 200) << comparison.body;
  HttpResponse refreshed =
      school.Post(RefreshPath(graduate_id), RefreshBody("refresh-mixed-1", comparison.String("etag")));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(refreshed.String("graduate.record.schoolingLength"), "5");
  EXPECT_EQ(refreshed.String("graduate.record.name"), Record(serial).name());
  EXPECT_EQ(refreshed.String("graduate.record.majorCode"), Record(serial).major_code());

  std::vector<std::string> remaining;
  for (const auto& row : Items(refreshed, "remainingDifferences")) remaining.push_back(Field(row, "field"));
  EXPECT_EQ(remaining, (std::vector<std::string>{"name", "major_code", "major_name"}));
  const std::string message = refreshed.String("message");
  EXPECT_NE(message.find("学制"), std::string::npos) << message;
  EXPECT_NE(message.find("姓名"), std::string::npos) << message;
  EXPECT_NE(message.find("审核不通过"), std::string::npos) << message;
}

TEST_F(EmsComparisonHttpTest, ScopeAndGrantsAreChecked) {
  const int serial = kFirstSerial + 8;  // 文学院
  const std::string graduate_id = IdOf(serial);
  ems::v1::RosterGraduate changed = Record(serial);
  changed.set_gender_code("1");
  changed.set_gender("男");
  ChangeInEms(changed);

  HttpResponse first = School(common::v1::ACCESS_READ_ONLY).Get(ComparisonPath(graduate_id));
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string etag = first.String("etag");

  // Read-only staff compare but do not refresh.
  HttpResponse read_only = School(common::v1::ACCESS_READ_ONLY).Post(RefreshPath(graduate_id), RefreshBody("scope-1", etag));
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse department_read_only =
      Department(kLiterature, common::v1::ACCESS_READ_ONLY).Post(RefreshPath(graduate_id), RefreshBody("scope-2", etag));
  EXPECT_EQ(department_read_only.status, 403) << department_read_only.body;

  // Another department gets NOT_FOUND, as for a missing graduate.
  EXPECT_EQ(Department(kComputing).Get(ComparisonPath(graduate_id)).status, 404);
  EXPECT_EQ(Department(kComputing).Post(RefreshPath(graduate_id), RefreshBody("scope-3", etag)).status, 404);

  // Another school's user and a graduate are refused.
  ApiClient other_school = stack_->ClientFor(SchoolUser(*other_school_id_, "comparison-other-school"));
  EXPECT_EQ(other_school.Get(ComparisonPath(graduate_id)).status, 403);
  ApiClient graduate = stack_->ClientFor(GraduateUser(*school_id_, graduate_id));
  EXPECT_EQ(graduate.Get(ComparisonPath(graduate_id)).status, 403);
  EXPECT_EQ(graduate.Post(RefreshPath(graduate_id), RefreshBody("scope-4", etag)).status, 403);

  // Unknown ids and a missing request id.
  EXPECT_EQ(School().Get(ComparisonPath("999999999")).status, 404);
  EXPECT_EQ(School().Post(RefreshPath(graduate_id), RefreshBody("", etag)).status, 400);

  // The department's own read-write user refreshes its graduate.
  HttpResponse refreshed = Department(kLiterature).Post(RefreshPath(graduate_id), RefreshBody("scope-5", etag));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(refreshed.String("graduate.record.gender"), "男");
}

TEST_F(EmsComparisonHttpTest, UnavailableEmsIsReported) {
  ems::v1::Faults faults;
  faults.set_down(true);
  ems::v1::Faults applied;
  ASSERT_TRUE(stack_->ems().SetFaults(faults, &applied).ok());
  HttpResponse response = School().Get(ComparisonPath(IdOf(kFirstSerial + 10)));
  ASSERT_TRUE(stack_->ems().SetFaults(ems::v1::Faults(), &applied).ok());
  EXPECT_EQ(response.status, 503) << response.body;
  EXPECT_EQ(response.String("reason"), "EMS_UNAVAILABLE");
}

}  // namespace
}  // namespace quxiang::sync::testing

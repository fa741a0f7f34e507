// Acceptance tests over HTTP of the code tables and of CheckEligibility, with the fake clock at
// the class deadline.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/sync/eligibility.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;

constexpr char kSchoolCode[] = "4141020001";

class CodesEligibilityHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_codes_eligibility", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_id_ = new std::string(stack_->CreateSchool(kSchoolCode, "资格大学"));
    ems::v1::RosterGraduate regular = RosterRecord(kSchoolCode, 2022, 300, "文学院");
    ems::v1::RosterGraduate directed = RosterRecord(kSchoolCode, 2022, 301, "文学院");
    directed.set_training_mode_code("21");
    directed.set_training_mode("定向（不可网签）");
    ems::v1::RosterGraduate other_department = RosterRecord(kSchoolCode, 2022, 302, "理学院");
    stack_->UploadRoster(kSchoolCode, 2022, {regular, directed, other_department});
    stack_->RunRosterFeed();
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static std::string EligibilityPath(int serial, const std::string& flow) {
    return absl::StrCat("/v1/schools/", *school_id_, "/graduates/", stack_->GraduateIdOf(*school_id_, IdNumber(serial)),
                        "/eligibility?flow=", flow);
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
};

SyncStack* CodesEligibilityHttpTest::stack_ = nullptr;
std::string* CodesEligibilityHttpTest::skip_reason_ = nullptr;
std::string* CodesEligibilityHttpTest::school_id_ = nullptr;

TEST_F(CodesEligibilityHttpTest, ListsTablesOfClass) {
  ApiClient client = stack_->ClientFor(GraduateUser(*school_id_, "1"));
  HttpResponse response = client.Get("/v1/codeTables?classYear=2022");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Number("classYear"), 2022);
  std::vector<google::protobuf::Struct> tables = Items(response, "tables");
  EXPECT_EQ(tables.size(), 12u);
  bool found = false;
  for (const auto& table : tables) {
    if (Field(table, "table") != "destination-codes") continue;
    found = true;
    EXPECT_EQ(Field(table, "displayName"), "毕业去向代码");
  }
  EXPECT_TRUE(found);

  // Without a class: the class graduating this year on the fake clock (2025).
  HttpResponse current = client.Get("/v1/codeTables");
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(current.Number("classYear"), 2025);
}

TEST_F(CodesEligibilityHttpTest, DestinationCodesFollowClass) {
  ApiClient client = stack_->ClientFor(SchoolUser(*school_id_, "codes-user"));
  auto codes_of = [&](int class_year) {
    HttpResponse response = client.Get(absl::StrCat("/v1/codeTables/destination-codes?classYear=", class_year));
    EXPECT_EQ(response.status, 200) << response.body;
    std::set<std::string> codes;
    for (const auto& code : Items(response, "codes")) codes.insert(Field(code, "code"));
    return codes;
  };
  std::set<std::string> class_2022 = codes_of(2022);
  std::set<std::string> class_2024 = codes_of(2024);
  EXPECT_EQ(class_2022.count("27"), 1u);
  EXPECT_EQ(class_2022.count("271"), 0u);
  EXPECT_EQ(class_2024.count("271"), 1u);
  EXPECT_EQ(class_2024.count("27"), 0u);

  HttpResponse modes = client.Get("/v1/codeTables/training-modes?classYear=2024");
  ASSERT_EQ(modes.status, 200) << modes.body;
  std::map<std::string, std::string> online_signing;
  for (const auto& mode : Items(modes, "codes")) online_signing[Field(mode, "code")] = Field(mode, "onlineSigning");
  EXPECT_EQ(online_signing["21"], "false");
  EXPECT_EQ(online_signing["22"], "true");
}

TEST_F(CodesEligibilityHttpTest, BadTableRequestsAreRejected) {
  ApiClient client = stack_->ClientFor(SchoolUser(*school_id_, "codes-user"));
  HttpResponse unknown = client.Get("/v1/codeTables/colors");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.String("reason"), "CODE_TABLE_NOT_FOUND");
  EXPECT_EQ(client.Get("/v1/codeTables/genders?classYear=1999").status, 400);
  quxiang::testing::HttpClient anonymous(stack_->http_port());
  EXPECT_EQ(anonymous.Get("/v1/codeTables").status, 401);
}

TEST_F(CodesEligibilityHttpTest, ClassRuleAtTheBoundaryInBeijing) {
  ApiClient client = stack_->ClientFor(ServicePrincipal("signing"));

  stack_->clock().Set(absl::FromCivil(absl::CivilSecond(2023, 1, 31, 23, 59, 59), BeijingTimeZone()));
  HttpResponse last_second = client.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING"));
  ASSERT_EQ(last_second.status, 200) << last_second.body;
  EXPECT_EQ(last_second.String("eligible"), "true");
  EXPECT_EQ(last_second.String("classClosesAt"), "2023-01-31T16:00:00Z");

  stack_->clock().Set(absl::FromCivil(absl::CivilSecond(2023, 2, 1, 0, 0, 0), BeijingTimeZone()));
  HttpResponse closed = client.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING"));
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.String("eligible"), "false");
  EXPECT_EQ(closed.String("reason"), "CLASS_CLOSED");
  EXPECT_NE(closed.String("message").find("2022届"), std::string::npos);

  stack_->clock().Set(StartTime());
}

TEST_F(CodesEligibilityHttpTest, DirectedGraduateOnlySupplement) {
  stack_->clock().Set(absl::FromCivil(absl::CivilSecond(2022, 6, 1, 9, 0, 0), BeijingTimeZone()));
  std::string graduate_id = stack_->GraduateIdOf(*school_id_, IdNumber(301));
  ApiClient graduate = stack_->ClientFor(GraduateUser(*school_id_, graduate_id));

  HttpResponse signing = graduate.Get(EligibilityPath(301, "FLOW_ONLINE_SIGNING"));
  ASSERT_EQ(signing.status, 200) << signing.body;
  EXPECT_EQ(signing.String("eligible"), "false");
  EXPECT_EQ(signing.String("reason"), "TRAINING_MODE_DIRECTED_ONLY");
  HttpResponse supplement = graduate.Get(EligibilityPath(301, "FLOW_DIRECTED_TRAINING_SUPPLEMENT"));
  EXPECT_EQ(supplement.String("eligible"), "true") << supplement.body;

  // A graduate may check only itself, and an unknown flow is a bad request.
  EXPECT_EQ(graduate.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING")).status, 403);
  EXPECT_EQ(graduate.Get(EligibilityPath(301, "FLOW_UNSPECIFIED")).status, 400);
  stack_->clock().Set(StartTime());
}

TEST_F(CodesEligibilityHttpTest, EligibilityIsScoped) {
  ApiClient department = stack_->ClientFor(DepartmentUser(*school_id_, "eligibility-department", "文学院"));
  EXPECT_EQ(department.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING")).status, 200);
  EXPECT_EQ(department.Get(EligibilityPath(302, "FLOW_ONLINE_SIGNING")).status, 404);

  ApiClient unknown_service = stack_->ClientFor(ServicePrincipal("warning"));
  EXPECT_EQ(unknown_service.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING")).status, 403);
  ApiClient employer = stack_->ClientFor([] {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_EMPLOYER);
    claims.set_user_id("employer-1");
    claims.set_employer_id("1");
    return claims;
  }());
  EXPECT_EQ(employer.Get(EligibilityPath(300, "FLOW_ONLINE_SIGNING")).status, 403);
}

}  // namespace
}  // namespace quxiang::sync::testing

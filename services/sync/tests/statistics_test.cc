// Acceptance tests of the statistics: the counters after a random sequence of ledger and roster
// changes equal a recount, the rates follow the 2021 and 2024 definitions, and department users
// see only their department.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

constexpr int kClass = 2025;

std::string StatisticsPath(const std::string& school_id) {
  return absl::StrCat("/v1/schools/", school_id, "/classes/", kClass, "/statistics");
}

class StatisticsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_statistics", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static HttpResponse Ledger(const std::string& school_id, const std::string& graduate_id, const std::string& action,
                             const std::string& body) {
    static ApiClient* const kDestination = new ApiClient(stack_->ClientFor(ServicePrincipal("destination")));
    return kDestination->Post(absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, "/ledger", action),
                              body);
  }

  static std::string Body(const std::string& request_id, const std::string& flow, const std::string& record_id,
                          const std::string& extra = "") {
    return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"flow\":", JsonQuote(flow),
                        ",\"recordId\":", JsonQuote(record_id), extra, "}");
  }

  // Claims and commits `code` through `flow`; fails the test unless both succeed.
  static void GiveDestination(const std::string& school_id, const std::string& graduate_id, const std::string& flow,
                              const std::string& code) {
    std::string record = absl::StrCat("rec-", graduate_id);
    HttpResponse claimed = Ledger(school_id, graduate_id, ":claim", Body(absl::StrCat("c-", graduate_id), flow, record));
    ASSERT_EQ(claimed.status, 200) << claimed.body;
    HttpResponse committed =
        Ledger(school_id, graduate_id, ":commit",
               Body(absl::StrCat("m-", graduate_id), flow, record,
                    absl::StrCat(",\"destination\":{\"destinationCode\":", JsonQuote(code), "}")));
    ASSERT_EQ(committed.status, 200) << committed.body;
  }

  static int64_t CountInDatabase(const std::string& sql, const std::string& school_id) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s.QueryOne(sql, {static_cast<int64_t>(std::stoll(school_id))});
    });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
};

SyncStack* StatisticsTest::stack_ = nullptr;
std::string* StatisticsTest::skip_reason_ = nullptr;

TEST_F(StatisticsTest, RandomChangesEqualRecount) {
  const std::string code = "4141050001";
  std::string school_id = stack_->CreateSchool(code, "统计大学");
  const std::vector<std::string> departments = {"文学院", "理学院", "工学院"};
  std::vector<ems::v1::RosterGraduate> roster;
  for (int i = 0; i < 40; ++i) {
    ems::v1::RosterGraduate record = RosterRecord(code, kClass, 600 + i, departments[i % 3]);
    if (i % 4 == 0) {
      record.set_major_code("050101");
      record.set_major_name("汉语言文学");
    }
    if (i % 5 == 0) {
      record.set_education_level_code("11");
      record.set_education_level("硕士生毕业");
    }
    roster.push_back(record);
  }
  stack_->UploadRoster(code, kClass, roster);
  stack_->RunRosterFeed();
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(stack_->GraduateIdOf(school_id, IdNumber(600 + i)));

  const std::vector<std::string> flows = {"FLOW_ONLINE_SIGNING", "FLOW_OFFLINE_AGREEMENT", "FLOW_PAPER_AGREEMENT",
                                          "FLOW_DESTINATION_REGISTRATION"};
  const std::vector<std::string> codes = {"10", "11", "12", "271", "46", "502", "75", "76", "801", "85", "70", "71"};
  std::mt19937 random(20250601);
  // The flow and record that claimed each graduate.
  std::map<int, std::pair<std::string, std::string>> holders;
  int requests = 0;
  int ledger_changes = 0;
  for (int step = 0; step < 300; ++step) {
    int index = static_cast<int>(random() % ids.size());
    const std::string& graduate_id = ids[index];
    std::string request_id = absl::StrCat("step-", step);
    int action = static_cast<int>(random() % 10);
    auto holder = holders.find(index);
    if (action <= 5) {
      // Claim when free, else commit (or modify) or release or void.
      if (holder == holders.end()) {
        std::string flow = flows[random() % flows.size()];
        std::string record = absl::StrCat("r", step);
        HttpResponse claimed = Ledger(school_id, graduate_id, ":claim", Body(request_id, flow, record));
        if (claimed.status == 200) holders[index] = {flow, record};
      } else if (action <= 3) {
        HttpResponse committed = Ledger(school_id, graduate_id, ":commit",
                                        Body(request_id, holder->second.first, holder->second.second,
                                             absl::StrCat(",\"destination\":{\"destinationCode\":",
                                                          JsonQuote(codes[random() % codes.size()]), "}")));
        ledger_changes += committed.status == 200;
      } else {
        HttpResponse voided = Ledger(school_id, graduate_id, ":void",
                                     Body(request_id, holder->second.first, holder->second.second,
                                          ",\"reason\":\"VOID_REASON_VOIDED\""));
        if (voided.status == 200) {
          holders.erase(holder);
          ++ledger_changes;
        } else {
          HttpResponse released =
              Ledger(school_id, graduate_id, ":release", Body(request_id, holder->second.first, holder->second.second));
          if (released.status == 200) holders.erase(holder);
        }
      }
      ++requests;
    } else if (action <= 7) {
      // The roster moves the graduate to another department or gender.
      ems::v1::RosterGraduate record = roster[index];
      record.set_department(departments[random() % departments.size()]);
      record.set_gender_code(random() % 2 ? "1" : "2");
      roster[index] = record;
      stack_->UploadRoster(code, kClass, {record});
      stack_->RunRosterFeed();
    } else if (action == 8) {
      ems::v1::RemoveGraduateRequest remove;
      remove.set_school_code(code);
      remove.set_id_number(IdNumber(600 + index));
      ems::v1::RosterChange change;
      if (stack_->ems().RemoveGraduate(remove, &change).ok()) stack_->RunRosterFeed();
    } else {
      ems::v1::ReAddGraduateRequest readd;
      readd.set_school_code(code);
      readd.set_id_number(IdNumber(600 + index));
      ems::v1::RosterChange change;
      if (stack_->ems().ReAddGraduate(readd, &change).ok()) {
        stack_->RunRosterFeed();
        if (random() % 2) {
          stack_->clock().Advance(absl::Hours(1));
          ASSERT_TRUE(stack_->graduates().RestoreDue(100, absl::Hours(1)).ok());
        }
      }
    }
  }
  EXPECT_GT(ledger_changes, 30);
  EXPECT_GT(requests, 100);

  ApiClient school = stack_->ClientFor(SchoolUser(school_id, "statistics-user"));
  HttpResponse before = school.Get(StatisticsPath(school_id));
  ASSERT_EQ(before.status, 200) << before.body;

  HttpResponse recount = school.Post(absl::StrCat(StatisticsPath(school_id), ":recount"), R"({"requestId":"recount-1"})");
  ASSERT_EQ(recount.status, 200) << recount.body;
  EXPECT_EQ(recount.Number("correctedRows"), 0);
  EXPECT_GT(recount.Number("counterRows"), 0);

  HttpResponse after = school.Get(StatisticsPath(school_id));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(before.body, after.body);

  // And both agree with the tables themselves.
  int64_t active = CountInDatabase("SELECT COUNT(*) FROM graduates WHERE school_id = ? AND state = 1", school_id);
  int64_t signed_count = CountInDatabase(
      "SELECT COUNT(*) FROM graduates g JOIN ledger l ON l.graduate_id = g.id WHERE g.school_id = ? AND g.state = 1 "
      "AND l.state = 3 AND l.holder_flow IN (1, 2, 3)",
      school_id);
  EXPECT_EQ(after.Number("total.graduateCount"), active);
  EXPECT_EQ(after.Number("total.signedCount"), signed_count);
  int64_t by_department = 0;
  for (const auto& group : Items(after, "byDepartment")) by_department += std::stoll(Field(group, "graduateCount"));
  EXPECT_EQ(by_department, active);
}

TEST_F(StatisticsTest, RatesFollowBothDefinitions) {
  const std::string code = "4141050002";
  std::string school_id = stack_->CreateSchool(code, "比率大学");
  std::vector<ems::v1::RosterGraduate> roster;
  for (int i = 0; i < 10; ++i) roster.push_back(RosterRecord(code, kClass, 700 + i, i < 5 ? "文学院" : "理学院"));
  stack_->UploadRoster(code, kClass, roster);
  stack_->RunRosterFeed();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(stack_->GraduateIdOf(school_id, IdNumber(700 + i)));

  GiveDestination(school_id, ids[0], "FLOW_ONLINE_SIGNING", "10");
  GiveDestination(school_id, ids[1], "FLOW_PAPER_AGREEMENT", "10");
  GiveDestination(school_id, ids[2], "FLOW_DESTINATION_REGISTRATION", "76");
  GiveDestination(school_id, ids[3], "FLOW_DESTINATION_REGISTRATION", "12");
  GiveDestination(school_id, ids[4], "FLOW_DESTINATION_REGISTRATION", "801");
  GiveDestination(school_id, ids[5], "FLOW_DESTINATION_REGISTRATION", "71");
  // A claim alone changes nothing.
  ASSERT_EQ(Ledger(school_id, ids[6], ":claim", Body("c-only", "FLOW_ONLINE_SIGNING", "pending")).status, 200);

  HttpResponse statistics = stack_->ClientFor(SchoolUser(school_id, "rates-user")).Get(StatisticsPath(school_id));
  ASSERT_EQ(statistics.status, 200) << statistics.body;
  EXPECT_EQ(statistics.Number("total.graduateCount"), 10);
  EXPECT_EQ(statistics.Number("total.signedCount"), 2);
  EXPECT_DOUBLE_EQ(statistics.Number("total.signingRate"), 0.2);
  EXPECT_EQ(statistics.Number("total.placedCount2021"), 5);
  EXPECT_EQ(statistics.Number("total.placedCount2024"), 5);
  EXPECT_DOUBLE_EQ(statistics.Number("total.placementRate2021"), 0.5);

  std::map<std::string, std::string> destinations;
  for (const auto& entry : Items(statistics, "byDestination")) {
    destinations[Field(entry, "destinationCode")] = Field(entry, "graduateCount");
  }
  EXPECT_EQ(destinations["10"], "2");
  EXPECT_EQ(destinations["70"], "4");
  EXPECT_EQ(destinations["71"], "1");
  std::map<std::string, std::string> categories_2021;
  for (const auto& entry : Items(statistics, "byCategory2021")) {
    categories_2021[Field(entry, "category")] = Field(entry, "graduateCount");
  }
  EXPECT_EQ(categories_2021["协议和合同就业"], "2");
  EXPECT_EQ(categories_2021["灵活就业"], "2");
  EXPECT_EQ(categories_2021["升学"], "1");
  EXPECT_EQ(categories_2021["未就业"], "5");
  std::map<std::string, std::string> categories_2024;
  for (const auto& entry : Items(statistics, "byCategory2024")) {
    categories_2024[Field(entry, "category")] = Field(entry, "graduateCount");
  }
  EXPECT_EQ(categories_2024["单位就业"], "3");
  EXPECT_EQ(categories_2024["自由职业"], "1");

  std::map<std::string, google::protobuf::Struct> departments;
  for (const auto& group : Items(statistics, "byDepartment")) departments[Field(group, "key")] = group;
  EXPECT_EQ(Field(departments["文学院"], "graduateCount"), "5");
  EXPECT_EQ(Field(departments["文学院"], "placedCount2021"), "5");
  EXPECT_EQ(Field(departments["理学院"], "placedCount2021"), "0");
  EXPECT_EQ(Items(statistics, "byMajor").size(), 1u);
  EXPECT_EQ(Items(statistics, "byGender").size(), 2u);

  // A void takes the graduate back to 70.
  ASSERT_EQ(Ledger(school_id, ids[0], ":void",
                   Body("v-0", "FLOW_ONLINE_SIGNING", absl::StrCat("rec-", ids[0]), ",\"reason\":\"VOID_REASON_VOIDED\""))
                .status,
            200);
  HttpResponse after_void = stack_->ClientFor(SchoolUser(school_id, "rates-user")).Get(StatisticsPath(school_id));
  EXPECT_EQ(after_void.Number("total.signedCount"), 1);
  EXPECT_EQ(after_void.Number("total.placedCount2021"), 4);
}

TEST_F(StatisticsTest, DepartmentUserSeesOwnDepartment) {
  const std::string code = "4141050003";
  std::string school_id = stack_->CreateSchool(code, "院系统计大学");
  std::vector<ems::v1::RosterGraduate> roster;
  for (int i = 0; i < 6; ++i) roster.push_back(RosterRecord(code, kClass, 800 + i, i < 2 ? "文学院" : "理学院"));
  stack_->UploadRoster(code, kClass, roster);
  stack_->RunRosterFeed();

  ApiClient literature = stack_->ClientFor(DepartmentUser(school_id, "statistics-department", "文学院"));
  HttpResponse own = literature.Get(StatisticsPath(school_id));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.String("department"), "文学院");
  EXPECT_EQ(own.Number("total.graduateCount"), 2);
  std::vector<google::protobuf::Struct> departments = Items(own, "byDepartment");
  ASSERT_EQ(departments.size(), 1u);
  EXPECT_EQ(Field(departments[0], "key"), "文学院");

  HttpResponse other = literature.Get(absl::StrCat(StatisticsPath(school_id), "?department=", UrlEncode("理学院")));
  EXPECT_EQ(other.status, 403) << other.body;

  // A school user may filter by department.
  HttpResponse filtered = stack_->ClientFor(SchoolUser(school_id, "statistics-school"))
                              .Get(absl::StrCat(StatisticsPath(school_id), "?department=", UrlEncode("理学院")));
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(filtered.Number("total.graduateCount"), 4);
}

TEST_F(StatisticsTest, BadRequestsAreRejected) {
  const std::string code = "4141050004";
  std::string school_id = stack_->CreateSchool(code, "校验大学");
  ApiClient school = stack_->ClientFor(SchoolUser(school_id, "statistics-checker"));
  EXPECT_EQ(school.Get(absl::StrCat("/v1/schools/", school_id, "/classes/1999/statistics")).status, 400);
  EXPECT_EQ(stack_->ClientFor(GraduateUser(school_id, "1")).Get(StatisticsPath(school_id)).status, 403);
  EXPECT_EQ(stack_->ClientFor(SchoolUser("999", "statistics-other")).Get(StatisticsPath(school_id)).status, 403);

  const std::string recount = absl::StrCat(StatisticsPath(school_id), ":recount");
  EXPECT_EQ(stack_->ClientFor(DepartmentUser(school_id, "statistics-dept", "文学院"))
                .Post(recount, R"({"requestId":"r-d"})")
                .status,
            403);
  EXPECT_EQ(school.Post(recount, "{}").status, 400);
  HttpResponse first = school.Post(recount, R"({"requestId":"r-1"})");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Number("counterRows"), 0);
  EXPECT_EQ(school.Post(recount, R"({"requestId":"r-1"})").body, first.body);
}

}  // namespace
}  // namespace quxiang::sync::testing

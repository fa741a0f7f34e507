// Acceptance tests of the roster list and detail (学生名单管理, 失效信息管理) over HTTP. The real
// gateway binary runs in front of the sync service on a real MariaDB. Graduates come from the
// EMS simulator, and the test signs identity tokens of school, department and graduate users.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/validation/validation.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

constexpr int kClass = 2025;
constexpr char kSchoolCode[] = "4141010001";
constexpr char kOtherSchoolCode[] = "4141010002";
constexpr char kLiterature[] = "文学院";
constexpr char kComputing[] = "计算机学院";

std::string Graduates(const std::string& school_id) {
  return absl::StrCat("/v1/schools/", school_id, "/classes/", kClass, "/graduates");
}

std::string Graduate(const std::string& school_id, const std::string& graduate_id) {
  return absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id);
}

class GraduatesHttpTest : public ::testing::Test {
 protected:
  // 30 graduates of one school: serials 100 to 129, even ones in 文学院 and odd ones in
  // 计算机学院; every third one studies another major and every fifth one is a directed (21)
  // graduate. A second school has 3 graduates.
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_graduates", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_id_ = new std::string(stack_->CreateSchool(kSchoolCode, "名单大学"));
    other_school_id_ = new std::string(stack_->CreateSchool(kOtherSchoolCode, "另一所大学"));
    records_ = new std::vector<ems::v1::RosterGraduate>();
    for (int serial = 100; serial < 130; ++serial) {
      ems::v1::RosterGraduate record = RosterRecord(kSchoolCode, kClass, serial, serial % 2 == 0 ? kLiterature : kComputing);
      if (serial % 3 == 0) {
        record.set_major_code("050101");
        record.set_major_name("汉语言文学");
      }
      if (serial % 5 == 0) {
        record.set_training_mode_code("21");
        record.set_training_mode("定向（不可网签）");
      }
      records_->push_back(record);
    }
    stack_->UploadRoster(kSchoolCode, kClass, *records_);
    std::vector<ems::v1::RosterGraduate> others;
    for (int serial = 200; serial < 203; ++serial) others.push_back(RosterRecord(kOtherSchoolCode, kClass, serial, kLiterature));
    stack_->UploadRoster(kOtherSchoolCode, kClass, others);
    stack_->RunRosterFeed();
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static ApiClient School(common::v1::Access access = common::v1::ACCESS_READ_WRITE) {
    return stack_->ClientFor(SchoolUser(*school_id_, absl::StrCat("school-user-", static_cast<int>(access)), access));
  }

  static ApiClient Department(const std::string& name) {
    return stack_->ClientFor(DepartmentUser(*school_id_, absl::StrCat("department-user-", name.size()), name));
  }

  static std::string IdOf(int serial) { return stack_->GraduateIdOf(*school_id_, IdNumber(serial)); }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
  static std::string* other_school_id_;
  static std::vector<ems::v1::RosterGraduate>* records_;
};

SyncStack* GraduatesHttpTest::stack_ = nullptr;
std::string* GraduatesHttpTest::skip_reason_ = nullptr;
std::string* GraduatesHttpTest::school_id_ = nullptr;
std::string* GraduatesHttpTest::other_school_id_ = nullptr;
std::vector<ems::v1::RosterGraduate>* GraduatesHttpTest::records_ = nullptr;

TEST_F(GraduatesHttpTest, PagesAreSortedAndCounted) {
  ApiClient client = School();
  std::vector<std::pair<std::string, int64_t>> order;
  std::set<std::string> ids;
  for (int page = 1; page <= 5; ++page) {
    HttpResponse response = client.Get(absl::StrCat(Graduates(*school_id_), "?page=", page, "&pageSize=7"));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Number("totalSize"), 30);
    EXPECT_EQ(response.Number("page"), page);
    std::vector<google::protobuf::Struct> rows = Items(response, "graduates");
    EXPECT_EQ(rows.size(), page < 5 ? 7u : 2u) << "page " << page;
    for (const auto& row : rows) {
      ids.insert(Field(row, "id"));
      order.emplace_back(Field(row, "department"), std::stoll(Field(row, "id")));
    }
  }
  EXPECT_EQ(ids.size(), 30u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  // Jumping past the last page returns no rows and the same total.
  HttpResponse beyond = client.Get(absl::StrCat(Graduates(*school_id_), "?page=9&pageSize=7"));
  ASSERT_EQ(beyond.status, 200) << beyond.body;
  EXPECT_EQ(beyond.Number("totalSize"), 30);
  EXPECT_TRUE(Items(beyond, "graduates").empty());
}

TEST_F(GraduatesHttpTest, PageIdsComeFromCoveringIndex) {
  // The inner query of ListGraduates for a deep page of the whole class, and for a department.
  struct Case {
    std::string filter_and_order;
    std::string index;
  };
  const Case cases[] = {{" ORDER BY department, id", "ix_graduates_list_department"},
                        {" AND department = '文学院' ORDER BY id", "ix_graduates_list_department"},
                        {" AND major_code = '050101' ORDER BY department, id", "ix_graduates_list_major"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter_and_order);
    auto plan = stack_->pool().Read<std::vector<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s.Query(absl::StrCat("EXPLAIN SELECT id FROM graduates WHERE school_id = ? AND class_year = ? AND state = 1",
                                  c.filter_and_order, " LIMIT 7 OFFSET 21"),
                     {static_cast<int64_t>(std::stoll(*school_id_)), int64_t{kClass}});
    });
    ASSERT_TRUE(plan.ok()) << plan.status();
    ASSERT_EQ(plan->size(), 1u);
    // EXPLAIN columns: id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra.
    EXPECT_EQ((*plan)[0].String(5), c.index);
    EXPECT_NE((*plan)[0].String(9).find("Using index"), std::string::npos) << (*plan)[0].String(9);
    EXPECT_EQ((*plan)[0].String(9).find("filesort"), std::string::npos) << (*plan)[0].String(9);
  }
}

TEST_F(GraduatesHttpTest, ListMasksIdNumbers) {
  HttpResponse response = School().Get(absl::StrCat(Graduates(*school_id_), "?pageSize=100"));
  ASSERT_EQ(response.status, 200) << response.body;
  std::vector<google::protobuf::Struct> rows = Items(response, "graduates");
  ASSERT_EQ(rows.size(), 30u);
  for (const auto& row : rows) {
    std::string shown = Field(row, "idNumber");
    EXPECT_EQ(shown.size(), 18u);
    EXPECT_EQ(shown.substr(0, 6), "110105");
    EXPECT_EQ(shown.substr(6, 8), "********");
  }
  EXPECT_EQ(response.body.find(IdNumber(100)), std::string::npos);
}

TEST_F(GraduatesHttpTest, FiltersNarrowTheList) {
  ApiClient client = School();
  struct Case {
    std::string query;
    int expected;
  };
  const Case cases[] = {
      {absl::StrCat("department=", UrlEncode(kLiterature)), 15},
      {"majorCode=050101", 10},
      {"trainingModeCode=21", 6},
      {"educationLevelCode=31", 30},
      {"educationLevelCode=11", 0},
      {absl::StrCat("department=", UrlEncode(kComputing), "&majorCode=050101"), 5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    HttpResponse response = client.Get(absl::StrCat(Graduates(*school_id_), "?pageSize=100&", c.query));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Number("totalSize"), c.expected);
    EXPECT_EQ(static_cast<int>(Items(response, "graduates").size()), c.expected);
  }
}

TEST_F(GraduatesHttpTest, SearchMatchesIdExactlyAndNamesByPrefix) {
  ApiClient client = School();
  struct Case {
    std::string query;
    int expected;
  };
  const Case cases[] = {
      {IdNumber(107), 1},
      // Never a LIKE on ID numbers: a prefix finds nothing.
      {IdNumber(107).substr(0, 12), 0},
      {records_->at(8).student_number(), 1},
      {"测试11", 10},
      {"测试115", 1},
      {"无此人", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    HttpResponse response = client.Get(absl::StrCat(Graduates(*school_id_), "?query=", UrlEncode(c.query)));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Number("totalSize"), c.expected);
  }
  // A lowercase x check character finds the same graduate.
  for (int serial = 100; serial < 130; ++serial) {
    std::string id = IdNumber(serial);
    if (id.back() != 'X') continue;
    id.back() = 'x';
    HttpResponse response = client.Get(absl::StrCat(Graduates(*school_id_), "?query=", id));
    EXPECT_EQ(response.Number("totalSize"), 1) << id;
  }
}

TEST_F(GraduatesHttpTest, DepartmentUserSeesOnlyItsDepartment) {
  ApiClient literature = Department(kLiterature);

  HttpResponse list = literature.Get(absl::StrCat(Graduates(*school_id_), "?pageSize=100"));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Number("totalSize"), 15);
  for (const auto& row : Items(list, "graduates")) EXPECT_EQ(Field(row, "department"), kLiterature);

  HttpResponse other_filter =
      literature.Get(absl::StrCat(Graduates(*school_id_), "?department=", UrlEncode(kComputing)));
  EXPECT_EQ(other_filter.status, 403) << other_filter.body;

  // Serial 101 is in 计算机学院: search does not find it, and its detail fails like a missing one.
  HttpResponse search = literature.Get(absl::StrCat(Graduates(*school_id_), "?query=", IdNumber(101)));
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_EQ(search.Number("totalSize"), 0);
  HttpResponse detail = literature.Get(Graduate(*school_id_, IdOf(101)));
  EXPECT_EQ(detail.status, 404) << detail.body;
  HttpResponse missing = literature.Get(Graduate(*school_id_, "999999999"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(detail.String("reason"), missing.String("reason"));

  HttpResponse own = literature.Get(Graduate(*school_id_, IdOf(100)));
  EXPECT_EQ(own.status, 200) << own.body;
}

TEST_F(GraduatesHttpTest, DetailIsMaskedUnlessRevealed) {
  std::string graduate_id = IdOf(104);
  HttpResponse masked = School().Get(Graduate(*school_id_, graduate_id));
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_EQ(masked.String("record.idNumber"), validation::MaskIdNumber(IdNumber(104)));
  EXPECT_EQ(masked.String("record.phone"), "138****0104");
  EXPECT_EQ(masked.String("record.name"), "测试104");
  EXPECT_EQ(masked.String("idNumberRevealed"), "false");

  HttpResponse revealed = School().Get(absl::StrCat(Graduate(*school_id_, graduate_id), "?revealIdNumber=true"));
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_EQ(revealed.String("record.idNumber"), IdNumber(104));
  EXPECT_EQ(revealed.String("record.phone"), "13800000104");

  auto audit = stack_->pool().Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
    return s.QueryOne("SELECT actor_user_id, action FROM audit_log WHERE target_id = ? ORDER BY id DESC LIMIT 1",
                      {graduate_id});
  });
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_TRUE(audit->has_value());
  EXPECT_EQ((*audit)->String(0), "school-user-3");
  EXPECT_EQ((*audit)->String(1), "GRADUATE_ID_NUMBER_REVEALED");

  HttpResponse read_only =
      School(common::v1::ACCESS_READ_ONLY).Get(absl::StrCat(Graduate(*school_id_, graduate_id), "?revealIdNumber=true"));
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  EXPECT_EQ(read_only.String("reason"), "ID_NUMBER_REVEAL_NOT_ALLOWED");
}

TEST_F(GraduatesHttpTest, GraduateSeesOnlyItself) {
  std::string own_id = IdOf(110);
  ApiClient graduate = stack_->ClientFor(GraduateUser(*school_id_, own_id));

  HttpResponse own = graduate.Get(Graduate(*school_id_, own_id));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.String("id"), own_id);

  HttpResponse other = graduate.Get(Graduate(*school_id_, IdOf(111)));
  EXPECT_EQ(other.status, 403) << other.body;
  HttpResponse list = graduate.Get(Graduates(*school_id_));
  EXPECT_EQ(list.status, 403) << list.body;
}

TEST_F(GraduatesHttpTest, OtherSchoolIsRefusedBeforeLookup) {
  ApiClient other_school = stack_->ClientFor(SchoolUser(*other_school_id_, "other-school-user"));
  std::string graduate_id = IdOf(100);

  HttpResponse existing = other_school.Get(Graduate(*school_id_, graduate_id));
  HttpResponse missing = other_school.Get(Graduate(*school_id_, "999999999"));
  EXPECT_EQ(existing.status, 403);
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(existing.String("reason"), missing.String("reason"));
  EXPECT_EQ(other_school.Get(Graduates(*school_id_)).status, 403);

  // The other school's own path does not reach this school's graduate.
  HttpResponse own_path = other_school.Get(Graduate(*other_school_id_, graduate_id));
  EXPECT_EQ(own_path.status, 404) << own_path.body;
}

TEST_F(GraduatesHttpTest, BadRequestsAreRejected) {
  ApiClient client = School();
  EXPECT_EQ(client.Get(absl::StrCat("/v1/schools/", *school_id_, "/classes/1999/graduates")).status, 400);
  EXPECT_EQ(client.Get(absl::StrCat(Graduates(*school_id_), "?page=-1")).status, 400);
  EXPECT_EQ(client.Get(absl::StrCat(Graduates(*school_id_), "?state=7")).status, 400);
  EXPECT_EQ(client.Get(Graduate(*school_id_, "not-a-number")).status, 404);

  quxiang::testing::HttpClient anonymous(stack_->http_port());
  EXPECT_EQ(anonymous.Get(Graduates(*school_id_)).status, 401);

  ApiClient no_access = stack_->ClientFor(SchoolUser(*school_id_, "no-access-user", common::v1::ACCESS_NONE));
  EXPECT_EQ(no_access.Get(Graduates(*school_id_)).status, 403);
}

TEST_F(GraduatesHttpTest, RemovedGraduateIsListedAndRestoredAtOnce) {
  const ems::v1::RosterGraduate& record = records_->at(20);
  std::string graduate_id = IdOf(120);
  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchoolCode);
  remove.set_id_number(record.id_number());
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();

  ApiClient school = School();
  HttpResponse invalidated = school.Get(absl::StrCat(Graduates(*school_id_), "?state=GRADUATE_STATE_INVALIDATED"));
  ASSERT_EQ(invalidated.status, 200) << invalidated.body;
  std::vector<google::protobuf::Struct> rows = Items(invalidated, "graduates");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(Field(rows[0], "id"), graduate_id);
  EXPECT_EQ(Field(rows[0], "state"), "GRADUATE_STATE_INVALIDATED");
  EXPECT_EQ(school.Get(Graduates(*school_id_)).Number("totalSize"), 29);

  std::string restore_path = absl::StrCat(Graduate(*school_id_, graduate_id), ":restore");
  // Not yet sent again by the EMS: nothing to restore.
  HttpResponse too_early = school.Post(restore_path, R"({"requestId":"restore-120-a"})");
  EXPECT_EQ(too_early.status, 400) << too_early.body;
  EXPECT_EQ(too_early.String("reason"), "GRADUATE_NOT_IN_EMS_ROSTER");

  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(kSchoolCode);
  readd.set_id_number(record.id_number());
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  stack_->RunRosterFeed();

  HttpResponse department = Department(kLiterature).Post(restore_path, R"({"requestId":"restore-120-d"})");
  EXPECT_EQ(department.status, 403) << department.body;
  HttpResponse read_only =
      School(common::v1::ACCESS_READ_ONLY).Post(restore_path, R"({"requestId":"restore-120-r"})");
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse no_request_id = school.Post(restore_path, "{}");
  EXPECT_EQ(no_request_id.status, 400) << no_request_id.body;

  HttpResponse restored = school.Post(restore_path, R"({"requestId":"restore-120-b"})");
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(restored.String("state"), "GRADUATE_STATE_ACTIVE");
  HttpResponse repeated = school.Post(restore_path, R"({"requestId":"restore-120-b"})");
  EXPECT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.String("etag"), restored.String("etag"));
  HttpResponse again = school.Post(restore_path, R"({"requestId":"restore-120-c"})");
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(again.String("reason"), "GRADUATE_NOT_INVALIDATED");

  EXPECT_EQ(school.Get(Graduates(*school_id_)).Number("totalSize"), 30);
}

}  // namespace
}  // namespace quxiang::sync::testing

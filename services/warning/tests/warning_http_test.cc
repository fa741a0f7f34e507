// Acceptance tests of the warning service over HTTP: the real gateway binary in front of the
// service on a real MariaDB, with identity tokens of several schools signed by the test.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/warning/tests/warning_fixture.h"

namespace quxiang::warning::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

std::string Marks(const std::string& school_id) { return absl::StrCat("/v1/schools/", school_id, "/warningMarks"); }

std::string Mark(const std::string& school_id, const std::string& mark_id) {
  return absl::StrCat(Marks(school_id), "/", mark_id);
}

std::string CreateBody(const std::string& request_id, const std::string& credit_code, const std::string& category,
                       const std::string& note = "", const std::string& employer_name = "") {
  return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"creditCode\":", JsonQuote(credit_code),
                      ",\"category\":", JsonQuote(category), ",\"note\":", JsonQuote(note),
                      ",\"employerName\":", JsonQuote(employer_name), "}");
}

std::string LookupBody(const std::vector<std::string>& codes) {
  std::vector<std::string> quoted;
  quoted.reserve(codes.size());
  for (const auto& code : codes) quoted.push_back(JsonQuote(code));
  return absl::StrCat("{\"creditCodes\":[", absl::StrJoin(quoted, ","), "]}");
}

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

// The entries of a LookupWarnings response.
std::vector<google::protobuf::Struct> Warnings(const HttpResponse& response) {
  std::vector<google::protobuf::Struct> warnings;
  google::protobuf::Struct json = response.Json();
  auto it = json.fields().find("warnings");
  if (it == json.fields().end()) return warnings;
  for (const auto& value : it->second.list_value().values()) warnings.push_back(value.struct_value());
  return warnings;
}

std::string Field(const google::protobuf::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end()) return "";
  if (it->second.has_string_value()) return it->second.string_value();
  if (it->second.has_number_value()) return std::to_string(static_cast<long long>(it->second.number_value()));
  return "";
}

bool Has(const google::protobuf::Struct& object, const std::string& name) {
  return object.fields().count(name) > 0;
}

const google::protobuf::Struct& Child(const google::protobuf::Struct& object, const std::string& name) {
  static const google::protobuf::Struct* const kEmpty = new google::protobuf::Struct();
  auto it = object.fields().find(name);
  return it == object.fields().end() ? *kEmpty : it->second.struct_value();
}

std::vector<std::string> Categories(const google::protobuf::Struct& platform_wide) {
  std::vector<std::string> categories;
  auto it = platform_wide.fields().find("categories");
  if (it == platform_wide.fields().end()) return categories;
  for (const auto& value : it->second.list_value().values()) categories.push_back(value.string_value());
  return categories;
}

// The body of an error response without its request_id, which differs per call.
std::string ErrorWithoutRequestId(const HttpResponse& response) {
  return absl::StrCat(response.status, " ", response.String("code"), " ", response.String("reason"), " ",
                      response.String("message"));
}

class WarningHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = WarningStack::Start("warning_http", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // Creates a mark as the school user "s<school_id>"; fails the test unless it is created.
  static HttpResponse CreateMark(const std::string& school_id, const std::string& credit_code,
                                 const std::string& category, const std::string& note = "") {
    ApiClient client = stack_->ClientFor(SchoolUser(school_id, "s" + school_id));
    HttpResponse created = client.Post(
        Marks(school_id), CreateBody(absl::StrCat("create-", school_id, "-", credit_code), credit_code, category, note));
    EXPECT_EQ(created.status, 200) << created.body;
    return created;
  }

  static int64_t QueryInt(const std::string& sql, const std::vector<db::Param>& params) {
    auto value = stack_->pool().Read<int64_t>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      auto row = s.QueryOne(sql, params);
      if (!row.ok()) return row.status();
      return *row ? (*row)->Int64(0) : -1;
    });
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  static int64_t SchoolCount(const std::string& credit_code) {
    return QueryInt("SELECT school_count FROM warning_aggregates WHERE credit_code = ?", {credit_code});
  }

  static WarningStack* stack_;
  static std::string* skip_reason_;
};

WarningStack* WarningHttpTest::stack_ = nullptr;
std::string* WarningHttpTest::skip_reason_ = nullptr;

TEST_F(WarningHttpTest, DepartmentUserCannotMark) {
  const std::string code = CreditCode(1001);
  ApiClient department = stack_->ClientFor(DepartmentUser("101", "d101"));
  HttpResponse refused = department.Post(Marks("101"), CreateBody("dept-1", code, "WARNING_CATEGORY_VIOLATION"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.String("code"), "PERMISSION_DENIED");
  EXPECT_EQ(refused.String("reason"), "SCHOOL_USERS_ONLY");
  EXPECT_NE(refused.String("message").find("预警单位管理仅对学校用户开放"), std::string::npos) << refused.body;
  EXPECT_EQ(department.Get(Marks("101")).status, 403);
  EXPECT_EQ(SchoolCount(code), -1);

  ApiClient school = stack_->ClientFor(SchoolUser("101", "s101"));
  HttpResponse created = school.Post(Marks("101"), CreateBody("school-1", code, "WARNING_CATEGORY_VIOLATION",
                                                               "拖欠实习工资", "某某科技有限公司"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.String("creditCode"), code);
  EXPECT_EQ(created.String("category"), "WARNING_CATEGORY_VIOLATION");
  EXPECT_EQ(created.String("note"), "拖欠实习工资");
  EXPECT_EQ(created.String("employerName"), "某某科技有限公司");
  EXPECT_EQ(created.String("schoolId"), "101");
  EXPECT_EQ(created.String("createdBy"), "s101");
  EXPECT_EQ(created.String("etag"), "1");
  EXPECT_FALSE(created.String("id").empty());
  EXPECT_EQ(SchoolCount(code), 1);
}

TEST_F(WarningHttpTest, ReadOnlySchoolUserOnlyLists) {
  const std::string code = CreditCode(1002);
  ApiClient reader = stack_->ClientFor(SchoolUser("102", "s102-ro", common::v1::ACCESS_READ_ONLY));
  HttpResponse refused = reader.Post(Marks("102"), CreateBody("ro-1", code, "WARNING_CATEGORY_OTHER"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.String("reason"), "MODULE_READ_ONLY");

  HttpResponse list = reader.Get(Marks("102"));
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Number("totalSize"), 0);

  ApiClient no_access = stack_->ClientFor(SchoolUser("102", "s102-none", common::v1::ACCESS_NONE));
  HttpResponse hidden = no_access.Get(Marks("102"));
  EXPECT_EQ(hidden.status, 403) << hidden.body;
  EXPECT_EQ(hidden.String("reason"), "MODULE_ACCESS_NONE");
}

TEST_F(WarningHttpTest, InvalidCreditCodeNamedInMessage) {
  ApiClient school = stack_->ClientFor(SchoolUser("103", "s103"));
  std::string valid = CreditCode(1003);
  std::string wrong_check = valid.substr(0, 17) + (valid[17] == '0' ? "1" : "0");
  const std::string kCases[] = {wrong_check, "12345", "91110108mA0000000X", "91110108IO0000000Y"};
  int index = 0;
  for (const std::string& code : kCases) {
    SCOPED_TRACE(code);
    HttpResponse refused =
        school.Post(Marks("103"), CreateBody(absl::StrCat("bad-", index++), code, "WARNING_CATEGORY_FAKE_EMPLOYER"));
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.String("code"), "INVALID_ARGUMENT");
    EXPECT_EQ(refused.String("reason"), "INVALID_CREDIT_CODE");
    EXPECT_NE(refused.String("message").find(code), std::string::npos) << refused.String("message");
    EXPECT_NE(refused.String("message").find("统一社会信用代码"), std::string::npos) << refused.String("message");
  }
  EXPECT_EQ(school.Get(Marks("103")).Number("totalSize"), 0);
}

TEST_F(WarningHttpTest, CategoryRequiredAndNoteLimited) {
  ApiClient school = stack_->ClientFor(SchoolUser("104", "s104"));
  HttpResponse no_category = school.Post(Marks("104"), CreateBody("cat-0", CreditCode(1004), "WARNING_CATEGORY_UNSPECIFIED"));
  EXPECT_EQ(no_category.status, 400) << no_category.body;
  EXPECT_EQ(no_category.String("reason"), "WARNING_CATEGORY_REQUIRED");
  EXPECT_NE(no_category.String("message").find("请选择预警类型"), std::string::npos);

  // 500 characters, one of them outside the BMP (4 bytes in UTF-8), fit exactly.
  std::string longest = "𠀀";
  for (int i = 1; i < 500; ++i) longest += "字";
  HttpResponse too_long =
      school.Post(Marks("104"), CreateBody("note-501", CreditCode(1004), "WARNING_CATEGORY_OTHER", longest + "字"));
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_EQ(too_long.String("reason"), "NOTE_TOO_LONG");
  EXPECT_NE(too_long.String("message").find("501"), std::string::npos) << too_long.String("message");

  HttpResponse fits = school.Post(Marks("104"), CreateBody("note-500", CreditCode(1004), "WARNING_CATEGORY_OTHER", longest));
  ASSERT_EQ(fits.status, 200) << fits.body;
  EXPECT_EQ(school.Get(Mark("104", fits.String("id"))).String("note"), longest);

  HttpResponse no_request_id = school.Post(
      Marks("104"), R"({"creditCode":")" + CreditCode(1005) + R"(","category":"WARNING_CATEGORY_OTHER"})");
  EXPECT_EQ(no_request_id.status, 400) << no_request_id.body;
  EXPECT_EQ(no_request_id.String("reason"), "REQUEST_ID_REQUIRED");
}

TEST_F(WarningHttpTest, SecondMarkOfSameEmployerConflicts) {
  const std::string code = CreditCode(1006);
  CreateMark("105", code, "WARNING_CATEGORY_VIOLATION");
  ApiClient school = stack_->ClientFor(SchoolUser("105", "s105"));
  HttpResponse again = school.Post(Marks("105"), CreateBody("again-1", code, "WARNING_CATEGORY_OTHER"));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.String("code"), "ALREADY_EXISTS");
  EXPECT_EQ(again.String("reason"), "WARNING_MARK_EXISTS");
  EXPECT_NE(again.String("message").find(code), std::string::npos) << again.String("message");
  EXPECT_NE(again.String("message").find("请编辑已有的标记"), std::string::npos) << again.String("message");
  EXPECT_EQ(SchoolCount(code), 1);

  // Another school marks the same employer on its own account.
  CreateMark("106", code, "WARNING_CATEGORY_OTHER");
  EXPECT_EQ(SchoolCount(code), 2);
}

TEST_F(WarningHttpTest, PlatformWideAlertFromFiveSchools) {
  const std::string code = CreditCode(2000);
  const std::vector<std::string> kLookup = {code};
  CreateMark("201", code, "WARNING_CATEGORY_VIOLATION", "note-201");
  CreateMark("202", code, "WARNING_CATEGORY_FAKE_EMPLOYER", "note-202");
  HttpResponse third = CreateMark("203", code, "WARNING_CATEGORY_VIOLATION", "note-203");
  CreateMark("204", code, "WARNING_CATEGORY_DISCRIMINATION", "note-204");

  ApiClient reviewer_205 = stack_->ClientFor(DepartmentUser("205", "d205", common::v1::ACCESS_READ_ONLY));
  ApiClient reviewer_206 = stack_->ClientFor(DepartmentUser("206", "d206", common::v1::ACCESS_READ_ONLY));
  ApiClient graduate_201 = stack_->ClientFor(Graduate("201", "g201"));
  ApiClient graduate_206 = stack_->ClientFor(Graduate("206", "g206"));
  ApiClient operator_client = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_OPERATOR, "op"));
  ApiClient province = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_PROVINCE, "prov11"));

  // Four schools: only the marking schools see their own marks.
  HttpResponse before = reviewer_205.Post("/v1/warnings:lookup", LookupBody(kLookup));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(Warnings(before).empty()) << before.body;
  EXPECT_TRUE(Warnings(operator_client.Post("/v1/warnings:lookup", LookupBody(kLookup))).empty());
  auto own = Warnings(graduate_201.Post("/v1/warnings:lookup", LookupBody(kLookup)));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(Field(Child(own[0], "ownSchoolMark"), "note"), "note-201");
  EXPECT_EQ(Field(Child(own[0], "ownSchoolMark"), "category"), "WARNING_CATEGORY_VIOLATION");
  EXPECT_FALSE(Has(own[0], "platformWide"));

  // The fifth school makes the alert platform-wide.
  CreateMark("205", code, "WARNING_CATEGORY_FALSE_ADVERTISING", "note-205");
  const std::vector<std::string> kCategories = {"WARNING_CATEGORY_VIOLATION", "WARNING_CATEGORY_FAKE_EMPLOYER",
                                                "WARNING_CATEGORY_DISCRIMINATION",
                                                "WARNING_CATEGORY_FALSE_ADVERTISING"};
  struct Viewer {
    std::string label;
    ApiClient client;
    bool has_own_mark;
  };
  std::vector<Viewer> viewers = {{"reviewer of 205", reviewer_205, true},
                                 {"reviewer of 206", reviewer_206, false},
                                 {"graduate of 201", graduate_201, true},
                                 {"graduate of 206", graduate_206, false},
                                 {"operator", operator_client, false},
                                 {"province", province, false}};
  for (const std::string school : {"201", "202", "203", "204"}) {
    viewers.push_back({"school user of " + school, stack_->ClientFor(SchoolUser(school, "s" + school)), true});
  }
  for (Viewer& viewer : viewers) {
    SCOPED_TRACE(viewer.label);
    HttpResponse response = viewer.client.Post("/v1/warnings:lookup", LookupBody(kLookup));
    ASSERT_EQ(response.status, 200) << response.body;
    auto warnings = Warnings(response);
    ASSERT_EQ(warnings.size(), 1u) << response.body;
    EXPECT_EQ(Field(warnings[0], "creditCode"), code);
    EXPECT_EQ(Field(Child(warnings[0], "platformWide"), "schoolCount"), "5");
    EXPECT_EQ(Categories(Child(warnings[0], "platformWide")), kCategories);
    EXPECT_EQ(Has(warnings[0], "ownSchoolMark"), viewer.has_own_mark);
  }

  // One school's removal withdraws the platform-wide alert again.
  ApiClient school_203 = stack_->ClientFor(SchoolUser("203", "s203"));
  HttpResponse removed = school_203.Delete(
      absl::StrCat(Mark("203", third.String("id")), "?requestId=remove-203&etag=", third.String("etag")));
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(Warnings(reviewer_206.Post("/v1/warnings:lookup", LookupBody(kLookup))).empty());
  EXPECT_TRUE(Warnings(school_203.Post("/v1/warnings:lookup", LookupBody(kLookup))).empty());
  auto still_own = Warnings(graduate_201.Post("/v1/warnings:lookup", LookupBody(kLookup)));
  ASSERT_EQ(still_own.size(), 1u);
  EXPECT_TRUE(Has(still_own[0], "ownSchoolMark"));
  EXPECT_FALSE(Has(still_own[0], "platformWide"));
  EXPECT_EQ(SchoolCount(code), 4);
}

TEST_F(WarningHttpTest, OtherSchoolNeverSeesMarks) {
  const std::string code = CreditCode(3000);
  const std::string kSecretNote = "机密备注-301";
  const std::string kEmployerName = "京华测试有限公司";
  ApiClient school_a = stack_->ClientFor(SchoolUser("301", "s301"));
  HttpResponse created = school_a.Post(
      Marks("301"), CreateBody("secret-1", code, "WARNING_CATEGORY_DISCRIMINATION", kSecretNote, kEmployerName));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string mark_id = created.String("id");

  ApiClient school_b = stack_->ClientFor(SchoolUser("302", "s302"));
  const std::string kMissingId = "999999999";

  // A's mark through B's own path returns the same error as a missing mark.
  HttpResponse get_crossed = school_b.Get(Mark("302", mark_id));
  HttpResponse get_missing = school_b.Get(Mark("302", kMissingId));
  EXPECT_EQ(get_crossed.status, 404) << get_crossed.body;
  EXPECT_EQ(ErrorWithoutRequestId(get_crossed), ErrorWithoutRequestId(get_missing));

  HttpResponse patch_crossed = school_b.Patch(
      Mark("302", mark_id), R"({"requestId":"cross-patch","category":"WARNING_CATEGORY_OTHER","note":"x","etag":"1"})");
  HttpResponse patch_missing = school_b.Patch(
      Mark("302", kMissingId), R"({"requestId":"missing-patch","category":"WARNING_CATEGORY_OTHER","note":"x","etag":"1"})");
  EXPECT_EQ(patch_crossed.status, 404) << patch_crossed.body;
  EXPECT_EQ(ErrorWithoutRequestId(patch_crossed), ErrorWithoutRequestId(patch_missing));

  HttpResponse delete_crossed = school_b.Delete(Mark("302", mark_id) + "?requestId=cross-delete&etag=1");
  HttpResponse delete_missing = school_b.Delete(Mark("302", kMissingId) + "?requestId=missing-delete&etag=1");
  EXPECT_EQ(delete_crossed.status, 404) << delete_crossed.body;
  EXPECT_EQ(ErrorWithoutRequestId(delete_crossed), ErrorWithoutRequestId(delete_missing));

  // A's school path is outside B's scope, whether or not the mark exists.
  HttpResponse get_foreign = school_b.Get(Mark("301", mark_id));
  HttpResponse get_foreign_missing = school_b.Get(Mark("301", kMissingId));
  EXPECT_EQ(get_foreign.status, 403) << get_foreign.body;
  EXPECT_EQ(ErrorWithoutRequestId(get_foreign), ErrorWithoutRequestId(get_foreign_missing));
  EXPECT_EQ(school_b.Get(Marks("301")).status, 403);
  EXPECT_EQ(school_b.Delete(Mark("301", mark_id) + "?requestId=foreign-delete&etag=1").status, 403);

  HttpResponse list = school_b.Get(Marks("302") + "?query=" + code);
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Number("totalSize"), 0);
  HttpResponse lookup = school_b.Post("/v1/warnings:lookup", LookupBody({code}));
  EXPECT_EQ(lookup.status, 200) << lookup.body;
  EXPECT_TRUE(Warnings(lookup).empty()) << lookup.body;
  EXPECT_EQ(stack_->ClientFor(Graduate("302", "g302")).Post("/v1/warnings:lookup", LookupBody({code})).body,
            lookup.body);

  // B's attempts changed nothing.
  HttpResponse unchanged = school_a.Get(Mark("301", mark_id));
  EXPECT_EQ(unchanged.String("etag"), "1");
  EXPECT_EQ(unchanged.String("note"), kSecretNote);
  EXPECT_EQ(SchoolCount(code), 1);

  // Even once the alert is platform-wide, B sees no note, school or employer name of A.
  for (const std::string school : {"303", "304", "305", "306"}) CreateMark(school, code, "WARNING_CATEGORY_OTHER", "n" + school);
  HttpResponse platform_wide = school_b.Post("/v1/warnings:lookup", LookupBody({code}));
  ASSERT_EQ(Warnings(platform_wide).size(), 1u) << platform_wide.body;
  EXPECT_EQ(platform_wide.body.find(kSecretNote), std::string::npos) << platform_wide.body;
  EXPECT_EQ(platform_wide.body.find(kEmployerName), std::string::npos) << platform_wide.body;
  EXPECT_EQ(platform_wide.body.find("301"), std::string::npos) << platform_wide.body;
  EXPECT_EQ(platform_wide.body.find("schoolId"), std::string::npos) << platform_wide.body;
  EXPECT_EQ(platform_wide.body.find("note"), std::string::npos) << platform_wide.body;
}

TEST_F(WarningHttpTest, LookupOfTwoHundredIsOneStatement) {
  std::vector<std::string> codes;
  for (int i = 0; i < 200; ++i) codes.push_back(CreditCode(4000 + i));
  CreateMark("401", codes[7], "WARNING_CATEGORY_VIOLATION", "七");
  CreateMark("401", codes[150], "WARNING_CATEGORY_OTHER", "一百五十");
  CreateMark("401", codes[42], "WARNING_CATEGORY_FAKE_EMPLOYER", "四十二");
  ApiClient reviewer = stack_->ClientFor(DepartmentUser("401", "d401", common::v1::ACCESS_READ_ONLY));

  int64_t before = stack_->pool().Stats().statements;
  HttpResponse response = reviewer.Post("/v1/warnings:lookup", LookupBody(codes));
  int64_t after = stack_->pool().Stats().statements;
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(after - before, 1);

  auto warnings = Warnings(response);
  ASSERT_EQ(warnings.size(), 3u) << response.body;
  // In the order of the request.
  EXPECT_EQ(Field(warnings[0], "creditCode"), codes[7]);
  EXPECT_EQ(Field(warnings[1], "creditCode"), codes[42]);
  EXPECT_EQ(Field(warnings[2], "creditCode"), codes[150]);
  EXPECT_EQ(Field(Child(warnings[1], "ownSchoolMark"), "note"), "四十二");

  // Invalid codes have no alert and cost no statement.
  before = stack_->pool().Stats().statements;
  HttpResponse invalid = reviewer.Post("/v1/warnings:lookup", LookupBody({"", "bad", "91110108000004007"}));
  after = stack_->pool().Stats().statements;
  EXPECT_EQ(invalid.status, 200) << invalid.body;
  EXPECT_TRUE(Warnings(invalid).empty()) << invalid.body;
  EXPECT_EQ(after - before, 0);
}

TEST_F(WarningHttpTest, LookupLimitedToFiveHundred) {
  std::vector<std::string> codes;
  for (int i = 0; i < 500; ++i) codes.push_back(CreditCode(5000 + i));
  ApiClient school = stack_->ClientFor(SchoolUser("402", "s402"));
  HttpResponse allowed = school.Post("/v1/warnings:lookup", LookupBody(codes));
  EXPECT_EQ(allowed.status, 200) << allowed.body;

  codes.push_back(CreditCode(5500));
  HttpResponse refused = school.Post("/v1/warnings:lookup", LookupBody(codes));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.String("reason"), "TOO_MANY_CREDIT_CODES");
  EXPECT_NE(refused.String("message").find("501"), std::string::npos) << refused.String("message");
}

TEST_F(WarningHttpTest, LookupRejectsEmployersAndAnonymous) {
  const std::string body = LookupBody({CreditCode(2000)});
  HttpResponse employer =
      stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_EMPLOYER, "emp7")).Post("/v1/warnings:lookup", body);
  EXPECT_EQ(employer.status, 403) << employer.body;
  EXPECT_EQ(employer.String("reason"), "EMPLOYERS_NOT_ALLOWED");

  HttpResponse no_access = stack_->ClientFor(DepartmentUser("403", "d403-none", common::v1::ACCESS_NONE))
                               .Post("/v1/warnings:lookup", body);
  EXPECT_EQ(no_access.status, 403) << no_access.body;
  EXPECT_EQ(no_access.String("reason"), "MODULE_ACCESS_NONE");

  HttpResponse anonymous = stack_->AnonymousClient().Post("/v1/warnings:lookup", body);
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
}

TEST_F(WarningHttpTest, LookupBySigningServiceForSchool) {
  const std::string code = CreditCode(2100);
  CreateMark("420", code, "WARNING_CATEGORY_VIOLATION", "拖欠工资");
  const std::string body =
      absl::StrCat("{\"creditCodes\":[", JsonQuote(code), "],\"schoolId\":\"420\"}");

  common::v1::IdentityClaims signing = PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "svc-signing");
  signing.set_service_name("signing");
  HttpResponse found = stack_->ClientFor(signing).Post("/v1/warnings:lookup", body);
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(Warnings(found).size(), 1u) << found.body;
  EXPECT_EQ(Field(Child(Warnings(found)[0], "ownSchoolMark"), "note"), "拖欠工资");

  // Another school's staff learn nothing of school 420's mark through the service's view.
  HttpResponse other_school = stack_->ClientFor(signing).Post(
      "/v1/warnings:lookup", absl::StrCat("{\"creditCodes\":[", JsonQuote(code), "],\"schoolId\":\"421\"}"));
  ASSERT_EQ(other_school.status, 200) << other_school.body;
  EXPECT_EQ(Warnings(other_school).size(), 0u) << other_school.body;

  HttpResponse missing_school = stack_->ClientFor(signing).Post("/v1/warnings:lookup", LookupBody({code}));
  EXPECT_EQ(missing_school.status, 400) << missing_school.body;
  EXPECT_EQ(missing_school.String("reason"), "SCHOOL_ID_REQUIRED");

  common::v1::IdentityClaims other_service = PrincipalOfKind(common::v1::PRINCIPAL_KIND_SERVICE, "svc-sync");
  other_service.set_service_name("sync");
  HttpResponse not_signing = stack_->ClientFor(other_service).Post("/v1/warnings:lookup", body);
  EXPECT_EQ(not_signing.status, 403) << not_signing.body;

  HttpResponse user_with_school = stack_->ClientFor(SchoolUser("421", "s421")).Post("/v1/warnings:lookup", body);
  EXPECT_EQ(user_with_school.status, 403) << user_with_school.body;
  EXPECT_EQ(user_with_school.String("reason"), "SCHOOL_ID_NOT_ALLOWED");
}

TEST_F(WarningHttpTest, ConcurrentMarksKeepCountExact) {
  const std::string code = CreditCode(9000);
  constexpr int kSchools = 8;
  std::vector<std::string> mark_ids(kSchools);
  std::vector<int> statuses(kSchools);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSchools; ++i) {
    threads.emplace_back([&, i] {
      std::string school = std::to_string(501 + i);
      ApiClient client = stack_->ClientFor(SchoolUser(school, "s" + school));
      HttpResponse created = client.Post(Marks(school), CreateBody("race-" + school, code, "WARNING_CATEGORY_VIOLATION"));
      statuses[i] = created.status;
      mark_ids[i] = created.String("id");
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kSchools; ++i) EXPECT_EQ(statuses[i], 200) << "school " << 501 + i;
  EXPECT_EQ(SchoolCount(code), 8);
  EXPECT_EQ(QueryInt("SELECT violation_count FROM warning_aggregates WHERE credit_code = ?", {code}), 8);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM warning_marks WHERE credit_code = ?", {code}), 8);

  ApiClient outsider = stack_->ClientFor(DepartmentUser("509", "d509"));
  auto visible = Warnings(outsider.Post("/v1/warnings:lookup", LookupBody({code})));
  ASSERT_EQ(visible.size(), 1u);
  EXPECT_EQ(Field(Child(visible[0], "platformWide"), "schoolCount"), "8");

  threads.clear();
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::string school = std::to_string(501 + i);
      ApiClient client = stack_->ClientFor(SchoolUser(school, "s" + school));
      statuses[i] = client.Delete(Mark(school, mark_ids[i]) + "?requestId=unrace-" + school + "&etag=1").status;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(statuses[i], 200) << "school " << 501 + i;
  EXPECT_EQ(SchoolCount(code), 4);
  EXPECT_EQ(QueryInt("SELECT violation_count FROM warning_aggregates WHERE credit_code = ?", {code}), 4);
  EXPECT_TRUE(Warnings(outsider.Post("/v1/warnings:lookup", LookupBody({code}))).empty());
}

TEST_F(WarningHttpTest, RepeatedRequestIdCreatesOnce) {
  const std::string code = CreditCode(6000);
  ApiClient school = stack_->ClientFor(SchoolUser("601", "s601"));
  std::string body = CreateBody("same-request-id", code, "WARNING_CATEGORY_FALSE_ADVERTISING", "招聘信息与实际不符");
  HttpResponse first = school.Post(Marks("601"), body);
  HttpResponse second = school.Post(Marks("601"), body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM warning_marks WHERE school_id = 601 AND credit_code = ?", {code}), 1);
  EXPECT_EQ(SchoolCount(code), 1);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM audit_log WHERE action = 'WARNING_MARK_CREATED' AND target_id = ?",
                     {first.String("id")}),
            1);

  // The same request id for a different mark is a client error, not a silent repeat.
  HttpResponse reused = school.Post(Marks("601"), CreateBody("same-request-id", CreditCode(6001), "WARNING_CATEGORY_OTHER"));
  EXPECT_EQ(reused.status, 400) << reused.body;
  EXPECT_EQ(reused.String("reason"), "IDEMPOTENCY_KEY_REUSED");
}

TEST_F(WarningHttpTest, UpdateMovesCategoryAndAudits) {
  const std::string code = CreditCode(7000);
  HttpResponse created = CreateMark("701", code, "WARNING_CATEGORY_VIOLATION", "原备注");
  const std::string mark_id = created.String("id");
  ApiClient school = stack_->ClientFor(SchoolUser("701", "s701"));

  HttpResponse updated = school.Patch(
      Mark("701", mark_id), R"({"requestId":"upd-1","category":"WARNING_CATEGORY_OTHER","note":"新备注","etag":"1"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.String("category"), "WARNING_CATEGORY_OTHER");
  EXPECT_EQ(updated.String("note"), "新备注");
  EXPECT_EQ(updated.String("etag"), "2");
  EXPECT_EQ(QueryInt("SELECT violation_count FROM warning_aggregates WHERE credit_code = ?", {code}), 0);
  EXPECT_EQ(QueryInt("SELECT other_count FROM warning_aggregates WHERE credit_code = ?", {code}), 1);
  EXPECT_EQ(SchoolCount(code), 1);

  HttpResponse stale = school.Patch(Mark("701", mark_id), R"({"requestId":"upd-2","note":"再改","etag":"1"})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.String("reason"), "STALE_VERSION");

  // Without a note the note stays; without a category the category stays.
  HttpResponse category_only = school.Patch(
      Mark("701", mark_id), R"({"requestId":"upd-3","category":"WARNING_CATEGORY_DISCRIMINATION","etag":"2"})");
  ASSERT_EQ(category_only.status, 200) << category_only.body;
  EXPECT_EQ(category_only.String("note"), "新备注");
  HttpResponse cleared = school.Patch(Mark("701", mark_id), R"({"requestId":"upd-4","note":"","etag":"3"})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.String("note"), "");
  EXPECT_EQ(cleared.String("category"), "WARNING_CATEGORY_DISCRIMINATION");

  HttpResponse no_etag = school.Delete(Mark("701", mark_id) + "?requestId=del-0");
  EXPECT_EQ(no_etag.status, 400) << no_etag.body;
  EXPECT_EQ(no_etag.String("reason"), "ETAG_REQUIRED");
  HttpResponse stale_delete = school.Delete(Mark("701", mark_id) + "?requestId=del-1&etag=2");
  EXPECT_EQ(stale_delete.status, 409) << stale_delete.body;
  HttpResponse deleted = school.Delete(Mark("701", mark_id) + "?requestId=del-2&etag=4");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.String("markId"), mark_id);
  EXPECT_EQ(school.Get(Mark("701", mark_id)).status, 404);
  EXPECT_EQ(SchoolCount(code), 0);
  EXPECT_EQ(QueryInt("SELECT discrimination_count FROM warning_aggregates WHERE credit_code = ?", {code}), 0);

  // One audit entry per change, each with the request id and the record before and after.
  auto entries = stack_->pool().Read<std::vector<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
    return s.Query("SELECT action, actor_username, request_id, COALESCE(before_json, ''), COALESCE(after_json, '') "
                   "FROM audit_log WHERE target_type = 'warning_mark' AND target_id = ? ORDER BY id",
                   {mark_id});
  });
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 5u);
  const std::string kActions[] = {"WARNING_MARK_CREATED", "WARNING_MARK_UPDATED", "WARNING_MARK_UPDATED",
                                  "WARNING_MARK_UPDATED", "WARNING_MARK_DELETED"};
  for (size_t i = 0; i < entries->size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*entries)[i].String(0), kActions[i]);
    EXPECT_EQ((*entries)[i].String(1), "s701");
  }
  EXPECT_EQ((*entries)[1].String(2), "upd-1");
  EXPECT_NE((*entries)[1].String(3).find("WARNING_CATEGORY_VIOLATION"), std::string::npos);
  EXPECT_NE((*entries)[1].String(4).find("WARNING_CATEGORY_OTHER"), std::string::npos);
  EXPECT_NE((*entries)[4].String(3).find(code), std::string::npos);
  EXPECT_EQ((*entries)[4].String(4), "");
}

TEST_F(WarningHttpTest, ListFiltersAndPages) {
  const std::string kSchool = "801";
  std::vector<std::string> codes;
  for (int i = 0; i < 5; ++i) codes.push_back(CreditCode(8000 + i));
  ApiClient school = stack_->ClientFor(SchoolUser(kSchool, "s801"));
  const std::string kCategories[] = {"WARNING_CATEGORY_VIOLATION", "WARNING_CATEGORY_OTHER", "WARNING_CATEGORY_OTHER",
                                     "WARNING_CATEGORY_FAKE_EMPLOYER", "WARNING_CATEGORY_OTHER"};
  const std::string kNames[] = {"甲公司", "乙公司", "甲方科技", "丙公司", "丁公司"};
  for (int i = 0; i < 5; ++i) {
    HttpResponse created =
        school.Post(Marks(kSchool), CreateBody(absl::StrCat("list-", i), codes[i], kCategories[i], "", kNames[i]));
    ASSERT_EQ(created.status, 200) << created.body;
  }

  HttpResponse all = school.Get(Marks(kSchool));
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.Number("totalSize"), 5);
  // Newest first.
  auto marks = all.Json().fields().at("marks").list_value().values();
  ASSERT_EQ(marks.size(), 5);
  EXPECT_EQ(Field(marks[0].struct_value(), "creditCode"), codes[4]);
  EXPECT_EQ(Field(marks[4].struct_value(), "creditCode"), codes[0]);

  EXPECT_EQ(school.Get(Marks(kSchool) + "?category=WARNING_CATEGORY_OTHER").Number("totalSize"), 3);
  EXPECT_EQ(school.Get(Marks(kSchool) + "?query=" + UrlEncode("甲")).Number("totalSize"), 2);
  HttpResponse by_code = school.Get(Marks(kSchool) + "?query=" + codes[3]);
  EXPECT_EQ(by_code.Number("totalSize"), 1);
  EXPECT_NE(by_code.body.find(codes[3]), std::string::npos);
  EXPECT_EQ(school.Get(Marks(kSchool) + "?query=" + UrlEncode("100%")).Number("totalSize"), 0);

  HttpResponse last_page = school.Get(Marks(kSchool) + "?pageSize=2&page=3");
  ASSERT_EQ(last_page.status, 200) << last_page.body;
  EXPECT_EQ(last_page.Number("totalSize"), 5);
  EXPECT_EQ(last_page.Number("page"), 3);
  EXPECT_EQ(last_page.Json().fields().at("marks").list_value().values_size(), 1);

  HttpResponse negative = school.Get(Marks(kSchool) + "?page=-1");
  EXPECT_EQ(negative.status, 400) << negative.body;
  EXPECT_EQ(negative.String("reason"), "INVALID_PAGE");
}

}  // namespace
}  // namespace quxiang::warning::testing

// End-to-end acceptance tests of roster files: tools/demo/generate_roster.py writes the file, the
// EMS simulator's UploadRoster receives its bytes over gRPC, the real roster feed applies the
// changes to a real MariaDB, and the tests read the result through sync's HTTP API behind the real
// gateway.
//
// The files are generated when the test runs, with python3 into a temporary folder, and not by a
// CMake rule at build time. The generator reads tools/demo/load_demo.py and data/codes/ when it
// runs, so a build rule would have to list those files as dependencies to stay current. Each file
// takes about a second to write, and the test starts the generators of a test at once.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/roster/roster_errors.h"
#include "libs/roster/roster_validator.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "libs/validation/validation.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "services/sync/roster_record.h"
#include "services/sync/tests/sync_fixture.h"
#include "tools/ems-simulator/grpc_service.h"

namespace quxiang::sync::testing {
namespace {

using ::quxiang::testing::ChildProcess;
using ::quxiang::testing::HttpResponse;

constexpr int kClass = 2022;
constexpr int kDemoCount = 6338;
constexpr char kDemoSchool[] = "4111010001";
constexpr char kSeed[] = "2022";
// gRPC's default limit on a received message, which neither the simulator binary nor this test
// raises. A roster file larger than this cannot be uploaded in one UploadRoster call.
constexpr size_t kGrpcDefaultMaxMessageBytes = 4 * 1024 * 1024;

absl::Time Deadline() { return absl::Now() + absl::Seconds(60); }

// The columns of the graduate part of the national layout (data/codes/roster-columns.csv) in
// file order, and the RosterGraduate field of each.
struct Column {
  const char* header;
  const char* field;
};
constexpr Column kColumns[] = {
    {"考生号", "candidate_number"},
    {"身份证号", "id_number"},
    {"姓名", "name"},
    {"性别代码", "gender_code"},
    {"性别", "gender"},
    {"民族代码", "ethnicity_code"},
    {"民族", "ethnicity"},
    {"政治面貌代码", "political_status_code"},
    {"政治面貌", "political_status"},
    {"院校代码", "school_code"},
    {"院校名称", "school_name"},
    {"分校名称", "branch_school_name"},
    {"学历代码", "education_level_code"},
    {"学历", "education_level"},
    {"专业代码", "major_code"},
    {"专业", "major_name"},
    {"专业方向", "major_direction"},
    {"培养方式代码", "training_mode_code"},
    {"培养方式", "training_mode"},
    {"定向或委培单位", "sponsoring_unit"},
    {"生源所在地代码", "origin_code"},
    {"生源所在地", "origin"},
    {"城乡生源", "urban_or_rural_origin"},
    {"学制", "schooling_length"},
    {"入学时间", "enrolled_at"},
    {"毕业时间", "graduation_date"},
    {"师范生类别代码", "normal_student_category_code"},
    {"师范生类别", "normal_student_category"},
    {"困难生类别代码", "difficulty_category_code"},
    {"困难生类别", "difficulty_category"},
    {"所在院系", "department"},
    {"所在班级", "class_name"},
    {"学号", "student_number"},
    {"出生日期", "birth_date"},
    {"就业协议书号", "agreement_number"},
    {"入学前户口所在地派出所", "household_police_station"},
    {"档案是否转入学校", "archive_transferred_to_school"},
    {"户口是否转入学校", "household_transferred_to_school"},
    {"手机号码", "phone"},
    {"电子邮箱", "email"},
    {"家长姓名", "parent_name"},
    {"家庭住址", "home_address"},
    {"家庭电话", "home_phone"},
    {"家庭邮编", "home_postal_code"},
};
constexpr int kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr int kIdNumberColumn = 1;
constexpr int kNameColumn = 2;
constexpr int kTrainingModeCodeColumn = 17;

// One file for the generator to write.
struct RosterFile {
  RosterFile(std::string format, std::string school_code, int count = kDemoCount, bool bad_rows = false)
      : format(std::move(format)), school_code(std::move(school_code)), count(count), bad_rows(bad_rows) {}

  std::string format;
  std::string school_code;
  int count;
  bool bad_rows;
  // Set by GenerateRosters.
  std::string path;
  std::string content;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Parses CSV as Python's csv module writes it (fields quoted only when needed, "" inside quotes,
// CRLF line ends). The test reads the generator's reference file with it, independently of the
// libs/roster reader under test.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

// True when UTF-8 `text` has a character outside the BMP (a 4-byte sequence).
bool HasCharacterOutsideBmp(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xF8) == 0xF0; });
}

// The first line where two dumps differ, both versions, for a failure message.
std::string FirstDifference(const std::string& expected, const std::string& actual) {
  std::vector<std::string> expected_lines = absl::StrSplit(expected, '\n');
  std::vector<std::string> actual_lines = absl::StrSplit(actual, '\n');
  for (size_t i = 0; i < std::max(expected_lines.size(), actual_lines.size()); ++i) {
    const std::string left = i < expected_lines.size() ? expected_lines[i] : "<missing>";
    const std::string right = i < actual_lines.size() ? actual_lines[i] : "<missing>";
    if (left != right) return absl::StrCat("line ", i + 1, ":\n  expected: ", left, "\n  actual:   ", right);
  }
  return "no difference";
}

std::string DescribeRowErrors(const ems::v1::UploadRosterResponse& report, int limit = 10) {
  std::string text;
  for (int i = 0; i < report.row_errors_size() && i < limit; ++i) {
    const ems::v1::RosterRowError& error = report.row_errors(i);
    absl::StrAppend(&text, "\n  row ", error.row(), " ", error.column(), " ", error.reason(), ": ", error.message());
  }
  return text;
}

class RosterFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_roster_files", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    // The fixture serves only EmsService. The control service (UploadRoster) gets a server of
    // its own here, on the same simulator, as the ems-simulator binary serves both.
    server::RuntimeOptions runtime_options;
    runtime_options.worker_threads = 2;
    control_runtime_ = new server::Runtime(runtime_options);
    control_service_ = new ems_simulator::EmsSimulatorControlGrpcService(stack_->ems(), *control_runtime_);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(control_service_);
    control_server_ = builder.BuildAndStart().release();
    control_ = ems::v1::EmsSimulatorControl::NewStub(
                   grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()))
                   .release();
    folder_ = new std::string(quxiang::testing::MakeTempDir("qx-roster-files"));
  }

  static void TearDownTestSuite() {
    delete control_;
    if (control_server_ != nullptr) control_server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    delete control_server_;
    delete control_service_;
    delete control_runtime_;
    delete stack_;
    // The files (about 20 MB) stay for inspection when a test failed.
    const ::testing::TestSuite* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (folder_ != nullptr && suite != nullptr && suite->Passed()) {
      std::error_code ignored;
      std::filesystem::remove_all(*folder_, ignored);
    } else if (folder_ != nullptr) {
      std::cerr << "roster files kept in " << *folder_ << "\n";
    }
    delete folder_;
    control_ = nullptr;
    control_server_ = nullptr;
    control_service_ = nullptr;
    control_runtime_ = nullptr;
    stack_ = nullptr;
    folder_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // Runs the generator for every file at once and reads the files. Adds a failure and returns
  // false when a run fails.
  static bool GenerateRosters(std::vector<RosterFile>& files) {
    std::vector<std::unique_ptr<ChildProcess>> runs;
    for (RosterFile& file : files) {
      file.path = absl::StrCat(*folder_, "/", file.school_code, file.bad_rows ? "-bad" : "", ".", file.format);
      std::vector<std::string> args = {
          quxiang::testing::SourceDir() + "/tools/demo/generate_roster.py",
          absl::StrCat("--format=", file.format),
          absl::StrCat("--school-code=", file.school_code),
          absl::StrCat("--count=", file.count),
          absl::StrCat("--class-year=", kClass),
          absl::StrCat("--seed=", kSeed),
          absl::StrCat("--output=", file.path),
      };
      if (file.bad_rows) args.push_back("--bad-rows");
      runs.push_back(std::make_unique<ChildProcess>(QUXIANG_PYTHON3, args, std::map<std::string, std::string>{},
                                                    file.path + ".log"));
    }
    bool ok = true;
    for (size_t i = 0; i < files.size(); ++i) {
      std::optional<int> exit_status = runs[i]->WaitExit(absl::Seconds(120));
      EXPECT_EQ(exit_status, 0) << files[i].path << ":\n" << runs[i]->Log();
      if (exit_status != 0) {
        ok = false;
        continue;
      }
      files[i].content = ReadFile(files[i].path);
      EXPECT_FALSE(files[i].content.empty()) << files[i].path;
    }
    return ok;
  }

  // Uploads `file` as a school does, through the simulator's gRPC control service, after
  // checking that it fits in one gRPC message.
  static grpc::Status Upload(const RosterFile& file, ems::v1::UploadRosterResponse* report) {
    // A roster past the limit is a finding to report, not a reason to raise the limit here.
    EXPECT_LT(file.content.size(), kGrpcDefaultMaxMessageBytes)
        << file.path << " exceeds gRPC's default message limit of 4 MiB";
    return SendUpload(file, report);
  }

  static grpc::Status SendUpload(const RosterFile& file, ems::v1::UploadRosterResponse* report) {
    ems::v1::UploadRosterRequest request;
    request.set_school_code(file.school_code);
    request.set_class_year(kClass);
    request.set_file_name(file.path.substr(file.path.rfind('/') + 1));
    request.set_content(file.content);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(Deadline()));
    return control_->UploadRoster(&context, request, report);
  }

  // Runs the roster feed until the EMS has no more changes ready; returns the sum of the counts.
  static RosterCounts RunFeedUntilIdle() {
    RosterCounts total;
    for (int run = 0; run < 20; ++run) {
      RosterCounts counts = stack_->RunRosterFeed();
      total.Add(counts);
      if (counts.listed == 0) break;
    }
    return total;
  }

  // The active graduates of a school, counted in the sync database.
  static int64_t ActiveGraduateCount(const std::string& school_id) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.QueryOne("SELECT COUNT(*) FROM graduates WHERE school_id = ? AND state = 1",
                        {static_cast<int64_t>(std::stoll(school_id))});
    });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  // ListGraduates' total_size for the class, read over HTTP as a school user of the school.
  static int64_t ListedTotal(const std::string& school_id) {
    ApiClient client = stack_->ClientFor(SchoolUser(school_id, absl::StrCat("roster-files-", school_id)));
    HttpResponse response =
        client.Get(absl::StrCat("/v1/schools/", school_id, "/classes/", kClass, "/graduates?pageSize=1"));
    EXPECT_EQ(response.status, 200) << response.body;
    return static_cast<int64_t>(response.Number("totalSize"));
  }

  // Every column of every graduate row of a school, in id order, one line per row, so any change
  // to a row (a field, version, fingerprint, roster_sequence or updated_at) changes the dump.
  static std::string FullDump(const std::string& school_id) {
    auto rows = stack_->pool().Read<std::vector<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.Query("SELECT * FROM graduates WHERE school_id = ? ORDER BY id",
                     {static_cast<int64_t>(std::stoll(school_id))});
    });
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return "";
    std::string dump;
    for (const db::Row& row : *rows) {
      for (size_t column = 0; column < row.size(); ++column) {
        absl::StrAppend(&dump, row.IsNull(column) ? "NULL" : row.String(column), "\t");
      }
      dump.push_back('\n');
    }
    return dump;
  }

  // The events in sync's outbox, of every school.
  static int64_t OutboxEventCount() {
    auto row = stack_->pool().Read<std::optional<db::Row>>(
        Deadline(), [](db::Session& s) { return s.QueryOne("SELECT COUNT(*) FROM outbox", {}); });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  // A canonical dump of a school's graduates, ordered by ID number. It contains the class, the
  // state and every roster field except the school code, and no school id or generated id.
  static std::string CanonicalDump(const std::string& school_id) {
    std::vector<std::string> columns = {"class_year", "state"};
    for (const auto* field : RosterRecordFields()) {
      if (field->name() != "school_code") columns.push_back(field->name());
    }
    auto rows = stack_->pool().Read<std::vector<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.Query(absl::StrCat("SELECT ", absl::StrJoin(columns, ", "),
                                  " FROM graduates WHERE school_id = ? ORDER BY id_number"),
                     {static_cast<int64_t>(std::stoll(school_id))});
    });
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return "";
    std::string dump = absl::StrCat(absl::StrJoin(columns, "\t"), "\n");
    for (const db::Row& row : *rows) {
      for (size_t column = 0; column < row.size(); ++column) absl::StrAppend(&dump, row.String(column), "\t");
      dump.push_back('\n');
    }
    return dump;
  }

  // Checks that every field of the graduate of file row `row`, in the sync database and from
  // GetGraduate over HTTP, equals the file's text.
  static void ExpectGraduateEqualsRow(const std::string& school_id, const std::vector<std::string>& row) {
    ASSERT_EQ(row.size(), static_cast<size_t>(kColumnCount));
    SCOPED_TRACE(absl::StrCat("graduate ", row[kNameColumn]));
    const std::string graduate_id = stack_->GraduateIdOf(school_id, row[kIdNumberColumn]);
    ASSERT_FALSE(graduate_id.empty()) << "no graduate of school " << school_id << " has the file's ID number";

    std::vector<std::string> columns;
    for (const Column& column : kColumns) columns.push_back(column.field);
    auto stored = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.QueryOne(absl::StrCat("SELECT ", absl::StrJoin(columns, ", "), " FROM graduates WHERE id = ?"),
                        {static_cast<int64_t>(std::stoll(graduate_id))});
    });
    ASSERT_TRUE(stored.ok()) << stored.status();
    ASSERT_TRUE(stored->has_value());
    for (int i = 0; i < kColumnCount; ++i) EXPECT_EQ((*stored)->String(i), row[i]) << kColumns[i].header;

    // The school user reveals the ID number and the phone numbers, which lists mask.
    ApiClient client = stack_->ClientFor(SchoolUser(school_id, absl::StrCat("roster-files-", school_id)));
    HttpResponse response =
        client.Get(absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, "?revealIdNumber=true"));
    ASSERT_EQ(response.status, 200) << response.body;
    google::protobuf::Struct json = response.Json();
    ASSERT_TRUE(json.fields().count("record")) << response.body;
    const google::protobuf::Struct& record = json.fields().at("record").struct_value();
    const google::protobuf::Descriptor* descriptor = ems::v1::RosterGraduate::descriptor();
    for (int i = 0; i < kColumnCount; ++i) {
      const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(kColumns[i].field);
      ASSERT_NE(field, nullptr) << kColumns[i].field;
      EXPECT_EQ(Field(record, field->json_name()), row[i]) << kColumns[i].header << " over HTTP";
    }
  }

  // The demo roster as the generator writes it by default (XLSX), uploaded and applied once for
  // every test that needs it, and its UTF-8 CSV twin as the reference of the file's fields.
  struct DemoImport {
    bool ok = false;
    std::string school_id;
    RosterFile xlsx{"xlsx", kDemoSchool};
    RosterFile reference{"csv-utf8", kDemoSchool};
    int64_t cursor_before = 0;
    ems::v1::UploadRosterResponse report;
    RosterCounts feed;
  };

  static const DemoImport& Demo() {
    static DemoImport* demo = nullptr;
    if (demo != nullptr) return *demo;
    demo = new DemoImport();
    demo->school_id = stack_->CreateSchool(kDemoSchool, "京华大学");
    std::vector<RosterFile> files = {demo->xlsx, demo->reference};
    if (!GenerateRosters(files)) return *demo;
    demo->xlsx = files[0];
    demo->reference = files[1];

    auto cursor = stack_->pool().Read<int64_t>(Deadline(), [](db::Session& s) { return GraduateRepository::ReadCursor(s); });
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    demo->cursor_before = cursor.ok() ? *cursor : 0;
    grpc::Status uploaded = Upload(demo->xlsx, &demo->report);
    EXPECT_TRUE(uploaded.ok()) << uploaded.error_message();
    if (!uploaded.ok()) return *demo;
    demo->feed = RunFeedUntilIdle();
    demo->ok = true;
    return *demo;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* folder_;
  static server::Runtime* control_runtime_;
  static ems_simulator::EmsSimulatorControlGrpcService* control_service_;
  static grpc::Server* control_server_;
  static ems::v1::EmsSimulatorControl::Stub* control_;
};

SyncStack* RosterFilesTest::stack_ = nullptr;
std::string* RosterFilesTest::skip_reason_ = nullptr;
std::string* RosterFilesTest::folder_ = nullptr;
server::Runtime* RosterFilesTest::control_runtime_ = nullptr;
ems_simulator::EmsSimulatorControlGrpcService* RosterFilesTest::control_service_ = nullptr;
grpc::Server* RosterFilesTest::control_server_ = nullptr;
ems::v1::EmsSimulatorControl::Stub* RosterFilesTest::control_ = nullptr;

TEST_F(RosterFilesTest, DemoRosterImportsCompletely) {
  const DemoImport& demo = Demo();
  ASSERT_TRUE(demo.ok);

  EXPECT_EQ(demo.report.rows_read(), kDemoCount);
  EXPECT_EQ(demo.report.inserted(), kDemoCount);
  EXPECT_EQ(demo.report.updated(), 0);
  EXPECT_EQ(demo.report.unchanged(), 0);
  EXPECT_EQ(demo.report.restored(), 0);
  EXPECT_EQ(demo.report.row_errors_size(), 0) << DescribeRowErrors(demo.report);

  EXPECT_EQ(demo.feed.listed, kDemoCount);
  EXPECT_EQ(demo.feed.inserted, kDemoCount);
  EXPECT_EQ(demo.feed.rejected, 0);
  EXPECT_EQ(demo.feed.skipped, 0);

  EXPECT_EQ(ActiveGraduateCount(demo.school_id), kDemoCount);
  EXPECT_EQ(ListedTotal(demo.school_id), kDemoCount);

  // Spot checks against the reference CSV: the first and last rows, the first name outside the
  // BMP, the first name with a middle dot (·), and the first graduate on a 定向 contract.
  std::vector<std::vector<std::string>> rows = ParseCsv(demo.reference.content);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kDemoCount + 1));
  for (int i = 0; i < kColumnCount; ++i) ASSERT_EQ(rows[0][i], kColumns[i].header);
  std::vector<size_t> checked = {1, rows.size() - 1};
  auto first_row = [&](const std::function<bool(const std::vector<std::string>&)>& predicate) {
    auto found = std::find_if(rows.begin() + 1, rows.end(), predicate);
    EXPECT_NE(found, rows.end());
    return static_cast<size_t>(found - rows.begin());
  };
  checked.push_back(first_row([](const auto& row) { return HasCharacterOutsideBmp(row[kNameColumn]); }));
  checked.push_back(first_row([](const auto& row) { return absl::StrContains(row[kNameColumn], "·"); }));
  checked.push_back(first_row([](const auto& row) { return row[kTrainingModeCodeColumn] == "21"; }));
  for (size_t index : checked) {
    if (index >= rows.size()) continue;
    SCOPED_TRACE(absl::StrCat("file row ", index + 1));
    ExpectGraduateEqualsRow(demo.school_id, rows[index]);
  }

  // The name outside the BMP is found by a name search through the gateway, and only names that
  // begin with it are listed (other characters outside the BMP must not match it).
  ASSERT_LT(checked[2], rows.size());
  const std::string rare_name = rows[checked[2]][kNameColumn];
  ApiClient client = stack_->ClientFor(SchoolUser(demo.school_id, "roster-files-search"));
  HttpResponse search = client.Get(absl::StrCat("/v1/schools/", demo.school_id, "/classes/", kClass,
                                                "/graduates?pageSize=100&query=", UrlEncode(rare_name)));
  ASSERT_EQ(search.status, 200) << search.body;
  std::vector<google::protobuf::Struct> found = Items(search, "graduates");
  EXPECT_GE(found.size(), 1u) << search.body;
  for (const auto& graduate : found) EXPECT_TRUE(absl::StartsWith(Field(graduate, "name"), rare_name)) << search.body;
}

TEST_F(RosterFilesTest, SameFileAgainChangesNothing) {
  const DemoImport& demo = Demo();
  ASSERT_TRUE(demo.ok);
  const std::string dump_before = FullDump(demo.school_id);
  const int64_t events_before = OutboxEventCount();
  ASSERT_FALSE(dump_before.empty());

  ems::v1::UploadRosterResponse report;
  grpc::Status uploaded = Upload(demo.xlsx, &report);
  ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();
  EXPECT_EQ(report.rows_read(), kDemoCount);
  EXPECT_EQ(report.inserted(), 0);
  EXPECT_EQ(report.updated(), 0);
  EXPECT_EQ(report.restored(), 0);
  EXPECT_EQ(report.unchanged(), kDemoCount);
  EXPECT_EQ(report.row_errors_size(), 0) << DescribeRowErrors(report);

  // The same roster exported as GB18030 CSV is the same data, so it changes nothing either.
  std::vector<RosterFile> files = {RosterFile("csv-gb18030", kDemoSchool)};
  ASSERT_TRUE(GenerateRosters(files));
  ems::v1::UploadRosterResponse gb18030_report;
  uploaded = Upload(files[0], &gb18030_report);
  ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();
  EXPECT_EQ(gb18030_report.rows_read(), kDemoCount);
  EXPECT_EQ(gb18030_report.inserted(), 0);
  EXPECT_EQ(gb18030_report.updated(), 0);
  EXPECT_EQ(gb18030_report.unchanged(), kDemoCount);
  EXPECT_EQ(gb18030_report.row_errors_size(), 0) << DescribeRowErrors(gb18030_report);

  // The EMS appended no change, so the feed reads nothing.
  RosterCounts counts = RunFeedUntilIdle();
  EXPECT_EQ(counts.listed, 0);
  EXPECT_EQ(counts.applied(), 0);

  // Delivered again from before the import, as after an EMS that sends its log once more, every
  // demo change finds its record unchanged. Other tests' changes may be read again too, and
  // they are unchanged as well.
  absl::Status rewound = stack_->pool().Run(Deadline(), [&](db::Session& s) {
    return GraduateRepository::SaveCursor(s, demo.cursor_before, stack_->clock().Now());
  });
  ASSERT_TRUE(rewound.ok()) << rewound;
  RosterCounts again = RunFeedUntilIdle();
  EXPECT_GE(again.listed, kDemoCount);
  EXPECT_EQ(again.unchanged, again.listed);
  EXPECT_EQ(again.applied(), 0);
  EXPECT_EQ(again.rejected, 0);

  const std::string dump_after = FullDump(demo.school_id);
  EXPECT_TRUE(dump_after == dump_before) << FirstDifference(dump_before, dump_after);
  EXPECT_EQ(OutboxEventCount(), events_before);
  EXPECT_EQ(ActiveGraduateCount(demo.school_id), kDemoCount);
}

TEST_F(RosterFilesTest, BadRowsAreReportedAndOthersImport) {
  const std::string code = "4111020001";
  const std::string school_id = stack_->CreateSchool(code, "京华大学分校");
  std::vector<RosterFile> files = {RosterFile("csv-utf8", code, kDemoCount, /*bad_rows=*/true)};
  ASSERT_TRUE(GenerateRosters(files));

  ems::v1::UploadRosterResponse report;
  grpc::Status uploaded = Upload(files[0], &report);
  ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();

  // The rows that generate_roster.py --help documents, as a spreadsheet numbers them.
  const int check_digit_row = kDemoCount / 4 + 2;
  const int ethnicity_row = kDemoCount / 2 + 2;
  const int duplicate_row = 3 * kDemoCount / 4 + 2;
  const int duplicated_row = kDemoCount / 8 + 2;
  EXPECT_EQ(report.rows_read(), kDemoCount);
  EXPECT_EQ(report.inserted(), kDemoCount - 3);
  EXPECT_EQ(report.updated(), 0);
  ASSERT_EQ(report.row_errors_size(), 3) << DescribeRowErrors(report, 20);

  const ems::v1::RosterRowError& check_digit = report.row_errors(0);
  EXPECT_EQ(check_digit.row(), check_digit_row);
  EXPECT_EQ(check_digit.column(), "身份证号");
  EXPECT_EQ(check_digit.reason(), validation::kInvalidIdNumberCheckDigit);
  const ems::v1::RosterRowError& ethnicity = report.row_errors(1);
  EXPECT_EQ(ethnicity.row(), ethnicity_row);
  EXPECT_EQ(ethnicity.column(), "民族代码");
  EXPECT_EQ(ethnicity.reason(), roster::kUnknownCode);
  EXPECT_EQ(ethnicity.value(), "99");
  const ems::v1::RosterRowError& duplicate = report.row_errors(2);
  EXPECT_EQ(duplicate.row(), duplicate_row);
  EXPECT_EQ(duplicate.column(), "学号");
  EXPECT_EQ(duplicate.reason(), roster::kDuplicateStudentNumber);
  EXPECT_TRUE(absl::StrContains(duplicate.message(), absl::StrCat("第 ", duplicated_row, " 行")))
      << duplicate.message();
  for (const ems::v1::RosterRowError& error : report.row_errors()) EXPECT_FALSE(error.message().empty());

  RosterCounts counts = RunFeedUntilIdle();
  EXPECT_EQ(counts.inserted, kDemoCount - 3);
  EXPECT_EQ(counts.rejected, 0);
  EXPECT_EQ(ActiveGraduateCount(school_id), kDemoCount - 3);
  EXPECT_EQ(ListedTotal(school_id), kDemoCount - 3);

  // The three rows are missing from sync, the row whose student number the last one repeated
  // is present, and so are the rows next to each bad row.
  std::vector<std::vector<std::string>> rows = ParseCsv(files[0].content);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kDemoCount + 1));
  // The full ID number must not appear in the report.
  EXPECT_FALSE(absl::StrContains(check_digit.value(), rows[check_digit_row - 1][kIdNumberColumn]));
  for (int row : {check_digit_row, ethnicity_row, duplicate_row}) {
    EXPECT_TRUE(stack_->GraduateIdOf(school_id, rows[row - 1][kIdNumberColumn]).empty()) << "row " << row;
    ExpectGraduateEqualsRow(school_id, rows[row]);
  }
  ExpectGraduateEqualsRow(school_id, rows[duplicated_row - 1]);
}

TEST_F(RosterFilesTest, FourFormatsGiveIdenticalData) {
  // The generator derives graduate students' 考生号 from the last five digits of the school
  // code, so the four codes share them and the rosters differ only in 院校代码.
  std::vector<RosterFile> files = {
      {"csv-gb18030", "4112010001"},
      {"csv-utf8-bom", "4113010001"},
      {"csv-utf8", "4114010001"},
      {"xlsx", "4115010001"},
  };
  std::vector<std::string> school_ids;
  for (const RosterFile& file : files) school_ids.push_back(stack_->CreateSchool(file.school_code, "京华大学"));
  ASSERT_TRUE(GenerateRosters(files));

  for (const RosterFile& file : files) {
    SCOPED_TRACE(file.format);
    ems::v1::UploadRosterResponse report;
    grpc::Status uploaded = Upload(file, &report);
    ASSERT_TRUE(uploaded.ok()) << uploaded.error_message();
    EXPECT_EQ(report.rows_read(), file.count);
    EXPECT_EQ(report.inserted(), file.count);
    EXPECT_EQ(report.row_errors_size(), 0) << DescribeRowErrors(report);
  }
  RosterCounts counts = RunFeedUntilIdle();
  EXPECT_EQ(counts.inserted, 4 * kDemoCount);
  EXPECT_EQ(counts.rejected, 0);

  std::vector<std::string> dumps;
  for (size_t i = 0; i < files.size(); ++i) {
    dumps.push_back(CanonicalDump(school_ids[i]));
    std::ofstream(absl::StrCat(files[i].path, ".dump")) << dumps.back();
  }
  // A header and one line per graduate, with the names outside the BMP intact.
  EXPECT_EQ(std::count(dumps[0].begin(), dumps[0].end(), '\n'), kDemoCount + 1);
  EXPECT_TRUE(HasCharacterOutsideBmp(dumps[0]));
  for (size_t i = 1; i < files.size(); ++i) {
    EXPECT_TRUE(dumps[i] == dumps[0]) << files[i].format << " differs from " << files[0].format << " at "
                                      << FirstDifference(dumps[0], dumps[i]);
  }
}

TEST_F(RosterFilesTest, DamagedFileStoresNothing) {
  const std::string code = "4111030001";
  stack_->CreateSchool(code, "京华大学");
  std::vector<RosterFile> files = {RosterFile("xlsx", code, 200)};
  ASSERT_TRUE(GenerateRosters(files));
  // Cut off the end of the archive, where its central directory is.
  files[0].content.resize(files[0].content.size() / 2);

  ems::v1::UploadRosterResponse report;
  grpc::Status uploaded = Upload(files[0], &report);

  EXPECT_EQ(uploaded.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << uploaded.error_message();
  EXPECT_EQ(ErrorReason(FromGrpcStatus(uploaded)), roster::kRosterXlsxInvalid);
  RosterCounts counts = RunFeedUntilIdle();
  EXPECT_EQ(counts.listed, 0);
}

// The files of generate_roster.py's default 6,338-row demo roster measure 2,781,933 bytes as UTF-8
// CSV, 2,277,592 as GB18030 CSV and 1,400,445 as XLSX (about 440 bytes per row in UTF-8 CSV). So a
// UTF-8 CSV of about 9,500 rows or more is past gRPC's default limit, and the call fails whole.
TEST_F(RosterFilesTest, FileOverMessageLimitStoresNothing) {
  const std::string code = "4111040001";
  stack_->CreateSchool(code, "京华大学");
  std::vector<RosterFile> files = {RosterFile("csv-utf8", code, 10000)};
  ASSERT_TRUE(GenerateRosters(files));
  ASSERT_GT(files[0].content.size(), kGrpcDefaultMaxMessageBytes);

  ems::v1::UploadRosterResponse report;
  grpc::Status uploaded = SendUpload(files[0], &report);

  EXPECT_EQ(uploaded.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << uploaded.error_message();
  RosterCounts counts = RunFeedUntilIdle();
  EXPECT_EQ(counts.listed, 0);
}

}  // namespace
}  // namespace quxiang::sync::testing

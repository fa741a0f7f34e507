// Runs tools/demo/generate_roster.py through python3 and reads its files with libs/roster: the
// 6,338-row demo roster must read identically in all four formats and validate without errors, and
// --bad-rows must give exactly its three errors.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/roster/roster_reader.h"
#include "libs/roster/roster_validator.h"
#include "libs/validation/validation.h"

extern char** environ;

namespace quxiang::roster {
namespace {

constexpr int kDemoCount = 6338;
constexpr int kDemoClass = 2022;
constexpr char kDemoSchool[] = "4111010001";
const char* const kFormats[] = {"csv-utf8", "csv-utf8-bom", "csv-gb18030", "xlsx"};

std::string SourceDir() {
  const char* dir = std::getenv("QUXIANG_SOURCE_DIR");
  return dir == nullptr ? std::string() : dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Runs the generator with `args`; returns its exit status and puts its output in `*log`.
int RunGenerator(const std::vector<std::string>& args, const std::string& log_path, std::string* log) {
  std::vector<std::string> argv_strings = {QUXIANG_PYTHON3, SourceDir() + "/tools/demo/generate_roster.py"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    *log = absl::StrCat("posix_spawn of ", argv[0], " failed with error ", spawn_error);
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *log = ReadFile(log_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Roster {
  RosterFormat format = RosterFormat::kCsvUtf8;
  std::vector<GraduateRecord> records;
  std::vector<int> rows;
};

Roster ReadRoster(const std::string& path) {
  Roster roster;
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(ReadFile(path), path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return roster;
  roster.format = (*reader)->format();
  while (true) {
    GraduateRecord record;
    int row = 0;
    absl::StatusOr<bool> has_record = (*reader)->Next(&record, &row);
    EXPECT_TRUE(has_record.ok()) << has_record.status();
    if (!has_record.ok() || !*has_record) break;
    roster.records.push_back(record);
    roster.rows.push_back(row);
  }
  return roster;
}

std::vector<RowError> ValidateRoster(const Roster& roster) {
  RosterValidator validator(kDemoSchool, kDemoClass, absl::Now());
  std::vector<RowError> errors;
  for (std::size_t i = 0; i < roster.records.size(); ++i) {
    for (RowError& error : validator.Validate(roster.records[i], roster.rows[i])) errors.push_back(error);
  }
  return errors;
}

class GenerateRosterTest : public ::testing::Test {
 protected:
  // Generates the files once for all tests: each run of the script takes about a second.
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/generate_roster_test_XXXXXX";
    dir_ = new std::string(mkdtemp(pattern));
    logs_ = new std::map<std::string, std::string>();
    exit_codes_ = new std::map<std::string, int>();
    for (const char* format : kFormats) Generate(format, {absl::StrCat("--format=", format)});
    Generate("bad-rows", {"--format=csv-utf8", "--bad-rows"});
  }

  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete logs_;
    delete exit_codes_;
  }

  static void Generate(const std::string& name, std::vector<std::string> args) {
    args.push_back(absl::StrCat("--output=", Path(name)));
    std::string log;
    (*exit_codes_)[name] = RunGenerator(args, Path(name) + ".log", &log);
    (*logs_)[name] = log;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // Reads the file generated as `name` after checking that the generator succeeded.
  static Roster Generated(const std::string& name) {
    EXPECT_EQ((*exit_codes_)[name], 0) << (*logs_)[name];
    return ReadRoster(Path(name));
  }

  static std::string* dir_;
  static std::map<std::string, std::string>* logs_;
  static std::map<std::string, int>* exit_codes_;
};

std::string* GenerateRosterTest::dir_ = nullptr;
std::map<std::string, std::string>* GenerateRosterTest::logs_ = nullptr;
std::map<std::string, int>* GenerateRosterTest::exit_codes_ = nullptr;

TEST_F(GenerateRosterTest, AllFormatsGiveSameRecords) {
  const Roster reference = Generated("csv-utf8");
  ASSERT_EQ(reference.records.size(), static_cast<std::size_t>(kDemoCount));
  const std::map<std::string, RosterFormat> expected_formats = {
      {"csv-utf8", RosterFormat::kCsvUtf8},
      {"csv-utf8-bom", RosterFormat::kCsvUtf8WithBom},
      {"csv-gb18030", RosterFormat::kCsvGb18030},
      {"xlsx", RosterFormat::kXlsx},
  };
  for (const auto& [format, expected_format] : expected_formats) {
    SCOPED_TRACE(format);
    const Roster roster = Generated(format);
    EXPECT_EQ(roster.format, expected_format);
    ASSERT_EQ(roster.records.size(), reference.records.size());
    EXPECT_EQ(roster.rows, reference.rows);
    for (std::size_t i = 0; i < reference.records.size(); ++i) {
      ASSERT_EQ(roster.records[i], reference.records[i]) << "row " << reference.rows[i];
    }
  }
}

TEST_F(GenerateRosterTest, DemoRosterValidates) {
  const Roster roster = Generated("xlsx");
  ASSERT_EQ(roster.records.size(), static_cast<std::size_t>(kDemoCount));
  const std::vector<RowError> errors = ValidateRoster(roster);
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i) ADD_FAILURE() << errors[i].message;
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors";
}

TEST_F(GenerateRosterTest, BadRowsGiveThreeErrors) {
  const Roster roster = Generated("bad-rows");
  const std::vector<RowError> errors = ValidateRoster(roster);
  ASSERT_EQ(errors.size(), 3u);

  EXPECT_EQ(errors[0].row, kDemoCount / 4 + 2);
  EXPECT_EQ(errors[0].column, "身份证号");
  EXPECT_EQ(errors[0].reason, validation::kInvalidIdNumberCheckDigit);

  EXPECT_EQ(errors[1].row, kDemoCount / 2 + 2);
  EXPECT_EQ(errors[1].column, "民族代码");
  EXPECT_EQ(errors[1].reason, kUnknownCode);
  EXPECT_EQ(errors[1].value, "99");

  EXPECT_EQ(errors[2].row, 3 * kDemoCount / 4 + 2);
  EXPECT_EQ(errors[2].column, "学号");
  EXPECT_EQ(errors[2].reason, kDuplicateStudentNumber);
  EXPECT_TRUE(absl::StrContains(errors[2].message, absl::StrCat("与第 ", kDemoCount / 8 + 2, " 行重复")))
      << errors[2].message;

  EXPECT_TRUE(absl::StrContains((*logs_)["bad-rows"], absl::StrCat("row ", kDemoCount / 4 + 2)))
      << (*logs_)["bad-rows"];
}

TEST_F(GenerateRosterTest, LooksLikeSchoolRoster) {
  const Roster roster = Generated("csv-utf8");
  ASSERT_EQ(roster.records.size(), static_cast<std::size_t>(kDemoCount));
  const std::string load_demo = ReadFile(SourceDir() + "/tools/demo/load_demo.py");

  std::set<std::string> departments;
  std::set<std::string> id_numbers;
  std::set<std::string> levels;
  int directed_or_commissioned = 0;
  int names_outside_bmp = 0;
  for (std::size_t i = 0; i < roster.records.size(); ++i) {
    const GraduateRecord& record = roster.records[i];
    departments.insert(record.department);
    id_numbers.insert(record.id_number);
    levels.insert(record.education_level_code);
    if (record.training_mode_code == "21" || record.training_mode_code == "41") ++directed_or_commissioned;
    // A UTF-8 lead byte of 0xF0 or more starts a character outside the BMP.
    if (std::any_of(record.name.begin(), record.name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xF0; })) {
      ++names_outside_bmp;
    }
    EXPECT_EQ(record.phone, absl::StrCat(13800000000LL + static_cast<long long>(i)));
    EXPECT_EQ(record.school_code, kDemoSchool);
  }

  EXPECT_EQ(departments.size(), 15u);
  for (const std::string& department : departments) {
    EXPECT_TRUE(absl::StrContains(load_demo, absl::StrCat("\"", department, "\""))) << department;
  }
  EXPECT_EQ(id_numbers.size(), roster.records.size());
  EXPECT_EQ(levels, std::set<std::string>({"01", "11", "31", "41"}));
  EXPECT_GT(directed_or_commissioned, kDemoCount / 100);
  EXPECT_LT(directed_or_commissioned, kDemoCount / 10);
  EXPECT_GT(names_outside_bmp, 0);
}

TEST_F(GenerateRosterTest, SameSeedSameFile) {
  Generate("again", {"--format=csv-utf8"});
  Generate("other-seed", {"--format=csv-utf8", "--seed=7"});
  EXPECT_EQ((*exit_codes_)["again"], 0) << (*logs_)["again"];
  EXPECT_EQ(ReadFile(Path("again")), ReadFile(Path("csv-utf8")));
  EXPECT_NE(ReadFile(Path("other-seed")), ReadFile(Path("csv-utf8")));
}

TEST_F(GenerateRosterTest, RejectsInvalidOptions) {
  const std::vector<std::vector<std::string>> cases = {
      {"--count=0"},
      {"--count=5", "--bad-rows"},
      {"--school-code=41110"},
      {"--format=xls"},
  };
  for (const std::vector<std::string>& args : cases) {
    SCOPED_TRACE(args.front());
    Generate("invalid", args);
    EXPECT_EQ((*exit_codes_)["invalid"], 2) << (*logs_)["invalid"];
    EXPECT_FALSE(std::filesystem::exists(Path("invalid")));
  }
}

}  // namespace
}  // namespace quxiang::roster

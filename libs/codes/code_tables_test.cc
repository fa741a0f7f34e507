#include "libs/codes/code_tables.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/codes/code_tables_internal.h"

namespace quxiang::codes {
namespace {

// The data rows of data/codes/<file_name> in the source tree, split on commas: an independent check
// of the embedded parser. Only the last column (note) of a file may hold quoted commas, so the
// first columns come out right.
std::vector<std::vector<std::string>> SourceRows(absl::string_view file_name) {
  const char* source_dir = std::getenv("QUXIANG_SOURCE_DIR");
  EXPECT_NE(source_dir, nullptr) << "QUXIANG_SOURCE_DIR is unset; run the test through ctest";
  if (source_dir == nullptr) return {};

  std::ifstream in(absl::StrCat(source_dir, "/data/codes/", file_name));
  EXPECT_TRUE(in.good()) << file_name;
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::vector<std::string>> rows;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      continue;
    }
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

TEST(CodeTables, EveryTableHasEveryRowOfItsFile) {
  for (Table table : kAllTables) {
    if (table == Table::kDestination) continue;  // versioned, see the next test
    SCOPED_TRACE(TableFileName(table));
    const auto rows = SourceRows(TableFileName(table));
    ASSERT_FALSE(rows.empty());
    for (int class_year : {2015, 2022, 2024, 2030}) {
      const std::vector<Code> codes = CodeTables::ForClass(class_year).List(table);
      ASSERT_EQ(codes.size(), rows.size()) << "class " << class_year;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(codes[i].code, rows[i][0]);
        EXPECT_EQ(codes[i].name, rows[i][1]);
      }
    }
  }
}

TEST(CodeTables, DestinationRowsSplitByGeneration) {
  const auto rows = SourceRows("destination-codes.csv");
  ASSERT_FALSE(rows.empty());
  std::size_t two_digit = 0;
  std::size_t three_digit = 0;
  for (const auto& row : rows) {
    const std::string& generation = row[5];
    if (absl::StrContains(generation, "2-digit")) ++two_digit;
    if (absl::StrContains(generation, "3-digit")) ++three_digit;
  }
  EXPECT_EQ(CodeTables::ForClass(2022).List(Table::kDestination).size(), two_digit);
  EXPECT_EQ(CodeTables::ForClass(2024).List(Table::kDestination).size(), three_digit);
}

TEST(CodeTables, RowCountsOfTheFiles) {
  // Counts of the files in data/codes today; a changed count means a table was edited, and this test
  // is the place to confirm the new count.
  const std::map<Table, std::size_t> expected = {
      {Table::kGender, 4},         {Table::kEthnicity, 58},         {Table::kPoliticalStatus, 13},
      {Table::kEducationLevel, 10}, {Table::kTrainingMode, 9},       {Table::kUnitNature, 13},
      {Table::kIndustry, 21},      {Table::kJobCategory, 18},       {Table::kDifficultyCategory, 8},
      {Table::kNormalStudentCategory, 3}, {Table::kProvince, 34},
  };
  for (const auto& [table, count] : expected) {
    SCOPED_TRACE(TableFileName(table));
    EXPECT_EQ(CodeTables::ForClass(2022).List(table).size(), count);
  }
  EXPECT_EQ(CodeTables::ForClass(2022).List(Table::kDestination).size(), 14u);
  EXPECT_EQ(CodeTables::ForClass(2024).List(Table::kDestination).size(), 19u);
}

TEST(CodeTables, LooksUpNames) {
  const CodeTables& tables = CodeTables::ForClass(2022);
  EXPECT_EQ(tables.Name(Table::kEthnicity, "01"), "汉族");
  EXPECT_EQ(tables.Name(Table::kEthnicity, "98"), "外国血统中国籍人士");
  EXPECT_EQ(tables.Name(Table::kGender, "2"), "女");
  EXPECT_EQ(tables.Name(Table::kPoliticalStatus, "03"), "共青团员");
  EXPECT_EQ(tables.Name(Table::kProvince, "650000"), "新疆维吾尔自治区");
  EXPECT_EQ(tables.Name(Table::kIndustry, "34"), "信息传输、软件和信息技术服务业");
  EXPECT_EQ(tables.Name(Table::kDestination, "75"), "自主创业");
}

TEST(CodeTables, CodesAreExactText) {
  const CodeTables& tables = CodeTables::ForClass(2022);
  EXPECT_TRUE(tables.Contains(Table::kEthnicity, "01"));
  EXPECT_FALSE(tables.Contains(Table::kEthnicity, "1"));
  EXPECT_FALSE(tables.Contains(Table::kEthnicity, "01 "));
  EXPECT_FALSE(tables.Contains(Table::kEthnicity, "99"));
  EXPECT_FALSE(tables.Contains(Table::kEthnicity, ""));
  EXPECT_EQ(tables.Name(Table::kEthnicity, "99"), "");
  EXPECT_EQ(tables.Find(Table::kEthnicity, "99"), nullptr);
}

TEST(CodeTables, VersionFollowsClass) {
  EXPECT_EQ(CodeTables::ForClass(1990).version(), 1);
  EXPECT_EQ(CodeTables::ForClass(2022).version(), 1);
  EXPECT_EQ(CodeTables::ForClass(2023).version(), 1);
  EXPECT_EQ(CodeTables::ForClass(2024).version(), 2);
  EXPECT_EQ(CodeTables::ForClass(2100).version(), 2);
  EXPECT_EQ(&CodeTables::ForClass(2021), &CodeTables::ForClass(2023));
  EXPECT_EQ(CodeTables::ForClass(2024).first_class(), 2024);
  EXPECT_EQ(CodeTables::ForClass(2023).last_class(), 2023);
}

TEST(CodeTables, DestinationCodesChangeIn2024) {
  const CodeTables& class_2023 = CodeTables::ForClass(2023);
  const CodeTables& class_2024 = CodeTables::ForClass(2024);

  // Codes of both generations.
  for (const char* code : {"10", "11", "12", "46", "70", "71", "72", "75", "76", "85"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(class_2023.Contains(Table::kDestination, code));
    EXPECT_TRUE(class_2024.Contains(Table::kDestination, code));
  }
  // 2-digit parents give way to 3-digit sub-codes.
  for (const char* code : {"27", "50", "51", "80"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(class_2023.Contains(Table::kDestination, code));
    EXPECT_FALSE(class_2024.Contains(Table::kDestination, code));
  }
  for (const char* code : {"271", "501", "502", "503", "511", "512", "519", "801", "802"}) {
    SCOPED_TRACE(code);
    EXPECT_FALSE(class_2023.Contains(Table::kDestination, code));
    EXPECT_TRUE(class_2024.Contains(Table::kDestination, code));
  }
  EXPECT_EQ(class_2024.Find(Table::kDestination, "502")->parent, "50");
  EXPECT_EQ(class_2023.Name(Table::kDestination, "85"), "出国、出境");
  EXPECT_EQ(class_2024.Name(Table::kDestination, "85"), "境外留学");
}

TEST(CodeTables, DestinationCategories) {
  const CodeTables& class_2022 = CodeTables::ForClass(2022);
  const CodeTables& class_2024 = CodeTables::ForClass(2024);
  EXPECT_EQ(class_2022.DestinationCategory2021("12"), "灵活就业");
  EXPECT_EQ(class_2022.DestinationCategory2024("12"), "单位就业");
  EXPECT_EQ(class_2022.DestinationCategory2021("76"), "灵活就业");
  EXPECT_EQ(class_2024.DestinationCategory2024("76"), "自由职业");
  EXPECT_EQ(class_2024.DestinationCategory2024("801"), "升学");
  EXPECT_EQ(class_2022.DestinationCategory2021("85"), "升学");
  EXPECT_EQ(class_2022.DestinationCategory2021("70"), "未就业");
  EXPECT_EQ(class_2022.DestinationCategory2021("801"), "");
  EXPECT_EQ(class_2024.DestinationCategory2024("99"), "");
}

TEST(CodeTables, OnlineSigningByTrainingMode) {
  const CodeTables& tables = CodeTables::ForClass(2022);
  EXPECT_FALSE(tables.AllowsOnlineSigning("21"));
  EXPECT_FALSE(tables.AllowsOnlineSigning("41"));
  EXPECT_TRUE(tables.AllowsOnlineSigning("22"));
  EXPECT_TRUE(tables.AllowsOnlineSigning("42"));
  EXPECT_TRUE(tables.AllowsOnlineSigning("1"));
  EXPECT_TRUE(tables.AllowsOnlineSigning("5"));
  EXPECT_FALSE(tables.AllowsOnlineSigning("2"));
  EXPECT_FALSE(tables.AllowsOnlineSigning("4"));
  EXPECT_FALSE(tables.AllowsOnlineSigning("9"));
  EXPECT_FALSE(tables.AllowsOnlineSigning(""));
  EXPECT_TRUE(absl::StrContains(tables.Find(Table::kTrainingMode, "21")->note, "定向/委培毕业去向补充登记"));
}

TEST(CodeTables, LevelGroupOfEducationLevel) {
  const CodeTables& tables = CodeTables::ForClass(2022);
  EXPECT_EQ(tables.LevelGroup("01"), "研究生");
  EXPECT_EQ(tables.LevelGroup("11"), "研究生");
  EXPECT_EQ(tables.LevelGroup("31"), "本专科");
  EXPECT_EQ(tables.LevelGroup("41"), "本专科");
  EXPECT_EQ(tables.LevelGroup("25"), "本专科");
  EXPECT_EQ(tables.LevelGroup("99"), "");
}

TEST(CodeTables, KeepsNotesAndExtraColumns) {
  const CodeTables& tables = CodeTables::ForClass(2024);
  EXPECT_TRUE(absl::StrContains(tables.Find(Table::kDestination, "501")->note, "inferred"));
  EXPECT_EQ(tables.Find(Table::kIndustry, "22")->industry_section, "C");
  EXPECT_EQ(tables.Find(Table::kIndustry, "80")->industry_section, "");
  EXPECT_EQ(tables.Find(Table::kEducationLevel, "31")->level_group, "本专科");
}

TEST(CodeTables, DisplayAndFileNames) {
  EXPECT_EQ(TableFileName(Table::kEthnicity), "ethnicities.csv");
  EXPECT_EQ(TableDisplayName(Table::kEthnicity), "民族代码");
  std::set<std::string> file_names;
  for (Table table : kAllTables) file_names.insert(std::string(TableFileName(table)));
  EXPECT_EQ(file_names.size(), kAllTables.size());
}

TEST(RosterColumns, MatchTheLayoutFile) {
  const std::vector<RosterColumn>& columns = RosterColumns();
  const auto rows = SourceRows("roster-columns.csv");
  ASSERT_EQ(columns.size(), rows.size());
  EXPECT_EQ(columns.front().name, "考生号");
  EXPECT_EQ(columns.front().order, 1);
  int graduate_columns = 0;
  for (const RosterColumn& column : columns) graduate_columns += column.part == "graduate" ? 1 : 0;
  EXPECT_EQ(graduate_columns, 44);
}

// The embedded files with `file_name` replaced by `contents`.
std::map<std::string, std::string> FilesWith(const std::string& file_name, const std::string& contents) {
  std::map<std::string, std::string> files = internal::EmbeddedFiles();
  files[file_name] = contents;
  return files;
}

TEST(LoadCodeTables, AcceptsTheEmbeddedFiles) {
  absl::StatusOr<internal::LoadedCodeData> loaded = internal::LoadCodeTables(internal::EmbeddedFiles());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->versions.size(), 2u);
}

struct BadFileCase {
  std::string file_name;
  std::string contents;
  std::string error_part;
};

TEST(LoadCodeTables, RejectsBadFiles) {
  const std::string versions_header = "version,first_class,last_class,generation,note\n";
  const BadFileCase cases[] = {
      {"code-versions.csv", versions_header + "1,,2020,2-digit,\n2,2022,,3-digit,\n", "without a gap"},
      {"code-versions.csv", versions_header + "1,,2023,2-digit,\n2,2023,,3-digit,\n", "without a gap"},
      {"code-versions.csv", versions_header + "1,2000,2023,2-digit,\n2,2024,,3-digit,\n", "every class"},
      {"code-versions.csv", versions_header + "1,,2023,2-digit,\n2,2024,2030,3-digit,\n", "every class"},
      {"code-versions.csv", versions_header + "1,,,2-digit,\n", "generation \"3-digit\""},
      {"code-versions.csv", versions_header + "1,,20x3,2-digit,\n2,2024,,3-digit,\n", "not a year"},
      {"ethnicities.csv", "code,name\n01,汉族\n01,汉族\n", "appears twice"},
      {"ethnicities.csv", "code,name\n01,汉族,extra\n", "has 3 fields"},
      {"ethnicities.csv", "code\n01\n", "no column name"},
      {"ethnicities.csv", "code,name\n,汉族\n", "empty"},
      {"training-modes.csv", "code,name,online_signing,note\n21,定向,maybe,\n", "expected yes or no"},
      {"destination-codes.csv",
       "code,name,parent,category_2021,category_2024,generation,note\n10,x,,,,4-digit,\n", "generation \"4-digit\""},
  };
  for (const BadFileCase& bad : cases) {
    SCOPED_TRACE(bad.contents);
    absl::StatusOr<internal::LoadedCodeData> loaded = internal::LoadCodeTables(FilesWith(bad.file_name, bad.contents));
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(loaded.status().message(), bad.error_part)) << loaded.status();
  }
}

TEST(LoadCodeTables, RejectsMissingFile) {
  std::map<std::string, std::string> files = internal::EmbeddedFiles();
  files.erase("provinces.csv");
  absl::StatusOr<internal::LoadedCodeData> loaded = internal::LoadCodeTables(files);
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(absl::StrContains(loaded.status().message(), "provinces.csv is missing")) << loaded.status();
}

}  // namespace
}  // namespace quxiang::codes

// The code tables of the national graduate-employment data standard, versioned by graduating class.
//
// The tables are the CSV files of data/codes, embedded into the binary at build time (see
// data/codes/README.md for their sources and the meaning of each column). Codes are compared as
// text, so "01" and "1" are different codes.
//
// The destination codes changed over time: classes up to 2023 use 2-digit codes and classes from
// 2024 use 3-digit sub-codes. That rule is data, not code: the `generation` column of
// destination-codes.csv lists the generations that a row belongs to, and code-versions.csv maps
// ranges of classes to a version and each version to one generation. Tables without a
// `generation` column are the same for every class.
//
// Example:
//   const codes::CodeTables& tables = codes::CodeTables::ForClass(2022);
//   if (!tables.Contains(codes::Table::kEthnicity, record.ethnicity_code)) { ... }
//   if (!tables.AllowsOnlineSigning(record.training_mode_code)) { ... }
#ifndef QUXIANG_LIBS_CODES_CODE_TABLES_H_
#define QUXIANG_LIBS_CODES_CODE_TABLES_H_

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace quxiang::codes {

namespace internal {
class CodeTablesBuilder;
}  // namespace internal

enum class Table {
  kGender,                  // 性别代码, genders.csv
  kEthnicity,               // 民族代码, ethnicities.csv
  kPoliticalStatus,         // 政治面貌代码, political-status.csv
  kEducationLevel,          // 学历代码, education-levels.csv
  kTrainingMode,            // 培养方式代码, training-modes.csv
  kDestination,             // 毕业去向代码, destination-codes.csv (versioned by class)
  kUnitNature,              // 单位性质代码, unit-natures.csv
  kIndustry,                // 单位行业代码, industries.csv
  kJobCategory,             // 工作职位类别代码, job-categories.csv
  kDifficultyCategory,      // 困难生类别代码, difficulty-categories.csv
  kNormalStudentCategory,   // 师范生类别代码, normal-student-categories.csv
  kProvince,                // 省级行政区划代码, provinces.csv
};

inline constexpr std::array<Table, 12> kAllTables = {
    Table::kGender,      Table::kEthnicity,  Table::kPoliticalStatus,    Table::kEducationLevel,
    Table::kTrainingMode, Table::kDestination, Table::kUnitNature,        Table::kIndustry,
    Table::kJobCategory, Table::kDifficultyCategory, Table::kNormalStudentCategory, Table::kProvince,
};

// The file of data/codes that contains `table`, for example "ethnicities.csv".
absl::string_view TableFileName(Table table);

// The name of `table` in Chinese, as a message to a school employee shows it, for example "民族代码".
absl::string_view TableDisplayName(Table table);

// One row of a code table. Fields that the table's file has no column for are empty.
struct Code {
  std::string code;
  std::string name;
  // kDestination: the 2-digit code that a 3-digit sub-code refines, for example "50" for "502".
  std::string parent;
  // kDestination: the placement category under the 2021 definition (协议和合同就业, 灵活就业, 自主创业,
  // 升学, 未就业) and under the 2024 definition (单位就业, 自主创业, 自由职业, 升学, 未就业).
  std::string category_2021;
  std::string category_2024;
  // kEducationLevel: 本专科 or 研究生.
  std::string level_group;
  // kTrainingMode: whether a graduate of this training mode may sign online (the `online_signing`
  // column is "yes"). False in every other table.
  bool online_signing = false;
  // kIndustry: the GB/T 4754 section letter, empty for 80 军队.
  std::string industry_section;
  // The explanation of an uncertain value or of what it implies, in English, from data/codes.
  std::string note;
};

// The code tables that apply to one range of graduating classes.
class CodeTables {
 public:
  // The tables of graduating class `class_year` (the class of 2022 graduates in 2022). Every year
  // maps to a version, because the first and the last version of code-versions.csv are open-ended.
  // Thread-safe; the tables are loaded on the first call and live until the process exits.
  static const CodeTables& ForClass(int class_year);

  // The `version` column of code-versions.csv for these tables, so that a stored record can
  // record which tables it was checked against.
  int version() const { return version_; }

  // The range of classes these tables apply to; 0 where the range is open.
  int first_class() const { return first_class_; }
  int last_class() const { return last_class_; }

  bool Contains(Table table, absl::string_view code) const;

  // The name of `code` in `table`, or an empty string when the table has no such code.
  std::string Name(Table table, absl::string_view code) const;

  // The row of `code` in `table`, or nullptr. The pointer lives as long as the tables.
  const Code* Find(Table table, absl::string_view code) const;

  // Every row of `table` that applies to these classes, in the order of the file.
  std::vector<Code> List(Table table) const;

  // Whether a graduate with training mode `training_mode_code` may sign online. False for 21 and
  // 41 (定向/委培 不可网签), whose graduates may only file the 定向/委培毕业去向补充登记 destination,
  // for the base codes 2 and 4, and for an unknown code. True for 22 and 42 and the other codes.
  bool AllowsOnlineSigning(absl::string_view training_mode_code) const;

  // 本专科 or 研究生 for `education_level_code`, or an empty string for an unknown code. The
  // agreement handler and some statistics are chosen by this group.
  std::string LevelGroup(absl::string_view education_level_code) const;

  // The placement category of destination code `destination_code` under the 2021 or the 2024
  // definition of 毕业去向落实率, or an empty string when these tables have no such code.
  std::string DestinationCategory2021(absl::string_view destination_code) const;
  std::string DestinationCategory2024(absl::string_view destination_code) const;

  CodeTables(const CodeTables&) = delete;
  CodeTables& operator=(const CodeTables&) = delete;

 private:
  friend class internal::CodeTablesBuilder;

  CodeTables(int version, int first_class, int last_class)
      : version_(version), first_class_(first_class), last_class_(last_class) {}

  struct TableRows {
    std::vector<Code> rows;
    absl::flat_hash_map<std::string, std::size_t> index_by_code;
  };

  const TableRows& RowsOf(Table table) const { return tables_[static_cast<std::size_t>(table)]; }

  int version_;
  int first_class_;
  int last_class_;
  std::array<TableRows, kAllTables.size()> tables_;
};

// One column of the national graduate roster layout (roster-columns.csv).
struct RosterColumn {
  int order = 0;
  std::string name;  // the Chinese header, for example "身份证号"
  std::string part;  // "graduate" or "destination"
  std::string note;
};

// The columns of the national roster layout in canonical order.
const std::vector<RosterColumn>& RosterColumns();

}  // namespace quxiang::codes

#endif  // QUXIANG_LIBS_CODES_CODE_TABLES_H_

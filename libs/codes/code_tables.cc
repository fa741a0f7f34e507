#include "libs/codes/code_tables.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/codes/code_tables_internal.h"
#include "libs/codes/csv.h"
#include "libs/status/status_macros.h"

namespace quxiang::codes {
namespace {

struct TableInfo {
  Table table;
  absl::string_view file_name;
  absl::string_view display_name;
};

// In the order of the Table enumerators.
constexpr std::array<TableInfo, kAllTables.size()> kTableInfo = {{
    {Table::kGender, "genders.csv", "性别代码"},
    {Table::kEthnicity, "ethnicities.csv", "民族代码"},
    {Table::kPoliticalStatus, "political-status.csv", "政治面貌代码"},
    {Table::kEducationLevel, "education-levels.csv", "学历代码"},
    {Table::kTrainingMode, "training-modes.csv", "培养方式代码"},
    {Table::kDestination, "destination-codes.csv", "毕业去向代码"},
    {Table::kUnitNature, "unit-natures.csv", "单位性质代码"},
    {Table::kIndustry, "industries.csv", "单位行业代码"},
    {Table::kJobCategory, "job-categories.csv", "工作职位类别代码"},
    {Table::kDifficultyCategory, "difficulty-categories.csv", "困难生类别代码"},
    {Table::kNormalStudentCategory, "normal-student-categories.csv", "师范生类别代码"},
    {Table::kProvince, "provinces.csv", "省级行政区划代码"},
}};

constexpr char kVersionsFile[] = "code-versions.csv";
constexpr char kRosterColumnsFile[] = "roster-columns.csv";

// The rows of a CSV file under its header, with the line of each row for error messages.
struct CsvFile {
  std::string name;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;

  // The index of column `column`, or -1.
  int ColumnIndex(absl::string_view column) const {
    const auto it = std::find(header.begin(), header.end(), column);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

absl::Status FileError(absl::string_view file_name, int line, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("data/codes/", file_name, " line ", line, ": ", problem));
}

absl::StatusOr<CsvFile> ParseCsvFile(const std::map<std::string, std::string>& files, absl::string_view name) {
  const auto it = files.find(std::string(name));
  if (it == files.end()) {
    return absl::InvalidArgumentError(absl::StrCat("data/codes/", name, " is missing"));
  }

  CsvFile file;
  file.name = std::string(name);
  CsvParser parser(it->second);
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> has_record = parser.Next(&fields);
    if (!has_record.ok()) return FileError(name, parser.line_number(), has_record.status().message());
    if (!*has_record) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line

    if (file.header.empty()) {
      file.header = fields;
      continue;
    }
    if (fields.size() != file.header.size()) {
      return FileError(name, parser.line_number(),
                       absl::StrCat("has ", fields.size(), " fields, the header has ", file.header.size()));
    }
    file.rows.push_back(fields);
    file.lines.push_back(parser.line_number());
  }
  if (file.header.empty()) return absl::InvalidArgumentError(absl::StrCat("data/codes/", name, " is empty"));
  return file;
}

absl::StatusOr<int> RequireColumn(const CsvFile& file, absl::string_view column) {
  const int index = file.ColumnIndex(column);
  if (index < 0) {
    return absl::InvalidArgumentError(absl::StrCat("data/codes/", file.name, " has no column ", column));
  }
  return index;
}

// The field of `row` in column `index`, or an empty string when the file has no such column.
std::string FieldOrEmpty(const std::vector<std::string>& row, int index) {
  return index < 0 ? std::string() : row[static_cast<std::size_t>(index)];
}

// A class bound of code-versions.csv: a year, or empty for an open range (returned as 0).
absl::StatusOr<int> ParseClassBound(const CsvFile& file, int line, absl::string_view text) {
  if (text.empty()) return 0;
  int year = 0;
  if (!absl::SimpleAtoi(text, &year) || year < 1900 || year > 9999) {
    return FileError(file.name, line, absl::StrCat("class \"", text, "\" is not a year"));
  }
  return year;
}

struct Version {
  int version = 0;
  int first_class = 0;  // 0: open
  int last_class = 0;   // 0: open
  std::string generation;
};

// Reads code-versions.csv and checks that its ranges cover every year exactly once.
absl::StatusOr<std::vector<Version>> ParseVersions(const std::map<std::string, std::string>& files) {
  ASSIGN_OR_RETURN(const CsvFile file, ParseCsvFile(files, kVersionsFile));
  ASSIGN_OR_RETURN(const int version_column, RequireColumn(file, "version"));
  ASSIGN_OR_RETURN(const int first_column, RequireColumn(file, "first_class"));
  ASSIGN_OR_RETURN(const int last_column, RequireColumn(file, "last_class"));
  ASSIGN_OR_RETURN(const int generation_column, RequireColumn(file, "generation"));

  std::vector<Version> versions;
  for (std::size_t i = 0; i < file.rows.size(); ++i) {
    const std::vector<std::string>& row = file.rows[i];
    const int line = file.lines[i];
    Version version;
    if (!absl::SimpleAtoi(row[version_column], &version.version) || version.version <= 0) {
      return FileError(file.name, line, absl::StrCat("version \"", row[version_column], "\" is not a positive integer"));
    }
    ASSIGN_OR_RETURN(version.first_class, ParseClassBound(file, line, row[first_column]));
    ASSIGN_OR_RETURN(version.last_class, ParseClassBound(file, line, row[last_column]));
    version.generation = row[generation_column];
    if (version.generation.empty()) return FileError(file.name, line, "the generation is empty");
    if (version.first_class != 0 && version.last_class != 0 && version.first_class > version.last_class) {
      return FileError(file.name, line, "first_class is after last_class");
    }
    versions.push_back(version);
  }
  if (versions.empty()) return absl::InvalidArgumentError("data/codes/code-versions.csv has no version");

  std::sort(versions.begin(), versions.end(), [](const Version& a, const Version& b) {
    // An open first bound sorts first.
    return a.first_class < b.first_class;
  });
  if (versions.front().first_class != 0 || versions.back().last_class != 0) {
    return absl::InvalidArgumentError(
        "data/codes/code-versions.csv: the first version must have an empty first_class and the last an empty "
        "last_class, so that every class has a version");
  }
  for (std::size_t i = 1; i < versions.size(); ++i) {
    const Version& previous = versions[i - 1];
    const Version& current = versions[i];
    if (previous.last_class == 0 || current.first_class != previous.last_class + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data/codes/code-versions.csv: version ", current.version, " must start the year after version ",
          previous.version, " ends, without a gap or an overlap"));
    }
    if (current.version <= previous.version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data/codes/code-versions.csv: version numbers must grow with the classes (", previous.version,
          " then ", current.version, ")"));
    }
  }
  return versions;
}

// Fills every version's `table` with the rows of its file that apply to the version.
absl::Status LoadTable(const std::map<std::string, std::string>& files, const TableInfo& info,
                       const std::vector<Version>& versions, std::vector<std::unique_ptr<CodeTables>>& tables) {
  ASSIGN_OR_RETURN(const CsvFile file, ParseCsvFile(files, info.file_name));
  ASSIGN_OR_RETURN(const int code_column, RequireColumn(file, "code"));
  ASSIGN_OR_RETURN(const int name_column, RequireColumn(file, "name"));
  const int parent_column = file.ColumnIndex("parent");
  const int category_2021_column = file.ColumnIndex("category_2021");
  const int category_2024_column = file.ColumnIndex("category_2024");
  const int level_group_column = file.ColumnIndex("level_group");
  const int online_signing_column = file.ColumnIndex("online_signing");
  const int section_column = file.ColumnIndex("gb_t_4754_section");
  const int generation_column = file.ColumnIndex("generation");
  const int note_column = file.ColumnIndex("note");

  std::set<std::string> known_generations;
  for (const Version& version : versions) known_generations.insert(version.generation);

  for (std::size_t i = 0; i < file.rows.size(); ++i) {
    const std::vector<std::string>& row = file.rows[i];
    const int line = file.lines[i];
    Code code;
    code.code = row[code_column];
    code.name = row[name_column];
    if (code.code.empty() || code.name.empty()) return FileError(file.name, line, "the code or the name is empty");
    code.parent = FieldOrEmpty(row, parent_column);
    code.category_2021 = FieldOrEmpty(row, category_2021_column);
    code.category_2024 = FieldOrEmpty(row, category_2024_column);
    code.level_group = FieldOrEmpty(row, level_group_column);
    code.industry_section = FieldOrEmpty(row, section_column);
    code.note = FieldOrEmpty(row, note_column);
    if (online_signing_column >= 0) {
      const std::string& online_signing = row[online_signing_column];
      if (online_signing != "yes" && online_signing != "no") {
        return FileError(file.name, line, absl::StrCat("online_signing is \"", online_signing, "\", expected yes or no"));
      }
      code.online_signing = online_signing == "yes";
    }

    // "2-digit and 3-digit" lists two generations. A table without the column applies to all.
    std::set<std::string> generations;
    if (generation_column >= 0) {
      for (absl::string_view label : absl::StrSplit(row[generation_column], " and ")) {
        if (known_generations.count(std::string(label)) == 0) {
          return FileError(file.name, line,
                           absl::StrCat("generation \"", label, "\" is not in data/codes/code-versions.csv"));
        }
        generations.insert(std::string(label));
      }
    }

    for (std::size_t v = 0; v < versions.size(); ++v) {
      if (generation_column >= 0 && generations.count(versions[v].generation) == 0) continue;
      if (!internal::CodeTablesBuilder::Add(*tables[v], info.table, code)) {
        return FileError(file.name, line,
                         absl::StrCat("code ", code.code, " appears twice in version ", versions[v].version));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RosterColumn>> ParseRosterColumns(const std::map<std::string, std::string>& files) {
  ASSIGN_OR_RETURN(const CsvFile file, ParseCsvFile(files, kRosterColumnsFile));
  ASSIGN_OR_RETURN(const int order_column, RequireColumn(file, "order"));
  ASSIGN_OR_RETURN(const int name_column, RequireColumn(file, "column"));
  ASSIGN_OR_RETURN(const int part_column, RequireColumn(file, "part"));
  const int note_column = file.ColumnIndex("note");

  std::vector<RosterColumn> columns;
  for (std::size_t i = 0; i < file.rows.size(); ++i) {
    const std::vector<std::string>& row = file.rows[i];
    RosterColumn column;
    if (!absl::SimpleAtoi(row[order_column], &column.order)) {
      return FileError(file.name, file.lines[i], absl::StrCat("order \"", row[order_column], "\" is not a number"));
    }
    column.name = row[name_column];
    column.part = row[part_column];
    if (column.part != "graduate" && column.part != "destination") {
      return FileError(file.name, file.lines[i], absl::StrCat("part \"", column.part, "\" is not graduate or destination"));
    }
    column.note = FieldOrEmpty(row, note_column);
    columns.push_back(std::move(column));
  }
  return columns;
}

const internal::LoadedCodeData& EmbeddedCodeData() {
  static const internal::LoadedCodeData* const kData = [] {
    absl::StatusOr<internal::LoadedCodeData> loaded = internal::LoadCodeTables(internal::EmbeddedFiles());
    if (!loaded.ok()) {
      // The files are part of the binary, so this is a build that must not ship.
      std::fprintf(stderr, "the code tables embedded from data/codes are invalid: %s\n",
                   std::string(loaded.status().message()).c_str());
      std::abort();
    }
    return new internal::LoadedCodeData(std::move(*loaded));
  }();
  return *kData;
}

}  // namespace

namespace internal {

std::unique_ptr<CodeTables> CodeTablesBuilder::Create(int version, int first_class, int last_class) {
  return std::unique_ptr<CodeTables>(new CodeTables(version, first_class, last_class));
}

bool CodeTablesBuilder::Add(CodeTables& tables, Table table, Code code) {
  CodeTables::TableRows& rows = tables.tables_[static_cast<std::size_t>(table)];
  if (rows.index_by_code.count(code.code) > 0) return false;
  rows.index_by_code.emplace(code.code, rows.rows.size());
  rows.rows.push_back(std::move(code));
  return true;
}

absl::StatusOr<LoadedCodeData> LoadCodeTables(const std::map<std::string, std::string>& files) {
  ASSIGN_OR_RETURN(const std::vector<Version> versions, ParseVersions(files));

  LoadedCodeData data;
  for (const Version& version : versions) {
    data.versions.push_back(CodeTablesBuilder::Create(version.version, version.first_class, version.last_class));
  }
  for (const TableInfo& info : kTableInfo) {
    RETURN_IF_ERROR(LoadTable(files, info, versions, data.versions));
  }
  ASSIGN_OR_RETURN(data.roster_columns, ParseRosterColumns(files));
  return data;
}

}  // namespace internal

absl::string_view TableFileName(Table table) { return kTableInfo[static_cast<std::size_t>(table)].file_name; }

absl::string_view TableDisplayName(Table table) { return kTableInfo[static_cast<std::size_t>(table)].display_name; }

const CodeTables& CodeTables::ForClass(int class_year) {
  for (const std::unique_ptr<CodeTables>& tables : EmbeddedCodeData().versions) {
    const bool after_first = tables->first_class_ == 0 || class_year >= tables->first_class_;
    const bool before_last = tables->last_class_ == 0 || class_year <= tables->last_class_;
    if (after_first && before_last) return *tables;
  }
  // LoadCodeTables checked that the ranges cover every year.
  std::fprintf(stderr, "no code table version covers class %d\n", class_year);
  std::abort();
}

const Code* CodeTables::Find(Table table, absl::string_view code) const {
  const TableRows& rows = RowsOf(table);
  const auto it = rows.index_by_code.find(code);
  return it == rows.index_by_code.end() ? nullptr : &rows.rows[it->second];
}

bool CodeTables::Contains(Table table, absl::string_view code) const { return Find(table, code) != nullptr; }

std::string CodeTables::Name(Table table, absl::string_view code) const {
  const Code* row = Find(table, code);
  return row == nullptr ? std::string() : row->name;
}

std::vector<Code> CodeTables::List(Table table) const { return RowsOf(table).rows; }

bool CodeTables::AllowsOnlineSigning(absl::string_view training_mode_code) const {
  const Code* row = Find(Table::kTrainingMode, training_mode_code);
  return row != nullptr && row->online_signing;
}

std::string CodeTables::LevelGroup(absl::string_view education_level_code) const {
  const Code* row = Find(Table::kEducationLevel, education_level_code);
  return row == nullptr ? std::string() : row->level_group;
}

std::string CodeTables::DestinationCategory2021(absl::string_view destination_code) const {
  const Code* row = Find(Table::kDestination, destination_code);
  return row == nullptr ? std::string() : row->category_2021;
}

std::string CodeTables::DestinationCategory2024(absl::string_view destination_code) const {
  const Code* row = Find(Table::kDestination, destination_code);
  return row == nullptr ? std::string() : row->category_2024;
}

const std::vector<RosterColumn>& RosterColumns() { return EmbeddedCodeData().roster_columns; }

}  // namespace quxiang::codes

#include "libs/roster/roster_validator.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "libs/logging/logging.h"
#include "libs/status/error.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::roster {
namespace {

using codes::Table;

constexpr char kFixInEms[] = "请核对后在就业管理系统中修改，再重新导出名单。";

struct CodeColumn {
  std::string GraduateRecord::*member;
  absl::string_view header;
  Table table;
  // A code and its name for the message, as an example of a valid value.
  absl::string_view example;
};

const CodeColumn kCodeColumns[] = {
    {&GraduateRecord::gender_code, "性别代码", Table::kGender, "1"},
    {&GraduateRecord::ethnicity_code, "民族代码", Table::kEthnicity, "01"},
    {&GraduateRecord::political_status_code, "政治面貌代码", Table::kPoliticalStatus, "03"},
    {&GraduateRecord::education_level_code, "学历代码", Table::kEducationLevel, "31"},
    {&GraduateRecord::training_mode_code, "培养方式代码", Table::kTrainingMode, "1"},
    {&GraduateRecord::normal_student_category_code, "师范生类别代码", Table::kNormalStudentCategory, "2"},
    {&GraduateRecord::difficulty_category_code, "困难生类别代码", Table::kDifficultyCategory, "0"},
};

struct RosterDate {
  int year = 0;
  int month = 0;
  int day = 0;  // 0 when the text gives only a month
};

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// Builds a date from its digit groups, or nullopt when a group is malformed or the date is not a
// real one between 1900 and 2100.
std::optional<RosterDate> MakeDate(absl::string_view year, absl::string_view month, absl::string_view day) {
  RosterDate date;
  if (year.size() != 4 || !absl::SimpleAtoi(year, &date.year)) return std::nullopt;
  if (month.empty() || month.size() > 2 || !AllDigits(month) || !absl::SimpleAtoi(month, &date.month)) {
    return std::nullopt;
  }
  if (!day.empty() && (day.size() > 2 || !AllDigits(day) || !absl::SimpleAtoi(day, &date.day))) return std::nullopt;
  if (date.year < 1900 || date.year > 2100 || date.month < 1 || date.month > 12) return std::nullopt;
  if (!day.empty()) {
    // CivilDay normalises out-of-range days (February 30 becomes March 2), so a real date is one
    // that normalising leaves unchanged.
    const absl::CivilDay civil(date.year, date.month, date.day);
    if (date.day < 1 || civil.month() != date.month || civil.day() != date.day) return std::nullopt;
  }
  return date;
}

// Parses a roster date in the forms the header of roster_validator.h lists.
std::optional<RosterDate> ParseRosterDate(absl::string_view text, bool allow_month_only) {
  std::optional<RosterDate> date;
  if (AllDigits(text)) {
    if (text.size() == 8) date = MakeDate(text.substr(0, 4), text.substr(4, 2), text.substr(6, 2));
    if (text.size() == 6) date = MakeDate(text.substr(0, 4), text.substr(4, 2), "");
  } else if (absl::StrContains(text, "年")) {
    // YYYY年M月D日 or YYYY年M月
    constexpr absl::string_view kYear = "年";
    constexpr absl::string_view kMonth = "月";
    absl::string_view rest = text;
    const std::size_t year_end = rest.find(kYear);
    const absl::string_view year = rest.substr(0, year_end);
    rest.remove_prefix(year_end + kYear.size());
    const std::size_t month_end = rest.find(kMonth);
    if (month_end == absl::string_view::npos) return std::nullopt;
    const absl::string_view month = rest.substr(0, month_end);
    rest.remove_prefix(month_end + kMonth.size());
    absl::string_view day;
    if (!rest.empty()) {
      if (!absl::ConsumeSuffix(&rest, "日")) return std::nullopt;
      day = rest;
      if (day.empty()) return std::nullopt;
    }
    date = MakeDate(year, month, day);
  } else if (text.size() > 4 && (text[4] == '-' || text[4] == '/' || text[4] == '.')) {
    const std::vector<absl::string_view> parts = absl::StrSplit(text, text[4]);
    if (parts.size() == 3) date = MakeDate(parts[0], parts[1], parts[2]);
    if (parts.size() == 2) date = MakeDate(parts[0], parts[1], "");
  }

  if (date.has_value() && date->day == 0 && !allow_month_only) return std::nullopt;
  return date;
}

// The masked form of every ID number in `text`, as a last guard: a value or message must never
// show one in full, even one typed into the wrong column.
std::string MaskIdNumbers(absl::string_view text) {
  return logging::MaskSensitive(std::string_view(text.data(), text.size()));
}

}  // namespace

RosterValidator::RosterValidator(std::string school_code, int class_year, absl::Time now)
    : school_code_(std::move(school_code)),
      class_year_(class_year),
      now_(now),
      tables_(codes::CodeTables::ForClass(class_year)) {}

std::vector<RowError> RosterValidator::Validate(const GraduateRecord& record, int row) {
  std::vector<RowError> errors;
  CheckRequired(record, row, errors);
  CheckSchool(record, row, errors);
  CheckIdNumber(record, row, errors);
  CheckCodes(record, row, errors);
  CheckDates(record, row, errors);
  CheckDuplicates(record, row, errors);

  for (RowError& error : errors) {
    error.value = MaskIdNumbers(error.value);
    error.message = MaskIdNumbers(error.message);
  }
  return errors;
}

void RosterValidator::CheckRequired(const GraduateRecord& record, int row, std::vector<RowError>& errors) const {
  for (const RosterField& field : RosterFields()) {
    if (!field.required || !(record.*field.member).empty()) continue;
    errors.push_back({row, std::string(field.header), "", kRequiredFieldMissing,
                      absl::StrCat("第 ", row, " 行“", field.header, "”为空，该项必须填写。请在就业管理系统中补全后重新导出名单。")});
  }
}

void RosterValidator::CheckSchool(const GraduateRecord& record, int row, std::vector<RowError>& errors) const {
  if (!record.school_code.empty() && record.school_code != school_code_) {
    const std::string quoted_value = validation::internal::DisplayValue(record.school_code);
    errors.push_back({row, "院校代码", quoted_value, kSchoolCodeMismatch,
                      absl::StrCat("第 ", row, " 行“院校代码”", quoted_value, " 与本校的院校代码 ", school_code_,
                                   " 不一致，名单中只能有本校的毕业生。请确认上传的是本校的名单。")});
  }
}

void RosterValidator::CheckIdNumber(const GraduateRecord& record, int row, std::vector<RowError>& errors) const {
  if (record.id_number.empty()) return;  // reported as missing

  const std::string masked = validation::MaskIdNumber(record.id_number);
  const absl::Status status = validation::ValidateIdNumber(record.id_number, now_, "id_number");
  if (!status.ok()) {
    const std::string reason = ErrorReason(status);
    std::string problem;
    if (reason == validation::kInvalidIdNumberCheckDigit) {
      problem = "的校验位（最后一位）不正确";
    } else if (reason == validation::kInvalidIdNumberBirthDate) {
      problem = "中的出生日期（第 7 至 14 位）不是有效日期";
    } else {
      problem = "格式不正确，应为 18 位：前 17 位为数字，最后一位为数字或 X";
    }
    errors.push_back(
        {row, "身份证号", masked, reason, absl::StrCat("第 ", row, " 行“身份证号”", masked, " ", problem, "，", kFixInEms)});
    return;
  }

  if (record.birth_date.empty()) return;
  const std::optional<RosterDate> birth_date = ParseRosterDate(record.birth_date, /*allow_month_only=*/false);
  if (!birth_date.has_value()) return;  // CheckDates reports it
  const std::string birth_digits =
      absl::StrFormat("%04d%02d%02d", birth_date->year, birth_date->month, birth_date->day);
  if (record.id_number.substr(6, 8) != birth_digits) {
    const std::string quoted_value = validation::internal::DisplayValue(record.birth_date);
    errors.push_back({row, "出生日期", quoted_value, kBirthDateMismatch,
                      absl::StrCat("第 ", row, " 行“出生日期”", quoted_value, " 与身份证号中的出生日期不一致，", kFixInEms)});
  }
}

void RosterValidator::CheckCodes(const GraduateRecord& record, int row, std::vector<RowError>& errors) const {
  for (const CodeColumn& column : kCodeColumns) {
    const std::string& code = record.*column.member;
    if (code.empty() || tables_.Contains(column.table, code)) continue;

    const std::string quoted_value = validation::internal::DisplayValue(code);
    std::string hint = absl::StrCat("（如 ", column.example, " 表示", tables_.Name(column.table, column.example), "）");
    // Excel turns a code typed as 01 into the number 1; name the code that was probably meant.
    for (const codes::Code& candidate : tables_.List(column.table)) {
      if (AllDigits(code) && candidate.code.size() > code.size() && absl::EndsWith(candidate.code, code) &&
          candidate.code.find_first_not_of('0') == candidate.code.size() - code.size()) {
        hint = absl::StrCat("，可能应为“", candidate.code, "”（", candidate.name, "）：代码开头的 0 不能省略");
        break;
      }
    }
    errors.push_back({row, std::string(column.header), quoted_value, kUnknownCode,
                      absl::StrCat("第 ", row, " 行“", column.header, "”", quoted_value, " 不在", column.header, "表中", hint,
                                   "。", kFixInEms)});
  }

  if (!record.origin_code.empty()) {
    const std::string& origin = record.origin_code;
    const bool valid = origin.size() == 6 && AllDigits(origin) &&
                       tables_.Contains(Table::kProvince, absl::StrCat(origin.substr(0, 2), "0000"));
    if (!valid) {
      const std::string quoted_value = validation::internal::DisplayValue(origin);
      errors.push_back({row, "生源所在地代码", quoted_value, kInvalidOriginCode,
                        absl::StrCat("第 ", row, " 行“生源所在地代码”", quoted_value,
                                     " 不是有效的行政区划代码：应为 6 位数字，前 2 位为省级代码（如 110105，11 表示北京市）。",
                                     kFixInEms)});
    }
  }
}

void RosterValidator::CheckDates(const GraduateRecord& record, int row, std::vector<RowError>& errors) const {
  struct DateColumn {
    const std::string& value;
    absl::string_view header;
    bool allow_month_only;
  };
  const DateColumn columns[] = {
      {record.birth_date, "出生日期", false},
      {record.enrolled_at, "入学时间", true},
      {record.graduation_date, "毕业时间", true},
  };
  for (const DateColumn& column : columns) {
    if (column.value.empty()) continue;
    const std::optional<RosterDate> date = ParseRosterDate(column.value, column.allow_month_only);
    const std::string quoted_value = validation::internal::DisplayValue(column.value);
    if (!date.has_value()) {
      errors.push_back({row, std::string(column.header), quoted_value, kInvalidDate,
                        absl::StrCat("第 ", row, " 行“", column.header, "”", quoted_value,
                                     " 不是有效的日期，应写作 8 位数字 YYYYMMDD（如 20220701）。", kFixInEms)});
      continue;
    }
    if (column.header == "毕业时间" && date->year != class_year_) {
      errors.push_back({row, "毕业时间", quoted_value, kGraduationYearMismatch,
                        absl::StrCat("第 ", row, " 行“毕业时间”", quoted_value, " 不在 ", class_year_, " 年，与导入的 ", class_year_,
                                     " 届不符。请确认上传的是 ", class_year_, " 届的名单，或在就业管理系统中修改毕业时间后重新导出名单。")});
    }
  }
}

void RosterValidator::CheckDuplicates(const GraduateRecord& record, int row, std::vector<RowError>& errors) {
  if (!record.student_number.empty()) {
    const std::string key = absl::StrCat(record.school_code, "\x1f", record.student_number);
    const auto [it, inserted] = row_by_student_number_.emplace(key, row);
    if (!inserted) {
      const std::string quoted_value = validation::internal::DisplayValue(record.student_number);
      errors.push_back({row, "学号", quoted_value, kDuplicateStudentNumber,
                        absl::StrCat("第 ", row, " 行“学号”", quoted_value, " 与第 ", it->second,
                                     " 行重复，同一学校的学号不能重复。", kFixInEms)});
    }
  }

  if (!record.id_number.empty()) {
    const std::string key = absl::StrCat(record.school_code, "\x1f", validation::NormalizeIdNumber(record.id_number));
    const auto [it, inserted] = row_by_id_number_.emplace(key, row);
    if (!inserted) {
      const std::string masked = validation::MaskIdNumber(record.id_number);
      errors.push_back({row, "身份证号", masked, kDuplicateIdNumber,
                        absl::StrCat("第 ", row, " 行“身份证号”", masked, " 与第 ", it->second,
                                     " 行重复，同一名毕业生只能在名单中出现一次。请核对后在就业管理系统中删除重复的记录，再重新导出名单。")});
    }
  }
}

}  // namespace quxiang::roster

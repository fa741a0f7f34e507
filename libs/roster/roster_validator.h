// Validation of the graduates of one school's roster file, row by row.
//
// Checks, each reported as one RowError on the row and column concerned:
//   - every required column (RosterFields) has a value;
//   - 身份证号: 18 characters, a real birth date and the GB 11643 check digit (libs/validation), and
//     出生日期, when present, is a valid date equal to the birth date inside the ID number;
//   - codes are in the code tables of the class: 性别代码, 民族代码, 政治面貌代码, 学历代码 and 培养方式代码,
//     and when present 师范生类别代码 and 困难生类别代码;
//   - 生源所在地代码, when present, is 6 digits whose first 2 digits are a province of provinces.csv.
//     The code tables hold only the province level of GB/T 2260, and the first 2 digits of every
//     GB/T 2260 code are its province, so that is as far as the check can go;
//   - 院校代码 is the importing school's code;
//   - 毕业时间 is a date in the class's year, and 入学时间, when present, a date. Dates may be written
//     YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (month and day with one or two digits) or
//     YYYY年MM月DD日; 入学时间 and 毕业时间 may also give only a month (YYYYMM, YYYY-MM, YYYY/MM,
//     YYYY.MM, YYYY年MM月);
//   - within the file, no two rows share a (院校代码, 学号) or a (院校代码, 身份证号). The later row is
//     reported and the message names the earlier one.
// 手机号码, 电子邮箱 and the other optional text columns are not checked: the roster is the national
// system's data, and a typo there must not keep a graduate out of the platform.
//
// Messages are Simplified Chinese. They name the row (as a spreadsheet shows it), the column and the
// value, and explain the fix. Roster data comes from the employment management system, so the fix
// is always made there, followed by a new export. A resident ID number never appears in full in
// any RowError: it is masked as 110105********1234.
#ifndef QUXIANG_LIBS_ROSTER_ROSTER_VALIDATOR_H_
#define QUXIANG_LIBS_ROSTER_ROSTER_VALIDATOR_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/codes/code_tables.h"
#include "libs/roster/graduate_record.h"

namespace quxiang::roster {

// Reasons of RowError.
inline constexpr char kRequiredFieldMissing[] = "REQUIRED_FIELD_MISSING";
// kInvalidIdNumberFormat, kInvalidIdNumberBirthDate and kInvalidIdNumberCheckDigit of
// libs/validation are used as they are for 身份证号.
inline constexpr char kBirthDateMismatch[] = "BIRTH_DATE_MISMATCH";
inline constexpr char kInvalidDate[] = "INVALID_DATE";
inline constexpr char kGraduationYearMismatch[] = "GRADUATION_YEAR_MISMATCH";
inline constexpr char kUnknownCode[] = "UNKNOWN_CODE";
inline constexpr char kInvalidOriginCode[] = "INVALID_ORIGIN_CODE";
inline constexpr char kSchoolCodeMismatch[] = "SCHOOL_CODE_MISMATCH";
inline constexpr char kDuplicateStudentNumber[] = "DUPLICATE_STUDENT_NUMBER";
inline constexpr char kDuplicateIdNumber[] = "DUPLICATE_ID_NUMBER";

struct RowError {
  // The 1-based row of the file as a spreadsheet program shows it (the header row is row 1).
  int row = 0;
  // The Chinese header of the column, for example "身份证号".
  std::string column;
  // The value as the message quotes it: at most 32 characters, and an ID number masked.
  std::string value;
  // UPPER_SNAKE_CASE, one of the reasons above or of libs/validation.
  std::string reason;
  // The problem and its fix, in Simplified Chinese.
  std::string message;

  friend bool operator==(const RowError& a, const RowError& b) {
    return a.row == b.row && a.column == b.column && a.value == b.value && a.reason == b.reason &&
           a.message == b.message;
  }
};

class RosterValidator {
 public:
  // Validates the roster of the school with 院校代码 `school_code` for graduating class
  // `class_year`, against codes::CodeTables::ForClass(class_year). `now` bounds birth dates.
  RosterValidator(std::string school_code, int class_year, absl::Time now);

  // The errors of `record`, read from row `row`; empty when the record is valid. Remembers the
  // record's student number and ID number, so call it once per row, in file order.
  std::vector<RowError> Validate(const GraduateRecord& record, int row);

  const codes::CodeTables& tables() const { return tables_; }

 private:
  void CheckRequired(const GraduateRecord& record, int row, std::vector<RowError>& errors) const;
  void CheckSchool(const GraduateRecord& record, int row, std::vector<RowError>& errors) const;
  void CheckIdNumber(const GraduateRecord& record, int row, std::vector<RowError>& errors) const;
  void CheckCodes(const GraduateRecord& record, int row, std::vector<RowError>& errors) const;
  void CheckDates(const GraduateRecord& record, int row, std::vector<RowError>& errors) const;
  void CheckDuplicates(const GraduateRecord& record, int row, std::vector<RowError>& errors);

  std::string school_code_;
  int class_year_;
  absl::Time now_;
  const codes::CodeTables& tables_;
  // The first row of each (school code, student number) and (school code, ID number).
  absl::flat_hash_map<std::string, int> row_by_student_number_;
  absl::flat_hash_map<std::string, int> row_by_id_number_;
};

}  // namespace quxiang::roster

#endif  // QUXIANG_LIBS_ROSTER_ROSTER_VALIDATOR_H_

#include "libs/roster/roster_validator.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/roster/roster_reader.h"
#include "libs/roster/test_files.h"
#include "libs/validation/validation.h"

namespace quxiang::roster {
namespace {

using testing::kClassYear;
using testing::kSchoolCode;
using testing::TwentyGraduates;

// 2022-06-15 12:00 in China.
const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2022, 6, 15, 4, 0, 0), absl::UTCTimeZone());

// Validates `records` as rows 2, 3, ... of one file.
std::vector<RowError> ValidateAll(const std::vector<GraduateRecord>& records) {
  RosterValidator validator(kSchoolCode, kClassYear, kNow);
  std::vector<RowError> errors;
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (RowError& error : validator.Validate(records[i], static_cast<int>(i) + 2)) errors.push_back(error);
  }
  return errors;
}

// The errors of `record` validated alone as row 2.
std::vector<RowError> ValidateOne(const GraduateRecord& record) { return ValidateAll({record}); }

std::string WithWrongCheckDigit(const std::string& id_number) {
  std::string wrong = id_number;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  return wrong;
}

TEST(RosterValidator, FixtureIsValid) {
  const std::vector<RowError> errors = ValidateAll(TwentyGraduates());
  for (const RowError& error : errors) ADD_FAILURE() << error.message;
  EXPECT_TRUE(errors.empty());
}

TEST(RosterValidator, ReportsExactlyThreeBadRows) {
  std::vector<GraduateRecord> records = TwentyGraduates();
  records[3].id_number = WithWrongCheckDigit(records[3].id_number);  // row 5
  records[7].ethnicity_code = "99";                                   // row 9
  records[12].student_number = records[1].student_number;             // row 14 repeats row 3

  // Through the reader too, so that the rows are the file's rows.
  const std::string csv = testing::ToCsv(testing::RecordsTable(testing::AllHeaders(), records));
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(csv, "名单.csv");
  ASSERT_TRUE(reader.ok()) << reader.status();
  RosterValidator validator(kSchoolCode, kClassYear, kNow);
  std::vector<RowError> errors;
  int valid_rows = 0;
  while (true) {
    GraduateRecord record;
    int row = 0;
    absl::StatusOr<bool> has_record = (*reader)->Next(&record, &row);
    ASSERT_TRUE(has_record.ok()) << has_record.status();
    if (!*has_record) break;
    const std::vector<RowError> row_errors = validator.Validate(record, row);
    if (row_errors.empty()) ++valid_rows;
    errors.insert(errors.end(), row_errors.begin(), row_errors.end());
  }

  EXPECT_EQ(valid_rows, 17);
  ASSERT_EQ(errors.size(), 3u);

  EXPECT_EQ(errors[0].row, 5);
  EXPECT_EQ(errors[0].column, "身份证号");
  EXPECT_EQ(errors[0].reason, validation::kInvalidIdNumberCheckDigit);
  EXPECT_EQ(errors[0].value, validation::MaskIdNumber(records[3].id_number));
  EXPECT_EQ(errors[0].message, absl::StrCat("第 5 行“身份证号”", validation::MaskIdNumber(records[3].id_number),
                                            " 的校验位（最后一位）不正确，请核对后在就业管理系统中修改，再重新导出名单。"));

  EXPECT_EQ(errors[1].row, 9);
  EXPECT_EQ(errors[1].column, "民族代码");
  EXPECT_EQ(errors[1].reason, kUnknownCode);
  EXPECT_EQ(errors[1].value, "99");
  EXPECT_TRUE(absl::StrContains(errors[1].message, "第 9 行“民族代码”99 不在民族代码表中（如 01 表示汉族）"))
      << errors[1].message;

  EXPECT_EQ(errors[2].row, 14);
  EXPECT_EQ(errors[2].column, "学号");
  EXPECT_EQ(errors[2].reason, kDuplicateStudentNumber);
  EXPECT_EQ(errors[2].value, records[1].student_number);
  EXPECT_TRUE(absl::StrContains(errors[2].message, "与第 3 行重复")) << errors[2].message;
}

TEST(RosterValidator, IdNumbersNeverUnmasked) {
  std::vector<GraduateRecord> records = TwentyGraduates();
  std::vector<std::string> full_numbers;
  for (const GraduateRecord& record : records) full_numbers.push_back(record.id_number);

  records[0].id_number = WithWrongCheckDigit(records[0].id_number);
  records[1].id_number = records[1].id_number.substr(0, 17);          // too short
  records[2].id_number = records[2].id_number.substr(0, 6) + "20001340" + records[2].id_number.substr(14);
  records[3].id_number = records[4].id_number;                         // duplicate
  records[5].student_number = full_numbers[5];                         // an ID number in the wrong column
  records[6].birth_date = "19990101";                                  // disagrees with the ID number
  records[7].class_name = full_numbers[7];
  records[8].school_code = full_numbers[8];
  records[9].ethnicity_code = full_numbers[9];
  records[10].graduation_date = full_numbers[10];
  records[11].id_number[0] = 'A';
  full_numbers.push_back(records[0].id_number);
  full_numbers.push_back(records[2].id_number);

  const std::vector<RowError> errors = ValidateAll(records);
  EXPECT_GE(errors.size(), 9u);
  for (const RowError& error : errors) {
    SCOPED_TRACE(error.message);
    for (const std::string& number : full_numbers) {
      EXPECT_FALSE(absl::StrContains(error.value, number));
      EXPECT_FALSE(absl::StrContains(error.message, number));
      EXPECT_FALSE(absl::StrContains(error.value, number.substr(0, 17)));
      EXPECT_FALSE(absl::StrContains(error.message, number.substr(0, 17)));
    }
  }
}

TEST(RosterValidator, IdNumberProblems) {
  const GraduateRecord base = TwentyGraduates()[0];
  const struct {
    std::string id_number;
    std::string reason;
    std::string message_part;
  } cases[] = {
      {base.id_number.substr(0, 17), validation::kInvalidIdNumberFormat, "格式不正确，应为 18 位"},
      {base.id_number.substr(0, 6) + "20001340" + base.id_number.substr(14), validation::kInvalidIdNumberBirthDate,
       "出生日期（第 7 至 14 位）不是有效日期"},
      {WithWrongCheckDigit(base.id_number), validation::kInvalidIdNumberCheckDigit, "校验位（最后一位）不正确"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.id_number);
    GraduateRecord record = base;
    record.id_number = test_case.id_number;
    record.birth_date = "";
    const std::vector<RowError> errors = ValidateOne(record);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].column, "身份证号");
    EXPECT_EQ(errors[0].reason, test_case.reason);
    EXPECT_TRUE(absl::StrContains(errors[0].message, test_case.message_part)) << errors[0].message;
  }
}

TEST(RosterValidator, LowercaseXIsAccepted) {
  GraduateRecord record = TwentyGraduates()[0];
  // 11010519491231002X is the example number of GB 11643-1999.
  record.id_number = "11010519491231002x";
  record.birth_date = "19491231";
  record.gender_code = "2";
  EXPECT_TRUE(ValidateOne(record).empty());
}

TEST(RosterValidator, BirthDateMustMatchIdNumber) {
  GraduateRecord record = TwentyGraduates()[0];
  record.birth_date = "2000-03-12";  // the same date in another form
  EXPECT_TRUE(ValidateOne(record).empty());

  record.birth_date = "20000313";
  std::vector<RowError> errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].column, "出生日期");
  EXPECT_EQ(errors[0].reason, kBirthDateMismatch);
  EXPECT_EQ(errors[0].message, "第 2 行“出生日期”20000313 与身份证号中的出生日期不一致，请核对后在就业管理系统中修改，再重新导出名单。");

  record.birth_date = "2000-02-30";
  errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, kInvalidDate);
}

TEST(RosterValidator, RequiredFieldsMissing) {
  GraduateRecord record = TwentyGraduates()[0];
  record.name = "";
  record.department = "";
  const std::vector<RowError> errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].column, "姓名");
  EXPECT_EQ(errors[0].reason, kRequiredFieldMissing);
  EXPECT_EQ(errors[0].message, "第 2 行“姓名”为空，该项必须填写。请在就业管理系统中补全后重新导出名单。");
  EXPECT_EQ(errors[1].column, "所在院系");
}

TEST(RosterValidator, EveryRequiredFieldChecked) {
  for (const RosterField& field : RosterFields()) {
    if (!field.required) continue;
    SCOPED_TRACE(field.header);
    GraduateRecord record = TwentyGraduates()[0];
    record.*field.member = "";
    const std::vector<RowError> errors = ValidateOne(record);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].column, field.header);
    EXPECT_EQ(errors[0].reason, kRequiredFieldMissing);
  }
}

TEST(RosterValidator, UnknownCodesInEveryTable) {
  const struct {
    std::string GraduateRecord::*member;
    std::string header;
  } columns[] = {
      {&GraduateRecord::gender_code, "性别代码"},
      {&GraduateRecord::ethnicity_code, "民族代码"},
      {&GraduateRecord::political_status_code, "政治面貌代码"},
      {&GraduateRecord::education_level_code, "学历代码"},
      {&GraduateRecord::training_mode_code, "培养方式代码"},
      {&GraduateRecord::normal_student_category_code, "师范生类别代码"},
      {&GraduateRecord::difficulty_category_code, "困难生类别代码"},
  };
  for (const auto& column : columns) {
    SCOPED_TRACE(column.header);
    GraduateRecord record = TwentyGraduates()[0];
    record.*column.member = "88";
    const std::vector<RowError> errors = ValidateOne(record);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].column, column.header);
    EXPECT_EQ(errors[0].reason, kUnknownCode);
  }
}

TEST(RosterValidator, LeadingZeroHint) {
  GraduateRecord record = TwentyGraduates()[0];
  record.ethnicity_code = "1";
  const std::vector<RowError> errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(absl::StrContains(errors[0].message, "可能应为“01”（汉族）：代码开头的 0 不能省略")) << errors[0].message;
}

TEST(RosterValidator, TrainingModesOfPlatform) {
  for (const char* code : {"1", "2", "3", "4", "5", "21", "22", "41", "42"}) {
    GraduateRecord record = TwentyGraduates()[0];
    record.training_mode_code = code;
    EXPECT_TRUE(ValidateOne(record).empty()) << code;
  }
}

TEST(RosterValidator, OriginCodeByProvince) {
  const struct {
    std::string code;
    bool valid;
  } cases[] = {
      {"110105", true}, {"650102", true}, {"820000", true}, {"", true},
      {"990101", false}, {"11010", false}, {"1101051", false}, {"11010X", false}, {"北京市", false},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.code);
    GraduateRecord record = TwentyGraduates()[0];
    record.origin_code = test_case.code;
    const std::vector<RowError> errors = ValidateOne(record);
    if (test_case.valid) {
      EXPECT_TRUE(errors.empty());
    } else {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].column, "生源所在地代码");
      EXPECT_EQ(errors[0].reason, kInvalidOriginCode);
    }
  }
}

TEST(RosterValidator, SchoolCodeOfImportingSchool) {
  GraduateRecord record = TwentyGraduates()[0];
  record.school_code = "4111010002";
  const std::vector<RowError> errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].column, "院校代码");
  EXPECT_EQ(errors[0].reason, kSchoolCodeMismatch);
  EXPECT_TRUE(absl::StrContains(errors[0].message, "与本校的院校代码 4111010001 不一致")) << errors[0].message;
}

TEST(RosterValidator, DateForms) {
  const struct {
    std::string graduation_date;
    std::string enrolled_at;
    std::string reason;  // empty when valid
  } cases[] = {
      {"20220701", "20180901", ""},
      {"2022-07-01", "2018-09", ""},
      {"2022/7/1", "2018/9", ""},
      {"2022.07.01", "201809", ""},
      {"2022年7月1日", "2018年9月", ""},
      {"2022-07", "2018-09-01", ""},
      {"20210701", "20180901", kGraduationYearMismatch},
      {"20221301", "20180901", kInvalidDate},
      {"2022-7-32", "20180901", kInvalidDate},
      {"二〇二二年七月", "20180901", kInvalidDate},
      {"20220701", "2018", kInvalidDate},
      {"20220701", "1800-09-01", kInvalidDate},
      {"20220701", "2018-09-01-01", kInvalidDate},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.graduation_date + " " + test_case.enrolled_at);
    GraduateRecord record = TwentyGraduates()[0];
    record.graduation_date = test_case.graduation_date;
    record.enrolled_at = test_case.enrolled_at;
    const std::vector<RowError> errors = ValidateOne(record);
    if (test_case.reason.empty()) {
      EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0].message);
    } else {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].reason, test_case.reason);
    }
  }
}

TEST(RosterValidator, BirthDateNeedsDay) {
  GraduateRecord record = TwentyGraduates()[0];
  record.birth_date = "200003";
  const std::vector<RowError> errors = ValidateOne(record);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].column, "出生日期");
  EXPECT_EQ(errors[0].reason, kInvalidDate);
}

TEST(RosterValidator, DuplicateIdNumberNamesEarlierRow) {
  std::vector<GraduateRecord> records = TwentyGraduates();
  records[6] = records[2];
  records[6].student_number = "2018019999";
  const std::vector<RowError> errors = ValidateAll(records);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].row, 8);
  EXPECT_EQ(errors[0].column, "身份证号");
  EXPECT_EQ(errors[0].reason, kDuplicateIdNumber);
  EXPECT_TRUE(absl::StrContains(errors[0].message, "与第 4 行重复")) << errors[0].message;
}

TEST(RosterValidator, DuplicateIdIgnoresCaseOfX) {
  GraduateRecord first = TwentyGraduates()[0];
  first.id_number = "11010519491231002X";
  first.birth_date = "";
  GraduateRecord second = TwentyGraduates()[1];
  second.id_number = "11010519491231002x";
  second.birth_date = "";
  const std::vector<RowError> errors = ValidateAll({first, second});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, kDuplicateIdNumber);
}

TEST(RosterValidator, SameStudentNumberOtherSchool) {
  // The key is (school, student number): a row of another school repeats nothing, but is reported
  // for its school code.
  std::vector<GraduateRecord> records = TwentyGraduates();
  records[1].student_number = records[0].student_number;
  records[1].school_code = "4111010002";
  const std::vector<RowError> errors = ValidateAll(records);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, kSchoolCodeMismatch);
}

TEST(RosterValidator, Class2024Tables) {
  RosterValidator validator(kSchoolCode, 2024, kNow);
  EXPECT_EQ(validator.tables().version(), 2);
  GraduateRecord record = TwentyGraduates()[0];
  record.graduation_date = "20240701";
  EXPECT_TRUE(validator.Validate(record, 2).empty());
}

}  // namespace
}  // namespace quxiang::roster

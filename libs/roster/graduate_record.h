// One graduate as a school's roster file in the national layout describes it (the graduate part of
// data/codes/roster-columns.csv), and the mapping between the roster's Chinese column headers and
// the fields of GraduateRecord.
#ifndef QUXIANG_LIBS_ROSTER_GRADUATE_RECORD_H_
#define QUXIANG_LIBS_ROSTER_GRADUATE_RECORD_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace quxiang::roster {

// Every field is the cell's text as the file has it, with spaces at both ends removed. Codes stay
// text ("01" is not "1"). Dates are text too; a date that an XLSX file stores as an Excel serial
// number comes back as YYYYMMDD.
struct GraduateRecord {
  std::string candidate_number;                  // 考生号
  std::string id_number;                         // 身份证号
  std::string name;                              // 姓名
  std::string gender_code;                       // 性别代码
  std::string gender;                            // 性别
  std::string ethnicity_code;                    // 民族代码
  std::string ethnicity;                         // 民族
  std::string political_status_code;             // 政治面貌代码
  std::string political_status;                  // 政治面貌
  std::string school_code;                       // 院校代码
  std::string school_name;                       // 院校名称
  std::string branch_school_name;                // 分校名称
  std::string education_level_code;              // 学历代码
  std::string education_level;                   // 学历
  std::string major_code;                        // 专业代码
  std::string major_name;                        // 专业
  std::string major_direction;                   // 专业方向
  std::string training_mode_code;                // 培养方式代码
  std::string training_mode;                     // 培养方式
  std::string sponsoring_unit;                   // 定向或委培单位
  std::string origin_code;                       // 生源所在地代码
  std::string origin;                            // 生源所在地
  std::string urban_or_rural_origin;             // 城乡生源
  std::string schooling_length;                  // 学制
  std::string enrolled_at;                       // 入学时间
  std::string graduation_date;                   // 毕业时间
  std::string normal_student_category_code;      // 师范生类别代码
  std::string normal_student_category;           // 师范生类别
  std::string difficulty_category_code;          // 困难生类别代码
  std::string difficulty_category;               // 困难生类别
  std::string department;                        // 所在院系
  std::string class_name;                        // 所在班级
  std::string student_number;                    // 学号
  std::string birth_date;                        // 出生日期
  std::string agreement_number;                  // 就业协议书号
  std::string household_police_station;          // 入学前户口所在地派出所
  std::string archive_transferred_to_school;     // 档案是否转入学校
  std::string household_transferred_to_school;   // 户口是否转入学校
  std::string phone;                             // 手机号码
  std::string email;                             // 电子邮箱
  std::string parent_name;                       // 家长姓名
  std::string home_address;                      // 家庭住址
  std::string home_phone;                        // 家庭电话
  std::string home_postal_code;                  // 家庭邮编

  friend bool operator==(const GraduateRecord& a, const GraduateRecord& b);
  friend bool operator!=(const GraduateRecord& a, const GraduateRecord& b) { return !(a == b); }
};

// One roster column and the field of GraduateRecord that it fills.
struct RosterField {
  absl::string_view header;  // the Chinese header of the national layout, for example "身份证号"
  std::string GraduateRecord::*member;
  // A roster file without this column is rejected, and a row with the cell empty is an error.
  bool required;
  // The column contains a date, so that an Excel serial number in it is converted to YYYYMMDD.
  bool is_date;
};

// The columns of the graduate part of the national layout, in its canonical order. Required: 身份证号,
// 姓名, 性别代码, 民族代码, 政治面貌代码, 院校代码, 学历代码, 专业代码, 专业, 培养方式代码, 所在院系, 学号 and
// 毕业时间, the data that the platform's rules, its review pages and the employment management
// system's keys use. The other columns may be missing from a file.
const std::vector<RosterField>& RosterFields();

// The field for `header`, or nullptr when the graduate part has no such column. Besides the
// headers of the national layout it accepts a few names that school exports use for the same
// column (身份证号码, 专业名称, 生源地代码, 毕业日期, 入学日期 ...; see graduate_record.cc).
const RosterField* FindRosterField(absl::string_view header);

// A stable digest (SHA-256, 64 hex digits) of every field of `record`, so that a re-import of the
// same data is detected as unchanged. Each non-empty field enters with its header, so adding a
// new field to GraduateRecord later changes no digest of a record that leaves it empty.
std::string Fingerprint(const GraduateRecord& record);

}  // namespace quxiang::roster

#endif  // QUXIANG_LIBS_ROSTER_GRADUATE_RECORD_H_

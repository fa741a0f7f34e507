#include "libs/roster/graduate_record.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "libs/codes/code_tables.h"
#include "libs/roster/test_files.h"

namespace quxiang::roster {
namespace {

TEST(RosterFields, CoverGraduatePartOfLayout) {
  std::set<std::string> layout_columns;
  for (const codes::RosterColumn& column : codes::RosterColumns()) {
    if (column.part != "graduate") continue;
    layout_columns.insert(column.name);
    EXPECT_NE(FindRosterField(column.name), nullptr) << column.name;
  }

  std::set<std::string> field_headers;
  for (const RosterField& field : RosterFields()) field_headers.emplace(field.header);
  EXPECT_EQ(field_headers, layout_columns);
}

TEST(RosterFields, DestinationColumnsAreNotFields) {
  for (const codes::RosterColumn& column : codes::RosterColumns()) {
    if (column.part == "destination") {
      EXPECT_EQ(FindRosterField(column.name), nullptr) << column.name;
    }
  }
}

TEST(RosterFields, RequiredColumns) {
  std::set<std::string> required;
  for (const RosterField& field : RosterFields()) {
    if (field.required) required.emplace(field.header);
  }
  const std::set<std::string> expected = {"身份证号", "姓名",   "性别代码",     "民族代码", "政治面貌代码",
                                          "院校代码", "学历代码", "专业代码",     "专业",     "培养方式代码",
                                          "所在院系", "学号",   "毕业时间"};
  EXPECT_EQ(required, expected);
}

TEST(FindRosterField, AcceptsOtherHeaderNames) {
  EXPECT_EQ(FindRosterField("身份证号码"), FindRosterField("身份证号"));
  EXPECT_EQ(FindRosterField("专业名称")->member, &GraduateRecord::major_name);
  EXPECT_EQ(FindRosterField("毕业日期")->member, &GraduateRecord::graduation_date);
  EXPECT_EQ(FindRosterField("生源地代码")->member, &GraduateRecord::origin_code);
  EXPECT_EQ(FindRosterField("备注"), nullptr);
  EXPECT_EQ(FindRosterField(""), nullptr);
}

TEST(Fingerprint, EqualRecordsEqualDigests) {
  const auto records = testing::TwentyGraduates();
  GraduateRecord copy = records[3];
  EXPECT_EQ(Fingerprint(copy), Fingerprint(records[3]));
  EXPECT_EQ(Fingerprint(records[3]).size(), 64u);
}

TEST(Fingerprint, EveryFieldChangesDigest) {
  const GraduateRecord base = testing::TwentyGraduates()[0];
  std::set<std::string> digests = {Fingerprint(base)};
  for (const RosterField& field : RosterFields()) {
    GraduateRecord changed = base;
    changed.*field.member += "x";
    SCOPED_TRACE(field.header);
    EXPECT_TRUE(digests.insert(Fingerprint(changed)).second);
  }
}

TEST(Fingerprint, MovedTextChangesDigest) {
  GraduateRecord a;
  a.name = "张三";
  a.class_name = "";
  GraduateRecord b;
  b.name = "";
  b.class_name = "张三";
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

TEST(Fingerprint, StableAcrossVersions) {
  // A re-import compares this digest with the one stored at the last import, so the algorithm
  // must not change: SHA-256 of "姓名=6:张三;学号=10:2022010001;".
  GraduateRecord record;
  record.name = "张三";
  record.student_number = "2022010001";
  EXPECT_EQ(Fingerprint(record), "b097fe9c3359c797ac21768b817574512ec2cd97246f6b5df0350572ca41743b");
}

TEST(GraduateRecord, EqualityComparesEveryField) {
  const GraduateRecord base = testing::TwentyGraduates()[0];
  for (const RosterField& field : RosterFields()) {
    GraduateRecord changed = base;
    changed.*field.member += "x";
    SCOPED_TRACE(field.header);
    EXPECT_NE(changed, base);
  }
  EXPECT_EQ(GraduateRecord(base), base);
}

}  // namespace
}  // namespace quxiang::roster

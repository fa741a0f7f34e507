#include "libs/roster/roster_reader.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/roster/test_files.h"
#include "libs/status/error.h"

namespace quxiang::roster {
namespace {

using testing::AllHeaders;
using testing::CellKind;
using testing::RecordsTable;
using testing::ToCsv;
using testing::TwentyGraduates;
using testing::XlsxCell;
using testing::XlsxRow;
using ::testing::ElementsAre;
using namespace std::string_literals;

struct ReadResult {
  std::vector<GraduateRecord> records;
  std::vector<int> rows;
  RosterFormat format = RosterFormat::kCsvUtf8;
  std::vector<std::string> headers;
};

// Reads every record of `content`; fails the test on any error.
ReadResult ReadAll(std::string content, absl::string_view file_name = "名单") {
  ReadResult result;
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(std::move(content), file_name);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return result;
  result.format = (*reader)->format();
  result.headers = (*reader)->headers();
  while (true) {
    GraduateRecord record;
    int row = 0;
    absl::StatusOr<bool> has_record = (*reader)->Next(&record, &row);
    EXPECT_TRUE(has_record.ok()) << has_record.status();
    if (!has_record.ok() || !*has_record) break;
    result.records.push_back(record);
    result.rows.push_back(row);
  }
  return result;
}

// The status of opening `content` and reading all of it.
absl::Status ReadStatus(std::string content, const RosterReaderLimits& limits = {}) {
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(std::move(content), "名单.xlsx", limits);
  if (!reader.ok()) return reader.status();
  while (true) {
    GraduateRecord record;
    int row = 0;
    absl::StatusOr<bool> has_record = (*reader)->Next(&record, &row);
    if (!has_record.ok()) return has_record.status();
    if (!*has_record) return absl::OkStatus();
  }
}

std::vector<int> RowsFrom(int first, int count) {
  std::vector<int> rows(count);
  for (int i = 0; i < count; ++i) rows[i] = first + i;
  return rows;
}

// The Excel serial number (1900 date system) of a date after 1900-02-28.
std::string ExcelSerial(absl::string_view yyyymmdd) {
  int year = 0;
  int month = 0;
  int day = 0;
  EXPECT_TRUE(absl::SimpleAtoi(yyyymmdd.substr(0, 4), &year));
  EXPECT_TRUE(absl::SimpleAtoi(yyyymmdd.substr(4, 2), &month));
  EXPECT_TRUE(absl::SimpleAtoi(yyyymmdd.substr(6, 2), &day));
  return absl::StrCat(absl::CivilDay(year, month, day) - absl::CivilDay(1899, 12, 30));
}

// The fixture as an XLSX sheet with the kinds of cells that schools' files have. Text is in shared
// and inline strings, and student numbers and phone numbers are numbers. The birth date is an Excel
// serial date, and the graduation date is typed as the number 20220701.
std::string FixtureXlsx(const std::vector<GraduateRecord>& records) {
  const std::vector<std::string> headers = AllHeaders();
  const testing::Table table = RecordsTable(headers, records);
  std::vector<XlsxRow> rows;
  for (std::size_t r = 0; r < table.size(); ++r) {
    XlsxRow cells;
    for (std::size_t c = 0; c < headers.size(); ++c) {
      const std::string& header = headers[c];
      const std::string& value = table[r][c];
      XlsxCell cell{value, CellKind::kSharedString};
      if (r > 0) {
        if (header == "学号" || header == "手机号码" || header == "学制" || header == "毕业时间") {
          cell.kind = CellKind::kNumber;
        } else if (header == "出生日期") {
          cell = {ExcelSerial(value), CellKind::kNumber};
        } else if (header == "姓名" || header == "家庭住址" || header == "入学时间") {
          cell.kind = CellKind::kInlineString;
        }
      }
      cells.push_back(cell);
    }
    rows.push_back(cells);
  }
  return testing::BuildXlsx(rows);
}

TEST(RosterReader, SameRecordsInEveryFormat) {
  const std::vector<GraduateRecord> expected = TwentyGraduates();
  const std::string csv = ToCsv(RecordsTable(AllHeaders(), expected));

  const ReadResult utf8 = ReadAll(csv);
  const ReadResult utf8_bom = ReadAll("\xEF\xBB\xBF" + csv);
  const ReadResult gb18030 = ReadAll(testing::ToGb18030(csv));
  const ReadResult xlsx = ReadAll(FixtureXlsx(expected));

  EXPECT_EQ(utf8.format, RosterFormat::kCsvUtf8);
  EXPECT_EQ(utf8_bom.format, RosterFormat::kCsvUtf8WithBom);
  EXPECT_EQ(gb18030.format, RosterFormat::kCsvGb18030);
  EXPECT_EQ(xlsx.format, RosterFormat::kXlsx);
  for (const ReadResult* result : {&utf8, &utf8_bom, &gb18030, &xlsx}) {
    SCOPED_TRACE(RosterFormatName(result->format));
    EXPECT_EQ(result->headers, AllHeaders());
    ASSERT_EQ(result->records.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(result->records[i], expected[i]);
      EXPECT_EQ(Fingerprint(result->records[i]), Fingerprint(expected[i]));
    }
    EXPECT_EQ(result->rows, RowsFrom(2, 20));
  }
}

TEST(RosterReader, KeepsNamesOutsideBmp) {
  const std::vector<GraduateRecord> expected = TwentyGraduates();
  const std::string csv = ToCsv(RecordsTable(AllHeaders(), expected));
  // 𡐤 is U+21424 and 𠀾 is U+2003E: four bytes in UTF-8 and in GB18030.
  for (const std::string& content : {csv, testing::ToGb18030(csv), FixtureXlsx(expected)}) {
    const ReadResult result = ReadAll(content);
    ASSERT_EQ(result.records.size(), 20u);
    EXPECT_EQ(result.records[1].name, "王\xF0\xA1\x90\xA4");
    EXPECT_EQ(result.records[2].name, "李\xF0\xA0\x80\xBE华");
    EXPECT_EQ(result.records[3].name, "买买提·艾力");
  }
}

TEST(RosterReader, FormatFromContentNotName) {
  const std::string csv = ToCsv(RecordsTable(AllHeaders(), TwentyGraduates()));
  EXPECT_EQ(ReadAll(csv, "名单.xlsx").records.size(), 20u);
  EXPECT_EQ(ReadAll(FixtureXlsx(TwentyGraduates()), "名单.csv").format, RosterFormat::kXlsx);
}

TEST(RosterReader, ShuffledAndExtraColumns) {
  const std::vector<GraduateRecord> expected = TwentyGraduates();
  std::vector<std::string> headers = AllHeaders();
  std::reverse(headers.begin(), headers.end());
  std::rotate(headers.begin(), headers.begin() + 7, headers.end());
  headers.insert(headers.begin() + 3, "备注");
  headers.insert(headers.begin(), "毕业去向代码");
  headers.push_back("序号");

  testing::Table table = RecordsTable(headers, expected);
  for (std::size_t r = 1; r < table.size(); ++r) {
    table[r][0] = "10";
    table[r][4] = "extra, \"quoted\" text";
    table[r].back() = absl::StrCat(r);
  }

  for (const std::string& content : {ToCsv(table), testing::BuildXlsx(testing::SharedStringRows(table))}) {
    const ReadResult result = ReadAll(content);
    EXPECT_EQ(result.headers, headers);
    ASSERT_EQ(result.records.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(result.records[i], expected[i]) << i;
  }
}

TEST(RosterReader, OptionalColumnsMayBeMissing) {
  std::vector<std::string> required;
  for (const RosterField& field : RosterFields()) {
    if (field.required) required.emplace_back(field.header);
  }
  const std::vector<GraduateRecord> fixture = TwentyGraduates();
  const ReadResult result = ReadAll(ToCsv(RecordsTable(required, fixture)));
  ASSERT_EQ(result.records.size(), 20u);
  EXPECT_EQ(result.records[0].id_number, fixture[0].id_number);
  EXPECT_EQ(result.records[0].student_number, fixture[0].student_number);
  EXPECT_EQ(result.records[0].phone, "");
  EXPECT_EQ(result.records[0].birth_date, "");
}

TEST(RosterReader, AcceptsOtherHeaderNames) {
  testing::Table table = RecordsTable(AllHeaders(), TwentyGraduates());
  std::replace(table[0].begin(), table[0].end(), std::string("身份证号"), std::string("身份证号码"));
  std::replace(table[0].begin(), table[0].end(), std::string("专业"), std::string("专业名称"));
  const ReadResult result = ReadAll(ToCsv(table));
  EXPECT_EQ(result.records, TwentyGraduates());
}

TEST(RosterReader, MissingRequiredColumnsNamed) {
  std::vector<std::string> headers = AllHeaders();
  headers.erase(std::find(headers.begin(), headers.end(), "学号"));
  headers.erase(std::find(headers.begin(), headers.end(), "身份证号"));
  absl::StatusOr<std::unique_ptr<RosterReader>> reader =
      RosterReader::Open(ToCsv(RecordsTable(headers, TwentyGraduates())), "名单.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(reader.status()), kRosterColumnsMissing);
  EXPECT_TRUE(absl::StrContains(reader.status().message(), "名单缺少必需的列：身份证号、学号")) << reader.status();
  EXPECT_EQ(ErrorMetadataOf(reader.status())["missing_columns"], "身份证号,学号");
}

TEST(RosterReader, TitleRowIsNotHeader) {
  testing::Table table = RecordsTable(AllHeaders(), TwentyGraduates());
  table.insert(table.begin(), {"京华大学 2022 届毕业生名单"});
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(ToCsv(table), "名单.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(ErrorReason(reader.status()), kRosterColumnsMissing);
  EXPECT_TRUE(absl::StrContains(reader.status().message(), "第 1 行应为列名行")) << reader.status();
}

TEST(RosterReader, DuplicateColumnRejected) {
  std::vector<std::string> headers = AllHeaders();
  headers.push_back("身份证号码");
  absl::StatusOr<std::unique_ptr<RosterReader>> reader =
      RosterReader::Open(ToCsv(RecordsTable(headers, TwentyGraduates())), "名单.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(ErrorReason(reader.status()), kRosterColumnDuplicated);
  EXPECT_TRUE(absl::StrContains(reader.status().message(), "“身份证号”列出现了两次")) << reader.status();
}

TEST(RosterReader, QuotedCsvFieldsWithCommasAndNewlines) {
  const std::vector<GraduateRecord> fixture = TwentyGraduates();
  for (bool crlf : {true, false}) {
    SCOPED_TRACE(crlf ? "CRLF" : "LF");
    const ReadResult result = ReadAll(ToCsv(RecordsTable(AllHeaders(), fixture), crlf));
    ASSERT_EQ(result.records.size(), 20u);
    EXPECT_EQ(result.records[2].home_address, "江苏省南京市玄武区中山路 8 号, 3 单元");
    EXPECT_EQ(result.records[5].home_address, "宁夏银川市兴庆区\"光明\"小区");
    EXPECT_EQ(result.records[9].home_address, "浙江省杭州市西湖区\n文三路 90 号");
    // The record with a line break is one spreadsheet row, so the rows after it are not shifted.
    EXPECT_EQ(result.rows[10], 12);
  }
}

TEST(RosterReader, BlankRowsSkippedButCounted) {
  const testing::Table table = RecordsTable(AllHeaders(), TwentyGraduates());
  std::string csv = ToCsv({table[0], table[1]});
  csv += "\r\n,,,\r\n";
  csv += ToCsv({table[2]});
  const ReadResult result = ReadAll(csv);
  EXPECT_EQ(result.rows, std::vector<int>({2, 5}));
}

TEST(RosterReader, TrimsSpacesAroundCells) {
  testing::Table table = RecordsTable(AllHeaders(), TwentyGraduates());
  table[0][2] = " 姓名\xE3\x80\x80";  // full-width space after the header
  table[1][2] = "\xC2\xA0 张伟 \t";
  const ReadResult result = ReadAll(ToCsv(table));
  ASSERT_FALSE(result.records.empty());
  EXPECT_EQ(result.records[0].name, "张伟");
  EXPECT_EQ(result.headers[2], "姓名");
}

TEST(RosterReader, SkipsSeparatorHintLine) {
  const std::string csv = "sep=,\r\n" + ToCsv(RecordsTable(AllHeaders(), TwentyGraduates()));
  const ReadResult result = ReadAll(csv);
  EXPECT_EQ(result.records, TwentyGraduates());
  ASSERT_FALSE(result.rows.empty());
  EXPECT_EQ(result.rows.front(), 3);
}

TEST(RosterReader, HeaderOnlyHasNoRecords) {
  const ReadResult result = ReadAll(ToCsv({AllHeaders()}));
  EXPECT_TRUE(result.records.empty());
  EXPECT_EQ(result.headers, AllHeaders());
}

struct RejectedFile {
  std::string description;
  std::string content;
  std::string reason;
  std::string message_part;
};

TEST(RosterReader, RejectsFilesThatAreNotRosters) {
  const std::string header_csv = ToCsv({AllHeaders()});
  const RejectedFile cases[] = {
      {"empty", "", kRosterEmpty, "是空文件"},
      {"blank lines", "\r\n\r\n  \r\n", kRosterEmpty, "没有内容"},
      {"PDF", "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\x00\x01\x02 binary"s,
       kRosterFormatUnsupported, "既不是 CSV 文本，也不是 Excel 工作簿"},
      {"PNG", std::string("\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR", 16), kRosterFormatUnsupported, "既不是 CSV 文本"},
      {"xls", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", 10), kRosterFormatUnsupported,
       "旧版 Excel 97-2003 工作簿"},
      {"UTF-16", std::string("\xFF\xFE\x75\x8E", 4), kRosterFormatUnsupported, "UTF-16"},
      {"bad UTF-8 after BOM", "\xEF\xBB\xBF" + header_csv + "\xC3\x28,x\r\n", kRosterEncodingInvalid, "第 2 行"},
      {"damaged UTF-8", header_csv + "ok\r\n\x80\xFF\r\n", kRosterEncodingInvalid, "第 3 行"},
      {"damaged GB18030", testing::ToGb18030(header_csv + "张三\r\n") + "\xFF\xFF\r\n", kRosterEncodingInvalid,
       "第 3 行"},
      {"zip that is not a workbook", testing::BuildZip({{"readme.txt", "hello"}}), kRosterXlsxInvalid,
       "不是 Excel 保存的工作簿"},
      {"unclosed quote", header_csv + "\"unclosed,x\r\nmore\r\n", kRosterCsvInvalid, "第 2 行"},
  };
  for (const RejectedFile& file : cases) {
    SCOPED_TRACE(file.description);
    const absl::Status status = ReadStatus(file.content);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), file.reason);
    EXPECT_TRUE(absl::StrContains(status.message(), file.message_part)) << status.message();
  }
}

TEST(PlainNumberText, WritesPlainDecimals) {
  const std::pair<std::string, std::string> cases[] = {
      {"2022010001", "2022010001"},
      {"2.022010001E9", "2022010001"},
      {"1.10105199901011E+17", "110105199901011000"},
      {"4", "4"},
      {"4.0", "4"},
      {"1.50", "1.5"},
      {"0.5", "0.5"},
      {"1E-3", "0.001"},
      {"-12.5", "-12.5"},
      {"-0", "0"},
      {"007", "7"},
      {"abc", "abc"},
      {"1.2.3", "1.2.3"},
      {"1E+-3", "1E+-3"},
      {"", ""},
  };
  for (const auto& [raw, expected] : cases) {
    EXPECT_EQ(internal::PlainNumberText(raw), expected) << raw;
  }
}

TEST(DateCellText, ConvertsSerialDates) {
  const std::pair<std::string, std::string> cases[] = {
      {"44743", "20220701"},     // 2022-07-01
      {"44743.75", "20220701"},  // with a time of day
      {"36526", "20000101"},
      {"1", "19000101"},
      {"59", "19000228"},
      {"60", "60"},  // Excel's 1900-02-29 does not exist
      {"61", "19000301"},
      {"2958465", "99991231"},
      {"2958466", "2958466"},
      {"20220701", "20220701"},  // a date typed as digits
      {"0", "0"},
      {"-5", "-5"},
  };
  for (const auto& [raw, expected] : cases) {
    EXPECT_EQ(internal::DateCellText(raw, /*uses_1904_dates=*/false), expected) << raw;
  }
  EXPECT_EQ(internal::DateCellText("43281", /*uses_1904_dates=*/true), "20220701");
  EXPECT_EQ(internal::DateCellText("0", /*uses_1904_dates=*/true), "0");
}

TEST(TrimCell, RemovesWideSpaces) {
  EXPECT_EQ(internal::TrimCell("  a b  "), "a b");
  EXPECT_EQ(internal::TrimCell("\xE3\x80\x80\xC2\xA0x\xE3\x80\x80"), "x");
  EXPECT_EQ(internal::TrimCell(" \t\r\n"), "");
  EXPECT_EQ(internal::TrimCell("张 三"), "张 三");
}

}  // namespace
}  // namespace quxiang::roster

// XLSX details of RosterReader: cell addressing, cell types, XML forms and the zip bomb guards.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/roster/roster_reader.h"
#include "libs/roster/test_files.h"
#include "libs/status/error.h"

namespace quxiang::roster {
namespace {

using testing::AllHeaders;
using testing::CellKind;
using testing::RecordsTable;
using testing::TwentyGraduates;
using testing::XlsxCell;
using testing::XlsxOptions;
using testing::XlsxRow;
using testing::ZipFile;

constexpr char kSheetStart[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
constexpr char kSheetEnd[] = "</sheetData></worksheet>";

struct Rows {
  std::vector<GraduateRecord> records;
  std::vector<int> numbers;
};

absl::StatusOr<Rows> ReadXlsx(std::string content, const RosterReaderLimits& limits = {}) {
  absl::StatusOr<std::unique_ptr<RosterReader>> reader = RosterReader::Open(std::move(content), "名单.xlsx", limits);
  if (!reader.ok()) return reader.status();
  Rows rows;
  while (true) {
    GraduateRecord record;
    int row = 0;
    absl::StatusOr<bool> has_record = (*reader)->Next(&record, &row);
    if (!has_record.ok()) return has_record.status();
    if (!*has_record) return rows;
    rows.records.push_back(record);
    rows.numbers.push_back(row);
  }
}

// The header row of the required columns as shared strings 0..12, as XML.
std::string RequiredHeaderRow(std::vector<std::string>* shared_strings) {
  std::string row = "<row r=\"1\">";
  int column = 0;
  for (const RosterField& field : RosterFields()) {
    if (!field.required) continue;
    shared_strings->emplace_back(field.header);
    absl::StrAppend(&row, "<c r=\"", std::string(1, static_cast<char>('A' + column)), "1\" t=\"s\"><v>",
                    shared_strings->size() - 1, "</v></c>");
    ++column;
  }
  return row + "</row>";
}

// The column letter of required column `header` in RequiredHeaderRow.
std::string RequiredColumn(absl::string_view header) {
  int column = 0;
  for (const RosterField& field : RosterFields()) {
    if (!field.required) continue;
    if (field.header == header) return std::string(1, static_cast<char>('A' + column));
    ++column;
  }
  ADD_FAILURE() << header << " is not required";
  return "";
}

std::string InlineCell(absl::string_view header, int row, absl::string_view xml_text) {
  return absl::StrCat("<c r=\"", RequiredColumn(header), row, "\" t=\"inlineStr\"><is><t>", xml_text, "</t></is></c>");
}

TEST(Xlsx, EmptyCellsFollowReferences) {
  std::vector<GraduateRecord> expected = TwentyGraduates();
  expected[0].gender = "";
  expected[0].ethnicity = "";
  expected[4].phone = "";
  expected[4].home_postal_code = "";  // the last column
  const absl::StatusOr<Rows> rows =
      ReadXlsx(testing::BuildXlsx(testing::SharedStringRows(RecordsTable(AllHeaders(), expected))));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->records, expected);
}

TEST(Xlsx, CellsAndRowsWithoutReferences) {
  XlsxOptions options;
  options.omit_references = true;
  std::vector<GraduateRecord> expected = TwentyGraduates();
  expected[3].gender = "";
  const absl::StatusOr<Rows> rows =
      ReadXlsx(testing::BuildXlsx(testing::SharedStringRows(RecordsTable(AllHeaders(), expected)), options));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->records, expected);
  EXPECT_EQ(rows->numbers.front(), 2);
  EXPECT_EQ(rows->numbers.back(), 21);
}

TEST(Xlsx, PrefixedElementNames) {
  XlsxOptions options;
  options.prefixed = true;
  const absl::StatusOr<Rows> rows =
      ReadXlsx(testing::BuildXlsx(testing::SharedStringRows(RecordsTable(AllHeaders(), TwentyGraduates())), options));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->records, TwentyGraduates());
}

TEST(Xlsx, RowNumbersKeepGaps) {
  std::vector<std::string> shared_strings;
  std::string sheet = kSheetStart + RequiredHeaderRow(&shared_strings);
  for (int row : {3, 7}) {
    absl::StrAppend(&sheet, "<row r=\"", row, "\">", InlineCell("姓名", row, absl::StrCat("学生", row)),
                    InlineCell("学号", row, absl::StrCat(row)), "</row>");
  }
  absl::StrAppend(&sheet, "<row r=\"9\"/>", kSheetEnd);

  const absl::StatusOr<Rows> rows = ReadXlsx(testing::BuildZip(testing::XlsxParts(sheet, shared_strings)));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->numbers, std::vector<int>({3, 7}));
  ASSERT_EQ(rows->records.size(), 2u);
  EXPECT_EQ(rows->records[1].name, "学生7");
  EXPECT_EQ(rows->records[1].student_number, "7");
  EXPECT_EQ(rows->records[1].id_number, "");
}

TEST(Xlsx, StringFormsAndEntities) {
  std::vector<std::string> shared_strings;
  std::string sheet = kSheetStart + RequiredHeaderRow(&shared_strings);
  const std::string rich = "<si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space=\"preserve\">伟</t></r>"
                           "<rPh sb=\"0\" eb=\"1\"><t>ちょう</t></rPh></si>";
  absl::StrAppend(&sheet, "<row r=\"2\">",
                  "<c r=\"", RequiredColumn("姓名"), "2\" t=\"s\"><v>", shared_strings.size(), "</v></c>",
                  InlineCell("专业", 2, "软件工程 &amp; 数据&#x21424;&#20013;&lt;&gt;&quot;&apos;"),
                  "<c r=\"", RequiredColumn("所在院系"), "2\" t=\"str\"><f>A1&amp;\"\"</f><v>计算机学院</v></c>",
                  "<c r=\"", RequiredColumn("专业代码"), "2\" t=\"inlineStr\"><is><t><![CDATA[08<09>01]]></t></is></c>",
                  "<c r=\"", RequiredColumn("学号"), "2\" t=\"b\"><v>1</v></c>",
                  "<c r=\"", RequiredColumn("院校代码"), "2\" t=\"e\"><v>#N/A</v></c>",
                  "<c r=\"", RequiredColumn("毕业时间"), "2\" t=\"d\"><v>2022-07-01T00:00:00</v></c>",
                  "<!-- a comment --><?pi ignored?></row>", kSheetEnd);

  // The rich-text shared string is added after the header's strings.
  std::vector<ZipFile> parts = testing::XlsxParts(sheet, shared_strings);
  for (ZipFile& part : parts) {
    if (part.name == "xl/sharedStrings.xml") part.contents.replace(part.contents.rfind("</sst>"), 6, rich + "</sst>");
  }

  const absl::StatusOr<Rows> rows = ReadXlsx(testing::BuildZip(parts));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->records.size(), 1u);
  const GraduateRecord& record = rows->records[0];
  EXPECT_EQ(record.name, "张伟");
  EXPECT_EQ(record.major_name, "软件工程 & 数据\xF0\xA1\x90\xA4中<>\"'");
  EXPECT_EQ(record.department, "计算机学院");
  EXPECT_EQ(record.major_code, "08<09>01");
  EXPECT_EQ(record.student_number, "TRUE");
  EXPECT_EQ(record.school_code, "#N/A");
  EXPECT_EQ(record.graduation_date, "20220701");
}

TEST(Xlsx, NumbersReadAsText) {
  std::vector<std::string> shared_strings;
  std::string sheet = kSheetStart + RequiredHeaderRow(&shared_strings);
  absl::StrAppend(&sheet, "<row r=\"2\">",
                  "<c r=\"", RequiredColumn("学号"), "2\"><v>2022010001</v></c>",
                  "<c r=\"", RequiredColumn("身份证号"), "2\" t=\"n\"><v>1.10105199901011E+17</v></c>",
                  "<c r=\"", RequiredColumn("院校代码"), "2\" s=\"3\"><v>4111010001</v></c>",
                  "<c r=\"", RequiredColumn("民族代码"), "2\"><v>1</v></c>",
                  "<c r=\"", RequiredColumn("毕业时间"), "2\" s=\"5\"><v>44743</v></c>",
                  "<c r=\"", RequiredColumn("专业代码"), "2\"><v>80901</v></c>", "</row>", kSheetEnd);

  const absl::StatusOr<Rows> rows = ReadXlsx(testing::BuildZip(testing::XlsxParts(sheet, shared_strings)));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->records.size(), 1u);
  const GraduateRecord& record = rows->records[0];
  EXPECT_EQ(record.student_number, "2022010001");
  // Excel keeps 15 significant digits, so an ID number stored as a number has lost its end; the
  // validator then rejects its check digit.
  EXPECT_EQ(record.id_number, "110105199901011000");
  EXPECT_EQ(record.school_code, "4111010001");
  EXPECT_EQ(record.ethnicity_code, "1");
  EXPECT_EQ(record.graduation_date, "20220701");
  EXPECT_EQ(record.major_code, "80901");
}

TEST(Xlsx, DatesIn1904System) {
  XlsxOptions options;
  options.uses_1904_dates = true;
  std::vector<std::string> headers = {"姓名", "毕业时间", "出生日期", "入学时间", "学号"};
  std::vector<XlsxRow> rows = {
      {},
      {{"张伟", CellKind::kSharedString},
       {"43281", CellKind::kNumber},
       {"35064", CellKind::kNumber},
       {"20180901", CellKind::kNumber},
       {"1", CellKind::kNumber}},
  };
  for (const std::string& header : headers) rows[0].push_back({header, CellKind::kSharedString});
  for (const RosterField& field : RosterFields()) {
    if (!field.required || std::find(headers.begin(), headers.end(), field.header) != headers.end()) continue;
    rows[0].push_back({std::string(field.header), CellKind::kSharedString});
  }

  const absl::StatusOr<Rows> read = ReadXlsx(testing::BuildXlsx(rows, options));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->records.size(), 1u);
  EXPECT_EQ(read->records[0].graduation_date, "20220701");
  EXPECT_EQ(read->records[0].birth_date, "20000101");
  EXPECT_EQ(read->records[0].enrolled_at, "20180901");
}

absl::Status XlsxStatus(std::string content, const RosterReaderLimits& limits = {}) {
  return ReadXlsx(std::move(content), limits).status();
}

// The parts of a valid workbook of the fixture.
std::vector<ZipFile> FixtureParts() {
  std::vector<std::string> shared_strings;
  std::string sheet = kSheetStart + RequiredHeaderRow(&shared_strings) + kSheetEnd;
  return testing::XlsxParts(sheet, shared_strings);
}

ZipFile* FindPart(std::vector<ZipFile>& parts, absl::string_view name) {
  for (ZipFile& part : parts) {
    if (part.name == name) return &part;
  }
  ADD_FAILURE() << name << " not found";
  return nullptr;
}

TEST(XlsxZipBomb, HugeDeclaredSizeRejected) {
  std::vector<ZipFile> parts = FixtureParts();
  FindPart(parts, "xl/worksheets/sheet1.xml")->declared_uncompressed_size = 0xFFFFFFF0u;
  const absl::Status status = XlsxStatus(testing::BuildZip(parts));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), kRosterXlsxTooLarge);
  EXPECT_TRUE(absl::StrContains(status.message(), "解压后超过 256 MB")) << status.message();
}

TEST(XlsxZipBomb, Zip64SizeRejected) {
  std::vector<ZipFile> parts = FixtureParts();
  FindPart(parts, "xl/sharedStrings.xml")->declared_uncompressed_size = 0xFFFFFFFFu;
  const absl::Status status = XlsxStatus(testing::BuildZip(parts));
  EXPECT_EQ(ErrorReason(status), kRosterXlsxTooLarge);
  EXPECT_TRUE(absl::StrContains(status.message(), "ZIP64")) << status.message();
}

TEST(XlsxZipBomb, UnderstatedSizeStopsInflating) {
  // 4 MiB of spaces compress to a few kilobytes; the directory claims 1,000 bytes.
  std::vector<std::string> shared_strings;
  const std::string sheet =
      kSheetStart + RequiredHeaderRow(&shared_strings) + std::string(4 * 1024 * 1024, ' ') + kSheetEnd;
  std::vector<ZipFile> parts = testing::XlsxParts(sheet, shared_strings);
  FindPart(parts, "xl/worksheets/sheet1.xml")->declared_uncompressed_size = 1000;
  const std::string archive = testing::BuildZip(parts);
  EXPECT_LT(archive.size(), 64u * 1024);

  const absl::Status status = XlsxStatus(archive);
  EXPECT_EQ(ErrorReason(status), kRosterXlsxTooLarge);
  EXPECT_TRUE(absl::StrContains(ErrorMetadataOf(status)["detail"], "inflates past its declared size")) << status;
}

TEST(XlsxZipBomb, DeclaredTotalCapped) {
  std::vector<std::string> shared_strings;
  const std::string sheet =
      kSheetStart + RequiredHeaderRow(&shared_strings) + std::string(2 * 1024 * 1024, ' ') + kSheetEnd;
  RosterReaderLimits limits;
  limits.max_uncompressed_bytes = 1024 * 1024;

  const absl::Status status = XlsxStatus(testing::BuildZip(testing::XlsxParts(sheet, shared_strings)), limits);
  EXPECT_EQ(ErrorReason(status), kRosterXlsxTooLarge);
  EXPECT_TRUE(absl::StrContains(status.message(), "解压后超过 1 MB")) << status.message();
}

TEST(XlsxZipBomb, TooManyEntriesRejected) {
  std::vector<ZipFile> parts = FixtureParts();
  for (int i = 0; i < 1000; ++i) parts.push_back({absl::StrCat("xl/media/image", i, ".png"), "x", false});
  const absl::Status status = XlsxStatus(testing::BuildZip(parts));
  EXPECT_EQ(ErrorReason(status), kRosterXlsxTooLarge);
  EXPECT_TRUE(absl::StrContains(status.message(), "包含 1007 个内部文件（上限 1000 个）")) << status.message();
}

TEST(XlsxDamaged, WrongCrcRejected) {
  std::vector<ZipFile> parts = FixtureParts();
  FindPart(parts, "xl/worksheets/sheet1.xml")->declared_crc32 = 12345;
  const absl::Status status = XlsxStatus(testing::BuildZip(parts));
  EXPECT_EQ(ErrorReason(status), kRosterXlsxInvalid);
  EXPECT_TRUE(absl::StrContains(ErrorMetadataOf(status)["detail"], "CRC-32")) << status;
}

TEST(XlsxDamaged, TruncatedArchiveRejected) {
  const std::string archive = testing::BuildZip(FixtureParts());
  for (std::size_t size : {archive.size() / 2, archive.size() - 10, std::size_t{30}}) {
    SCOPED_TRACE(size);
    const absl::Status status = XlsxStatus(archive.substr(0, size));
    EXPECT_EQ(ErrorReason(status), kRosterXlsxInvalid) << status;
  }
}

TEST(XlsxDamaged, StoredEntriesAreRead) {
  std::vector<ZipFile> parts = FixtureParts();
  for (ZipFile& part : parts) part.deflate = false;
  const absl::StatusOr<Rows> rows = ReadXlsx(testing::BuildZip(parts));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE(rows->records.empty());
}

TEST(XlsxDamaged, MalformedXmlRejected) {
  const std::pair<std::string, std::string> cases[] = {
      {"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", "document type declarations"},
      {"<row r=\"2\"><c r=\"A2\" t=\"s\"><v>999</v></c></row>", "shared string 999"},
      {"<row r=\"2\"><c r=\"2A\"><v>1</v></c></row>", "invalid reference 2A"},
      {"<row r=\"x\"></row>", "invalid number x"},
      {"<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0", "cut off"},
  };
  for (const auto& [xml, detail] : cases) {
    SCOPED_TRACE(xml);
    std::vector<std::string> shared_strings;
    std::string sheet = kSheetStart + RequiredHeaderRow(&shared_strings) + xml;
    if (!absl::StrContains(xml, "<v>0")) sheet += kSheetEnd;
    if (absl::StartsWith(xml, "<!DOCTYPE")) sheet = "<?xml version=\"1.0\"?>" + xml + sheet;
    const absl::Status status = XlsxStatus(testing::BuildZip(testing::XlsxParts(sheet, shared_strings)));
    EXPECT_EQ(ErrorReason(status), kRosterXlsxInvalid) << status;
    EXPECT_TRUE(absl::StrContains(ErrorMetadataOf(status)["detail"], detail)) << ErrorMetadataOf(status)["detail"];
  }
}

TEST(XlsxDamaged, MissingWorksheetRejected) {
  std::vector<ZipFile> parts = FixtureParts();
  parts.erase(std::remove_if(parts.begin(), parts.end(),
                             [](const ZipFile& part) { return part.name == "xl/worksheets/sheet1.xml"; }),
              parts.end());
  const absl::Status status = XlsxStatus(testing::BuildZip(parts));
  EXPECT_EQ(ErrorReason(status), kRosterXlsxInvalid);
  EXPECT_TRUE(absl::StrContains(ErrorMetadataOf(status)["detail"], "no worksheet xl/worksheets/sheet1.xml"));
}

}  // namespace
}  // namespace quxiang::roster

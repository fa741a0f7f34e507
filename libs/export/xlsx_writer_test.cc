// The XLSX writer: the file read back with the roster reader's XLSX workbook, masking, text
// cells for codes, and the temporary file deleted on every path.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "libs/export/table_writer.h"
#include "libs/roster/xlsx_workbook.h"
#include "libs/status/error.h"

namespace quxiang::exports {
namespace {

using roster::internal::SourceCell;
using roster::internal::XlsxWorkbook;
using roster::internal::ZipLimits;

using Sheet = std::vector<std::vector<SourceCell>>;

absl::StatusOr<Sheet> ReadSheet(std::string content) {
  ZipLimits limits;
  limits.max_entries = 100;
  limits.max_uncompressed_bytes = 256 * 1024 * 1024;
  absl::StatusOr<std::unique_ptr<XlsxWorkbook>> workbook = XlsxWorkbook::Open(std::move(content), limits);
  if (!workbook.ok()) return workbook.status();
  Sheet sheet;
  std::vector<SourceCell> cells;
  int row = 0;
  while (true) {
    absl::StatusOr<bool> has_row = (*workbook)->NextRow(&cells, &row);
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) return sheet;
    if (static_cast<size_t>(row) != sheet.size() + 1) {
      return absl::InternalError(absl::StrCat("row ", row, " follows row ", sheet.size()));
    }
    sheet.push_back(cells);
  }
}

// The text of column `column` of `row`, empty when the row is shorter.
std::string TextAt(const Sheet& sheet, size_t row, size_t column) {
  if (row >= sheet.size() || column >= sheet[row].size()) return "";
  return sheet[row][column].text;
}

bool IsNumberAt(const Sheet& sheet, size_t row, size_t column) {
  return row < sheet.size() && column < sheet[row].size() && sheet[row][column].is_number;
}

// The Excel serial number (days since 1899-12-30) of a civil time.
double ExcelSerial(absl::CivilSecond time) {
  absl::CivilDay day(time);
  double days = static_cast<double>(day - absl::CivilDay(1899, 12, 30));
  return days + (time.hour() * 3600 + time.minute() * 60 + time.second()) / 86400.0;
}

ExportSpec StudentSpec(bool full_view) {
  ExportSpec spec;
  spec.kind = "test.students";
  spec.title = "下载当前查询数据";
  spec.columns = {{"姓名", ColumnType::kText},      {"身份证件号", ColumnType::kIdNumber},
                  {"手机号", ColumnType::kPhone},   {"学号", ColumnType::kCode},
                  {"人数", ColumnType::kInteger},   {"退回时间", ColumnType::kDateTime},
                  {"毕业日期", ColumnType::kDate},  {"备注", ColumnType::kText}};
  spec.full_view = full_view;
  return spec;
}

std::vector<Cell> FirstStudent() {
  absl::Time returned_at = absl::FromCivil(absl::CivilSecond(2026, 6, 30, 6, 5, 9), absl::UTCTimeZone());
  return {Cell::Text("𠀾明"),       Cell::Text("11010519990101123X"),      Cell::Text("13812341234"),
          Cell::Text("0022010001"), Cell::Integer(-3),                    Cell::Time(returned_at),
          Cell::Date(absl::CivilDay(2026, 6, 30)), Cell::Text("=HYPERLINK(\"http://x\")")};
}

std::vector<Cell> SecondStudent() {
  return {Cell::Text("@SUM(A1)"),    Cell::Empty(), Cell::Text("+8613812341234"), Cell::Text("-1"),
          Cell::Integer(1234567890123456789), Cell::Empty(), Cell::Empty(),
          Cell::Text("他说\"好\"，<b>&</b>\n第二行")};
}

class XlsxWriterTest : public ::testing::Test {
 protected:
  XlsxWriterTest() : clock_(absl::FromUnixSeconds(1'800'000'000)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "export-test-XXXXXX").string();
    char* dir = mkdtemp(pattern.data());
    EXPECT_NE(dir, nullptr);
    temp_dir_ = pattern;
    options_.temp_dir = temp_dir_;
  }

  ~XlsxWriterTest() override { std::filesystem::remove_all(temp_dir_); }

  ChunkSink CollectingSink() {
    return [this](absl::string_view chunk) {
      ++chunk_count_;
      output_.append(chunk.data(), chunk.size());
      return absl::OkStatus();
    };
  }

  absl::StatusOr<std::unique_ptr<TableWriter>> Open(const ExportSpec& spec) {
    return NewXlsxWriter(spec, CollectingSink(), clock_, options_);
  }

  size_t TempFileCount() const {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(temp_dir_)) ++count;
    return count;
  }

  static size_t OpenFileDescriptors() {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
    return count;
  }

  FakeClock clock_;
  std::string temp_dir_;
  XlsxOptions options_;
  std::string output_;
  size_t chunk_count_ = 0;
};

TEST_F(XlsxWriterTest, ReadsBackMaskedCells) {
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(StudentSpec(false));
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow(FirstStudent()).ok());
  ASSERT_TRUE((*writer)->WriteRow(SecondStudent()).ok());
  EXPECT_TRUE(output_.empty());
  EXPECT_EQ(TempFileCount(), 1u);
  absl::StatusOr<ExportAudit> audit = (*writer)->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_EQ(audit->format, "XLSX");
  EXPECT_EQ(audit->row_count, 2);
  EXPECT_TRUE(audit->masked);
  EXPECT_EQ(audit->byte_count, static_cast<int64_t>(output_.size()));

  absl::StatusOr<Sheet> sheet = ReadSheet(output_);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->size(), 3u);
  std::vector<std::string> titles = {"姓名", "身份证件号", "手机号", "学号", "人数", "退回时间", "毕业日期", "备注"};
  for (size_t i = 0; i < titles.size(); ++i) EXPECT_EQ(TextAt(*sheet, 0, i), titles[i]) << "column " << i;

  EXPECT_EQ(TextAt(*sheet, 1, 0), "𠀾明");
  EXPECT_EQ(TextAt(*sheet, 1, 1), "110105********123X");
  EXPECT_FALSE(IsNumberAt(*sheet, 1, 1));
  EXPECT_EQ(TextAt(*sheet, 1, 2), "138****1234");
  EXPECT_EQ(TextAt(*sheet, 1, 3), "0022010001");
  EXPECT_FALSE(IsNumberAt(*sheet, 1, 3));
  EXPECT_EQ(TextAt(*sheet, 1, 4), "-3");
  EXPECT_TRUE(IsNumberAt(*sheet, 1, 4));

  ASSERT_TRUE(IsNumberAt(*sheet, 1, 5));
  double returned_serial = 0;
  ASSERT_TRUE(absl::SimpleAtod(TextAt(*sheet, 1, 5), &returned_serial));
  EXPECT_NEAR(returned_serial, ExcelSerial(absl::CivilSecond(2026, 6, 30, 14, 5, 9)), 1e-6);
  ASSERT_TRUE(IsNumberAt(*sheet, 1, 6));
  double date_serial = 0;
  ASSERT_TRUE(absl::SimpleAtod(TextAt(*sheet, 1, 6), &date_serial));
  EXPECT_NEAR(date_serial, ExcelSerial(absl::CivilSecond(2026, 6, 30, 0, 0, 0)), 1e-9);
  EXPECT_EQ(TextAt(*sheet, 1, 7), "'=HYPERLINK(\"http://x\")");

  EXPECT_EQ(TextAt(*sheet, 2, 0), "'@SUM(A1)");
  EXPECT_EQ(TextAt(*sheet, 2, 1), "");
  EXPECT_EQ(TextAt(*sheet, 2, 2), "'+86*******1234");
  EXPECT_EQ(TextAt(*sheet, 2, 3), "'-1");
  EXPECT_EQ(TextAt(*sheet, 2, 4), "1234567890123456789");
  EXPECT_FALSE(IsNumberAt(*sheet, 2, 4));
  EXPECT_EQ(TextAt(*sheet, 2, 7), "他说\"好\"，<b>&</b>\n第二行");
}

TEST_F(XlsxWriterTest, ReadsBackFullView) {
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(StudentSpec(true));
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow(FirstStudent()).ok());
  ASSERT_TRUE((*writer)->WriteRow(SecondStudent()).ok());
  absl::StatusOr<ExportAudit> audit = (*writer)->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_TRUE(audit->full_view);
  EXPECT_FALSE(audit->masked);

  absl::StatusOr<Sheet> sheet = ReadSheet(output_);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_EQ(TextAt(*sheet, 1, 1), "11010519990101123X");
  EXPECT_FALSE(IsNumberAt(*sheet, 1, 1));
  EXPECT_EQ(TextAt(*sheet, 1, 2), "13812341234");
  EXPECT_EQ(TextAt(*sheet, 2, 2), "'+8613812341234");
}

TEST_F(XlsxWriterTest, NeutralizesLeadingTabAndCarriageReturn) {
  ExportSpec spec = StudentSpec(false);
  spec.columns = {{"=标题", ColumnType::kText}, {"备注", ColumnType::kText}};
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(spec);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow({Cell::Text("\t=1"), Cell::Text("\r=1")}).ok());
  ASSERT_TRUE((*writer)->Finish().ok());

  absl::StatusOr<Sheet> sheet = ReadSheet(output_);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_EQ(TextAt(*sheet, 0, 0), "'=标题");
  EXPECT_EQ(TextAt(*sheet, 1, 0), "'\t=1");
  EXPECT_EQ(TextAt(*sheet, 1, 1).substr(0, 1), "'");
}

TEST_F(XlsxWriterTest, StreamsLargeExportAfterFinish) {
  constexpr int kRows = 30'000;
  options_.chunk_bytes = 16 * 1024;
  size_t largest_chunk = 0;
  auto sink = [&](absl::string_view chunk) {
    largest_chunk = std::max(largest_chunk, chunk.size());
    ++chunk_count_;
    output_.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewXlsxWriter(StudentSpec(false), sink, clock_, options_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < kRows; ++i) {
    ASSERT_TRUE((*writer)
                    ->WriteRow({Cell::Text(absl::StrCat("学生", i)), Cell::Text("110105199901011234"),
                                Cell::Text("13812341234"), Cell::Text(absl::StrCat("2022", 100000 + i)),
                                Cell::Integer(i), Cell::Empty(), Cell::Date(absl::CivilDay(2026, 6, 30)),
                                Cell::Text("退回原因：材料不全")})
                    .ok());
  }
  EXPECT_EQ(chunk_count_, 0u);
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_GT(chunk_count_, 10u);
  EXPECT_LE(largest_chunk, options_.chunk_bytes);

  absl::StatusOr<Sheet> sheet = ReadSheet(output_);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->size(), static_cast<size_t>(kRows + 1));
  EXPECT_EQ(TextAt(*sheet, kRows, 0), absl::StrCat("学生", kRows - 1));
  EXPECT_EQ(TextAt(*sheet, kRows, 3), absl::StrCat("2022", 100000 + kRows - 1));
  EXPECT_EQ(TextAt(*sheet, kRows, 4), absl::StrCat(kRows - 1));
}

TEST_F(XlsxWriterTest, SinkErrorRemovesTempFile) {
  int calls = 0;
  auto failing_sink = [&](absl::string_view) {
    ++calls;
    return absl::UnavailableError("client went away");
  };
  absl::StatusOr<std::unique_ptr<TableWriter>> writer =
      NewXlsxWriter(StudentSpec(false), failing_sink, clock_, options_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow(FirstStudent()).ok());
  EXPECT_EQ(TempFileCount(), 1u);
  EXPECT_EQ((*writer)->Finish().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(XlsxWriterTest, AbandonedWriterRemovesTempFile) {
  size_t descriptors_before = OpenFileDescriptors();
  {
    absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(StudentSpec(false));
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE((*writer)->WriteRow(FirstStudent()).ok());
    EXPECT_EQ(TempFileCount(), 1u);
  }
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_EQ(OpenFileDescriptors(), descriptors_before);
  EXPECT_TRUE(output_.empty());
}

TEST_F(XlsxWriterTest, InvalidRowRemovesTempFile) {
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(StudentSpec(false));
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow(FirstStudent()).ok());
  absl::Status status = (*writer)->WriteRow({Cell::Text("只有一列")});
  EXPECT_EQ(ErrorReason(status), "EXPORT_ROW_INVALID");
  EXPECT_EQ(TempFileCount(), 0u);
  EXPECT_EQ((*writer)->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(output_.empty());
}

TEST_F(XlsxWriterTest, CellTooLongForExcel) {
  ExportSpec spec = StudentSpec(false);
  spec.columns = {{"备注", ColumnType::kText}};
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(spec);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow({Cell::Text(std::string(32767, 'a'))}).ok());
  absl::Status status = (*writer)->WriteRow({Cell::Text(std::string(32768, 'a'))});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "EXPORT_CELL_TOO_LONG");
  EXPECT_TRUE(ErrorZhMessage(status).has_value());
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(XlsxWriterTest, MissingTempDirFails) {
  options_.temp_dir = temp_dir_ + "/missing";
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(StudentSpec(false));
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(writer.status()), "EXPORT_FILE_FAILED");
  EXPECT_EQ(TempFileCount(), 0u);
}

TEST_F(XlsxWriterTest, TitleWithForbiddenSheetCharacters) {
  ExportSpec spec = StudentSpec(false);
  spec.title = "'2026届[退回]:名单/导出*?\\这是一个很长很长很长很长很长很长很长很长的标题'";
  spec.columns = {{"姓名", ColumnType::kText}};
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = Open(spec);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow({Cell::Text("张三")}).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  absl::StatusOr<Sheet> sheet = ReadSheet(output_);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_EQ(TextAt(*sheet, 1, 0), "张三");
}

}  // namespace
}  // namespace quxiang::exports

// The CSV writer: exact bytes, quoting, masking, chunked delivery and sink errors.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "libs/codes/csv.h"
#include "libs/export/table_writer.h"
#include "libs/status/error.h"

namespace quxiang::exports {
namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";

ExportSpec StudentSpec(bool full_view) {
  ExportSpec spec;
  spec.kind = "test.students";
  spec.title = "退回修改学生名单";
  spec.columns = {{"姓名", ColumnType::kText},      {"身份证件号", ColumnType::kIdNumber},
                  {"手机号", ColumnType::kPhone},   {"学号", ColumnType::kCode},
                  {"人数", ColumnType::kInteger},   {"退回时间", ColumnType::kDateTime},
                  {"毕业日期", ColumnType::kDate},  {"备注", ColumnType::kText}};
  spec.full_view = full_view;
  spec.actor_id = "staff-7";
  return spec;
}

std::vector<std::vector<Cell>> StudentRows() {
  absl::Time returned_at = absl::FromCivil(absl::CivilSecond(2026, 6, 30, 6, 5, 9), absl::UTCTimeZone());
  return {
      {Cell::Text("张三"), Cell::Text("110105199901011234"), Cell::Text("13812341234"), Cell::Text("2022010001"),
       Cell::Integer(3), Cell::Time(returned_at), Cell::Date(absl::CivilDay(2026, 6, 30)), Cell::Text("含,逗号")},
      {Cell::Text("𠀾明"), Cell::Empty(), Cell::Empty(), Cell::Text("0012"), Cell::Integer(-7), Cell::Empty(),
       Cell::Empty(), Cell::Text("他说\"好\"\r\n第二行")},
      {Cell::Text("=HYPERLINK(\"http://x\")"), Cell::Text("-1"), Cell::Text("+8613812341234"), Cell::Text("@A1"),
       Cell::Integer(0), Cell::Empty(), Cell::Empty(), Cell::Text("\t=1")},
      {Cell::Text("\r=1"), Cell::Empty(), Cell::Empty(), Cell::Empty(), Cell::Empty(), Cell::Empty(), Cell::Empty(),
       Cell::Text("a\nb")},
  };
}

constexpr char kHeader[] = "姓名,身份证件号,手机号,学号,人数,退回时间,毕业日期,备注\r\n";

class CsvWriterTest : public ::testing::Test {
 protected:
  CsvWriterTest() : clock_(absl::FromUnixSeconds(1'800'000'000)) {}

  ChunkSink CollectingSink() {
    return [this](absl::string_view chunk) {
      chunks_.emplace_back(chunk);
      return absl::OkStatus();
    };
  }

  std::string Output() const {
    std::string output;
    for (const std::string& chunk : chunks_) output.append(chunk);
    return output;
  }

  absl::StatusOr<ExportAudit> WriteAll(const ExportSpec& spec, const std::vector<std::vector<Cell>>& rows,
                                       CsvOptions options = {}) {
    absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewCsvWriter(spec, CollectingSink(), clock_, options);
    if (!writer.ok()) return writer.status();
    for (const std::vector<Cell>& row : rows) {
      absl::Status status = (*writer)->WriteRow(row);
      if (!status.ok()) return status;
    }
    return (*writer)->Finish();
  }

  FakeClock clock_;
  std::vector<std::string> chunks_;
};

TEST_F(CsvWriterTest, MaskedBytesExact) {
  absl::StatusOr<ExportAudit> audit = WriteAll(StudentSpec(false), StudentRows());
  ASSERT_TRUE(audit.ok()) << audit.status();

  std::string expected = absl::StrCat(
      kBom, kHeader,
      "张三,110105********1234,138****1234,2022010001,3,2026-06-30 14:05:09,2026-06-30,\"含,逗号\"\r\n",
      "𠀾明,,,0012,-7,,,\"他说\"\"好\"\"\r\n第二行\"\r\n",
      "\"'=HYPERLINK(\"\"http://x\"\")\",**,'+86*******1234,'@A1,0,,,'\t=1\r\n",
      "\"'\r=1\",,,,,,,\"a\nb\"\r\n");
  EXPECT_EQ(Output(), expected);
  EXPECT_EQ(audit->row_count, 4);
  EXPECT_EQ(audit->byte_count, static_cast<int64_t>(expected.size()));
  EXPECT_TRUE(audit->masked);
}

TEST_F(CsvWriterTest, FullViewBytesExact) {
  absl::StatusOr<ExportAudit> audit = WriteAll(StudentSpec(true), {StudentRows()[0], StudentRows()[2]});
  ASSERT_TRUE(audit.ok()) << audit.status();

  std::string expected = absl::StrCat(
      kBom, kHeader,
      "张三,110105199901011234,13812341234,2022010001,3,2026-06-30 14:05:09,2026-06-30,\"含,逗号\"\r\n",
      "\"'=HYPERLINK(\"\"http://x\"\")\",'-1,'+8613812341234,'@A1,0,,,'\t=1\r\n");
  EXPECT_EQ(Output(), expected);
  EXPECT_FALSE(audit->masked);
  EXPECT_TRUE(audit->full_view);
}

TEST_F(CsvWriterTest, WithoutByteOrderMark) {
  CsvOptions options;
  options.byte_order_mark = false;
  ExportSpec spec = StudentSpec(false);
  spec.columns = {{"=标题", ColumnType::kText}, {"数量", ColumnType::kInteger}};
  ASSERT_TRUE(WriteAll(spec, {{Cell::Text("x"), Cell::Integer(-12)}}, options).ok());
  EXPECT_EQ(Output(), "'=标题,数量\r\nx,-12\r\n");
}

TEST_F(CsvWriterTest, ParsesBackWithCsvParser) {
  ASSERT_TRUE(WriteAll(StudentSpec(true), StudentRows()).ok());
  std::string output = Output();
  ASSERT_EQ(output.substr(0, 3), kBom);
  std::string body = output.substr(3);

  codes::CsvParser parser(body);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> has_record = parser.Next(&fields);
    ASSERT_TRUE(has_record.ok()) << has_record.status();
    if (!*has_record) break;
    records.push_back(fields);
  }
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0][5], "退回时间");
  EXPECT_EQ(records[1][7], "含,逗号");
  EXPECT_EQ(records[2][0], "𠀾明");
  // CsvParser turns a line break inside quotes into LF; the exact bytes are checked above.
  EXPECT_EQ(records[2][7], "他说\"好\"\n第二行");
  EXPECT_EQ(records[3][0], "'=HYPERLINK(\"http://x\")");
  EXPECT_EQ(records[4][7], "a\nb");
}

TEST_F(CsvWriterTest, StreamsLargeExportInChunks) {
  constexpr int kRows = 30'000;
  constexpr size_t kChunkBytes = 16 * 1024;
  ExportSpec spec = StudentSpec(false);
  int rows_written = 0;
  int rows_before_first_chunk = -1;
  size_t largest_chunk = 0;
  size_t chunk_count = 0;
  size_t total_bytes = 0;
  std::string first_bytes;
  auto sink = [&](absl::string_view chunk) {
    if (rows_before_first_chunk < 0) rows_before_first_chunk = rows_written;
    if (first_bytes.size() < 3) first_bytes.append(std::string(chunk.substr(0, 3)));
    largest_chunk = std::max(largest_chunk, chunk.size());
    ++chunk_count;
    total_bytes += chunk.size();
    return absl::OkStatus();
  };
  CsvOptions options;
  options.chunk_bytes = kChunkBytes;
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewCsvWriter(spec, sink, clock_, options);
  ASSERT_TRUE(writer.ok()) << writer.status();

  absl::Time returned_at = absl::FromUnixSeconds(1'780'000'000);
  for (int i = 0; i < kRows; ++i) {
    ASSERT_TRUE((*writer)
                    ->WriteRow({Cell::Text(absl::StrCat("学生", i)), Cell::Text("110105199901011234"),
                                Cell::Text("13812341234"), Cell::Text(absl::StrCat("2022", 100000 + i)),
                                Cell::Integer(i), Cell::Time(returned_at), Cell::Date(absl::CivilDay(2026, 6, 30)),
                                Cell::Text("退回原因：材料不全")})
                    .ok());
    ++rows_written;
  }
  absl::StatusOr<ExportAudit> audit = (*writer)->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();

  EXPECT_EQ(first_bytes.substr(0, 3), kBom);
  EXPECT_EQ(audit->row_count, kRows);
  EXPECT_EQ(audit->byte_count, static_cast<int64_t>(total_bytes));
  // About 120 bytes per row, so the file is several MB and arrives in hundreds of chunks.
  EXPECT_GT(total_bytes, 3'000'000u);
  EXPECT_GE(chunk_count, total_bytes / kChunkBytes);
  EXPECT_LE(largest_chunk, kChunkBytes);
  // The sink received the first chunk while the rows were still being written.
  EXPECT_GE(rows_before_first_chunk, 0);
  EXPECT_LT(rows_before_first_chunk, 1000);
}

TEST_F(CsvWriterTest, OneByteChunks) {
  CsvOptions options;
  options.chunk_bytes = 1;
  ExportSpec spec = StudentSpec(false);
  spec.columns = {{"姓名", ColumnType::kText}};
  ASSERT_TRUE(WriteAll(spec, {{Cell::Text("𠀾")}}, options).ok());
  EXPECT_EQ(Output(), absl::StrCat(kBom, "姓名\r\n𠀾\r\n"));
  for (const std::string& chunk : chunks_) EXPECT_EQ(chunk.size(), 1u);
}

TEST_F(CsvWriterTest, SinkErrorStopsExport) {
  int calls = 0;
  auto failing_sink = [&](absl::string_view) {
    ++calls;
    return absl::UnavailableError("client went away");
  };
  CsvOptions options;
  options.chunk_bytes = 256;
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewCsvWriter(StudentSpec(false), failing_sink, clock_, options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::Status status = absl::OkStatus();
  for (const std::vector<Cell>& row : StudentRows()) {
    status = (*writer)->WriteRow(row);
    if (!status.ok()) break;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ((*writer)->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace quxiang::exports

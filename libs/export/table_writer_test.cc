// The rules every export writer shares: formula neutralization, masking, row checks and the audit.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "libs/export/table_writer.h"
#include "libs/status/error.h"

namespace quxiang::exports {
namespace {

absl::Time At(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), BeijingTimeZone());
}

TEST(NeutralizeFormulaTest, PrefixesFormulaStarts) {
  EXPECT_EQ(NeutralizeFormula("=1+2"), "'=1+2");
  EXPECT_EQ(NeutralizeFormula("+86 138"), "'+86 138");
  EXPECT_EQ(NeutralizeFormula("-5"), "'-5");
  EXPECT_EQ(NeutralizeFormula("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(NeutralizeFormula("\t=cmd"), "'\t=cmd");
  EXPECT_EQ(NeutralizeFormula("\r=cmd"), "'\r=cmd");
  EXPECT_EQ(NeutralizeFormula(std::string("\0x", 2)), std::string("'\0x", 3));
}

TEST(NeutralizeFormulaTest, LeavesOtherTextAlone) {
  EXPECT_EQ(NeutralizeFormula(""), "");
  EXPECT_EQ(NeutralizeFormula("张三"), "张三");
  EXPECT_EQ(NeutralizeFormula("a=1"), "a=1");
  EXPECT_EQ(NeutralizeFormula(" =1"), " =1");
  EXPECT_EQ(NeutralizeFormula("'=1"), "'=1");
  EXPECT_EQ(NeutralizeFormula("\n=1"), "\n=1");
}

TEST(MaskForColumnTest, MasksPersonalColumnsOnly) {
  EXPECT_EQ(MaskForColumn(ColumnType::kIdNumber, "110105199901011234", false), "110105********1234");
  EXPECT_EQ(MaskForColumn(ColumnType::kPhone, "13812341234", false), "138****1234");
  EXPECT_EQ(MaskForColumn(ColumnType::kCode, "2022010001", false), "2022010001");
  EXPECT_EQ(MaskForColumn(ColumnType::kText, "110105199901011234", false), "110105199901011234");
  EXPECT_EQ(MaskForColumn(ColumnType::kIdNumber, "", false), "");
}

TEST(MaskForColumnTest, MasksNonAsciiWhole) {
  EXPECT_EQ(MaskForColumn(ColumnType::kIdNumber, "身份证号码待补充", false), "********");
  EXPECT_EQ(MaskForColumn(ColumnType::kPhone, "电话𠀾1234567", false), "**********");
}

TEST(MaskForColumnTest, FullViewKeepsValues) {
  EXPECT_EQ(MaskForColumn(ColumnType::kIdNumber, "110105199901011234", true), "110105199901011234");
  EXPECT_EQ(MaskForColumn(ColumnType::kPhone, "13812341234", true), "13812341234");
}

TEST(FormatBeijingTimeTest, ShowsUtcPlusEight) {
  absl::Time utc = absl::FromCivil(absl::CivilSecond(2026, 6, 30, 20, 5, 9), absl::UTCTimeZone());
  EXPECT_EQ(FormatBeijingTime(utc), "2026-07-01 04:05:09");
}

class WriterRulesTest : public ::testing::Test {
 protected:
  WriterRulesTest() : clock_(At(2026, 12, 4, 9, 0, 0)) {}

  ExportSpec Spec(bool full_view) const {
    ExportSpec spec;
    spec.kind = "test.students";
    spec.title = "退回修改学生名单";
    spec.columns = {{"姓名", ColumnType::kText},
                    {"身份证件号", ColumnType::kIdNumber},
                    {"人数", ColumnType::kInteger},
                    {"日期", ColumnType::kDate}};
    spec.full_view = full_view;
    spec.actor_id = "staff-7";
    spec.actor_name = "李老师";
    spec.school_id = "10559";
    spec.request_id = "req-1";
    spec.filter_summary = "院系=计算机学院";
    return spec;
  }

  std::unique_ptr<TableWriter> Open(bool full_view) {
    absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewCsvWriter(
        Spec(full_view),
        [this](absl::string_view chunk) {
          output_.append(chunk.data(), chunk.size());
          return absl::OkStatus();
        },
        clock_);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? std::move(*writer) : nullptr;
  }

  std::vector<Cell> GoodRow() const {
    return {Cell::Text("张三"), Cell::Text("110105199901011234"), Cell::Integer(3),
            Cell::Date(absl::CivilDay(2026, 6, 30))};
  }

  FakeClock clock_;
  std::string output_;
};

TEST_F(WriterRulesTest, AuditRecordsMaskedExport) {
  std::unique_ptr<TableWriter> writer = Open(false);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->WriteRow(GoodRow()).ok());
  ASSERT_TRUE(writer->WriteRow(GoodRow()).ok());
  clock_.Advance(absl::Seconds(2));

  absl::StatusOr<ExportAudit> audit = writer->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_EQ(audit->kind, "test.students");
  EXPECT_EQ(audit->title, "退回修改学生名单");
  EXPECT_EQ(audit->format, "CSV");
  EXPECT_EQ(audit->actor_id, "staff-7");
  EXPECT_EQ(audit->actor_name, "李老师");
  EXPECT_EQ(audit->school_id, "10559");
  EXPECT_EQ(audit->request_id, "req-1");
  EXPECT_EQ(audit->filter_summary, "院系=计算机学院");
  EXPECT_EQ(audit->row_count, 2);
  EXPECT_EQ(audit->byte_count, static_cast<int64_t>(output_.size()));
  EXPECT_TRUE(audit->masked);
  EXPECT_FALSE(audit->full_view);
  EXPECT_EQ(audit->started_at, At(2026, 12, 4, 9, 0, 0));
  EXPECT_EQ(audit->finished_at, At(2026, 12, 4, 9, 0, 2));
}

TEST_F(WriterRulesTest, AuditRecordsFullView) {
  std::unique_ptr<TableWriter> writer = Open(true);
  ASSERT_NE(writer, nullptr);
  absl::StatusOr<ExportAudit> audit = writer->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_FALSE(audit->masked);
  EXPECT_TRUE(audit->full_view);
  EXPECT_EQ(audit->row_count, 0);
}

TEST_F(WriterRulesTest, AuditWithoutPersonalColumns) {
  ExportSpec spec = Spec(false);
  spec.columns = {{"姓名", ColumnType::kText}};
  absl::StatusOr<std::unique_ptr<TableWriter>> writer =
      NewCsvWriter(spec, [](absl::string_view) { return absl::OkStatus(); }, clock_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::StatusOr<ExportAudit> audit = (*writer)->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_FALSE(audit->masked);
  EXPECT_FALSE(audit->full_view);
}

TEST_F(WriterRulesTest, RejectsWrongCellCount) {
  std::unique_ptr<TableWriter> writer = Open(false);
  ASSERT_NE(writer, nullptr);
  absl::Status status = writer->WriteRow({Cell::Text("张三")});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(status), "EXPORT_ROW_INVALID");
}

TEST_F(WriterRulesTest, RejectsCellOfWrongKind) {
  std::vector<std::vector<Cell>> bad_rows = {
      {Cell::Integer(1), Cell::Empty(), Cell::Empty(), Cell::Empty()},
      {Cell::Empty(), Cell::Integer(110105199901011234), Cell::Empty(), Cell::Empty()},
      {Cell::Empty(), Cell::Empty(), Cell::Text("3"), Cell::Empty()},
      {Cell::Empty(), Cell::Empty(), Cell::Empty(), Cell::Time(At(2026, 1, 1, 0, 0, 0))},
  };
  for (size_t i = 0; i < bad_rows.size(); ++i) {
    std::unique_ptr<TableWriter> writer = Open(false);
    ASSERT_NE(writer, nullptr);
    absl::Status status = writer->WriteRow(bad_rows[i]);
    EXPECT_EQ(ErrorReason(status), "EXPORT_ROW_INVALID") << "row " << i;
  }
}

TEST_F(WriterRulesTest, RejectsInvalidText) {
  std::vector<std::string> bad_texts = {std::string("a\0b", 3), "\xC3", "\xE4\xB8", "\xED\xA0\x80",
                                        "\xC0\xAF", "\xF4\x90\x80\x80"};
  for (const std::string& text : bad_texts) {
    std::unique_ptr<TableWriter> writer = Open(false);
    ASSERT_NE(writer, nullptr);
    absl::Status status = writer->WriteRow({Cell::Text(text), Cell::Empty(), Cell::Empty(), Cell::Empty()});
    EXPECT_EQ(ErrorReason(status), "EXPORT_ROW_INVALID") << "text of " << text.size() << " bytes";
  }
}

TEST_F(WriterRulesTest, RejectsDatesExcelCannotShow) {
  std::unique_ptr<TableWriter> writer = Open(false);
  ASSERT_NE(writer, nullptr);
  absl::Status status =
      writer->WriteRow({Cell::Empty(), Cell::Empty(), Cell::Empty(), Cell::Date(absl::CivilDay(1899, 12, 31))});
  EXPECT_EQ(ErrorReason(status), "EXPORT_ROW_INVALID");
}

TEST_F(WriterRulesTest, ErrorIsFinal) {
  std::unique_ptr<TableWriter> writer = Open(false);
  ASSERT_NE(writer, nullptr);
  ASSERT_FALSE(writer->WriteRow({Cell::Text("张三")}).ok());
  EXPECT_EQ(writer->WriteRow(GoodRow()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->audit().row_count, 0);
}

TEST_F(WriterRulesTest, FinishTwiceFails) {
  std::unique_ptr<TableWriter> writer = Open(false);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(writer->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->WriteRow(GoodRow()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(WriterRulesTest, RejectsInvalidSpec) {
  ExportSpec no_columns = Spec(false);
  no_columns.columns.clear();
  auto sink = [](absl::string_view) { return absl::OkStatus(); };
  EXPECT_EQ(ErrorReason(NewCsvWriter(no_columns, sink, clock_).status()), "EXPORT_SPEC_INVALID");

  ExportSpec no_kind = Spec(false);
  no_kind.kind.clear();
  EXPECT_EQ(ErrorReason(NewCsvWriter(no_kind, sink, clock_).status()), "EXPORT_SPEC_INVALID");

  ExportSpec empty_title = Spec(false);
  empty_title.columns[1].title.clear();
  EXPECT_EQ(ErrorReason(NewXlsxWriter(empty_title, sink, clock_).status()), "EXPORT_SPEC_INVALID");

  CsvOptions zero_chunk;
  zero_chunk.chunk_bytes = 0;
  EXPECT_EQ(ErrorReason(NewCsvWriter(Spec(false), sink, clock_, zero_chunk).status()), "EXPORT_SPEC_INVALID");
  EXPECT_EQ(ErrorReason(NewCsvWriter(Spec(false), nullptr, clock_).status()), "EXPORT_SPEC_INVALID");
}

}  // namespace
}  // namespace quxiang::exports

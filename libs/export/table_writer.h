// Streaming exports of tables (下载当前查询数据, 导出退回修改学生名单) as CSV or XLSX.
//
// A service describes the columns once in an ExportSpec, opens a writer with NewCsvWriter or
// NewXlsxWriter, calls WriteRow for each row in order, then Finish. The writer delivers the file
// to a ChunkSink (for example a server-streaming RPC) a chunk at a time, so a 30,000-row export
// never holds the whole file in memory.
//
// Every writer applies the personal-data rules of the platform:
//   - cells of ID_NUMBER and PHONE columns are masked (110105********1234, 138****1234) unless
//     the spec has full_view, which the service sets only for a viewer with that right;
//   - a text cell (including a header title) that begins with = + - @, tab, CR or NUL gets a
//     leading apostrophe, so that a spreadsheet program shows it as text and does not evaluate
//     it as a formula. OWASP ASVS 5.0 requirement V1.2.10 lists these characters except CR,
//     which this platform adds. Integer and date cells are not changed.
//   - Finish returns an ExportAudit record (who, when, which export, the filter, the row count,
//     masked or not), which the calling service stores in its own audit table.
//
// Example:
//   ExportSpec spec;
//   spec.kind = "signing.returned_students";
//   spec.title = "退回修改学生名单";
//   spec.columns = {{"姓名", ColumnType::kText}, {"身份证件号", ColumnType::kIdNumber},
//                   {"退回时间", ColumnType::kDateTime}};
//   ASSIGN_OR_RETURN(std::unique_ptr<TableWriter> writer,
//                    NewXlsxWriter(spec, [&](absl::string_view chunk) { return Send(chunk); }, clock));
//   for (const Student& s : students) {
//     RETURN_IF_ERROR(writer->WriteRow({Cell::Text(s.name), Cell::Text(s.id_number), Cell::Time(s.at)}));
//   }
//   ASSIGN_OR_RETURN(ExportAudit audit, writer->Finish());
//   RETURN_IF_ERROR(InsertExportAudit(session, audit).status());  // audit_store.h
#ifndef QUXIANG_LIBS_EXPORT_TABLE_WRITER_H_
#define QUXIANG_LIBS_EXPORT_TABLE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace quxiang::exports {

// The kind of data in a column. It decides the cell types a row may put there, the masking and,
// in XLSX, the number format of the column.
enum class ColumnType {
  // Free text, written as text.
  kText,
  // A resident ID number, written as text and masked unless the spec has full_view.
  kIdNumber,
  // A phone number, written as text and masked unless the spec has full_view.
  kPhone,
  // A student number or another code made of digits, written as text so that a spreadsheet
  // program keeps its leading zeros and all its digits (never 1.1E+17).
  kCode,
  // A whole number, written as a number.
  kInteger,
  // An instant, shown in Beijing time as 2026-06-30 14:05:09.
  kDateTime,
  // A calendar date, shown as 2026-06-30.
  kDate,
};

struct Column {
  // The header title in Chinese, for example "身份证件号".
  std::string title;
  ColumnType type = ColumnType::kText;
};

// The value of one cell. An empty cell fits every column; the other kinds must match the
// column: Text for kText, kIdNumber, kPhone and kCode, Integer for kInteger, Time for kDateTime
// and Date for kDate.
class Cell {
 public:
  using Value = std::variant<std::monostate, std::string, int64_t, absl::Time, absl::CivilDay>;

  Cell() = default;
  static Cell Empty() { return Cell(); }
  static Cell Text(std::string text) { return Cell(Value(std::move(text))); }
  static Cell Integer(int64_t value) { return Cell(Value(value)); }
  static Cell Time(absl::Time time) { return Cell(Value(time)); }
  static Cell Date(absl::CivilDay day) { return Cell(Value(day)); }

  const Value& value() const { return value_; }

 private:
  explicit Cell(Value value) : value_(std::move(value)) {}
  Value value_;
};

// The export's identity: what the service exports and the user it exports for. The writer copies
// the identifying fields into the ExportAudit.
struct ExportSpec {
  // A stable identifier of the export for the audit, for example "sync.graduates.query".
  std::string kind;
  // The Chinese title of the export, for example "下载当前查询数据". XLSX uses it as the sheet
  // name (cut to 31 characters, with the characters Excel forbids in sheet names replaced).
  std::string title;
  std::vector<Column> columns;
  // The viewer may see ID numbers and phone numbers in full.
  bool full_view = false;
  // The principal who requested the export.
  std::string actor_id;
  std::string actor_name;
  std::string school_id;
  // The client's request id, so that the audit entry can be joined with the call log.
  std::string request_id;
  // The filters of the query in words, for example "院系=计算机学院; 状态=退回修改".
  std::string filter_summary;
};

// The audit entry of one export, filled by the writer.
struct ExportAudit {
  std::string kind;
  std::string title;
  // "CSV" or "XLSX".
  std::string format;
  std::string actor_id;
  std::string actor_name;
  std::string school_id;
  std::string request_id;
  std::string filter_summary;
  // Data rows written, without the header row.
  int64_t row_count = 0;
  // Bytes delivered to the sink.
  int64_t byte_count = 0;
  // The ID number and phone columns were masked. False when the export has no such column.
  bool masked = false;
  // The ID number and phone columns were shown in full. False when the export has no such column.
  bool full_view = false;
  absl::Time started_at;
  // Set by a successful Finish; absl::InfinitePast() before.
  absl::Time finished_at = absl::InfinitePast();
};

// Receives the bytes of the file in order. A non-OK status stops the export, and the writer
// returns that status from the call that produced the chunk.
using ChunkSink = std::function<absl::Status(absl::string_view chunk)>;

// The default maximum size of one chunk handed to the sink.
inline constexpr size_t kDefaultChunkBytes = 64 * 1024;

// Returns `text` with a leading apostrophe when it begins with = + - @, tab, CR or NUL, and
// unchanged otherwise.
std::string NeutralizeFormula(std::string text);

// Masks `text` as the column type requires when `full_view` is false: MaskIdNumber for
// kIdNumber, MaskPhone for kPhone. Other types and full views return `text` unchanged.
std::string MaskForColumn(ColumnType type, std::string text, bool full_view);

// Formats an instant in Beijing time as "2026-06-30 14:05:09".
std::string FormatBeijingTime(absl::Time time);

// One export in progress. Not thread-safe: the caller writes the rows from one thread.
//
// Every error is final: after a failed WriteRow or Finish the other calls return
// FAILED_PRECONDITION, and the XLSX temporary file is already deleted. Errors:
//   - INTERNAL (EXPORT_ROW_INVALID) for a row whose cell count or cell kinds do not match the
//     columns, for text that is not UTF-8 or contains NUL, and for a time or date Excel cannot
//     show (before 1900 or after 9999); these are mistakes of the calling service;
//   - FAILED_PRECONDITION (EXPORT_TOO_MANY_ROWS, EXPORT_CELL_TOO_LONG) for XLSX beyond Excel's
//     limits, with a Chinese message that suggests a narrower query or CSV;
//   - the sink's own status;
//   - INTERNAL (EXPORT_FILE_FAILED) when the XLSX temporary file cannot be written or read.
class TableWriter {
 public:
  virtual ~TableWriter();
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Writes one data row: one cell per column, in the columns' order.
  absl::Status WriteRow(const std::vector<Cell>& cells);

  // Completes the file, delivers the rest of it to the sink and returns the audit entry.
  absl::StatusOr<ExportAudit> Finish();

  // The audit entry so far, also after an error, so that a failed export can be logged.
  const ExportAudit& audit() const { return audit_; }

 protected:
  // A cell after masking and neutralization; text cells hold the final text.
  using PreparedRow = std::vector<Cell::Value>;

  TableWriter(ExportSpec spec, std::string format, const Clock& clock);

  // Writes the header row. The factories call it once, right after construction.
  absl::Status Start();

  const ExportSpec& spec() const { return spec_; }

  // Delivers `chunk` to the sink, counting its bytes.
  absl::Status Deliver(const ChunkSink& sink, absl::string_view chunk);

  virtual absl::Status WriteHeader(const std::vector<std::string>& titles) = 0;
  // `row_index` counts data rows from 0.
  virtual absl::Status WritePreparedRow(int64_t row_index, const PreparedRow& row) = 0;
  virtual absl::Status FinishFile() = 0;
  // Releases every resource after an error; the writer is not used again.
  virtual void Abandon() {}

 private:
  enum class State { kOpen, kFinished, kFailed };

  absl::StatusOr<PreparedRow> Prepare(const std::vector<Cell>& cells) const;
  absl::Status Fail(absl::Status status);

  ExportSpec spec_;
  const Clock& clock_;
  ExportAudit audit_;
  State state_ = State::kOpen;
};

struct CsvOptions {
  // Starts the file with the UTF-8 byte order mark EF BB BF, without which Excel on Chinese
  // Windows reads UTF-8 as the local code page (GBK) and shows garbled text. Strict RFC 4180
  // consumers may want it off.
  bool byte_order_mark = true;
  // The maximum size of one chunk handed to the sink; at least 1.
  size_t chunk_bytes = kDefaultChunkBytes;
};

// A CSV writer: UTF-8, records ended by CRLF, fields quoted as RFC 4180 says (a field containing
// a double quote, a comma, CR or LF is enclosed in double quotes and its quotes are doubled).
// The writer buffers less than `chunk_bytes` between calls. The header goes to the sink when the
// first chunk fills or at Finish.
absl::StatusOr<std::unique_ptr<TableWriter>> NewCsvWriter(ExportSpec spec, ChunkSink sink, const Clock& clock,
                                                          CsvOptions options = {});

struct XlsxOptions {
  // The folder of the temporary file; empty means $TMPDIR, or /tmp when that is unset.
  std::string temp_dir;
  // The maximum size of one chunk handed to the sink; at least 1.
  size_t chunk_bytes = kDefaultChunkBytes;
};

// An XLSX writer on libxlsxwriter. libxlsxwriter writes to a file, so the writer creates a
// temporary file in `temp_dir`, writes the sheet in libxlsxwriter's constant-memory mode (which
// keeps one row in memory and the others in a file), and at Finish streams the file to the
// sink. The temporary file is deleted when Finish returns, after any error and when the writer
// is destroyed unfinished. The sink receives nothing before Finish.
//
// One worksheet with the header row frozen. Text columns use the text number format "@", so a
// code stays text even after a user edits the cell. Integers beyond 15 digits, which Excel
// cannot hold exactly, are written as text.
absl::StatusOr<std::unique_ptr<TableWriter>> NewXlsxWriter(ExportSpec spec, ChunkSink sink, const Clock& clock,
                                                           XlsxOptions options = {});

}  // namespace quxiang::exports

#endif  // QUXIANG_LIBS_EXPORT_TABLE_WRITER_H_

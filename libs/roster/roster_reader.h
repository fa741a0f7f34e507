// Reading a school's graduate roster file in the national layout.
//
// Formats, recognised from the content and never from the file name:
//   - CSV (RFC 4180) in UTF-8, with or without a byte order mark;
//   - CSV in GB18030 (and so GBK and GB2312), which Excel on Chinese Windows writes. Text that is
//     valid UTF-8 is read as UTF-8, anything else as GB18030;
//   - XLSX: the first worksheet (in tab order) of the workbook.
// Other files are rejected with a zh-CN error: legacy .xls workbooks and password-protected
// workbooks (both OLE compound files), UTF-16 text (Excel's "Unicode 文本"), and anything else that
// is not text.
//
// Layout: the first row with a non-empty cell is the header row (a CSV line "sep=," before it,
// which some programs write for Excel, is skipped). Columns are matched by their
// Chinese header (FindRosterField, graduate_record.h) in any order. Columns outside the graduate
// part of the layout are ignored. Optional columns may be missing, but the required ones
// (RosterFields) must be present. Rows whose cells are all empty are skipped. Row numbers are the
// ones a spreadsheet program shows: in CSV a record with line breaks inside quotes is one row.
//
// Cells: spaces (ASCII white space, U+3000 and U+00A0) are removed from both ends. In XLSX, a
// number comes back as its decimal text, without exponent or trailing zeros, so a student number
// typed as a number reads "2022010001", not "2.022010001E9". In the date columns (入学时间, 毕业时间,
// 出生日期) an XLSX number is read as follows:
//   - an integer from 19000101 to 29991231 is a date typed as digits and stays as it is;
//   - any other number from 1 to 2958465 (9999-12-31) is an Excel serial date and becomes YYYYMMDD.
//     It counts in the 1900 date system, or in the 1904 system when the workbook uses it, and a
//     time of day is dropped. Serial 60 is Excel's nonexistent 1900-02-29 and stays a number;
//   - anything else stays as its decimal text, for the validator to reject.
// Whatever the format, dates are not otherwise reformatted: RosterValidator accepts the forms
// listed there.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<roster::RosterReader> reader,
//                    roster::RosterReader::Open(std::move(upload), file_name));
//   roster::GraduateRecord record;
//   int row = 0;
//   while (true) {
//     ASSIGN_OR_RETURN(bool has_record, reader->Next(&record, &row));
//     if (!has_record) break;
//     for (roster::RowError& error : validator.Validate(record, row)) errors.push_back(error);
//   }
#ifndef QUXIANG_LIBS_ROSTER_ROSTER_READER_H_
#define QUXIANG_LIBS_ROSTER_ROSTER_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/roster/graduate_record.h"
#include "libs/roster/roster_errors.h"

namespace quxiang::roster {

namespace internal {
class RowSource;
}  // namespace internal

enum class RosterFormat { kCsvUtf8, kCsvUtf8WithBom, kCsvGb18030, kXlsx };

// "csv-utf8", "csv-utf8-bom", "csv-gb18030" or "xlsx", for logs.
absl::string_view RosterFormatName(RosterFormat format);

// Guards against zip bombs in XLSX files. The defaults leave room for a roster of 30,000 graduates
// with every column of the national layout filled, whose worksheet XML is an estimated 100 MB.
struct RosterReaderLimits {
  // The maximum number of entries in the ZIP archive; a workbook written by Excel has about a dozen.
  std::size_t max_zip_entries = 1000;
  // The maximum uncompressed size of the archive: of the sizes its directory declares for all
  // entries, and of the bytes actually inflated.
  std::uint64_t max_uncompressed_bytes = std::uint64_t{256} * 1024 * 1024;
};

class RosterReader {
 public:
  // Detects the format of `content`, converts CSV text to UTF-8 and reads the header row.
  // `file_name` appears only in error messages. Every error is INVALID_ARGUMENT with a reason of
  // roster_errors.h and a zh-CN message; a missing required column gives ROSTER_COLUMNS_MISSING
  // naming every missing column in Chinese.
  static absl::StatusOr<std::unique_ptr<RosterReader>> Open(std::string content, absl::string_view file_name,
                                                            const RosterReaderLimits& limits = {});

  ~RosterReader();
  RosterReader(const RosterReader&) = delete;
  RosterReader& operator=(const RosterReader&) = delete;

  // Reads the next graduate into `record` (every field is overwritten) and its spreadsheet row
  // number into `row`. Returns false at the end of the file. An XLSX worksheet is read as this
  // method goes, so a damaged or oversized worksheet can still fail here, with the errors of Open.
  absl::StatusOr<bool> Next(GraduateRecord* record, int* row);

  // The cells of the header row in file order, spaces removed, including ignored columns.
  std::vector<std::string> headers() const { return headers_; }

  RosterFormat format() const { return format_; }

 private:
  RosterReader(RosterFormat format, std::unique_ptr<internal::RowSource> source);

  absl::Status ReadHeader(absl::string_view file_name);

  RosterFormat format_;
  std::unique_ptr<internal::RowSource> source_;
  std::vector<std::string> headers_;
  // The field of each column of the file, or nullptr for an ignored column.
  std::vector<const RosterField*> field_by_column_;
};

namespace internal {

// The text of an XLSX number `raw` in plain decimal notation: "1.10105199901011E+17" becomes
// "110105199901011000" and "4.50" becomes "4.5". Text that is not a number comes back unchanged.
std::string PlainNumberText(absl::string_view raw);

// The date column text of XLSX number `raw`, by the rules in the comment at the top of this file.
std::string DateCellText(absl::string_view raw, bool uses_1904_dates);

// `text` without ASCII white space, U+3000 and U+00A0 at either end.
absl::string_view TrimCell(absl::string_view text);

}  // namespace internal

}  // namespace quxiang::roster

#endif  // QUXIANG_LIBS_ROSTER_ROSTER_READER_H_

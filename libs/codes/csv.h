// A CSV parser (RFC 4180) shared by the code tables and the roster reader.
//
// Fields are separated by commas and records by CRLF, LF or a lone CR. A field that starts with a
// double quote may contain commas, line breaks and doubled quotes (""), which stand for one quote.
// A line break inside a quoted field comes back as LF whatever the file used, so that a cell reads
// the same from a CSV file written on Windows and from an XLSX file. Like spreadsheet programs,
// the parser keeps a quote that appears inside an unquoted field, and text that follows the closing
// quote of a quoted field, as ordinary characters.
//
// The parser reads UTF-8 (or any ASCII-compatible encoding) and does not look at a byte order mark:
// the caller removes it.
#ifndef QUXIANG_LIBS_CODES_CSV_H_
#define QUXIANG_LIBS_CODES_CSV_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::codes {

class CsvParser {
 public:
  // `text` must outlive the parser.
  explicit CsvParser(absl::string_view text) : text_(text) {}

  // Reads the next record into `fields` and returns true, or returns false at the end of the text.
  // A blank line is a record with one empty field. Returns INVALID_ARGUMENT (English message) when
  // a quoted field is not closed before the end of the text; record_number() is then the record
  // that contains that field.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // The 1-based number of the record that the last call to Next read, counting blank lines. It is
  // the row number that a spreadsheet program shows for the record, because a spreadsheet puts a
  // record with line breaks inside quotes into one row.
  int record_number() const { return record_number_; }

  // The 1-based line of the text on which that record starts.
  int line_number() const { return record_line_; }

 private:
  // Appends the quoted field that starts at pos_ (on the opening quote) to `field`.
  absl::Status ReadQuoted(std::string* field);

  absl::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int record_number_ = 0;
  int record_line_ = 0;
};

}  // namespace quxiang::codes

#endif  // QUXIANG_LIBS_CODES_CSV_H_

// The rows of a roster file before its columns are mapped to GraduateRecord fields: one interface
// over CSV text and over the first worksheet of an XLSX workbook.
#ifndef QUXIANG_LIBS_ROSTER_ROW_SOURCE_H_
#define QUXIANG_LIBS_ROSTER_ROW_SOURCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/codes/csv.h"

namespace quxiang::roster::internal {

struct SourceCell {
  std::string text;
  // The cell is an XLSX number, and `text` is its value as the file stores it ("2022010001",
  // "44743", "1.10105199901011E+17"). Always false for CSV.
  bool is_number = false;
};

class RowSource {
 public:
  virtual ~RowSource() = default;

  // Reads the next row into `cells` (index 0 is column A; a missing cell is empty) and sets `*row`
  // to its 1-based row number as a spreadsheet program shows it. Returns false at the end.
  // Errors are INVALID_ARGUMENT with a zh-CN message.
  virtual absl::StatusOr<bool> NextRow(std::vector<SourceCell>* cells, int* row) = 0;

  // Whether the workbook counts dates from 1904-01-01 instead of 1900-01-01 (an Excel option).
  virtual bool uses_1904_dates() const { return false; }
};

// The records of UTF-8 CSV text (without a byte order mark), one row each.
class CsvRowSource : public RowSource {
 public:
  explicit CsvRowSource(std::string text) : text_(std::move(text)), parser_(text_) {}
  absl::StatusOr<bool> NextRow(std::vector<SourceCell>* cells, int* row) override;

 private:
  std::string text_;
  codes::CsvParser parser_;
  std::vector<std::string> fields_;
};

}  // namespace quxiang::roster::internal

#endif  // QUXIANG_LIBS_ROSTER_ROW_SOURCE_H_

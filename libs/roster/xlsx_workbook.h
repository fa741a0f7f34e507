// The first worksheet of an XLSX workbook as a RowSource.
//
// Open follows the package relationships to the workbook part. The workbook names its first sheet
// (in tab order) and its date system, and the workbook relationships lead to that sheet's part and
// to the shared strings, which Open reads whole. Rows of the sheet are then inflated and
// tokenized on demand, so memory contains the shared strings and one chunk of the sheet, not the
// whole sheet.
//
// Cell values: shared strings (t="s"), inline strings (t="inlineStr", rich-text runs joined and
// phonetic runs left out), formula strings (t="str"), booleans (t="b", as TRUE or FALSE), errors
// (t="e", as written, for example #N/A), ISO 8601 dates (t="d", as YYYYMMDD) and numbers (no t or
// t="n", raw and marked is_number). A cell without a reference follows the previous cell, and a
// row without a number follows the previous row, as the format allows.
#ifndef QUXIANG_LIBS_ROSTER_XLSX_WORKBOOK_H_
#define QUXIANG_LIBS_ROSTER_XLSX_WORKBOOK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/roster/row_source.h"
#include "libs/roster/xml_tokenizer.h"
#include "libs/roster/zip_archive.h"

namespace quxiang::roster::internal {

class XlsxWorkbook : public RowSource {
 public:
  static absl::StatusOr<std::unique_ptr<XlsxWorkbook>> Open(std::string content, const ZipLimits& limits);
  ~XlsxWorkbook() override;

  absl::StatusOr<bool> NextRow(std::vector<SourceCell>* cells, int* row) override;
  bool uses_1904_dates() const override { return uses_1904_dates_; }

 private:
  class SheetSource;

  XlsxWorkbook() = default;

  absl::Status Load(const ZipLimits& limits);
  absl::Status LoadSharedStrings(const std::string& path);
  // Reads the cell whose <c> start tag is `start`, up to its end tag.
  absl::Status ReadCell(const XmlTokenizer::Token& start, int row, int* last_column,
                        std::vector<SourceCell>* cells);

  std::string content_;
  std::unique_ptr<ZipArchive> archive_;
  std::vector<std::string> shared_strings_;
  bool uses_1904_dates_ = false;
  std::unique_ptr<ZipEntryReader> sheet_reader_;
  std::unique_ptr<SheetSource> sheet_source_;
  std::unique_ptr<XmlTokenizer> sheet_;
  int last_row_ = 0;
  bool sheet_done_ = false;
};

}  // namespace quxiang::roster::internal

#endif  // QUXIANG_LIBS_ROSTER_XLSX_WORKBOOK_H_

// Builders of roster files for tests: CSV text, GB18030 bytes, ZIP archives and XLSX workbooks,
// and a fixture of 20 valid graduates.
#ifndef QUXIANG_LIBS_ROSTER_TEST_FILES_H_
#define QUXIANG_LIBS_ROSTER_TEST_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "libs/roster/graduate_record.h"

namespace quxiang::roster::testing {

// The school and class of the fixture.
inline constexpr char kSchoolCode[] = "4111010001";
inline constexpr int kClassYear = 2022;

// 20 valid graduates of kSchoolCode, class kClassYear, with every column filled. Names include
// characters outside the BMP (𡐤, 𠀾) and a middle dot, and addresses include commas, quotes and
// a line break, so that every format has to carry them.
std::vector<GraduateRecord> TwentyGraduates();

// A valid ID number of a person born on `yyyymmdd` with sequence number `sequence` (0-999).
std::string IdNumber(absl::string_view region, absl::string_view yyyymmdd, int sequence);

// Rows of cells, the first being the header row.
using Table = std::vector<std::vector<std::string>>;

// The header and rows of `records` with the columns `headers` (Chinese headers of RosterFields;
// other headers give empty cells).
Table RecordsTable(const std::vector<std::string>& headers, const std::vector<GraduateRecord>& records);

// Every header of RosterFields in canonical order.
std::vector<std::string> AllHeaders();

// RFC 4180 CSV of `table`: fields with a comma, a quote or a line break are quoted. Records end
// with CRLF when `crlf`, else with LF.
std::string ToCsv(const Table& table, bool crlf = true);

// `utf8` converted to GB18030 with iconv(3).
std::string ToGb18030(absl::string_view utf8);

struct ZipFile {
  ZipFile(std::string name_in, std::string contents_in, bool deflate_in = true)
      : name(std::move(name_in)), contents(std::move(contents_in)), deflate(deflate_in) {}

  std::string name;
  std::string contents;
  bool deflate = true;
  // Values to write instead of the real ones, to build damaged archives and zip bombs.
  std::optional<std::uint32_t> declared_uncompressed_size;
  std::optional<std::uint32_t> declared_crc32;
};

// A ZIP archive of `files`.
std::string BuildZip(const std::vector<ZipFile>& files);

enum class CellKind { kSharedString, kInlineString, kNumber };

struct XlsxCell {
  std::string value;  // the text, or the number as the file stores it
  CellKind kind = CellKind::kSharedString;
};

struct XlsxOptions {
  bool uses_1904_dates = false;
  // Write every element of the worksheet with the prefix "x:" bound to the SpreadsheetML namespace.
  bool prefixed = false;
  // Leave out the r attribute of cells and rows (the format allows it).
  bool omit_references = false;
};

// The cells of one row. An empty value leaves the cell out, and the cells after it keep their columns
// through their references.
using XlsxRow = std::vector<XlsxCell>;

// An XLSX workbook whose first sheet has `rows` (as rows 1, 2, ...). A second sheet exists after
// it, to show that only the first is read.
std::string BuildXlsx(const std::vector<XlsxRow>& rows, const XlsxOptions& options = {});

// The parts of BuildXlsx, with the worksheet XML given, for tests that need unusual sheets.
std::vector<ZipFile> XlsxParts(const std::string& sheet_xml, const std::vector<std::string>& shared_strings,
                               bool uses_1904_dates = false);

// `table` as XLSX rows of shared strings.
std::vector<XlsxRow> SharedStringRows(const Table& table);

}  // namespace quxiang::roster::testing

#endif  // QUXIANG_LIBS_ROSTER_TEST_FILES_H_

#include "libs/roster/roster_reader.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "libs/roster/encoding.h"
#include "libs/roster/row_source.h"
#include "libs/roster/xlsx_workbook.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::roster {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr absl::string_view kZipSignature = "PK\x03\x04";
constexpr absl::string_view kEmptyZipSignature = "PK\x05\x06";
constexpr absl::string_view kOleSignature = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
constexpr absl::string_view kUtf16LeBom = "\xFF\xFE";
constexpr absl::string_view kUtf16BeBom = "\xFE\xFF";

// A text with at least this many valid non-ASCII UTF-8 characters per invalid byte is damaged
// UTF-8, not GB18030. Chinese text in GB18030 scans as about one valid UTF-8 sequence per four
// invalid bytes (measured on 100,000 random characters of GB2312 level 1), far below this ratio.
constexpr std::size_t kUtf8MajorityRatio = 10;

// How far into a file to look for control characters that text never has.
constexpr std::size_t kBinaryProbeBytes = 64 * 1024;

constexpr char kResaveAdvice[] = "请在 Excel 中打开名单，另存为“CSV UTF-8 (逗号分隔)”或“Excel 工作簿 (*.xlsx)”后重新上传。";

absl::Status UnsupportedFormat(absl::string_view file_name, absl::string_view problem_zh, absl::string_view detail) {
  return InvalidArgument(kRosterFormatUnsupported, absl::StrCat("文件“", file_name, "”", problem_zh, "，无法读取。", kResaveAdvice),
                         {{"file_name", std::string(file_name)}, {"detail", std::string(detail)}});
}

// True when the start of `content` has a control character that CSV text does not contain
// (anything below 0x20 except tab, line feed, carriage return and form feed, or DEL).
bool LooksBinary(absl::string_view content) {
  const absl::string_view probe = content.substr(0, kBinaryProbeBytes);
  return std::any_of(probe.begin(), probe.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r' && byte != '\f') || byte == 0x7F;
  });
}

// The 1-based line of `text` that contains byte `offset`. Line feeds are single bytes in UTF-8 and
// GB18030 alike, so counting them is right in either encoding.
int LineOfOffset(absl::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n'));
}

absl::Status EncodingError(absl::string_view file_name, int line, absl::string_view detail) {
  return InvalidArgument(
      kRosterEncodingInvalid,
      absl::StrCat("文件“", file_name, "”第 ", line, " 行含有无法识别的字符：文件既不是 UTF-8 编码，也不是 GB18030（GBK）编码。",
                   kResaveAdvice),
      {{"file_name", std::string(file_name)}, {"line", absl::StrCat(line)}, {"detail", std::string(detail)}});
}

// Detects the format of `content` and returns the row source that reads it.
absl::StatusOr<std::unique_ptr<internal::RowSource>> OpenSource(std::string content, absl::string_view file_name,
                                                               const RosterReaderLimits& limits,
                                                               RosterFormat* format) {
  if (content.empty()) {
    return InvalidArgument(kRosterEmpty, absl::StrCat("文件“", file_name, "”是空文件，请选择导出的毕业生名单文件后重新上传。"),
                           {{"file_name", std::string(file_name)}});
  }

  const absl::string_view view(content);
  if (absl::StartsWith(view, kZipSignature) || absl::StartsWith(view, kEmptyZipSignature)) {
    *format = RosterFormat::kXlsx;
    internal::ZipLimits zip_limits;
    zip_limits.max_entries = limits.max_zip_entries;
    zip_limits.max_uncompressed_bytes = limits.max_uncompressed_bytes;
    ASSIGN_OR_RETURN(std::unique_ptr<internal::XlsxWorkbook> workbook,
                     internal::XlsxWorkbook::Open(std::move(content), zip_limits));
    return std::unique_ptr<internal::RowSource>(std::move(workbook));
  }
  if (absl::StartsWith(view, kOleSignature)) {
    return UnsupportedFormat(file_name, "是旧版 Excel 97-2003 工作簿（.xls），或是设置了打开密码的工作簿",
                             "OLE compound file");
  }
  if (absl::StartsWith(view, kUtf16LeBom) || absl::StartsWith(view, kUtf16BeBom)) {
    return UnsupportedFormat(file_name, "是 UTF-16 编码的文本（Excel 的“Unicode 文本”）", "UTF-16 text");
  }

  std::string text;
  if (absl::StartsWith(view, kUtf8Bom)) {
    *format = RosterFormat::kCsvUtf8WithBom;
    text = content.substr(kUtf8Bom.size());
    const std::size_t invalid = internal::FindInvalidUtf8(text);
    if (invalid != absl::string_view::npos) {
      return EncodingError(file_name, LineOfOffset(text, invalid),
                           absl::StrCat("invalid UTF-8 after a UTF-8 byte order mark at byte ", invalid + 3));
    }
  } else if (const internal::Utf8Scan scan = internal::ScanUtf8(view); scan.invalid_bytes == 0) {
    *format = RosterFormat::kCsvUtf8;
    text = std::move(content);
  } else if (scan.multibyte_sequences >= kUtf8MajorityRatio * scan.invalid_bytes) {
    // Mostly UTF-8 with a few damaged bytes. Read as GB18030 it could decode without error into
    // wrong characters, so point at the damage instead.
    *format = RosterFormat::kCsvUtf8;
    return EncodingError(file_name, LineOfOffset(view, scan.first_invalid),
                         absl::StrCat(scan.invalid_bytes, " invalid UTF-8 bytes among ", scan.multibyte_sequences,
                                      " valid non-ASCII characters; first at byte ", scan.first_invalid));
  } else {
    *format = RosterFormat::kCsvGb18030;
    std::size_t error_offset = 0;
    absl::StatusOr<std::string> converted = internal::Gb18030ToUtf8(view, &error_offset);
    if (!converted.ok()) {
      if (converted.status().code() != absl::StatusCode::kInvalidArgument) return converted.status();
      if (LooksBinary(view)) {
        return UnsupportedFormat(file_name, "既不是 CSV 文本，也不是 Excel 工作簿（.xlsx）", "binary data");
      }
      return EncodingError(file_name, LineOfOffset(view, error_offset), converted.status().message());
    }
    text = std::move(*converted);
  }

  if (LooksBinary(text)) {
    return UnsupportedFormat(file_name, "既不是 CSV 文本，也不是 Excel 工作簿（.xlsx）", "control characters in text");
  }
  return std::unique_ptr<internal::RowSource>(std::make_unique<internal::CsvRowSource>(std::move(text)));
}

bool AllCellsEmpty(const std::vector<internal::SourceCell>& cells) {
  return std::all_of(cells.begin(), cells.end(),
                     [](const internal::SourceCell& cell) { return internal::TrimCell(cell.text).empty(); });
}

// True for the line "sep=," that some programs write first in a CSV file to tell Excel the
// separator.
bool IsSeparatorHint(const std::vector<internal::SourceCell>& cells) {
  if (cells.empty() || cells.size() > 2 || cells[0].text != "sep=") return false;
  return cells.size() == 1 || cells[1].text.empty();
}

// The calendar day of Excel serial date `serial`.
absl::CivilDay DayFromSerial(long serial, bool uses_1904_dates) {
  if (uses_1904_dates) return absl::CivilDay(1904, 1, 1) + serial;
  // Excel counts 1900-02-29, which did not exist, as serial 60, so serials after it are one
  // larger than the real day count from 1899-12-31.
  if (serial < 60) return absl::CivilDay(1899, 12, 31) + serial;
  return absl::CivilDay(1899, 12, 30) + serial;
}

}  // namespace

namespace internal {

absl::StatusOr<bool> CsvRowSource::NextRow(std::vector<SourceCell>* cells, int* row) {
  absl::StatusOr<bool> has_record = parser_.Next(&fields_);
  if (!has_record.ok()) {
    return InvalidArgument(
        kRosterCsvInvalid,
        absl::StrCat("第 ", parser_.record_number(),
                     " 行有一个以英文双引号（\"）开头的单元格没有结束的双引号，文件可能不完整或被手工修改过。", kResaveAdvice),
        {{"row", absl::StrCat(parser_.record_number())}, {"detail", std::string(has_record.status().message())}});
  }
  if (!*has_record) return false;

  cells->resize(fields_.size());
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    (*cells)[i].text = std::move(fields_[i]);
    (*cells)[i].is_number = false;
  }
  *row = parser_.record_number();
  return true;
}

absl::string_view TrimCell(absl::string_view text) {
  static constexpr absl::string_view kWideSpaces[] = {"\xE3\x80\x80", "\xC2\xA0"};  // U+3000, U+00A0
  bool trimmed = true;
  while (trimmed && !text.empty()) {
    trimmed = false;
    if (absl::ascii_isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
      trimmed = true;
    }
    if (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
      trimmed = true;
    }
    for (absl::string_view space : kWideSpaces) {
      if (absl::ConsumePrefix(&text, space)) trimmed = true;
      if (absl::ConsumeSuffix(&text, space)) trimmed = true;
    }
  }
  return text;
}

std::string PlainNumberText(absl::string_view raw) {
  // [-]digits[.digits][(E|e)[+|-]digits]
  std::size_t i = 0;
  const bool negative = i < raw.size() && raw[i] == '-';
  if (negative) ++i;
  std::string digits;
  int point = -1;  // digits before the decimal point
  for (; i < raw.size() && (absl::ascii_isdigit(static_cast<unsigned char>(raw[i])) || raw[i] == '.'); ++i) {
    if (raw[i] == '.') {
      if (point >= 0) return std::string(raw);
      point = static_cast<int>(digits.size());
    } else {
      digits.push_back(raw[i]);
    }
  }
  if (digits.empty()) return std::string(raw);
  if (point < 0) point = static_cast<int>(digits.size());
  if (i < raw.size()) {
    if (raw[i] != 'E' && raw[i] != 'e') return std::string(raw);
    int exponent = 0;
    absl::string_view exponent_text = raw.substr(i + 1);
    if (absl::ConsumePrefix(&exponent_text, "+")) {
      if (absl::StartsWith(exponent_text, "-")) return std::string(raw);
    }
    if (!absl::SimpleAtoi(exponent_text, &exponent) || std::abs(exponent) > 400) return std::string(raw);
    point += exponent;
  }

  // Place the decimal point, padding with zeros on either side as needed.
  if (point < 0) {
    digits.insert(0, static_cast<std::size_t>(-point), '0');
    point = 0;
  }
  if (static_cast<std::size_t>(point) > digits.size()) digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
  std::string integer_part = digits.substr(0, static_cast<std::size_t>(point));
  std::string fraction_part = digits.substr(static_cast<std::size_t>(point));

  const std::size_t first_nonzero = integer_part.find_first_not_of('0');
  integer_part = first_nonzero == std::string::npos ? "0" : integer_part.substr(first_nonzero);
  const std::size_t last_nonzero = fraction_part.find_last_not_of('0');
  fraction_part = last_nonzero == std::string::npos ? "" : fraction_part.substr(0, last_nonzero + 1);

  std::string text = negative && (integer_part != "0" || !fraction_part.empty()) ? "-" : "";
  absl::StrAppend(&text, integer_part);
  if (!fraction_part.empty()) absl::StrAppend(&text, ".", fraction_part);
  return text;
}

std::string DateCellText(absl::string_view raw, bool uses_1904_dates) {
  const std::string text = PlainNumberText(raw);
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return text;
  if (value >= 19000101 && value <= 29991231 && value == std::floor(value)) return text;

  constexpr double kLastSerial = 2958465;  // 9999-12-31
  if (value < 1 || value >= kLastSerial + 1) return text;
  const long serial = static_cast<long>(std::floor(value));
  if (!uses_1904_dates && serial == 60) return text;  // Excel's 1900-02-29
  const absl::CivilDay day = DayFromSerial(serial, uses_1904_dates);
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

}  // namespace internal

absl::string_view RosterFormatName(RosterFormat format) {
  switch (format) {
    case RosterFormat::kCsvUtf8:
      return "csv-utf8";
    case RosterFormat::kCsvUtf8WithBom:
      return "csv-utf8-bom";
    case RosterFormat::kCsvGb18030:
      return "csv-gb18030";
    case RosterFormat::kXlsx:
      return "xlsx";
  }
  return "unknown";
}

RosterReader::RosterReader(RosterFormat format, std::unique_ptr<internal::RowSource> source)
    : format_(format), source_(std::move(source)) {}

RosterReader::~RosterReader() = default;

absl::StatusOr<std::unique_ptr<RosterReader>> RosterReader::Open(std::string content, absl::string_view file_name,
                                                                 const RosterReaderLimits& limits) {
  RosterFormat format = RosterFormat::kCsvUtf8;
  ASSIGN_OR_RETURN(std::unique_ptr<internal::RowSource> source,
                   OpenSource(std::move(content), file_name, limits, &format));
  std::unique_ptr<RosterReader> reader(new RosterReader(format, std::move(source)));
  RETURN_IF_ERROR(reader->ReadHeader(file_name));
  return reader;
}

absl::Status RosterReader::ReadHeader(absl::string_view file_name) {
  std::vector<internal::SourceCell> cells;
  int row = 0;
  while (true) {
    ASSIGN_OR_RETURN(const bool has_row, source_->NextRow(&cells, &row));
    if (!has_row) {
      return InvalidArgument(kRosterEmpty,
                             absl::StrCat("文件“", file_name, "”中没有内容，请选择导出的毕业生名单文件后重新上传。"),
                             {{"file_name", std::string(file_name)}});
    }
    if (AllCellsEmpty(cells) || IsSeparatorHint(cells)) continue;
    break;
  }

  absl::flat_hash_set<const RosterField*> seen;
  for (const internal::SourceCell& cell : cells) {
    // A number in a header cell (an unusual but possible XLSX header) reads as its text.
    const std::string header(internal::TrimCell(cell.is_number ? internal::PlainNumberText(cell.text) : cell.text));
    const RosterField* field = FindRosterField(header);
    if (field != nullptr && !seen.insert(field).second) {
      return InvalidArgument(
          kRosterColumnDuplicated,
          absl::StrCat("名单第 ", row, " 行（列名行）中“", field->header, "”列出现了两次（可能一次用的是其他写法，如“",
                       header, "”）。请删除多余的一列后重新上传。"),
          {{"column", std::string(field->header)}, {"row", absl::StrCat(row)}});
    }
    headers_.push_back(header);
    field_by_column_.push_back(field);
  }

  std::vector<std::string> missing;
  for (const RosterField& field : RosterFields()) {
    if (field.required && seen.count(&field) == 0) missing.emplace_back(field.header);
  }
  if (!missing.empty()) {
    return InvalidArgument(
        kRosterColumnsMissing,
        absl::StrCat("名单缺少必需的列：", absl::StrJoin(missing, "、"), "。第 ", row,
                     " 行应为列名行，列名须与就业管理系统导出的名单一致（列的顺序不限，多余的列会被忽略）。请补齐这些列后重新上传。"),
        {{"missing_columns", absl::StrJoin(missing, ",")}, {"row", absl::StrCat(row)}});
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RosterReader::Next(GraduateRecord* record, int* row) {
  std::vector<internal::SourceCell> cells;
  while (true) {
    ASSIGN_OR_RETURN(const bool has_row, source_->NextRow(&cells, row));
    if (!has_row) return false;
    if (!AllCellsEmpty(cells)) break;
  }

  *record = GraduateRecord();
  const std::size_t columns = std::min(cells.size(), field_by_column_.size());
  for (std::size_t i = 0; i < columns; ++i) {
    const RosterField* field = field_by_column_[i];
    if (field == nullptr) continue;
    const internal::SourceCell& cell = cells[i];
    std::string text = cell.text;
    if (cell.is_number) {
      text = field->is_date ? internal::DateCellText(cell.text, source_->uses_1904_dates())
                            : internal::PlainNumberText(cell.text);
    }
    record->*(field->member) = std::string(internal::TrimCell(text));
  }
  return true;
}

}  // namespace quxiang::roster

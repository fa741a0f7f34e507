#include "libs/export/table_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::exports {
namespace {

// Excel shows dates from 1900-01-01 to 9999-12-31 only.
constexpr int64_t kMinExcelYear = 1900;
constexpr int64_t kMaxExcelYear = 9999;

bool IsContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The offset of the first byte of `text` that does not start a valid UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are invalid), or npos.
size_t FindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t min_code_point = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      min_code_point = 0x80;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      min_code_point = 0x800;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      min_code_point = 0x10000;
      code_point = lead & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if (!IsContinuationByte(byte)) return i;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    if (code_point < min_code_point || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return "TEXT";
    case ColumnType::kIdNumber:
      return "ID_NUMBER";
    case ColumnType::kPhone:
      return "PHONE";
    case ColumnType::kCode:
      return "CODE";
    case ColumnType::kInteger:
      return "INTEGER";
    case ColumnType::kDateTime:
      return "DATE_TIME";
    case ColumnType::kDate:
      return "DATE";
  }
  return "UNKNOWN";
}

bool IsTextColumn(ColumnType type) {
  return type == ColumnType::kText || type == ColumnType::kIdNumber || type == ColumnType::kPhone ||
         type == ColumnType::kCode;
}

bool IsPersonalColumn(ColumnType type) { return type == ColumnType::kIdNumber || type == ColumnType::kPhone; }

// Whether `value` is a kind that a column of `type` accepts.
bool CellFitsColumn(const Cell::Value& value, ColumnType type) {
  if (std::holds_alternative<std::monostate>(value)) return true;
  if (std::holds_alternative<std::string>(value)) return IsTextColumn(type);
  if (std::holds_alternative<int64_t>(value)) return type == ColumnType::kInteger;
  if (std::holds_alternative<absl::Time>(value)) return type == ColumnType::kDateTime;
  return type == ColumnType::kDate;
}

absl::Status RowInvalid(absl::string_view detail) { return Internal("EXPORT_ROW_INVALID", detail); }

absl::Status CheckText(absl::string_view text, size_t column) {
  size_t invalid = FindInvalidUtf8(text);
  if (invalid != absl::string_view::npos) {
    return RowInvalid(absl::StrCat("export column ", column, " text is not valid UTF-8 at byte ", invalid));
  }
  if (text.find('\0') != absl::string_view::npos) {
    return RowInvalid(absl::StrCat("export column ", column, " text contains a NUL character"));
  }
  return absl::OkStatus();
}

absl::Status CheckExcelYear(int64_t year, size_t column) {
  if (year < kMinExcelYear || year > kMaxExcelYear) {
    return RowInvalid(absl::StrCat("export column ", column, " has year ", year, ", outside Excel's ",
                                   kMinExcelYear, "..", kMaxExcelYear));
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const ExportSpec& spec) {
  if (spec.kind.empty()) return Internal("EXPORT_SPEC_INVALID", "export spec has an empty kind");
  if (spec.columns.empty()) {
    return Internal("EXPORT_SPEC_INVALID", absl::StrCat("export ", spec.kind, " has no columns"));
  }
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    if (spec.columns[i].title.empty()) {
      return Internal("EXPORT_SPEC_INVALID", absl::StrCat("export ", spec.kind, " column ", i, " has no title"));
    }
    RETURN_IF_ERROR(CheckText(spec.columns[i].title, i));
  }
  return absl::OkStatus();
}

}  // namespace

std::string NeutralizeFormula(std::string text) {
  if (text.empty()) return text;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
    case '\0':
      text.insert(text.begin(), '\'');
      return text;
    default:
      return text;
  }
}

std::string MaskForColumn(ColumnType type, std::string text, bool full_view) {
  if (full_view || text.empty() || !IsPersonalColumn(type)) return text;
  // The masks keep a byte prefix and suffix, which could split a multi-byte character, so text
  // that is not ASCII (never a valid ID or phone number) is masked whole, one '*' per character.
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    size_t characters = std::count_if(text.begin(), text.end(),
                                      [](char c) { return !IsContinuationByte(static_cast<unsigned char>(c)); });
    return std::string(characters, '*');
  }
  if (type == ColumnType::kIdNumber) return logging::MaskIdNumber(text);
  if (type == ColumnType::kPhone) return logging::MaskPhone(text);
  return text;
}

std::string FormatBeijingTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", time, BeijingTimeZone());
}

TableWriter::TableWriter(ExportSpec spec, std::string format, const Clock& clock)
    : spec_(std::move(spec)), clock_(clock) {
  bool has_personal_columns = false;
  for (const Column& column : spec_.columns) has_personal_columns |= IsPersonalColumn(column.type);
  audit_.kind = spec_.kind;
  audit_.title = spec_.title;
  audit_.format = std::move(format);
  audit_.actor_id = spec_.actor_id;
  audit_.actor_name = spec_.actor_name;
  audit_.school_id = spec_.school_id;
  audit_.request_id = spec_.request_id;
  audit_.filter_summary = spec_.filter_summary;
  audit_.masked = has_personal_columns && !spec_.full_view;
  audit_.full_view = has_personal_columns && spec_.full_view;
  audit_.started_at = clock_.Now();
}

TableWriter::~TableWriter() = default;

absl::Status TableWriter::Start() {
  RETURN_IF_ERROR(Fail(ValidateSpec(spec_)));
  std::vector<std::string> titles;
  titles.reserve(spec_.columns.size());
  for (const Column& column : spec_.columns) titles.push_back(NeutralizeFormula(column.title));
  return Fail(WriteHeader(titles));
}

absl::Status TableWriter::Fail(absl::Status status) {
  if (!status.ok() && state_ == State::kOpen) {
    state_ = State::kFailed;
    Abandon();
  }
  return status;
}

absl::Status TableWriter::Deliver(const ChunkSink& sink, absl::string_view chunk) {
  if (chunk.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(sink(chunk));
  audit_.byte_count += static_cast<int64_t>(chunk.size());
  return absl::OkStatus();
}

absl::StatusOr<TableWriter::PreparedRow> TableWriter::Prepare(const std::vector<Cell>& cells) const {
  if (cells.size() != spec_.columns.size()) {
    return RowInvalid(absl::StrCat("export ", spec_.kind, " row has ", cells.size(), " cells for ",
                                   spec_.columns.size(), " columns"));
  }
  PreparedRow row;
  row.reserve(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    const Column& column = spec_.columns[i];
    const Cell::Value& value = cells[i].value();
    if (!CellFitsColumn(value, column.type)) {
      return RowInvalid(absl::StrCat("export ", spec_.kind, " column ", i, " of type ",
                                     ColumnTypeName(column.type), " got a cell of another kind"));
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
      RETURN_IF_ERROR(CheckText(*text, i));
      row.emplace_back(NeutralizeFormula(MaskForColumn(column.type, *text, spec_.full_view)));
      continue;
    }
    if (const auto* time = std::get_if<absl::Time>(&value)) {
      RETURN_IF_ERROR(CheckExcelYear(absl::ToCivilSecond(*time, BeijingTimeZone()).year(), i));
    } else if (const auto* day = std::get_if<absl::CivilDay>(&value)) {
      RETURN_IF_ERROR(CheckExcelYear(day->year(), i));
    }
    row.push_back(value);
  }
  return row;
}

absl::Status TableWriter::WriteRow(const std::vector<Cell>& cells) {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError("export writer is finished or failed; start a new export");
  }
  absl::StatusOr<PreparedRow> row = Prepare(cells);
  RETURN_IF_ERROR(Fail(row.status()));
  RETURN_IF_ERROR(Fail(WritePreparedRow(audit_.row_count, *row)));
  ++audit_.row_count;
  return absl::OkStatus();
}

absl::StatusOr<ExportAudit> TableWriter::Finish() {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError("export writer is finished or failed; start a new export");
  }
  RETURN_IF_ERROR(Fail(FinishFile()));
  state_ = State::kFinished;
  audit_.finished_at = clock_.Now();
  return audit_;
}

}  // namespace quxiang::exports

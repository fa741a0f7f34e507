#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/export/table_writer.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "xlsxwriter.h"

namespace quxiang::exports {
namespace {

// Excel keeps 15 significant digits of a number, so larger integers are written as text.
constexpr int64_t kMaxExactExcelInteger = 999'999'999'999'999;
// Excel's maximum sheet name length in characters.
constexpr size_t kMaxSheetNameCharacters = 31;
constexpr char kDefaultSheetName[] = "Sheet1";

// A sheet name from the export title: the characters Excel forbids ([ ] : * ? / \) become '_',
// apostrophes at the ends are dropped, and the name is cut to 31 characters (code points).
std::string SheetNameFromTitle(absl::string_view title) {
  std::string name;
  size_t characters = 0;
  for (size_t i = 0; i < title.size() && characters < kMaxSheetNameCharacters;) {
    const auto lead = static_cast<unsigned char>(title[i]);
    size_t length = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
    absl::string_view character = title.substr(i, length);
    if (character.size() == 1 && std::strchr("[]:*?/\\", character[0]) != nullptr) {
      name.push_back('_');
    } else {
      name.append(character.data(), character.size());
    }
    i += length;
    ++characters;
  }
  while (!name.empty() && name.front() == '\'') name.erase(name.begin());
  while (!name.empty() && name.back() == '\'') name.pop_back();
  return name.empty() ? kDefaultSheetName : name;
}

std::string ResolveTempDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] != '\0') return tmpdir;
  return "/tmp";
}

absl::Status FileFailed(absl::string_view detail) { return Internal("EXPORT_FILE_FAILED", detail); }

absl::Status TooManyRows() {
  return FailedPrecondition(
      "EXPORT_TOO_MANY_ROWS",
      absl::StrCat("导出的数据超过 Excel 工作表的最大行数（", LXW_ROW_MAX - 1,
                   " 行数据），请缩小查询范围后分批导出，或改用 CSV 格式导出。"),
      {{"max_rows", absl::StrCat(LXW_ROW_MAX - 1)}});
}

absl::Status CellTooLong(int64_t row_index, size_t column) {
  return FailedPrecondition("EXPORT_CELL_TOO_LONG",
                            absl::StrCat("第 ", row_index + 1, " 行第 ", column + 1,
                                         " 列的内容超过 Excel 单元格的最大长度（32767 个字符），"
                                         "请改用 CSV 格式导出。"),
                            {{"row", absl::StrCat(row_index + 1)}, {"column", absl::StrCat(column + 1)}});
}

class XlsxWriter final : public TableWriter {
 public:
  XlsxWriter(ExportSpec spec, ChunkSink sink, const Clock& clock, XlsxOptions options)
      : TableWriter(std::move(spec), "XLSX", clock), sink_(std::move(sink)), options_(std::move(options)) {}

  ~XlsxWriter() override { Abandon(); }

  using TableWriter::Start;

 private:
  absl::Status WriteHeader(const std::vector<std::string>& titles) override {
    RETURN_IF_ERROR(CreateWorkbook());
    for (size_t i = 0; i < titles.size(); ++i) {
      auto column = static_cast<lxw_col_t>(i);
      RETURN_IF_ERROR(Check(
          worksheet_set_column(worksheet_, column, column, ColumnWidth(spec().columns[i].type), nullptr),
          "set column"));
      RETURN_IF_ERROR(Check(worksheet_write_string(worksheet_, 0, column, titles[i].c_str(), header_format_),
                            "write header"));
    }
    worksheet_freeze_panes(worksheet_, 1, 0);
    return absl::OkStatus();
  }

  absl::Status WritePreparedRow(int64_t row_index, const PreparedRow& row) override {
    if (row_index + 1 >= LXW_ROW_MAX) return TooManyRows();
    auto sheet_row = static_cast<lxw_row_t>(row_index + 1);
    for (size_t i = 0; i < row.size(); ++i) {
      auto column = static_cast<lxw_col_t>(i);
      lxw_error error = WriteValue(sheet_row, column, row[i]);
      if (error == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED) return CellTooLong(row_index, i);
      RETURN_IF_ERROR(Check(error, "write cell"));
    }
    return absl::OkStatus();
  }

  absl::Status FinishFile() override {
    lxw_error error = workbook_close(workbook_);
    workbook_ = nullptr;
    absl::Status status = Check(error, "close workbook");
    if (status.ok()) status = StreamFile();
    RemoveFile();
    return status;
  }

  void Abandon() override {
    if (workbook_ != nullptr) {
      // In libxlsxwriter 1.1.4 lxw_workbook_free leaves the worksheet's constant-memory row file
      // open (AbandonedWriterRemovesTempFile counts descriptors), so the workbook is closed
      // instead, which writes the file that RemoveFile then deletes.
      workbook_close(workbook_);
      workbook_ = nullptr;
    }
    RemoveFile();
  }

  absl::Status CreateWorkbook() {
    temp_dir_ = ResolveTempDir(options_.temp_dir);
    std::string path = temp_dir_ + "/quxiang-export-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) {
      return FileFailed(absl::StrCat("create temporary XLSX file in ", temp_dir_, ": ", std::strerror(errno)));
    }
    close(fd);
    path_ = path;

    lxw_workbook_options workbook_options = {};
    workbook_options.constant_memory = LXW_TRUE;
    workbook_options.tmpdir = temp_dir_.data();
    workbook_ = workbook_new_opt(path_.c_str(), &workbook_options);
    if (workbook_ == nullptr) return FileFailed("libxlsxwriter could not create the workbook");

    std::string sheet_name = SheetNameFromTitle(spec().title);
    if (workbook_validate_sheet_name(workbook_, sheet_name.c_str()) != LXW_NO_ERROR) sheet_name = kDefaultSheetName;
    worksheet_ = workbook_add_worksheet(workbook_, sheet_name.c_str());
    if (worksheet_ == nullptr) {
      return FileFailed(absl::StrCat("libxlsxwriter could not add a worksheet (temporary folder ", temp_dir_, ")"));
    }

    header_format_ = workbook_add_format(workbook_);
    format_set_bold(header_format_);
    format_set_num_format(header_format_, "@");
    text_format_ = workbook_add_format(workbook_);
    format_set_num_format(text_format_, "@");
    integer_format_ = workbook_add_format(workbook_);
    format_set_num_format(integer_format_, "0");
    date_time_format_ = workbook_add_format(workbook_);
    format_set_num_format(date_time_format_, "yyyy-mm-dd hh:mm:ss");
    date_format_ = workbook_add_format(workbook_);
    format_set_num_format(date_format_, "yyyy-mm-dd");
    return absl::OkStatus();
  }

  static double ColumnWidth(ColumnType type) {
    switch (type) {
      case ColumnType::kIdNumber:
      case ColumnType::kDateTime:
        return 21;
      case ColumnType::kPhone:
      case ColumnType::kCode:
      case ColumnType::kDate:
        return 14;
      default:
        return 16;
    }
  }

  lxw_error WriteValue(lxw_row_t row, lxw_col_t column, const Cell::Value& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      return worksheet_write_string(worksheet_, row, column, text->c_str(), text_format_);
    }
    if (const auto* integer = std::get_if<int64_t>(&value)) {
      if (*integer > kMaxExactExcelInteger || *integer < -kMaxExactExcelInteger) {
        return worksheet_write_string(worksheet_, row, column, absl::StrCat(*integer).c_str(), text_format_);
      }
      return worksheet_write_number(worksheet_, row, column, static_cast<double>(*integer), integer_format_);
    }
    if (const auto* time = std::get_if<absl::Time>(&value)) {
      absl::CivilSecond civil = absl::ToCivilSecond(*time, BeijingTimeZone());
      lxw_datetime datetime = {static_cast<int>(civil.year()), civil.month(), civil.day(),
                               civil.hour(),                   civil.minute(), static_cast<double>(civil.second())};
      return worksheet_write_datetime(worksheet_, row, column, &datetime, date_time_format_);
    }
    if (const auto* day = std::get_if<absl::CivilDay>(&value)) {
      lxw_datetime datetime = {static_cast<int>(day->year()), day->month(), day->day(), 0, 0, 0};
      return worksheet_write_datetime(worksheet_, row, column, &datetime, date_format_);
    }
    return LXW_NO_ERROR;
  }

  // Streams the closed workbook file to the sink in chunks of at most chunk_bytes.
  absl::Status StreamFile() {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path_.c_str(), "rb"), &std::fclose);
    if (file == nullptr) return FileFailed(absl::StrCat("open ", path_, ": ", std::strerror(errno)));
    std::string chunk(options_.chunk_bytes, '\0');
    while (true) {
      size_t read = std::fread(chunk.data(), 1, chunk.size(), file.get());
      if (read > 0) RETURN_IF_ERROR(Deliver(sink_, absl::string_view(chunk.data(), read)));
      if (read < chunk.size()) break;
    }
    if (std::ferror(file.get())) return FileFailed(absl::StrCat("read ", path_));
    return absl::OkStatus();
  }

  void RemoveFile() {
    if (path_.empty()) return;
    unlink(path_.c_str());
    path_.clear();
  }

  static absl::Status Check(lxw_error error, absl::string_view action) {
    if (error == LXW_NO_ERROR) return absl::OkStatus();
    return FileFailed(absl::StrCat("libxlsxwriter ", action, ": ", lxw_strerror(error)));
  }

  ChunkSink sink_;
  XlsxOptions options_;
  std::string temp_dir_;
  std::string path_;
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* worksheet_ = nullptr;
  lxw_format* header_format_ = nullptr;
  lxw_format* text_format_ = nullptr;
  lxw_format* integer_format_ = nullptr;
  lxw_format* date_time_format_ = nullptr;
  lxw_format* date_format_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TableWriter>> NewXlsxWriter(ExportSpec spec, ChunkSink sink, const Clock& clock,
                                                           XlsxOptions options) {
  if (!sink) return Internal("EXPORT_SPEC_INVALID", "XLSX export needs a sink");
  if (options.chunk_bytes == 0) return Internal("EXPORT_SPEC_INVALID", "XLSX export chunk_bytes must be at least 1");
  auto writer = std::make_unique<XlsxWriter>(std::move(spec), std::move(sink), clock, std::move(options));
  RETURN_IF_ERROR(writer->Start());
  return writer;
}

}  // namespace quxiang::exports

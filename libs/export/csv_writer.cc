#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "libs/export/table_writer.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::exports {
namespace {

constexpr char kByteOrderMark[] = "\xEF\xBB\xBF";

// Appends `field` to `out`, enclosed in double quotes with its quotes doubled when it contains a
// double quote, a comma, CR or LF (RFC 4180 section 2, rules 6 and 7).
void AppendField(absl::string_view field, std::string* out) {
  if (field.find_first_of("\",\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

class CsvWriter final : public TableWriter {
 public:
  CsvWriter(ExportSpec spec, ChunkSink sink, const Clock& clock, CsvOptions options)
      : TableWriter(std::move(spec), "CSV", clock), sink_(std::move(sink)), options_(options) {
    if (options_.byte_order_mark) buffer_.append(kByteOrderMark);
  }

  using TableWriter::Start;

 private:
  absl::Status WriteHeader(const std::vector<std::string>& titles) override {
    for (size_t i = 0; i < titles.size(); ++i) {
      if (i > 0) buffer_.push_back(',');
      AppendField(titles[i], &buffer_);
    }
    buffer_.append("\r\n");
    return FlushFullChunks();
  }

  absl::Status WritePreparedRow(int64_t row_index, const PreparedRow& row) override {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) buffer_.push_back(',');
      AppendValue(row[i]);
    }
    buffer_.append("\r\n");
    return FlushFullChunks();
  }

  absl::Status FinishFile() override {
    RETURN_IF_ERROR(FlushFullChunks());
    RETURN_IF_ERROR(Deliver(sink_, buffer_));
    buffer_.clear();
    return absl::OkStatus();
  }

  void Abandon() override { std::string().swap(buffer_); }

  void AppendValue(const Cell::Value& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      AppendField(*text, &buffer_);
    } else if (const auto* integer = std::get_if<int64_t>(&value)) {
      absl::StrAppend(&buffer_, *integer);
    } else if (const auto* time = std::get_if<absl::Time>(&value)) {
      buffer_.append(FormatBeijingTime(*time));
    } else if (const auto* day = std::get_if<absl::CivilDay>(&value)) {
      buffer_.append(absl::FormatCivilTime(*day));
    }
  }

  // Hands every full chunk of the buffer to the sink, so that less than one chunk stays buffered.
  absl::Status FlushFullChunks() {
    size_t offset = 0;
    while (buffer_.size() - offset >= options_.chunk_bytes) {
      RETURN_IF_ERROR(Deliver(sink_, absl::string_view(buffer_).substr(offset, options_.chunk_bytes)));
      offset += options_.chunk_bytes;
    }
    buffer_.erase(0, offset);
    return absl::OkStatus();
  }

  ChunkSink sink_;
  CsvOptions options_;
  std::string buffer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TableWriter>> NewCsvWriter(ExportSpec spec, ChunkSink sink, const Clock& clock,
                                                          CsvOptions options) {
  if (!sink) return Internal("EXPORT_SPEC_INVALID", "CSV export needs a sink");
  if (options.chunk_bytes == 0) return Internal("EXPORT_SPEC_INVALID", "CSV export chunk_bytes must be at least 1");
  auto writer = std::make_unique<CsvWriter>(std::move(spec), std::move(sink), clock, options);
  RETURN_IF_ERROR(writer->Start());
  return writer;
}

}  // namespace quxiang::exports

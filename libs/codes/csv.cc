#include "libs/codes/csv.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace quxiang::codes {

absl::Status CsvParser::ReadQuoted(std::string* field) {
  const int start_line = line_;
  ++pos_;  // the opening quote
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
        field->push_back('"');
        pos_ += 2;
        continue;
      }
      ++pos_;  // the closing quote
      return absl::OkStatus();
    }

    if (c == '\r' || c == '\n') {
      // CRLF, LF and a lone CR all become one LF.
      field->push_back('\n');
      ++line_;
      pos_ += (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ? 2 : 1;
      continue;
    }
    field->push_back(c);
    ++pos_;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("a quoted field that starts on line ", start_line, " has no closing quote"));
}

absl::StatusOr<bool> CsvParser::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (pos_ >= text_.size()) return false;
  ++record_number_;
  record_line_ = line_;

  std::string field;
  while (true) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      absl::Status quoted = ReadQuoted(&field);
      if (!quoted.ok()) return quoted;
    }
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
      field.push_back(text_[pos_]);
      ++pos_;
    }
    fields->push_back(std::move(field));
    field.clear();

    if (pos_ >= text_.size()) return true;
    const char separator = text_[pos_];
    ++pos_;
    if (separator == ',') continue;

    if (separator == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
    return true;
  }
}

}  // namespace quxiang::codes

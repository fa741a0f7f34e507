// Helpers shared by the validators: quoting user input safely inside zh-CN messages and
// building their errors.
#ifndef QUXIANG_LIBS_VALIDATION_MESSAGES_H_
#define QUXIANG_LIBS_VALIDATION_MESSAGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace quxiang::validation::internal {

// Splits `text` into UTF-8 characters. Bytes that do not form valid UTF-8 and ASCII control
// characters each become U+FFFD, so that every element can go into a protobuf string field
// (which must be valid UTF-8) and into a log line without breaking it.
std::vector<std::string> SplitCharacters(absl::string_view text);

// `text` as quoted in an error message: the first 32 characters of SplitCharacters(text), with
// "…" appended when there were more, so that a megabyte of input does not become a megabyte of
// message.
std::string DisplayValue(absl::string_view text);

// The InvalidArgument error of a validator: `reason`, `zh_message`, and the metadata
// {"field": field, "value": shown_value}. `shown_value` is the value as the message quotes it
// (DisplayValue, or a masked form), never the raw input.
absl::Status InvalidValue(absl::string_view reason, absl::string_view field,
                          absl::string_view shown_value, absl::string_view zh_message);

// True when every byte of `text` is an ASCII digit (and `text` is not empty).
bool AllDigits(absl::string_view text);

}  // namespace quxiang::validation::internal

#endif  // QUXIANG_LIBS_VALIDATION_MESSAGES_H_

// Process-wide logging on spdlog.
//
// Two formats: readable text for developers and JSON lines for containers (--log_format=json).
// Both pass every message through MaskSensitive, so a resident ID number or a bearer token that
// slips into a log line is masked before it is written.
#ifndef QUXIANG_LIBS_LOGGING_LOGGING_H_
#define QUXIANG_LIBS_LOGGING_LOGGING_H_

#include <string>
#include <string_view>

#include "spdlog/spdlog.h"

namespace quxiang::logging {

// Installs the default logger for `process_name` with the format and level of the flags
// --log_format (text or json) and --log_level (trace, debug, info, warn, error).
void Init(std::string_view process_name);

// Replaces 18-character resident ID numbers by their masked form (110105********1234) and the
// value of any "Bearer " or "token=" credential by "***".
std::string MaskSensitive(std::string_view text);

// Masks a resident ID number for display: the first 6 and the last 4 characters stay.
std::string MaskIdNumber(std::string_view id_number);

// Masks a mobile number for display: 138****1234.
std::string MaskPhone(std::string_view phone);

// Escapes `text` for use inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace quxiang::logging

#endif  // QUXIANG_LIBS_LOGGING_LOGGING_H_

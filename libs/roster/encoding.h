// Text encodings of roster CSV files: UTF-8 (with or without a byte order mark) and GB18030, the
// encoding that Excel on Chinese Windows writes when it saves "CSV (逗号分隔)".
#ifndef QUXIANG_LIBS_ROSTER_ENCODING_H_
#define QUXIANG_LIBS_ROSTER_ENCODING_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::roster::internal {

// The offset of the first byte of `text` that is not part of a valid UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are invalid), or npos when all of it is valid.
std::size_t FindInvalidUtf8(absl::string_view text);

struct Utf8Scan {
  // Valid sequences of 2 to 4 bytes, that is non-ASCII characters.
  std::size_t multibyte_sequences = 0;
  // Bytes that start no valid sequence; scanning resumes at the next byte.
  std::size_t invalid_bytes = 0;
  // The offset of the first invalid byte, or npos.
  std::size_t first_invalid = std::string::npos;
};

// Counts the valid non-ASCII characters and the invalid bytes of `text` as UTF-8.
Utf8Scan ScanUtf8(absl::string_view text);

// Converts GB18030 text (which includes GBK and GB2312) to UTF-8 with iconv(3) from glibc, which
// decodes the 4-byte sequences of characters outside the BMP too. On invalid or truncated input
// returns INVALID_ARGUMENT and sets `*error_offset` to the offset of the first byte that could not
// be converted.
absl::StatusOr<std::string> Gb18030ToUtf8(absl::string_view text, std::size_t* error_offset);

}  // namespace quxiang::roster::internal

#endif  // QUXIANG_LIBS_ROSTER_ENCODING_H_

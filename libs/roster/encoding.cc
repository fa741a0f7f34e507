#include "libs/roster/encoding.h"

#include <cerrno>
#include <cstring>
#include <iconv.h>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace quxiang::roster::internal {
namespace {

bool IsContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence at text[pos], or 0 when it is invalid.
std::size_t Utf8SequenceLength(absl::string_view text, std::size_t pos) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (byte < 0x80) return 1;
  if (byte >= 0xC2 && byte <= 0xDF) {
    length = 2;
  } else if (byte >= 0xE0 && byte <= 0xEF) {
    length = 3;
    if (byte == 0xE0) second_min = 0xA0;  // overlong
    if (byte == 0xED) second_max = 0x9F;  // surrogates
  } else if (byte >= 0xF0 && byte <= 0xF4) {
    length = 4;
    if (byte == 0xF0) second_min = 0x90;  // overlong
    if (byte == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }

  if (pos + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[pos + 1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!IsContinuationByte(static_cast<unsigned char>(text[pos + i]))) return 0;
  }
  return length;
}

// Closes an iconv descriptor when it goes out of scope.
class IconvCloser {
 public:
  explicit IconvCloser(iconv_t descriptor) : descriptor_(descriptor) {}
  ~IconvCloser() { iconv_close(descriptor_); }
  IconvCloser(const IconvCloser&) = delete;
  IconvCloser& operator=(const IconvCloser&) = delete;

 private:
  iconv_t descriptor_;
};

}  // namespace

std::size_t FindInvalidUtf8(absl::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs are the common case.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = Utf8SequenceLength(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return absl::string_view::npos;
}

Utf8Scan ScanUtf8(absl::string_view text) {
  Utf8Scan scan;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t length = Utf8SequenceLength(text, pos);
    if (length == 0) {
      if (scan.invalid_bytes == 0) scan.first_invalid = pos;
      ++scan.invalid_bytes;
      ++pos;
      continue;
    }
    ++scan.multibyte_sequences;
    pos += length;
  }
  return scan;
}

absl::StatusOr<std::string> Gb18030ToUtf8(absl::string_view text, std::size_t* error_offset) {
  iconv_t descriptor = iconv_open("UTF-8", "GB18030");
  if (descriptor == reinterpret_cast<iconv_t>(-1)) {
    return absl::InternalError(absl::StrCat("iconv_open(UTF-8, GB18030) failed: ", std::strerror(errno),
                                            "; the glibc gconv modules are missing"));
  }
  IconvCloser closer(descriptor);

  // A GB18030 character of 1, 2 or 4 bytes becomes at most 4 UTF-8 bytes, and a 2-byte one at most
  // 3, so twice the input is enough. The loop still grows the buffer if iconv reports E2BIG.
  std::string output(text.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(text.data());  // iconv's interface is not const-correct
  std::size_t in_left = text.size();
  std::size_t written = 0;
  while (in_left > 0) {
    char* out = output.data() + written;
    std::size_t out_left = output.size() - written;
    const std::size_t result = iconv(descriptor, &in, &in_left, &out, &out_left);
    written = output.size() - out_left;
    if (result != static_cast<std::size_t>(-1)) break;

    if (errno == E2BIG) {
      output.resize(output.size() * 2);
      continue;
    }
    // EILSEQ: an invalid sequence. EINVAL: a sequence cut off at the end of the text.
    *error_offset = text.size() - in_left;
    return absl::InvalidArgumentError(absl::StrCat("the text is not valid GB18030 at byte ", *error_offset));
  }
  output.resize(written);
  return output;
}

}  // namespace quxiang::roster::internal

#include "libs/agreement_pdf/utf8.h"

namespace quxiang::agreement_pdf {

namespace {

// Decodes the sequence at `offset`; returns a length-1 invalid Utf8Char when it is malformed.
Utf8Char DecodeOne(absl::string_view text, size_t offset) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const unsigned char lead = byte(0);
  Utf8Char invalid{lead, offset, 1, false};

  size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    return Utf8Char{lead, offset, 1, true};
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    minimum = 0x10000;
  } else {
    return invalid;
  }
  if (offset + length > text.size()) return invalid;

  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return invalid;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return invalid;
  }
  return Utf8Char{code_point, offset, length, true};
}

}  // namespace

std::vector<Utf8Char> DecodeUtf8(absl::string_view text) {
  std::vector<Utf8Char> chars;
  chars.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) {
    Utf8Char decoded = DecodeOne(text, offset);
    offset += decoded.length;
    chars.push_back(decoded);
  }
  return chars;
}

}  // namespace quxiang::agreement_pdf

#include "libs/agreement_pdf/name_mask.h"

#include <vector>

#include "libs/agreement_pdf/utf8.h"

namespace quxiang::agreement_pdf {

namespace {

bool IsSpace(const Utf8Char& c) {
  return c.valid && (c.code_point == U' ' || c.code_point == U'\u3000');
}

bool IsSeparator(const Utf8Char& c) {
  return IsSpace(c) ||
         (c.valid && (c.code_point == U'\u00B7' || c.code_point == U'\u2022' ||
                      c.code_point == U'\u30FB'));
}

}  // namespace

std::string MaskPersonName(absl::string_view name) {
  std::vector<Utf8Char> chars = DecodeUtf8(name);
  size_t begin = 0;
  size_t end = chars.size();
  while (begin < end && IsSpace(chars[begin])) ++begin;
  while (end > begin && IsSpace(chars[end - 1])) --end;

  size_t name_chars = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!IsSeparator(chars[i])) ++name_chars;
  }

  std::string masked;
  size_t position = 0;  // Index among the name characters, separators not counted.
  for (size_t i = begin; i < end; ++i) {
    const Utf8Char& c = chars[i];
    if (IsSeparator(c)) {
      masked.append(name.data() + c.offset, c.length);
      continue;
    }
    const bool is_first = position == 0;
    const bool is_last = position + 1 == name_chars;
    const bool visible = c.valid && name_chars >= 2 && (is_first || (is_last && name_chars >= 3));
    if (visible) {
      masked.append(name.data() + c.offset, c.length);
    } else {
      masked.push_back('*');
    }
    ++position;
  }
  return masked;
}

}  // namespace quxiang::agreement_pdf

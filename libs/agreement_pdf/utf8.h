// UTF-8 decoding shared by the renderer's input checks and the name masking.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_UTF8_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_UTF8_H_

#include <cstddef>
#include "absl/strings/string_view.h"
#include <vector>

namespace quxiang::agreement_pdf {

// One decoded character and where its bytes sit in the text.
struct Utf8Char {
  char32_t code_point = 0;
  size_t offset = 0;
  size_t length = 0;
  // False for a byte that starts no valid UTF-8 sequence (overlong forms, surrogates and values
  // above U+10FFFF included). Such a byte becomes its own Utf8Char of length 1.
  bool valid = true;
};

std::vector<Utf8Char> DecodeUtf8(absl::string_view text);

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_UTF8_H_

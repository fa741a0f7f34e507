// Masking of a person's name for public pages, such as the agreement verification page.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_NAME_MASK_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_NAME_MASK_H_

#include <string>
#include "absl/strings/string_view.h"

namespace quxiang::agreement_pdf {

// Masks `name` so that a public page shows only its first and last character:
//   - spaces (U+0020, U+3000) at either end are removed first;
//   - characters are counted as Unicode code points, so 𠀾 (outside the BMP) is one character;
//   - the separators U+00B7 (·), U+2022 (•), U+30FB (・) and inner spaces stay visible and are
//     not counted, so 阿依古丽·买买提 becomes 阿***·**提;
//   - of the remaining n characters: n = 1 gives "*", n = 2 keeps the first (张* for 张三),
//     n >= 3 keeps the first and the last and puts one '*' for every character between
//     (张*三, 欧**娜);
//   - a byte that is not valid UTF-8 always becomes '*', at any position;
//   - an empty name, or one of separators only, is returned without the trimmed spaces.
std::string MaskPersonName(absl::string_view name);

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_NAME_MASK_H_

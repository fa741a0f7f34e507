// Unified social credit code checks (GB 32100-2015).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

using internal::DisplayValue;
using internal::InvalidValue;
using internal::SplitCharacters;

constexpr std::size_t kCreditCodeLength = 18;

// The 31 characters of the code in value order; I, O, Z, S and V are left out because they are
// easily confused with 1, 0, 2, 5 and U.
constexpr absl::string_view kCharacters = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// 3^i mod 31 for positions 1 to 17.
constexpr std::array<int, 17> kWeights = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

// The value of `c` in the code's character set, or -1 when it is not in the set.
int CharacterValue(char c) {
  const std::size_t index = kCharacters.find(c);
  return index == absl::string_view::npos ? -1 : static_cast<int>(index);
}

// Expects 17 characters of kCharacters.
char ComputeCheckCharacter(absl::string_view first17) {
  int sum = 0;
  for (std::size_t i = 0; i < kWeights.size(); ++i) sum += CharacterValue(first17[i]) * kWeights[i];
  const int check = (31 - sum % 31) % 31;
  return kCharacters[check];
}

absl::Status CreditCodeError(absl::string_view field, absl::string_view quoted_value,
                             absl::string_view problem) {
  return InvalidValue(kInvalidCreditCode, field, quoted_value,
                      absl::StrCat("统一社会信用代码“", quoted_value, "”", problem));
}

}  // namespace

absl::Status ValidateCreditCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) {
    return InvalidValue(kInvalidCreditCode, field, "",
                        "未填写统一社会信用代码，请按营业执照或登记证书填写 18 位代码。");
  }

  const std::string quoted_value = DisplayValue(code);
  const std::vector<std::string> characters = SplitCharacters(code);
  if (characters.size() != kCreditCodeLength) {
    return CreditCodeError(field, quoted_value,
                           absl::StrCat("长度为 ", characters.size(),
                                        " 位，应为 18 位。请按营业执照或登记证书上的代码完整填写。"));
  }

  for (std::size_t i = 0; i < characters.size(); ++i) {
    const std::string& character = characters[i];
    const bool ascii = character.size() == 1;
    if (ascii && absl::ascii_islower(static_cast<unsigned char>(character[0]))) {
      return CreditCodeError(field, quoted_value,
                             absl::StrCat("第 ", i + 1, " 位是小写字母“", character,
                                          "”。代码中的字母一律大写，请改为大写字母后重新填写。"));
    }
    if (!ascii || CharacterValue(character[0]) < 0) {
      return CreditCodeError(
          field, quoted_value,
          absl::StrCat("第 ", i + 1, " 位的“", character,
                       "”不是代码可用的字符。代码只由数字 0-9 和除 I、O、Z、S、V 以外的大写字母组成",
                       ascii ? "" : "，且应使用半角字符",
                       "，请对照营业执照核对（常见的错误是把数字 0、1 写成字母 O、I）。"));
    }
  }

  // Characters 3-8 are the administrative division of the registering authority (GB/T 2260),
  // always six digits.
  if (!internal::AllDigits(code.substr(2, 6))) {
    return CreditCodeError(field, quoted_value,
                           "第 3 至 8 位应为登记管理机关的行政区划代码（6 位数字），请对照营业执照核对。");
  }

  if (ComputeCheckCharacter(code.substr(0, 17)) != code[17]) {
    // The expected character is not quoted_value: a user told it would change the last character and
    // keep the typo that is somewhere in the first 17.
    return CreditCodeError(field, quoted_value,
                           "校验位（第 18 位）不正确，代码中至少有一位填写有误。请对照营业执照逐位核对。");
  }
  return absl::OkStatus();
}

bool IsValidCreditCode(absl::string_view code) { return ValidateCreditCode(code).ok(); }

std::string CreditCodeCheckCharacter(absl::string_view first17) {
  if (first17.size() != kCreditCodeLength - 1) return "";
  for (char c : first17) {
    if (CharacterValue(c) < 0) return "";
  }
  return std::string(1, ComputeCheckCharacter(first17));
}

}  // namespace quxiang::validation

// The password policy of every account.
#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

constexpr std::size_t kMinLength = 8;
constexpr std::size_t kMaxLength = 64;
constexpr int kMinClasses = 3;

constexpr char kRule[] =
    "密码须为 8 至 64 位，只能使用英文字母、数字、空格和键盘上的符号，至少包含大写字母、小写字母、数字、"
    "其他符号中的三类，且不能包含用户名。";

// Printable ASCII, space included.
bool IsAllowedCharacter(char c) { return c >= 0x20 && c <= 0x7E; }

int CountCharacterClasses(absl::string_view password) {
  bool upper = false;
  bool lower = false;
  bool digit = false;
  bool other = false;
  for (char c : password) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isupper(byte)) {
      upper = true;
    } else if (absl::ascii_islower(byte)) {
      lower = true;
    } else if (absl::ascii_isdigit(byte)) {
      digit = true;
    } else {
      other = true;
    }
  }
  return int{upper} + int{lower} + int{digit} + int{other};
}

// The metadata deliberately has no "value": the password must not reach logs or responses.
absl::Status WeakPassword(absl::string_view field, absl::string_view violation, absl::string_view problem) {
  return InvalidArgument(kWeakPassword, absl::StrCat(problem, kRule),
                         {{"field", std::string(field)}, {"violation", std::string(violation)}});
}

}  // namespace

absl::Status ValidatePassword(absl::string_view password, absl::string_view username, absl::string_view field) {
  if (password.empty()) return WeakPassword(field, "too_short", "未填写密码。");

  for (char c : password) {
    if (!IsAllowedCharacter(c)) {
      return WeakPassword(field, "invalid_character",
                          "密码含有不允许的字符（如中文、全角字符或控制字符），请切换到英文输入法后重新输入。");
    }
  }

  // After the character check every character is one byte, so the sizes below count characters.
  if (password.size() < kMinLength) {
    return WeakPassword(field, "too_short", absl::StrCat("密码过短（", password.size(), " 位）。"));
  }
  if (password.size() > kMaxLength) {
    return WeakPassword(field, "too_long", absl::StrCat("密码过长（", password.size(), " 位）。"));
  }

  const int classes = CountCharacterClasses(password);
  if (classes < kMinClasses) {
    return WeakPassword(field, "too_few_classes",
                        absl::StrCat("密码只包含 ", classes, " 类字符。"));
  }

  if (!username.empty() &&
      absl::StrContains(absl::AsciiStrToLower(password), absl::AsciiStrToLower(username))) {
    return WeakPassword(field, "contains_username", "密码包含了用户名。");
  }
  return absl::OkStatus();
}

bool IsValidPassword(absl::string_view password, absl::string_view username) {
  return ValidatePassword(password, username).ok();
}

}  // namespace quxiang::validation

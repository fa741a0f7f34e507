// Postal codes, school codes and usernames.
#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

using internal::AllDigits;
using internal::DisplayValue;
using internal::InvalidValue;

constexpr std::size_t kMinUsernameLength = 3;
constexpr std::size_t kMaxUsernameLength = 64;

bool IsUsernameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '@' || c == '-';
}

}  // namespace

absl::Status ValidatePostalCode(absl::string_view postal_code, absl::string_view field) {
  if (postal_code.empty()) {
    return InvalidValue(kInvalidPostalCode, field, "", "未填写邮政编码，请填写 6 位数字的邮政编码。");
  }
  if (IsValidPostalCode(postal_code)) return absl::OkStatus();

  const std::string quoted_value = DisplayValue(postal_code);
  return InvalidValue(kInvalidPostalCode, field, quoted_value,
                      absl::StrCat("邮政编码“", quoted_value, "”格式不正确，应为 6 位数字（如 100871），请使用半角数字。"));
}

bool IsValidPostalCode(absl::string_view postal_code) {
  return postal_code.size() == 6 && AllDigits(postal_code);
}

absl::Status ValidateSchoolCode(absl::string_view school_code, absl::string_view field) {
  if (school_code.empty()) {
    return InvalidValue(kInvalidSchoolCode, field, "", "未填写院校代码，请填写教育部公布的 10 位院校代码。");
  }
  if (IsValidSchoolCode(school_code)) return absl::OkStatus();

  const std::string quoted_value = DisplayValue(school_code);
  return InvalidValue(kInvalidSchoolCode, field, quoted_value,
                      absl::StrCat("院校代码“", quoted_value, "”格式不正确，应为教育部公布的 10 位数字代码（如 4111010001）。"));
}

bool IsValidSchoolCode(absl::string_view school_code) {
  return school_code.size() == 10 && AllDigits(school_code);
}

absl::Status ValidateUsername(absl::string_view username, absl::string_view field) {
  if (username.empty()) {
    return InvalidValue(kInvalidUsername, field, "", "未填写用户名，请填写 3 至 64 位的用户名。");
  }
  if (IsValidUsername(username)) return absl::OkStatus();

  const std::string quoted_value = DisplayValue(username);
  return InvalidValue(kInvalidUsername, field, quoted_value,
                      absl::StrCat("用户名“", quoted_value,
                                   "”不符合要求。用户名须为 3 至 64 位，只能使用英文字母、数字和 _ . @ - 这几个符号，不能含空格或中文。"));
}

bool IsValidUsername(absl::string_view username) {
  if (username.size() < kMinUsernameLength || username.size() > kMaxUsernameLength) return false;
  for (char c : username) {
    if (!IsUsernameCharacter(c)) return false;
  }
  return true;
}

}  // namespace quxiang::validation

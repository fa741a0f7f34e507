// Mainland China phone numbers.
#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

using internal::AllDigits;
using internal::DisplayValue;
using internal::InvalidValue;

bool IsMobile(absl::string_view phone) {
  return phone.size() == 11 && AllDigits(phone) && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9';
}

// Removes the area code from the front of `phone`: 010, 02X, or 0 followed by three digits of
// which the first is 3-9. Returns false when `phone` does not start with one.
bool ConsumeAreaCode(absl::string_view& phone) {
  if (phone.size() < 3 || phone[0] != '0' || !AllDigits(phone.substr(0, 3))) return false;
  if (phone[1] == '1' || phone[1] == '2') {
    if (phone[1] == '1' && phone[2] != '0') return false;
    phone.remove_prefix(3);
    return true;
  }
  if (phone[1] == '0' || phone.size() < 4 || !AllDigits(phone.substr(0, 4))) return false;
  phone.remove_prefix(4);
  return true;
}

// Area code, optional hyphen, a local number of 7 or 8 digits starting with 2-9, and an optional
// extension of 1 to 6 digits after a hyphen.
bool IsLandline(absl::string_view phone) {
  if (!ConsumeAreaCode(phone)) return false;
  if (!phone.empty() && phone[0] == '-') phone.remove_prefix(1);

  absl::string_view extension;
  const std::size_t hyphen = phone.find('-');
  if (hyphen != absl::string_view::npos) {
    extension = phone.substr(hyphen + 1);
    phone = phone.substr(0, hyphen);
    if (extension.empty() || extension.size() > 6 || !AllDigits(extension)) return false;
  }

  return (phone.size() == 7 || phone.size() == 8) && AllDigits(phone) && phone[0] >= '2';
}

}  // namespace

absl::Status ValidateMobilePhone(absl::string_view phone, absl::string_view field) {
  if (phone.empty()) {
    return InvalidValue(kInvalidMobilePhone, field, "", "未填写手机号码，请填写 11 位手机号码。");
  }
  if (IsMobile(phone)) return absl::OkStatus();

  const std::string quoted_value = DisplayValue(phone);
  return InvalidValue(kInvalidMobilePhone, field, quoted_value,
                      absl::StrCat("手机号码“", quoted_value,
                                   "”格式不正确。请填写 11 位中国大陆手机号码（以 13 至 19 开头），不加 +86、空格或短横线。"));
}

bool IsValidMobilePhone(absl::string_view phone) { return IsMobile(phone); }

absl::Status ValidateLandlineOrMobile(absl::string_view phone, absl::string_view field) {
  if (phone.empty()) {
    return InvalidValue(kInvalidPhone, field, "", "未填写联系电话，请填写手机号码或带区号的固定电话。");
  }
  if (IsMobile(phone) || IsLandline(phone)) return absl::OkStatus();

  const std::string quoted_value = DisplayValue(phone);
  return InvalidValue(kInvalidPhone, field, quoted_value,
                      absl::StrCat("联系电话“", quoted_value,
                                   "”格式不正确。请填写 11 位手机号码，或“区号-号码”形式的固定电话，如 010-67410355；"
                                   "分机号用短横线接在后面，如 010-67410355-123。"));
}

bool IsValidLandlineOrMobile(absl::string_view phone) { return IsMobile(phone) || IsLandline(phone); }

}  // namespace quxiang::validation

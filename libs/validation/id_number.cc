// Resident ID number checks (GB 11643-1999).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

using internal::InvalidValue;
using internal::SplitCharacters;

constexpr std::size_t kIdNumberLength = 18;
constexpr std::array<int, 17> kWeights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

// The check character for each value of (sum mod 11).
constexpr absl::string_view kCheckCharacters = "10X98765432";

constexpr char kMask[] = "********";

// Expects 17 ASCII digits.
char ComputeCheckDigit(absl::string_view first17) {
  int sum = 0;
  for (std::size_t i = 0; i < kWeights.size(); ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheckCharacters[sum % 11];
}

bool IsCheckCharacterForm(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == 'X' || c == 'x'; }

// Today's date in China. China has used UTC+8 all year since 1991, so a fixed offset is exact
// and does not depend on the tz database being installed.
absl::CivilDay TodayInChina(absl::Time now) {
  return absl::ToCivilDay(now, absl::FixedTimeZone(8 * 60 * 60));
}

// Checks characters 7-14 (YYYYMMDD), which the format check has already shown to be digits.
// Returns the problem in words, or an empty string when the date is acceptable.
std::string BirthDateProblem(absl::string_view digits, absl::Time now) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!absl::SimpleAtoi(digits.substr(0, 4), &year) || !absl::SimpleAtoi(digits.substr(4, 2), &month) ||
      !absl::SimpleAtoi(digits.substr(6, 2), &day)) {
    return "不是有效的日期";
  }

  // CivilDay normalises out-of-range fields (month 13 becomes January of the next year), so a
  // date is real exactly when normalising leaves it unchanged.
  const absl::CivilDay date(year, month, day);
  if (date.year() != year || date.month() != month || date.day() != day) return "不是有效的日期";
  if (year < 1900) return "早于 1900 年";
  if (date > TodayInChina(now)) return "晚于今天";
  return "";
}

}  // namespace

std::string MaskIdNumber(absl::string_view id) {
  const std::vector<std::string> characters = SplitCharacters(id);
  if (characters.size() <= 10) return kMask;

  const std::vector<std::string> head(characters.begin(), characters.begin() + 6);
  const std::vector<std::string> tail(characters.end() - 4, characters.end());
  return absl::StrCat(absl::StrJoin(head, ""), kMask, absl::StrJoin(tail, ""));
}

std::string NormalizeIdNumber(absl::string_view id) {
  std::string normalized(id);
  if (normalized.size() == kIdNumberLength && normalized.back() == 'x') normalized.back() = 'X';
  return normalized;
}

char IdNumberCheckDigit(absl::string_view first17) {
  if (first17.size() != kIdNumberLength - 1 || !internal::AllDigits(first17)) return '\0';
  return ComputeCheckDigit(first17);
}

absl::Status ValidateIdNumber(absl::string_view id, absl::Time now, absl::string_view field) {
  if (id.empty()) {
    return InvalidValue(kInvalidIdNumberFormat, field, "", "未填写身份证号，请填写 18 位居民身份证号码。");
  }

  // The number is personal data: messages and metadata show only its masked form.
  const std::string masked = MaskIdNumber(id);
  const std::size_t length = SplitCharacters(id).size();
  if (length != kIdNumberLength) {
    return InvalidValue(kInvalidIdNumberFormat, field, masked,
                        absl::StrCat("身份证号“", masked, "”长度为 ", length,
                                     " 位，应为 18 位。请按居民身份证完整填写（15 位的旧号码请换用 18 位号码）。"));
  }
  if (!internal::AllDigits(id.substr(0, 17)) || !IsCheckCharacterForm(id[17])) {
    return InvalidValue(kInvalidIdNumberFormat, field, masked,
                        absl::StrCat("身份证号“", masked,
                                     "”格式不正确：前 17 位应为数字，最后一位应为数字或字母 X，请使用半角字符并按居民身份证核对。"));
  }

  const std::string birth_date_problem = BirthDateProblem(id.substr(6, 8), now);
  if (!birth_date_problem.empty()) {
    return InvalidValue(kInvalidIdNumberBirthDate, field, masked,
                        absl::StrCat("身份证号“", masked, "”中的出生日期（第 7 至 14 位）", birth_date_problem,
                                     "，请按居民身份证核对号码。"));
  }

  const char actual = id[17] == 'x' ? 'X' : id[17];
  if (ComputeCheckDigit(id.substr(0, 17)) != actual) {
    return InvalidValue(kInvalidIdNumberCheckDigit, field, masked,
                        absl::StrCat("身份证号“", masked,
                                     "”的校验位（最后一位）不正确，号码中至少有一位填写有误。请按居民身份证逐位核对。"));
  }
  return absl::OkStatus();
}

bool IsValidIdNumber(absl::string_view id, absl::Time now) { return ValidateIdNumber(id, now).ok(); }

}  // namespace quxiang::validation

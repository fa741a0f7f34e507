#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

// 2024-06-15 12:00 in China.
const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2024, 6, 15, 4, 0, 0), absl::UTCTimeZone());

std::string WithCheckDigit(absl::string_view first17) {
  return std::string(first17) + IdNumberCheckDigit(first17);
}

// A number of a person born on `yyyymmdd`, registered in 北京市东城区.
std::string BornOn(absl::string_view yyyymmdd) { return WithCheckDigit("110101" + std::string(yyyymmdd) + "123"); }

TEST(IdNumber, AcceptsValidNumbers) {
  const std::string ids[] = {
      "11010519491231002X",  // the example of GB 11643-1999
      "11010519491231002x",  // lowercase x
      BornOn("19900307"),
      BornOn("20000229"),  // 2000 is a leap year (divisible by 400)
      BornOn("19000101"),  // earliest accepted date
      BornOn("20240615"),  // born today
      WithCheckDigit("44030420051231001"),
  };
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(ValidateIdNumber(id, kNow).ok()) << ValidateIdNumber(id, kNow);
    EXPECT_TRUE(IsValidIdNumber(id, kNow));
  }
}

TEST(IdNumber, CheckDigitCoversEveryValue) {
  // The last digit of the sequence number carries weight 2, so twenty consecutive sequence
  // numbers reach every sum mod 11 and so every check character.
  std::string seen;
  for (int sequence = 0; sequence < 20; ++sequence) {
    const std::string first17 = "11010519900307" + std::string(sequence < 10 ? "00" : "0") + std::to_string(sequence);
    const char check = IdNumberCheckDigit(first17);
    SCOPED_TRACE(first17);
    EXPECT_TRUE(check == 'X' || (check >= '0' && check <= '9'));
    EXPECT_TRUE(IsValidIdNumber(first17 + check, kNow));
    if (seen.find(check) == std::string::npos) seen += check;
  }
  EXPECT_EQ(seen.size(), 11u) << seen;
}

TEST(IdNumber, CheckDigitRejectsBadInput) {
  const char* inputs[] = {"", "1101051949123100", "110105194912310021", "1101051949123100X"};
  for (const char* input : inputs) {
    SCOPED_TRACE(input);
    EXPECT_EQ(IdNumberCheckDigit(input), '\0');
  }
}

struct InvalidCase {
  std::string id;
  std::string reason;
  std::string message_part;
};

TEST(IdNumber, RejectsInvalidNumbers) {
  const InvalidCase cases[] = {
      {"", "INVALID_ID_NUMBER_FORMAT", "未填写身份证号"},
      {"110105491231002", "INVALID_ID_NUMBER_FORMAT", "长度为 15 位，应为 18 位"},
      {"1101051949123100201", "INVALID_ID_NUMBER_FORMAT", "长度为 19 位"},
      {"11010519491231002Y", "INVALID_ID_NUMBER_FORMAT", "最后一位应为数字或字母 X"},
      {"X10105194912310021", "INVALID_ID_NUMBER_FORMAT", "前 17 位应为数字"},
      {"1101051949123１002X", "INVALID_ID_NUMBER_FORMAT", "前 17 位应为数字"},
      {"11010519491231002X ", "INVALID_ID_NUMBER_FORMAT", "长度为 19 位"},
      {"110105194912310021", "INVALID_ID_NUMBER_CHECK_DIGIT", "校验位（最后一位）不正确"},
      {"110105194912301002", "INVALID_ID_NUMBER_CHECK_DIGIT", "校验位"},
      {BornOn("19000229"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},  // 1900 is no leap year
      {BornOn("20230229"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},
      {BornOn("19901301"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},
      {BornOn("19900100"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},
      {BornOn("19900431"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},
      {BornOn("00000000"), "INVALID_ID_NUMBER_BIRTH_DATE", "不是有效的日期"},
      {BornOn("18991231"), "INVALID_ID_NUMBER_BIRTH_DATE", "早于 1900 年"},
      {"440524188001010014", "INVALID_ID_NUMBER_BIRTH_DATE", "早于 1900 年"},  // GB 11643's second example
      {BornOn("20240616"), "INVALID_ID_NUMBER_BIRTH_DATE", "晚于今天"},  // tomorrow
      {BornOn("20990101"), "INVALID_ID_NUMBER_BIRTH_DATE", "晚于今天"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.id);
    const absl::Status status = ValidateIdNumber(c.id, kNow, "graduate.id_number");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), c.reason);
    EXPECT_TRUE(absl::StrContains(status.message(), c.message_part)) << status.message();
    EXPECT_EQ(ErrorMetadataOf(status)["field"], "graduate.id_number");
    EXPECT_FALSE(IsValidIdNumber(c.id, kNow));
  }
}

TEST(IdNumber, MessagesNeverShowWholeNumber) {
  const std::string ids[] = {"110105194912310021", BornOn("20240616"), "11010519491231002Y", "1101051949123100201",
                             "110105491231002", "1234567"};
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    const absl::Status status = ValidateIdNumber(id, kNow);
    ASSERT_FALSE(status.ok());
    EXPECT_FALSE(absl::StrContains(status.message(), id)) << status.message();
    EXPECT_FALSE(absl::StrContains(ErrorMetadataOf(status)["value"], id));
    EXPECT_EQ(ErrorMetadataOf(status)["value"], MaskIdNumber(id));
  }
}

TEST(IdNumber, MessageShowsMaskedNumber) {
  const absl::Status status = ValidateIdNumber("110105194912310021", kNow);
  EXPECT_TRUE(absl::StrContains(status.message(), "“110105********0021”")) << status.message();
  EXPECT_TRUE(absl::StrContains(status.message(), "请按居民身份证逐位核对"));
}

TEST(IdNumber, TodayFollowsChinaTime) {
  // 2024-06-15 16:30 UTC is already 2024-06-16 00:30 in China.
  const absl::Time just_after_midnight =
      absl::FromCivil(absl::CivilSecond(2024, 6, 15, 16, 30, 0), absl::UTCTimeZone());
  EXPECT_TRUE(IsValidIdNumber(BornOn("20240616"), just_after_midnight));

  const absl::Time just_before_midnight =
      absl::FromCivil(absl::CivilSecond(2024, 6, 15, 15, 59, 59), absl::UTCTimeZone());
  EXPECT_FALSE(IsValidIdNumber(BornOn("20240616"), just_before_midnight));
}

TEST(IdNumber, TomorrowRejectedAtRealNow) {
  const absl::Time now = absl::Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::FixedTimeZone(8 * 60 * 60));
  const std::string today_text = absl::FormatCivilTime(today);  // YYYY-MM-DD
  const std::string tomorrow_text = absl::FormatCivilTime(today + 1);
  auto digits = [](std::string text) {
    text.erase(std::remove(text.begin(), text.end(), '-'), text.end());
    return text;
  };
  EXPECT_TRUE(IsValidIdNumber(BornOn(digits(today_text)), now));
  EXPECT_FALSE(IsValidIdNumber(BornOn(digits(tomorrow_text)), now));
}

TEST(MaskIdNumber, KeepsSixAndFour) {
  EXPECT_EQ(MaskIdNumber("11010519491231002X"), "110105********002X");
  EXPECT_EQ(MaskIdNumber("110105491231002"), "110105********1002");
  EXPECT_EQ(MaskIdNumber("12345678901"), "123456********8901");
}

TEST(MaskIdNumber, MasksShortInputWhole) {
  EXPECT_EQ(MaskIdNumber(""), "********");
  EXPECT_EQ(MaskIdNumber("1234567890"), "********");
}

TEST(MaskIdNumber, CountsCharactersNotBytes) {
  EXPECT_EQ(MaskIdNumber("北京市东城区19491231002X"), "北京市东城区********002X");
}

TEST(NormalizeIdNumber, UppercasesCheckX) {
  EXPECT_EQ(NormalizeIdNumber("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(NormalizeIdNumber("11010519491231002X"), "11010519491231002X");
  EXPECT_EQ(NormalizeIdNumber("110105194912310021"), "110105194912310021");
  EXPECT_EQ(NormalizeIdNumber("x"), "x");
}

}  // namespace
}  // namespace quxiang::validation

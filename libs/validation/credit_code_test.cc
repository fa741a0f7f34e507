#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

std::string WithCheckCharacter(absl::string_view first17) {
  return std::string(first17) + CreditCodeCheckCharacter(first17);
}

TEST(CreditCode, AcceptsValidCodes) {
  const std::string codes[] = {
      // Complete codes written out by hand, check characters included.
      "914403001922038216",
      "91440300708461136T",
      "91330100799655058B",
      "91110108551385082Q",
      // Codes built here, one per kind of registering authority.
      WithCheckCharacter("91110105MA01XY3K4"),  // 9: market regulation, 1: enterprise
      WithCheckCharacter("12100000400000624"),  // 1: institutional organisations
      WithCheckCharacter("51110000500000123"),  // 5: civil affairs, 1: social organisation
      WithCheckCharacter("Y1110000MA0000000"),  // Y: other authorities
      WithCheckCharacter("92110108MA00TUWXY"),  // 9: market regulation, 2: individual business
  };
  for (const std::string& code : codes) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(ValidateCreditCode(code).ok()) << ValidateCreditCode(code);
    EXPECT_TRUE(IsValidCreditCode(code));
  }
}

TEST(CreditCode, CheckCharacterCoversZero) {
  // A sum that is a multiple of 31 gives 31 - 0 = 31, which the standard writes as 0.
  EXPECT_EQ(CreditCodeCheckCharacter("00000000000000000"), "0");
  EXPECT_TRUE(IsValidCreditCode("000000000000000000"));
}

TEST(CreditCode, CheckCharacterRejectsBadInput) {
  const char* inputs[] = {"", "9144030019220382", "914403001922038216", "91440300192203821I",
                          "91440300192203821o"};
  for (const char* input : inputs) {
    SCOPED_TRACE(input);
    EXPECT_EQ(CreditCodeCheckCharacter(input), "");
  }
}

struct InvalidCase {
  std::string code;
  std::string message_part;
};

TEST(CreditCode, RejectsInvalidCodes) {
  const InvalidCase cases[] = {
      {"", "未填写统一社会信用代码"},
      {"91440300192203821", "长度为 17 位，应为 18 位"},
      {"9144030019220382160", "长度为 19 位，应为 18 位"},
      {"91440300708461136t", "第 18 位是小写字母“t”"},
      {"91440300708461136T ", "长度为 19 位"},
      {"91440300I08461136T", "第 9 位的“I”不是代码可用的字符"},
      {"91440300O08461136T", "第 9 位的“O”不是代码可用的字符"},
      {"914403001922038Z16", "第 16 位的“Z”不是代码可用的字符"},
      {"9144030019220382S6", "第 17 位的“S”"},
      {"91440300192203821V", "第 18 位的“V”"},
      {"91440300192203821-", "第 18 位的“-”"},
      {"９14403001922038216", "应使用半角字符"},
      {"91京403001922038216", "第 3 位的“京”不是代码可用的字符"},
      {"914A03001922038216", "第 3 至 8 位应为登记管理机关的行政区划代码"},
      {"914403001922038217", "校验位（第 18 位）不正确"},
      {"914403001922083216", "校验位（第 18 位）不正确"},  // two digits swapped
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.code);
    const absl::Status status = ValidateCreditCode(c.code, "employer.credit_code");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), "INVALID_CREDIT_CODE");
    EXPECT_TRUE(absl::StrContains(status.message(), c.message_part)) << status.message();
    EXPECT_EQ(ErrorMetadataOf(status)["field"], "employer.credit_code");
    EXPECT_EQ(ErrorMetadataOf(status)["value"], c.code);
    EXPECT_FALSE(IsValidCreditCode(c.code));
  }
}

TEST(CreditCode, MessageNamesValueAndFix) {
  const absl::Status status = ValidateCreditCode("914403001922038217");
  EXPECT_TRUE(absl::StrContains(status.message(), "“914403001922038217”"));
  EXPECT_TRUE(absl::StrContains(status.message(), "请对照营业执照"));
  EXPECT_EQ(ErrorMetadataOf(status)["field"], "credit_code");
}

TEST(CreditCode, LowercaseMessageAsksForCapitals) {
  const absl::Status status = ValidateCreditCode("91440300708461136t");
  EXPECT_TRUE(absl::StrContains(status.message(), "请改为大写字母"));
}

TEST(CreditCode, MessageHidesExpectedCheckCharacter) {
  // The real check character of this code is 6; telling the user would invite them to change
  // the last character instead of finding their typo.
  const absl::Status status = ValidateCreditCode("914403001922038217");
  EXPECT_FALSE(absl::StrContains(status.message(), "“6”"));
}

}  // namespace
}  // namespace quxiang::validation

#include "libs/logging/logging.h"

#include "gtest/gtest.h"

namespace quxiang::logging {
namespace {

TEST(MaskSensitive, MasksIdNumberInText) {
  EXPECT_EQ(MaskSensitive("graduate 11010519491231002X logged in"),
            "graduate 110105********002X logged in");
}

TEST(MaskSensitive, KeepsLongerDigitRuns) {
  // A 20-digit number is not an ID number and stays as it is.
  EXPECT_EQ(MaskSensitive("order 12345678901234567890"), "order 12345678901234567890");
}

TEST(MaskSensitive, MasksBearerToken) {
  EXPECT_EQ(MaskSensitive("authorization: Bearer abc.def rest"), "authorization: Bearer *** rest");
}

TEST(MaskSensitive, MasksTokenParameter) {
  EXPECT_EQ(MaskSensitive("GET /x?token=secret&a=1"), "GET /x?token=***&a=1");
}

TEST(Masking, PhoneAndIdNumber) {
  EXPECT_EQ(MaskPhone("13812341234"), "138****1234");
  EXPECT_EQ(MaskIdNumber("110105194912310021"), "110105********0021");
}

TEST(JsonEscape, EscapesQuotesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

}  // namespace
}  // namespace quxiang::logging

#include <string>

#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/validation/messages.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

using internal::DisplayValue;
using internal::SplitCharacters;

TEST(SplitCharacters, KeepsMultibyteCharacters) {
  const std::vector<std::string> expected = {"京", "华", "A", "𠀀"};
  EXPECT_EQ(SplitCharacters("京华A𠀀"), expected);
}

TEST(SplitCharacters, ReplacesInvalidBytes) {
  const std::vector<std::string> expected = {"a", "\xEF\xBF\xBD", "b", "\xEF\xBF\xBD", "\xEF\xBF\xBD"};
  // A lone continuation byte, then a lead byte cut short by the end of the text.
  EXPECT_EQ(SplitCharacters("a\x80" "b\xE4\xBA"), expected);
}

TEST(SplitCharacters, RejectsOverlongAndSurrogates) {
  EXPECT_EQ(SplitCharacters("\xC0\xAF").size(), 2u);          // overlong '/'
  EXPECT_EQ(SplitCharacters("\xED\xA0\x80").size(), 3u);      // U+D800
  EXPECT_EQ(SplitCharacters("\xF4\x90\x80\x80").size(), 4u);  // above U+10FFFF
}

TEST(SplitCharacters, ReplacesControlCharacters) {
  const std::vector<std::string> expected = {"a", "\xEF\xBF\xBD", "b"};
  EXPECT_EQ(SplitCharacters("a\nb"), expected);
}

TEST(DisplayValue, ShortensLongValues) {
  EXPECT_EQ(DisplayValue(std::string(32, 'a')), std::string(32, 'a'));
  EXPECT_EQ(DisplayValue(std::string(33, 'a')), std::string(32, 'a') + "…");
  EXPECT_EQ(DisplayValue(std::string(1 << 20, '1')).size(), 32u + std::string("…").size());
}

TEST(DisplayValue, LongInputGivesShortMessage) {
  const absl::Status status = ValidateCreditCode(std::string(100000, '9'));
  EXPECT_LT(status.message().size(), 400u);
  EXPECT_EQ(ErrorMetadataOf(status)["value"], std::string(32, '9') + "…");
}

}  // namespace
}  // namespace quxiang::validation

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

TEST(Password, AcceptsStrongPasswords) {
  const char* passwords[] = {
      "Jinghua2024",                 // upper, lower, digit
      "jinghua#2024",                // lower, digit, other
      "JINGHUA#2024",                // upper, digit, other
      "Jing Hua!",                   // upper, lower, space
      "Aa1!Aa1!",                    // exactly 8
      "Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!",  // exactly 64
  };
  for (const char* password : passwords) {
    SCOPED_TRACE(password);
    EXPECT_TRUE(ValidatePassword(password, "school_admin").ok()) << ValidatePassword(password, "school_admin");
    EXPECT_TRUE(IsValidPassword(password, "school_admin"));
  }
}

struct WeakCase {
  std::string password;
  std::string username;
  std::string violation;
  std::string message_part;
};

TEST(Password, RejectsWeakPasswords) {
  const WeakCase cases[] = {
      {"", "admin", "too_short", "未填写密码"},
      {"Aa1!Aa1", "admin", "too_short", "密码过短（7 位）"},
      {std::string(65, 'a') + "A1", "admin", "too_long", "密码过长（67 位）"},
      {"jinghua2024", "admin", "too_few_classes", "密码只包含 2 类字符"},
      {"JINGHUA2024", "admin", "too_few_classes", "只包含 2 类"},
      {"jinghua!!!", "admin", "too_few_classes", "只包含 2 类"},
      {"aaaaaaaaaaaa", "admin", "too_few_classes", "只包含 1 类"},
      {"12345678", "admin", "too_few_classes", "只包含 1 类"},
      {"京华大学Aa1!2024", "admin", "invalid_character", "不允许的字符"},
      {"Ａbc12345!", "admin", "invalid_character", "全角"},
      {"Abc123\t45", "admin", "invalid_character", "控制字符"},
      {"Abc12345\n", "admin", "invalid_character", "不允许的字符"},
      {"School_Admin1", "school_admin", "contains_username", "包含了用户名"},
      {"xSCHOOL_ADMINx9", "school_admin", "contains_username", "包含了用户名"},
  };
  for (const WeakCase& c : cases) {
    SCOPED_TRACE(c.password);
    const absl::Status status = ValidatePassword(c.password, c.username, "new_password");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), "WEAK_PASSWORD");
    EXPECT_EQ(ErrorMetadataOf(status)["violation"], c.violation);
    EXPECT_EQ(ErrorMetadataOf(status)["field"], "new_password");
    EXPECT_TRUE(absl::StrContains(status.message(), c.message_part)) << status.message();
    EXPECT_FALSE(IsValidPassword(c.password, c.username));
  }
}

TEST(Password, MessageStatesWholeRule) {
  const absl::Status status = ValidatePassword("short", "admin");
  EXPECT_TRUE(absl::StrContains(status.message(), "8 至 64 位"));
  EXPECT_TRUE(absl::StrContains(status.message(), "三类"));
  EXPECT_TRUE(absl::StrContains(status.message(), "不能包含用户名"));
}

TEST(Password, NeverEchoesPassword) {
  const std::string passwords[] = {"secretpw", "Secret1", "京华Secret1!", "Operator1x", std::string(70, 'Q') + "q1"};
  for (const std::string& password : passwords) {
    SCOPED_TRACE(password);
    const absl::Status status = ValidatePassword(password, "operator");
    ASSERT_FALSE(status.ok());
    EXPECT_FALSE(absl::StrContains(status.message(), password));
    EXPECT_EQ(ErrorMetadataOf(status).count("value"), 0u);
    for (const auto& [key, value] : ErrorMetadataOf(status)) EXPECT_FALSE(absl::StrContains(value, password));
  }
}

TEST(Password, EmptyUsernameSkipsContainsCheck) {
  EXPECT_TRUE(IsValidPassword("Jinghua2024", ""));
}

}  // namespace
}  // namespace quxiang::validation

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/validation/validation.h"

namespace quxiang::validation {
namespace {

// Checks the reason, the field metadata and one part of the message of a rejected value.
void ExpectRejected(const absl::Status& status, const std::string& reason, const std::string& field,
                    const std::string& message_part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), reason);
  EXPECT_EQ(ErrorMetadataOf(status)["field"], field);
  EXPECT_TRUE(absl::StrContains(status.message(), message_part)) << status.message();
}

TEST(MobilePhone, AcceptsMainlandNumbers) {
  for (const char* phone : {"13800138000", "15912345678", "19912345678", "16612345678", "17012345678"}) {
    SCOPED_TRACE(phone);
    EXPECT_TRUE(ValidateMobilePhone(phone).ok());
    EXPECT_TRUE(IsValidMobilePhone(phone));
  }
}

TEST(MobilePhone, RejectsOtherForms) {
  const char* phones[] = {"",           "12812345678",  "10012345678",   "1381234567", "138123456789",
                          "+8613800138000", "138 0013 8000", "138-0013-8000", "1380013800a", "２3800138000",
                          "010-67410355"};
  for (const char* phone : phones) {
    SCOPED_TRACE(phone);
    const absl::Status status = ValidateMobilePhone(phone, "contact_phone");
    ExpectRejected(status, "INVALID_MOBILE_PHONE", "contact_phone", "手机号码");
    if (*phone != '\0') {
      EXPECT_TRUE(absl::StrContains(status.message(), std::string("“") + phone + "”"));
    }
    EXPECT_FALSE(IsValidMobilePhone(phone));
  }
}

TEST(LandlineOrMobile, AcceptsHandlerPhones) {
  const char* phones[] = {"010-67410355", "01067410355",     "021-62345678",     "0755-8888888", "0755-88888888",
                          "0571-87654321-123", "010-67410355-1", "010-67410355-123456", "13800138000", "0991-2345678"};
  for (const char* phone : phones) {
    SCOPED_TRACE(phone);
    EXPECT_TRUE(ValidateLandlineOrMobile(phone).ok()) << ValidateLandlineOrMobile(phone);
    EXPECT_TRUE(IsValidLandlineOrMobile(phone));
  }
}

TEST(LandlineOrMobile, RejectsMalformedNumbers) {
  const char* phones[] = {"",
                          "67410355",             // no area code
                          "011-67410355",         // 01X exists only as 010
                          "0055-1234567",         // area codes never start with 00
                          "010-07410355",         // local numbers start with 2-9
                          "010-17410355",
                          "010-674103",           // 6 digits
                          "010-674103551",        // 9 digits
                          "010-67410355-",        // empty extension
                          "010-67410355-1234567", // 7-digit extension
                          "010--67410355",
                          "(010)67410355",
                          "010 67410355",
                          "010-67410355转123",
                          "12800138000"};
  for (const char* phone : phones) {
    SCOPED_TRACE(phone);
    ExpectRejected(ValidateLandlineOrMobile(phone, "handler.phone"), "INVALID_PHONE", "handler.phone", "联系电话");
    EXPECT_FALSE(IsValidLandlineOrMobile(phone));
  }
}

TEST(LandlineOrMobile, MessageShowsExample) {
  const absl::Status status = ValidateLandlineOrMobile("67410355");
  EXPECT_TRUE(absl::StrContains(status.message(), "“67410355”"));
  EXPECT_TRUE(absl::StrContains(status.message(), "010-67410355"));
}

TEST(PostalCode, AcceptsSixDigits) {
  EXPECT_TRUE(ValidatePostalCode("100871").ok());
  EXPECT_TRUE(IsValidPostalCode("010000"));
}

TEST(PostalCode, RejectsOtherLengths) {
  for (const char* code : {"", "10087", "1008711", "10087a", "100 87", "１00871"}) {
    SCOPED_TRACE(code);
    ExpectRejected(ValidatePostalCode(code), "INVALID_POSTAL_CODE", "postal_code", "邮政编码");
    EXPECT_FALSE(IsValidPostalCode(code));
  }
}

TEST(SchoolCode, AcceptsTenDigits) {
  EXPECT_TRUE(ValidateSchoolCode("4111010001").ok());
  EXPECT_TRUE(IsValidSchoolCode("5111010001"));
}

TEST(SchoolCode, RejectsOtherForms) {
  for (const char* code : {"", "411101000", "41110100011", "411101000A", "10001"}) {
    SCOPED_TRACE(code);
    ExpectRejected(ValidateSchoolCode(code, "school.code"), "INVALID_SCHOOL_CODE", "school.code", "院校代码");
    EXPECT_FALSE(IsValidSchoolCode(code));
  }
}

TEST(Username, AcceptsAllowedCharacters) {
  const std::string usernames[] = {"abc", "school_admin", "zhang.san@jinghua", "dept-01", std::string(64, 'u')};
  for (const std::string& username : usernames) {
    SCOPED_TRACE(username);
    EXPECT_TRUE(ValidateUsername(username).ok());
    EXPECT_TRUE(IsValidUsername(username));
  }
}

TEST(Username, RejectsOtherForms) {
  const std::string usernames[] = {"", "ab", std::string(65, 'u'), "zhang san", "张三", "admin!", "a/b", "ab\n"};
  for (const std::string& username : usernames) {
    SCOPED_TRACE(username);
    ExpectRejected(ValidateUsername(username), "INVALID_USERNAME", "username", "用户名");
    EXPECT_FALSE(IsValidUsername(username));
  }
}

TEST(Username, MessageNamesValue) {
  const absl::Status status = ValidateUsername("张三");
  EXPECT_TRUE(absl::StrContains(status.message(), "用户名“张三”"));
  EXPECT_EQ(ErrorMetadataOf(status)["value"], "张三");
}

}  // namespace
}  // namespace quxiang::validation

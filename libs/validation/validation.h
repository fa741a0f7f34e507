// Validation of the codes and identifiers that users type: unified social credit codes, resident
// ID numbers, passwords, phone numbers, postal codes, school codes and usernames.
//
// Each Validate function returns OK or an InvalidArgument status (libs/status/error.h) with an
// UPPER_SNAKE_CASE reason, a zh-CN message that names the offending value and tells the user
// how to fix it, and the metadata {"field": <field>, "value": <value as the message quotes it>}.
// `field` names the request field that held the value, so that the console can mark the right
// input. Values are quoted as typed, cut after 32 characters, with control characters and
// invalid UTF-8 replaced by U+FFFD. Two kinds of value are never quoted whole: resident ID
// numbers appear masked (110105********1234) and passwords do not appear at all.
//
// The functions do not trim or normalise their input; callers strip surrounding spaces first
// if their form allows them. Each Is... function is its Validate function without the message.
//
// Example:
//   RETURN_IF_ERROR(validation::ValidateCreditCode(request.credit_code(), "credit_code"));
#ifndef QUXIANG_LIBS_VALIDATION_VALIDATION_H_
#define QUXIANG_LIBS_VALIDATION_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace quxiang::validation {

// Reason codes of the errors below.
inline constexpr char kInvalidCreditCode[] = "INVALID_CREDIT_CODE";
inline constexpr char kInvalidIdNumberFormat[] = "INVALID_ID_NUMBER_FORMAT";
inline constexpr char kInvalidIdNumberCheckDigit[] = "INVALID_ID_NUMBER_CHECK_DIGIT";
inline constexpr char kInvalidIdNumberBirthDate[] = "INVALID_ID_NUMBER_BIRTH_DATE";
inline constexpr char kWeakPassword[] = "WEAK_PASSWORD";
inline constexpr char kInvalidMobilePhone[] = "INVALID_MOBILE_PHONE";
inline constexpr char kInvalidPhone[] = "INVALID_PHONE";
inline constexpr char kInvalidPostalCode[] = "INVALID_POSTAL_CODE";
inline constexpr char kInvalidSchoolCode[] = "INVALID_SCHOOL_CODE";
inline constexpr char kInvalidUsername[] = "INVALID_USERNAME";

// Unified social credit code (统一社会信用代码, GB 32100-2015).
//
// 18 characters from the 31-character set 0-9 A-H J-N P-R T-U W-Y (the letters I, O, Z, S and
// V are never used). Characters 3-8 are the digits of the registering authority's
// administrative division. Character 18 is the check character. Each character's value is its
// index in the set above, and the first 17 values are summed with the weights 3^i mod 31 (1, 3,
// 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28). The check value is
// 31 - (sum mod 31), and 31 becomes 0. Lowercase letters are rejected, with a message saying
// that the code is written in capitals, because the code is printed that way on the business
// licence and stored that way.
//
// Reason INVALID_CREDIT_CODE.
[[nodiscard]] absl::Status ValidateCreditCode(absl::string_view code,
                                              absl::string_view field = "credit_code");
bool IsValidCreditCode(absl::string_view code);

// Computes the check character of a credit code whose first 17 characters are `first17` and
// returns it as a one-character string. Returns an empty string when `first17` is not 17
// characters of the set above.
std::string CreditCodeCheckCharacter(absl::string_view first17);

// Resident ID number (公民身份号码, GB 11643-1999).
//
// 18 characters: a 6-digit address code, the birth date as YYYYMMDD, a 3-digit sequence number
// and a check character, either a digit or X. The check follows ISO 7064 MOD 11-2. The first
// 17 digits are summed with the weights 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2, and
// the check value is (12 - sum mod 11) mod 11, written X when it is 10.
//
// A lowercase x is accepted as the check character, because many people type it so and it
// means the same. Store NormalizeIdNumber(id) so that equal numbers compare equal.
//
// The birth date must be a real calendar date, not before 1900-01-01 and not after the current
// date in China (UTC+8) at `now`.
//
// Reasons: INVALID_ID_NUMBER_FORMAT (length or characters), INVALID_ID_NUMBER_BIRTH_DATE,
// INVALID_ID_NUMBER_CHECK_DIGIT, checked in that order. Messages and metadata show the number
// masked by MaskIdNumber.
[[nodiscard]] absl::Status ValidateIdNumber(absl::string_view id, absl::Time now,
                                            absl::string_view field = "id_number");
bool IsValidIdNumber(absl::string_view id, absl::Time now);

// Computes the check character ('0'-'9' or 'X') of an ID number whose first 17 characters are
// `first17`. Returns '\0' when `first17` is not 17 digits.
char IdNumberCheckDigit(absl::string_view first17);

// Returns `id` with a lowercase x check character made uppercase, and other input unchanged.
std::string NormalizeIdNumber(absl::string_view id);

// Masks `id` for display, keeping the first 6 and the last 4 characters around eight asterisks
// ("110105********1234"). Input of 10 characters or fewer is masked whole as "********",
// because showing 6 + 4 of it would show most or all of it.
std::string MaskIdNumber(absl::string_view id);

// Checks the password policy of every account:
// - 8 to 64 characters;
// - printable ASCII only (letters, digits, space and the symbols of a keyboard), because a
//   full-width character typed through an input method looks like its ASCII twin but is not;
// - at least three of the four classes uppercase letter, lowercase letter, digit, other symbol;
// - not containing `username` in any letter case (skipped when `username` is empty).
//
// Reason WEAK_PASSWORD. The message states the whole rule and which part failed. The password
// never appears in the message or the metadata: the metadata is {"field": <field>,
// "violation": one of "too_short", "too_long", "invalid_character", "too_few_classes",
// "contains_username"}.
[[nodiscard]] absl::Status ValidatePassword(absl::string_view password, absl::string_view username,
                                            absl::string_view field = "password");
bool IsValidPassword(absl::string_view password, absl::string_view username);

// Mainland China mobile number: 11 digits, 1 then 3-9 then nine digits (no +86 prefix, no
// spaces). Reason INVALID_MOBILE_PHONE.
[[nodiscard]] absl::Status ValidateMobilePhone(absl::string_view phone,
                                               absl::string_view field = "phone");
bool IsValidMobilePhone(absl::string_view phone);

// A mobile number as above or a mainland landline: area code, optional hyphen, local number,
// optional extension after a hyphen, for example 010-67410355 or 0755-8888888-123. Area codes are
// 010, 02X or 0 followed by three digits of which the first is 3-9; local numbers are 7 or 8
// digits and start with 2-9; extensions are 1 to 6 digits. Used for agreement handlers, who
// usually give an office number. Reason INVALID_PHONE.
[[nodiscard]] absl::Status ValidateLandlineOrMobile(absl::string_view phone,
                                                    absl::string_view field = "phone");
bool IsValidLandlineOrMobile(absl::string_view phone);

// Postal code (邮政编码): 6 digits. Reason INVALID_POSTAL_CODE.
[[nodiscard]] absl::Status ValidatePostalCode(absl::string_view postal_code,
                                              absl::string_view field = "postal_code");
bool IsValidPostalCode(absl::string_view postal_code);

// School code (院校代码) as the Ministry of Education assigns it: 10 digits.
// Reason INVALID_SCHOOL_CODE.
[[nodiscard]] absl::Status ValidateSchoolCode(absl::string_view school_code,
                                              absl::string_view field = "school_code");
bool IsValidSchoolCode(absl::string_view school_code);

// Login name of any account: 3 to 64 characters of A-Z a-z 0-9 _ . @ -.
// Reason INVALID_USERNAME.
[[nodiscard]] absl::Status ValidateUsername(absl::string_view username,
                                            absl::string_view field = "username");
bool IsValidUsername(absl::string_view username);

}  // namespace quxiang::validation

#endif  // QUXIANG_LIBS_VALIDATION_VALIDATION_H_

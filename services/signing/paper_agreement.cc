#include "services/signing/paper_agreement.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "libs/codes/code_tables.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"

namespace quxiang::signing {
namespace {

// Counts the Unicode code points of UTF-8 text (protobuf has checked that string fields are UTF-8).
int CountCharacters(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string FieldName(absl::string_view name) { return absl::StrCat("agreement.", name); }

absl::Status CheckLength(absl::string_view value, int max_characters, absl::string_view name,
                         absl::string_view label) {
  if (CountCharacters(value) <= max_characters) return absl::OkStatus();
  return InvalidArgument("AGREEMENT_FIELD_TOO_LONG",
                         absl::StrCat(label, "不能超过 ", max_characters, " 个字符，请删减后重新提交。"),
                         {{"field", FieldName(name)}});
}

// A code of `table` for graduating class `class_year`, as the EMS checks it.
absl::Status CheckCode(codes::Table table, absl::string_view value, int class_year, absl::string_view name) {
  if (value.size() <= 8 && codes::CodeTables::ForClass(class_year).Contains(table, value)) return absl::OkStatus();
  return InvalidArgument("INVALID_AGREEMENT_CODE",
                         absl::StrCat(codes::TableDisplayName(table), "“", value, "”不在 ", class_year,
                                      " 届毕业生适用的代码表中，请从下拉列表中重新选择。"),
                         {{"field", FieldName(name)}, {"value", std::string(value.substr(0, 32))}});
}

absl::Status CheckLocationCode(absl::string_view value) {
  bool valid = value.size() == 6;
  for (char c : value) valid = valid && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (valid) return absl::OkStatus();
  return InvalidArgument("INVALID_AGREEMENT_CODE",
                         absl::StrCat("单位所在地代码“", value, "”无效，应为 6 位行政区划代码，请重新选择。"),
                         {{"field", FieldName("unit_location_code")}});
}

absl::Status CheckEmail(absl::string_view value) {
  const size_t at = value.find('@');
  bool valid = at != absl::string_view::npos && at > 0 && at + 1 < value.size() &&
               value.find('@', at + 1) == absl::string_view::npos;
  for (char c : value) valid = valid && !absl::ascii_isspace(static_cast<unsigned char>(c));
  if (valid) return absl::OkStatus();
  return InvalidArgument("INVALID_EMAIL", absl::StrCat("联系人电子邮箱“", value, "”格式不正确，请核对后重新填写。"),
                         {{"field", FieldName("contact_email")}});
}

// A real calendar date written YYYY-MM-DD, not after today in Beijing time.
absl::Status CheckSignedDate(absl::string_view value, absl::Time now) {
  absl::CivilDay day;
  if (value.size() != 10 || !absl::ParseCivilTime(value, &day) || absl::FormatCivilTime(day) != value) {
    return InvalidArgument("INVALID_SIGNED_DATE", absl::StrCat("签约日期“", value, "”无效，请按 YYYY-MM-DD 填写协议上的签约日期。"),
                           {{"field", FieldName("signed_date")}});
  }
  // Beijing time has had no daylight saving time since 1991, so a fixed offset needs no tzdata.
  const absl::CivilDay today = absl::ToCivilDay(now, absl::FixedTimeZone(8 * 60 * 60));
  if (day > today) {
    return InvalidArgument("SIGNED_DATE_IN_FUTURE", absl::StrCat("签约日期（", value, "）不能晚于今天，请核对协议上的签约日期。"),
                           {{"field", FieldName("signed_date")}});
  }
  return absl::OkStatus();
}

struct RequiredField {
  const std::string* value;
  const char* name;
  const char* label;
};

}  // namespace

absl::Status ValidatePaperAgreement(const v1::PaperAgreement& a, int class_year, absl::Time now,
                                    bool require_complete) {
  if (require_complete) {
    const std::vector<RequiredField> required = {
        {&a.employer_name(), "employer_name", "单位名称"},
        {&a.employer_credit_code(), "employer_credit_code", "统一社会信用代码"},
        {&a.unit_nature_code(), "unit_nature_code", "单位性质"},
        {&a.industry_code(), "industry_code", "单位行业"},
        {&a.job_category_code(), "job_category_code", "工作职位类别"},
        {&a.unit_location_code(), "unit_location_code", "单位所在地"},
        {&a.position(), "position", "工作职位"},
        {&a.contact_name(), "contact_name", "单位联系人"},
        {&a.contact_phone(), "contact_phone", "联系人电话"},
        {&a.signed_date(), "signed_date", "签约日期"},
    };
    for (const RequiredField& field : required) {
      if (absl::StripAsciiWhitespace(*field.value).empty()) {
        return InvalidArgument("AGREEMENT_FIELD_REQUIRED", absl::StrCat("请填写", field.label, "。"),
                               {{"field", FieldName(field.name)}});
      }
    }
  }

  RETURN_IF_ERROR(CheckLength(a.employer_name(), 200, "employer_name", "单位名称"));
  if (!a.employer_credit_code().empty()) {
    RETURN_IF_ERROR(validation::ValidateCreditCode(a.employer_credit_code(), FieldName("employer_credit_code")));
  }
  if (!a.unit_nature_code().empty()) {
    RETURN_IF_ERROR(CheckCode(codes::Table::kUnitNature, a.unit_nature_code(), class_year, "unit_nature_code"));
  }
  if (!a.industry_code().empty()) {
    RETURN_IF_ERROR(CheckCode(codes::Table::kIndustry, a.industry_code(), class_year, "industry_code"));
  }
  if (!a.job_category_code().empty()) {
    RETURN_IF_ERROR(CheckCode(codes::Table::kJobCategory, a.job_category_code(), class_year, "job_category_code"));
  }
  if (!a.unit_location_code().empty()) RETURN_IF_ERROR(CheckLocationCode(a.unit_location_code()));
  RETURN_IF_ERROR(CheckLength(a.position(), 100, "position", "工作职位"));
  RETURN_IF_ERROR(CheckLength(a.contact_name(), 50, "contact_name", "单位联系人"));
  if (!a.contact_phone().empty()) {
    RETURN_IF_ERROR(validation::ValidateLandlineOrMobile(a.contact_phone(), FieldName("contact_phone")));
  }
  RETURN_IF_ERROR(CheckLength(a.contact_email(), 100, "contact_email", "联系人电子邮箱"));
  if (!a.contact_email().empty()) RETURN_IF_ERROR(CheckEmail(a.contact_email()));
  RETURN_IF_ERROR(CheckLength(a.employer_address(), 200, "employer_address", "单位地址"));
  if (!a.employer_postal_code().empty()) {
    RETURN_IF_ERROR(validation::ValidatePostalCode(a.employer_postal_code(), FieldName("employer_postal_code")));
  }
  if (!a.signed_date().empty()) RETURN_IF_ERROR(CheckSignedDate(a.signed_date(), now));
  RETURN_IF_ERROR(CheckLength(a.agreement_number(), 64, "agreement_number", "协议书编号"));
  return absl::OkStatus();
}

ems::v1::Destination PaperAgreementDestination(const v1::PaperAgreement& a, const std::string& destination_code) {
  ems::v1::Destination destination;
  destination.set_destination_code(destination_code);
  destination.set_employer_name(a.employer_name());
  destination.set_employer_credit_code(a.employer_credit_code());
  destination.set_unit_nature_code(a.unit_nature_code());
  destination.set_industry_code(a.industry_code());
  destination.set_unit_location_code(a.unit_location_code());
  destination.set_job_category_code(a.job_category_code());
  destination.set_signed_date(a.signed_date());
  destination.set_contact_name(a.contact_name());
  destination.set_contact_phone(a.contact_phone());
  destination.set_contact_email(a.contact_email());
  destination.set_employer_address(a.employer_address());
  destination.set_employer_postal_code(a.employer_postal_code());
  return destination;
}

}  // namespace quxiang::signing

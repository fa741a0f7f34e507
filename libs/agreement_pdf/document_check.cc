#include "libs/agreement_pdf/document_check.h"

#include <algorithm>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/agreement_pdf/utf8.h"
#include "libs/agreement_pdf/verification.h"
#include "libs/status/error.h"

namespace quxiang::agreement_pdf {

namespace {

// Agreement numbers are printed, typed on the verification page and put in a URL, so they are
// limited to ASCII letters, digits and '-'.
constexpr size_t kMaxAgreementNumberChars = 64;

// With a 64-character number the link has at most 282 bytes, which fit a QR code of version 12
// (65 modules) at level M. Its modules are then 1.3 points wide in the 96-point square on page 1.
constexpr size_t kMaxVerificationUrlBytes = 200;

struct Field {
  std::string path;       // For logs and error metadata, such as "graduate.name".
  std::string label_zh;   // The field as a user knows it, such as "毕业生姓名".
  const std::string* value;
  size_t max_chars;
  bool multiline;
};

absl::Status FieldError(const Field& field, absl::string_view reason, const std::string& zh_message) {
  return InvalidArgument(reason, zh_message, {{"field", field.path}});
}

absl::Status CheckField(const Field& field, const AgreementRenderer::Fonts& fonts) {
  const std::string& value = *field.value;
  if (absl::StripAsciiWhitespace(value).empty()) {
    return FieldError(field, "AGREEMENT_FIELD_MISSING",
                      absl::StrCat("协议内容缺少“", field.label_zh, "”，请补全后重新生成协议书。"));
  }

  const std::vector<Utf8Char> chars = DecodeUtf8(value);
  if (chars.size() > field.max_chars) {
    return FieldError(field, "AGREEMENT_FIELD_TOO_LONG",
                      absl::StrCat("协议内容“", field.label_zh, "”有 ", chars.size(),
                                   " 个字符，超过上限 ", field.max_chars, " 个，请精简后重新生成。"));
  }
  for (const Utf8Char& c : chars) {
    if (!c.valid) {
      return FieldError(field, "AGREEMENT_FIELD_NOT_UTF8",
                        absl::StrCat("协议内容“", field.label_zh,
                                     "”含有无法识别的字符编码，请按 UTF-8 编码重新填写。"));
    }
    if (field.multiline && c.code_point == U'\n') continue;
    const bool control = c.code_point < 0x20 || (c.code_point >= 0x7F && c.code_point < 0xA0) ||
                         c.code_point == 0x2028 || c.code_point == 0x2029;
    if (control) {
      return FieldError(field, "AGREEMENT_FIELD_CONTROL_CHARACTER",
                        absl::StrFormat("协议内容“%s”含有控制字符 U+%04X，请删除后重新生成。",
                                        field.label_zh, static_cast<uint32_t>(c.code_point)));
    }
    if (!fonts.Covers(c.code_point)) {
      const std::string character = value.substr(c.offset, c.length);
      const std::string code_point = absl::StrFormat("U+%04X", static_cast<uint32_t>(c.code_point));
      return FailedPrecondition(
          "AGREEMENT_CHARACTER_NOT_IN_FONT",
          absl::StrCat("协议内容“", field.label_zh, "”中的字符“", character, "”（", code_point,
                       "）不在协议书字体中，无法打印。请联系平台运维人员安装包含该字符的字体。"),
          {{"field", field.path}, {"code_point", code_point}});
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAgreementNumber(const std::string& number) {
  const bool valid_chars = !number.empty() && number.size() <= kMaxAgreementNumberChars &&
                           std::all_of(number.begin(), number.end(), [](char c) {
                             return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
                           });
  if (!valid_chars) {
    return InvalidArgument(
        "AGREEMENT_NUMBER_INVALID",
        absl::StrCat("协议编号“", number, "”无效，须为 1 至 ", kMaxAgreementNumberChars,
                     " 个英文字母、数字或“-”。"),
        {{"agreement_number", number}});
  }
  return absl::OkStatus();
}

absl::Status CheckVerificationCode(const std::string& code) {
  constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const bool valid = code.size() == kVerificationCodeLength &&
                     std::all_of(code.begin(), code.end(), [&](char c) {
                       return kAlphabet.find(c) != absl::string_view::npos;
                     });
  if (!valid) {
    return InvalidArgument("VERIFICATION_CODE_INVALID",
                           "协议验证码格式无效，须为 8 位验证码（由服务端密钥生成），请重新生成验证码。");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDocument(const AgreementDocument& document, const AgreementRenderer::Fonts& fonts) {
  if (absl::Status status = CheckAgreementNumber(document.agreement_number); !status.ok()) {
    return status;
  }
  if (document.version <= 0) {
    return InvalidArgument("AGREEMENT_VERSION_INVALID",
                           absl::StrCat("协议版本号 ", document.version, " 无效，版本号必须为正整数。"),
                           {{"version", absl::StrCat(document.version)}});
  }
  if (absl::Status status = CheckVerificationCode(document.verification_code); !status.ok()) {
    return status;
  }
  if (document.verification_url.size() > kMaxVerificationUrlBytes) {
    return InvalidArgument(
        "VERIFICATION_URL_INVALID",
        absl::StrCat("协议验证网址长 ", document.verification_url.size(), " 字节，超过上限 ",
                     kMaxVerificationUrlBytes, " 字节，请配置更短的验证网址。"),
        {{"verification_url", document.verification_url}});
  }
  if (absl::StatusOr<std::string> link = BuildVerificationLink(
          document.verification_url, document.agreement_number, document.verification_code);
      !link.ok()) {
    return link.status();
  }
  if (document.terms.empty() || document.terms.size() > kMaxTerms) {
    return InvalidArgument(
        "AGREEMENT_TERMS_INVALID",
        absl::StrCat("协议条款有 ", document.terms.size(), " 条，须为 1 至 ", kMaxTerms,
                     " 条，请检查协议模板。"),
        {{"terms", absl::StrCat(document.terms.size())}});
  }

  const GraduateParty& graduate = document.graduate;
  const EmployerParty& employer = document.employer;
  const AgreementHandler& handler = document.handler;
  std::vector<Field> fields = {
      {"graduate.name", "毕业生姓名", &graduate.name, kMaxFieldChars, false},
      {"graduate.gender", "毕业生性别", &graduate.gender, kMaxFieldChars, false},
      {"graduate.id_number", "毕业生身份证件号", &graduate.id_number, kMaxFieldChars, false},
      {"graduate.school", "毕业学校", &graduate.school, kMaxFieldChars, false},
      {"graduate.department", "毕业生院系", &graduate.department, kMaxFieldChars, false},
      {"graduate.major", "毕业生专业", &graduate.major, kMaxFieldChars, false},
      {"graduate.education_level", "毕业生学历层次", &graduate.education_level, kMaxFieldChars,
       false},
      {"graduate.student_number", "毕业生学号", &graduate.student_number, kMaxFieldChars, false},
      {"graduate.phone", "毕业生联系电话", &graduate.phone, kMaxFieldChars, false},
      {"employer.name", "用人单位名称", &employer.name, kMaxFieldChars, false},
      {"employer.unified_social_credit_code", "统一社会信用代码",
       &employer.unified_social_credit_code, kMaxFieldChars, false},
      {"employer.address", "用人单位地址", &employer.address, kMaxFieldChars, false},
      {"employer.contact_name", "用人单位联系人", &employer.contact_name, kMaxFieldChars, false},
      {"employer.contact_phone", "用人单位联系电话", &employer.contact_phone, kMaxFieldChars,
       false},
      {"handler.name", "就业协议经办人", &handler.name, kMaxFieldChars, false},
      {"handler.phone", "经办人联系电话", &handler.phone, kMaxFieldChars, false},
      {"handler.address", "学校通讯地址", &handler.address, kMaxFieldChars, false},
      {"handler.postal_code", "学校邮政编码", &handler.postal_code, kMaxFieldChars, false},
  };
  for (size_t i = 0; i < document.terms.size(); ++i) {
    const std::string number = absl::StrCat(i + 1);
    fields.push_back({absl::StrCat("terms[", i, "].title"), absl::StrCat("第 ", number, " 条条款标题"),
                      &document.terms[i].title, kMaxFieldChars, false});
    fields.push_back({absl::StrCat("terms[", i, "].text"), absl::StrCat("第 ", number, " 条条款内容"),
                      &document.terms[i].text, kMaxTermTextChars, true});
  }

  for (const Field& field : fields) {
    if (absl::Status status = CheckField(field, fonts); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace quxiang::agreement_pdf

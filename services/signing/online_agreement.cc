#include "services/signing/online_agreement.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "libs/agreement_pdf/utf8.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/signing/repository.h"

namespace quxiang::signing {
namespace {

// Printed in place of a term the employer left empty.
constexpr char kAgreedSeparately[] = "由甲乙双方另行约定";
// Printed in place of a party's field that the roster or the account left empty.
constexpr char kNotRecorded[] = "未登记";

struct TermField {
  const char* name;
  const char* label;
  const std::string* value;
  size_t max_characters;
  bool multiline;
};

// Beijing time has had no daylight saving time since 1991, so a fixed offset needs no tzdata.
absl::CivilDay BeijingDay(absl::Time time) { return absl::ToCivilDay(time, absl::FixedTimeZone(8 * 60 * 60)); }

std::string OrDefault(const std::string& value, const char* fallback) {
  return absl::StripAsciiWhitespace(value).empty() ? std::string(fallback) : value;
}

agreement_pdf::AgreementHandler HandlerFor(const SettingsRecord& settings, const std::string& education_level) {
  // Graduates whose 学历 names 研究生, 硕士 or 博士 get the postgraduate handler when the school
  // set one per education level.
  const bool postgraduate = education_level.find("研究生") != std::string::npos ||
                            education_level.find("硕士") != std::string::npos ||
                            education_level.find("博士") != std::string::npos;
  const HandlerRecord& handler = settings.handler_scope == v1::HANDLER_SCOPE_BY_EDUCATION_LEVEL && postgraduate
                                     ? settings.postgraduate_handler
                                     : settings.handler;
  return {OrDefault(handler.name, kNotRecorded), OrDefault(handler.phone, kNotRecorded),
          OrDefault(handler.postal_address, kNotRecorded), OrDefault(handler.postal_code, kNotRecorded)};
}

// The clauses of the fixed template with the employer's terms filled in.
std::vector<agreement_pdf::AgreementTerm> TermsOf(const v1::AgreementTerms& terms, agreement_pdf::AgreementType type) {
  const char* verb = type == agreement_pdf::AgreementType::kTwoParty ? "鉴证" : "审核";
  std::vector<agreement_pdf::AgreementTerm> out;
  out.push_back({"一、工作岗位与地点", absl::StrCat("甲方聘用乙方从事“", OrDefault(terms.position(), kAgreedSeparately),
                                                 "”工作，工作地点为：", OrDefault(terms.work_location(), kAgreedSeparately),
                                                 "。")});
  out.push_back({"二、薪酬待遇", absl::StrCat("乙方的薪酬待遇为：", OrDefault(terms.salary(), kAgreedSeparately), "。")});
  out.push_back({"三、报到与劳动合同",
                 "乙方应按甲方通知的时间和地点报到。乙方报到后，甲乙双方应依法订立劳动合同，劳动合同的约定不得低于本协议的约定。"});
  out.push_back({"四、协议的生效与解除",
                 absl::StrCat("本协议经学校", verb,
                              "通过后生效。任何一方要求解除本协议，应与对方协商一致，并按学校的解约流程办理。")});
  if (!absl::StripAsciiWhitespace(terms.other_terms()).empty()) {
    out.push_back({"五、其他约定", terms.other_terms()});
  }
  return out;
}

absl::StatusOr<AgreementContent> FirstVersionContent(db::Session& tx, FlowPeers& peers,
                                                     const OnlineAgreementRecord& record, absl::Time deadline,
                                                     absl::Time now) {
  ASSIGN_OR_RETURN(auto settings, Repository::FindSettings(tx, record.school_id, record.class_year));
  if (!settings) {
    return FailedPrecondition("SETTINGS_NOT_SUBMITTED",
                              absl::StrCat("学校尚未提交 ", record.class_year, " 届的签约设置，无法生成协议书。"),
                              {{"school_id", std::to_string(record.school_id)}});
  }
  ASSIGN_OR_RETURN(GraduateInfo graduate, peers.GetGraduate(deadline, record.school_id, record.graduate_id));
  ASSIGN_OR_RETURN(EmployerInfo employer, peers.GetEmployer(deadline, record.employer_id));

  AgreementContent content;
  content.type = settings->agreement_type == accounts::v1::AGREEMENT_TYPE_TWO_PARTY
                     ? agreement_pdf::AgreementType::kTwoParty
                     : agreement_pdf::AgreementType::kThreeParty;
  content.school_code = graduate.school_code;
  content.class_year = record.class_year;
  content.graduate = {OrDefault(graduate.name, kNotRecorded),           OrDefault(graduate.gender, kNotRecorded),
                      OrDefault(graduate.id_number, kNotRecorded),      OrDefault(graduate.school_name, kNotRecorded),
                      OrDefault(graduate.department, kNotRecorded),     OrDefault(graduate.major, kNotRecorded),
                      OrDefault(graduate.education_level, kNotRecorded), OrDefault(graduate.student_number, kNotRecorded),
                      OrDefault(graduate.phone, kNotRecorded)};
  content.employer.name = employer.name;
  content.employer.unified_social_credit_code = employer.credit_code;
  content.employer.address = OrDefault(record.terms.employer_address(), kNotRecorded);
  content.employer.contact_name =
      OrDefault(record.terms.employer_contact_name().empty() ? employer.contact_name : record.terms.employer_contact_name(),
                kNotRecorded);
  content.employer.contact_phone = OrDefault(
      record.terms.employer_contact_phone().empty() ? employer.contact_phone : record.terms.employer_contact_phone(),
      kNotRecorded);
  content.handler = HandlerFor(*settings, graduate.education_level);
  content.terms = TermsOf(record.terms, content.type);
  content.sign_dates.employer = BeijingDay(record.invited_at);
  content.sign_dates.graduate = BeijingDay(record.accepted_at);
  content.sign_dates.school = BeijingDay(now);
  return content;
}

}  // namespace

absl::Status ValidateAgreementTerms(const v1::AgreementTerms& terms) {
  const std::vector<TermField> fields = {
      {"terms.position", "工作岗位", &terms.position(), kMaxTermFieldCharacters, false},
      {"terms.work_location", "工作地点", &terms.work_location(), kMaxTermFieldCharacters, false},
      {"terms.salary", "薪酬待遇", &terms.salary(), kMaxTermFieldCharacters, false},
      {"terms.other_terms", "其他约定", &terms.other_terms(), kMaxOtherTermsCharacters, true},
      {"terms.employer_address", "单位地址", &terms.employer_address(), kMaxEmployerAddressCharacters, false},
      {"terms.employer_contact_name", "单位联系人", &terms.employer_contact_name(), kMaxContactNameCharacters, false},
      {"terms.employer_contact_phone", "单位联系电话", &terms.employer_contact_phone(), kMaxContactPhoneCharacters,
       false},
  };
  for (const TermField& field : fields) {
    const std::vector<agreement_pdf::Utf8Char> characters = agreement_pdf::DecodeUtf8(*field.value);
    if (characters.size() > field.max_characters) {
      return InvalidArgument("AGREEMENT_TERM_TOO_LONG",
                             absl::StrCat("“", field.label, "”有 ", characters.size(), " 个字符，不能超过 ",
                                          field.max_characters, " 个，请精简后重新提交。"),
                             {{"field", field.name}});
    }
    for (const agreement_pdf::Utf8Char& c : characters) {
      const bool line_break = field.multiline && c.code_point == U'\n';
      const bool control = c.code_point < 0x20 || (c.code_point >= 0x7F && c.code_point < 0xA0);
      if (!c.valid || (control && !line_break)) {
        return InvalidArgument("AGREEMENT_TERM_INVALID",
                               absl::StrCat("“", field.label, "”含有无法识别的字符或控制字符，请删除后重新提交。"),
                               {{"field", field.name}});
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedAgreement> IssueOnlineAgreement(db::Session& tx, FlowPeers& peers, Agreements& agreements,
                                                     const OnlineAgreementRecord& record, const std::string& issued_by,
                                                     absl::Time deadline, absl::Time now) {
  const RecordRef ref{AgreementFlow::kOnlineSigning, record.id, record.school_id};
  ASSIGN_OR_RETURN(std::optional<AgreementVersion> latest, agreements.LatestAgreement(tx, ref));
  AgreementContent content;
  if (!latest) {
    ASSIGN_OR_RETURN(content, FirstVersionContent(tx, peers, record, deadline, now));
  } else {
    content = latest->content;
    content.employer.address = OrDefault(record.terms.employer_address(), kNotRecorded);
    if (!record.terms.employer_contact_name().empty()) content.employer.contact_name = record.terms.employer_contact_name();
    if (!record.terms.employer_contact_phone().empty()) {
      content.employer.contact_phone = record.terms.employer_contact_phone();
    }
    content.terms = TermsOf(record.terms, content.type);
  }
  ASSIGN_OR_RETURN(IssuedAgreement issued, agreements.IssueAgreement(tx, ref, content, issued_by, now));
  RETURN_IF_ERROR(tx.Execute("UPDATE online_signings SET agreement_number = ?, agreement_version = ? WHERE id = ?",
                             {issued.number, issued.version, record.id})
                      .status());
  return issued;
}

}  // namespace quxiang::signing

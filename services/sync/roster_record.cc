#include "services/sync/roster_record.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/validation/validation.h"

namespace quxiang::sync {

const std::vector<const google::protobuf::FieldDescriptor*>& RosterRecordFields() {
  static const auto* const kFields = [] {
    auto* fields = new std::vector<const google::protobuf::FieldDescriptor*>();
    const google::protobuf::Descriptor* descriptor = ems::v1::RosterGraduate::descriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) fields->push_back(descriptor->field(i));
    return fields;
  }();
  return *kFields;
}

roster::GraduateRecord ToGraduateRecord(const ems::v1::RosterGraduate& r) {
  roster::GraduateRecord g;

  g.candidate_number = r.candidate_number();
  g.id_number = r.id_number();
  g.name = r.name();
  g.gender_code = r.gender_code();
  g.gender = r.gender();
  g.ethnicity_code = r.ethnicity_code();
  g.ethnicity = r.ethnicity();
  g.political_status_code = r.political_status_code();
  g.political_status = r.political_status();
  g.school_code = r.school_code();
  g.school_name = r.school_name();
  g.branch_school_name = r.branch_school_name();
  g.education_level_code = r.education_level_code();
  g.education_level = r.education_level();
  g.major_code = r.major_code();
  g.major_name = r.major_name();
  g.major_direction = r.major_direction();
  g.training_mode_code = r.training_mode_code();
  g.training_mode = r.training_mode();
  g.sponsoring_unit = r.sponsoring_unit();
  g.origin_code = r.origin_code();
  g.origin = r.origin();
  g.urban_or_rural_origin = r.urban_or_rural_origin();
  g.schooling_length = r.schooling_length();
  g.enrolled_at = r.enrolled_at();
  g.graduation_date = r.graduation_date();
  g.normal_student_category_code = r.normal_student_category_code();
  g.normal_student_category = r.normal_student_category();
  g.difficulty_category_code = r.difficulty_category_code();
  g.difficulty_category = r.difficulty_category();
  g.department = r.department();
  g.class_name = r.class_name();
  g.student_number = r.student_number();
  g.birth_date = r.birth_date();
  g.agreement_number = r.agreement_number();
  g.household_police_station = r.household_police_station();
  g.archive_transferred_to_school = r.archive_transferred_to_school();
  g.household_transferred_to_school = r.household_transferred_to_school();

  g.phone = r.phone();
  g.email = r.email();
  g.parent_name = r.parent_name();
  g.home_address = r.home_address();
  g.home_phone = r.home_phone();
  g.home_postal_code = r.home_postal_code();

  return g;
}

std::string RowFingerprint(const ems::v1::RosterGraduate& record, int class_year) {
  std::string input = absl::StrCat(roster::Fingerprint(ToGraduateRecord(record)), ";class_year=", class_year);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

ems::v1::RosterGraduate MaskRecord(const ems::v1::RosterGraduate& record) {
  ems::v1::RosterGraduate masked = record;
  masked.set_id_number(validation::MaskIdNumber(record.id_number()));
  if (!record.phone().empty()) masked.set_phone(logging::MaskPhone(record.phone()));
  if (!record.home_phone().empty()) masked.set_home_phone(logging::MaskPhone(record.home_phone()));
  return masked;
}

int CountCharacters(const std::string& text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace quxiang::sync

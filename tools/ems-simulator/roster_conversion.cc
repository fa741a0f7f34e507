#include "tools/ems-simulator/roster_conversion.h"

// Every field of both types, once. A field missing from either type fails to compile.
#define QUXIANG_ROSTER_FIELDS(X) X(candidate_number) X(id_number) X(name) X(gender_code) X(gender) \
  X(ethnicity_code) X(ethnicity) X(political_status_code) X(political_status) X(school_code) X(school_name) \
  X(branch_school_name) X(education_level_code) X(education_level) X(major_code) X(major_name) \
  X(major_direction) X(training_mode_code) X(training_mode) X(sponsoring_unit) X(origin_code) X(origin) \
  X(urban_or_rural_origin) X(schooling_length) X(enrolled_at) X(graduation_date) \
  X(normal_student_category_code) X(normal_student_category) X(difficulty_category_code) \
  X(difficulty_category) X(department) X(class_name) X(student_number) X(birth_date) X(agreement_number) \
  X(household_police_station) X(archive_transferred_to_school) X(household_transferred_to_school) X(phone) \
  X(email) X(parent_name) X(home_address) X(home_phone) X(home_postal_code)

namespace quxiang::ems_simulator {

ems::v1::RosterGraduate ToRosterGraduate(const roster::GraduateRecord& record) {
  ems::v1::RosterGraduate graduate;
#define QUXIANG_COPY_TO_PROTO(field) graduate.set_##field(record.field);
  QUXIANG_ROSTER_FIELDS(QUXIANG_COPY_TO_PROTO)
#undef QUXIANG_COPY_TO_PROTO
  return graduate;
}

roster::GraduateRecord ToGraduateRecord(const ems::v1::RosterGraduate& graduate) {
  roster::GraduateRecord record;
#define QUXIANG_COPY_TO_RECORD(field) record.field = graduate.field();
  QUXIANG_ROSTER_FIELDS(QUXIANG_COPY_TO_RECORD)
#undef QUXIANG_COPY_TO_RECORD
  return record;
}

int ConvertedRosterFieldCount() {
  int count = 0;
#define QUXIANG_COUNT_FIELD(field) ++count;
  QUXIANG_ROSTER_FIELDS(QUXIANG_COUNT_FIELD)
#undef QUXIANG_COUNT_FIELD
  return count;
}

}  // namespace quxiang::ems_simulator

#undef QUXIANG_ROSTER_FIELDS

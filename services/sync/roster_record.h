// The roster record of one graduate as the EMS sends it (quxiang.ems.v1.RosterGraduate) and what
// the sync service derives from it: the fingerprint that detects an unchanged re-import, the
// libs/roster form, and the masked forms that lists show.
#ifndef QUXIANG_SERVICES_SYNC_ROSTER_RECORD_H_
#define QUXIANG_SERVICES_SYNC_ROSTER_RECORD_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "libs/roster/graduate_record.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::sync {

// The fields of RosterGraduate in field-number order. Each is a string, and the graduates table
// has a column of the same name for each.
const std::vector<const google::protobuf::FieldDescriptor*>& RosterRecordFields();

// The libs/roster form of `record`; the two have the same fields one to one.
roster::GraduateRecord ToGraduateRecord(const ems::v1::RosterGraduate& record);

// The fingerprint stored with a graduate: SHA-256 over libs/roster's Fingerprint of the record
// and the class year, in hex, so that moving a graduate to another class is a change too.
std::string RowFingerprint(const ems::v1::RosterGraduate& record, int class_year);

// `record` with the ID number and the phone numbers masked (110105********1234, 138****1234).
ems::v1::RosterGraduate MaskRecord(const ems::v1::RosterGraduate& record);

// Counts the Unicode code points of UTF-8 text.
int CountCharacters(const std::string& text);

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ROSTER_RECORD_H_

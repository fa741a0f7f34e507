// Conversion between libs/roster's GraduateRecord and the EMS contract's RosterGraduate, which
// have the same fields under the same names.
#ifndef QUXIANG_TOOLS_EMS_SIMULATOR_ROSTER_CONVERSION_H_
#define QUXIANG_TOOLS_EMS_SIMULATOR_ROSTER_CONVERSION_H_

#include "libs/roster/graduate_record.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::ems_simulator {

ems::v1::RosterGraduate ToRosterGraduate(const roster::GraduateRecord& record);
roster::GraduateRecord ToGraduateRecord(const ems::v1::RosterGraduate& graduate);

// The number of fields the two conversions copy, for a test that none is left out.
int ConvertedRosterFieldCount();

}  // namespace quxiang::ems_simulator

#endif  // QUXIANG_TOOLS_EMS_SIMULATOR_ROSTER_CONVERSION_H_

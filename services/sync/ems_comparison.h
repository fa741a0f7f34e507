// The review page's comparison of the platform's copy of a graduate with the EMS's current record,
// and 获取最新学生信息, which takes some of the EMS's values over.
//
// The roster feed brings every EMS change in by itself, but only when it next polls, so a school
// that has just corrected a graduate in the EMS still gets the old values during review. The comparison
// reads the EMS live (EmsService.GetGraduate). The refresh takes over only the fields a school may
// correct in the EMS during a review: gender, ethnicity, political status, department, length of
// schooling, student number and graduation date. Name, education level, ID number, school and
// major identify what the graduate signed, so a difference there needs a rejection, a correction in
// the EMS and a new submission by the graduate.
#ifndef QUXIANG_SERVICES_SYNC_EMS_COMPARISON_H_
#define QUXIANG_SERVICES_SYNC_EMS_COMPARISON_H_

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/ems_client.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

class EmsComparison {
 public:
  EmsComparison(db::Pool& pool, EmsClient& ems, const Clock& clock);

  absl::Status CompareGraduateWithEms(const RequestInfo& info, const v1::CompareGraduateWithEmsRequest& request,
                                      v1::GraduateEmsComparison* response);

  // Applies the taken-over fields as a roster change of the graduate, in one transaction with
  // its statistics counters, its GraduateRosterChanged event and an audit entry.
  absl::Status RefreshGraduateFromEms(const RequestInfo& info, const v1::RefreshGraduateFromEmsRequest& request,
                                      v1::RefreshGraduateFromEmsResponse* response);

 private:
  db::Pool& pool_;
  EmsClient& ems_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_EMS_COMPARISON_H_

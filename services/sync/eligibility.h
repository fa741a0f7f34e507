// The rules that decide whether a graduate may start a flow that gives it a destination. Every
// flow checks them, through CheckEligibility or through the ledger's ClaimGraduate:
//   - a graduate removed from the EMS roster (失效) may not act;
//   - a class may act until January 31 of the year after its graduation year, in Beijing time,
//     so class 2022 may act at 2023-01-31 23:59:59 and not at 2023-02-01 00:00:00. After that
//     the class is read-only and its history stays visible;
//   - training modes 21 and 41 (定向/委培, 不可网签) may only file the 定向/委培毕业去向补充登记
//     destination, and that destination is only for directed or commissioned graduates.
// NOTE: the guide also lets a graduate act only after the school submitted its signing settings
// for the class. The signing service owns those settings and will add that check where it calls
// ClaimGraduate.
#ifndef QUXIANG_SERVICES_SYNC_ELIGIBILITY_H_
#define QUXIANG_SERVICES_SYNC_ELIGIBILITY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

// The first instant at which class `class_year` may no longer act: February 1 of the year after
// its graduation year, 00:00 in Beijing.
absl::Time ClassClosesAt(int class_year);

// Returns OK when `graduate` may start `flow` at `now`. Otherwise returns FAILED_PRECONDITION
// with a Chinese message for the graduate and the reason GRADUATE_INVALIDATED, CLASS_CLOSED,
// TRAINING_MODE_UNKNOWN, TRAINING_MODE_DIRECTED_ONLY or NOT_DIRECTED_TRAINING, or
// INVALID_ARGUMENT for an unknown flow.
absl::Status CheckEligibility(const GraduateRow& graduate, v1::Flow flow, absl::Time now);

// The Chinese name of a flow, as messages name it, for example "线上签约".
std::string FlowDisplayName(v1::Flow flow);

// The CheckEligibility RPC.
class EligibilityChecks {
 public:
  EligibilityChecks(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  absl::Status CheckEligibility(const RequestInfo& info, const v1::CheckEligibilityRequest& request,
                                v1::Eligibility* response);

 private:
  db::Pool& pool_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ELIGIBILITY_H_

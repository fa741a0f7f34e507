// The roster as the console shows it (学生名单管理, 失效信息管理): lists, the detail of one
// graduate, and the restore of invalidated graduates, at once (恢复网签数据) or when their
// restore time has come. A restore brings back the graduate's records as they were and sends its
// ledger entry to the EMS again.
//
// Personal data: ID numbers and phone numbers are masked in lists and details. A caller with
// 读写 may request them in full on a detail. Each such view writes an audit entry (who, when,
// which graduate) before the data leaves.
#ifndef QUXIANG_SERVICES_SYNC_GRADUATES_H_
#define QUXIANG_SERVICES_SYNC_GRADUATES_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

// The largest page of ListGraduates; the console offers 10, 20, 50 and 100 per page.
inline constexpr int kMaxGraduatePageSize = 100;
inline constexpr int kDefaultGraduatePageSize = 10;
// The maximum number of graduates in one BatchGetGraduates call.
inline constexpr int kMaxBatchGraduates = 500;

// The public GraduateSummary of a row, with the ID number masked.
v1::GraduateSummary GraduateSummaryOf(const GraduateRow& row);
// The public Graduate of a row; `reveal` leaves the ID and phone numbers unmasked.
v1::Graduate GraduateOf(const GraduateRow& row, bool reveal);

class Graduates {
 public:
  Graduates(db::Pool& pool, const Clock& clock);

  absl::Status ListGraduates(const RequestInfo& info, const v1::ListGraduatesRequest& request,
                             v1::ListGraduatesResponse* response);
  absl::Status GetGraduate(const RequestInfo& info, const v1::GetGraduateRequest& request, v1::Graduate* response);
  absl::Status RestoreGraduate(const RequestInfo& info, const v1::RestoreGraduateRequest& request,
                               v1::Graduate* response);
  // Reader services only, for the flow services' exports.
  absl::Status BatchGetGraduates(const RequestInfo& info, const v1::BatchGetGraduatesRequest& request,
                                 v1::BatchGetGraduatesResponse* response);

  // Restores the invalidated graduates whose restore time has passed, each in its own
  // transaction, at most `limit`; returns how many it restored. A graduate that cannot be
  // restored (its student number is now another active graduate's) is postponed by `retry_after`
  // and logged.
  absl::StatusOr<int> RestoreDue(int limit, absl::Duration retry_after);

 private:
  // Restores `graduate`, locked by the caller, in `session`: state, events. `immediate` for
  // 恢复网签数据.
  absl::Status Restore(db::Session& session, const GraduateRow& graduate, bool immediate, absl::Time now);
  // Sends the graduate's ledger entry to the EMS again at the next ledger version, because the
  // EMS may have dropped it with the removal. Nothing is sent for a graduate never sent.
  absl::Status ResyncDestination(db::Session& session, const GraduateRow& graduate, absl::Time now);

  db::Pool& pool_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_GRADUATES_H_

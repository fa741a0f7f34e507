// The reconciliation of the ledger with the EMS. For one school, every destination record of the
// EMS (ListDestinations) is compared with the ledger. Each difference is stored with the run, so
// that the school and the operators can see what diverged. A difference of a graduate
// whose change is still on its way to the EMS is marked pending_delivery, since the relay may
// close it.
#ifndef QUXIANG_SERVICES_SYNC_RECONCILIATION_H_
#define QUXIANG_SERVICES_SYNC_RECONCILIATION_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/ems_client.h"
#include "services/sync/reconciliation_repository.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

class Reconciliation {
 public:
  Reconciliation(db::Pool& pool, EmsClient& ems, const Clock& clock);

  absl::Status ReconcileWithEms(const RequestInfo& info, const v1::ReconcileWithEmsRequest& request,
                                v1::ReconciliationRun* response);
  absl::Status ListReconciliationDifferences(const RequestInfo& info,
                                             const v1::ListReconciliationDifferencesRequest& request,
                                             v1::ListReconciliationDifferencesResponse* response);

  // Reconciles every school whose roster is caught up, one after another; returns how many
  // differences the runs found.
  absl::StatusOr<int> ReconcileAllSchools(absl::Duration call_timeout);

 private:
  // Compares the school's ledger with the EMS; the run is not stored yet.
  absl::StatusOr<std::pair<ReconciliationRunRow, std::vector<DifferenceRow>>> Compare(int64_t school_id,
                                                                                    absl::Time deadline);

  db::Pool& pool_;
  EmsClient& ems_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_RECONCILIATION_H_

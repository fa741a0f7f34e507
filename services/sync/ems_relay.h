// Delivers the ledger's changes to the EMS: each DestinationCommitted becomes UpsertDestination
// and each DestinationVoided becomes VoidDestination, with the graduate's ledger version and the
// idempotency key "sync:<graduate id>:<ledger version>", so that the EMS applies each version at
// most once.
//
// Delivery is at least once and in order per graduate: an event is sent only after every earlier
// event of the same graduate was acknowledged, and a failed one is retried with exponential
// backoff until the EMS acknowledges it. Events of an invalidated graduate wait until it is
// restored, because the EMS rejects writes for graduates removed from its roster.
// NOTE: there is no dead-letter state. An event the EMS keeps rejecting (for example a
// destination it finds invalid) is retried every max_backoff and logged each time.
#ifndef QUXIANG_SERVICES_SYNC_EMS_RELAY_H_
#define QUXIANG_SERVICES_SYNC_EMS_RELAY_H_

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "services/sync/accounts_relay.h"
#include "services/sync/ems_client.h"

namespace quxiang::sync {

class EmsRelay {
 public:
  EmsRelay(db::Pool& pool, EmsClient& ems, const Clock& clock, RelayOptions options = {});

  // Delivers the due events of one batch in id order; returns how many the EMS acknowledged.
  absl::StatusOr<int> DeliverOnce();

  // The time since the oldest ledger change that the EMS has not acknowledged; zero when it has
  // every change.
  absl::StatusOr<absl::Duration> Lag();

 private:
  db::Pool& pool_;
  EmsClient& ems_;
  const Clock& clock_;
  RelayOptions options_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_EMS_RELAY_H_

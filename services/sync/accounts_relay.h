// Delivers the roster's outbox events to the accounts service: the department names a roster
// batch used (RosterDepartmentsSeen → UpsertDepartments), so that department accounts can be
// created with those names. Each event is delivered at least once, with the event id as the
// request id, so a redelivery changes nothing. A failed delivery is retried with exponential
// backoff.
#ifndef QUXIANG_SERVICES_SYNC_ACCOUNTS_RELAY_H_
#define QUXIANG_SERVICES_SYNC_ACCOUNTS_RELAY_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "services/sync/accounts_client.h"

namespace quxiang::sync {

struct RelayOptions {
  // Events read per run.
  int batch_size = 100;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // The deadline of each call and transaction.
  absl::Duration call_timeout = absl::Seconds(30);
};

class AccountsRelay {
 public:
  AccountsRelay(db::Pool& pool, AccountsClient& accounts, const Clock& clock, RelayOptions options = {});

  // Delivers the due events of one batch; returns how many were delivered.
  absl::StatusOr<int> DeliverOnce();

 private:
  db::Pool& pool_;
  AccountsClient& accounts_;
  const Clock& clock_;
  RelayOptions options_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ACCOUNTS_RELAY_H_

// Delivers the roster's outbox events to the accounts service:
//   - the department names a roster batch used (RosterDepartmentsSeen → UpsertDepartments), so
//     that department accounts can be created with those names;
//   - the graduates whose roster entry changed, was invalidated or restored (GraduateRosterChanged,
//     GraduateInvalidated, GraduateRestored): each ACTIVE one gets its login created, updated and
//     enabled (UpsertGraduateAccounts), each invalidated one gets it disabled
//     (DisableGraduateAccounts). The graduate's current row decides, so the order of its events
//     does not matter and a redelivery changes nothing.
// Each event is delivered at least once, and a failed delivery is retried with exponential
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

  // Delivers the due events of one batch of each kind; returns how many were delivered.
  absl::StatusOr<int> DeliverOnce();

 private:
  absl::StatusOr<int> DeliverDepartments();
  absl::StatusOr<int> DeliverGraduateLogins();

  db::Pool& pool_;
  AccountsClient& accounts_;
  const Clock& clock_;
  RelayOptions options_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_ACCOUNTS_RELAY_H_

// Scrape-time gauges of a service's database: the connection pool and the outbox backlog.
//
//   quxiang_db_pool_open_connections{service}         connections open now
//   quxiang_db_pool_in_use_connections{service}       connections lent to a unit of work
//   quxiang_db_pool_waiting_requests{service}         callers waiting for a free connection
//   quxiang_db_pool_discarded_connections_total{service}  connections dropped after a client error
//   quxiang_outbox_backlog{service}                   outbox rows with sent_at IS NULL
//   quxiang_outbox_oldest_unsent_age_seconds{service}  age of the oldest of them, 0 when none
//
// The outbox values come from two indexed queries (idx_outbox_unsent) with a 2-second deadline,
// run at most once per second whatever the number of scrapes. When they fail, both outbox
// series are left out of that scrape and a warning is logged at most once a minute.
#ifndef QUXIANG_LIBS_METRICS_DATABASE_METRICS_H_
#define QUXIANG_LIBS_METRICS_DATABASE_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "libs/db/db.h"
#include "libs/metrics/metrics.h"

namespace quxiang::metrics {

// Keeps the gauges registered; destroy it before `pool`.
class DatabaseMetrics {
 public:
  // Registers the gauges above for `service` (for example "accounts") in `registry`.
  static std::unique_ptr<DatabaseMetrics> Register(Registry& registry, db::Pool& pool,
                                                   const std::string& service);
  ~DatabaseMetrics();

 private:
  struct OutboxState;
  DatabaseMetrics() = default;

  std::shared_ptr<OutboxState> outbox_;
  std::vector<CallbackRegistration> registrations_;
};

}  // namespace quxiang::metrics

#endif  // QUXIANG_LIBS_METRICS_DATABASE_METRICS_H_

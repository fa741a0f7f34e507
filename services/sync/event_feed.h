// The event feed: every outbox event of this service in commit order, read by the flow services
// and notify with a cursor (ListEvents). It is how flows learn that a graduate was invalidated
// or restored, or that its roster record or destination changed.
//
// The outbox relays of this service mark each event sent for one consumer only, so other
// consumers pull instead. Outbox ids follow insertion, not commit, so the feed numbers events
// after they commit: Sequence() gives the committed events that have no number yet the next
// numbers, in one transaction that holds the counter row's lock. Sequencing transactions thus
// run one at a time and a reader never sees a number before a lower one exists, whatever order
// the writers committed in. Events of one graduate keep their order, because the writers hold
// the graduate's row lock, so their outbox ids and commits follow the same order.
#ifndef QUXIANG_SERVICES_SYNC_EVENT_FEED_H_
#define QUXIANG_SERVICES_SYNC_EVENT_FEED_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

class EventFeed {
 public:
  // The maximum number of events that one Sequence() call numbers.
  static constexpr int kSequenceBatch = 1024;

  explicit EventFeed(db::Pool& pool) : pool_(pool) {}

  // Numbers the waiting events first, then returns a page of the feed. Reader services only.
  absl::Status ListEvents(const RequestInfo& info, const v1::ListEventsRequest& request,
                          v1::ListEventsResponse* response);

  // Gives up to kSequenceBatch committed events without a number the next numbers, in outbox
  // id order; returns how many it numbered.
  absl::StatusOr<int64_t> Sequence(absl::Time deadline);

 private:
  db::Pool& pool_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_EVENT_FEED_H_

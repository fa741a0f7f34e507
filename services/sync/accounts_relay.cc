#include "services/sync/accounts_relay.h"

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/outbox.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {

AccountsRelay::AccountsRelay(db::Pool& pool, AccountsClient& accounts, const Clock& clock, RelayOptions options)
    : pool_(pool), accounts_(accounts), clock_(clock), options_(options) {}

absl::StatusOr<int> AccountsRelay::DeliverOnce() {
  absl::Time deadline = absl::Now() + options_.call_timeout;
  ASSIGN_OR_RETURN(auto events, pool_.Read<std::vector<OutboxRow>>(deadline, [&](db::Session& s) {
    return Outbox::ListUnsent(s, {kRosterDepartmentsSeen}, options_.batch_size);
  }));
  int delivered = 0;
  for (const OutboxRow& event : events) {
    absl::Time now = clock_.Now();
    if (event.next_attempt_at > now) continue;
    v1::RosterDepartmentsSeen payload;
    int64_t school_id = 0;
    if (!event.envelope.payload().UnpackTo(&payload) || !absl::SimpleAtoi(payload.school_id(), &school_id)) {
      spdlog::error("outbox event {} ({}) has no valid payload; it is marked sent and not delivered", event.event_id,
                    event.type);
      RETURN_IF_ERROR(pool_.Run(deadline, [&](db::Session& s) { return Outbox::MarkSent(s, {event.id}, now); }));
      continue;
    }
    std::vector<std::string> names(payload.names().begin(), payload.names().end());
    absl::Status sent =
        accounts_.UpsertDepartments(absl::Now() + options_.call_timeout, event.event_id, school_id, names);
    if (!sent.ok()) {
      absl::Duration delay = RetryBackoff(event.attempts, options_.initial_backoff, options_.max_backoff);
      spdlog::warn("delivering {} departments of school {} to accounts failed (attempt {}): {} {}; retrying in {}",
                   names.size(), school_id, event.attempts + 1, ErrorReason(sent), std::string(sent.message()),
                   absl::FormatDuration(delay));
      RETURN_IF_ERROR(
          pool_.Run(deadline, [&](db::Session& s) { return Outbox::RecordFailure(s, event.id, now + delay); }));
      continue;
    }
    RETURN_IF_ERROR(pool_.Run(deadline, [&](db::Session& s) { return Outbox::MarkSent(s, {event.id}, now); }));
    ++delivered;
  }
  return delivered;
}

}  // namespace quxiang::sync

#include "services/sync/ems_relay.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/outbox.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

std::string IdempotencyKey(int64_t graduate_id, int64_t ledger_version) {
  return absl::StrCat("sync:", graduate_id, ":", ledger_version);
}

}  // namespace

EmsRelay::EmsRelay(db::Pool& pool, EmsClient& ems, const Clock& clock, RelayOptions options)
    : pool_(pool), ems_(ems), clock_(clock), options_(options) {}

absl::StatusOr<int> EmsRelay::DeliverOnce() {
  absl::Time deadline = absl::Now() + options_.call_timeout;
  ASSIGN_OR_RETURN(auto events, pool_.Read<std::vector<OutboxRow>>(deadline, [&](db::Session& s) {
    return Outbox::ListUnsent(s, {kDestinationCommitted, kDestinationVoided}, options_.batch_size);
  }));
  if (events.empty()) return 0;

  std::vector<int64_t> graduate_ids;
  for (const auto& event : events) {
    int64_t id = 0;
    if (absl::SimpleAtoi(event.aggregate_id, &id)) graduate_ids.push_back(id);
  }
  ASSIGN_OR_RETURN(auto rows, pool_.Read<std::vector<GraduateRow>>(deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduatesByIds(s, graduate_ids);
  }));
  std::map<std::string, GraduateRow> graduates;
  for (auto& row : rows) graduates[std::to_string(row.id)] = std::move(row);

  // A graduate whose earlier event is not acknowledged yet sends nothing later in this batch.
  std::set<std::string> blocked;
  int acknowledged = 0;
  int held = 0;
  for (const OutboxRow& event : events) {
    if (blocked.count(event.aggregate_id) > 0) continue;
    absl::Time now = clock_.Now();
    auto graduate = graduates.find(event.aggregate_id);
    if (graduate == graduates.end()) {
      spdlog::error("outbox event {} ({}) names graduate {}, which does not exist; it stays unsent", event.event_id,
                    event.type, event.aggregate_id);
      blocked.insert(event.aggregate_id);
      continue;
    }
    if (event.next_attempt_at > now || graduate->second.state == kStateInvalidated) {
      if (graduate->second.state == kStateInvalidated) ++held;
      blocked.insert(event.aggregate_id);
      continue;
    }

    const GraduateRow& row = graduate->second;
    ems::v1::DestinationAck ack;
    absl::Status sent;
    if (event.type == kDestinationCommitted) {
      v1::DestinationCommitted committed;
      if (!event.envelope.payload().UnpackTo(&committed)) {
        return Internal("OUTBOX_PAYLOAD_INVALID", absl::StrCat("outbox event ", event.event_id, " has no valid payload"));
      }
      ems::v1::UpsertDestinationRequest request;
      request.set_school_code(row.record.school_code());
      request.set_id_number(row.record.id_number());
      request.set_ledger_version(committed.ledger_version());
      *request.mutable_destination() = committed.destination();
      request.set_idempotency_key(IdempotencyKey(row.id, committed.ledger_version()));
      sent = ems_.UpsertDestination(absl::Now() + options_.call_timeout, request, &ack);
    } else {
      v1::DestinationVoided voided;
      if (!event.envelope.payload().UnpackTo(&voided)) {
        return Internal("OUTBOX_PAYLOAD_INVALID", absl::StrCat("outbox event ", event.event_id, " has no valid payload"));
      }
      ems::v1::VoidDestinationRequest request;
      request.set_school_code(row.record.school_code());
      request.set_id_number(row.record.id_number());
      request.set_ledger_version(voided.ledger_version());
      request.set_idempotency_key(IdempotencyKey(row.id, voided.ledger_version()));
      sent = ems_.VoidDestination(absl::Now() + options_.call_timeout, request, &ack);
    }

    if (!sent.ok()) {
      absl::Duration delay = RetryBackoff(event.attempts, options_.initial_backoff, options_.max_backoff);
      spdlog::warn("sending ledger version {} of graduate {} to the EMS failed (attempt {}): {} {}; retrying in {}",
                   event.aggregate_version, row.id, event.attempts + 1, ErrorReason(sent), std::string(sent.message()),
                   absl::FormatDuration(delay));
      RETURN_IF_ERROR(
          pool_.Run(deadline, [&](db::Session& s) { return Outbox::RecordFailure(s, event.id, now + delay); }));
      blocked.insert(event.aggregate_id);
      continue;
    }
    if (ack.outcome() == ems::v1::DESTINATION_ACK_OUTCOME_STALE_IGNORED) {
      spdlog::warn("the EMS ignored ledger version {2} of graduate {1} as stale: it has version {0} already", ack.applied_version(),
                   row.id, event.aggregate_version);
    }
    RETURN_IF_ERROR(pool_.Run(deadline, [&](db::Session& s) { return Outbox::MarkSent(s, {event.id}, now); }));
    ++acknowledged;
  }
  if (acknowledged > 0) {
    spdlog::info("EMS relay: {} ledger changes acknowledged, {} graduates held because they are invalidated",
                 acknowledged, held);
  }
  return acknowledged;
}

absl::StatusOr<absl::Duration> EmsRelay::Lag() {
  ASSIGN_OR_RETURN(auto oldest, pool_.Read<std::optional<absl::Time>>(absl::Now() + options_.call_timeout, [](db::Session& s) {
    return Outbox::OldestUnsent(s, {kDestinationCommitted, kDestinationVoided});
  }));
  if (!oldest) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), clock_.Now() - *oldest);
}

}  // namespace quxiang::sync

#include "services/sync/accounts_relay.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
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

// The first 40 hex digits of the SHA-256 of `content`.
std::string ContentDigest(const std::string& content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length)).substr(0, 40);
}

}  // namespace

AccountsRelay::AccountsRelay(db::Pool& pool, AccountsClient& accounts, const Clock& clock, RelayOptions options)
    : pool_(pool), accounts_(accounts), clock_(clock), options_(options) {}

absl::StatusOr<int> AccountsRelay::DeliverOnce() {
  ASSIGN_OR_RETURN(int departments, DeliverDepartments());
  ASSIGN_OR_RETURN(int logins, DeliverGraduateLogins());
  return departments + logins;
}

absl::StatusOr<int> AccountsRelay::DeliverDepartments() {
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

absl::StatusOr<int> AccountsRelay::DeliverGraduateLogins() {
  absl::Time deadline = absl::Now() + options_.call_timeout;
  ASSIGN_OR_RETURN(auto listed, pool_.Read<std::vector<OutboxRow>>(deadline, [&](db::Session& s) {
    return Outbox::ListUnsent(s, {kGraduateRosterChanged, kGraduateInvalidated, kGraduateRestored},
                              options_.batch_size);
  }));
  absl::Time now = clock_.Now();
  std::vector<const OutboxRow*> events;
  std::set<int64_t> graduate_ids;
  for (const OutboxRow& event : listed) {
    int64_t id = 0;
    if (event.next_attempt_at > now || !absl::SimpleAtoi(event.aggregate_id, &id)) continue;
    events.push_back(&event);
    graduate_ids.insert(id);
  }
  if (events.empty()) return 0;

  ASSIGN_OR_RETURN(auto graduates, pool_.Read<std::vector<GraduateRow>>(deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduatesByIds(s, std::vector<int64_t>(graduate_ids.begin(), graduate_ids.end()));
  }));
  std::vector<GraduateAccountInfo> active;
  std::vector<int64_t> invalidated;
  for (const GraduateRow& graduate : graduates) {
    if (graduate.state != kStateActive) {
      invalidated.push_back(graduate.id);
      continue;
    }
    active.push_back({graduate.id, graduate.school_id, graduate.record.school_code(), graduate.record.student_number(),
                      graduate.record.name(), graduate.record.id_number()});
  }

  // The request ids are digests of what is sent. A retry that sends the same gets the stored
  // response, and a graduate that changed between two attempts makes a new request instead of
  // reusing a key for another body, which accounts would reject.
  std::string upsert_content;
  for (const auto& account : active) {
    absl::StrAppend(&upsert_content, account.graduate_id, "|", account.school_id, "|", account.school_code, "|",
                    account.student_number, "|", account.name, "|", account.id_number, "\n");
  }
  std::string disable_content;
  for (int64_t id : invalidated) absl::StrAppend(&disable_content, id, "\n");
  absl::Status sent = absl::OkStatus();
  UpsertGraduateAccountsResult result;
  if (!active.empty()) {
    absl::StatusOr<UpsertGraduateAccountsResult> upserted = accounts_.UpsertGraduateAccounts(
        absl::Now() + options_.call_timeout, absl::StrCat("sync-logins-upsert:", ContentDigest(upsert_content)),
        active);
    if (upserted.ok()) {
      result = *std::move(upserted);
    } else {
      sent = upserted.status();
    }
  }
  if (sent.ok() && !invalidated.empty()) {
    sent = accounts_
               .DisableGraduateAccounts(absl::Now() + options_.call_timeout,
                                        absl::StrCat("sync-logins-disable:", ContentDigest(disable_content)),
                                        invalidated)
               .status();
  }

  if (!sent.ok()) {
    int attempts = 0;
    for (const OutboxRow* event : events) attempts = std::max(attempts, event->attempts);
    absl::Duration delay = RetryBackoff(attempts, options_.initial_backoff, options_.max_backoff);
    spdlog::warn("delivering the logins of {} graduates to accounts failed (attempt {}): {} {}; retrying in {}",
                 graduate_ids.size(), attempts + 1, ErrorReason(sent), std::string(sent.message()),
                 absl::FormatDuration(delay));
    RETURN_IF_ERROR(pool_.Transaction(deadline, [&](db::Session& s) -> absl::Status {
      for (const OutboxRow* event : events) RETURN_IF_ERROR(Outbox::RecordFailure(s, event->id, now + delay));
      return absl::OkStatus();
    }));
    return 0;
  }
  // A login that accounts could not write would fail the same way again, so it is logged and the
  // event is done. The graduate's next roster change sends it again.
  for (const auto& [graduate_id, reason] : result.failures) {
    spdlog::error("accounts did not write the login of graduate {}: {}", graduate_id, reason);
  }
  std::vector<int64_t> ids;
  for (const OutboxRow* event : events) ids.push_back(event->id);
  RETURN_IF_ERROR(pool_.Run(deadline, [&](db::Session& s) { return Outbox::MarkSent(s, ids, now); }));
  spdlog::info("graduate logins: {} created, {} updated, {} unchanged, {} disabled requests, {} failed", result.created,
               result.updated, result.unchanged, invalidated.size(), result.failures.size());
  return static_cast<int>(events.size());
}

}  // namespace quxiang::sync

#include "services/sync/outbox.h"

#include <openssl/rand.h>

#include <algorithm>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;

constexpr char kSource[] = "sync";

std::string NewEventId() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof(raw));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
}

}  // namespace

absl::Status Outbox::Write(db::Session& s, const std::vector<NewEvent>& events, absl::Time now) {
  constexpr size_t kColumns = 7;
  size_t start = 0;
  for (size_t chunk : PowerOfTwoChunks(events.size())) {
    std::vector<Param> params;
    params.reserve(chunk * kColumns);
    for (size_t i = start; i < start + chunk; ++i) {
      const NewEvent& event = events[i];
      common::v1::EventEnvelope envelope;
      envelope.set_event_id(NewEventId());
      envelope.set_source(kSource);
      envelope.set_type(event.payload->GetDescriptor()->full_name());
      envelope.set_aggregate_id(event.aggregate_id);
      envelope.set_aggregate_version(event.aggregate_version);
      *envelope.mutable_occurred_at() =
          google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
      envelope.mutable_payload()->PackFrom(*event.payload);
      params.push_back(envelope.event_id());
      params.push_back(envelope.aggregate_id());
      params.push_back(envelope.aggregate_version());
      params.push_back(envelope.type());
      params.push_back(envelope.SerializeAsString());
      params.push_back(now);
      params.push_back(now);
    }
    RETURN_IF_ERROR(s.Execute(absl::StrCat("INSERT INTO outbox (event_id, aggregate_id, aggregate_version, type, "
                                           "payload, created_at, next_attempt_at) VALUES ",
                                           RowPlaceholders(chunk, kColumns)),
                              params)
                        .status());
    start += chunk;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxRow>> Outbox::ListUnsent(db::Session& s, const std::vector<std::string>& types,
                                                          int limit) {
  std::vector<Param> params;
  AppendPaddedList(types, params);
  params.push_back(static_cast<int64_t>(limit));
  ASSIGN_OR_RETURN(auto rows,
                   s.Query(absl::StrCat("SELECT id, event_id, aggregate_id, aggregate_version, type, payload, "
                                        "attempts, next_attempt_at FROM outbox WHERE sent_at IS NULL AND type IN (",
                                        Placeholders(params.size() - 1), ") ORDER BY id LIMIT ?"),
                           params));
  std::vector<OutboxRow> events;
  events.reserve(rows.size());
  for (const auto& row : rows) {
    OutboxRow event;
    event.id = row.Int64(0);
    event.event_id = row.String(1);
    event.aggregate_id = row.String(2);
    event.aggregate_version = row.Int64(3);
    event.type = row.String(4);
    if (!event.envelope.ParseFromString(row.String(5))) {
      return Internal("OUTBOX_PAYLOAD_INVALID", absl::StrCat("outbox row ", event.id, " holds no valid envelope"));
    }
    event.attempts = static_cast<int>(row.Int64(6));
    event.next_attempt_at = row.Time(7);
    events.push_back(std::move(event));
  }
  return events;
}

absl::Status Outbox::MarkSent(db::Session& s, const std::vector<int64_t>& ids, absl::Time now) {
  for (const auto& slice : Slices(ids)) {
    std::vector<Param> params = {now};
    AppendPaddedList(slice, params);
    RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE outbox SET sent_at = ?, attempts = attempts + 1 "
                                           "WHERE sent_at IS NULL AND id IN (",
                                           Placeholders(params.size() - 1), ")"),
                              params)
                        .status());
  }
  return absl::OkStatus();
}

absl::Status Outbox::RecordFailure(db::Session& s, int64_t id, absl::Time next_attempt_at) {
  return s.Execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?", {next_attempt_at, id})
      .status();
}

absl::StatusOr<int64_t> Outbox::CountUnsent(db::Session& s, const std::vector<std::string>& types) {
  std::vector<Param> params;
  AppendPaddedList(types, params);
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND type IN (",
                                                     Placeholders(params.size()), ")"),
                                        params));
  return row ? row->Int64(0) : 0;
}

absl::StatusOr<std::optional<absl::Time>> Outbox::OldestUnsent(db::Session& s, const std::vector<std::string>& types) {
  std::vector<Param> params;
  AppendPaddedList(types, params);
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT created_at FROM outbox WHERE sent_at IS NULL AND type IN (",
                                                     Placeholders(params.size()), ") ORDER BY id LIMIT 1"),
                                        params));
  if (!row) return std::optional<absl::Time>();
  return std::optional<absl::Time>(row->Time(0));
}

absl::Duration RetryBackoff(int attempts, absl::Duration initial, absl::Duration maximum) {
  absl::Duration delay = initial;
  for (int i = 0; i < attempts && delay < maximum; ++i) delay *= 2;
  delay = std::min(delay, maximum);
  thread_local std::mt19937_64 generator(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.0);
  return delay * jitter(generator);
}

}  // namespace quxiang::sync

// The sync service's use of the shared outbox table: events written in the same transaction as
// the change they report, and the reads and marks of the relays that deliver them.
//
// Each event type has exactly one relay in this service that delivers it and sets sent_at:
// the EMS relay takes the destination events, the accounts relay the roster events.
// Other consumers, such as the flow services that must learn of GraduateInvalidated and
// GraduateRestored, read every event from the event feed (event_feed.h) instead, because sent_at
// records one delivery only.
#ifndef QUXIANG_SERVICES_SYNC_OUTBOX_H_
#define QUXIANG_SERVICES_SYNC_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/db/db.h"
#include "quxiang/common/v1/events.pb.h"

namespace quxiang::sync {

// Event types, the full names of their payload messages.
inline constexpr char kGraduateRosterChanged[] = "quxiang.sync.v1.GraduateRosterChanged";
inline constexpr char kGraduateInvalidated[] = "quxiang.sync.v1.GraduateInvalidated";
inline constexpr char kGraduateRestored[] = "quxiang.sync.v1.GraduateRestored";
inline constexpr char kRosterDepartmentsSeen[] = "quxiang.sync.v1.RosterDepartmentsSeen";
inline constexpr char kDestinationCommitted[] = "quxiang.sync.v1.DestinationCommitted";
inline constexpr char kDestinationVoided[] = "quxiang.sync.v1.DestinationVoided";

// An event to write. The type is the payload's full message name.
struct NewEvent {
  std::string aggregate_id;
  int64_t aggregate_version = 0;
  const google::protobuf::Message* payload = nullptr;
};

// An unsent event as a relay reads it.
struct OutboxRow {
  int64_t id = 0;
  std::string event_id;
  std::string aggregate_id;
  int64_t aggregate_version = 0;
  std::string type;
  common::v1::EventEnvelope envelope;
  int attempts = 0;
  absl::Time next_attempt_at;
};

class Outbox {
 public:
  // Writes `events` in envelopes with new event ids, in multi-row inserts.
  static absl::Status Write(db::Session& s, const std::vector<NewEvent>& events, absl::Time now);

  // The oldest unsent events of `types` in id order, at most `limit`.
  static absl::StatusOr<std::vector<OutboxRow>> ListUnsent(db::Session& s, const std::vector<std::string>& types,
                                                           int limit);
  static absl::Status MarkSent(db::Session& s, const std::vector<int64_t>& ids, absl::Time now);
  // Counts a failed attempt and sets the time of the next one.
  static absl::Status RecordFailure(db::Session& s, int64_t id, absl::Time next_attempt_at);
  static absl::StatusOr<int64_t> CountUnsent(db::Session& s, const std::vector<std::string>& types);
  // The creation time of the oldest unsent event of `types`, or nullopt when all are sent.
  static absl::StatusOr<std::optional<absl::Time>> OldestUnsent(db::Session& s, const std::vector<std::string>& types);
};

// The delay before attempt `attempts` + 1 of a delivery: `initial` doubled per failed attempt up
// to `maximum`, with up to 20% of random jitter taken off so that retries of many rows spread out.
absl::Duration RetryBackoff(int attempts, absl::Duration initial, absl::Duration maximum);

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_OUTBOX_H_

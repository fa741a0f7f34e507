// The EMS simulator's state and rules: rosters and their change log, destinations with their
// ledger versions, the lock on records the platform wrote, and the counters that tests read.
//
// Everything lives in memory behind one mutex, so a restart or Reset() loses all of it. The
// methods mirror the RPCs of quxiang.ems.v1.EmsService and EmsSimulatorControl; the EmsService
// ones pass through the fault injector first.
#ifndef QUXIANG_TOOLS_EMS_SIMULATOR_SIMULATOR_H_
#define QUXIANG_TOOLS_EMS_SIMULATOR_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "quxiang/ems/v1/ems.pb.h"
#include "tools/ems-simulator/faults.h"

namespace quxiang::ems_simulator {

namespace v1 = ::quxiang::ems::v1;

// The destination code the EMS shows for a graduate without a destination (待就业).
inline constexpr char kUnemployedDestinationCode[] = "70";

// The EMS's key of a graduate: the first 16 bytes of SHA-256("<school_code>:<id_number>") in
// lowercase hex. Stable across removals, re-adds and restarts. It is not a pseudonym, because
// anyone with the ID number can compute it.
std::string GraduateKey(absl::string_view school_code, absl::string_view id_number);

// Returns INVALID_ARGUMENT, reason INVALID_CLASS_YEAR, unless `class_year` is 2000 to 2100.
[[nodiscard]] absl::Status CheckClassYear(int class_year);

class EmsSimulator {
 public:
  EmsSimulator(const Clock& clock, uint64_t seed);

  EmsSimulator(const EmsSimulator&) = delete;
  EmsSimulator& operator=(const EmsSimulator&) = delete;

  // EmsService. Each call first waits the injected latency, but never past `deadline`
  // (DEADLINE_EXCEEDED, nothing done), and may fail with UNAVAILABLE as the faults decide, even
  // before its request is validated, as a system that is down does.
  [[nodiscard]] absl::Status ListRosterChanges(absl::Time deadline, const v1::ListRosterChangesRequest& request,
                                               v1::ListRosterChangesResponse* response);
  [[nodiscard]] absl::Status GetGraduate(absl::Time deadline, const v1::GetGraduateRequest& request,
                                         v1::GetGraduateResponse* response);
  [[nodiscard]] absl::Status UpsertDestination(absl::Time deadline, const v1::UpsertDestinationRequest& request,
                                               v1::DestinationAck* ack);
  [[nodiscard]] absl::Status VoidDestination(absl::Time deadline, const v1::VoidDestinationRequest& request,
                                             v1::DestinationAck* ack);
  [[nodiscard]] absl::Status ListDestinations(absl::Time deadline, const v1::ListDestinationsRequest& request,
                                              v1::ListDestinationsResponse* response);
  [[nodiscard]] absl::Status EditDestinationAsSchool(absl::Time deadline,
                                                     const v1::EditDestinationAsSchoolRequest& request,
                                                     v1::EmsDestinationRecord* record);

  // EmsSimulatorControl. UploadRoster and UpsertGraduates live in roster_upload.cc.
  [[nodiscard]] absl::Status UploadRoster(const v1::UploadRosterRequest& request, v1::UploadRosterResponse* report);
  [[nodiscard]] absl::Status UpsertGraduates(const v1::UpsertGraduatesRequest& request,
                                             v1::UploadRosterResponse* report);
  [[nodiscard]] absl::Status RemoveGraduate(const v1::RemoveGraduateRequest& request, v1::RosterChange* change);
  [[nodiscard]] absl::Status ReAddGraduate(const v1::ReAddGraduateRequest& request, v1::RosterChange* change);
  [[nodiscard]] absl::Status SetFaults(const v1::Faults& faults, v1::Faults* applied);
  void GetStats(v1::Stats* stats) const;
  void Reset();

 private:
  enum class WriteOperation { kUpsert, kVoid };

  // A destination write as received, for telling duplicates from conflicting resends.
  struct ReceivedWrite {
    WriteOperation operation = WriteOperation::kUpsert;
    v1::Destination destination;
  };

  struct Graduate {
    std::string id_number;
    int class_year = 0;
    v1::RosterGraduate record;
    // roster::Fingerprint of the record, for telling a changed upload from a repeated one.
    std::string fingerprint;
    bool removed = false;

    // The destination the EMS holds; meaningful when last_writer is not NONE.
    v1::Destination destination;
    v1::DestinationWriter last_writer = v1::DESTINATION_WRITER_NONE;
    int64_t applied_version = 0;
    bool platform_owned = false;
    absl::Time destination_updated_at;

    // Every ledger version received from the platform, by version.
    std::map<int64_t, ReceivedWrite> received;
  };

  // The first use of an idempotency key and the acknowledgement it got.
  struct IdempotentWrite {
    std::string graduate_key;
    int64_t ledger_version = 0;
    ReceivedWrite write;
    v1::DestinationAck ack;
  };

  struct Counters {
    int64_t upserts_received = 0;
    int64_t voids_received = 0;
    int64_t duplicates_received = 0;
    int64_t conflicting_duplicates = 0;
    int64_t out_of_order_versions = 0;
    int64_t injected_failures = 0;
    int64_t roster_changes_delivered = 0;
    int64_t duplicate_changes_delivered = 0;
    int64_t school_edits_rejected = 0;
  };

  // Runs `body` under the faults of one EmsService call. `body` gets whether the call is to be
  // delivered twice.
  // Stores `graduates`, which RosterValidator found valid for `school_code` and `class_year`,
  // and appends an UPSERT change for each one that is new, changed (by roster::Fingerprint or
  // class) or was removed. Adds the counts to `report`.
  void StoreGraduates(absl::string_view school_code, int class_year, const std::vector<v1::RosterGraduate>& graduates,
                      v1::UploadRosterResponse* report);

  [[nodiscard]] absl::Status WithFaults(absl::Time deadline, const std::function<absl::Status(bool)>& body);

  // Applies one destination write. Validation of the request is done; the graduate may still be
  // missing or removed.
  [[nodiscard]] absl::StatusOr<v1::DestinationAck> ApplyWriteLocked(absl::string_view school_code,
                                                                    absl::string_view id_number,
                                                                    int64_t ledger_version,
                                                                    const ReceivedWrite& write,
                                                                    absl::string_view idempotency_key);
  // Applies one destination write, twice when `duplicate`, and returns the first acknowledgement.
  [[nodiscard]] absl::Status DeliverWrite(bool duplicate, absl::string_view school_code, absl::string_view id_number,
                                          int64_t ledger_version, const ReceivedWrite& write,
                                          absl::string_view idempotency_key, v1::DestinationAck* ack);

  // The graduate of `school_code` with `id_number`, or NOT_FOUND.
  [[nodiscard]] absl::StatusOr<Graduate*> FindGraduateLocked(absl::string_view school_code,
                                                             absl::string_view id_number);
  v1::RosterChange& AppendChangeLocked(absl::string_view school_code, const std::string& graduate_key,
                                       const Graduate& graduate, v1::RosterChangeType type);
  void FillRecordLocked(absl::string_view school_code, const std::string& graduate_key, const Graduate& graduate,
                        v1::EmsDestinationRecord* record) const;

  const Clock& clock_;
  FaultInjector faults_;

  mutable std::mutex mutex_;
  // Graduates by school code, then by graduate key (the order of ListDestinations).
  std::map<std::string, std::map<std::string, Graduate>> schools_;
  // The change log; the change with sequence n is at index n - 1.
  std::vector<v1::RosterChange> changes_;
  std::map<std::string, IdempotentWrite> writes_by_idempotency_key_;
  Counters counters_;
};

}  // namespace quxiang::ems_simulator

#endif  // QUXIANG_TOOLS_EMS_SIMULATOR_SIMULATOR_H_

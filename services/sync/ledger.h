// The destination ledger: "one graduate, one destination".
//
// A graduate holds at most one in-flight or effective signing, paper registration or destination
// registration at a time. A flow claims the graduate before its record enters an in-flight state
// (an invitation received is not a hold, accepting it is), releases the claim when the record ends
// without effect (rejected, withdrawn), commits the destination when the record is approved or
// modified, and voids it when the record is voided or terminated. Each commit and void moves the
// ledger version on and writes the event that carries the change to the EMS in the same
// transaction, and each write is idempotent by its request id.
//
// A claim left by a caller that crashed is found by ReleaseStaleClaims, which asks the holding
// flow whether its record is still in flight.
#ifndef QUXIANG_SERVICES_SYNC_LEDGER_H_
#define QUXIANG_SERVICES_SYNC_LEDGER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/ledger_repository.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

// The maximum length of a flow's record id, in ASCII characters.
inline constexpr size_t kMaxRecordIdLength = 64;

// A claim by its holder: the flow and the flow's record id.
struct ClaimHolder {
  v1::Flow flow = v1::FLOW_UNSPECIFIED;
  std::string record_id;
};

// Queries the flow service behind a claim whether its record is still in flight.
// SigningClaimChecker (grpc_clients.h) implements it for online signing, offline e-agreements
// and paper registration.
// NOTE: the termination and destination services do not exist yet, so claims of those flows are
// never released.
class ClaimChecker {
 public:
  virtual ~ClaimChecker() = default;
  // Called once per ReleaseStaleClaims run with every holder it is about to check, so that an
  // implementation can ask each flow service in one batch call. An error ends the run, and
  // no claim is released.
  virtual absl::Status Prefetch(const std::vector<ClaimHolder>& holders, absl::Time deadline) {
    return absl::OkStatus();
  }
  // True while the record needs its claim; an error leaves the claim alone.
  virtual absl::StatusOr<bool> IsInFlight(v1::Flow flow, const std::string& record_id, absl::Time deadline) = 0;
};

// The public LedgerEntry of a row.
v1::LedgerEntry LedgerEntryOf(const LedgerRow& row);

class Ledger {
 public:
  Ledger(db::Pool& pool, const Clock& clock);

  absl::Status GetLedgerEntry(const RequestInfo& info, const v1::GetLedgerEntryRequest& request,
                              v1::LedgerEntry* response);
  absl::Status ClaimGraduate(const RequestInfo& info, const v1::ClaimGraduateRequest& request,
                             v1::LedgerEntry* response);
  absl::Status ReleaseClaim(const RequestInfo& info, const v1::ReleaseClaimRequest& request,
                            v1::LedgerEntry* response);
  absl::Status CommitDestination(const RequestInfo& info, const v1::CommitDestinationRequest& request,
                                 v1::LedgerEntry* response);
  absl::Status VoidDestination(const RequestInfo& info, const v1::VoidDestinationRequest& request,
                               v1::LedgerEntry* response);

  // Releases claims made at least `min_age` ago whose holder reports the record no longer in
  // flight; at most `limit` claims are checked. Returns how many were released, or the error of
  // ClaimChecker::Prefetch.
  absl::StatusOr<int> ReleaseStaleClaims(ClaimChecker& checker, absl::Duration min_age, int limit);

 private:
  // The steps every write shares: the caller is a flow service, the ids and the request id are
  // valid, and `change` runs once per request id in one transaction, with the graduate locked.
  // `change` gets the locked graduate and its ledger row and returns the error of a refused
  // change; the response is the ledger entry after it.
  absl::Status Write(const RequestInfo& info, const google::protobuf::Message& request,
                     const std::string& request_id, const std::string& school_id, const std::string& graduate_id,
                     v1::Flow flow, const std::string& record_id, v1::LedgerEntry* response,
                     const std::function<absl::Status(db::Session&, const GraduateRow&, const LedgerRow&, absl::Time)>&
                         change);

  db::Pool& pool_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_LEDGER_H_

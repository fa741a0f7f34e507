// The agreement RPCs that are not part of one flow: the PDF download (GetAgreementPdf) and the
// public verification (VerifyAgreement).
//
// A download is allowed to the graduate and the employer of the agreement's record and to staff
// of its school with 只读 or more on 毕业去向登记与网签; a department user only for a record of its
// own department. Anyone else gets NOT_FOUND, as for a missing agreement. Each flow registers a
// lookup of the parties of its records with RegisterFlow, and online signing's is built in.
#ifndef QUXIANG_SERVICES_SIGNING_AGREEMENT_DOCUMENTS_H_
#define QUXIANG_SERVICES_SIGNING_AGREEMENT_DOCUMENTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/common/v1/files.pb.h"
#include "quxiang/signing/v1/signing.pb.h"
#include "services/signing/agreements.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

// The parties of one flow record, which decide who may download its agreement.
struct RecordParties {
  int64_t school_id = 0;
  int64_t graduate_id = 0;
  // 0 when the employer has no platform account (offline and paper agreements).
  int64_t employer_id = 0;
  // The graduate's department, as the roster names it.
  std::string department;
};

// Reads the parties of record `record_id` of one flow; nullopt when the record does not exist.
using PartiesLookup = std::function<absl::StatusOr<std::optional<RecordParties>>(db::Session&, int64_t record_id)>;

class AgreementDocuments {
 public:
  AgreementDocuments(db::Pool& pool, Agreements& agreements, const Clock& clock);

  // Sets how the parties of `flow`'s records are found. Call before the server starts.
  void RegisterFlow(AgreementFlow flow, PartiesLookup lookup);

  absl::Status GetAgreementPdf(const RequestInfo& info, const v1::GetAgreementPdfRequest& request,
                               common::v1::HttpFile* response);
  // Needs no principal. At most kMaxVerificationsPerMinute calls per agreement number and minute
  // pass, counted alike for existing and unknown numbers, and the rest get RESOURCE_EXHAUSTED.
  absl::Status VerifyAgreement(const RequestInfo& info, const v1::VerifyAgreementRequest& request,
                               v1::AgreementVerification* response);

 private:
  db::Pool& pool_;
  Agreements& agreements_;
  const Clock& clock_;
  std::map<AgreementFlow, PartiesLookup> lookups_;

  // The verification calls per agreement number in the current minute.
  struct VerificationWindow {
    absl::Time started;
    int calls = 0;
  };
  // Counts a verification of `number` at `now` and returns the calls of its current minute.
  int CountVerification(const std::string& number, absl::Time now);
  std::mutex verification_mutex_;
  std::map<std::string, VerificationWindow> verification_windows_;
};

// NOTE: each replica counts on its own, so N replicas allow N times the limit; a limit per
// client address belongs in front of the gateway.
inline constexpr int kMaxVerificationsPerMinute = 30;

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_AGREEMENT_DOCUMENTS_H_

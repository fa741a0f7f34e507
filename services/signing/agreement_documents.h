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
  // Needs no principal.
  absl::Status VerifyAgreement(const RequestInfo& info, const v1::VerifyAgreementRequest& request,
                               v1::AgreementVerification* response);

 private:
  db::Pool& pool_;
  Agreements& agreements_;
  const Clock& clock_;
  std::map<AgreementFlow, PartiesLookup> lookups_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_AGREEMENT_DOCUMENTS_H_

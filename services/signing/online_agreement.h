// The agreement (电子就业协议书) of an online signing: the terms the employer fills in, and the
// content that the final approval and each later modification issue through Agreements.
#ifndef QUXIANG_SERVICES_SIGNING_ONLINE_AGREEMENT_H_
#define QUXIANG_SERVICES_SIGNING_ONLINE_AGREEMENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "quxiang/signing/v1/signing.pb.h"
#include "services/signing/agreements.h"
#include "services/signing/flow_peers.h"

namespace quxiang::signing {

// Maximum lengths of the agreement terms in characters (Unicode code points), as the columns of
// online_signings hold them.
inline constexpr size_t kMaxTermFieldCharacters = 100;
inline constexpr size_t kMaxOtherTermsCharacters = 2000;
inline constexpr size_t kMaxEmployerAddressCharacters = 200;
inline constexpr size_t kMaxContactNameCharacters = 50;
inline constexpr size_t kMaxContactPhoneCharacters = 30;

// INVALID_ARGUMENT (AGREEMENT_TERM_TOO_LONG or AGREEMENT_TERM_INVALID) for a field over its limit,
// not UTF-8, or with control characters (other_terms may contain line breaks).
absl::Status ValidateAgreementTerms(const v1::AgreementTerms& terms);

// The online signing a version of the agreement is issued for.
struct OnlineAgreementRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  int class_year = 0;
  int64_t graduate_id = 0;
  std::string employer_id;
  // The day the employer invited and the day the graduate accepted, printed as their signing days.
  absl::Time invited_at;
  absl::Time accepted_at;
  // The terms as stored on the record, after a modification the new ones.
  v1::AgreementTerms terms;
};

// Issues the next version of the record's agreement in `tx`. Version 1 takes the parties from
// sync (the graduate's roster record), accounts (the employer) and the signing settings (the
// agreement type and the handler). A later version keeps the parties and the dates of the latest
// version and takes the employer's address and contact and the terms from `record.terms`.
absl::StatusOr<IssuedAgreement> IssueOnlineAgreement(db::Session& tx, FlowPeers& peers, Agreements& agreements,
                                                     const OnlineAgreementRecord& record, const std::string& issued_by,
                                                     absl::Time deadline, absl::Time now);

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_ONLINE_AGREEMENT_H_

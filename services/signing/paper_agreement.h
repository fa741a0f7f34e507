// The data of a signed paper agreement (PaperAgreement) that a graduate registers: its input
// checks and the destination it becomes in the EMS.
#ifndef QUXIANG_SERVICES_SIGNING_PAPER_AGREEMENT_H_
#define QUXIANG_SERVICES_SIGNING_PAPER_AGREEMENT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "quxiang/ems/v1/ems.pb.h"
#include "quxiang/signing/v1/paper_registration.pb.h"

namespace quxiang::signing {

// Checks every field of `agreement` that is set and returns INVALID_ARGUMENT with the metadata
// field "agreement.<name>" for the first bad one. It checks lengths, the credit code's check
// character, phone and postal code forms, and the unit nature, industry and job category codes
// against the code tables of `class_year`, as the EMS does. With `require_complete`, the fields a reviewer needs
// must also be set: employer name and credit code, the four codes, position, contact name and
// phone, and the signing date. A signing date after `now`'s day in Beijing time is invalid.
absl::Status ValidatePaperAgreement(const v1::PaperAgreement& agreement, int class_year, absl::Time now,
                                    bool require_complete);

// The EMS destination of an approved registration: 签就业协议形式就业 (`destination_code`) with
// the agreement's employer, codes, contact and signing date.
ems::v1::Destination PaperAgreementDestination(const v1::PaperAgreement& agreement,
                                               const std::string& destination_code);

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_PAPER_AGREEMENT_H_

// Electronic employment agreements (电子就业协议书) of the signing flows: agreement numbers, PDF
// versions in the file store, verification codes, the public verification and downloads.
//
// A flow calls IssueAgreement inside the transaction of its final approval (version 1) and of
// each modification after it (version 2, 3, ...), and MarkVoided inside the transaction of its
// void, so that the agreement changes exactly when the record does. A flow record has one
// agreement number for its whole life. Each version stores the content itself, its SHA-256, its
// verification code and the verification link, which together define the PDF.
//
// The PDF is rendered at the first download (EnsurePdf), not in the issuing transaction: a
// render takes about 150 ms and the renderer runs one at a time, and the issuing transaction
// holds the row lock of the agreement sequence. The version's file id stays NULL until then.
//
// Agreement numbers are <院校代码>-<class year>-<6-digit sequence per school and class>, for
// example 4111010001-2026-000042. The sequence row is locked until the issuing transaction ends,
// so approvals of one school and class issue their first versions one at a time.
//
// The verification code of a version is VerificationKey::Derive (libs/agreement_pdf) over the
// agreement number, the version and the content digest, under the key of --agreement_key_file.
// The public check compares the entered code with the stored codes in constant time, so a key
// rotation changes the codes of new versions only.
#ifndef QUXIANG_SERVICES_SIGNING_AGREEMENTS_H_
#define QUXIANG_SERVICES_SIGNING_AGREEMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/agreement_pdf/agreement_renderer.h"
#include "libs/agreement_pdf/verification.h"
#include "libs/db/db.h"
#include "libs/filestore/file_store.h"
#include "quxiang/signing/v1/signing.pb.h"

namespace quxiang::signing {

// The flow that owns an agreement's record.
enum class AgreementFlow { kOnlineSigning, kOfflineSigning, kPaperRegistration };

// The flow record an agreement belongs to.
struct RecordRef {
  AgreementFlow flow = AgreementFlow::kOnlineSigning;
  // The flow's record id (online_signings.id for online signing).
  int64_t record_id = 0;
  int64_t school_id = 0;
};

// The printed content of an agreement PDF, as libs/agreement_pdf renders it: AgreementDocument
// without the number, version, code and link, which IssueAgreement adds.
struct AgreementContent {
  // 两方协议 (the school attests) or 三方协议 (the school is 丙方), from the province's choice in
  // the signing settings.
  agreement_pdf::AgreementType type = agreement_pdf::AgreementType::kThreeParty;
  // 院校代码 (10 digits) and the graduating class, which make the agreement number.
  std::string school_code;
  int class_year = 0;
  // 乙方: the graduate from the roster (the ID number as the roster view masks it is fine,
  // because the PDF masks it anyway).
  agreement_pdf::GraduateParty graduate;
  // 甲方: the employer with its address and contact.
  agreement_pdf::EmployerParty employer;
  // The school's agreement handler (协议经办人) from the signing settings of the graduate's
  // class, by education level when the school set two handlers.
  agreement_pdf::AgreementHandler handler;
  // The clauses: position, place, pay, the fixed clauses and other terms. At least one.
  std::vector<agreement_pdf::AgreementTerm> terms;
  // The employer's invitation, the graduate's acceptance and the school's approval dates.
  agreement_pdf::SignDates sign_dates;
};

// The state of one version for verification.
enum class VersionStatus { kValid, kSuperseded, kVoided };

// One version of an agreement as stored.
struct AgreementVersion {
  int64_t agreement_id = 0;
  std::string number;
  RecordRef record;
  int class_year = 0;
  int64_t version = 0;
  int64_t latest_version = 0;
  // The PDF in the file store; empty until the first download renders it.
  std::string file_id;
  std::string content_sha256;
  std::string verification_code;
  AgreementContent content;
  // The verification page printed and linked in the PDF, fixed when the version was issued.
  // Empty for versions issued before it was stored, which were rendered at issue.
  std::string verification_url;
  std::string issued_by;
  absl::Time issued_at;
  // Set when the record was voided.
  std::optional<absl::Time> voided_at;

  VersionStatus status() const;
};

// The result of IssueAgreement.
struct IssuedAgreement {
  std::string number;
  int64_t version = 0;
  // The 8-character code printed on this version.
  std::string code;
  absl::Time issued_at;
};

struct AgreementsOptions {
  // The verification page that the QR code links to (--public_base_url followed by /verify).
  std::string verification_url;
};

// Thread-safe: the renderer serializes its own calls, and the rest keeps no mutable state.
class Agreements {
 public:
  Agreements(const agreement_pdf::AgreementRenderer& renderer, agreement_pdf::VerificationKey key,
             filestore::FileStore& files, AgreementsOptions options);

  // Issues the next version of the record's agreement inside the caller's transaction `tx`:
  // allocates the number on the first issue, stores the version row with its content and code,
  // and marks the previous version superseded. It checks that the renderer can print the
  // content but does not render the PDF (see EnsurePdf). `issued_by` is the user id of the
  // approving or modifying school user. Errors: the INVALID_ARGUMENT and FAILED_PRECONDITION
  // errors of AgreementRenderer::Check for content it cannot print, FAILED_PRECONDITION
  // (AGREEMENT_VOIDED) for a voided record, and the database errors of libs/db.
  absl::StatusOr<IssuedAgreement> IssueAgreement(db::Session& tx, const RecordRef& record,
                                                 const AgreementContent& content, const std::string& issued_by,
                                                 absl::Time now);

  // Marks the record's agreement voided inside `tx`, so that every version verifies as 已作废.
  // A record without an agreement, or one already voided, changes nothing.
  absl::Status MarkVoided(db::Session& tx, const RecordRef& record, absl::Time now);

  // The latest version of the record's agreement, or nullopt when none was issued.
  absl::StatusOr<std::optional<AgreementVersion>> LatestAgreement(db::Session& s, const RecordRef& record);

  // Version `version` (0 for the latest) of the agreement `number`; nullopt when there is none.
  absl::StatusOr<std::optional<AgreementVersion>> FindByNumber(db::Session& s, const std::string& number,
                                                               int64_t version);

  // Returns the file id of the PDF of `version`. When the version has none yet, renders the PDF
  // from the stored content outside any transaction, then stores it and sets the version's file
  // id in a short transaction of its own. The transaction locks the version row first, so when
  // another request stored a PDF meanwhile, it returns that file id and stores nothing.
  absl::StatusOr<std::string> EnsurePdf(db::Pool& pool, const AgreementVersion& version, absl::Time deadline,
                                        absl::Time now);

  // Reads the PDF of `version`, whose file_id must be set (see EnsurePdf), and records the
  // download (who, when, which) in the file store's download log and in the service's audit log.
  // The caller has authorized `downloader`.
  absl::StatusOr<std::string> ReadPdf(db::Session& s, const AgreementVersion& version,
                                      const filestore::Downloader& downloader, int principal_kind, absl::Time now);

  // Public verification: the result for an agreement number and an entered code. An unknown
  // number, a malformed input and a wrong code all return the same not-valid result.
  absl::StatusOr<v1::AgreementVerification> Verify(db::Session& s, const std::string& number,
                                                   const std::string& entered_code);

 private:
  const agreement_pdf::AgreementRenderer& renderer_;
  agreement_pdf::VerificationKey key_;
  filestore::FileStore& files_;
  AgreementsOptions options_;
};

// The agreement's name in downloads: 就业协议书-<number>.pdf.
std::string AgreementFileName(const std::string& number);

// The record_type under which the file store keeps agreement PDFs.
inline constexpr char kAgreementRecordType[] = "signing.agreement";

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_AGREEMENTS_H_

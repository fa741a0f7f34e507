// Paper agreement registration (已签纸质就业协议登记, 补登): a graduate who signed a paper
// employment agreement enters its data and uploads the stamped scan in a draft. Submitting the
// draft sends it to the review engine (libs/review), in one or two stages by the review mode.
//
// As in online signing, sync's destination ledger decides "one graduate, one destination". The
// submission claims the graduate (FLOW_PAPER_AGREEMENT); a return (退回修改) keeps the claim so
// that the graduate edits and resubmits; a rejection or a withdrawal releases it; the final
// approval commits the destination (签就业协议形式就业), which sync sends to the EMS. After the
// approval a school user may modify the agreement data, which commits the new destination
// through the same path, or void the registration, which sets the graduate back to 待就业. Each
// ledger call runs inside the local transaction after the conditional update, so that of two
// reviewers only the winner calls sync and a failed call rolls the local change back; ledger
// request ids are derived from the record and its version, so a retry is replayed by sync.
#ifndef QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_H_
#define QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_H_

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/filestore/file_store.h"
#include "libs/review/flow.h"
#include "libs/review/store.h"
#include "libs/server/server.h"
#include "quxiang/common/v1/files.pb.h"
#include "quxiang/signing/v1/paper_registration.pb.h"
#include "services/signing/flow_peers.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

// The review flow of paper registration: return, withdrawal, modify and void allowed, always
// with the word 审核.
const review::FlowDefinition& PaperRegistrationFlow();
const review::RecordTable& PaperRegistrationTable();

class PaperRegistrations {
 public:
  // `files` stores the scans; its max_file_bytes is the upload limit.
  PaperRegistrations(db::Pool& pool, FlowPeers& peers, filestore::FileStore& files, const Clock& clock);

  // The graduate's calls.
  absl::Status CreatePaperRegistration(const RequestInfo& info, const v1::CreatePaperRegistrationRequest& request,
                                       v1::PaperRegistration* response);
  absl::Status UpdatePaperRegistration(const RequestInfo& info, const v1::UpdatePaperRegistrationRequest& request,
                                       v1::PaperRegistration* response);
  absl::Status UploadPaperRegistrationScan(const RequestInfo& info,
                                           const v1::UploadPaperRegistrationScanRequest& request,
                                           v1::PaperRegistration* response);
  absl::Status SubmitPaperRegistration(const RequestInfo& info, const v1::PaperRegistrationActionRequest& request,
                                       v1::PaperRegistration* response);
  absl::Status WithdrawPaperRegistration(const RequestInfo& info, const v1::PaperRegistrationActionRequest& request,
                                         v1::PaperRegistration* response);
  absl::Status ListGraduatePaperRegistrations(const RequestInfo& info,
                                              const v1::ListGraduatePaperRegistrationsRequest& request,
                                              v1::ListPaperRegistrationsResponse* response);

  // The staff's calls, and the scan download for staff and the graduate.
  absl::Status ListPaperRegistrations(const RequestInfo& info, const v1::ListPaperRegistrationsRequest& request,
                                      v1::ListPaperRegistrationsResponse* response);
  // 下载当前查询数据 and 导出退回修改学生名单, streamed to `stream` (list_export.h).
  absl::Status ExportPaperRegistrations(const RequestInfo& info, const v1::ExportPaperRegistrationsRequest& request,
                                        server::StreamWriter<common::v1::HttpFile>& stream);
  absl::Status ExportReturnedPaperRegistrations(const RequestInfo& info,
                                                const v1::ExportPaperRegistrationsRequest& request,
                                                server::StreamWriter<common::v1::HttpFile>& stream);
  absl::Status GetPaperRegistration(const RequestInfo& info, const v1::GetPaperRegistrationRequest& request,
                                    v1::PaperRegistration* response);
  absl::Status DownloadPaperRegistrationScan(const RequestInfo& info,
                                             const v1::DownloadPaperRegistrationScanRequest& request,
                                             common::v1::HttpFile* response);
  absl::Status ReviewPaperRegistration(const RequestInfo& info, const v1::ReviewPaperRegistrationRequest& request,
                                       v1::PaperRegistration* response);
  absl::Status BatchReviewPaperRegistrations(const RequestInfo& info,
                                             const v1::BatchReviewPaperRegistrationsRequest& request,
                                             v1::BatchReviewPaperRegistrationsResponse* response);
  absl::Status ModifyPaperRegistration(const RequestInfo& info, const v1::ModifyPaperRegistrationRequest& request,
                                       v1::PaperRegistration* response);
  absl::Status VoidPaperRegistration(const RequestInfo& info, const v1::VoidPaperRegistrationRequest& request,
                                     v1::PaperRegistration* response);
  absl::Status GetPaperRegistrationPendingCounts(const RequestInfo& info,
                                                 const v1::GetPaperRegistrationPendingCountsRequest& request,
                                                 v1::PaperRegistrationPendingCounts* response);
  // Reports for sync's stale-claim job which records still need their ledger claim. Only the
  // SERVICE principal "sync" may call it.
  absl::Status CheckPaperClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
                                v1::CheckClaimsResponse* response);

 private:
  // Exports the registrations of `request`'s filters. With `returned_only` it exports those
  // returned for revision and ignores `request.status()`.
  absl::Status Export(const RequestInfo& info, const v1::ExportPaperRegistrationsRequest& request,
                      bool returned_only, server::StreamWriter<common::v1::HttpFile>& stream);

  db::Pool& pool_;
  FlowPeers& peers_;
  filestore::FileStore& files_;
  const Clock& clock_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_PAPER_REGISTRATION_H_

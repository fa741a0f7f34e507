// Offline e-agreements (毕业生申请电子就业协议线下签约), for an employer that is not registered.
// The graduate fills in the agreement and the school reviews it (就业协议审核), which issues the
// agreement PDF. The graduate then uploads the scan stamped by the employer, and the school
// reviews the scan (签约审核). Both reviews use the review engine (libs/review) in one or two
// stages by the review mode of the signing settings, each under a flow of its own, so that their
// words, reject reasons and history stay apart.
//
// The destination ledger of sync is the authority for "one graduate, one destination", as in
// online signing: the first submission claims the graduate, a rejection at either review or a
// withdrawal releases the claim, resubmitting a withdrawn record claims again, the signing
// review's approval commits the destination (签就业协议形式就业, which sync sends to the EMS) and a
// void sets the graduate back to 待就业. A return keeps the claim. Each ledger call runs inside the
// local transaction after the record's row is locked, and its request id is derived from the
// record and its version, so that a retry is replayed by sync and not applied twice.
#ifndef QUXIANG_SERVICES_SIGNING_OFFLINE_SIGNING_H_
#define QUXIANG_SERVICES_SIGNING_OFFLINE_SIGNING_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/filestore/file_store.h"
#include "libs/review/flow.h"
#include "libs/review/store.h"
#include "libs/server/server.h"
#include "quxiang/common/v1/files.pb.h"
#include "quxiang/signing/v1/offline_signing.pb.h"
#include "services/signing/agreement_documents.h"
#include "services/signing/agreements.h"
#include "services/signing/flow_peers.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

// The agreement review (就业协议审核): always 审核, with return and withdrawal, no void.
const review::FlowDefinition& OfflineAgreementFlow();
// The signing review of the stamped scan (签约审核): 鉴证 or 审核 by the agreement type, with
// return and withdrawal. A school user may void a completed signing.
const review::FlowDefinition& OfflineSigningFlow();
const review::RecordTable& OfflineAgreementTable();

// The parties of offline agreement `record_id`, for AgreementDocuments::RegisterFlow, so that the
// graduate and the school's staff can download its agreement PDF.
absl::StatusOr<std::optional<RecordParties>> OfflineAgreementParties(db::Session& s, int64_t record_id);

// The record type under which stamped scans are kept in the file store.
inline constexpr char kStampedScanRecordType[] = "signing.offline_agreement";

class OfflineSigning {
 public:
  // `files` keeps the stamped scans; its max_file_bytes is the upload limit.
  // `agreements` issues the agreement PDF on the agreement review's approval.
  OfflineSigning(db::Pool& pool, FlowPeers& peers, filestore::MySqlFileStore& files, Agreements& agreements,
                 const Clock& clock);

  absl::Status CreateOfflineAgreement(const RequestInfo& info, const v1::CreateOfflineAgreementRequest& request,
                                      v1::OfflineAgreement* response);
  absl::Status UpdateOfflineAgreement(const RequestInfo& info, const v1::UpdateOfflineAgreementRequest& request,
                                      v1::OfflineAgreement* response);
  absl::Status WithdrawOfflineAgreement(const RequestInfo& info, const v1::OfflineAgreementActionRequest& request,
                                        v1::OfflineAgreement* response);
  absl::Status UploadStampedAgreement(const RequestInfo& info, const v1::UploadStampedAgreementRequest& request,
                                      v1::OfflineAgreement* response);
  absl::Status ListGraduateOfflineAgreements(const RequestInfo& info,
                                             const v1::ListGraduateOfflineAgreementsRequest& request,
                                             v1::ListOfflineAgreementsResponse* response);
  absl::Status ListOfflineAgreements(const RequestInfo& info, const v1::ListOfflineAgreementsRequest& request,
                                     v1::ListOfflineAgreementsResponse* response);
  // 下载当前查询数据 and 导出退回修改学生名单, streamed to `stream` (list_export.h).
  absl::Status ExportOfflineAgreements(const RequestInfo& info, const v1::ExportOfflineAgreementsRequest& request,
                                       server::StreamWriter<common::v1::HttpFile>& stream);
  absl::Status ExportReturnedOfflineAgreements(const RequestInfo& info,
                                               const v1::ExportOfflineAgreementsRequest& request,
                                               server::StreamWriter<common::v1::HttpFile>& stream);
  absl::Status GetOfflineAgreement(const RequestInfo& info, const v1::GetOfflineAgreementRequest& request,
                                   v1::OfflineAgreement* response);
  absl::Status ReviewOfflineAgreement(const RequestInfo& info, const v1::ReviewOfflineAgreementRequest& request,
                                      v1::OfflineAgreement* response);
  absl::Status BatchReviewOfflineAgreements(const RequestInfo& info,
                                            const v1::BatchReviewOfflineAgreementsRequest& request,
                                            v1::BatchReviewOfflineAgreementsResponse* response);
  absl::Status DownloadStampedScan(const RequestInfo& info, const v1::GetOfflineAgreementRequest& request,
                                   common::v1::HttpFile* response);
  absl::Status VoidOfflineAgreement(const RequestInfo& info, const v1::VoidOfflineAgreementRequest& request,
                                    v1::OfflineAgreement* response);
  absl::Status GetOfflineAgreementPendingCounts(const RequestInfo& info,
                                                const v1::GetOfflineAgreementPendingCountsRequest& request,
                                                v1::OfflineAgreementPendingCounts* response);
  // Reports for sync's stale-claim job which records still need their ledger claim. Only the
  // SERVICE principal "sync" may call it.
  absl::Status CheckOfflineClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
                                  v1::CheckClaimsResponse* response);

 private:
  // Exports the records of `request`'s filters. With `returned_only` it exports the records
  // returned for revision and ignores `request.status()`.
  absl::Status Export(const RequestInfo& info, const v1::ExportOfflineAgreementsRequest& request, bool returned_only,
                      server::StreamWriter<common::v1::HttpFile>& stream);

  db::Pool& pool_;
  FlowPeers& peers_;
  filestore::MySqlFileStore& files_;
  Agreements& agreements_;
  const Clock& clock_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_OFFLINE_SIGNING_H_

// Online signing (线上签约): a registered employer invites a graduate, the graduate accepts or
// declines before the answer deadline, and the school reviews the accepted invitation with the
// review engine (libs/review) in one or two stages by the review mode of the signing settings.
//
// The destination ledger of sync is the authority for "one graduate, one destination": accepting
// claims the graduate there, a rejection releases the claim, the final approval commits the
// destination (签就业协议形式就业, which sync sends to the EMS) and a void sets the graduate back to
// 待就业. Each ledger call runs inside the local transaction after the conditional update has
// locked the record, so that of two reviewers only the winner calls sync, and a failed call
// rolls the local change back. Every ledger request id is derived from the record and its
// version, so that a retry after a lost response is replayed by sync and not applied twice.
#ifndef QUXIANG_SERVICES_SIGNING_ONLINE_SIGNING_H_
#define QUXIANG_SERVICES_SIGNING_ONLINE_SIGNING_H_

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/review/flow.h"
#include "libs/review/store.h"
#include "libs/server/server.h"
#include "quxiang/common/v1/files.pb.h"
#include "quxiang/signing/v1/signing.pb.h"
#include "services/signing/agreements.h"
#include "services/signing/flow_peers.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

// The review flow of online signing: no return (退回修改) and no withdrawal after acceptance, and
// a school user may void a completed signing.
const review::FlowDefinition& OnlineSigningFlow();
const review::RecordTable& OnlineSigningTable();

class OnlineSigning {
 public:
  // `agreements` issues the agreement PDF on the final approval and on each modification.
  OnlineSigning(db::Pool& pool, FlowPeers& peers, const Clock& clock, Agreements& agreements);

  absl::Status CreateInvitation(const RequestInfo& info, const v1::CreateInvitationRequest& request,
                                v1::OnlineSigning* response);
  absl::Status ListEmployerInvitations(const RequestInfo& info, const v1::ListEmployerInvitationsRequest& request,
                                       v1::ListOnlineSigningsResponse* response);
  absl::Status WithdrawInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                  v1::OnlineSigning* response);
  absl::Status ListGraduateInvitations(const RequestInfo& info, const v1::ListGraduateInvitationsRequest& request,
                                       v1::ListOnlineSigningsResponse* response);
  absl::Status AcceptInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                v1::OnlineSigning* response);
  absl::Status DeclineInvitation(const RequestInfo& info, const v1::InvitationActionRequest& request,
                                 v1::OnlineSigning* response);
  absl::Status ListOnlineSignings(const RequestInfo& info, const v1::ListOnlineSigningsRequest& request,
                                  v1::ListOnlineSigningsResponse* response);
  // 下载当前查询数据: the records of ListOnlineSignings for the same filters as an XLSX or CSV
  // file, streamed to `stream` (list_export.h).
  absl::Status ExportOnlineSignings(const RequestInfo& info, const v1::ExportOnlineSigningsRequest& request,
                                    server::StreamWriter<common::v1::HttpFile>& stream);
  absl::Status GetOnlineSigning(const RequestInfo& info, const v1::GetOnlineSigningRequest& request,
                                v1::OnlineSigning* response);
  absl::Status ReviewOnlineSigning(const RequestInfo& info, const v1::ReviewOnlineSigningRequest& request,
                                   v1::OnlineSigning* response);
  absl::Status BatchReviewOnlineSignings(const RequestInfo& info,
                                         const v1::BatchReviewOnlineSigningsRequest& request,
                                         v1::BatchReviewOnlineSigningsResponse* response);
  absl::Status VoidOnlineSigning(const RequestInfo& info, const v1::VoidOnlineSigningRequest& request,
                                 v1::OnlineSigning* response);
  // Replaces the agreement terms of an approved signing (school users with 读写), sends the
  // destination to sync's ledger again and issues the next agreement version.
  absl::Status ModifyOnlineSigning(const RequestInfo& info, const v1::ModifyOnlineSigningRequest& request,
                                   v1::OnlineSigning* response);
  absl::Status GetOnlineSigningPendingCounts(const RequestInfo& info,
                                             const v1::GetOnlineSigningPendingCountsRequest& request,
                                             v1::OnlineSigningPendingCounts* response);
  // Reports for sync's stale-claim job which records still need their ledger claim. Only the
  // SERVICE principal "sync" may call it.
  absl::Status CheckClaims(const RequestInfo& info, const v1::CheckClaimsRequest& request,
                           v1::CheckClaimsResponse* response);

 private:
  // Accepts or declines an invitation as its graduate: `accept` claims the graduate and enters
  // review, else the invitation is declined.
  absl::Status Answer(const RequestInfo& info, const v1::InvitationActionRequest& request, bool accept,
                      v1::OnlineSigning* response);

  db::Pool& pool_;
  FlowPeers& peers_;
  const Clock& clock_;
  Agreements& agreements_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_ONLINE_SIGNING_H_

#include "services/sync/grpc_service.h"

namespace quxiang::sync {
namespace {

RequestInfo ToRequestInfo(const server::CallContext& call) {
  RequestInfo info;
  info.principal = call.principal ? &*call.principal : nullptr;
  info.method = call.method;
  info.trace_id = call.request_id;
  info.deadline = call.deadline;
  info.peer = call.peer;
  return info;
}

}  // namespace

// Each method hands its call to the runtime, which verifies the identity token (every method
// needs one) and runs the domain method of `Owner` on the worker pool.
#define QUXIANG_SYNC_RPC_IMPL(Owner, Method, Request, Response)                                          \
  grpc::ServerUnaryReactor* SyncGrpcService::Method(grpc::CallbackServerContext* context,                \
                                                    const v1::Request* request, v1::Response* response) { \
    return runtime_.Handle<v1::Request, v1::Response>(                                                   \
        context, request, response, "/quxiang.sync.v1.SyncService/" #Method, server::Auth::kRequired,    \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) {                     \
          return domain_.Owner->Method(ToRequestInfo(call), r, out);                                     \
        });                                                                                              \
  }

QUXIANG_SYNC_RPC_IMPL(graduates, ListGraduates, ListGraduatesRequest, ListGraduatesResponse)
QUXIANG_SYNC_RPC_IMPL(graduates, GetGraduate, GetGraduateRequest, Graduate)
QUXIANG_SYNC_RPC_IMPL(graduates, RestoreGraduate, RestoreGraduateRequest, Graduate)
QUXIANG_SYNC_RPC_IMPL(graduates, BatchGetGraduates, BatchGetGraduatesRequest, BatchGetGraduatesResponse)
QUXIANG_SYNC_RPC_IMPL(ems_comparison, CompareGraduateWithEms, CompareGraduateWithEmsRequest, GraduateEmsComparison)
QUXIANG_SYNC_RPC_IMPL(ems_comparison, RefreshGraduateFromEms, RefreshGraduateFromEmsRequest,
                      RefreshGraduateFromEmsResponse)
QUXIANG_SYNC_RPC_IMPL(code_tables, ListCodeTables, ListCodeTablesRequest, ListCodeTablesResponse)
QUXIANG_SYNC_RPC_IMPL(code_tables, GetCodeTable, GetCodeTableRequest, CodeTable)
QUXIANG_SYNC_RPC_IMPL(eligibility, CheckEligibility, CheckEligibilityRequest, Eligibility)
QUXIANG_SYNC_RPC_IMPL(ledger, GetLedgerEntry, GetLedgerEntryRequest, LedgerEntry)
QUXIANG_SYNC_RPC_IMPL(ledger, ClaimGraduate, ClaimGraduateRequest, LedgerEntry)
QUXIANG_SYNC_RPC_IMPL(ledger, ReleaseClaim, ReleaseClaimRequest, LedgerEntry)
QUXIANG_SYNC_RPC_IMPL(ledger, CommitDestination, CommitDestinationRequest, LedgerEntry)
QUXIANG_SYNC_RPC_IMPL(ledger, VoidDestination, VoidDestinationRequest, LedgerEntry)
QUXIANG_SYNC_RPC_IMPL(reconciliation, ReconcileWithEms, ReconcileWithEmsRequest, ReconciliationRun)
QUXIANG_SYNC_RPC_IMPL(reconciliation, ListReconciliationDifferences, ListReconciliationDifferencesRequest,
                      ListReconciliationDifferencesResponse)
QUXIANG_SYNC_RPC_IMPL(statistics, GetStatistics, GetStatisticsRequest, Statistics)
QUXIANG_SYNC_RPC_IMPL(statistics, RecountStatistics, RecountStatisticsRequest, RecountStatisticsResponse)
QUXIANG_SYNC_RPC_IMPL(events, ListEvents, ListEventsRequest, ListEventsResponse)

#undef QUXIANG_SYNC_RPC_IMPL

}  // namespace quxiang::sync

// The gRPC adapter of the sync service: converts calls to RequestInfo and maps nothing else.
#ifndef QUXIANG_SERVICES_SYNC_GRPC_SERVICE_H_
#define QUXIANG_SERVICES_SYNC_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/sync/v1/sync.grpc.pb.h"
#include "services/sync/code_table_catalog.h"
#include "services/sync/eligibility.h"
#include "services/sync/ems_comparison.h"
#include "services/sync/event_feed.h"
#include "services/sync/graduates.h"
#include "services/sync/ledger.h"
#include "services/sync/reconciliation.h"
#include "services/sync/statistics.h"

namespace quxiang::sync {

// The domain objects behind the RPCs.
struct SyncDomain {
  Graduates* graduates = nullptr;
  CodeTableCatalog* code_tables = nullptr;
  EligibilityChecks* eligibility = nullptr;
  Ledger* ledger = nullptr;
  Reconciliation* reconciliation = nullptr;
  Statistics* statistics = nullptr;
  EventFeed* events = nullptr;
  EmsComparison* ems_comparison = nullptr;
};

class SyncGrpcService final : public v1::SyncService::CallbackService {
 public:
  SyncGrpcService(SyncDomain domain, server::Runtime& runtime) : domain_(domain), runtime_(runtime) {}

#define QUXIANG_SYNC_RPC(Method, Request, Response)                                              \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, const v1::Request* request, \
                                   v1::Response* response) override;
  QUXIANG_SYNC_RPC(ListGraduates, ListGraduatesRequest, ListGraduatesResponse)
  QUXIANG_SYNC_RPC(GetGraduate, GetGraduateRequest, Graduate)
  QUXIANG_SYNC_RPC(RestoreGraduate, RestoreGraduateRequest, Graduate)
  QUXIANG_SYNC_RPC(BatchGetGraduates, BatchGetGraduatesRequest, BatchGetGraduatesResponse)
  QUXIANG_SYNC_RPC(CompareGraduateWithEms, CompareGraduateWithEmsRequest, GraduateEmsComparison)
  QUXIANG_SYNC_RPC(RefreshGraduateFromEms, RefreshGraduateFromEmsRequest, RefreshGraduateFromEmsResponse)
  QUXIANG_SYNC_RPC(ListCodeTables, ListCodeTablesRequest, ListCodeTablesResponse)
  QUXIANG_SYNC_RPC(GetCodeTable, GetCodeTableRequest, CodeTable)
  QUXIANG_SYNC_RPC(CheckEligibility, CheckEligibilityRequest, Eligibility)
  QUXIANG_SYNC_RPC(GetLedgerEntry, GetLedgerEntryRequest, LedgerEntry)
  QUXIANG_SYNC_RPC(ClaimGraduate, ClaimGraduateRequest, LedgerEntry)
  QUXIANG_SYNC_RPC(ReleaseClaim, ReleaseClaimRequest, LedgerEntry)
  QUXIANG_SYNC_RPC(CommitDestination, CommitDestinationRequest, LedgerEntry)
  QUXIANG_SYNC_RPC(VoidDestination, VoidDestinationRequest, LedgerEntry)
  QUXIANG_SYNC_RPC(ReconcileWithEms, ReconcileWithEmsRequest, ReconciliationRun)
  QUXIANG_SYNC_RPC(ListReconciliationDifferences, ListReconciliationDifferencesRequest,
                   ListReconciliationDifferencesResponse)
  QUXIANG_SYNC_RPC(GetStatistics, GetStatisticsRequest, Statistics)
  QUXIANG_SYNC_RPC(RecountStatistics, RecountStatisticsRequest, RecountStatisticsResponse)
  QUXIANG_SYNC_RPC(ListEvents, ListEventsRequest, ListEventsResponse)
#undef QUXIANG_SYNC_RPC

 private:
  SyncDomain domain_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_GRPC_SERVICE_H_

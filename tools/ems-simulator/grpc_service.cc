#include "tools/ems-simulator/grpc_service.h"

namespace quxiang::ems_simulator {

// Every method is Auth::kPublic, because the real EMS is an external system with its own
// authentication, and Quxiang's identity tokens play no part in it. The simulator listens on
// loopback by default instead. The runtime still verifies a token that a call carries.
#define QUXIANG_EMS_RPC_IMPL(Service, FullService, Method, Request, Response, Call)                      \
  grpc::ServerUnaryReactor* Service::Method(grpc::CallbackServerContext* context, const v1::Request* request, \
                                            v1::Response* response) {                                    \
    return runtime_.Handle<v1::Request, v1::Response>(                                                   \
        context, request, response, "/quxiang.ems.v1." FullService "/" #Method, server::Auth::kPublic,  \
        [this](server::CallContext& call, const v1::Request& r, v1::Response* out) { return Call; });   \
  }

#define QUXIANG_EMS_SERVICE_RPC(Method, Request, Response)                                  \
  QUXIANG_EMS_RPC_IMPL(EmsGrpcService, "EmsService", Method, Request, Response, \
                       simulator_.Method(call.deadline, r, out))

QUXIANG_EMS_SERVICE_RPC(ListRosterChanges, ListRosterChangesRequest, ListRosterChangesResponse)
QUXIANG_EMS_SERVICE_RPC(GetGraduate, GetGraduateRequest, GetGraduateResponse)
QUXIANG_EMS_SERVICE_RPC(UpsertDestination, UpsertDestinationRequest, DestinationAck)
QUXIANG_EMS_SERVICE_RPC(VoidDestination, VoidDestinationRequest, DestinationAck)
QUXIANG_EMS_SERVICE_RPC(ListDestinations, ListDestinationsRequest, ListDestinationsResponse)
QUXIANG_EMS_SERVICE_RPC(EditDestinationAsSchool, EditDestinationAsSchoolRequest, EmsDestinationRecord)

#define QUXIANG_EMS_CONTROL_RPC(Method, Request, Response, Call) \
  QUXIANG_EMS_RPC_IMPL(EmsSimulatorControlGrpcService, "EmsSimulatorControl", Method, Request, Response, Call)

QUXIANG_EMS_CONTROL_RPC(UploadRoster, UploadRosterRequest, UploadRosterResponse, simulator_.UploadRoster(r, out))
QUXIANG_EMS_CONTROL_RPC(UpsertGraduates, UpsertGraduatesRequest, UploadRosterResponse,
                        simulator_.UpsertGraduates(r, out))
QUXIANG_EMS_CONTROL_RPC(RemoveGraduate, RemoveGraduateRequest, RosterChange, simulator_.RemoveGraduate(r, out))
QUXIANG_EMS_CONTROL_RPC(ReAddGraduate, ReAddGraduateRequest, RosterChange, simulator_.ReAddGraduate(r, out))
QUXIANG_EMS_CONTROL_RPC(SetFaults, Faults, Faults, simulator_.SetFaults(r, out))
QUXIANG_EMS_CONTROL_RPC(GetStats, GetStatsRequest, Stats, (simulator_.GetStats(out), absl::OkStatus()))
QUXIANG_EMS_CONTROL_RPC(Reset, ResetRequest, ResetResponse, (simulator_.Reset(), absl::OkStatus()))

#undef QUXIANG_EMS_CONTROL_RPC
#undef QUXIANG_EMS_SERVICE_RPC
#undef QUXIANG_EMS_RPC_IMPL

}  // namespace quxiang::ems_simulator

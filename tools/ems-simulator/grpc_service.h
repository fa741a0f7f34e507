// The gRPC adapters of the EMS simulator: each method hands its call to the runtime, which runs
// the simulator's method on the worker pool.
#ifndef QUXIANG_TOOLS_EMS_SIMULATOR_GRPC_SERVICE_H_
#define QUXIANG_TOOLS_EMS_SIMULATOR_GRPC_SERVICE_H_

#include "libs/server/server.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::ems_simulator {

class EmsGrpcService final : public v1::EmsService::CallbackService {
 public:
  EmsGrpcService(EmsSimulator& simulator, server::Runtime& runtime) : simulator_(simulator), runtime_(runtime) {}

#define QUXIANG_EMS_RPC(Method, Request, Response)                                                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, const v1::Request* request, \
                                   v1::Response* response) override;
  QUXIANG_EMS_RPC(ListRosterChanges, ListRosterChangesRequest, ListRosterChangesResponse)
  QUXIANG_EMS_RPC(GetGraduate, GetGraduateRequest, GetGraduateResponse)
  QUXIANG_EMS_RPC(UpsertDestination, UpsertDestinationRequest, DestinationAck)
  QUXIANG_EMS_RPC(VoidDestination, VoidDestinationRequest, DestinationAck)
  QUXIANG_EMS_RPC(ListDestinations, ListDestinationsRequest, ListDestinationsResponse)
  QUXIANG_EMS_RPC(EditDestinationAsSchool, EditDestinationAsSchoolRequest, EmsDestinationRecord)

 private:
  EmsSimulator& simulator_;
  server::Runtime& runtime_;
};

class EmsSimulatorControlGrpcService final : public v1::EmsSimulatorControl::CallbackService {
 public:
  EmsSimulatorControlGrpcService(EmsSimulator& simulator, server::Runtime& runtime)
      : simulator_(simulator), runtime_(runtime) {}

  QUXIANG_EMS_RPC(UploadRoster, UploadRosterRequest, UploadRosterResponse)
  QUXIANG_EMS_RPC(UpsertGraduates, UpsertGraduatesRequest, UploadRosterResponse)
  QUXIANG_EMS_RPC(RemoveGraduate, RemoveGraduateRequest, RosterChange)
  QUXIANG_EMS_RPC(ReAddGraduate, ReAddGraduateRequest, RosterChange)
  QUXIANG_EMS_RPC(SetFaults, Faults, Faults)
  QUXIANG_EMS_RPC(GetStats, GetStatsRequest, Stats)
  QUXIANG_EMS_RPC(Reset, ResetRequest, ResetResponse)
#undef QUXIANG_EMS_RPC

 private:
  EmsSimulator& simulator_;
  server::Runtime& runtime_;
};

}  // namespace quxiang::ems_simulator

#endif  // QUXIANG_TOOLS_EMS_SIMULATOR_GRPC_SERVICE_H_

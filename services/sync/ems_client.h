// The calls the sync service makes to the national employment management system (EMS), behind
// an interface so that the domain contains no gRPC types. GrpcEmsClient (grpc_clients.h) is the
// real one.
#ifndef QUXIANG_SERVICES_SYNC_EMS_CLIENT_H_
#define QUXIANG_SERVICES_SYNC_EMS_CLIENT_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::sync {

class EmsClient {
 public:
  virtual ~EmsClient() = default;

  virtual absl::Status ListRosterChanges(absl::Time deadline, const ems::v1::ListRosterChangesRequest& request,
                                         ems::v1::ListRosterChangesResponse* response) = 0;
  virtual absl::Status GetGraduate(absl::Time deadline, const ems::v1::GetGraduateRequest& request,
                                   ems::v1::GetGraduateResponse* response) = 0;
  virtual absl::Status UpsertDestination(absl::Time deadline, const ems::v1::UpsertDestinationRequest& request,
                                         ems::v1::DestinationAck* ack) = 0;
  virtual absl::Status VoidDestination(absl::Time deadline, const ems::v1::VoidDestinationRequest& request,
                                       ems::v1::DestinationAck* ack) = 0;
  virtual absl::Status ListDestinations(absl::Time deadline, const ems::v1::ListDestinationsRequest& request,
                                        ems::v1::ListDestinationsResponse* response) = 0;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_EMS_CLIENT_H_

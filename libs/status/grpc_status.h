// The one conversion between absl::Status and grpc::Status.
//
// ToGrpcStatus puts a serialized google.rpc.Status into the grpc::Status error details, with the
// ErrorInfo and LocalizedMessage of the absl::Status as its details; a status without them gets a
// generic pair so that every error leaving a service has both. FromGrpcStatus is the reverse, for
// service-to-service clients.
#ifndef QUXIANG_LIBS_STATUS_GRPC_STATUS_H_
#define QUXIANG_LIBS_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace quxiang {

grpc::Status ToGrpcStatus(const absl::Status& status);

absl::Status FromGrpcStatus(const grpc::Status& status);

// The HTTP status the gateway returns for a gRPC code, as grpc-gateway and Envoy map them.
int HttpStatusForGrpcCode(grpc::StatusCode code);

}  // namespace quxiang

#endif  // QUXIANG_LIBS_STATUS_GRPC_STATUS_H_

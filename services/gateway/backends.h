// gRPC channels to the backend services named by --backends.
#ifndef QUXIANG_SERVICES_GATEWAY_BACKENDS_H_
#define QUXIANG_SERVICES_GATEWAY_BACKENDS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace quxiang::gateway {

// A generic stub that serializes and parses protobuf messages of any generated type.
using MessageStub =
    grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

struct BackendTarget {
  // Full name of a gRPC service, for example "quxiang.accounts.v1.AccountsService".
  std::string service;
  // A gRPC target: "host:port", "dns:///host:port", "ipv6:[::1]:port", or a list of addresses
  // such as "ipv4:127.0.0.1:50051,127.0.0.1:50052" that round_robin spreads calls over.
  std::string target;
};

// Parses "Service=target,Service=target". The commas inside an "ipv4:" or "ipv6:" address list
// belong to its target. Returns INVALID_ARGUMENT on any other entry without "=", an empty name
// or target, or a service named twice.
absl::StatusOr<std::vector<BackendTarget>> ParseBackends(absl::string_view text);

class BackendPool {
 public:
  // Creates one channel per distinct target, with the round_robin load-balancing policy, so
  // that a dns:/// target naming several addresses (a headless Kubernetes Service) spreads calls
  // over all of them. Every channel sends and receives messages up to `max_message_bytes`.
  // Returns INVALID_ARGUMENT when a service is not in the generated descriptor pool, which means
  // its proto is not linked into the gateway.
  static absl::StatusOr<std::unique_ptr<BackendPool>> Create(
      const std::vector<BackendTarget>& targets, int max_message_bytes = kMinMaxMessageBytes);

  // The lowest message size limit of the channels: gRPC's default receive limit of 4 MiB is
  // too small for a file returned by a unary call.
  static constexpr int kMinMaxMessageBytes = 16 << 20;

  // The stub for `service`, or nullptr when it is not configured.
  MessageStub* StubFor(absl::string_view service) const;
  std::shared_ptr<grpc::Channel> ChannelFor(absl::string_view service) const;

  // Returns true when every channel is READY. Each channel that is not READY is asked to
  // connect, without waiting for it.
  bool AllConnected() const;

  const std::vector<BackendTarget>& targets() const { return targets_; }

 private:
  std::vector<BackendTarget> targets_;
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_by_target_;
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_by_service_;
  std::map<std::string, std::unique_ptr<MessageStub>, std::less<>> stubs_by_service_;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_BACKENDS_H_

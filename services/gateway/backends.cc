#include "services/gateway/backends.h"

#include <climits>
#include <set>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"

namespace quxiang::gateway {

absl::StatusOr<std::vector<BackendTarget>> ParseBackends(absl::string_view text) {
  std::vector<BackendTarget> targets;
  std::set<std::string> seen;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    // An "ipv4:" or "ipv6:" target lists its addresses separated by commas too, so an entry
    // without "=" after such a target is its next address.
    if (!absl::StrContains(entry, '=') && !targets.empty() &&
        (absl::StartsWith(targets.back().target, "ipv4:") ||
         absl::StartsWith(targets.back().target, "ipv6:"))) {
      absl::StrAppend(&targets.back().target, ",", absl::StripAsciiWhitespace(entry));
      continue;
    }
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    std::string service(absl::StripAsciiWhitespace(parts.first));
    std::string target(absl::StripAsciiWhitespace(parts.second));
    if (service.empty() || target.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid --backends entry \"", entry, "\": expected Service=host:port"));
    }
    if (!seen.insert(service).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--backends names service ", service, " twice"));
    }
    targets.push_back({std::move(service), std::move(target)});
  }
  return targets;
}

absl::StatusOr<std::unique_ptr<BackendPool>> BackendPool::Create(
    const std::vector<BackendTarget>& targets, int max_message_bytes) {
  auto pool = std::make_unique<BackendPool>();
  pool->targets_ = targets;

  for (const BackendTarget& backend : targets) {
    if (google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(backend.service) ==
        nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--backends names service ", backend.service,
                       ", which is not among the protos linked into the gateway"));
    }

    auto existing = pool->channels_by_target_.find(backend.target);
    std::shared_ptr<grpc::Channel> channel;
    if (existing != pool->channels_by_target_.end()) {
      channel = existing->second;
    } else {
      grpc::ChannelArguments arguments;
      // Client-side health checking (grpc.health.v1 Watch) takes a replica out of the rotation
      // as soon as it reports NOT_SERVING at the start of its drain, before it shuts down, so no
      // new call races its GOAWAY. A backend without the health service counts as healthy.
      arguments.SetServiceConfigJSON(
          R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}})");
      // Without this a channel unused for 30 minutes goes idle, and /readyz would then report
      // it as not connected until the next call.
      arguments.SetInt(GRPC_ARG_CLIENT_IDLE_TIMEOUT_MS, INT_MAX);
      arguments.SetMaxReceiveMessageSize(max_message_bytes);
      arguments.SetMaxSendMessageSize(max_message_bytes);
      // Without BDP probing a stream's receive window stays at the 64 KiB lookahead (the
      // default in grpc_types.h of gRPC 1.51) instead of growing to several MiB. That bounds
      // what a streamed download buffers while its HTTP client reads slowly: file_transfer_test
      // measured a peak growth of about 2 MiB without probing and 8 to 12 MiB with it.
      arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      // TODO: TLS between the gateway and the services; every channel is plaintext for now.
      channel = grpc::CreateCustomChannel(backend.target, grpc::InsecureChannelCredentials(),
                                          arguments);
      channel->GetState(/*try_to_connect=*/true);
      pool->channels_by_target_.emplace(backend.target, channel);
    }
    pool->channels_by_service_.emplace(backend.service, channel);
    pool->stubs_by_service_.emplace(backend.service, std::make_unique<MessageStub>(channel));
  }
  return pool;
}

MessageStub* BackendPool::StubFor(absl::string_view service) const {
  auto it = stubs_by_service_.find(service);
  return it == stubs_by_service_.end() ? nullptr : it->second.get();
}

std::shared_ptr<grpc::Channel> BackendPool::ChannelFor(absl::string_view service) const {
  auto it = channels_by_service_.find(service);
  return it == channels_by_service_.end() ? nullptr : it->second;
}

bool BackendPool::AllConnected() const {
  bool all_connected = true;
  for (const auto& [target, channel] : channels_by_target_) {
    if (channel->GetState(/*try_to_connect=*/true) != GRPC_CHANNEL_READY) all_connected = false;
  }
  return all_connected;
}

}  // namespace quxiang::gateway

#include "services/gateway/backends.h"

#include "gtest/gtest.h"

namespace quxiang::gateway {
namespace {

TEST(ParseBackends, SplitsServicesAndTargets) {
  auto targets = ParseBackends("a.v1.A=127.0.0.1:1, b.v1.B=dns:///b.ns.svc.cluster.local:50051");
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].service, "a.v1.A");
  EXPECT_EQ((*targets)[0].target, "127.0.0.1:1");
  EXPECT_EQ((*targets)[1].service, "b.v1.B");
  EXPECT_EQ((*targets)[1].target, "dns:///b.ns.svc.cluster.local:50051");
}

TEST(ParseBackends, KeepsAddressListsWhole) {
  auto targets = ParseBackends(
      "a.v1.A=ipv4:127.0.0.1:1,127.0.0.1:2,b.v1.B=ipv6:[::1]:3,[::1]:4,c.v1.C=127.0.0.1:5");
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 3u);
  EXPECT_EQ((*targets)[0].target, "ipv4:127.0.0.1:1,127.0.0.1:2");
  EXPECT_EQ((*targets)[1].target, "ipv6:[::1]:3,[::1]:4");
  EXPECT_EQ((*targets)[2].target, "127.0.0.1:5");
}

TEST(ParseBackends, RejectsBadEntries) {
  // An address without "=" after a target that is not an address list.
  EXPECT_EQ(ParseBackends("a.v1.A=127.0.0.1:1,127.0.0.1:2").status().code(),
            absl::StatusCode::kInvalidArgument);
  // An address list cannot come first.
  EXPECT_EQ(ParseBackends("127.0.0.1:2").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBackends("a.v1.A=").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBackends("=127.0.0.1:1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBackends("a.v1.A=127.0.0.1:1,a.v1.A=127.0.0.1:2").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quxiang::gateway

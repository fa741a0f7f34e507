// Fault injection for the EMS simulator's EmsService calls.
#ifndef QUXIANG_TOOLS_EMS_SIMULATOR_FAULTS_H_
#define QUXIANG_TOOLS_EMS_SIMULATOR_FAULTS_H_

#include <cstdint>
#include <mutex>
#include <random>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "quxiang/ems/v1/ems.pb.h"

namespace quxiang::ems_simulator {

// The decisions of the fault settings for one call.
struct FaultPlan {
  absl::Duration latency = absl::ZeroDuration();
  // Fail with UNAVAILABLE without running the call (down or failure_ratio).
  bool fail_before = false;
  // Run the call, then fail with UNAVAILABLE (lost_ack_ratio).
  bool fail_after = false;
  // Process destination writes twice and list roster changes twice.
  bool duplicate = false;
};

// The fault settings and the random generator behind failure_ratio and lost_ack_ratio. The
// generator is seeded once, so the same seed and the same sequence of calls give the same
// failures. Thread-safe.
class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed);

  // Replaces the settings. Returns INVALID_ARGUMENT for a latency outside 0-60000 ms or a ratio
  // outside 0-1, and keeps the old settings then.
  [[nodiscard]] absl::Status Set(const ems::v1::Faults& faults);
  ems::v1::Faults Get() const;

  // Draws the plan of the next call.
  FaultPlan PlanCall();

  // Clears the settings and reseeds the generator with the start seed.
  void Reset();

 private:
  const uint64_t seed_;
  mutable std::mutex mutex_;
  ems::v1::Faults faults_;
  std::mt19937_64 random_;
};

}  // namespace quxiang::ems_simulator

#endif  // QUXIANG_TOOLS_EMS_SIMULATOR_FAULTS_H_

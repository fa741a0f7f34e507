#include "tools/ems-simulator/faults.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::ems_simulator {
namespace {

constexpr int kMaxLatencyMs = 60000;

absl::Status CheckRatio(double ratio, const char* field) {
  if (std::isfinite(ratio) && ratio >= 0.0 && ratio <= 1.0) return absl::OkStatus();
  return InvalidArgument("INVALID_FAULT_RATIO",
                         absl::StrCat(field, " 必须在 0 到 1 之间，当前为 ", ratio, "。"),
                         {{"field", field}, {"value", absl::StrCat(ratio)}});
}

}  // namespace

FaultInjector::FaultInjector(uint64_t seed) : seed_(seed), random_(seed) {}

absl::Status FaultInjector::Set(const ems::v1::Faults& faults) {
  if (faults.latency_ms() < 0 || faults.latency_ms() > kMaxLatencyMs) {
    return InvalidArgument(
        "INVALID_FAULT_LATENCY",
        absl::StrCat("latency_ms 必须在 0 到 ", kMaxLatencyMs, " 毫秒之间，当前为 ", faults.latency_ms(), "。"),
        {{"field", "latency_ms"}, {"value", absl::StrCat(faults.latency_ms())}});
  }
  if (absl::Status status = CheckRatio(faults.failure_ratio(), "failure_ratio"); !status.ok()) return status;
  if (absl::Status status = CheckRatio(faults.lost_ack_ratio(), "lost_ack_ratio"); !status.ok()) return status;

  std::lock_guard<std::mutex> lock(mutex_);
  faults_ = faults;
  return absl::OkStatus();
}

ems::v1::Faults FaultInjector::Get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return faults_;
}

FaultPlan FaultInjector::PlanCall() {
  std::lock_guard<std::mutex> lock(mutex_);
  FaultPlan plan;
  plan.latency = absl::Milliseconds(faults_.latency_ms());
  plan.duplicate = faults_.duplicate_delivery();

  // Each ratio draws only when it is set, so turning one fault on does not shift the draws of a
  // run that never uses it.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  plan.fail_before = faults_.down() || (faults_.failure_ratio() > 0 && unit(random_) < faults_.failure_ratio());
  if (!plan.fail_before && faults_.lost_ack_ratio() > 0) {
    plan.fail_after = unit(random_) < faults_.lost_ack_ratio();
  }
  return plan;
}

void FaultInjector::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.Clear();
  random_.seed(seed_);
}

}  // namespace quxiang::ems_simulator

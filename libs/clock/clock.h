// Time sources and the calendar time zone of the platform's rules.
//
// Domain code never calls absl::Now() directly: it takes a Clock, so that tests can put the
// clock at a deadline (a lockout ending after 30 minutes, a class that may act until January 31
// of the next year) without waiting.
#ifndef QUXIANG_LIBS_CLOCK_CLOCK_H_
#define QUXIANG_LIBS_CLOCK_CLOCK_H_

#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace quxiang {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process's real clock.
  static const Clock& Real();
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

inline const Clock& Clock::Real() {
  static const RealClock* const kClock = new RealClock();
  return *kClock;
}

// A clock that moves only when told to; thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  void Advance(absl::Duration duration) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += duration;
  }
  void Set(absl::Time time) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ = time;
  }

 private:
  mutable std::mutex mutex_;
  absl::Time now_;
};

// Asia/Shanghai, in which calendar rules ("until January 31") are evaluated. China has had no
// daylight saving time since 1991, so a fixed UTC+8 zone is exact for every date the platform
// handles and needs no tzdata in the container.
inline absl::TimeZone BeijingTimeZone() { return absl::FixedTimeZone(8 * 60 * 60); }

}  // namespace quxiang

#endif  // QUXIANG_LIBS_CLOCK_CLOCK_H_

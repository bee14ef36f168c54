#include "common/clock.h"

#include <time.h>

namespace arbor {

absl::Time MonoNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::UnixEpoch() + absl::Seconds(ts.tv_sec) + absl::Nanoseconds(ts.tv_nsec);
}

namespace {

class Monotonic final : public Clock {
 public:
  constexpr Monotonic() = default;
  absl::Time Now() const override { return MonoNow(); }
};

constinit const Monotonic kMonotonic;

}  // namespace

const Clock& MonotonicClock() { return kMonotonic; }

uint64_t ToMonoMicros(absl::Time t) {
  return static_cast<uint64_t>(absl::ToInt64Microseconds(t - absl::UnixEpoch()));
}

absl::Time FromMonoMicros(uint64_t us) {
  return absl::UnixEpoch() + absl::Microseconds(static_cast<int64_t>(us));
}

}  // namespace arbor

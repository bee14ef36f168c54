// The one clock: CLOCK_MONOTONIC, shared by every process of a host.
#ifndef ARBOR_COMMON_CLOCK_H_
#define ARBOR_COMMON_CLOCK_H_

#include <cstdint>

#include "absl/time/time.h"

namespace arbor {

// Monotonic time as an absl::Time (epoch + CLOCK_MONOTONIC). Deadlines and timers
// use it so wall-clock steps never fire or delay them. Pure modules take `now` as
// an argument instead of calling this.
absl::Time MonoNow();

// A source of that time, so an event loop and its handlers can run on a fake
// one in tests. Now() must be safe to call from any thread (the monotonic one
// is). Not owned through this interface: whoever holds a Clock& needs it to
// outlive them.
class Clock {
 public:
  virtual absl::Time Now() const = 0;

 protected:
  ~Clock() = default;
};

// CLOCK_MONOTONIC (MonoNow): one instance for the whole process, never destroyed.
const Clock& MonotonicClock();

// The same clock in whole microseconds, as carried in Envelope.sent_mono_us.
uint64_t ToMonoMicros(absl::Time t);
absl::Time FromMonoMicros(uint64_t us);

}  // namespace arbor

#endif  // ARBOR_COMMON_CLOCK_H_

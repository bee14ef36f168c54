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

// The same clock in whole microseconds, as carried in Envelope.sent_mono_us.
uint64_t ToMonoMicros(absl::Time t);
absl::Time FromMonoMicros(uint64_t us);

}  // namespace arbor

#endif  // ARBOR_COMMON_CLOCK_H_

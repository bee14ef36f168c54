#include "wire/deadline.h"

#include <algorithm>

#include "common/clock.h"

namespace arbor::wire {

void StampDeadline(v1::Envelope& envelope, absl::Time deadline, absl::Time now) {
  int64_t left = absl::ToInt64Milliseconds(deadline - now);
  envelope.set_budget_ms(static_cast<uint32_t>(std::clamp<int64_t>(left, 0, UINT32_MAX)));
  envelope.set_sent_mono_us(ToMonoMicros(now));
}

absl::Time LocalDeadline(const v1::Envelope& envelope, absl::Time now) {
  absl::Time start = now;
  if (envelope.sent_mono_us() != 0) {
    // Never later than receipt + budget: a bogus future stamp cannot extend it.
    start = std::min(now, FromMonoMicros(envelope.sent_mono_us()));
  }
  return start + absl::Milliseconds(envelope.budget_ms());
}

}  // namespace arbor::wire

// A request's deadline as it travels: budget_ms (time left when sent) plus the
// sender's monotonic clock, so each hop computes its own local deadline and a
// hop that was frozen still sees how late a queued request is.
#ifndef ARBOR_WIRE_DEADLINE_H_
#define ARBOR_WIRE_DEADLINE_H_

#include "absl/time/time.h"
#include "arbor/v1/arbor.pb.h"

namespace arbor::wire {

// Writes budget_ms = deadline - now (at least 0) and sent_mono_us = now.
void StampDeadline(v1::Envelope& envelope, absl::Time deadline, absl::Time now);

// The local deadline of a received request. With sent_mono_us (every hop inside
// one tree shares the host's monotonic clock) it counts from the send;
// without it, from `now`.
absl::Time LocalDeadline(const v1::Envelope& envelope, absl::Time now);

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_DEADLINE_H_

// The pending-call table (rpc/pending_calls.h) over reply envelopes: what the
// controller and the C++ client resolve their calls with.
#ifndef ARBOR_WIRE_CALLS_H_
#define ARBOR_WIRE_CALLS_H_

#include "rpc/pending_calls.h"

namespace arbor::v1 {
class Envelope;
}

namespace arbor::wire {

using Outcome = rpc::Outcome<v1::Envelope>;
using PendingCalls = rpc::PendingCalls<v1::Envelope>;

}  // namespace arbor::wire

#endif  // ARBOR_WIRE_CALLS_H_

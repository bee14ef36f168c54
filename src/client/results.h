// Reply envelopes to the typed values calls resolve to. Each function takes what
// a pending call got (a reply, or the local failure: DEADLINE_EXCEEDED,
// CANCELLED, a send error) and returns that failure, the reply's own status, or
// the value of the body it expects. A successful reply with another body is
// INTERNAL.
#ifndef ARBOR_CLIENT_RESULTS_H_
#define ARBOR_CLIENT_RESULTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "client/types.h"
#include "wire/calls.h"

namespace arbor::client {

using Reply = wire::Outcome;  // valid while the callback runs

absl::StatusOr<CreateResult> CreateResultOf(const Reply& reply);
absl::StatusOr<ExecResult> ExecResultOf(const Reply& reply);
// PingReply.answered: false when the node is dead or did not answer in time.
absl::StatusOr<bool> PingAnsweredOf(const Reply& reply);
absl::Status RemoveStatusOf(const Reply& reply);
// The interval the controller now uses (HeartbeatConfig.interval_ms).
absl::StatusOr<uint32_t> HeartbeatIntervalOf(const Reply& reply);
// Depth-first, children by id: the rows of the CLI's `tree`.
absl::StatusOr<std::vector<NodeInfo>> TopologyOf(const Reply& reply);
absl::StatusOr<ControllerStats> StatsOf(const Reply& reply);
// A watch's confirmation (status OK, no body): the watch id, its correlation id.
absl::StatusOr<WatchId> WatchIdOf(const Reply& reply);
absl::Status UnwatchStatusOf(const Reply& reply);

NodeEvent EventOf(const v1::NodeEvent& event);

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_RESULTS_H_

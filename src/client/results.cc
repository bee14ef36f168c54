#include "client/results.h"

#include "absl/strings/str_cat.h"
#include "client/reply.h"

namespace arbor::client {
namespace {

// The reply's outcome; when it is OK and `expected` is set, the body must be it.
absl::Status Outcome(const Reply& reply, v1::Envelope::BodyCase expected) {
  if (!reply.ok()) return reply.status();
  absl::Status status = ReplyStatus(*reply);
  if (!status.ok()) return status;
  if (expected != v1::Envelope::BODY_NOT_SET && reply->body_case() != expected) {
    return absl::InternalError(
        absl::StrCat("reply has body field ", reply->body_case(), ", expected ", expected));
  }
  return absl::OkStatus();
}

NodeState StateOf(int state) {
  if (state < 0 || state > static_cast<int>(NodeState::kCreating)) return NodeState::kUnspecified;
  return static_cast<NodeState>(state);
}

EventKind KindOf(int kind) {
  if (kind < 0 || kind > static_cast<int>(EventKind::kAdopted)) return EventKind::kUnspecified;
  return static_cast<EventKind>(kind);
}

}  // namespace

absl::StatusOr<CreateResult> CreateResultOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kCreateReply);
  if (!status.ok()) return status;
  return CreateResult{reply->create_reply().id(), reply->create_reply().pid()};
}

absl::StatusOr<ExecResult> ExecResultOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kExecReply);
  if (!status.ok()) return status;
  return ExecResult{reply->exec_reply().found(), reply->exec_reply().value()};
}

absl::StatusOr<bool> PingAnsweredOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kPingReply);
  if (!status.ok()) return status;
  return reply->ping_reply().answered();
}

absl::Status RemoveStatusOf(const Reply& reply) {
  return Outcome(reply, v1::Envelope::kRemoveReply);
}

absl::StatusOr<uint32_t> HeartbeatIntervalOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kHeartbeatConfig);
  if (!status.ok()) return status;
  return reply->heartbeat_config().interval_ms();
}

absl::StatusOr<std::vector<NodeInfo>> TopologyOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kTopologyReply);
  if (!status.ok()) return status;
  std::vector<NodeInfo> nodes;
  nodes.reserve(reply->topology_reply().nodes_size());
  for (const v1::NodeInfo& n : reply->topology_reply().nodes()) {
    nodes.push_back(NodeInfo{n.id(), n.parent(), n.pid(), StateOf(n.state()), n.depth()});
  }
  return nodes;
}

absl::StatusOr<ControllerStats> StatsOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::kStatsReply);
  if (!status.ok()) return status;
  const v1::StatsReply& s = reply->stats_reply();
  return ControllerStats{s.nodes(),     s.pending(),      s.sent(),          s.answered(),
                         s.timed_out(), s.late_replies(), s.dropped_frames()};
}

absl::StatusOr<WatchId> WatchIdOf(const Reply& reply) {
  absl::Status status = Outcome(reply, v1::Envelope::BODY_NOT_SET);
  if (!status.ok()) return status;
  return reply->correlation_id();
}

absl::Status UnwatchStatusOf(const Reply& reply) {
  return Outcome(reply, v1::Envelope::BODY_NOT_SET);
}

NodeEvent EventOf(const v1::NodeEvent& event) {
  EventKind kind = KindOf(event.kind());
  return NodeEvent{event.id(), kind, event.pid(),
                   kind == EventKind::kAdopted ? event.parent() : kControllerId};
}

}  // namespace arbor::client

#include "wire/convert.h"

namespace arbor::wire {

// The api enums are the schema's values, number for number.
static_assert(static_cast<int>(api::NodeState::kCreating) == v1::NODE_STATE_CREATING);
static_assert(static_cast<int>(api::NodeState::kDead) == v1::NODE_STATE_DEAD);
static_assert(static_cast<int>(api::NodeState::kUnavailable) == v1::NODE_STATE_UNAVAILABLE);
static_assert(static_cast<int>(api::NodeState::kAvailable) == v1::NODE_STATE_AVAILABLE);
static_assert(static_cast<int>(api::EventKind::kAdopted) == v1::NODE_EVENT_ADOPTED);
static_assert(static_cast<int>(api::EventKind::kLost) == v1::NODE_EVENT_LOST);
static_assert(static_cast<int>(api::EventKind::kRemoved) == v1::NODE_EVENT_REMOVED);
static_assert(static_cast<int>(api::EventKind::kCreated) == v1::NODE_EVENT_CREATED);
static_assert(static_cast<int>(api::EventKind::kAvailable) == v1::NODE_EVENT_AVAILABLE);
static_assert(static_cast<int>(api::EventKind::kUnavailable) == v1::NODE_EVENT_UNAVAILABLE);

api::NodeState FromWire(v1::NodeState state) {
  int value = static_cast<int>(state);
  if (value < 0 || value > static_cast<int>(api::NodeState::kCreating)) {
    return api::NodeState::kUnspecified;
  }
  return static_cast<api::NodeState>(value);
}

api::EventKind FromWire(v1::NodeEventKind kind) {
  int value = static_cast<int>(kind);
  if (value < 0 || value > static_cast<int>(api::EventKind::kAdopted)) {
    return api::EventKind::kUnspecified;
  }
  return static_cast<api::EventKind>(value);
}

v1::NodeState ToWire(api::NodeState state) { return static_cast<v1::NodeState>(state); }
v1::NodeEventKind ToWire(api::EventKind kind) { return static_cast<v1::NodeEventKind>(kind); }

void ToWire(const std::vector<api::NodeInfo>& nodes, v1::TopologyReply& out) {
  out.mutable_nodes()->Reserve(static_cast<int>(nodes.size()));
  for (const api::NodeInfo& n : nodes) {
    v1::NodeInfo* info = out.add_nodes();
    info->set_id(n.id);
    info->set_parent(n.parent);
    info->set_pid(n.pid);
    info->set_depth(n.depth);
    info->set_state(ToWire(n.state));
    info->set_host(n.host);
  }
}

std::vector<api::NodeInfo> FromWire(const v1::TopologyReply& reply) {
  std::vector<api::NodeInfo> nodes;
  nodes.reserve(reply.nodes_size());
  for (const v1::NodeInfo& n : reply.nodes()) {
    // A controller from before hosts sends none: its nodes are all local.
    nodes.push_back({n.id(), n.parent(), n.pid(), FromWire(n.state()), n.depth(),
                     n.host().empty() ? "local" : n.host()});
  }
  return nodes;
}

void ToWire(const api::Stats& stats, v1::StatsReply& out) {
  out.set_nodes(stats.nodes);
  out.set_pending(stats.pending);
  out.set_sent(stats.sent);
  out.set_answered(stats.answered);
  out.set_timed_out(stats.timed_out);
  out.set_late_replies(stats.late_replies);
  out.set_dropped_frames(stats.dropped_frames);
}

api::Stats FromWire(const v1::StatsReply& s) {
  return api::Stats{s.nodes(),     s.pending(),      s.sent(),          s.answered(),
                    s.timed_out(), s.late_replies(), s.dropped_frames()};
}

void ToWire(const api::NodeEvent& event, v1::NodeEvent& out) {
  out.set_id(event.id);
  out.set_kind(ToWire(event.kind));
  out.set_pid(event.pid);
  if (event.kind == api::EventKind::kAdopted) out.set_parent(event.parent);
}

api::NodeEvent FromWire(const v1::NodeEvent& event) {
  api::EventKind kind = FromWire(event.kind());
  return api::NodeEvent{event.id(), kind, event.pid(),
                        kind == api::EventKind::kAdopted ? event.parent() : kControllerId};
}

}  // namespace arbor::wire

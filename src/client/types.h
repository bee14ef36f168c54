// What the client's calls resolve to: plain values, free of protobuf types.
#ifndef ARBOR_CLIENT_TYPES_H_
#define ARBOR_CLIENT_TYPES_H_

#include <cstdint>

#include "common/ids.h"

namespace arbor::client {

// A watch's id: the correlation id of its WatchRequest (never 0).
using WatchId = uint64_t;

struct CreateResult {
  NodeId id = 0;
  int64_t pid = 0;
};

struct ExecResult {
  // A load: whether the key was there. A save always answers found = true.
  bool found = false;
  int64_t value = 0;
};

// The values of arbor.v1.NodeState.
enum class NodeState {
  kUnspecified = 0,
  kAvailable = 1,
  kUnavailable = 2,
  kDead = 3,
  kCreating = 4
};

struct NodeInfo {
  NodeId id = 0;
  NodeId parent = kControllerId;
  int64_t pid = 0;
  NodeState state = NodeState::kUnspecified;
  int depth = 0;
};

// The controller's counters.
struct ControllerStats {
  uint64_t nodes = 0;
  uint64_t pending = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t timed_out = 0;
  uint64_t late_replies = 0;
  uint64_t dropped_frames = 0;
};

// The values of arbor.v1.NodeEventKind.
enum class EventKind {
  kUnspecified = 0,
  kUnavailable = 1,  // a Heartbit "is unavailable now" line
  kAvailable = 2,    // a Heartbit "is available again" line
  kCreated = 3,      // a create answered Ok (pid set)
  kRemoved = 4,      // a remove answered Ok, or a dead node purged
  kLost = 5,         // the worker process died
  kAdopted = 6,      // its parent died; it re-attached under `parent`
};

struct NodeEvent {
  NodeId id = 0;
  EventKind kind = EventKind::kUnspecified;
  int64_t pid = 0;
  NodeId parent = kControllerId;  // kAdopted: the new parent (-1: the controller)
};

// This client's own counters (Client::counters()).
struct ClientCounters {
  uint64_t sent = 0;            // requests written to the socket
  uint64_t answered = 0;        // calls resolved by a reply
  uint64_t timed_out = 0;       // calls resolved by the local deadline
  uint64_t cancelled = 0;       // calls resolved by Close()
  uint64_t send_failed = 0;     // calls resolved by a failed send or the in-flight cap
  uint64_t late_replies = 0;    // replies to no pending call (late or unknown)
  uint64_t events = 0;          // node events delivered to a watch
  uint64_t dropped_frames = 0;  // frames that did not decode as a reply
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_TYPES_H_

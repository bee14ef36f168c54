// What the controller's operations answer, as plain values: one type per
// result, shared by the CLI (cli/format.h prints them), the client endpoint
// (wire/convert.h puts them on the wire) and the C++ client (which resolves its
// calls with them). Free of protobuf and ZeroMQ.
#ifndef ARBOR_API_RESULTS_H_
#define ARBOR_API_RESULTS_H_

#include <cstdint>
#include <string>

#include "common/ids.h"

namespace arbor::api {

// create: the new worker.
struct CreateResult {
  NodeId id = 0;
  int64_t pid = 0;
};

// exec: a load says whether the key was there; a save always answers found.
struct ExecResult {
  bool found = false;
  int64_t value = 0;
};

// A node's state as `tree` shows it; the values of arbor.v1.NodeState.
enum class NodeState {
  kUnspecified = 0,
  kAvailable = 1,
  kUnavailable = 2,
  kDead = 3,
  kCreating = 4,
};

// One row of `tree`: depth-first, children by id.
struct NodeInfo {
  NodeId id = 0;
  NodeId parent = kControllerId;
  int64_t pid = 0;
  NodeState state = NodeState::kUnspecified;
  int depth = 0;
  std::string host = "local";  // the host it runs on
};

// One host of the hosts file (`hosts`): where its workers bind, and how many
// nodes of the topology run there.
struct HostInfo {
  std::string name;
  std::string address;
  int64_t nodes = 0;
};

// The controller's counters (`stats`).
struct Stats {
  uint64_t nodes = 0;
  uint64_t pending = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t timed_out = 0;
  uint64_t late_replies = 0;
  uint64_t dropped_frames = 0;
};

// What happened to a node; the values of arbor.v1.NodeEventKind.
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

}  // namespace arbor::api

#endif  // ARBOR_API_RESULTS_H_

// What the front ends (the command line, the client endpoint) can ask of the
// controller's core: the one interface both call and the core implements.
// Every result is an absl status whose code is the wire's (the CLI formats it,
// the client endpoint sends it); each callback runs exactly once, on the
// controller's loop.
#ifndef ARBOR_API_OPERATIONS_H_
#define ARBOR_API_OPERATIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::api {

template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;
using DoneStatus = absl::AnyInvocable<void(absl::Status)>;

// What an operation waits for before it runs (dispatch/queue.h): every node
// in `nodes` settled (not being created, moved or removed) and every earlier
// operation waiting on one of them run.
using Nodes = absl::InlinedVector<NodeId, 2>;  // the target, and a create's parent
struct Order {
  Nodes nodes;
  bool is_remove = false;  // also wait for the target's children to settle
  // Still waiting then, it runs anyway (and answers DEADLINE_EXCEEDED itself).
  absl::Time deadline = absl::InfiniteFuture();
  bool sequenced = false;  // a CLI line: waits behind an earlier waiting barrier
  // Set: a barrier (the CLI's `tree`, `stats`) that runs once this holds and
  // no node is moving.
  absl::AnyInvocable<bool() const> barrier;

  // A client's request (not sequenced, no barrier).
  static Order For(Nodes nodes, bool is_remove, absl::Time deadline) {
    Order order;
    order.nodes = std::move(nodes);
    order.is_remove = is_remove;
    order.deadline = deadline;
    return order;
  }
};

class Operations {
 public:
  virtual ~Operations() = default;

  using Nodes = api::Nodes;
  using Order = api::Order;
  // Runs `op` now, or once `order` allows.
  virtual void Dispatch(Order order, absl::AnyInvocable<void()> op) = 0;

  // A zero `timeout` means the default of ControllerOptions.
  // create: on `host` (empty: its parent's host); pid, or ALREADY_EXISTS,
  // NOT_FOUND (parent), UNAVAILABLE (parent), FAILED_PRECONDITION (parent below
  // id), INVALID_ARGUMENT "Unknown host 'x'", DEADLINE_EXCEEDED (no Hello),
  // INTERNAL.
  virtual void Create(NodeId id, NodeId parent, const std::string& host, absl::Duration timeout,
                      Done<CreateResult> done) = 0;
  // exec: NOT_FOUND (no node), UNAVAILABLE (dead, unreachable), DEADLINE_EXCEEDED.
  virtual void Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
                    absl::Duration timeout, Done<ExecResult> done) = 0;
  // ping: whether it answered; NOT_FOUND for an unknown id.
  virtual void Ping(NodeId id, absl::Duration timeout, Done<bool> done) = 0;
  // remove: OK, NOT_FOUND, UNAVAILABLE or DEADLINE_EXCEEDED.
  virtual void Remove(NodeId id, absl::Duration timeout, DoneStatus done) = 0;
  virtual void SetHeartbeat(int64_t interval_ms) = 0;
  // Depth-first, children by id.
  virtual std::vector<api::NodeInfo> Topology() const = 0;
  virtual api::Stats Stats() const = 0;
  // hosts: every host of the hosts file, in its order (`local` alone without one).
  virtual std::vector<api::HostInfo> Hosts() const = 0;
  // watch: `on_event` gets every node event from now on (created, lost,
  // removed, adopted, and each Heartbit transition), in order, until the core
  // is destroyed. The CLI prints the transitions; the client endpoint streams
  // them to its watchers.
  virtual void Watch(absl::AnyInvocable<void(const NodeEvent&)> on_event) = 0;
  // A frame that did not parse or validate, seen outside the controller's loop
  // code (the client endpoint).
  virtual void CountDroppedFrame() = 0;
  // False once shutdown began: the front ends take no new request (the client
  // endpoint answers UNAVAILABLE, the command line reads no more lines).
  virtual bool Accepting() const = 0;
};

}  // namespace arbor::api

#endif  // ARBOR_API_OPERATIONS_H_

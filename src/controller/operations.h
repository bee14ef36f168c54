// What the command line and the clients can ask of the tree. Every result is an
// absl status whose code is the wire's (the CLI formats it, the client endpoint
// sends it); each callback runs exactly once, on the controller's loop.
#ifndef ARBOR_CONTROLLER_OPERATIONS_H_
#define ARBOR_CONTROLLER_OPERATIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::controller {

template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;
using DoneStatus = absl::AnyInvocable<void(absl::Status)>;

class Operations {
 public:
  virtual ~Operations() = default;

  // Runs `op` now, or once every node in `nodes` has settled (is not being
  // created, moved or removed) and every earlier operation waiting on one of
  // them has run. `is_remove`: also wait for the node's children to settle.
  // An operation still waiting at `deadline` runs then anyway (it is expected
  // to answer DEADLINE_EXCEEDED itself).
  using Nodes = absl::InlinedVector<NodeId, 2>;  // the target, and a create's parent
  virtual void Dispatch(Nodes nodes, bool is_remove, absl::Time deadline,
                        absl::AnyInvocable<void()> op) = 0;

  // A zero `timeout` means the default of ControllerOptions.
  // create: pid, or ALREADY_EXISTS, NOT_FOUND (parent), UNAVAILABLE (parent),
  // FAILED_PRECONDITION (parent below id), DEADLINE_EXCEEDED (no Hello), INTERNAL.
  virtual void Create(NodeId id, NodeId parent, absl::Duration timeout,
                      Done<api::CreateResult> done) = 0;
  // exec: NOT_FOUND (no node), UNAVAILABLE (dead, unreachable), DEADLINE_EXCEEDED.
  virtual void Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
                    absl::Duration timeout, Done<api::ExecResult> done) = 0;
  // ping: whether it answered; NOT_FOUND for an unknown id.
  virtual void Ping(NodeId id, absl::Duration timeout, Done<bool> done) = 0;
  // remove: OK, NOT_FOUND, UNAVAILABLE or DEADLINE_EXCEEDED.
  virtual void Remove(NodeId id, absl::Duration timeout, DoneStatus done) = 0;
  virtual void SetHeartbeat(int64_t interval_ms) = 0;
  // Depth-first, children by id.
  virtual std::vector<api::NodeInfo> Topology() const = 0;
  virtual api::Stats Stats() const = 0;
  // A frame that did not parse or validate, seen outside the controller's loop
  // code (the client endpoint).
  virtual void CountDroppedFrame() = 0;
  // False once shutdown began: new requests answer UNAVAILABLE.
  virtual bool Accepting() const = 0;
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_OPERATIONS_H_

// The controller's view of the tree: who is whose parent, each node's state and
// link health, the route to a node (O(depth)), and the checks `create` needs.
// Pure: no I/O, no clock.
#ifndef ARBOR_TREE_TOPOLOGY_H_
#define ARBOR_TREE_TOPOLOGY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::tree {

enum class NodeState { kCreating, kAlive, kDead };

struct Node {
  NodeId id = 0;
  NodeId parent = kControllerId;
  std::set<NodeId> children;  // ordered: `tree` lists children by id
  NodeState state = NodeState::kCreating;
  pid_t pid = 0;              // 0 until spawned
  std::string endpoint;       // its ROUTER for children, known from its Hello
  bool link_up = true;        // the parent's verdict on the link to this node
  bool reported_available = true;  // what the last Heartbit line said
  bool reattaching = false;   // told to move to a new parent, Hello not seen yet
  bool removing = false;      // a remove is in flight: its subtree is moving
  uint64_t hello_attempt = 0;  // Hello.attempt of the newest Hello taken from this pid
  bool orphaned = false;       // its parent died; not heard from since
  // A create over a dead node: what to restore if it fails.
  struct Previous {
    NodeId parent;
    pid_t pid;
  };
  std::optional<Previous> previous;
};

// A change of heartbeat availability: one `Heartbit:` line.
struct Transition {
  NodeId id;
  bool available;
};

class Topology {
 public:
  const Node* Find(NodeId id) const;
  Node* Find(NodeId id);
  size_t size() const { return nodes_.size(); }

  // OK when `id` may be created under `parent`: ALREADY_EXISTS (id alive,
  // frozen or being created), NOT_FOUND (parent unknown), FAILED_PRECONDITION
  // (parent is `id` or below it), UNAVAILABLE (parent dead, being created, or not
  // reachable by its links).
  absl::Status CheckCreate(NodeId id, NodeId parent) const;
  // Adds `id` (or revives it when dead) as kCreating under `parent`. Requires a
  // passing CheckCreate.
  void BeginCreate(NodeId id, NodeId parent);
  // The worker said Hello: alive, link up; its availability is set silently.
  void FinishCreate(NodeId id, const std::string& endpoint);
  // Creation failed: a new node is erased, a re-created one is dead again.
  void AbortCreate(NodeId id);

  void MarkDead(NodeId id);
  // `id` said Hello under `parent`: it moved there (re-attached after a remove).
  void Move(NodeId id, NodeId parent);
  // Erases `id`; its children move to its parent with their links up and their
  // last reported availability kept (the new parent has not judged them yet).
  void Remove(NodeId id);

  // The hops from the controller's child down to `id` (inclusive); empty when
  // `id` is unknown.
  // Inline up to depth 8: no allocation on the hot path of shallow trees.
  using Path = absl::InlinedVector<NodeId, 8>;
  Path Route(NodeId id) const;
  // Alive and every node on the route alive with its link up.
  bool Reachable(NodeId id) const;
  // Every link on the route up (death ignored: Heartbit lines come from the
  // silence detector only).
  bool LinksUp(NodeId id) const;
  // True when `id` or a node above it is being created, moved or removed:
  // requests to it wait until that settles.
  bool Settling(NodeId id) const;
  // True when `ancestor` is on the route to `id` (a node is its own ancestor).
  bool IsOnRoute(NodeId ancestor, NodeId id) const;

  // Records the parent's verdict on `id`'s link and returns the Heartbit lines it
  // causes, sorted by id (the node and its subtree). A dead node can still be
  // reported unavailable (its silence shows after the kill), never available.
  std::vector<Transition> SetLinkUp(NodeId id, bool up);
  // `heartbit 0`: every link up, silently.
  void ClearLinks();

  // Depth-first, children (and roots) by id.
  struct Row {
    int depth;
    const Node* node;
  };
  std::vector<Row> Rows() const;
  // `id` and everything below it.
  std::vector<NodeId> Subtree(NodeId id) const;
  const std::set<NodeId>& roots() const { return roots_; }

 private:
  std::set<NodeId>& ChildrenOf(NodeId parent);
  Node& Get(NodeId id) { return nodes_.find(id)->second; }  // id must exist
  const Node& Get(NodeId id) const { return nodes_.find(id)->second; }

  absl::flat_hash_map<NodeId, Node> nodes_;
  std::set<NodeId> roots_;  // children of the controller
};

// The state `tree` shows (and clients get): creating, dead, available, unavailable.
api::NodeState ShownState(const Node& node, bool reachable);

}  // namespace arbor::tree

#endif  // ARBOR_TREE_TOPOLOGY_H_

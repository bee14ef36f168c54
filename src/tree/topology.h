// The controller's view of the tree: who is whose parent, each node's lifecycle
// state and link health, the route to a node (O(depth)), and the checks
// `create` and a Hello need. Pure: no I/O, no clock.
//
// A node's lifecycle is one state (Lifecycle), changed only by the named
// transitions below; nothing outside this class writes a Node. Link health
// (the parent's verdict, what the last Heartbit line said) is a second,
// independent dimension, changed only by SetLinkUp and ClearLinks.
#ifndef ARBOR_TREE_TOPOLOGY_H_
#define ARBOR_TREE_TOPOLOGY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "api/results.h"
#include "common/ids.h"

namespace arbor::tree {

// The transitions, each a method below:
//   BeginCreate    (none), dead         -> creating
//   FinishCreate   creating             -> alive
//   AbortCreate    creating             -> erased, or dead again (a re-create)
//   BeginRemove    alive, orphaned      -> removing
//   Exited         removing             -> leaving
//   RemoveFailed   removing             -> alive (orphaned if its parent is dead);
//                  leaving              -> (the caller marks it dead)
//   Remove         any                  -> erased; its children move to its parent
//   BeginReattach  alive, orphaned      -> reattaching
//   EndReattach    reattaching          -> alive (orphaned if its parent is dead)
//   TakeHello      orphaned, reattaching -> alive (other states are kept)
//   MarkDead       any                  -> dead; its alive children -> orphaned
enum class Lifecycle {
  kCreating,  // asked its parent / spawned; no Hello yet
  kAlive,
  kOrphaned,     // alive, but its parent died; not heard from since (adoption)
  kReattaching,  // its parent was removed and told it to move; no Hello yet
  kRemoving,     // a remove is in flight: its subtree is moving
  kLeaving,      // being removed, and its process exited: the remove's answer decides
  kDead,
};
std::string_view LifecycleName(Lifecycle state);

struct Node {
  NodeId id = 0;
  NodeId parent = kControllerId;
  std::set<NodeId> children;   // ordered: `tree` lists children by id
  std::string host = "local";  // the host it runs on (hosts/hosts_file.h)
  Lifecycle state = Lifecycle::kCreating;
  pid_t pid = 0;         // 0 until spawned
  std::string endpoint;  // its plain ROUTER for children, known from its Hello
  // With more than one host: its CURVE ROUTER (from its Hello) and the public
  // key issued for this incarnation (at BeginCreate).
  std::string curve_endpoint;
  std::string public_key;
  // The pending call waiting for its Hello (creating, reattaching); 0: none.
  CallId hello_call = 0;
  uint64_t hello_attempt = 0;      // Hello.attempt of the newest Hello taken from this pid
  bool link_up = true;             // the parent's verdict on the link to this node
  bool reported_available = true;  // what the last Heartbit line said
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

// What a Hello claims, and the link it came up through.
// (That a root's Hello comes through its own link is the tree link's check.)
struct HelloClaim {
  NodeId from;  // the controller's child it arrived through
  NodeId id;
  NodeId parent;
  pid_t pid;
  uint64_t attempt;
  // The incarnation's public key, with more than one host: it names the
  // process instead of `pid` when the node has one.
  std::string public_key = {};
};

class Topology {
 public:
  const Node* Find(NodeId id) const;
  size_t size() const { return nodes_.size(); }
  // Bumped by every lifecycle transition and every move: what waits on the
  // tree (dispatch/queue.h) looks again only when it changed.
  uint64_t generation() const { return generation_; }

  // ---- creating ----
  // OK when `id` may be created under `parent`: ALREADY_EXISTS (id alive,
  // frozen or being created), NOT_FOUND (parent unknown), FAILED_PRECONDITION
  // (parent is `id` or below it), UNAVAILABLE (parent dead, being created, or not
  // reachable by its links).
  absl::Status CheckCreate(NodeId id, NodeId parent) const;
  // Adds `id` (or revives it when dead) as creating under `parent`, to run on
  // `host`. Requires a passing CheckCreate.
  void BeginCreate(NodeId id, NodeId parent, const std::string& host = "local",
                   const std::string& public_key = "");
  // The host `id` runs on; "local" for the controller and unknown ids.
  const std::string& HostOf(NodeId id) const;
  // Its process runs as `pid`; `hello_call` waits for its Hello.
  void Spawned(NodeId id, pid_t pid, CallId hello_call);
  // The worker said Hello: alive, link up; its availability is set silently.
  void FinishCreate(NodeId id, const std::string& endpoint, const std::string& curve_endpoint = "");
  // Creation failed: a new node is erased, a re-created one is dead again.
  void AbortCreate(NodeId id);

  // ---- Hellos ----
  // OK when a Hello with `claim` may be taken; otherwise why not (stale: an old
  // incarnation, forwarded late by a frozen ancestor, or through a stale link;
  // forged or garbled: under its own subtree, or under a dead or unknown parent).
  absl::Status CheckHello(const HelloClaim& claim) const;
  // Takes a Hello that passed CheckHello from a node that is not being
  // created: it now sits under `parent` (re-attached after a remove, or
  // adopted after its parent died) and is alive again if it was orphaned or
  // reattaching. Returns true when that is an adoption (ADOPTED event): it was
  // orphaned or changed parent, and was not told to move.
  bool TakeHello(const HelloClaim& claim, const std::string& endpoint,
                 const std::string& curve_endpoint = "");
  // Records the attempt of a creating node's Hello (FinishCreate follows).
  void NoteHello(const HelloClaim& claim);

  // ---- dying, removing, moving ----
  // Dead, from any state; its alive children are orphaned. (A creating node
  // is never marked dead by the core: its exit fails its Hello wait, and
  // AbortCreate follows.)
  void MarkDead(NodeId id);
  // Alive -> removing.
  void BeginRemove(NodeId id);
  // Its process exited while removing: removing -> leaving.
  void Exited(NodeId id);
  // The remove failed: back to alive (orphaned if its parent died meanwhile).
  // Returns true, changing nothing, when its process had exited (leaving): the
  // caller marks it dead.
  bool RemoveFailed(NodeId id);
  // Erases `id`; its children move to its parent with their links up and their
  // last reported availability kept (the new parent has not judged them yet).
  void Remove(NodeId id);
  // Told to move by its removed parent: alive or orphaned -> reattaching, its
  // Hello awaited by `hello_call`. No-op in any other state.
  void BeginReattach(NodeId id, CallId hello_call);
  // The wait for its Hello ended (answered, timed out or failed): reattaching ->
  // alive (orphaned if its parent is dead).
  void EndReattach(NodeId id);

  // The node whose current process is `pid`, if any.
  std::optional<NodeId> NodeOfPid(pid_t pid) const;

  // ---- queries ----
  // The hops from the controller's child down to `id` (inclusive); empty when
  // `id` is unknown.
  // Inline up to depth 8: no allocation on the hot path of shallow trees.
  using Path = absl::InlinedVector<NodeId, 8>;
  Path Route(NodeId id) const;
  // Running (alive, orphaned, reattaching, removing or leaving) and every node
  // on the route so, with its link up.
  bool Reachable(NodeId id) const;
  // Every link on the route up (death ignored: Heartbit lines come from the
  // silence detector only).
  bool LinksUp(NodeId id) const;
  // True when `id` or a node above it is being created, moved or removed:
  // requests to it wait until that settles.
  bool Settling(NodeId id) const;
  // True when a child of `id` is being created, moved or removed.
  bool ChildrenSettling(NodeId id) const;
  // True while any node is reattaching.
  bool AnyReattaching() const { return reattaching_ > 0; }
  // True when `ancestor` is on the route to `id` (a node is its own ancestor).
  bool IsOnRoute(NodeId ancestor, NodeId id) const;

  // ---- link health ----
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
  Node* Mutable(NodeId id);
  std::set<NodeId>& ChildrenOf(NodeId parent);
  Node& Get(NodeId id) { return nodes_.find(id)->second; }  // id must exist
  const Node& Get(NodeId id) const { return nodes_.find(id)->second; }
  // Every state change goes through here (the reattaching count, the generation).
  void SetState(Node& node, Lifecycle state);
  void SetPid(Node& node, pid_t pid);
  // `id` said Hello under `parent`: it moved there.
  void Move(Node& node, NodeId parent);
  // Alive, or orphaned when its parent is dead.
  Lifecycle Settled(const Node& node) const;

  absl::flat_hash_map<NodeId, Node> nodes_;
  std::set<NodeId> roots_;  // children of the controller
  absl::flat_hash_map<pid_t, NodeId> pids_;
  int reattaching_ = 0;
  uint64_t generation_ = 0;
};

// Settled enough to carry calls: not creating, not dead.
bool Running(Lifecycle state);

// The state `tree` shows (and clients get): creating, dead, available, unavailable.
api::NodeState ShownState(const Node& node, bool reachable);

}  // namespace arbor::tree

#endif  // ARBOR_TREE_TOPOLOGY_H_

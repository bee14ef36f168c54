#include "tree/topology.h"

#include <algorithm>

namespace arbor::tree {

std::string_view LifecycleName(Lifecycle state) {
  switch (state) {
    case Lifecycle::kCreating:
      return "creating";
    case Lifecycle::kAlive:
      return "alive";
    case Lifecycle::kOrphaned:
      return "orphaned";
    case Lifecycle::kReattaching:
      return "reattaching";
    case Lifecycle::kRemoving:
      return "removing";
    case Lifecycle::kLeaving:
      return "leaving";
    case Lifecycle::kDead:
      return "dead";
  }
  return "?";
}

bool Running(Lifecycle state) { return state != Lifecycle::kCreating && state != Lifecycle::kDead; }

const Node* Topology::Find(NodeId id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

Node* Topology::Mutable(NodeId id) {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::set<NodeId>& Topology::ChildrenOf(NodeId parent) {
  if (parent == kControllerId) return roots_;
  return Get(parent).children;
}

void Topology::SetState(Node& node, Lifecycle state) {
  if (node.state == Lifecycle::kReattaching) --reattaching_;
  if (state == Lifecycle::kReattaching) ++reattaching_;
  node.state = state;
  ++generation_;
}

void Topology::SetPid(Node& node, pid_t pid) {
  auto it = pids_.find(node.pid);
  if (it != pids_.end() && it->second == node.id) pids_.erase(it);
  node.pid = pid;
  if (pid != 0) pids_[pid] = node.id;
}

Lifecycle Topology::Settled(const Node& node) const {
  if (node.parent == kControllerId) return Lifecycle::kAlive;
  const Node* parent = Find(node.parent);
  return parent != nullptr && parent->state == Lifecycle::kDead ? Lifecycle::kOrphaned
                                                                : Lifecycle::kAlive;
}

std::optional<NodeId> Topology::NodeOfPid(pid_t pid) const {
  auto it = pids_.find(pid);
  if (it == pids_.end()) return std::nullopt;
  return it->second;
}

// ---- creating ----

absl::Status Topology::CheckCreate(NodeId id, NodeId parent) const {
  const Node* existing = Find(id);
  if (existing != nullptr && existing->state != Lifecycle::kDead) {
    return absl::AlreadyExistsError("already exists");
  }
  if (parent == kControllerId) return absl::OkStatus();
  const Node* p = Find(parent);
  if (p == nullptr) return absl::NotFoundError("parent not found");
  if (existing != nullptr && IsOnRoute(id, parent)) {
    return absl::FailedPreconditionError("parent is a descendant of id");
  }
  if (!Reachable(parent)) return absl::UnavailableError("parent is unavailable");
  return absl::OkStatus();
}

const std::string& Topology::HostOf(NodeId id) const {
  static const std::string* local = new std::string("local");
  const Node* n = Find(id);
  return n == nullptr ? *local : n->host;
}

void Topology::BeginCreate(NodeId id, NodeId parent, const std::string& host,
                           const std::string& public_key) {
  Node* existing = Mutable(id);
  if (existing != nullptr) {
    existing->previous = Node::Previous{existing->parent, existing->pid};
    ChildrenOf(existing->parent).erase(id);
  } else {
    existing = &nodes_[id];
    existing->id = id;
  }
  existing->parent = parent;
  existing->host = host;
  existing->public_key = public_key;
  SetState(*existing, Lifecycle::kCreating);
  SetPid(*existing, 0);
  existing->endpoint.clear();
  existing->curve_endpoint.clear();
  existing->hello_call = 0;
  existing->hello_attempt = 0;  // a new process counts its Hellos from 1
  ChildrenOf(parent).insert(id);
}

void Topology::Spawned(NodeId id, pid_t pid, CallId hello_call) {
  Node* n = Mutable(id);
  if (n == nullptr || n->state != Lifecycle::kCreating) return;
  SetPid(*n, pid);
  n->hello_call = hello_call;
}

void Topology::FinishCreate(NodeId id, const std::string& endpoint,
                            const std::string& curve_endpoint) {
  Node* n = Mutable(id);
  if (n == nullptr) return;
  SetState(*n, Lifecycle::kAlive);
  n->endpoint = endpoint;
  n->curve_endpoint = curve_endpoint;
  n->hello_call = 0;
  n->link_up = true;
  n->previous.reset();
  n->reported_available = LinksUp(id);
}

void Topology::AbortCreate(NodeId id) {
  Node* n = Mutable(id);
  if (n == nullptr) return;
  if (!n->previous) {
    Remove(id);
    return;
  }
  // Back where the dead node was (its old parent may be gone by now).
  NodeId parent = n->previous->parent;
  if (parent != kControllerId && Find(parent) == nullptr) parent = kControllerId;
  SetPid(*n, 0);
  n->pid = n->previous->pid;  // its exit was seen long ago: not indexed
  n->previous.reset();
  n->hello_call = 0;
  SetState(*n, Lifecycle::kDead);
  Move(*n, parent);
}

// ---- Hellos ----

absl::Status Topology::CheckHello(const HelloClaim& claim) const {
  const Node* node = Find(claim.id);
  if (node == nullptr ||
      (node->public_key.empty() ? node->pid != claim.pid : node->public_key != claim.public_key)) {
    return absl::NotFoundError("not the node's current process");
  }
  if (node->state == Lifecycle::kDead) return absl::NotFoundError("the node is dead");
  if (node->state == Lifecycle::kCreating && node->parent != claim.parent) {
    return absl::InvalidArgumentError("created under another parent");
  }
  // Forwarded late by an ancestor that was frozen while the node moved on.
  if (claim.attempt != 0 && claim.attempt <= node->hello_attempt) {
    return absl::AlreadyExistsError("an older Hello than the one taken");
  }
  if (claim.parent == kControllerId) return absl::OkStatus();
  const Node* parent = Find(claim.parent);
  if (parent == nullptr) return absl::NotFoundError("unknown parent");
  if (parent->state == Lifecycle::kDead) return absl::NotFoundError("the parent is dead");
  // Never under its own subtree (a forged or garbled Hello).
  if (IsOnRoute(claim.id, claim.parent)) return absl::InvalidArgumentError("under itself");
  // It came up through its parent's root: not through a stale link.
  if (Route(claim.parent).front() != claim.from) {
    return absl::InvalidArgumentError("through another root than its parent's");
  }
  return absl::OkStatus();
}

void Topology::NoteHello(const HelloClaim& claim) {
  if (Node* n = Mutable(claim.id)) n->hello_attempt = claim.attempt;
}

bool Topology::TakeHello(const HelloClaim& claim, const std::string& endpoint,
                         const std::string& curve_endpoint) {
  Node* n = Mutable(claim.id);
  if (n == nullptr) return false;
  n->hello_attempt = claim.attempt;
  bool adopted = (n->state == Lifecycle::kOrphaned || n->parent != claim.parent) &&
                 n->state != Lifecycle::kReattaching;
  Move(*n, claim.parent);
  n->endpoint = endpoint;
  n->curve_endpoint = curve_endpoint;
  if (n->state == Lifecycle::kOrphaned || n->state == Lifecycle::kReattaching) {
    n->hello_call = 0;  // the caller resolves the wait it read before
    SetState(*n, Lifecycle::kAlive);
  }
  return adopted;
}

// ---- dying, removing, moving ----

void Topology::Move(Node& n, NodeId parent) {
  if (n.parent == parent) return;
  ChildrenOf(n.parent).erase(n.id);
  n.parent = parent;
  n.link_up = true;  // the new parent has not judged it yet
  ChildrenOf(parent).insert(n.id);
  ++generation_;
}

void Topology::MarkDead(NodeId id) {
  Node* n = Mutable(id);
  if (n == nullptr) return;
  SetState(*n, Lifecycle::kDead);
  n->hello_call = 0;
  for (NodeId c : n->children) {
    Node& child = Get(c);
    if (child.state == Lifecycle::kAlive) SetState(child, Lifecycle::kOrphaned);
  }
}

void Topology::BeginRemove(NodeId id) {
  Node* n = Mutable(id);
  if (n == nullptr || (n->state != Lifecycle::kAlive && n->state != Lifecycle::kOrphaned)) return;
  SetState(*n, Lifecycle::kRemoving);
}

void Topology::Exited(NodeId id) {
  Node* n = Mutable(id);
  if (n != nullptr && n->state == Lifecycle::kRemoving) SetState(*n, Lifecycle::kLeaving);
}

bool Topology::RemoveFailed(NodeId id) {
  Node* n = Mutable(id);
  if (n == nullptr) return false;
  if (n->state == Lifecycle::kLeaving) return true;  // the caller marks it dead
  if (n->state == Lifecycle::kRemoving) SetState(*n, Settled(*n));
  return false;
}

void Topology::BeginReattach(NodeId id, CallId hello_call) {
  Node* n = Mutable(id);
  if (n == nullptr || (n->state != Lifecycle::kAlive && n->state != Lifecycle::kOrphaned)) return;
  SetState(*n, Lifecycle::kReattaching);
  n->hello_call = hello_call;
}

void Topology::EndReattach(NodeId id) {
  Node* n = Mutable(id);
  if (n == nullptr || n->state != Lifecycle::kReattaching) return;
  n->hello_call = 0;
  SetState(*n, Settled(*n));
}

void Topology::Remove(NodeId id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  Node& gone = it->second;
  SetState(gone, Lifecycle::kDead);  // keeps the reattaching count true
  SetPid(gone, 0);
  NodeId parent = gone.parent;
  std::set<NodeId> children = std::move(gone.children);
  ChildrenOf(parent).erase(id);
  nodes_.erase(it);
  for (NodeId c : children) {
    Node& child = Get(c);
    child.parent = parent;
    // The old parent's verdict left with it; the new one has not judged yet.
    // What was last reported stays until the child is heard from (SetLinkUp).
    child.link_up = true;
    ChildrenOf(parent).insert(c);
  }
}

Topology::Path Topology::Route(NodeId id) const {
  Path route;
  for (const Node* n = Find(id); n != nullptr; n = Find(n->parent)) {
    route.push_back(n->id);
    if (n->parent == kControllerId) break;
  }
  std::reverse(route.begin(), route.end());
  return route;
}

bool Topology::Reachable(NodeId id) const {
  const Node* n = Find(id);
  if (n == nullptr) return false;
  for (; n != nullptr; n = Find(n->parent)) {
    if (!Running(n->state) || !n->link_up) return false;
    if (n->parent == kControllerId) return true;
  }
  return false;
}

bool Topology::LinksUp(NodeId id) const {
  for (const Node* n = Find(id); n != nullptr; n = Find(n->parent)) {
    if (!n->link_up) return false;
    if (n->parent == kControllerId) return true;
  }
  return false;
}

bool Topology::Settling(NodeId id) const {
  for (const Node* n = Find(id); n != nullptr; n = Find(n->parent)) {
    if (n->state == Lifecycle::kCreating || n->state == Lifecycle::kReattaching ||
        n->state == Lifecycle::kRemoving || n->state == Lifecycle::kLeaving) {
      return true;
    }
    if (n->parent == kControllerId) return false;
  }
  return false;
}

bool Topology::ChildrenSettling(NodeId id) const {
  const Node* node = Find(id);
  if (node == nullptr) return false;
  for (NodeId child : node->children) {
    switch (Get(child).state) {
      case Lifecycle::kCreating:
      case Lifecycle::kRemoving:
      case Lifecycle::kLeaving:
      case Lifecycle::kReattaching:
        return true;
      default:
        break;
    }
  }
  return false;
}

bool Topology::IsOnRoute(NodeId ancestor, NodeId id) const {
  for (const Node* n = Find(id); n != nullptr; n = Find(n->parent)) {
    if (n->id == ancestor) return true;
    if (n->parent == kControllerId) return false;
  }
  return false;
}

std::vector<NodeId> Topology::Subtree(NodeId id) const {
  std::vector<NodeId> out;
  if (Find(id) == nullptr) return out;
  std::vector<NodeId> stack = {id};
  while (!stack.empty()) {
    NodeId n = stack.back();
    stack.pop_back();
    out.push_back(n);
    for (NodeId c : Get(n).children) stack.push_back(c);
  }
  return out;
}

std::vector<Transition> Topology::SetLinkUp(NodeId id, bool up) {
  std::vector<Transition> out;
  Node* n = Mutable(id);
  if (n == nullptr) return out;
  // A dead node's link never comes up again: what it sent before it died may
  // still arrive (a cut link's TCP retransmits it once the link is back), and
  // its subtree stays unreachable behind it.
  if (up && n->state == Lifecycle::kDead) return out;
  n->link_up = up;
  std::vector<NodeId> affected = Subtree(id);
  std::sort(affected.begin(), affected.end());
  for (NodeId a : affected) {
    Node& node = Get(a);
    bool available = LinksUp(a);
    if (node.state == Lifecycle::kCreating) {
      node.reported_available = available;  // a new node starts silently
      continue;
    }
    if (node.state == Lifecycle::kDead && available) continue;  // never "available again"
    if (available != node.reported_available) {
      node.reported_available = available;
      out.push_back({a, available});
    }
  }
  return out;
}

void Topology::ClearLinks() {
  for (auto& [id, node] : nodes_) {
    node.link_up = true;
    node.reported_available = true;
  }
}

std::vector<Topology::Row> Topology::Rows() const {
  std::vector<Row> rows;
  std::vector<std::pair<int, NodeId>> stack;
  for (auto it = roots_.rbegin(); it != roots_.rend(); ++it) stack.push_back({0, *it});
  while (!stack.empty()) {
    auto [depth, id] = stack.back();
    stack.pop_back();
    const Node& n = Get(id);
    rows.push_back({depth, &n});
    for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
      stack.push_back({depth + 1, *it});
    }
  }
  return rows;
}

api::NodeState ShownState(const Node& node, bool reachable) {
  switch (node.state) {
    case Lifecycle::kCreating:
      return api::NodeState::kCreating;
    case Lifecycle::kDead:
      return api::NodeState::kDead;
    case Lifecycle::kReattaching:
      return api::NodeState::kUnavailable;  // moving to a new parent: not yet
    default:
      return reachable ? api::NodeState::kAvailable : api::NodeState::kUnavailable;
  }
}

}  // namespace arbor::tree

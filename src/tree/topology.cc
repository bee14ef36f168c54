#include "tree/topology.h"

#include <algorithm>

namespace arbor::tree {

const Node* Topology::Find(NodeId id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

Node* Topology::Find(NodeId id) {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::set<NodeId>& Topology::ChildrenOf(NodeId parent) {
  if (parent == kControllerId) return roots_;
  return Get(parent).children;
}

absl::Status Topology::CheckCreate(NodeId id, NodeId parent) const {
  const Node* existing = Find(id);
  if (existing != nullptr && existing->state != NodeState::kDead) {
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

void Topology::BeginCreate(NodeId id, NodeId parent) {
  Node* existing = Find(id);
  if (existing != nullptr) {
    existing->previous = Node::Previous{existing->parent, existing->pid};
    ChildrenOf(existing->parent).erase(id);
  } else {
    existing = &nodes_[id];
    existing->id = id;
  }
  existing->parent = parent;
  existing->state = NodeState::kCreating;
  existing->pid = 0;
  existing->endpoint.clear();
  existing->reattaching = false;
  existing->removing = false;
  existing->hello_attempt = 0;  // a new process counts its Hellos from 1
  existing->orphaned = false;
  ChildrenOf(parent).insert(id);
}

void Topology::FinishCreate(NodeId id, const std::string& endpoint) {
  Node* n = Find(id);
  if (n == nullptr) return;
  n->state = NodeState::kAlive;
  n->endpoint = endpoint;
  n->link_up = true;
  n->previous.reset();
  n->reported_available = LinksUp(id);
}

void Topology::AbortCreate(NodeId id) {
  Node* n = Find(id);
  if (n == nullptr) return;
  if (!n->previous) {
    Remove(id);
    return;
  }
  // Back where the dead node was (its old parent may be gone by now).
  NodeId parent = n->previous->parent;
  if (parent != kControllerId && Find(parent) == nullptr) parent = kControllerId;
  n->pid = n->previous->pid;
  n->previous.reset();
  n->state = NodeState::kDead;
  Move(id, parent);
}

void Topology::Move(NodeId id, NodeId parent) {
  Node* n = Find(id);
  if (n == nullptr || n->parent == parent) return;
  ChildrenOf(n->parent).erase(id);
  n->parent = parent;
  n->link_up = true;  // the new parent has not judged it yet
  ChildrenOf(parent).insert(id);
}

void Topology::MarkDead(NodeId id) {
  Node* n = Find(id);
  if (n != nullptr) {
    n->state = NodeState::kDead;
    n->reattaching = false;
    for (NodeId c : n->children) {
      if (Node* child = Find(c); child != nullptr && child->state == NodeState::kAlive) {
        child->orphaned = true;
      }
    }
  }
}

void Topology::Remove(NodeId id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  NodeId parent = it->second.parent;
  std::set<NodeId> children = std::move(it->second.children);
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
    if (n->state != NodeState::kAlive || !n->link_up) return false;
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
    if (n->state == NodeState::kCreating || n->reattaching || n->removing) return true;
    if (n->parent == kControllerId) return false;
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
  Node* n = Find(id);
  if (n == nullptr) return out;
  n->link_up = up;
  std::vector<NodeId> affected = Subtree(id);
  std::sort(affected.begin(), affected.end());
  for (NodeId a : affected) {
    Node& node = Get(a);
    bool available = LinksUp(a);
    if (node.state == NodeState::kCreating) {
      node.reported_available = available;  // a new node starts silently
      continue;
    }
    if (node.state == NodeState::kDead && available) continue;  // never "available again"
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
    case NodeState::kCreating:
      return api::NodeState::kCreating;
    case NodeState::kDead:
      return api::NodeState::kDead;
    case NodeState::kAlive:
      return reachable && !node.reattaching ? api::NodeState::kAvailable
                                            : api::NodeState::kUnavailable;
  }
  return api::NodeState::kUnavailable;
}

}  // namespace arbor::tree

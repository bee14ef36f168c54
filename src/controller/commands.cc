// The controller's commands: each turns a parsed line into calls on the tree and
// exactly one answer.
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controller/controller.h"

namespace arbor::controller {

void Controller::OnLine(std::string_view line) {
  cli::Parsed parsed = cli::ParseLine(line);
  if (std::holds_alternative<std::monostate>(parsed)) return;
  if (auto* error = std::get_if<cli::ParseError>(&parsed)) {
    std::vector<NodeId> nodes;
    if (error->node) nodes.push_back(*error->node);
    Answer(order_.Add(nodes), error->line);
    return;
  }
  cli::Command command = std::get<cli::Command>(std::move(parsed));
  if (std::holds_alternative<cli::QuitCommand>(command)) {
    // Exactly like EOF: nothing after it is read.
    input_.Discard();
    input_.SetEof();
    return;
  }
  Submit(order_.Add(cli::NodesOf(command)), std::move(command));
}

bool Controller::IsBarrier(const cli::Command& command) const {
  return std::holds_alternative<cli::TreeCommand>(command) ||
         std::holds_alternative<cli::StatsCommand>(command);
}

bool Controller::Blocked(uint64_t seq, const cli::Command& command) const {
  // `tree` and `stats` show the state after every command before them, and
  // nothing after them starts before they have answered.
  if (!deferred_barriers_.empty() && *deferred_barriers_.begin() < seq) return true;
  if (IsBarrier(command)) return order_.oldest() != seq || !reattach_calls_.empty();
  std::vector<NodeId> nodes = cli::NodesOf(command);
  // Behind an earlier command that waits on the same node (O(1) each).
  for (NodeId id : nodes) {
    if (deferred_names_.contains(id)) return true;
  }
  for (NodeId id : nodes) {
    if (topology_.Settling(id)) return true;
    const tree::Node* node = topology_.Find(id);
    // A remove also waits for its children to settle, so `create 12 10` (or
    // `remove 12`) then `remove 10` hands 12's subtree over instead of losing it.
    if (node != nullptr && std::holds_alternative<cli::RemoveCommand>(command)) {
      for (NodeId child : node->children) {
        const tree::Node* c = topology_.Find(child);
        if (c->state == tree::NodeState::kCreating || c->removing || c->reattaching) return true;
      }
    }
  }
  return false;
}

void Controller::Defer(uint64_t seq, cli::Command command) {
  for (NodeId id : cli::NodesOf(command)) ++deferred_names_[id];
  if (IsBarrier(command)) deferred_barriers_.insert(seq);
  deferred_.push_back({seq, std::move(command)});
}

void Controller::Submit(uint64_t seq, cli::Command command) {
  // A command that names a node still being created (or moved) waits for it,
  // behind any earlier command that waits on the same node.
  if (Blocked(seq, command)) {
    Defer(seq, std::move(command));
    return;
  }
  Execute(seq, command);
}

void Controller::PumpDeferred() {
  pump_needed_ = false;
  bool was_dispatching = dispatching_;
  dispatching_ = true;  // no new line may slip in between deferred ones
  std::deque<Deferred> waiting = std::move(deferred_);
  deferred_.clear();
  deferred_names_.clear();  // rebuilt from the entries that keep waiting
  deferred_barriers_.clear();
  for (Deferred& d : waiting) {
    if (Blocked(d.seq, d.command)) {
      Defer(d.seq, std::move(d.command));
    } else {
      Execute(d.seq, d.command);
    }
  }
  dispatching_ = was_dispatching;
}

void Controller::Execute(uint64_t seq, const cli::Command& command) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cli::CreateCommand>) {
          DoCreate(seq, c);
        } else if constexpr (std::is_same_v<T, cli::ExecCommand>) {
          DoExec(seq, c);
        } else if constexpr (std::is_same_v<T, cli::PingCommand>) {
          DoPing(seq, c);
        } else if constexpr (std::is_same_v<T, cli::RemoveCommand>) {
          DoRemove(seq, c);
        } else if constexpr (std::is_same_v<T, cli::HeartbitCommand>) {
          DoHeartbit(seq, c);
        } else if constexpr (std::is_same_v<T, cli::TreeCommand>) {
          DoTree(seq);
        } else if constexpr (std::is_same_v<T, cli::StatsCommand>) {
          DoStats(seq);
        } else if constexpr (std::is_same_v<T, cli::HelpCommand>) {
          Answer(seq, cli::HelpLines());
        }
      },
      command);
}

void Controller::Answer(uint64_t seq, std::vector<std::string> lines) {
  std::vector<std::string> ready = order_.Complete(seq, std::move(lines));
  for (const std::string& line : ready) Print(line);
  if (!deferred_.empty()) pump_needed_ = true;
  if (options_.prompt && !ready.empty() && order_.waiting() == 0 && !shutting_down_) Print("> ");
}

// ---- create ----

void Controller::DoCreate(uint64_t seq, const cli::CreateCommand& create) {
  absl::Status allowed = topology_.CheckCreate(create.id, create.parent);
  if (!allowed.ok()) {
    Answer(seq, cli::FormatCreate(allowed));
    return;
  }
  topology_.BeginCreate(create.id, create.parent);
  if (create.parent == kControllerId) {
    SpawnWorker(seq, create.id);
    return;
  }
  // Ask the parent through the tree whether it can take a child: a frozen or
  // unreachable parent answers "Parent is unavailable" instead of a spawn.
  v1::Envelope ask;
  ask.mutable_create_request()->set_child_id(create.id);
  NodeId id = create.id;
  Call(create.parent, std::move(ask), options_.request_timeout,
       [this, seq, id](absl::StatusOr<v1::Envelope> reply) {
         if (!reply.ok() || !reply->has_create_reply()) {
           topology_.AbortCreate(id);
           Answer(seq, cli::FormatCreate(absl::UnavailableError("parent did not answer")));
           pump_needed_ = true;
           return;
         }
         SpawnWorker(seq, id);
       });
}

void Controller::SpawnWorker(uint64_t seq, NodeId id) {
  tree::Node* node = topology_.Find(id);
  NodeId parent = node == nullptr ? kControllerId : node->parent;
  if (node == nullptr || (parent != kControllerId && !topology_.Reachable(parent))) {
    topology_.AbortCreate(id);
    Answer(seq, cli::FormatCreate(absl::UnavailableError("parent is unavailable")));
    pump_needed_ = true;
    return;
  }
  absl::StatusOr<pid_t> pid =
      workers_->Spawn({id, parent, EndpointOf(parent), heartbeat_ms_});
  if (!pid.ok()) {
    topology_.AbortCreate(id);
    Answer(seq, cli::FormatCreate(absl::InternalError(pid.status().message())));
    pump_needed_ = true;
    return;
  }
  node->pid = *pid;
  pid_to_node_[*pid] = id;
  pid_t spawned = *pid;
  CallId call = pending_.Add(
      MonoNow() + options_.hello_timeout, id,
      [this, seq, id, spawned](absl::StatusOr<v1::Envelope> hello) {
        creating_calls_.erase(id);
        pump_needed_ = true;
        if (hello.ok() && !hello->has_hello()) hello = absl::InternalError("unexpected reply");
        if (hello.ok()) {
          topology_.FinishCreate(id, hello->hello().endpoint());
          Answer(seq, cli::FormatCreate(static_cast<int64_t>(spawned)));
          return;
        }
        workers_->Kill(spawned);  // no Hello in time, or its parent is gone
        pid_to_node_.erase(spawned);
        topology_.AbortCreate(id);
        absl::Status status = hello.status();
        if (absl::IsDeadlineExceeded(status)) {
          log_.Warn("node %d (pid %d) did not say Hello in time: killed", id, spawned);
        }
        Answer(seq, cli::FormatCreate(status));
      });
  creating_calls_[id] = call;
}

// ---- exec, ping ----

void Controller::DoExec(uint64_t seq, const cli::ExecCommand& exec) {
  const tree::Node* node = topology_.Find(exec.id);
  bool is_save = exec.value.has_value();
  if (node == nullptr) {
    Answer(seq, cli::FormatExec(exec.id, exec.key, is_save, absl::NotFoundError("no such node")));
    return;
  }
  if (!topology_.Reachable(exec.id)) {
    Answer(seq, cli::FormatExec(exec.id, exec.key, is_save,
                                absl::UnavailableError("node is unavailable")));
    return;
  }
  v1::Envelope request;
  v1::ExecRequest* body = request.mutable_exec_request();
  body->set_key(exec.key);
  if (is_save) body->set_value(*exec.value);
  Call(exec.id, std::move(request), options_.request_timeout,
       [this, seq, id = exec.id, key = exec.key, is_save](absl::StatusOr<v1::Envelope> reply) {
         absl::StatusOr<cli::ExecResult> result = absl::InternalError("unexpected reply");
         if (!reply.ok()) {
           result = reply.status();
         } else if (reply->has_exec_reply()) {
           result = cli::ExecResult{reply->exec_reply().found(), reply->exec_reply().value()};
         }
         Answer(seq, cli::FormatExec(id, key, is_save, result));
       });
}

void Controller::DoPing(uint64_t seq, const cli::PingCommand& ping) {
  const tree::Node* node = topology_.Find(ping.id);
  if (node == nullptr) {
    Answer(seq, cli::FormatPing(absl::NotFoundError("no such node")));
    return;
  }
  if (node->state == tree::NodeState::kDead) {
    Answer(seq, cli::FormatPing(false));
    return;
  }
  v1::Envelope request;
  request.mutable_ping_request();
  Call(ping.id, std::move(request), options_.request_timeout,
       [this, seq](absl::StatusOr<v1::Envelope> reply) {
         Answer(seq, cli::FormatPing(reply.ok() && reply->has_ping_reply()));
       });
}

// ---- remove ----

void Controller::DoRemove(uint64_t seq, const cli::RemoveCommand& remove) {
  tree::Node* node = topology_.Find(remove.id);
  if (node == nullptr) {
    Answer(seq, cli::FormatRemove(absl::NotFoundError("no such node")));
    return;
  }
  if (node->state == tree::NodeState::kDead) {
    // Purge: its children (dead too, or about to be) move to its parent.
    detector_.Forget(remove.id);
    topology_.Remove(remove.id);
    Answer(seq, cli::FormatRemove(absl::OkStatus()));
    return;
  }
  if (!topology_.Reachable(remove.id)) {
    Answer(seq, cli::FormatRemove(absl::UnavailableError("node is unavailable")));
    return;
  }
  node->removing = true;
  pump_needed_ = true;
  v1::Envelope request;
  request.mutable_remove_request()->set_new_parent_id(node->parent);
  request.mutable_remove_request()->set_new_parent_endpoint(EndpointOf(node->parent));
  Call(remove.id, std::move(request), options_.request_timeout,
       [this, seq, id = remove.id, pid = node->pid](absl::StatusOr<v1::Envelope> reply) {
         tree::Node* gone = topology_.Find(id);
         if (gone != nullptr) gone->removing = false;
         bool exited = exited_while_removing_.erase(id) > 0;
         pump_needed_ = true;
         if (!reply.ok() || !reply->has_remove_reply()) {
           if (exited && gone != nullptr && gone->pid == pid) MarkDead(id);
           Answer(seq, cli::FormatRemove(reply.ok() ? absl::UnavailableError("bad reply")
                                                    : reply.status()));
           return;
         }
         if (gone != nullptr && gone->pid == pid) {
           // It exits by itself; its exit is no news any more.
           pid_to_node_.erase(pid);
           detector_.Forget(id);
           // Children that said Hello to their new parent already moved; the
           // others it told are on their way.
           std::vector<NodeId> told;
           for (NodeId child : reply->remove_reply().children()) {
             if (gone->children.contains(child)) told.push_back(child);
           }
           topology_.Remove(id);
           for (NodeId child : told) ExpectReattach(child);
         }
         Answer(seq, cli::FormatRemove(absl::OkStatus()));
       });
}

void Controller::ExpectReattach(NodeId id) {
  tree::Node* node = topology_.Find(id);
  if (node == nullptr || node->state != tree::NodeState::kAlive) return;
  node->reattaching = true;
  reattach_calls_[id] = pending_.Add(
      MonoNow() + options_.hello_timeout, id, [this, id](absl::StatusOr<v1::Envelope> hello) {
        reattach_calls_.erase(id);
        pump_needed_ = true;
        tree::Node* n = topology_.Find(id);
        if (n == nullptr) return;
        n->reattaching = false;
        // A frozen child re-attaches when it wakes; until then its requests time out.
        if (!hello.ok()) log_.Debug("node %d did not re-attach: %s", id, hello.status().ToString());
      });
}

// ---- heartbit, tree, stats ----

void Controller::DoHeartbit(uint64_t seq, const cli::HeartbitCommand& heartbit) {
  heartbeat_ms_ = heartbit.interval_ms;
  detector_.SetInterval(absl::Milliseconds(heartbit.interval_ms), loop_.now());
  if (heartbit.interval_ms == 0) topology_.ClearLinks();
  v1::Envelope config;
  config.mutable_heartbeat_config()->set_interval_ms(static_cast<uint32_t>(heartbit.interval_ms));
  for (NodeId root : topology_.roots()) SendToRoot(root, config).IgnoreError();
  ArmHeartbeatTimer();
  Answer(seq, "Ok");
}

void Controller::DoTree(uint64_t seq) {
  std::vector<cli::TreeRow> rows;
  for (const tree::Topology::Row& row : topology_.Rows()) {
    const tree::Node& n = *row.node;
    rows.push_back({row.depth, n.id, n.pid, tree::StateName(n, topology_.Reachable(n.id))});
  }
  Answer(seq, cli::FormatTree(rows));
}

void Controller::DoStats(uint64_t seq) {
  cli::Stats stats = stats_;
  stats.nodes = topology_.size();
  stats.pending = pending_.size();
  Answer(seq, cli::FormatStats(stats));
}

}  // namespace arbor::controller

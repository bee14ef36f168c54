// The core's operations on the tree (api/operations.h): each turns
// a request into calls down the tree and exactly one result.
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controller/core.h"
#include "wire/lineage.h"

namespace arbor::controller {

absl::Duration Core::TimeoutOr(absl::Duration timeout) const {
  return timeout > absl::ZeroDuration() ? timeout : options_.request_timeout;
}

// ---- dispatch order ----

void Core::Dispatch(Order order, absl::AnyInvocable<void()> run) {
  dispatch::Operation op;
  static_cast<api::Order&>(op) = std::move(order);
  op.run = std::move(run);
  queue_.Add(std::move(op));
}

// ---- create ----

void Core::Create(NodeId id, NodeId parent, const std::string& host, absl::Duration timeout,
                  api::Done<api::CreateResult> done) {
  // A caller's budget covers the whole create: asking the parent, then Hello.
  absl::Time deadline = timeout > absl::ZeroDuration()
                            ? loop_.ReadClock() + timeout
                            : loop_.ReadClock() + options_.request_timeout + options_.hello_timeout;
  // Without @host a node runs on its parent's host: a subtree stays on its machine.
  std::string on = host.empty() ? topology_.HostOf(parent) : host;
  const hosts::Host* where = options_.hosts.Find(on);
  if (where == nullptr) {
    done(absl::InvalidArgumentError(absl::StrCat("Unknown host '", on, "'")));
    return;
  }
  absl::Status allowed = topology_.CheckCreate(id, parent);
  if (!allowed.ok()) {
    done(allowed);
    return;
  }
  // One key pair per incarnation: the public half goes to every process that
  // may see it connect (the controller, and each hop of the ask below, its
  // parent last), the secret to the worker alone, on its stdin.
  // A routing token goes with it, as secret: the ID part of a routing id is
  // public, the token makes it unclaimable by another key.
  transport::CurveKeyPair keys;
  launch::WorkerSecrets secrets;
  if (multi_host_) {
    absl::StatusOr<transport::CurveKeyPair> made = transport::GenerateCurveKeyPair();
    absl::StatusOr<std::string> token = transport::NewRoutingToken();
    if (!made.ok() || !token.ok()) {
      done(absl::InternalError((made.ok() ? token.status() : made.status()).message()));
      return;
    }
    keys = *std::move(made);
    secrets = launch::WorkerSecrets{keys.secret_z85, *std::move(token)};
    if (absl::Status ok = children_->Allow(id, keys.public_z85, secrets.token,
                                           /*curve_only=*/where->name != hosts::kLocal);
        !ok.ok()) {
      done(absl::InternalError(ok.message()));
      return;
    }
  }
  topology_.BeginCreate(id, parent, where->name, keys.public_z85);
  if (parent == kControllerId) {
    SpawnWorker(id, deadline, secrets, std::move(done));
    return;
  }
  // Ask the parent through the tree whether it can take a child: a frozen or
  // unreachable parent answers "Parent is unavailable" instead of a spawn.
  v1::Envelope ask;
  ask.mutable_create_request()->set_child_id(id);
  ask.mutable_create_request()->set_child_public_key(keys.public_z85);
  ask.mutable_create_request()->set_child_token(secrets.token);
  ask.mutable_create_request()->set_host(where->name);
  Call(parent, ask, std::min(TimeoutOr(timeout), options_.request_timeout),
       [this, id, deadline, secrets = std::move(secrets),
        done = std::move(done)](wire::Outcome reply) mutable {
         if (!reply.ok() || !reply->has_create_reply()) {
           AbortCreate(id);
           done(absl::UnavailableError("parent did not answer"));
           return;
         }
         SpawnWorker(id, deadline, secrets, std::move(done));
       });
}

std::vector<wire::Ancestor> Core::AncestorsBeyond(NodeId parent) const {
  std::vector<wire::Ancestor> chain;
  if (parent == kControllerId) return chain;
  for (const tree::Node* n = topology_.Find(parent); n != nullptr; n = topology_.Find(n->parent)) {
    if (n->parent == kControllerId) break;
    chain.push_back(RecordOf(n->parent));
  }
  chain.push_back(RecordOf(kControllerId));
  return wire::Trimmed(std::move(chain));
}

void Core::SendLineage(NodeId id) {
  const tree::Node* node = topology_.Find(id);
  tree::Topology::Path route = topology_.Route(id);
  if (node == nullptr || route.empty()) return;
  v1::Envelope lineage;
  lineage.set_target(id);
  for (size_t i = 1; i < route.size(); ++i) lineage.add_route(route[i]);
  wire::ToLineage(AncestorsBeyond(node->parent), *lineage.mutable_lineage());
  SendToRoot(route[0], lineage).IgnoreError();  // lost: the worker says Hello again
}

void Core::AbortCreate(NodeId id) {
  ForgetLink(id);
  topology_.AbortCreate(id);
}

void Core::SpawnWorker(NodeId id, absl::Time deadline, const launch::WorkerSecrets& secrets,
                       api::Done<api::CreateResult> done) {
  const tree::Node* node = topology_.Find(id);
  NodeId parent = node == nullptr ? kControllerId : node->parent;
  if (node == nullptr || (parent != kControllerId && !topology_.Reachable(parent))) {
    AbortCreate(id);
    done(absl::UnavailableError("parent is unavailable"));
    return;
  }
  const hosts::Host* host = options_.hosts.Find(node->host);  // checked by Create
  bool local = host->name == hosts::kLocal;
  launch::WorkerArgs args = worker_args_;
  args.id = id;
  args.parent = parent;
  wire::Ancestor parent_record = RecordOf(parent);
  args.parent_curve_endpoint = parent_record.curve_endpoint;
  args.parent_key = parent_record.public_key;
  args.heartbeat = absl::Milliseconds(heartbeat_ms_);
  if (options_.adopt_orphans) args.ancestors = AncestorsBeyond(parent);
  process::WorkerPool::Launch launch;
  if (multi_host_) {
    args.host = host->name;
    args.curve_address = host->address;
    launch.lifeline = true;
    launch.first_words = launch::SecretLine(secrets);
  }
  if (local) {
    args.parent_endpoint = parent_record.endpoint;
  } else {
    // Another host: through its launcher, which is our child in the worker's
    // place (its exit is the node's death). Nothing there is ours to clean up
    // (no ipc directory), its parent is the launcher, and the plain endpoints
    // of this host are of no use to it (and its command line stays
    // shell-safe for launchers that pass it through a remote shell).
    launch.launcher = host->launcher;
    args.ipc_dir.clear();
    args.controller_pid = 0;
    for (wire::Ancestor& a : args.ancestors) {
      if (!a.curve_endpoint.empty()) a.endpoint.clear();
    }
  }
  // A launcher's stderr comes to our loop (launcher_stderr.h): its lines
  // logged with the node's name, its last one with a spawn failure.
  std::optional<process::StderrPipe> stderr_pipe;
  if (!local) {
    absl::StatusOr<process::StderrPipe> made = process::StderrPipe::Create();
    if (!made.ok()) {
      AbortCreate(id);
      done(made.status());
      return;
    }
    stderr_pipe.emplace(std::move(*made));
    launch.stderr_fd = stderr_pipe->write_fd();
  }
  absl::StatusOr<pid_t> pid = workers_->Spawn(launch::ToArgv(args), launch);
  if (pid.ok() && stderr_pipe) {
    stderr_pipe->CloseWriteEnd();
    launcher_stderr_.Watch(*pid, id, host->name, std::move(*stderr_pipe));
  }
  if (!pid.ok()) {
    AbortCreate(id);
    done(absl::InternalError(pid.status().message()));
    return;
  }
  pid_t spawned = *pid;
  CallId hello = pending_.Add(
      std::min(deadline, loop_.ReadClock() + options_.hello_timeout), id,
      [this, id, spawned, done = std::move(done)](wire::Outcome hello) mutable {
        if (hello.ok() && !hello->has_hello()) hello = absl::InternalError("unexpected reply");
        if (hello.ok()) {
          topology_.FinishCreate(id, hello->hello().endpoint(), hello->hello().curve_endpoint());
          Notify(id, api::EventKind::kCreated, spawned);
          done(api::CreateResult{id, spawned});
          return;
        }
        workers_->Kill(spawned);  // no Hello in time, or its parent is gone
        AbortCreate(id);
        if (absl::IsDeadlineExceeded(hello.status())) {
          log_.Warn("node %d (pid %d) did not say Hello in time: killed", id, spawned);
        }
        done(hello.status());
      });
  topology_.Spawned(id, spawned, hello);
}

// ---- exec, ping ----

void Core::Exec(NodeId id, const std::string& key, std::optional<int64_t> value,
                absl::Duration timeout, api::Done<api::ExecResult> done) {
  if (topology_.Find(id) == nullptr) {
    done(absl::NotFoundError("no such node"));
    return;
  }
  if (!topology_.Reachable(id)) {
    done(absl::UnavailableError("node is unavailable"));
    return;
  }
  v1::Envelope& request = requests_.Fresh();  // sent before anything reuses it
  v1::ExecRequest* body = request.mutable_exec_request();
  body->set_key(key);
  if (value) body->set_value(*value);
  Call(id, request, TimeoutOr(timeout), [done = std::move(done)](wire::Outcome reply) mutable {
    if (!reply.ok()) {
      done(reply.status());
    } else if (!reply->has_exec_reply()) {
      done(absl::UnavailableError("unexpected reply"));
    } else {
      done(api::ExecResult{reply->exec_reply().found(), reply->exec_reply().value()});
    }
  });
}

void Core::Ping(NodeId id, absl::Duration timeout, api::Done<bool> done) {
  const tree::Node* node = topology_.Find(id);
  if (node == nullptr) {
    done(absl::NotFoundError("no such node"));
    return;
  }
  if (node->state == tree::Lifecycle::kDead) {
    done(false);
    return;
  }
  v1::Envelope request;
  request.mutable_ping_request();
  Call(id, request, TimeoutOr(timeout), [done = std::move(done)](wire::Outcome reply) mutable {
    done(reply.ok() && reply->has_ping_reply());
  });
}

// ---- remove ----

void Core::Remove(NodeId id, absl::Duration timeout, api::DoneStatus done) {
  const tree::Node* node = topology_.Find(id);
  if (node == nullptr) {
    done(absl::NotFoundError("no such node"));
    return;
  }
  if (node->state == tree::Lifecycle::kDead) {
    // Purge: its children (dead too, or about to be) move to its parent.
    pid_t pid = node->pid;
    detector_.Forget(id);
    ForgetLink(id);
    topology_.Remove(id);
    Notify(id, api::EventKind::kRemoved, pid);
    done(absl::OkStatus());
    return;
  }
  if (!topology_.Reachable(id)) {
    done(absl::UnavailableError("node is unavailable"));
    return;
  }
  topology_.BeginRemove(id);
  v1::Envelope request;
  wire::Ancestor new_parent = RecordOf(node->parent);
  v1::RemoveRequest* remove = request.mutable_remove_request();
  remove->set_new_parent_id(node->parent);
  remove->set_new_parent_endpoint(new_parent.endpoint);
  remove->set_new_parent_curve_endpoint(new_parent.curve_endpoint);
  remove->set_new_parent_key(new_parent.public_key);
  Call(id, request, TimeoutOr(timeout),
       [this, id, pid = node->pid, done = std::move(done)](wire::Outcome reply) mutable {
         const tree::Node* gone = topology_.Find(id);
         bool same = gone != nullptr && gone->pid == pid;  // not re-created meanwhile
         if (!reply.ok() || !reply->has_remove_reply()) {
           if (same && topology_.RemoveFailed(id)) {  // its process exited meanwhile
             MarkDead(id);
             Notify(id, api::EventKind::kLost, pid);
           }
           done(reply.ok() ? absl::UnavailableError("unexpected reply") : reply.status());
           return;
         }
         if (same) {
           // It exits by itself; its exit is no news any more (Remove forgets its pid).
           detector_.Forget(id);
           ForgetLink(id);
           // Children that said Hello to their new parent already moved; the
           // others it told are on their way.
           std::vector<NodeId> told;
           for (NodeId child : reply->remove_reply().children()) {
             if (gone->children.contains(child)) told.push_back(child);
           }
           topology_.Remove(id);
           for (NodeId child : told) ExpectReattach(child);
           Notify(id, api::EventKind::kRemoved, pid);
         }
         done(absl::OkStatus());
       });
}

void Core::ExpectReattach(NodeId id) {
  const tree::Node* node = topology_.Find(id);
  if (node == nullptr ||
      (node->state != tree::Lifecycle::kAlive && node->state != tree::Lifecycle::kOrphaned)) {
    return;
  }
  CallId hello =
      pending_.Add(loop_.ReadClock() + options_.hello_timeout, id, [this, id](wire::Outcome hello) {
        topology_.EndReattach(id);
        // A frozen child re-attaches when it wakes; until then its requests time out.
        if (!hello.ok()) log_.Debug("node %d did not re-attach: %s", id, hello.status().ToString());
      });
  topology_.BeginReattach(id, hello);
}

// ---- heartbeat, topology, stats ----

void Core::SetHeartbeat(int64_t interval_ms) {
  heartbeat_ms_ = interval_ms;
  detector_.SetInterval(absl::Milliseconds(interval_ms), loop_.now());
  if (interval_ms == 0) topology_.ClearLinks();
  v1::Envelope config;
  config.mutable_heartbeat_config()->set_interval_ms(static_cast<uint32_t>(interval_ms));
  for (NodeId root : topology_.roots()) SendToRoot(root, config).IgnoreError();
  ArmHeartbeatTimer();
}

std::vector<api::NodeInfo> Core::Topology() const {
  std::vector<api::NodeInfo> nodes;
  for (const tree::Topology::Row& row : topology_.Rows()) {
    const tree::Node& n = *row.node;
    nodes.push_back(
        {n.id, n.parent, n.pid, tree::ShownState(n, topology_.Reachable(n.id)), row.depth, n.host});
  }
  return nodes;
}

api::Stats Core::Stats() const {
  api::Stats stats = stats_;
  stats.nodes = topology_.size();
  stats.pending = pending_.size();
  return stats;
}

std::vector<api::HostInfo> Core::Hosts() const {
  absl::flat_hash_map<std::string, int64_t> nodes;  // host -> nodes there, one pass
  for (const tree::Topology::Row& row : topology_.Rows()) ++nodes[row.node->host];
  std::vector<api::HostInfo> hosts;
  for (const hosts::Host& h : options_.hosts.hosts()) {
    auto it = nodes.find(h.name);
    hosts.push_back({h.name, h.address, it == nodes.end() ? 0 : it->second});
  }
  return hosts;
}

void Core::CountDroppedFrame() { ++stats_.dropped_frames; }

void Core::Watch(absl::AnyInvocable<void(const api::NodeEvent&)> on_event) {
  watchers_.push_back(std::move(on_event));
}

void Core::Notify(NodeId id, api::EventKind kind, int64_t pid, NodeId parent) {
  if (pid == 0) {
    const tree::Node* node = topology_.Find(id);
    if (node != nullptr) pid = node->pid;
  }
  api::NodeEvent event{id, kind, pid, parent};
  for (auto& watcher : watchers_) watcher(event);
}

}  // namespace arbor::controller

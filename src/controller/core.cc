#include "controller/core.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "process/child.h"
#include "wire/codec.h"
#include "wire/deadline.h"
#include "wire/lineage.h"

namespace arbor::controller {

absl::StatusOr<std::unique_ptr<Core>> Core::Start(const ControllerOptions& options,
                                                  transport::Context& context,
                                                  transport::EventLoop& loop,
                                                  transport::ZapHandler* zap,
                                                  std::function<void()> after_event) {
  auto core = absl::WrapUnique(new Core(options, context, loop, zap, std::move(after_event)));
  RETURN_IF_ERROR(core->Setup());
  return core;
}

Core::Core(const ControllerOptions& options, transport::Context& context,
           transport::EventLoop& loop, transport::ZapHandler* zap,
           std::function<void()> after_event)
    : options_(options),
      log_("[arbor] ", options.verbose),
      context_(context),
      loop_(loop),
      after_event_(std::move(after_event)),
      zap_(zap),
      roots_([this](NodeId root, std::string_view frame) { return children_->Send(root, frame); },
             [this](NodeId root, absl::Span<const link::Tag> calls, const absl::Status& why) {
               OnRootSendFailed(root, calls, why);
             }) {}

Core::~Core() {
  watchers_.clear();  // the front ends may be gone already: no event reaches them
  workers_.reset();
  children_.reset();
}

absl::Status Core::Setup() {
  std::string worker_path = options_.worker_path;
  if (worker_path.empty()) {
    ASSIGN_OR_RETURN(std::string dir, process::SelfDirectory());
    worker_path = dir + "/arbor-worker";
  }
  if (::access(worker_path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot run ", worker_path));
  }
  // What every worker is given; SpawnWorker adds its own id, parent and ancestors.
  worker_args_.controller_pid = getpid();
  worker_args_.transport = options_.transport;
  std::string bind;
  if (options_.transport == transport::Transport::kIpc) {
    ASSIGN_OR_RETURN(transport::IpcDirectory dir, transport::IpcDirectory::Create());
    ipc_dir_.emplace(std::move(dir));
    bind = absl::StrCat("ipc://", ipc_dir_->path(), "/controller");
    worker_args_.ipc_dir = ipc_dir_->path();
  } else {
    bind = "tcp://127.0.0.1:*";
  }
  worker_args_.verbose = options_.verbose;
  worker_args_.adopt_orphans = options_.adopt_orphans;
  worker_args_.adopt_timeout = options_.adopt_timeout;
  workers_ = std::make_unique<process::WorkerPool>(worker_path);

  link::ChildLinksOptions links;
  links.sockets = options_.sockets;
  links.plain_bind = bind;
  links.receive_batch = options_.receive_batch;
  multi_host_ = options_.hosts.hosts().size() > 1;
  if (multi_host_) {
    ASSIGN_OR_RETURN(keys_, transport::GenerateCurveKeyPair());
    ASSIGN_OR_RETURN(std::string address,
                     transport::BindableAddress(options_.hosts.local().address));
    links.curve_bind = absl::StrCat("tcp://", address, ":*");
    links.secret_z85 = keys_->secret_z85;
    // Every worker's secret comes on its stdin.
    worker_args_.lifeline = true;
  }
  // Bounded by envelopes, batched or not: the other sockets and the timers get
  // their turn.
  ASSIGN_OR_RETURN(children_, link::ChildLinks::Bind(
                                  context_, loop_, zap_, links,
                                  [this](NodeId from, v1::Envelope& envelope, std::string_view) {
                                    OnEnvelope(from, envelope);
                                  },
                                  [this](NodeId from, const absl::Status& why) {
                                    ++stats_.dropped_frames;
                                    log_.Debug("dropped a frame from node %d: %s", from,
                                               why.ToString());
                                  },
                                  [] { return false; }, [this] { after_event_(); }));
  endpoint_ = children_->plain_endpoint();
  curve_endpoint_ = children_->curve_endpoint();
  if (options_.adopt_orphans &&
      !wire::CanCarry(endpoint_)) {  // it travels in workers' --ancestors lists
    return absl::FailedPreconditionError(absl::StrCat(
        "the endpoint ", endpoint_, " contains ','; set TMPDIR to a path without one"));
  }
  log_.Debug("children connect to %s%s", endpoint_,
             curve_endpoint_.empty() ? "" : " and " + curve_endpoint_);

  // The calls of one turn go out together; a failed send resolves its calls,
  // whose answers may start more (after_event_).
  loop_.AddBeforeWait([this] { FlushRoots(); });
  return absl::OkStatus();
}

void Core::RunWaiting() { queue_.Pump(loop_.now()); }

// ---- frames from the tree ----

void Core::OnEnvelope(NodeId from, v1::Envelope& envelope) {
  if (envelope.has_hello()) {  // before any beat: a (re-)created root starts fresh
    OnHello(from, envelope);
    return;
  }
  // Any frame from a child of ours shows its link alive.
  if (std::optional<health::LinkChange> change = detector_.Beat(from, loop_.now())) {
    ApplyLinks({*change});
  }
  switch (envelope.body_case()) {
    case v1::Envelope::kHeartbeat:
      return;
    case v1::Envelope::kLinkState: {
      const v1::LinkState& state = envelope.link_state();
      const tree::Node* node = topology_.Find(state.id());
      // Only the node's current parent speaks for its link.
      if (node != nullptr && node->parent == state.reporter() && detector_.enabled()) {
        ApplyLinks({{state.id(), state.up()}});
      }
      return;
    }
    case v1::Envelope::kFrameDropped:
      stats_.dropped_frames += envelope.frame_dropped().count();
      return;
    case v1::Envelope::kCreateReply:
    case v1::Envelope::kExecReply:
    case v1::Envelope::kPingReply:
    case v1::Envelope::kRemoveReply:
    case v1::Envelope::kError:
      OnReply(envelope);
      return;
    default:
      ++stats_.dropped_frames;
      return;
  }
}

void Core::OnReply(v1::Envelope& envelope) {
  CallId id = envelope.correlation_id();
  wire::Outcome result =
      envelope.has_error()
          ? wire::Outcome(absl::Status(static_cast<absl::StatusCode>(envelope.error().code()),
                                       envelope.error().message()))
          : wire::Outcome(envelope);
  if (pending_.Resolve(id, std::move(result))) {
    ++stats_.answered;
  } else {
    ++stats_.late_replies;
  }
}

void Core::OnHello(NodeId from, const v1::Envelope& envelope) {
  const v1::Hello& hello = envelope.hello();
  NodeId id = hello.id();
  tree::HelloClaim claim{from,
                         id,
                         hello.parent(),
                         static_cast<pid_t>(hello.pid()),
                         hello.attempt(),
                         hello.public_key()};
  if (claim.parent == kControllerId && from != id) {  // a root speaks only for itself
    ++stats_.dropped_frames;
    return;
  }
  if (absl::Status taken = topology_.CheckHello(claim); !taken.ok()) {
    log_.Debug("stale Hello from node %d (pid %d): %s", id, claim.pid, taken.message());
    return;
  }
  if (claim.parent == kControllerId) {
    detector_.Watch(id, loop_.now());
    // It may have been spawned before the latest `heartbit`, or after shutdown began.
    v1::Envelope config;
    if (shutting_down_) {
      config.mutable_shutdown();
    } else {
      config.mutable_heartbeat_config()->set_interval_ms(static_cast<uint32_t>(heartbeat_ms_));
    }
    SendToRoot(id, config).IgnoreError();
  } else {
    detector_.Forget(id);  // a worker watches it now
  }
  const tree::Node& node = *topology_.Find(id);
  CallId waiting = node.hello_call;  // a create's or a re-attachment's
  if (node.state == tree::Lifecycle::kCreating) {
    topology_.NoteHello(claim);
    if (waiting != 0) pending_.Resolve(waiting, envelope);
    if (options_.adopt_orphans) SendLineage(id);
    return;
  }
  // Re-attached after `remove` of its parent — possibly before the removed
  // node's reply arrives, or late, after a freeze — or adopted by an ancestor
  // after its parent died: it is heard from under its new parent, which is
  // authoritative.
  if (topology_.TakeHello(claim, hello.endpoint(), hello.curve_endpoint())) {
    Notify(id, api::EventKind::kAdopted, node.pid, claim.parent);
  }
  if (waiting != 0) pending_.Resolve(waiting, envelope);
  if (detector_.enabled()) ApplyLinks({{id, true}});
  if (options_.adopt_orphans) SendLineage(id);
}

void Core::ApplyLinks(const std::vector<health::LinkChange>& changes) {
  std::vector<tree::Transition> lines;
  for (const health::LinkChange& change : changes) {
    for (const tree::Transition& t : topology_.SetLinkUp(change.id, change.up)) {
      lines.push_back(t);
    }
  }
  // Several subtrees changing together still print one sorted list.
  std::sort(lines.begin(), lines.end(),
            [](const tree::Transition& a, const tree::Transition& b) { return a.id < b.id; });
  for (const tree::Transition& t : lines) {
    Notify(t.id, t.available ? api::EventKind::kAvailable : api::EventKind::kUnavailable, 0);
  }
}

// ---- signals and processes ----

void Core::OnChildSignal() {
  for (const process::WorkerPool::Exit& exit : workers_->Reap()) {
    OnWorkerExit(exit.pid, exit.wait_status);
  }
  if (shutting_down_ && workers_->live() == 0) loop_.Stop();
}

void Core::KillAll() { workers_->KillAll(); }

void Core::OnWorkerExit(pid_t pid, int wait_status) {
  std::string last_stderr = launcher_stderr_.Close(pid);  // a launcher's, read to the end
  std::optional<NodeId> found = topology_.NodeOfPid(pid);
  if (!found) return;  // removed, or an old incarnation
  NodeId id = *found;
  const tree::Node& node = *topology_.Find(id);
  log_.Debug("node %d (pid %d) %s", id, pid, process::DescribeWaitStatus(wait_status));
  switch (node.state) {
    case tree::Lifecycle::kCreating:
      if (node.hello_call != 0) {
        std::string why = SpawnFailure(node, wait_status);
        if (node.host != hosts::kLocal) {
          log_.Warn("node %d @%s: %s: %s", id, node.host, why,
                    last_stderr.empty() ? "nothing on stderr"
                                        : absl::StrCat("last stderr line: ", last_stderr));
        }
        pending_.Resolve(node.hello_call, absl::InternalError(why));
      }
      return;
    case tree::Lifecycle::kRemoving:
      // A removed worker exits right after its reply, which may still be queued
      // behind this SIGCHLD: the remove call decides (Core::Remove).
      topology_.Exited(id);
      return;
    case tree::Lifecycle::kLeaving:
    case tree::Lifecycle::kDead:
      return;  // seen already
    default:
      MarkDead(id);
      Notify(id, api::EventKind::kLost, pid);
  }
}

std::string Core::SpawnFailure(const tree::Node& node, int wait_status) const {
  if (multi_host_ && WIFEXITED(wait_status) &&
      WEXITSTATUS(wait_status) == launch::kExitAuthenticationFailed) {
    return absl::StrCat("authentication failed between node ", node.id, " and node ", node.parent,
                        " (CURVE handshake: a wrong key)");
  }
  if (node.host == hosts::kLocal) {
    return absl::StrCat("worker ", process::DescribeWaitStatus(wait_status));
  }
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("launcher exited with status ", WEXITSTATUS(wait_status));
  }
  return absl::StrCat("launcher ", process::DescribeWaitStatus(wait_status));
}

void Core::MarkDead(NodeId id) {
  ForgetLink(id);
  topology_.MarkDead(id);
  // Its requests, and those of everything behind it, can no longer be answered.
  pending_.FailIf([&](NodeId target) { return topology_.IsOnRoute(id, target); },
                  absl::UnavailableError(absl::StrCat("node ", id, " is dead")));
}

// ---- timers ----

void Core::ArmDeadlineTimer() {
  std::optional<absl::Time> next = pending_.NextDeadline();
  if (std::optional<absl::Time> waiting = queue_.NextDeadline()) {
    if (!next || *waiting < *next) next = waiting;
  }
  if (!next || *next >= deadline_armed_) return;
  if (deadline_timer_) loop_.Cancel(*deadline_timer_);
  deadline_armed_ = *next;
  deadline_timer_ = loop_.ScheduleAt(*next, [this] {
    deadline_timer_.reset();
    deadline_armed_ = absl::InfiniteFuture();
    OnDeadlineTimer();
    after_event_();
  });
}

void Core::OnDeadlineTimer() {
  stats_.timed_out += static_cast<uint64_t>(pending_.Expire(loop_.now()));
}

void Core::ArmHeartbeatTimer() {
  if (heartbeat_timer_) loop_.Cancel(*heartbeat_timer_);
  heartbeat_timer_.reset();
  if (!detector_.enabled()) return;
  heartbeat_timer_ = loop_.ScheduleAt(loop_.now() + detector_.interval(), [this] {
    heartbeat_timer_.reset();
    OnHeartbeatTimer();
    after_event_();
  });
}

void Core::OnHeartbeatTimer() {
  std::vector<health::LinkChange> changes;
  for (const health::LinkChange& change : detector_.Tick(loop_.now())) {
    const tree::Node* node = topology_.Find(change.id);
    // Only our own children: an id re-created under a worker is its to watch.
    if (node == nullptr || node->parent != kControllerId) {
      detector_.Forget(change.id);
      continue;
    }
    changes.push_back(change);
  }
  ApplyLinks(changes);
  ArmHeartbeatTimer();
}

// ---- shutdown ----

void Core::BeginShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Workers leaving now are not news: no Heartbit lines during shutdown.
  detector_.SetInterval(absl::ZeroDuration(), loop_.now());
  ArmHeartbeatTimer();
  v1::Envelope shutdown;
  shutdown.mutable_shutdown();
  for (NodeId root : topology_.roots()) SendToRoot(root, shutdown).IgnoreError();
  workers_->KillStopped();
  if (workers_->live() == 0) {
    loop_.Stop();
    return;
  }
  loop_.ScheduleAfter(options_.shutdown_grace, [this] {
    log_.Debug("%d workers still running: SIGKILL", workers_->live());
    workers_->KillAll();
  });
}

}  // namespace arbor::controller

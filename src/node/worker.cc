#include "node/worker.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include "absl/memory/memory.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "wire/codec.h"
#include "wire/deadline.h"

namespace arbor::node {

absl::StatusOr<std::unique_ptr<Worker>> Worker::Start(const WorkerOptions& options) {
  // Die with the controller, whatever killed it; and if it is already gone, go.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (options.controller_pid > 0 && getppid() != options.controller_pid) {
    return absl::FailedPreconditionError("the controller is gone");
  }
  process::RaiseFileLimit();
  // Before the ZeroMQ context exists: its threads inherit the mask.
  ASSIGN_OR_RETURN(process::SignalFd signals,
                   process::SignalFd::Open({SIGINT, SIGTERM, SIGHUP}));
  auto worker = absl::WrapUnique(new Worker(options, std::move(signals)));
  RETURN_IF_ERROR(worker->Setup());
  return worker;
}

Worker::Worker(const WorkerOptions& options, process::SignalFd signals)
    : options_(options),
      log_(absl::StrCat("[node ", options.id, "] "), options.verbose),
      signals_(std::move(signals)) {}

Worker::~Worker() = default;

absl::Status Worker::Setup() {
  ASSIGN_OR_RETURN(transport::Socket router, transport::Socket::Router(context_, options_.sockets));
  children_.emplace(std::move(router));
  std::string bind = transport::WorkerBindEndpoint(options_.transport, options_.ipc_dir,
                                                   options_.id, getpid());
  ASSIGN_OR_RETURN(endpoint_, children_->Bind(bind));
  loop_.AddSocket(*children_, [this] { OnChildReadable(); });
  loop_.AddFd(signals_.fd(), [this] { OnSignal(); });
  parent_.emplace(context_, loop_, options_.sockets, options_.id, options_.refusals_to_give_up,
                  [this] { OnParentReadable(); },
                  [this] {
                    log_.Debug("parent %d is gone: exiting", parent_->parent());
                    Exit(0, 0);
                  });
  RETURN_IF_ERROR(parent_->Connect(options_.parent_id, options_.parent_endpoint, 0));
  loop_.AddBeforeWait([this] { FlushBatches(); });
  SendHello();
  ApplyHeartbeat(options_.heartbeat);
  return absl::OkStatus();
}

int Worker::Run() {
  log_.Debug("up at %s, parent %d", endpoint_, parent_->parent());
  loop_.Run();
  return exit_code_;
}

void Worker::Exit(int code, int linger_ms) {
  FlushBatches();  // what this turn produced goes out before the sockets linger
  exit_code_ = code;
  if (parent_) parent_->SetLinger(linger_ms);
  if (children_) children_->SetLinger(linger_ms);
  loop_.Stop();
}

// ---- events ----

void Worker::OnSignal() {
  for (int signal : signals_.ReadAll()) {
    log_.Debug("signal %d: exiting", signal);
    Exit(0, 0);
  }
}

void Worker::OnHeartbeatTimer() {
  heartbeat_timer_.reset();
  if (!detector_.enabled()) return;
  v1::Envelope beat;
  beat.set_target(options_.id);
  beat.mutable_heartbeat();
  SendUp(beat);
  for (const health::LinkChange& change : detector_.Tick(loop_.now())) {
    ReportLink(change.id, change.up);
  }
  heartbeat_timer_ = loop_.ScheduleAt(loop_.now() + detector_.interval(),
                                      [this] { OnHeartbeatTimer(); });
}

void Worker::OnParentReadable() {
  // Bounded batch: the children's socket and the timers get their turn.
  for (int i = 0; i < options_.receive_batch && parent_.has_value(); ++i) {
    auto got = parent_->Receive(frames_);
    if (!got.ok() || !*got) return;
    if (frames_.size() != 1) {
      CountDropped("parent frame count");
      continue;
    }
    v1::Envelope& envelope = scratch_.Fresh();
    if (absl::Status decoded = wire::DecodeInto(frames_[0], envelope); !decoded.ok()) {
      CountDropped(std::string(decoded.message()));
      continue;
    }
    if (!envelope.has_batch()) {
      OnParentEnvelope(envelope);
      continue;
    }
    for (const std::string& bytes : envelope.batch().envelopes()) {
      if (!parent_.has_value() || loop_.stopped()) break;
      v1::Envelope& inner = inner_.Fresh();
      absl::Status decoded = wire::DecodeInto(bytes, inner);
      if (decoded.ok() && inner.has_batch()) decoded = absl::InvalidArgumentError("nested batch");
      if (!decoded.ok()) {
        CountDropped(std::string(decoded.message()));
        continue;
      }
      OnParentEnvelope(inner);
    }
  }
}

void Worker::OnParentEnvelope(v1::Envelope& envelope) {
  switch (envelope.body_case()) {
    case v1::Envelope::kHeartbeatConfig: {
      ApplyHeartbeat(absl::Milliseconds(envelope.heartbeat_config().interval_ms()));
      SendToChildren(envelope);
      return;
    }
    case v1::Envelope::kShutdown: {
      SendToChildren(envelope);
      Exit(0, options_.shutdown_linger_ms);
      return;
    }
    case v1::Envelope::kReparent:
      Reparent(envelope.reparent().parent_id(), envelope.reparent().endpoint());
      return;
    default:
      break;
  }
  // The clock read now, not at the loop's wake-up: a SIGSTOP can land in the
  // middle of a batch, and what queued meanwhile is read in the same batch.
  absl::Time now = MonoNow();
  absl::Time deadline = wire::LocalDeadline(envelope, now);
  if (envelope.correlation_id() == 0) {
    CountDropped("request without correlation id");
    return;
  }
  if (now > deadline) {
    // The caller was already told this failed: never apply it late.
    log_.Debug("dropping call %d: %s late", envelope.correlation_id(),
               absl::FormatDuration(now - deadline));
    return;
  }
  if (envelope.route_size() > 0) {
    Forward(envelope, deadline);
    return;
  }
  if (envelope.target() != options_.id) {
    CountDropped("request for another node without a route");
    return;
  }
  Execute(envelope);
}

void Worker::Forward(v1::Envelope& request, absl::Time deadline) {
  NodeId next = request.route(0);
  request.mutable_route()->erase(request.mutable_route()->begin());
  wire::StampDeadline(request, deadline, MonoNow());
  wire::EncodeTo(request, send_buffer_);
  // Batched with the other requests for `next` this turn; a failed send
  // answers each of them (FlushDown).
  DownBatch& batch = down_[next];
  batch.writer.Add(send_buffer_);
  batch.calls.push_back({request.correlation_id(), request.target()});
  if (batch.writer.full()) FlushDown(next);
}

void Worker::Execute(v1::Envelope& request) {
  v1::Envelope& reply = replies_.Fresh();
  reply.set_correlation_id(request.correlation_id());
  reply.set_target(options_.id);
  switch (request.body_case()) {
    case v1::Envelope::kExecRequest: {
      const v1::ExecRequest& exec = request.exec_request();
      v1::ExecReply* out = reply.mutable_exec_reply();
      if (exec.has_value()) {
        store_.Save(exec.key(), exec.value());
        out->set_found(true);
        out->set_value(exec.value());
      } else if (std::optional<int64_t> value = store_.Load(exec.key())) {
        out->set_found(true);
        out->set_value(*value);
      }
      break;
    }
    case v1::Envelope::kPingRequest:
      reply.mutable_ping_reply()->set_answered(true);
      break;
    case v1::Envelope::kCreateRequest:
      // We can take a child: the controller spawns it and it connects to us.
      reply.mutable_create_reply()->set_id(request.create_request().child_id());
      break;
    case v1::Envelope::kRemoveRequest:
      BeginRemove(request);
      return;
    default:
      CountDropped("not a request");
      return;
  }
  SendUp(reply);
}

void Worker::BeginRemove(const v1::Envelope& request) {
  if (removal_) return;  // a second remove of the same node: the first one answers
  removal_.emplace();
  removal_->request = request;
  v1::Envelope reparent;
  reparent.set_target(options_.id);
  reparent.mutable_reparent()->set_parent_id(request.remove_request().new_parent_id());
  reparent.mutable_reparent()->set_endpoint(request.remove_request().new_parent_endpoint());
  std::string bytes = wire::Encode(reparent);
  for (NodeId child : children_known_) {
    absl::Status sent = SendToChild(child, bytes);
    if (!sent.ok()) {
      log_.Warn("cannot hand child %d over: %s", child, sent.ToString());
      continue;
    }
    removal_->told.push_back(child);
    removal_->waiting.insert(child);
  }
  if (removal_->waiting.empty()) {
    FinishRemove();
    return;
  }
  // A frozen child does not hold the caller past half its budget: it reads the
  // Reparent when it wakes up.
  absl::Time now = loop_.now();
  absl::Time deadline = wire::LocalDeadline(request, now);
  loop_.ScheduleAt(now + (deadline - now) / 2, [this] { FinishRemove(); });
}

void Worker::FinishRemove() {
  if (!removal_ || loop_.stopped()) return;
  v1::Envelope reply;
  reply.set_correlation_id(removal_->request.correlation_id());
  reply.set_target(options_.id);
  v1::RemoveReply* body = reply.mutable_remove_reply();
  for (NodeId child : removal_->told) body->add_children(child);
  SendUp(reply);
  Exit(0, options_.exit_linger_ms);
}

void Worker::Reparent(NodeId parent_id, const std::string& endpoint) {
  log_.Debug("re-attaching to node %d at %s", parent_id, endpoint);
  // Acknowledge on the old link: it is the last frame there, behind every reply
  // we sent, so the old parent forwards those before it leaves.
  v1::Envelope ack;
  ack.set_target(options_.id);
  ack.mutable_reparent()->set_parent_id(parent_id);
  ack.mutable_reparent()->set_endpoint(endpoint);
  SendUp(ack);
  FlushUp();  // on the old link, behind everything sent before it
  absl::Status connected = parent_->Connect(parent_id, endpoint, options_.exit_linger_ms);
  if (!connected.ok()) {
    log_.Warn("cannot re-attach to node %d: %s", parent_id, connected.ToString());
    Exit(1, 0);
    return;
  }
  SendHello();
}

void Worker::OnChildReadable() {
  for (int i = 0; i < options_.receive_batch; ++i) {
    auto got = children_->Receive(frames_);
    if (!got.ok() || !*got) return;
    int64_t child = -1;
    if (frames_.size() != 2 || !absl::SimpleAtoi(frames_[0], &child) || !IsWorkerId(child)) {
      CountDropped("child frame shape");
      continue;
    }
    v1::Envelope& envelope = scratch_.Fresh();
    if (absl::Status decoded = wire::DecodeInto(frames_[1], envelope); !decoded.ok()) {
      CountDropped(std::string(decoded.message()));
      continue;
    }
    if (!envelope.has_batch()) {
      OnChildEnvelope(child, envelope, frames_[1]);
      continue;
    }
    for (const std::string& bytes : envelope.batch().envelopes()) {
      if (loop_.stopped()) break;
      v1::Envelope& inner = inner_.Fresh();
      absl::Status decoded = wire::DecodeInto(bytes, inner);
      if (decoded.ok() && inner.has_batch()) decoded = absl::InvalidArgumentError("nested batch");
      if (!decoded.ok()) {
        CountDropped(std::string(decoded.message()));
        continue;
      }
      OnChildEnvelope(child, inner, bytes);
    }
  }
}

void Worker::OnChildEnvelope(NodeId child, v1::Envelope& envelope, const std::string& bytes) {
  absl::Time now = loop_.now();
  if (envelope.has_hello() && envelope.hello().id() == child) {
    // Our own (new or re-created or adopted) child: watch it, give it our period.
    children_known_.insert(child);
    detector_.Watch(child, now);
    v1::Envelope config;
    config.mutable_heartbeat_config()->set_interval_ms(
        static_cast<uint32_t>(absl::ToInt64Milliseconds(detector_.interval())));
    SendToChild(child, wire::Encode(config)).IgnoreError();
    SendUpBytes(bytes);
    return;
  }
  if (!children_known_.contains(child)) {
    CountDropped("frame from a child that did not say Hello");
    return;
  }
  // Any frame proves the link alive.
  if (std::optional<health::LinkChange> change = detector_.Beat(child, now)) {
    ReportLink(change->id, change->up);
  }
  switch (envelope.body_case()) {
    case v1::Envelope::kHeartbeat:
      return;
    case v1::Envelope::kRemoveReply:
      if (envelope.target() == child) {  // the child leaves: stop watching it
        children_known_.erase(child);
        detector_.Forget(child);
      }
      break;
    case v1::Envelope::kReparent:
      // The child's ack of our removal: everything it sent before is forwarded.
      if (removal_ && envelope.target() == child) {
        children_known_.erase(child);
        detector_.Forget(child);
        removal_->waiting.erase(child);
        if (removal_->waiting.empty()) FinishRemove();
        return;
      }
      CountDropped("unexpected reparent from below");
      return;
    case v1::Envelope::kCreateRequest:
    case v1::Envelope::kExecRequest:
    case v1::Envelope::kPingRequest:
    case v1::Envelope::kRemoveRequest:
    case v1::Envelope::kHeartbeatConfig:
    case v1::Envelope::kShutdown:
      CountDropped("request from below");
      return;
    default:
      break;
  }
  SendUpBytes(bytes);  // replies, Hellos and link states travel up unchanged
}

void Worker::ApplyHeartbeat(absl::Duration interval) {
  if (heartbeat_timer_) {
    loop_.Cancel(*heartbeat_timer_);
    heartbeat_timer_.reset();
  }
  absl::Time now = MonoNow();
  detector_.SetInterval(interval, now);
  if (interval > absl::ZeroDuration()) {
    heartbeat_timer_ = loop_.ScheduleAt(now + interval, [this] { OnHeartbeatTimer(); });
  }
}

// ---- sending ----

void Worker::SendUp(v1::Envelope& envelope) {
  wire::EncodeTo(envelope, send_buffer_);
  SendUpBytes(send_buffer_);
}

absl::Status Worker::SendToChild(NodeId child, std::string_view bytes) {
  FlushDown(child);  // after the requests batched for it: order is kept
  std::string id = absl::StrCat(child);  // its routing id
  return children_->Send({std::string_view(id), bytes});
}

void Worker::FlushDown(NodeId child) {
  auto it = down_.find(child);
  if (it == down_.end() || it->second.writer.empty()) return;
  DownBatch batch = std::move(it->second);
  down_.erase(it);
  std::string id = absl::StrCat(child);
  absl::Status sent = children_->Send({std::string_view(id), batch.writer.Frame()});
  if (sent.ok()) return;
  for (const auto& [correlation_id, target] : batch.calls) {
    ReplyError(correlation_id, target, absl::StatusCode::kUnavailable,
               absl::StrCat("node ", child, " is unreachable from node ", options_.id));
  }
}

void Worker::FlushUp() {
  if (up_.empty() || !parent_.has_value()) return;
  absl::Status sent = parent_->Send(up_.Frame());
  // A full queue to a frozen parent: the messages are lost and their calls time out.
  if (!sent.ok()) log_.Debug("send up failed: %s", sent.ToString());
  up_.Clear();
}

void Worker::FlushBatches() {
  while (!down_.empty()) FlushDown(down_.begin()->first);  // failures add replies up
  FlushUp();
}

void Worker::SendToChildren(const v1::Envelope& envelope) {
  std::string bytes = wire::Encode(envelope);
  for (NodeId child : children_known_) SendToChild(child, bytes).IgnoreError();
}

void Worker::SendUpBytes(const std::string& bytes) {
  if (!parent_.has_value()) return;
  up_.Add(bytes);  // sent when the loop turn ends (FlushUp), in order
  if (up_.full()) FlushUp();
}

void Worker::ReplyError(const v1::Envelope& request, absl::StatusCode code,
                        const std::string& message) {
  ReplyError(request.correlation_id(), request.target(), code, message);
}

void Worker::ReplyError(uint64_t correlation_id, NodeId target, absl::StatusCode code,
                        const std::string& message) {
  v1::Envelope reply;
  reply.set_correlation_id(correlation_id);
  reply.set_target(target);
  reply.mutable_error()->set_code(static_cast<int32_t>(code));
  reply.mutable_error()->set_message(message);
  SendUp(reply);
}

void Worker::SendHello() {
  v1::Envelope hello;
  hello.set_target(options_.id);
  v1::Hello* h = hello.mutable_hello();
  h->set_id(options_.id);
  h->set_pid(getpid());
  h->set_endpoint(endpoint_);
  h->set_parent(parent_->parent());
  SendUp(hello);
}

void Worker::ReportLink(NodeId child, bool up) {
  log_.Debug("link to child %d is %s", child, up ? "up" : "down");
  v1::Envelope state;
  state.set_target(options_.id);
  v1::LinkState* s = state.mutable_link_state();
  s->set_id(child);
  s->set_up(up);
  s->set_reporter(options_.id);
  SendUp(state);
}

void Worker::CountDropped(const std::string& why) {
  log_.Debug("dropped a frame: %s", why);
  ++dropped_unreported_;
  if (drop_flush_scheduled_) return;
  // One notice per 100 ms at most, however fast garbage arrives.
  drop_flush_scheduled_ = true;
  loop_.ScheduleAfter(options_.drop_notice_interval, [this] { FlushDropped(); });
}

void Worker::FlushDropped() {
  drop_flush_scheduled_ = false;
  if (dropped_unreported_ == 0) return;
  v1::Envelope notice;
  notice.set_target(options_.id);
  notice.mutable_frame_dropped()->set_node(options_.id);
  notice.mutable_frame_dropped()->set_count(dropped_unreported_);
  dropped_unreported_ = 0;
  SendUp(notice);
}

}  // namespace arbor::node

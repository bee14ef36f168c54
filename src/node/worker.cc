#include "node/worker.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "wire/codec.h"
#include "wire/deadline.h"

namespace arbor::node {

absl::StatusOr<std::unique_ptr<Worker>> Worker::Start(const WorkerOptions& options) {
  // Die with the controller, whatever killed it; and if it is already gone, go.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (options.args.controller_pid > 0 && getppid() != options.args.controller_pid) {
    return absl::FailedPreconditionError("the controller is gone");
  }
  process::RaiseFileLimit();
  // Before the ZeroMQ context exists: its threads inherit the mask.
  ASSIGN_OR_RETURN(process::SignalFd signals, process::SignalFd::Open({SIGINT, SIGTERM, SIGHUP}));
  auto worker = absl::WrapUnique(new Worker(options, std::move(signals)));
  RETURN_IF_ERROR(worker->Setup());
  return worker;
}

Worker::Worker(const WorkerOptions& options, process::SignalFd signals)
    : options_(options),
      log_(absl::StrCat("[node ", options.args.id, "] "), options.args.verbose),
      signals_(std::move(signals)),
      parent_record_(options.args.ParentRecord()),
      ancestors_(options.args.ancestors),
      down_([this](NodeId child, std::string_view frame) { return children_->Send(child, frame); },
            [this](NodeId child, absl::Span<const link::Tag> calls, const absl::Status& why) {
              OnDownSendFailed(child, calls, why);
            }),
      up_([this](NodeId, std::string_view frame) { return parent_->Send(frame); },
          [this](NodeId, absl::Span<const link::Tag>, const absl::Status& why) {
            // A full queue to a frozen parent: the messages are lost and their
            // calls time out.
            log_.Debug("send up failed: %s", why.ToString());
          }) {}

Worker::~Worker() = default;

absl::Status Worker::Setup() {
  const launch::WorkerArgs& args = options_.args;
  if (args.curve()) {
    const launch::WorkerSecrets& secrets = options_.secrets;
    ASSIGN_OR_RETURN(std::string public_z85, transport::PublicFromSecret(secrets.secret_z85));
    identity_ = CurveIdentity{transport::CurveKeyPair{std::move(public_z85), secrets.secret_z85},
                              transport::CurveRoutingId(args.id, secrets.token)};
  }
  link::ChildLinksOptions links;
  links.sockets = options_.sockets;
  links.receive_batch = options_.receive_batch;
  // Off the controller's host there is no directory of ours for ipc: every
  // link there is CURVE.
  if (OnLocalHost()) {
    links.plain_bind =
        transport::WorkerBindEndpoint(args.transport, args.ipc_dir, args.id, getpid());
  }
  if (!args.curve_address.empty()) {
    // Before any CURVE socket: until it is bound, handshakes are refused.
    ASSIGN_OR_RETURN(zap_, transport::ZapHandler::Bind(context_, loop_));
    ASSIGN_OR_RETURN(std::string address, transport::BindableAddress(args.curve_address));
    links.curve_bind = absl::StrCat("tcp://", address, ":*");
    links.secret_z85 = options_.secrets.secret_z85;
  }
  ASSIGN_OR_RETURN(
      children_,
      link::ChildLinks::Bind(
          context_, loop_, zap_.get(), links,
          [this](NodeId child, v1::Envelope& envelope, std::string_view bytes) {
            OnChildEnvelope(child, envelope, bytes);
          },
          [this](NodeId, const absl::Status& why) { CountDropped(std::string(why.message())); },
          [this] { return loop_.stopped(); }, [] {}));
  loop_.AddFd(signals_.fd(), [this] { OnSignal(); });
  if (args.lifeline) loop_.AddFd(STDIN_FILENO, [this] { OnLifeline(); });
  parent_.emplace(
      context_, loop_, options_.sockets, args.id, options_.refusals_to_give_up, identity_,
      [this] { OnParentReadable(); }, [this](ParentLink::Gone why) { OnParentGone(why); });
  RETURN_IF_ERROR(parent_->Connect(args.parent, wire::DialFor(parent_record_, OnLocalHost()), 0));
  loop_.AddBeforeWait([this] { FlushBatches(); });
  SendHello();
  ApplyHeartbeat(args.heartbeat);
  return absl::OkStatus();
}

int Worker::Run() {
  log_.Debug("up at %s%s, parent %d", children_->plain_endpoint(),
             children_->curve_endpoint().empty() ? "" : " " + children_->curve_endpoint(),
             parent_->parent());
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

void Worker::OnLifeline() {
  char buffer[256];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof(buffer));
  if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN))) return;  // nothing is said on it
  log_.Debug("stdin closed: the controller is gone");
  loop_.RemoveFd(STDIN_FILENO);
  Exit(0, 0);
}

void Worker::OnHeartbeatTimer() {
  heartbeat_timer_.reset();
  if (!detector_.enabled()) return;
  v1::Envelope beat;
  beat.set_target(options_.args.id);
  beat.mutable_heartbeat();
  SendUp(beat);
  for (const health::LinkChange& change : detector_.Tick(loop_.now())) {
    ReportLink(change.id, change.up);
  }
  heartbeat_timer_ =
      loop_.ScheduleAt(loop_.now() + detector_.interval(), [this] { OnHeartbeatTimer(); });
}

void Worker::OnParentReadable() {
  // Bounded by envelopes, batched or not: the children's socket and the timers
  // get their turn. Nothing more is read once exiting. The link's socket
  // changes when we re-attach: each read asks it anew.
  receiver_.Drain(
      [this](transport::Frames& frames) { return parent_->Receive(frames); },
      link::PeerShape::kDealer, options_.receive_batch,
      [this](NodeId, v1::Envelope& envelope, std::string_view) { OnParentEnvelope(envelope); },
      [this](NodeId, const absl::Status& why) { CountDropped(std::string(why.message())); },
      [this] { return !parent_.has_value() || loop_.stopped(); });
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
    case v1::Envelope::kReparent: {
      const v1::Reparent& r = envelope.reparent();
      Reparent({r.parent_id(), r.endpoint(), r.curve_endpoint(), r.public_key()});
      return;
    }
    case v1::Envelope::kLineage:
      OnLineage(envelope);
      return;
    default:
      break;
  }
  // The clock read now, not at the loop's wake-up: a SIGSTOP can land in the
  // middle of a batch, and what queued meanwhile is read in the same batch.
  absl::Time now = loop_.ReadClock();
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
  if (envelope.target() != options_.args.id) {
    CountDropped("request for another node without a route");
    return;
  }
  Execute(envelope);
}

void Worker::Forward(v1::Envelope& request, absl::Time deadline) {
  NodeId next = request.route(0);
  request.mutable_route()->erase(request.mutable_route()->begin());
  if (request.has_create_request()) AllowKey(request.create_request());
  wire::StampDeadline(request, deadline, loop_.ReadClock());
  // A monotonic clock means nothing on another host: its budget alone travels.
  if (!elsewhere_.empty() && elsewhere_.contains(next)) request.set_sent_mono_us(0);
  wire::EncodeTo(request, send_buffer_);
  // Batched with the other requests for `next` this turn; a failed send
  // answers each of them (OnDownSendFailed).
  down_.Add(next, send_buffer_, {request.correlation_id(), request.target()});
}

void Worker::Execute(v1::Envelope& request) {
  v1::Envelope& reply = replies_.Fresh();
  reply.set_correlation_id(request.correlation_id());
  reply.set_target(options_.args.id);
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
      AllowKey(request.create_request());
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

void Worker::AllowKey(const v1::CreateRequest& create) {
  if (create.child_public_key().empty() || children_->curve_endpoint().empty()) return;
  // Off the controller's host it can only ever reach us over CURVE.
  bool curve_only = !create.host().empty() && create.host() != "local";
  absl::Status allowed = children_->Allow(create.child_id(), create.child_public_key(),
                                          create.child_token(), curve_only);
  if (!allowed.ok()) log_.Warn("key of node %d refused: %s", create.child_id(), allowed.ToString());
}

void Worker::BeginRemove(const v1::Envelope& request) {
  if (removal_) return;  // a second remove of the same node: the first one answers
  removal_.emplace();
  removal_->request = request;
  v1::Envelope reparent;
  reparent.set_target(options_.args.id);
  const v1::RemoveRequest& remove = request.remove_request();
  v1::Reparent* to = reparent.mutable_reparent();
  to->set_parent_id(remove.new_parent_id());
  to->set_endpoint(remove.new_parent_endpoint());
  to->set_curve_endpoint(remove.new_parent_curve_endpoint());
  to->set_public_key(remove.new_parent_key());
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
  reply.set_target(options_.args.id);
  v1::RemoveReply* body = reply.mutable_remove_reply();
  for (NodeId child : removal_->told) body->add_children(child);
  SendUp(reply);
  Exit(0, options_.exit_linger_ms);
}

void Worker::Reparent(const wire::Ancestor& parent) {
  log_.Debug("re-attaching to node %d", parent.id);
  // Acknowledge on the old link: it is the last frame there, behind every reply
  // we sent, so the old parent forwards those before it leaves.
  v1::Envelope ack;
  ack.set_target(options_.args.id);
  ack.mutable_reparent()->set_parent_id(parent.id);
  ack.mutable_reparent()->set_endpoint(parent.endpoint);
  ack.mutable_reparent()->set_curve_endpoint(parent.curve_endpoint);
  ack.mutable_reparent()->set_public_key(parent.public_key);
  SendUp(ack);
  FlushUp();  // on the old link, behind everything sent before it
  absl::Status connected =
      parent_->Connect(parent.id, wire::DialFor(parent, OnLocalHost()), options_.exit_linger_ms);
  if (!connected.ok()) {
    log_.Warn("cannot re-attach to node %d: %s", parent.id, connected.ToString());
    Exit(1, 0);
    return;
  }
  parent_record_ = parent;
  SendHello();
  ancestors_ = wire::Above(ancestors_, parent.id);
  SendLineage();
}

void Worker::OnChildEnvelope(NodeId child, v1::Envelope& envelope, std::string_view bytes) {
  absl::Time now = loop_.now();
  if (envelope.has_hello() && envelope.hello().parent() == options_.args.id &&
      envelope.hello().id() != child) {
    // Whoever names us as its parent is our child, and speaks for itself.
    CountDropped("Hello for another node");
    return;
  }
  if (envelope.has_hello() && envelope.hello().id() == child) {
    if (removal_) {  // we are leaving: it finds a parent that stays
      CountDropped("Hello while being removed");
      return;
    }
    // Our own (new or re-created or adopted) child: watch it, give it our period.
    children_known_.insert(child);
    const std::string& host = envelope.hello().host();
    if ((host.empty() ? "local" : host) == options_.args.host) {
      elsewhere_.erase(child);
    } else {
      elsewhere_.insert(child);
    }
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
        elsewhere_.erase(child);
        children_->Forget(child);
        detector_.Forget(child);
      }
      break;
    case v1::Envelope::kReparent:
      // The child's ack of our removal: everything it sent before is forwarded.
      if (removal_ && envelope.target() == child) {
        children_known_.erase(child);
        elsewhere_.erase(child);
        children_->Forget(child);
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
  absl::Time now = loop_.ReadClock();
  detector_.SetInterval(interval, now);
  if (interval > absl::ZeroDuration()) {
    heartbeat_timer_ = loop_.ScheduleAt(now + interval, [this] { OnHeartbeatTimer(); });
  }
}

}  // namespace arbor::node

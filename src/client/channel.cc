#include "client/channel.h"

#include <unistd.h>

#include <random>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "client/reply.h"
#include "client/results.h"
#include "common/clock.h"
#include "transport/curve.h"
#include "wire/codec.h"

namespace arbor::client {
namespace {

// Replies read in one go before queued calls and timers get a turn.
constexpr int kReceiveBatch = 1024;
// How long the unwatch of a stray watch (one this client no longer wants) may take.
constexpr absl::Duration kStrayUnwatchTimeout = absl::Seconds(5);

// Unique per client: the controller's ROUTER hands a connection claiming a
// routing id in use over to the newcomer, so two clients must never share one.
// Starts with a letter (ids starting with a 0 byte are libzmq's).
std::string NewRoutingId() {
  std::random_device random;
  uint64_t bits = (static_cast<uint64_t>(random()) << 32) ^ random();
  return absl::StrCat("client-", getpid(), "-", absl::Hex(bits, absl::kZeroPad16));
}

absl::Status Cancelled() { return absl::CancelledError("client closed"); }

absl::Status Refusal(transport::HandshakeFailure failure, bool curve) {
  if (failure == transport::HandshakeFailure::kAuth) {
    return absl::PermissionDeniedError(
        "authentication failed: the controller refused this client's key");
  }
  if (!curve) {
    return absl::UnauthenticatedError(
        "authentication failed: the controller requires a CURVE key pair (ClientOptions.curve)");
  }
  // A wrong server key shows as NO_DETAIL, a plaintext controller as PROTOCOL
  // (mechanism mismatch) -- mostly: seen here either way round, so one message.
  return absl::UnauthenticatedError(
      "authentication failed: the server's key does not match (or the controller does not use "
      "CURVE)");
}

absl::Status EnableCurve(transport::Socket& socket, const CurveKeys& keys) {
  absl::StatusOr<std::string> derived = transport::PublicFromSecret(keys.secret_z85);
  if (!derived.ok()) return absl::InvalidArgumentError("curve: the secret key is not a Z85 key");
  if (*derived != keys.public_z85) {
    return absl::InvalidArgumentError("curve: the public key is not the secret key's");
  }
  if (!transport::IsZ85Key(keys.server_public_z85)) {
    return absl::InvalidArgumentError("curve: the server key is not a Z85 key");
  }
  return socket.EnableCurveClient(keys.public_z85, keys.secret_z85, keys.server_public_z85);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Channel>> Channel::Open(const std::string& endpoint,
                                                       const transport::SocketOptions& options,
                                                       int max_in_flight,
                                                       const std::optional<CurveKeys>& curve) {
  auto context = std::make_unique<transport::Context>();
  auto socket = transport::Socket::Dealer(*context, options, NewRoutingId());
  if (!socket.ok()) return socket.status();
  if (curve.has_value()) {
    absl::Status enabled = EnableCurve(*socket, *curve);
    if (!enabled.ok()) return enabled;
  }
  auto wakeup = Wakeup::Create();
  if (!wakeup.ok()) return wakeup.status();
  auto channel =
      absl::WrapUnique(new Channel(std::move(context), std::move(*socket), std::move(*wakeup),
                                   max_in_flight, curve.has_value()));
  absl::Status begun = channel->Begin(endpoint);
  if (!begun.ok()) return begun;
  return channel;
}

Channel::Channel(std::unique_ptr<transport::Context> context, transport::Socket socket,
                 Wakeup wakeup, int max_in_flight, bool curve)
    : context_(std::move(context)),
      socket_(std::move(socket)),
      curve_(curve),
      wakeup_(std::move(wakeup)),
      max_in_flight_(max_in_flight) {}

absl::Status Channel::Begin(const std::string& endpoint) {
  // Attached where the socket stays (the monitor holds a reference to it), and
  // before it connects, so that the first handshake is seen.
  auto monitor = transport::Monitor::Attach(*context_, socket_, "client-channel",
                                            transport::MonitorScope::kWithHandshakes);
  if (!monitor.ok()) return monitor.status();
  monitor_ = std::move(*monitor);
  absl::Status connected = socket_.Connect(endpoint);
  if (!connected.ok()) return connected;
  loop_.AddSocket(socket_, [this] { OnSocketReadable(); });
  loop_.AddSocket(monitor_->events(), [this] { OnMonitorReadable(); });
  loop_.AddBeforeWait([this] { AnswerRefused(); });
  loop_.AddFd(wakeup_.fd(), [this] { OnWakeup(); });
  thread_ = std::thread([this] {
    io_thread_id_.store(std::this_thread::get_id());
    loop_.Run();
    // Every call was resolved CANCELLED: nothing still queued needs to go out.
    socket_.SetLinger(0);
  });
  return absl::OkStatus();
}

Channel::~Channel() { Close(); }

void Channel::Submit(Call&& call) {
  bool queued = false;
  bool notify = false;
  bool direct = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closing_ && io_thread_id_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      // From a callback, on the I/O thread: sent at once, no wake-up round trip
      // (the end of the current batch arms the timer for its deadline).
      direct = true;
    } else if (!closing_) {
      notify = queue_.empty();  // a non-empty queue has a wake-up on its way
      queue_.push_back(std::move(call));
      queued = true;
    }
  }
  if (direct) {
    Send(std::move(call));
    return;
  }
  if (queued) {
    if (notify) wakeup_.Notify();
    return;
  }
  counters_.cancelled.fetch_add(1, std::memory_order_relaxed);
  call.on_reply(Cancelled());
}

void Channel::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  wakeup_.Notify();
  if (io_thread_id_.load() == std::this_thread::get_id()) return;
  std::lock_guard<std::mutex> lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

ClientCounters Channel::counters() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return ClientCounters{get(counters_.sent),        get(counters_.answered),
                        get(counters_.timed_out),   get(counters_.cancelled),
                        get(counters_.send_failed), get(counters_.late_replies),
                        get(counters_.events),      get(counters_.dropped_frames)};
}

void Channel::OnWakeup() {
  // Drained before the queue is taken: a call queued after this point either
  // lands in this batch or notifies again.
  wakeup_.Drain();
  std::vector<Call> calls;
  bool closing = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    calls.swap(queue_);
    closing = closing_;
  }
  if (closing) {
    CancelEverything(std::move(calls));
    loop_.Stop();
    return;
  }
  for (Call& call : calls) Send(std::move(call));
  ArmTimer();
}

void Channel::Send(Call&& call) {
  // Counted before the caller hears of it, so a resolved future's counters are
  // up to date. A reply is an envelope; only local outcomes are errors.
  wire::PendingCalls::Callback on_reply = [this, done = std::move(call.on_reply)](
                                              wire::Outcome reply) mutable {
    std::atomic<uint64_t>& counter = reply.ok() ? counters_.answered
                                     : absl::IsDeadlineExceeded(reply.status())
                                         ? counters_.timed_out
                                     : absl::IsCancelled(reply.status()) ? counters_.cancelled
                                                                         : counters_.send_failed;
    counter.fetch_add(1, std::memory_order_relaxed);
    done(std::move(reply));
  };
  if (call.request.has_unwatch_request()) {
    // No event of it reaches the callback from now on, even one already in flight.
    WatchId watch = call.request.unwatch_request().watch_id();
    watches_.erase(watch);
    stray_watches_.insert(watch);
    // Once answered it is forgotten: done (OK, NOT_FOUND), or — if the unwatch
    // failed — its next event sends a fresh one.
    on_reply = [this, watch, done = std::move(on_reply)](wire::Outcome reply) mutable {
      stray_watches_.erase(watch);
      done(std::move(reply));
    };
  } else if (call.request.has_watch_request()) {
    // The watch goes live with its confirmation, before the caller hears of it.
    on_reply = [this, done = std::move(on_reply),
                on_event = std::move(call.on_event)](wire::Outcome reply) mutable {
      if (reply.ok() && ReplyStatus(*reply).ok()) {
        watches_.emplace(reply->correlation_id(), std::move(on_event));
      }
      done(std::move(reply));
    };
  }
  // Refused unsent, answered once the current callback has returned, never
  // inside it: after a failed handshake (nothing would answer), and over the
  // cap (an unwatch never is: it ends a watch the controller holds).
  if (!refusal_.ok()) {
    refused_.emplace_back(std::move(on_reply), refusal_);
    return;
  }
  if (static_cast<int>(pending_.size()) >= max_in_flight_ && !call.request.has_unwatch_request()) {
    refused_.emplace_back(std::move(on_reply),
                          absl::ResourceExhaustedError(
                              absl::StrCat("over ", max_in_flight_, " calls in flight (client)")));
    return;
  }
  CallId id = pending_.Add(call.deadline, call.request.target(), std::move(on_reply));
  call.request.set_version(wire::kProtocolVersion);
  call.request.set_correlation_id(id);
  wire::EncodeTo(call.request, send_buffer_);
  absl::Status sent = socket_.Send(send_buffer_);
  if (!sent.ok()) {
    pending_.Resolve(id, sent);
    return;
  }
  counters_.sent.fetch_add(1, std::memory_order_relaxed);
}

void Channel::AnswerRefused() {
  // Those a callback refuses now wait for the next turn: no recursion.
  std::vector<std::pair<wire::PendingCalls::Callback, absl::Status>> refused;
  refused.swap(refused_);
  for (auto& [on_reply, status] : refused) on_reply(std::move(status));
}

void Channel::OnMonitorReadable() {
  while (std::optional<transport::LinkEvent> event = monitor_->Read()) {
    if (*event == transport::LinkEvent::kHandshakeSucceeded) {
      refusal_ = absl::OkStatus();
    } else if (*event == transport::LinkEvent::kHandshakeFailed) {
      refusal_ = Refusal(monitor_->last_failure(), curve_);
      // Nothing will answer them: the controller never saw them.
      pending_.FailIf([](NodeId) { return true; }, refusal_);
    }
  }
}

void Channel::OnSocketReadable() {
  for (int i = 0; i < kReceiveBatch; ++i) {
    absl::StatusOr<bool> received = socket_.Receive(frames_);
    if (!received.ok() || !*received) break;
    if (frames_.size() != 1) {
      counters_.dropped_frames.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    OnReply(frames_[0]);
  }
  ArmTimer();
}

void Channel::OnReply(const std::string& frame) {
  v1::Envelope& reply = scratch_.Fresh();
  if (!DecodeReplyInto(frame, reply).ok()) {
    counters_.dropped_frames.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (reply.has_node_event()) {
    OnEvent(reply);
    return;
  }
  if (!pending_.Resolve(reply.correlation_id(), reply)) {
    counters_.late_replies.fetch_add(1, std::memory_order_relaxed);
  }
}

void Channel::OnEvent(const v1::Envelope& envelope) {
  WatchId id = envelope.correlation_id();
  auto it = watches_.find(id);
  if (it == watches_.end()) {
    counters_.late_replies.fetch_add(1, std::memory_order_relaxed);
    // A watch confirmed after its local deadline: the controller keeps it
    // until told otherwise.
    if (id != 0 && stray_watches_.insert(id).second) SendStrayUnwatch(id);
    return;
  }
  counters_.events.fetch_add(1, std::memory_order_relaxed);
  it->second(EventOf(envelope.node_event()));
}

void Channel::SendStrayUnwatch(WatchId id) {
  Call call;
  call.request.set_target(kControllerId);
  call.request.set_budget_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(kStrayUnwatchTimeout)));
  call.request.mutable_unwatch_request()->set_watch_id(id);
  call.deadline = loop_.ReadClock() + kStrayUnwatchTimeout;
  call.on_reply = [](wire::Outcome) {};
  Send(std::move(call));
}

void Channel::CancelEverything(std::vector<Call> queued) {
  // Oldest first: the calls already sent, then those still queued.
  pending_.FailIf([](NodeId) { return true; }, Cancelled());
  for (Call& call : queued) {
    counters_.cancelled.fetch_add(1, std::memory_order_relaxed);
    call.on_reply(Cancelled());
  }
  watches_.clear();
  if (timer_.has_value()) loop_.Cancel(*timer_);
  timer_.reset();
}

void Channel::ArmTimer() {
  std::optional<absl::Time> next = pending_.NextDeadline();
  if (!next.has_value()) return;  // an armed timer just finds nothing due
  // One armed no later than the next deadline will do: if it fires early, it
  // re-arms.
  if (timer_.has_value() && timer_at_ <= *next) return;
  if (timer_.has_value()) loop_.Cancel(*timer_);
  timer_at_ = *next;
  timer_ = loop_.ScheduleAt(*next, [this] {
    timer_.reset();
    pending_.Expire(loop_.now());
    ArmTimer();
  });
}

}  // namespace arbor::client

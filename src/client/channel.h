// One connection to a controller's client endpoint and the I/O thread that owns
// it: the DEALER, an event loop, the pending-call table and the live watches.
// Callers on any thread hand calls over through a locked queue and a Wakeup;
// every reply, deadline and event is handled on the I/O thread.
#ifndef ARBOR_CLIENT_CHANNEL_H_
#define ARBOR_CLIENT_CHANNEL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "arbor/v1/arbor.pb.h"
#include "client/options.h"
#include "client/types.h"
#include "client/wakeup.h"
#include "transport/event_loop.h"
#include "transport/monitor.h"
#include "transport/socket.h"
#include "wire/calls.h"
#include "wire/scratch.h"

namespace arbor::client {

class Channel {
 public:
  using EventCallback = absl::AnyInvocable<void(const NodeEvent&)>;

  struct Call {
    // target, budget_ms and body set; version and correlation_id are the
    // channel's to fill in.
    v1::Envelope request;
    // Monotonic (MonoNow()); the call resolves DEADLINE_EXCEEDED at this time.
    absl::Time deadline;
    // Runs once, on the I/O thread (or on the submitting thread when the
    // channel is already closed): the reply envelope, DEADLINE_EXCEEDED,
    // CANCELLED, or the status of a failed send.
    wire::PendingCalls::Callback on_reply;
    // A watch request's events, from its OK confirmation until an unwatch of
    // it is sent or the channel closes. Unset for every other request.
    EventCallback on_event;
  };

  // Connects a DEALER (with a routing id of its own, and CURVE with `curve`)
  // to `endpoint` and starts the I/O thread. The connection itself is made in
  // the background, so an endpoint nobody listens on is not an error here: its
  // calls time out. INVALID_ARGUMENT for an endpoint libzmq rejects or bad
  // keys. Calls beyond `max_in_flight` resolve RESOURCE_EXHAUSTED unsent. A
  // monitor watches the handshakes: while the last one failed, calls fail with
  // its reason (ClientOptions.curve says which).
  static absl::StatusOr<std::unique_ptr<Channel>> Open(const std::string& endpoint,
                                                       const transport::SocketOptions& options,
                                                       int max_in_flight,
                                                       const std::optional<CurveKeys>& curve);
  // Close().
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Thread-safe. Queues `call` for the I/O thread, which gives it the next
  // correlation id (monotonic from 1) and sends it; made on the I/O thread
  // (from a callback), it is sent at once.
  void Submit(Call&& call);

  // Thread-safe and idempotent. Resolves every queued and pending call with
  // CANCELLED (on the I/O thread), drops the watches, stops the thread and
  // joins it. Called from a callback (on the I/O thread), the cancellations
  // happen once that callback returns and the join is the destructor's; the
  // destructor itself must not run on the I/O thread.
  void Close();

  ClientCounters counters() const;

 private:
  Channel(std::unique_ptr<transport::Context> context, transport::Socket socket, Wakeup wakeup,
          int max_in_flight, bool curve);
  // Attaches the monitor, connects, starts the I/O thread.
  absl::Status Begin(const std::string& endpoint);

  // I/O thread.
  void AnswerRefused();
  // Handshake events: a failure fails every call in flight and, until a
  // handshake succeeds, every new one.
  void OnMonitorReadable();
  void OnWakeup();
  void OnSocketReadable();
  void OnReply(const std::string& frame);
  void OnEvent(const v1::Envelope& envelope);
  void Send(Call&& call);
  void SendStrayUnwatch(WatchId id);
  void CancelEverything(std::vector<Call> queued);
  void ArmTimer();

  // Declared first: the context must outlive the socket.
  std::unique_ptr<transport::Context> context_;
  transport::Socket socket_;
  std::unique_ptr<transport::Monitor> monitor_;  // of socket_'s handshakes
  bool curve_;
  // OK, or why the last handshake failed (calls fail with it at once).
  absl::Status refusal_;
  Wakeup wakeup_;
  transport::EventLoop loop_;
  wire::PendingCalls pending_;
  absl::flat_hash_map<WatchId, EventCallback> watches_;
  // Watches this client no longer wants: their events are dropped, and a
  // confirmation that came after the local deadline gets an unwatch.
  absl::flat_hash_set<WatchId> stray_watches_;
  std::optional<transport::EventLoop::TimerId> timer_;
  absl::Time timer_at_ = absl::InfinitePast();
  transport::Frames frames_;
  int max_in_flight_;
  // Calls refused unsent (by the cap: RESOURCE_EXHAUSTED; by a failed
  // handshake: its reason), answered before the loop waits.
  std::vector<std::pair<wire::PendingCalls::Callback, absl::Status>> refused_;
  std::string send_buffer_;        // each request is encoded here
  wire::ScratchEnvelope scratch_;  // each reply is decoded here

  // Shared with the submitting threads.
  std::mutex mutex_;
  std::vector<Call> queue_;  // guarded by mutex_
  bool closing_ = false;     // guarded by mutex_
  std::mutex join_mutex_;    // one joiner at a time
  std::thread thread_;
  std::atomic<std::thread::id> io_thread_id_;

  struct AtomicCounters {
    std::atomic<uint64_t> sent{0}, answered{0}, timed_out{0}, cancelled{0}, send_failed{0},
        late_replies{0}, events{0}, dropped_frames{0};
  };
  AtomicCounters counters_;
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_CHANNEL_H_

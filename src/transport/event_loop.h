// One single-threaded event loop per process: sockets and fds with callbacks,
// timers, and a poll whose timeout is the nearest timer. No sleeps, no ticks.
// Its time comes from one injected clock (tests pass a fake one).
#ifndef ARBOR_TRANSPORT_EVENT_LOOP_H_
#define ARBOR_TRANSPORT_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "transport/socket.h"

namespace arbor::transport {

class EventLoop {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  // Timers, the poll timeout and now() all read `clock`, which must outlive
  // the loop.
  explicit EventLoop(const Clock& clock = MonotonicClock()) : clock_(&clock) {}
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_readable` while `socket` has input. The socket must stay alive until
  // RemoveSocket; removing it from inside its own callback is allowed. A source
  // added during a turn is polled from the next turn on; one removed during a
  // turn is not called again, even when it was ready in that turn.
  void AddSocket(Socket& socket, Callback on_readable);
  void RemoveSocket(Socket& socket);
  // Same for a raw file descriptor (stdin, signalfd).
  void AddFd(int fd, Callback on_readable);
  void RemoveFd(int fd);

  // Runs `callback` once at `when` (the clock's time), after the turn's input
  // and after the timers due earlier (or as early, scheduled before it); one
  // already due runs in the current or next turn. Returns an id for Cancel.
  TimerId ScheduleAt(absl::Time when, absl::AnyInvocable<void()> callback);
  // ScheduleAt(ReadClock() + delay).
  TimerId ScheduleAfter(absl::Duration delay, absl::AnyInvocable<void()> callback);
  // Cancelling a timer that already ran or was cancelled is a no-op.
  void Cancel(TimerId id);

  // Polls and dispatches until Stop() is called.
  void Run();
  void Stop() { running_ = false; }

  // Runs `hook` each time the loop is about to wait (after the handlers and
  // timers of one turn), and once more when Run ends: where batched sends are
  // flushed.
  void AddBeforeWait(Callback hook) { before_wait_.push_back(std::move(hook)); }
  bool stopped() const { return !running_; }

  // The clock at the latest wake-up (cheap; handlers use it as "now"): read
  // once per turn, when the poll returns.
  absl::Time now() const { return now_; }
  // The clock read now, for the few places that need the current instant
  // rather than the turn's: deadlines stamped on what is sent, and a handler
  // that a SIGSTOP may have frozen midway.
  absl::Time ReadClock() const { return clock_->Now(); }

  // How many times the poll set has been built: once, then once per turn that
  // follows a change of sources (for tests).
  uint64_t poll_set_builds() const { return poll_set_builds_; }

 private:
  struct Source {
    void* socket = nullptr;  // zmq socket handle, or nullptr for an fd
    int fd = -1;
    Callback on_readable;
    bool removed = false;
  };

  void Remove(void* socket, int fd);
  // Rebuilds the poll set from sources_ when it changed since the last build.
  void UpdatePollSet();
  void RunDueTimers();

  const Clock* clock_;
  std::vector<std::shared_ptr<Source>> sources_;
  // What the poll watches, in sources_' order as of the last build: items_[i]
  // is polled_[i]'s. polled_ keeps a source removed since then alive (and
  // marked removed) until the next build.
  std::vector<zmq_pollitem_t> items_;
  std::vector<std::shared_ptr<Source>> polled_;
  bool sources_changed_ = true;
  uint64_t poll_set_builds_ = 0;
  std::vector<Callback> before_wait_;
  std::map<std::pair<absl::Time, TimerId>, absl::AnyInvocable<void()>> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_times_;
  TimerId next_timer_ = 1;
  bool running_ = false;
  absl::Time now_ = absl::InfinitePast();
};

}  // namespace arbor::transport

#endif  // ARBOR_TRANSPORT_EVENT_LOOP_H_

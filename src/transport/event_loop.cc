#include "transport/event_loop.h"

#include <cerrno>

namespace arbor::transport {

void EventLoop::AddSocket(Socket& socket, Callback on_readable) {
  auto source = std::make_shared<Source>();
  source->socket = socket.ref().handle();
  source->on_readable = std::move(on_readable);
  sources_.push_back(std::move(source));
  sources_changed_ = true;
}

void EventLoop::AddFd(int fd, Callback on_readable) {
  auto source = std::make_shared<Source>();
  source->fd = fd;
  source->on_readable = std::move(on_readable);
  sources_.push_back(std::move(source));
  sources_changed_ = true;
}

void EventLoop::RemoveSocket(Socket& socket) { Remove(socket.ref().handle(), -1); }
void EventLoop::RemoveFd(int fd) { Remove(nullptr, fd); }

void EventLoop::Remove(void* socket, int fd) {
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    if ((*it)->socket == socket && (socket != nullptr || (*it)->fd == fd)) {
      (*it)->removed = true;  // this turn's poll set may still hold it
      sources_.erase(it);
      sources_changed_ = true;
      return;
    }
  }
}

EventLoop::TimerId EventLoop::ScheduleAt(absl::Time when, absl::AnyInvocable<void()> callback) {
  TimerId id = next_timer_++;
  timers_.emplace(std::make_pair(when, id), std::move(callback));
  timer_times_[id] = when;
  return id;
}

EventLoop::TimerId EventLoop::ScheduleAfter(absl::Duration delay,
                                            absl::AnyInvocable<void()> callback) {
  return ScheduleAt(clock_->Now() + delay, std::move(callback));
}

void EventLoop::Cancel(TimerId id) {
  auto it = timer_times_.find(id);
  if (it == timer_times_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_times_.erase(it);
}

void EventLoop::UpdatePollSet() {
  if (!sources_changed_) return;
  items_.clear();
  polled_.clear();
  for (const auto& source : sources_) {
    items_.push_back({source->socket, source->fd, ZMQ_POLLIN, 0});
    polled_.push_back(source);
  }
  sources_changed_ = false;
  ++poll_set_builds_;
}

void EventLoop::RunDueTimers() {
  while (!timers_.empty() && running_) {
    auto first = timers_.begin();
    if (first->first.first > now_) return;
    auto callback = std::move(first->second);
    timer_times_.erase(first->first.second);
    timers_.erase(first);
    callback();
  }
}

void EventLoop::Run() {
  running_ = true;
  now_ = clock_->Now();
  while (running_) {
    for (Callback& hook : before_wait_) hook();
    if (!running_) break;
    UpdatePollSet();  // after the hooks: what they add is polled this turn
    long timeout_ms = -1;
    if (!timers_.empty()) {
      absl::Duration wait = timers_.begin()->first.first - clock_->Now();
      // Round up so a timer due in under a millisecond does not spin.
      timeout_ms = wait <= absl::ZeroDuration() ? 0 : absl::ToInt64Milliseconds(wait) + 1;
    }
    // zmq_poll sets every item's revents, so the set is reused as it is.
    int ready = zmq_poll(items_.data(), static_cast<int>(items_.size()), timeout_ms);
    now_ = clock_->Now();
    if (ready < 0 && zmq_errno() != EINTR) return;  // context terminated
    // Callbacks may add and remove sources: that changes sources_, never
    // items_ or polled_ before the next turn.
    for (size_t i = 0; ready > 0 && i < items_.size() && running_; ++i) {
      // A hung-up pipe (POLLHUP) shows as ZMQ_POLLERR only: its reader must run to
      // see EOF, or poll would return at once forever.
      if ((items_[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) == 0) continue;
      Source& source = *polled_[i];
      if (!source.removed) source.on_readable();
    }
    // Input first, then timers: a process that was frozen reads what queued up
    // before it judges anyone silent.
    RunDueTimers();
  }
  // What the last turn queued still goes out (a worker exiting mid-turn).
  for (Callback& hook : before_wait_) hook();
}

}  // namespace arbor::transport

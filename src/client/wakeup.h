// A wake-up for an event loop from other threads: an eventfd, readable once
// Notify() has been called and until Drain(). Safe to Notify from any thread.
#ifndef ARBOR_CLIENT_WAKEUP_H_
#define ARBOR_CLIENT_WAKEUP_H_

#include "absl/status/statusor.h"

namespace arbor::client {

class Wakeup {
 public:
  // INTERNAL (with errno's text) when the eventfd cannot be made.
  static absl::StatusOr<Wakeup> Create();
  Wakeup(Wakeup&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Wakeup& operator=(Wakeup&&) = delete;
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  ~Wakeup();

  // For the loop's poll set; owned by this object.
  int fd() const { return fd_; }
  // Makes fd() readable. Never blocks.
  void Notify();
  // Makes fd() unreadable again until the next Notify().
  void Drain();

 private:
  explicit Wakeup(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_WAKEUP_H_

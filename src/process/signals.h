// Signals as readable data: the handled signals are blocked and read from a
// signalfd in the poll set; SIGPIPE is ignored.
#ifndef ARBOR_PROCESS_SIGNALS_H_
#define ARBOR_PROCESS_SIGNALS_H_

#include <signal.h>

#include <initializer_list>
#include <vector>

#include "absl/status/statusor.h"

namespace arbor::process {

class SignalFd {
 public:
  // Blocks `signals` for the calling thread (do it before any thread starts: they
  // inherit the mask) and opens a non-blocking signalfd for them.
  static absl::StatusOr<SignalFd> Open(std::initializer_list<int> signals);
  ~SignalFd();
  SignalFd(SignalFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SignalFd& operator=(SignalFd&&) = delete;
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_; }
  // Every signal number waiting; empty when none.
  std::vector<int> ReadAll();

 private:
  explicit SignalFd(int fd) : fd_(fd) {}
  int fd_;
};

// Raises RLIMIT_NOFILE to its hard limit (libzmq aborts on EMFILE).
void RaiseFileLimit();

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_SIGNALS_H_

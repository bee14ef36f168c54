// Spawning workers and owning them: posix_spawn with a clean signal state, one
// process group, stdin/stdout on /dev/null; an RAII handle that kills and reaps.
#ifndef ARBOR_PROCESS_CHILD_H_
#define ARBOR_PROCESS_CHILD_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace arbor::process {

// How a reaped child ended, for messages ("exited with code 1").
std::string DescribeWaitStatus(int wait_status);

// A spawned child. Destroying a handle whose child was not reaped kills it with
// SIGKILL and reaps it, so no code path leaves a zombie or a stray process.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(Child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // posix_spawn `path` with `argv` (argv[0] included). `process_group`: 0 makes
  // the child lead a new group, >0 joins that group. The signal mask is emptied
  // and SIGINT/SIGTERM/SIGHUP/SIGCHLD/SIGPIPE reset to default in the child.
  // Its stdin is `stdin_fd` when >= 0 (e.g. a pipe's read end), else /dev/null;
  // its stdout likewise `stdout_fd` (a pipe's write end), else /dev/null.
  // `search_path`: a `path` without '/' is looked up in $PATH (a launcher).
  // Its stderr is `stderr_fd` when >= 0 (a pipe's write end), else ours.
  static absl::StatusOr<Child> Spawn(const std::string& path, const std::vector<std::string>& argv,
                                     pid_t process_group, int stdin_fd = -1,
                                     bool search_path = false, int stdout_fd = -1,
                                     int stderr_fd = -1);

  pid_t pid() const { return pid_; }
  // Sends `signal`; a no-op once reaped.
  void Signal(int signal) const;
  // The child was reaped elsewhere (waitpid(-1)): forget it.
  void MarkReaped() { pid_ = -1; }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// A file descriptor, closed when the handle goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  void Reset();

 private:
  int fd_ = -1;
};

// True once `pid` has exited (a zombie counts), waiting on a pidfd at most
// `timeout`; also true when there is no such process. Reaps nothing.
bool WaitExited(pid_t pid, absl::Duration timeout);

// The directory of the running binary (from /proc/self/exe).
absl::StatusOr<std::string> SelfDirectory();

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_CHILD_H_

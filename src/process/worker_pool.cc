#include "process/worker_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "process/proc_stat.h"

namespace arbor::process {

absl::StatusOr<pid_t> WorkerPool::Spawn(const std::vector<std::string>& args,
                                        const Launch& launch) {
  std::vector<std::string> argv = launch.launcher;
  argv.push_back(worker_path_);
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string& program = argv.front();
  bool search = !launch.launcher.empty();  // `ssh`, `srun`: found in $PATH
  UniqueFd read_end;
  UniqueFd write_end;
  if (launch.lifeline) {
    int fds[2];
    // Close-on-exec both: only the child's stdin (a dup) stays open in it, so
    // no other worker holds the write end and EOF comes when the pool closes it.
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
    }
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
  }
  absl::StatusOr<Child> child = Child::Spawn(program, argv, group_, read_end.get(), search,
                                             /*stdout_fd=*/-1, launch.stderr_fd);
  if (!child.ok() && group_ != 0 && ::kill(-group_, 0) != 0 && errno == ESRCH) {
    // Every member of our group is gone (setpgid fails): start a new one. Any
    // other failure (a launcher not found) keeps the group KillAll signals.
    group_ = 0;
    child = Child::Spawn(program, argv, 0, read_end.get(), search,
                         /*stdout_fd=*/-1, launch.stderr_fd);
  }
  if (!child.ok())
    return absl::InternalError(absl::StrCat(program, ": ", child.status().message()));
  pid_t pid = child->pid();
  if (group_ == 0) group_ = pid;
  if (!launch.first_words.empty() && write_end.get() >= 0) {
    // A fresh pipe takes PIPE_BUF bytes at once; a worker that already died
    // (EPIPE: SIGPIPE is ignored) says so through SIGCHLD.
    ssize_t n;
    do {
      n = ::write(write_end.get(), launch.first_words.data(), launch.first_words.size());
    } while (n < 0 && errno == EINTR);
  }
  children_.emplace(pid, Member{std::move(*child), group_, std::move(write_end)});
  return pid;
}

void WorkerPool::CloseLifeline(pid_t pid) {
  auto it = children_.find(pid);
  if (it != children_.end()) it->second.lifeline.Reset();
}

std::vector<WorkerPool::Exit> WorkerPool::Reap() {
  std::vector<Exit> exits;
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    auto it = children_.find(pid);
    if (it != children_.end()) {
      it->second.child.MarkReaped();
      children_.erase(it);
    }
    exits.push_back({pid, status});
  }
  // A group with no member of ours left may vanish and its id be reused: the
  // next worker starts a new one.
  bool group_alive = false;
  for (const auto& [pid, member] : children_) group_alive |= member.group == group_;
  if (!group_alive) group_ = 0;
  return exits;
}

void WorkerPool::Kill(pid_t pid) {
  auto it = children_.find(pid);
  if (it != children_.end()) it->second.child.Signal(SIGKILL);
}

void WorkerPool::KillStopped() {
  for (auto& [pid, member] : children_) {
    std::optional<ProcStat> stat = ReadProcStat(pid);
    if (stat && stat->stopped()) member.child.Signal(SIGKILL);
  }
}

void WorkerPool::KillAll() {
  // group_ always has a member of ours (Reap resets it): its id is not reused.
  if (group_ > 0) ::killpg(group_, SIGKILL);
  for (auto& [pid, member] : children_) member.child.Signal(SIGKILL);
}

}  // namespace arbor::process

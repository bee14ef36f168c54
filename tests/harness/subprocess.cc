// Helper programs for tests: posix_spawn with a clean signal state, memfds or
// pipes, pidfd waits against deadlines.
#include "harness/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "harness/processes.h"

extern char** environ;

namespace arbor::testing {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Reaps `pid` (already exited, or killed by us); its wait status. A pid that
// ReapOrphans() took first still has its status remembered there.
int Reap(pid_t pid) {
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, 0) == pid) return status;
    if (errno == EINTR) continue;
    return TakeReapedStatus(pid).value_or(-1);
  }
}

std::string ReadAll(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

}  // namespace

absl::StatusOr<pid_t> SpawnWithFds(const std::vector<std::string>& argv, int stdin_fd,
                                   int stdout_fd, int stderr_fd,
                                   const std::vector<std::string>* env) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  if (stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (std::string& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env_copy = env != nullptr ? *env : std::vector<std::string>();
  std::vector<char*> c_env;
  for (std::string& e : env_copy) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0].c_str(), &actions, &attr, c_argv.data(),
                        env != nullptr ? c_env.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return absl::InternalError(absl::StrCat("spawn ", argv[0], ": ", std::strerror(rc)));
  return pid;
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$") == std::string::npos;
    out += plain ? a : absl::StrCat("'", a, "'");
  }
  return out;
}

std::optional<std::string> FindExecutable(const std::vector<std::string>& candidates) {
  for (const std::string& path : candidates) {
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::string_view input, absl::Time deadline) {
  int in = memfd_create("cmd-stdin", MFD_CLOEXEC);
  int out = memfd_create("cmd-stdout", MFD_CLOEXEC);
  int err = memfd_create("cmd-stderr", MFD_CLOEXEC);
  auto close_all = [&] {
    CloseFd(in);
    CloseFd(out);
    CloseFd(err);
  };
  if (in < 0 || out < 0 || err < 0) {
    close_all();
    return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  }
  if (write(in, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    close_all();
    return absl::InternalError("writing a command's stdin");
  }
  lseek(in, 0, SEEK_SET);
  absl::StatusOr<pid_t> pid = SpawnWithFds(argv, in, out, err);
  if (!pid.ok()) {
    close_all();
    return pid.status();
  }
  int pidfd = PidfdOpen(*pid);
  bool exited = pidfd >= 0 && WaitReadable(pidfd, deadline);
  if (!exited) {
    if (pidfd < 0 || PidfdSendSignal(pidfd, SIGKILL) != 0) kill(*pid, SIGKILL);  // not reaped yet
  }
  if (pidfd >= 0) close(pidfd);
  int status = Reap(*pid);
  CommandResult result{ShellStatus(status), ReadAll(out), ReadAll(err)};
  close_all();
  if (!exited) {
    return absl::DeadlineExceededError(
        absl::StrCat(JoinArgv(argv), ": still running at its deadline; stderr: ", result.err));
  }
  return result;
}

absl::StatusOr<std::unique_ptr<SpawnedProcess>> SpawnedProcess::Start(
    const std::vector<std::string>& argv) {
  signal(SIGPIPE, SIG_IGN);  // writing to a program that is gone is an error, not death
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1]}) CloseFd(*fd);
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> pid = SpawnWithFds(argv, in[0], out[1], -1);
  CloseFd(in[0]);
  CloseFd(out[1]);
  if (!pid.ok()) {
    CloseFd(in[1]);
    CloseFd(out[0]);
    return pid.status();
  }
  std::unique_ptr<SpawnedProcess> process(new SpawnedProcess());
  process->pid_ = *pid;
  process->pidfd_ = PidfdOpen(*pid);
  process->stdin_fd_ = in[1];
  process->stdout_fd_ = out[0];
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return process;
}

SpawnedProcess::~SpawnedProcess() {
  CloseStdin();
  CloseFd(stdout_fd_);
  if (!status_) {
    // Through the pidfd: ReapOrphans() may have reaped it, and its pid been reused.
    if (pidfd_ >= 0) {
      PidfdSendSignal(pidfd_, SIGKILL);
    } else {
      kill(pid_, SIGKILL);
    }
    status_ = ShellStatus(Reap(pid_));
  }
  CloseFd(pidfd_);
}

void SpawnedProcess::CloseStdin() { CloseFd(stdin_fd_); }

std::optional<std::string> SpawnedProcess::ReadLine(absl::Time deadline) {
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (stdout_fd_ < 0) return std::nullopt;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {  // EOF: a last line without '\n' still counts
      CloseFd(stdout_fd_);
      if (buffer_.empty()) return std::nullopt;
      std::string line = std::move(buffer_);
      buffer_.clear();
      return line;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN || !WaitReadable(stdout_fd_, deadline)) return std::nullopt;
  }
}

std::optional<int> SpawnedProcess::WaitExit(absl::Time deadline) {
  if (status_) return status_;
  if (pidfd_ >= 0 && !WaitReadable(pidfd_, deadline)) return std::nullopt;
  status_ = ShellStatus(Reap(pid_));
  return status_;
}

}  // namespace arbor::testing

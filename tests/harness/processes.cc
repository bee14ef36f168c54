// Process facts for the tests: /proc parsing, pidfds, reaping.
#include "harness/processes.h"

#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "process/proc_stat.h"

namespace arbor::testing {
namespace {

// Exit statuses reaped by ReapOrphans(), by pid, until TakeReapedStatus().
std::map<pid_t, int>& ReapedStatuses() {
  static auto* statuses = new std::map<pid_t, int>();
  return *statuses;
}

// Milliseconds until `deadline` for poll(): never negative, rounded up.
int PollTimeoutMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, INT_MAX));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignal(int pidfd, int signal) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

bool WaitReadable(int fd, absl::Time deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, PollTimeoutMs(deadline));
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (absl::Now() >= deadline) return false;
  }
}

std::string ReadCmdline(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ProcessState(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("State:")) {
      return std::string(absl::StripAsciiWhitespace(absl::string_view(line).substr(6)));
    }
  }
  return "";
}

bool ProcessRunning(pid_t pid) {
  std::string state = ProcessState(pid);
  return !state.empty() && state[0] != 'Z' && state[0] != 'X';
}

bool WaitNotRunning(pid_t pid, absl::Time deadline) {
  int fd = PidfdOpen(pid);
  if (fd < 0) return !ProcessRunning(pid);
  bool exited = WaitReadable(fd, deadline);
  close(fd);
  ReapOrphans();
  return exited || !ProcessRunning(pid);
}

pid_t ParentPid(pid_t pid) {
  std::optional<process::ProcStat> stat = process::ReadProcStat(pid);
  return stat ? stat->ppid : 0;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    std::istringstream list(ReadFile((task.path() / "children").string()));
    pid_t child = 0;
    while (list >> child) children.push_back(child);
  }
  return children;
}

void ReapOrphans() {
  int status = 0;
  for (;;) {
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    ReapedStatuses()[pid] = status;
  }
}

std::optional<int> TakeReapedStatus(pid_t pid) {
  auto it = ReapedStatuses().find(pid);
  if (it == ReapedStatuses().end()) return std::nullopt;
  int status = it->second;
  ReapedStatuses().erase(it);
  return status;
}

int ShellStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

bool WaitUntil(const std::function<bool()>& done, absl::Time deadline) {
  while (!done()) {
    if (absl::Now() > deadline) return false;
    timespec pause{0, 1000000};  // 1 ms between looks
    nanosleep(&pause, nullptr);
  }
  return true;
}

bool WaitAllThreadsStopped(pid_t pid, absl::Time deadline) {
  std::string tasks = absl::StrCat("/proc/", pid, "/task");
  while (true) {
    bool all_stopped = true;
    int seen = 0;
    if (DIR* dir = opendir(tasks.c_str())) {
      while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::optional<process::ProcStat> stat =
            process::ReadProcStat(tasks + "/" + entry->d_name + "/stat");
        if (!stat) continue;
        ++seen;
        if (!stat->stopped()) all_stopped = false;
      }
      closedir(dir);
    }
    if (seen == 0) return false;  // gone
    if (all_stopped) return true;
    if (absl::Now() > deadline) return false;
    timespec pause{0, 1000000};  // 1 ms between looks at /proc
    nanosleep(&pause, nullptr);
  }
}

}  // namespace arbor::testing

// Facts about processes for the process tests: /proc, pidfds, reaping. The
// test binary is a subreaper (tests/main_test.cc), so orphaned workers become
// its children and are reaped here.
#ifndef ARBOR_TESTS_HARNESS_PROCESSES_H_
#define ARBOR_TESTS_HARNESS_PROCESSES_H_

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace arbor::testing {

// pidfd_open(2) and pidfd_send_signal(2) (glibc 2.36's <sys/pidfd.h> lacks
// extern "C", so these call the kernel directly). -1 and errno on failure.
int PidfdOpen(pid_t pid);
int PidfdSendSignal(int pidfd, int signal);

// Waits until `fd` is readable (a pidfd: its process has exited) or `deadline`
// passes; true when readable. poll() only, never a sleep.
bool WaitReadable(int fd, absl::Time deadline);

// /proc/<pid>/cmdline: the arguments, each ended by a NUL ("" when there is
// no such process).
std::string ReadCmdline(pid_t pid);

// The `State:` value of /proc/<pid>/status ("" when there is no such process).
std::string ProcessState(pid_t pid);

// True when `pid` exists and is not a zombie (judged from `State:`; a stopped
// process is running).
bool ProcessRunning(pid_t pid);

// Waits until `pid` is not running (exited, a zombie, or gone), with a pidfd;
// true if so by `deadline`. Exited orphans are reaped.
bool WaitNotRunning(pid_t pid, absl::Time deadline);

// Waits until every thread of `pid` is stopped (state T in /proc/<pid>/task/*/stat);
// false at `deadline` or when the process is gone.
bool WaitAllThreadsStopped(pid_t pid, absl::Time deadline);

// Looks at `done` every millisecond until it holds (true) or `deadline`
// passes (false): for a condition only /proc shows, with no fd to wait on.
bool WaitUntil(const std::function<bool()>& done, absl::Time deadline);

// The parent pid of `pid` from /proc/<pid>/stat (0 when unknown).
pid_t ParentPid(pid_t pid);

// The children of `pid` (every thread's, from /proc/<pid>/task/*/children).
std::vector<pid_t> ChildrenOf(pid_t pid);

// Reaps every exited child of the test process without blocking. Statuses are
// remembered for TakeReapedStatus(): a harness whose controller was reaped
// here (one test may run two controllers) still learns its exit status.
void ReapOrphans();

// The wait status of `pid` if ReapOrphans() reaped it (once).
std::optional<int> TakeReapedStatus(pid_t pid);

// An exit status as a shell prints it: the exit code, or 128 + the signal.
int ShellStatus(int wait_status);

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_PROCESSES_H_

// An RAII handle on one real `arbor` controller, for process tests: pipes to its
// stdin and stdout, deadline-bounded reads, and the bookkeeping that proves no
// worker of a test outlives it.
//
// Contract:
// - The controller runs with its own fresh TMPDIR (so its ipc directory is ours to
//   inspect and remove), a default signal mask and dispositions, stdin and stdout
//   on pipes, stderr in an in-memory file (never a pipe nobody reads: a chatty
//   process can never block on it). When the test has failed (or
//   ARBOR_TEST_TRANSCRIPT is set) the destructor prints a timed transcript of
//   the session and that stderr.
// - Every read waits with poll() against a deadline; nothing here sleeps.
// - Every worker the controller reports (`Ok: <pid>` after a create, the pid
//   column of `tree`) and every child of the controller seen in /proc is tracked
//   through a pidfd, so a recycled pid can never be mistaken for a worker or
//   signalled (pid_max may be as low as 32768).
// - The destructor SIGKILLs the controller if it still runs and reaps it, then
//   waits (with a deadline) for every tracked worker to exit: a worker still
//   running is a test failure, and is SIGKILLed through its pidfd. Exited
//   orphans (the test binary is a subreaper, see tests/main_test.cc) are reaped.
// - Only processes this harness started or saw are ever signalled.
#ifndef ARBOR_TESTS_HARNESS_ARBOR_PROCESS_H_
#define ARBOR_TESTS_HARNESS_ARBOR_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "harness/processes.h"

namespace arbor::testing {

// How long a test waits for a line or an exit before it calls it a failure:
// generous, so a loaded 2-core machine (or an ASan build) does not flake.
inline constexpr absl::Duration kWait = absl::Seconds(10);

// The deadline `timeout` from now.
inline absl::Time Within(absl::Duration timeout = kWait) { return absl::Now() + timeout; }

// The pid of an `Ok: <pid>` create answer; nullopt for any other line (`Ok: 0`
// and `Ok: 1` are ping answers, never pids).
std::optional<pid_t> PidOfOkLine(std::string_view line);

class ArborProcess {
 public:
  // Starts `binary` (the built `arbor` by default) with `flags`. A start that
  // fails is a test failure (started() is false).
  explicit ArborProcess(std::vector<std::string> flags = {}, std::string binary = ARBOR_BIN);
  ~ArborProcess();
  ArborProcess(const ArborProcess&) = delete;
  ArborProcess& operator=(const ArborProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The TMPDIR the controller runs with (its ipc directory lives inside).
  const std::string& tmpdir() const { return tmpdir_; }

  // Writes `line` and a '\n' to the controller's stdin; false if it is closed.
  bool Send(std::string_view line);
  // Writes `bytes` exactly (e.g. a last line without '\n').
  bool SendRaw(std::string_view bytes);
  // Closes stdin: the controller sees EOF.
  void CloseStdin();

  // The next stdout line without its '\n' (a last line without '\n' counts);
  // nullopt at EOF or when `deadline` passes first.
  std::optional<std::string> ReadLine(absl::Time deadline = Within());
  // The next line is exactly `expected`.
  ::testing::AssertionResult ExpectLine(std::string_view expected, absl::Time deadline = Within());
  // The next lines are `expected`, in order (the first miss is the failure).
  ::testing::AssertionResult ExpectLines(const std::vector<std::string>& expected,
                                         absl::Time deadline = Within());
  // For each row, sends its input line and expects its answer as the next line
  // (--sync, or answers that come in order); the failure names the input.
  ::testing::AssertionResult ExpectAnswers(
      const std::vector<std::pair<std::string, std::string>>& rows, absl::Time deadline = Within());
  // The next expected.size() lines are `expected` in some order (for answers of
  // different nodes, which print as they complete).
  ::testing::AssertionResult ExpectLinesAnyOrder(std::vector<std::string> expected,
                                                 absl::Time deadline = Within());
  // Sends `create <args>` and expects `Ok: <pid>` as the next line; stores the pid.
  ::testing::AssertionResult Create(std::string_view args, pid_t* pid,
                                    absl::Time deadline = Within());
  // Every line until EOF; nullopt when `deadline` passes first.
  std::optional<std::vector<std::string>> ReadUntilEof(absl::Time deadline = Within());
  bool eof() const { return eof_; }

  // Waits for the controller to exit and reaps it; its ShellStatus(), or
  // nullopt when `deadline` passes first.
  std::optional<int> WaitExit(absl::Time deadline = Within());
  // Sends `signal` to the controller (only while it has not been reaped).
  void Kill(int signal);

  // Worker pids seen so far (create answers, tree lines, children in /proc).
  std::vector<pid_t> workers() const;
  // Sends `signal` to a tracked worker through its pidfd.
  bool SignalWorker(pid_t pid, int signal);
  // Waits until tracked worker `pid` has exited (a zombie has exited).
  ::testing::AssertionResult WorkerExits(pid_t pid, absl::Time deadline = Within());
  // "No worker of this test left running": waits until every tracked worker
  // has exited, then reaps orphans. Use at the end of each test.
  ::testing::AssertionResult NoWorkerLeft(absl::Time deadline = Within());
  // Ends a session as a script does: closes stdin, then expects no further
  // line, EOF, exit status 0, no worker left running and the ipc directory
  // removed.
  ::testing::AssertionResult FinishCleanly(absl::Time deadline = Within());
  // Entries left in the controller's TMPDIR (its ipc directory must be gone
  // after a clean exit).
  std::vector<std::string> TmpdirEntries() const;

  // Everything sent ("> ") and read ("< "), for failure messages.
  std::string Transcript() const;
  // What the controller and its workers wrote to stderr.
  std::string Stderr() const;

 private:
  void Start(const std::vector<std::string>& flags, const std::string& binary);
  void Track(pid_t pid);
  void TrackControllerChildren();
  // Appends one event to the transcript, stamped with the time since the start.
  void Note(std::string_view event);
  void NoteLine(const std::string& line);
  bool Exited(pid_t pid) const;
  bool Reaped() const { return exit_status_.has_value(); }

  pid_t pid_ = -1;
  int pidfd_ = -1;  // the controller's
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;  // memfd
  std::string tmpdir_;
  std::string buffer_;
  bool eof_ = false;
  std::optional<int> exit_status_;  // ShellStatus, once reaped
  std::map<pid_t, int> worker_pidfds_;
  absl::Time start_ = absl::Now();
  std::string transcript_;
};

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_ARBOR_PROCESS_H_

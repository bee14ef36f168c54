// Running helper programs from tests: one command to completion with its output
// captured (RunCommand), or one long-lived program with pipes on its stdin and
// stdout (SpawnedProcess). Both are bounded by deadlines; nothing here sleeps.
//
// Contract:
// - RunCommand's stdin, stdout and stderr are memfds, never pipes: a program
//   that leaves a background child holding them cannot block the test, and
//   the result is read once the program itself has exited.
// - A program still running at its deadline is SIGKILLed and reaped, and the
//   call returns DEADLINE_EXCEEDED.
// - SpawnedProcess's destructor closes its pipes, SIGKILLs the program if it
//   still runs and reaps it: no code path leaves it behind. Children the
//   program started itself are not its business: whoever made them kills them
//   (the test binary is a subreaper, ReapOrphans() reaps them).
// - The signal mask and dispositions are reset in the child (the test binary
//   may block signals for a signalfd).
#ifndef ARBOR_TESTS_HARNESS_SUBPROCESS_H_
#define ARBOR_TESTS_HARNESS_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace arbor::testing {

// posix_spawnp `argv` with `stdin_fd`/`stdout_fd`/`stderr_fd` (-1: inherit),
// an empty signal mask and default dispositions, and `env` (null: this
// process's environment). Its pid, or why not. The one spawn of the harness.
absl::StatusOr<pid_t> SpawnWithFds(const std::vector<std::string>& argv, int stdin_fd,
                                   int stdout_fd, int stderr_fd,
                                   const std::vector<std::string>* env = nullptr);

struct CommandResult {
  int status = -1;  // as a shell prints it (ShellStatus): the exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on its stdin and waits
// for it to exit. INTERNAL when it cannot be started, DEADLINE_EXCEEDED when it
// runs past `deadline` (then it is killed). A non-zero exit is not an error:
// look at `status`.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         std::string_view input, absl::Time deadline);

// The first of `candidates` that is an executable file; nullopt if none is.
std::optional<std::string> FindExecutable(const std::vector<std::string>& candidates);

// "a b 'c d'": argv for messages.
std::string JoinArgv(const std::vector<std::string>& argv);

// One long-lived program with pipes on its stdin and stdout; stderr goes to
// the test's stderr.
class SpawnedProcess {
 public:
  // Starts `argv` (argv[0] looked up in PATH).
  static absl::StatusOr<std::unique_ptr<SpawnedProcess>> Start(
      const std::vector<std::string>& argv);
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next stdout line without its '\n'; nullopt at EOF or when `deadline`
  // passes first.
  std::optional<std::string> ReadLine(absl::Time deadline);
  // Closes the program's stdin (it sees EOF).
  void CloseStdin();
  // Waits until the program exits and reaps it; its ShellStatus, or nullopt
  // when `deadline` passes first.
  std::optional<int> WaitExit(absl::Time deadline);

 private:
  SpawnedProcess() = default;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_SUBPROCESS_H_

// The process-test harness: spawn, talk over pipes, and leave nothing behind.
#include "harness/arbor_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "harness/subprocess.h"

extern char** environ;

namespace arbor::testing {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::string Escape(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<pid_t> PidOfOkLine(std::string_view line) {
  if (!line.starts_with("Ok: ")) return std::nullopt;
  line.remove_prefix(4);
  pid_t pid = 0;
  auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), pid);
  if (line.empty() || error != std::errc() || end != line.data() + line.size() || pid <= 1) {
    return std::nullopt;
  }
  return pid;
}

ArborProcess::ArborProcess(std::vector<std::string> flags, std::string binary) {
  Start(flags, binary);
}

void ArborProcess::Start(const std::vector<std::string>& flags, const std::string& binary) {
  signal(SIGPIPE, SIG_IGN);  // a write to a controller that is gone is an error, not death
  char dir_template[] = "/tmp/arbor-test-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return;
  }
  tmpdir_ = dir_template;

  // Every descriptor is close-on-exec: only the dup2'd copies reach the child,
  // so no controller (of this or another harness) holds our end of a pipe.
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  stderr_fd_ = memfd_create("arbor-stderr", MFD_CLOEXEC);
  if (stderr_fd_ < 0 || pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipes for the controller: " << std::strerror(errno);
    for (int* fd : {&in[0], &in[1], &out[0], &out[1]}) CloseFd(*fd);
    return;
  }

  std::vector<std::string> args = {binary};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("TMPDIR=")) continue;
    env.emplace_back(*e);
  }
  env.push_back("TMPDIR=" + tmpdir_);
  absl::StatusOr<pid_t> pid = SpawnWithFds(args, in[0], out[1], stderr_fd_, &env);
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  if (!pid.ok()) {
    ADD_FAILURE() << pid.status();
    return;
  }
  pid_ = *pid;
  pidfd_ = PidfdOpen(pid_);
  if (pidfd_ < 0) ADD_FAILURE() << "pidfd_open(controller): " << std::strerror(errno);
  fcntl(stdout_fd_, F_SETFL, fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
  Note(absl::StrCat("$ ", absl::StrJoin(args, " "), "   (pid ", pid_, ")"));
}

ArborProcess::~ArborProcess() {
  if (started() && !Reaped()) {
    TrackControllerChildren();
    PidfdSendSignal(pidfd_, SIGKILL);
    if (!WaitExit(Within())) ADD_FAILURE() << "controller " << pid_ << " survived SIGKILL";
  }
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  // A stopped worker could not notice that its controller is gone.
  for (const auto& [pid, fd] : worker_pidfds_) {
    if (!Exited(pid)) PidfdSendSignal(fd, SIGCONT);
  }
  ::testing::AssertionResult left = NoWorkerLeft(Within());
  if (!left) {
    ADD_FAILURE() << "after the controller exited: " << left.message();
    for (const auto& [pid, fd] : worker_pidfds_) {
      if (!Exited(pid)) PidfdSendSignal(fd, SIGKILL);
    }
    (void)NoWorkerLeft(Within());
  }
  ReapOrphans();
  // An ASan/UBSan build reports into the shared stderr (controller and workers).
  std::string errors = Stderr();
  if (errors.find("Sanitizer") != std::string::npos ||
      errors.find(": runtime error: ") != std::string::npos) {
    ADD_FAILURE() << "a sanitizer reported an error on stderr";
  }
  if (::testing::Test::HasFailure() || std::getenv("ARBOR_TEST_TRANSCRIPT") != nullptr) {
    std::cerr << "---- arbor transcript\n"
              << Transcript() << "---- arbor stderr\n"
              << Stderr() << "----\n";
  }
  for (auto& [pid, fd] : worker_pidfds_) CloseFd(fd);
  CloseFd(pidfd_);
  CloseFd(stderr_fd_);
  if (!tmpdir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(tmpdir_, ignored);
  }
}

bool ArborProcess::Send(std::string_view line) { return SendRaw(absl::StrCat(Sv(line), "\n")); }

bool ArborProcess::SendRaw(std::string_view bytes) {
  Note(absl::StrCat("> ", Escape(bytes)));
  if (stdin_fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = write(stdin_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ArborProcess::CloseStdin() {
  Note("> (EOF)");
  CloseFd(stdin_fd_);
}

std::optional<std::string> ArborProcess::ReadLine(absl::Time deadline) {
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      NoteLine(line);
      return line;
    }
    if (eof_ || stdout_fd_ < 0) {
      if (buffer_.empty()) return std::nullopt;
      std::string line = std::move(buffer_);
      buffer_.clear();
      NoteLine(line);
      return line;
    }
    if (!WaitReadable(stdout_fd_, deadline)) {
      Note("< (nothing by the deadline)");
      return std::nullopt;
    }
    char chunk[4096];
    ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n == 0) {
      eof_ = true;
      Note("< (EOF)");
    } else if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
    } else if (errno != EINTR && errno != EAGAIN) {
      eof_ = true;
    }
  }
}

::testing::AssertionResult ArborProcess::ExpectLine(std::string_view expected,
                                                    absl::Time deadline) {
  std::optional<std::string> line = ReadLine(deadline);
  if (!line) {
    return ::testing::AssertionFailure() << "expected the line '" << expected << "', got "
                                         << (eof_ ? "EOF" : "nothing by the deadline");
  }
  if (*line != expected) {
    return ::testing::AssertionFailure()
           << "expected the line '" << expected << "', got '" << *line << "'";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::ExpectLines(const std::vector<std::string>& expected,
                                                     absl::Time deadline) {
  for (const std::string& line : expected) {
    if (::testing::AssertionResult got = ExpectLine(line, deadline); !got) return got;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::ExpectAnswers(
    const std::vector<std::pair<std::string, std::string>>& rows, absl::Time deadline) {
  for (const auto& [input, output] : rows) {
    if (!Send(input)) return ::testing::AssertionFailure() << "could not send '" << input << "'";
    if (::testing::AssertionResult got = ExpectLine(output, deadline); !got) {
      return got << " (input: '" << input << "')";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::ExpectLinesAnyOrder(std::vector<std::string> expected,
                                                             absl::Time deadline) {
  std::vector<std::string> got;
  while (got.size() < expected.size()) {
    std::optional<std::string> line = ReadLine(deadline);
    if (!line) break;
    got.push_back(*line);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != expected) {
    return ::testing::AssertionFailure()
           << "expected the lines {" << absl::StrJoin(expected, " | ") << "} in any order, got {"
           << absl::StrJoin(got, " | ") << "}" << (eof_ ? " then EOF" : "");
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::Create(std::string_view args, pid_t* pid,
                                                absl::Time deadline) {
  Send(absl::StrCat("create ", Sv(args)));
  std::optional<std::string> line = ReadLine(deadline);
  std::optional<pid_t> parsed = line ? PidOfOkLine(*line) : std::nullopt;
  if (!parsed) {
    return ::testing::AssertionFailure()
           << "create " << args << ": expected 'Ok: <pid>', got "
           << (line ? absl::StrCat("'", *line, "'") : std::string(eof_ ? "EOF" : "nothing"));
  }
  *pid = *parsed;
  return ::testing::AssertionSuccess();
}

std::optional<std::vector<std::string>> ArborProcess::ReadUntilEof(absl::Time deadline) {
  std::vector<std::string> lines;
  for (;;) {
    std::optional<std::string> line = ReadLine(deadline);
    if (!line) break;
    lines.push_back(*line);
  }
  if (!eof_) return std::nullopt;
  return lines;
}

std::optional<int> ArborProcess::WaitExit(absl::Time deadline) {
  if (Reaped()) return exit_status_;
  if (!started()) return std::nullopt;
  if (!WaitReadable(pidfd_, deadline)) return std::nullopt;
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid_) {
    // Reaped already by ReapOrphans() (waitpid(-1)) of this or another harness.
    std::optional<int> reaped_status = TakeReapedStatus(pid_);
    if (!reaped_status) return std::nullopt;
    status = *reaped_status;
  }
  exit_status_ = ShellStatus(status);
  Note(absl::StrCat("$ (controller exited: ", *exit_status_, ")"));
  return exit_status_;
}

void ArborProcess::Kill(int signal) {
  Note(absl::StrCat("$ kill -", signal, " controller"));
  if (started() && !Reaped()) PidfdSendSignal(pidfd_, signal);
}

std::vector<pid_t> ArborProcess::workers() const {
  std::vector<pid_t> pids;
  for (const auto& [pid, fd] : worker_pidfds_) pids.push_back(pid);
  return pids;
}

bool ArborProcess::SignalWorker(pid_t pid, int signal) {
  Note(absl::StrCat("$ kill -", signal, " ", pid));
  Track(pid);
  auto it = worker_pidfds_.find(pid);
  if (it == worker_pidfds_.end() || it->second < 0) return false;
  if (PidfdSendSignal(it->second, signal) != 0) return false;
  // kill() returns before the target's threads have stopped: one still running
  // on the other core could read a request sent right after. Only the parent
  // (the controller) can wait for the stop, so poll /proc until every thread
  // shows T — a wait for a state with a deadline, not a sleep for time.
  if (signal == SIGSTOP) return WaitAllThreadsStopped(pid, Within());
  return true;
}

::testing::AssertionResult ArborProcess::WorkerExits(pid_t pid, absl::Time deadline) {
  auto it = worker_pidfds_.find(pid);
  if (it == worker_pidfds_.end()) {
    return ::testing::AssertionFailure() << "pid " << pid << " is not a worker of this controller";
  }
  if (it->second >= 0 && !WaitReadable(it->second, deadline)) {
    return ::testing::AssertionFailure()
           << "worker " << pid << " still running (State: " << ProcessState(pid) << ")";
  }
  ReapOrphans();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::NoWorkerLeft(absl::Time deadline) {
  std::vector<std::string> running;
  for (const auto& [pid, fd] : worker_pidfds_) {
    if (fd >= 0 && !WaitReadable(fd, deadline)) {
      running.push_back(absl::StrCat(pid, " (State: ", ProcessState(pid), ")"));
    }
  }
  ReapOrphans();
  if (!running.empty()) {
    return ::testing::AssertionFailure()
           << "workers still running: " << absl::StrJoin(running, ", ");
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ArborProcess::FinishCleanly(absl::Time deadline) {
  CloseStdin();
  std::optional<std::vector<std::string>> rest = ReadUntilEof(deadline);
  if (!rest) return ::testing::AssertionFailure() << "no EOF on stdout by the deadline";
  if (!rest->empty()) {
    return ::testing::AssertionFailure()
           << "unexpected lines before EOF: " << absl::StrJoin(*rest, " | ");
  }
  std::optional<int> status = WaitExit(deadline);
  if (status != 0) {
    return ::testing::AssertionFailure()
           << "exit status " << (status ? absl::StrCat(*status) : "(still running)")
           << ", expected 0";
  }
  ::testing::AssertionResult left = NoWorkerLeft(deadline);
  if (!left) return left;
  std::vector<std::string> entries = TmpdirEntries();
  if (!entries.empty()) {
    return ::testing::AssertionFailure() << "left in TMPDIR (the ipc directory must be removed): "
                                         << absl::StrJoin(entries, ", ");
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> ArborProcess::TmpdirEntries() const {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(tmpdir_, error)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

std::string ArborProcess::Transcript() const { return transcript_; }

std::string ArborProcess::Stderr() const {
  std::string text;
  if (stderr_fd_ < 0) return text;
  char chunk[4096];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(stderr_fd_, chunk, sizeof chunk, offset);
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

void ArborProcess::Track(pid_t pid) {
  if (pid <= 1 || worker_pidfds_.contains(pid)) return;
  int fd = PidfdOpen(pid);
  if (fd < 0) {
    // Gone and reaped already: nothing can be left running under this pid.
    worker_pidfds_[pid] = -1;
    return;
  }
  // Only a child of our controller, or an orphan of it re-parented to us, is a
  // worker: a recycled pid of some other process is never tracked (or killed).
  pid_t parent = ParentPid(pid);
  if (parent != pid_ && parent != getpid()) {
    close(fd);
    worker_pidfds_[pid] = -1;
    return;
  }
  worker_pidfds_[pid] = fd;
}

void ArborProcess::TrackControllerChildren() {
  if (!started() || Reaped()) return;  // unreaped: its pid cannot have been recycled
  for (pid_t child : ChildrenOf(pid_)) Track(child);
}

void ArborProcess::Note(std::string_view event) {
  absl::Duration since_start = absl::Trunc(absl::Now() - start_, absl::Milliseconds(1));
  absl::StrAppend(&transcript_, absl::FormatDuration(since_start), "\t", Sv(event), "\n");
}

void ArborProcess::NoteLine(const std::string& line) {
  Note(absl::StrCat("< ", line));
  if (std::optional<pid_t> pid = PidOfOkLine(line)) Track(*pid);
  // A tree line: "<spaces><id> pid <pid> <state>".
  std::istringstream words(line);
  std::string id, pid_word, state, extra;
  pid_t pid = 0;
  if ((words >> id >> pid_word >> pid >> state) && pid_word == "pid" && !(words >> extra)) {
    Track(pid);
  }
  TrackControllerChildren();
}

bool ArborProcess::Exited(pid_t pid) const {
  auto it = worker_pidfds_.find(pid);
  if (it == worker_pidfds_.end() || it->second < 0) return true;
  return WaitReadable(it->second, absl::InfinitePast());
}

}  // namespace arbor::testing

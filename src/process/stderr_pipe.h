// A child's stderr through a pipe (a launcher's, DESIGN §7): read without
// blocking, split into bounded lines handed on one by one, the last one kept for
// the log line of a spawn failure. Never blocks, never holds more than one line.
#ifndef ARBOR_PROCESS_STDERR_PIPE_H_
#define ARBOR_PROCESS_STDERR_PIPE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "process/child.h"

namespace arbor::process {

using OnStderrLine = absl::FunctionRef<void(std::string_view line)>;

// Bytes -> lines, pure. '\n' ends a line, a '\r' before it is dropped, other
// control bytes (escape sequences included) become '?'. A line longer than
// kMaxLineBytes is cut there and ends with "..."; the rest of it, up to its
// '\n', is dropped (memory stays bounded whatever the child writes). Blank
// lines are not handed on.
class LineSplitter {
 public:
  static constexpr size_t kMaxLineBytes = 512;

  void Feed(std::string_view bytes, OnStderrLine on_line);
  // The end of input: a last line without '\n' counts.
  void Finish(OnStderrLine on_line);
  // The last line handed on; "" before the first.
  const std::string& last_line() const { return last_; }

 private:
  void Emit(OnStderrLine on_line);

  std::string partial_;
  bool cut_ = false;  // partial_ reached kMaxLineBytes: drop until '\n'
  std::string last_;
};

class StderrPipe {
 public:
  // What one Read takes at most, so a chatty child cannot hold the loop.
  static constexpr size_t kReadBudget = 64 * 1024;

  // A pipe, both ends close-on-exec (a spawn's dup2 onto the child's fd 2 is
  // the only copy a child keeps), the read end non-blocking.
  static absl::StatusOr<StderrPipe> Create();
  StderrPipe(StderrPipe&&) = default;
  StderrPipe& operator=(StderrPipe&&) = default;
  StderrPipe(const StderrPipe&) = delete;
  StderrPipe& operator=(const StderrPipe&) = delete;

  int read_fd() const { return read_.get(); }
  // -1 once CloseWriteEnd ran.
  int write_fd() const { return write_.get(); }
  // Call once the child is spawned: then EOF comes when the child (and what
  // it left holding its stderr) is gone.
  void CloseWriteEnd() { write_.Reset(); }

  // Reads what the pipe holds now, at most `budget` bytes, and hands on every
  // complete line. False at EOF or on a read error (the last partial line is
  // handed on then): nothing more will come, stop polling it.
  bool Read(OnStderrLine on_line, size_t budget = kReadBudget);
  // No more reads will come (the child was reaped): a partial line left is
  // handed on as the last one.
  void Finish(OnStderrLine on_line);
  // The last line handed on; "" before the first.
  const std::string& last_line() const { return lines_.last_line(); }

 private:
  StderrPipe(UniqueFd read, UniqueFd write) : read_(std::move(read)), write_(std::move(write)) {}

  UniqueFd read_;
  UniqueFd write_;
  LineSplitter lines_;
  bool ended_ = false;
};

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_STDERR_PIPE_H_

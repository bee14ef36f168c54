// The command line: stdin lines become calls of a backend (backend.h: this
// process's core, or a controller attached to) in the dispatch order, each
// answer prints in input order (answer_order.h), Heartbit lines come from the
// backend's events. Reads and writes raw fds; knows nothing of sockets, the
// tree or the wire.
#ifndef ARBOR_CLI_SESSION_H_
#define ARBOR_CLI_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/defaults.h"
#include "api/operations.h"
#include "cli/answer_order.h"
#include "cli/backend.h"
#include "cli/command.h"
#include "cli/line_reader.h"

namespace arbor::cli {

struct SessionOptions {
  // Commands read but not yet answered; stdin is not read while at the cap.
  size_t max_in_flight = api::kMaxCliInFlight;
  // A line longer than this (no '\n' within it) is answered with an error.
  size_t max_line_bytes = api::kMaxLineBytes;
  // Read the next line only once the current one is answered.
  bool sync = false;
  // Print "> " before input (when stdin is a terminal).
  bool prompt = false;
  // False (headless, --no-stdin): input is never read and the session never
  // finishes; Heartbit lines still print.
  bool read_input = true;
  int input_fd = 0;   // stdin
  int output_fd = 1;  // stdout
};

class Session {
 public:
  // `backend` must outlive the session; the session watches its events.
  Session(const SessionOptions& options, Backend& backend);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The first prompt.
  void Begin();
  // Whether the input fd should be polled now: every buffered line is taken
  // and another may start (at the cap, input waits in the kernel).
  bool WantsInput() const;
  // The input fd is readable: reads what is there (EOF included).
  void OnReadable();
  // Starts every buffered line that may start now.
  void ProcessLines();
  // EOF or `quit` was read and every line has been answered.
  bool Finished() const {
    return options_.read_input && input_.Exhausted() && order_.waiting() == 0;
  }
  // A signal: nothing more is printed.
  void Silence() { quiet_ = true; }

 private:
  bool CanAcceptLine() const;
  void OnLine(std::string_view line);
  void Execute(uint64_t seq, const Command& command);
  void Answer(uint64_t seq, std::vector<std::string> lines);
  void Answer(uint64_t seq, std::string line) {
    Answer(seq, std::vector<std::string>{std::move(line)});
  }
  void OnEvent(const api::NodeEvent& event);
  void Print(const std::string& line);

  SessionOptions options_;
  Backend& backend_;
  LineReader input_;
  AnswerOrder order_;
  bool quiet_ = false;
};

}  // namespace arbor::cli

#endif  // ARBOR_CLI_SESSION_H_

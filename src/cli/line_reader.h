// Raw stdin bytes -> lines: '\n'-terminated, plus the last line without '\n' at
// EOF; a line longer than the limit comes out once as "too long" and the rest of
// it is skipped. Pure: the controller feeds it what read(2) returned.
#ifndef ARBOR_CLI_LINE_READER_H_
#define ARBOR_CLI_LINE_READER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace arbor::cli {

class LineReader {
 public:
  explicit LineReader(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  void Append(std::string_view bytes);
  // No more input will come (EOF, or `quit`: Discard first).
  void SetEof() { eof_ = true; }
  void Discard();

  struct Line {
    std::string text;       // without '\n'
    bool too_long = false;  // text is empty then
  };
  // The next line, or nullopt when none is complete yet.
  std::optional<Line> Next();

  // A line (or a too-long report) is ready without reading more.
  bool HasLine() const;
  bool eof() const { return eof_; }
  // EOF and every line taken.
  bool Exhausted() const { return eof_ && !HasLine(); }

 private:
  std::string_view Rest() const { return std::string_view(buffer_).substr(pos_); }

  size_t max_line_bytes_;
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // inside a line already reported too long
};

}  // namespace arbor::cli

#endif  // ARBOR_CLI_LINE_READER_H_

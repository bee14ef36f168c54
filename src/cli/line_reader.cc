#include "cli/line_reader.h"

namespace arbor::cli {

void LineReader::Append(std::string_view bytes) {
  if (eof_) return;
  // Compact once the consumed prefix dominates, so the buffer stays bounded.
  if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

void LineReader::Discard() {
  buffer_.clear();
  pos_ = 0;
  skipping_ = false;
}

bool LineReader::HasLine() const {
  std::string_view rest = Rest();
  size_t newline = rest.find('\n');
  if (newline != std::string_view::npos) return true;
  if (!skipping_ && rest.size() > max_line_bytes_) return true;
  return eof_ && !skipping_ && !rest.empty();
}

std::optional<LineReader::Line> LineReader::Next() {
  while (true) {
    std::string_view rest = Rest();
    size_t newline = rest.find('\n');
    if (skipping_) {
      if (newline == std::string_view::npos) {
        pos_ = buffer_.size();
        return std::nullopt;
      }
      pos_ += newline + 1;
      skipping_ = false;
      continue;
    }
    if (newline == std::string_view::npos) {
      if (rest.size() > max_line_bytes_) {
        pos_ = buffer_.size();
        skipping_ = !eof_;
        return Line{"", true};
      }
      if (!eof_ || rest.empty()) return std::nullopt;
      pos_ = buffer_.size();  // the last line without '\n' still counts
      return Line{std::string(rest), false};
    }
    pos_ += newline + 1;
    if (newline > max_line_bytes_) return Line{"", true};
    return Line{std::string(rest.substr(0, newline)), false};
  }
}

}  // namespace arbor::cli

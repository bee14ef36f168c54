#include "process/stderr_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace arbor::process {

void LineSplitter::Feed(std::string_view bytes, OnStderrLine on_line) {
  for (char c : bytes) {
    if (c == '\n') {
      Emit(on_line);
      continue;
    }
    if (cut_) continue;
    if (partial_.size() == kMaxLineBytes) {
      cut_ = true;
      continue;
    }
    unsigned char u = static_cast<unsigned char>(c);
    partial_.push_back((u < 0x20 && c != '\t' && c != '\r') || u == 0x7f ? '?' : c);
  }
}

void LineSplitter::Finish(OnStderrLine on_line) { Emit(on_line); }

void LineSplitter::Emit(OnStderrLine on_line) {
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  // A '\r' inside a line (a progress meter's redraw) shows as the others do.
  std::replace(partial_.begin(), partial_.end(), '\r', '?');
  if (cut_) partial_ += "...";
  cut_ = false;
  if (partial_.find_first_not_of(" \t") == std::string::npos) {
    partial_.clear();
    return;
  }
  last_.swap(partial_);
  partial_.clear();
  on_line(last_);
}

absl::StatusOr<StderrPipe> StderrPipe::Create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  UniqueFd read(fds[0]);
  UniqueFd write(fds[1]);
  int flags = ::fcntl(read.get(), F_GETFL);
  if (flags < 0 || ::fcntl(read.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("fcntl: ", std::strerror(errno)));
  }
  return StderrPipe(std::move(read), std::move(write));
}

bool StderrPipe::Read(OnStderrLine on_line, size_t budget) {
  if (ended_ || read_.get() < 0) return false;
  char buffer[4096];
  size_t taken = 0;
  while (taken < budget) {
    ssize_t n = ::read(read_.get(), buffer, std::min(sizeof(buffer), budget - taken));
    if (n > 0) {
      lines_.Feed(std::string_view(buffer, static_cast<size_t>(n)), on_line);
      taken += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    break;  // EOF, or an error that will not go away
  }
  if (taken >= budget) return true;
  ended_ = true;
  lines_.Finish(on_line);
  return false;
}

void StderrPipe::Finish(OnStderrLine on_line) {
  if (ended_) return;
  ended_ = true;
  lines_.Finish(on_line);
}

}  // namespace arbor::process

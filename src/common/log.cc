#include "common/log.h"

#include <unistd.h>

namespace arbor {

void Logger::Write(const std::string& message) const {
  std::string line = prefix_ + message + "\n";
  // One write per line: stderr is shared with every worker.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // stderr gone: nothing useful to do
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace arbor

// Logging to stderr: one write(2) per line, each line prefixed ("[arbor] ",
// "[node 7] "), so lines of many processes sharing one stderr never interleave.
#ifndef ARBOR_COMMON_LOG_H_
#define ARBOR_COMMON_LOG_H_

#include <string>

#include "absl/strings/str_format.h"

namespace arbor {

class Logger {
 public:
  Logger(std::string prefix, bool verbose) : prefix_(std::move(prefix)), verbose_(verbose) {}

  // Always printed: problems a user should see.
  template <typename... Args>
  void Warn(const absl::FormatSpec<Args...>& format, const Args&... args) const {
    Write(absl::StrFormat(format, args...));
  }
  // Printed with --verbose only.
  template <typename... Args>
  void Debug(const absl::FormatSpec<Args...>& format, const Args&... args) const {
    if (verbose_) Write(absl::StrFormat(format, args...));
  }

 private:
  void Write(const std::string& message) const;

  std::string prefix_;
  bool verbose_;
};

}  // namespace arbor

#endif  // ARBOR_COMMON_LOG_H_

#include "client/wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace arbor::client {

absl::StatusOr<Wakeup> Wakeup::Create() {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  return Wakeup(fd);
}

Wakeup::~Wakeup() {
  if (fd_ >= 0) close(fd_);
}

void Wakeup::Notify() {
  uint64_t one = 1;
  // EAGAIN only when the counter is near 2^64: it is readable then anyway.
  while (write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Wakeup::Drain() {
  uint64_t count = 0;
  while (read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
}

}  // namespace arbor::client

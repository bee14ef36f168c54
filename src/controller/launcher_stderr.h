// The stderr of every launcher (a node on another host, DESIGN §7), read in the
// controller's event loop: each line is logged as "[node N @host] LINE", and the
// last one is kept for the log line of a spawn failure.
#ifndef ARBOR_CONTROLLER_LAUNCHER_STDERR_H_
#define ARBOR_CONTROLLER_LAUNCHER_STDERR_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/ids.h"
#include "common/log.h"
#include "process/stderr_pipe.h"
#include "transport/event_loop.h"

namespace arbor::controller {

class LauncherStderr {
 public:
  // `loop` must outlive this object.
  explicit LauncherStderr(transport::EventLoop& loop) : loop_(loop) {}
  // Stops polling every pipe left and closes it.
  ~LauncherStderr();
  LauncherStderr(const LauncherStderr&) = delete;
  LauncherStderr& operator=(const LauncherStderr&) = delete;

  // Reads `pipe` (its write end already closed: the launcher `pid` runs) on
  // the loop from now on, each line logged with node `id`'s and `host`'s name.
  void Watch(pid_t pid, NodeId id, const std::string& host, process::StderrPipe pipe);
  // `pid` was reaped: reads what its pipe still holds (without blocking),
  // stops polling it and closes it. Its last line; "" when it wrote none or
  // `pid` was not watched.
  std::string Close(pid_t pid);
  size_t watched() const { return pipes_.size(); }

 private:
  struct Watched {
    Logger log;
    process::StderrPipe pipe;
    bool polled = true;
  };
  void OnReadable(Watched& watched);
  void StopPolling(Watched& watched);

  transport::EventLoop& loop_;
  // Stable addresses: the loop's callbacks point at them.
  absl::flat_hash_map<pid_t, std::unique_ptr<Watched>> pipes_;
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_LAUNCHER_STDERR_H_

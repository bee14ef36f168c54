// The controller's worker processes: spawns `arbor-worker` with the arguments given,
// keeps every one in one process group, reaps them on SIGCHLD, kills what is
// left at shutdown. Every worker is the controller's own child.
#ifndef ARBOR_PROCESS_WORKER_POOL_H_
#define ARBOR_PROCESS_WORKER_POOL_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "process/child.h"

namespace arbor::process {

class WorkerPool {
 public:
  explicit WorkerPool(std::string worker_path) : worker_path_(std::move(worker_path)) {}

  // Starts `worker_path` with `args` after the program name (launch/worker_args.h
  // builds them), in the pool's process group. The status of a failed spawn.
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args);

  struct Exit {
    pid_t pid;
    int wait_status;
  };
  // Reaps every worker that has ended (never blocks).
  std::vector<Exit> Reap();

  // SIGKILL to one worker of ours; a no-op for a pid that is not (or no longer).
  void Kill(pid_t pid);
  // SIGKILL to the process group and to every worker not yet reaped (SIGKILL
  // ends stopped processes too).
  void KillAll();
  // SIGKILL to every worker that is stopped (SIGSTOP): it would never read a
  // Shutdown, so waiting for it only delays the exit.
  void KillStopped();
  size_t live() const { return children_.size(); }

 private:
  std::string worker_path_;
  struct Member {
    Child child;
    pid_t group;
  };
  absl::flat_hash_map<pid_t, Member> children_;
  pid_t group_ = 0;  // 0 until the first worker leads one
};

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_WORKER_POOL_H_

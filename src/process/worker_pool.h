// The controller's worker processes: spawns `arbor-worker` with its arguments,
// keeps every one in one process group, reaps them on SIGCHLD, kills what is
// left at shutdown. Every worker is the controller's own child.
#ifndef ARBOR_PROCESS_WORKER_POOL_H_
#define ARBOR_PROCESS_WORKER_POOL_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/ids.h"
#include "process/child.h"

namespace arbor::process {

struct SpawnRequest {
  NodeId id;
  NodeId parent;
  std::string parent_endpoint;
  int64_t heartbeat_ms;
  std::string ancestors;  // --ancestors (wire/lineage.h); empty under the controller
};

class WorkerPool {
 public:
  // `common_args` go to every worker after its own (transport, ipc dir, ...).
  WorkerPool(std::string worker_path, std::vector<std::string> common_args)
      : worker_path_(std::move(worker_path)), common_args_(std::move(common_args)) {}

  absl::StatusOr<pid_t> Spawn(const SpawnRequest& request);

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
  std::vector<std::string> common_args_;
  struct Member {
    Child child;
    pid_t group;
  };
  absl::flat_hash_map<pid_t, Member> children_;
  pid_t group_ = 0;  // 0 until the first worker leads one
};

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_WORKER_POOL_H_

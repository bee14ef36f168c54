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

  // How a worker is started: directly, or through a launcher (another host's
  // remote execution tool, hosts/hosts_file.h) that runs the worker's command
  // line appended to it; the pid is then the launcher's, and its exit the
  // worker's death. `lifeline`: the worker's stdin is a pipe the pool holds
  // until the worker is reaped (or CloseLifeline): its EOF tells the worker the
  // controller is gone (launch/worker_args.h --lifeline).
  struct Launch {
    std::vector<std::string> launcher;  // empty: run the worker directly
    bool lifeline = false;
    // Written on the lifeline as soon as the worker runs (the secret key's
    // line, launch/worker_args.h); at most PIPE_BUF bytes, so never blocking.
    std::string first_words = {};
    // >= 0: the worker's (launcher's) stderr, e.g. a process/stderr_pipe.h
    // write end; the caller keeps and closes it. -1: the controller's stderr.
    int stderr_fd = -1;
  };

  // Starts `worker_path` with `args` after the program name (launch/worker_args.h
  // builds them), in the pool's process group. The status of a failed spawn.
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const Launch& launch);
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args) { return Spawn(args, {}); }

  // Closes the write end of `pid`'s lifeline (its stdin sees EOF); a no-op
  // without one.
  void CloseLifeline(pid_t pid);

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
    UniqueFd lifeline;  // the write end of its stdin pipe, if any
  };
  absl::flat_hash_map<pid_t, Member> children_;
  pid_t group_ = 0;  // 0 until the first worker leads one
};

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_WORKER_POOL_H_

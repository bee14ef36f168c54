// An Arbor controller the bench starts for itself (`arbor --listen ipc://…
// --no-stdin`), the C++ client connected to it, and the trees it builds.
#ifndef ARBOR_TOOLS_BENCH_ARBOR_CLUSTER_H_
#define ARBOR_TOOLS_BENCH_ARBOR_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/ids.h"
#include "process/child.h"

namespace arbor::bench {

// A complete tree in breadth-first order: node i (ids from 1) hangs under the
// controller when i <= fanout, else under node (i - 1) / fanout. Fan-out 1 is
// a chain.
struct TreeShape {
  int nodes = 1;
  int fanout = 1;

  NodeId Parent(NodeId id) const;
  int Depth(NodeId id) const;  // 1 under the controller
  // Nodes of a full tree of `depth` levels.
  static TreeShape Full(int fanout, int depth);
};

struct BuiltTree {
  std::vector<std::vector<NodeId>> levels;  // levels[0]: depth 1
  std::vector<pid_t> pids;                  // every worker
  double seconds = 0;                       // the first create to the last Ok
};

class ArborCluster {
 public:
  // Starts `<bin_dir>/arbor` listening on an ipc endpoint in `dir`, with
  // `extra_flags`, connects a client and waits (at most 10 s) until the
  // controller answers. Its stdin is a pipe only we hold: however the bench
  // ends, even by kill -9, the controller reads EOF and stops its tree.
  static absl::StatusOr<std::unique_ptr<ArborCluster>> Start(
      const std::string& bin_dir, const std::string& dir,
      const std::vector<std::string>& extra_flags = {},
      client::ClientOptions client_options = {});
  // Uses a controller already listening at `endpoint` (started by hand, e.g.
  // under a profiler); it is left running.
  static absl::StatusOr<std::unique_ptr<ArborCluster>> Connect(const std::string& endpoint);
  // Closes the controller's stdin (it stops its tree and exits), then waits for
  // it; SIGKILL after 5 s.
  ~ArborCluster();
  ArborCluster(const ArborCluster&) = delete;
  ArborCluster& operator=(const ArborCluster&) = delete;

  // Closes the client and the controller's stdin, and waits for it: its wait
  // status, or nullopt when it is not ours or did not exit within 5 s (then it
  // is killed). The destructor does this if nobody did.
  std::optional<int> Stop();

  client::Client& client() { return *client_; }
  // -1 when the controller is not ours (Connect).
  pid_t controller_pid() const { return controller_.pid(); }

  // Creates `shape`, at most `max_in_flight` creates outstanding (the controller
  // makes each wait for its parent), a node of depth d on host
  // `level_hosts[d-1]` (its parent's host past the end). Any failed create
  // fails the build.
  absl::StatusOr<BuiltTree> Build(const TreeShape& shape, int max_in_flight,
                                  const std::vector<std::string>& level_hosts = {});

 private:
  ArborCluster() = default;

  process::Child controller_;
  int controller_stdin_ = -1;  // the write end of its stdin
  std::unique_ptr<client::Client> client_;
};

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_ARBOR_CLUSTER_H_

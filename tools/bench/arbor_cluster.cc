#include "tools/bench/arbor_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace arbor::bench {
namespace {

// Generous: the controller itself orders and bounds the work.
constexpr absl::Duration kCreateTimeout = absl::Seconds(60);
constexpr absl::Duration kShutdownWait = absl::Seconds(5);
constexpr absl::Duration kStartTimeout = absl::Seconds(10);

// Waits for `pid` to exit (it is our child), at most `timeout`, and reaps it;
// its wait status, or nullopt if it did not exit in time.
std::optional<int> WaitExit(pid_t pid, absl::Duration timeout) {
  process::WaitExited(pid, timeout);
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  return status;
}

}  // namespace

NodeId TreeShape::Parent(NodeId id) const {
  if (id <= fanout) return kControllerId;
  return (id - 1) / fanout;
}

int TreeShape::Depth(NodeId id) const {
  int depth = 1;
  for (NodeId up = Parent(id); up != kControllerId; up = Parent(up)) ++depth;
  return depth;
}

TreeShape TreeShape::Full(int fanout, int depth) {
  int nodes = 0;
  int level = 1;
  for (int d = 0; d < depth; ++d) {
    level *= fanout;
    nodes += level;
  }
  return TreeShape{nodes, fanout};
}

absl::StatusOr<std::unique_ptr<ArborCluster>> ArborCluster::Start(
    const std::string& bin_dir, const std::string& dir,
    const std::vector<std::string>& extra_flags,
    client::ClientOptions client_options) {
  std::string endpoint = absl::StrCat("ipc://", dir, "/controller.sock");
  std::string arbor = bin_dir + "/arbor";
  std::vector<std::string> argv = {arbor, "--listen", endpoint};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto cluster = std::unique_ptr<ArborCluster>(new ArborCluster());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  auto controller = process::Child::Spawn(arbor, argv, 0, pipe_fds[0]);
  ::close(pipe_fds[0]);
  cluster->controller_stdin_ = pipe_fds[1];
  if (!controller.ok()) return controller.status();
  cluster->controller_ = std::move(*controller);
  auto client = client::Client::Connect(endpoint, std::move(client_options));
  if (!client.ok()) return client.status();
  cluster->client_ = std::move(*client);
  // Up when it answers; if it ended instead, say how.
  auto stats = cluster->client_->Stats(client::CallOptions{kStartTimeout}).get();
  if (!stats.ok()) {
    int status = 0;
    pid_t pid = cluster->controller_.pid();
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      cluster->controller_.MarkReaped();
      return absl::UnavailableError(
          absl::StrCat("the controller ", process::DescribeWaitStatus(status)));
    }
    return absl::Status(stats.status().code(),
                        absl::StrCat("the controller did not answer: ", stats.status().message()));
  }
  return cluster;
}

absl::StatusOr<std::unique_ptr<ArborCluster>> ArborCluster::Connect(const std::string& endpoint) {
  auto cluster = std::unique_ptr<ArborCluster>(new ArborCluster());
  auto client = client::Client::Connect(endpoint);
  if (!client.ok()) return client.status();
  cluster->client_ = std::move(*client);
  return cluster;
}

ArborCluster::~ArborCluster() { Stop(); }

std::optional<int> ArborCluster::Stop() {
  if (client_) client_->Close();
  if (controller_stdin_ >= 0) ::close(controller_stdin_);  // EOF: it stops its tree
  controller_stdin_ = -1;
  pid_t pid = controller_.pid();
  if (pid <= 0) return std::nullopt;
  std::optional<int> status = WaitExit(pid, kShutdownWait);
  if (status) controller_.MarkReaped();
  // Otherwise the handle's destructor kills it; its workers die with it.
  return status;
}

absl::StatusOr<BuiltTree> ArborCluster::Build(const TreeShape& shape, int max_in_flight,
                                              const std::vector<std::string>& level_hosts) {
  BuiltTree tree;
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  absl::Status failure;
  auto start = std::chrono::steady_clock::now();
  client::CallOptions options{kCreateTimeout};
  for (NodeId id = 1; id <= shape.nodes; ++id) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return in_flight < max_in_flight; });
      if (!failure.ok()) break;
      ++in_flight;
    }
    size_t level = static_cast<size_t>(shape.Depth(id) - 1);
    client_->Create(
        id, shape.Parent(id), level < level_hosts.size() ? level_hosts[level] : std::string(),
        [&, id](absl::StatusOr<client::CreateResult> created) {
          std::lock_guard<std::mutex> lock(mutex);
          --in_flight;
          if (created.ok()) {
            tree.pids.push_back(static_cast<pid_t>(created->pid));
          } else if (failure.ok()) {
            failure = absl::Status(created.status().code(),
                                   absl::StrCat("create ", id, ": ", created.status().message()));
          }
          changed.notify_all();
        },
        options);
  }
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return in_flight == 0; });
  if (!failure.ok()) return failure;
  tree.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (NodeId id = 1; id <= shape.nodes; ++id) {
    size_t depth = static_cast<size_t>(shape.Depth(id));
    if (tree.levels.size() < depth) tree.levels.resize(depth);
    tree.levels[depth - 1].push_back(id);
  }
  return tree;
}

}  // namespace arbor::bench

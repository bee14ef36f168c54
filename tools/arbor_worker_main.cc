// arbor-worker: one compute node, spawned by the controller (not run by hand).
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "node/worker.h"
#include "wire/codec.h"

ABSL_FLAG(int64_t, id, -1, "this node's id");
ABSL_FLAG(int64_t, parent, -1, "the parent's id (-1: the controller)");
ABSL_FLAG(std::string, parent_endpoint, "", "the parent's ROUTER endpoint");
ABSL_FLAG(std::string, transport, "ipc", "ipc or tcp");
ABSL_FLAG(std::string, ipc_dir, "", "directory for this worker's ipc endpoint");
ABSL_FLAG(int64_t, heartbeat_ms, 0, "heartbeat period until the parent says otherwise; 0 = off");
ABSL_FLAG(int64_t, controller_pid, 0, "exit at once unless this is our parent process");
ABSL_FLAG(bool, verbose, false, "log more on stderr");
ABSL_FLAG(std::string, ancestors, "",
          "beyond the parent, nearest first: ID@ENDPOINT,...,-1@CONTROLLER_ENDPOINT");
ABSL_FLAG(std::string, orphans, "adopt",
          "when the parent is gone: adopt (re-attach to the nearest live ancestor) or exit");
ABSL_FLAG(int64_t, adopt_timeout_ms, 1000,
          "how long an ancestor may take to answer before the next one up is tried");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  arbor::wire::SilenceParserLog();
  arbor::node::WorkerOptions options;
  options.id = absl::GetFlag(FLAGS_id);
  options.parent_id = absl::GetFlag(FLAGS_parent);
  options.parent_endpoint = absl::GetFlag(FLAGS_parent_endpoint);
  auto transport = arbor::transport::ParseTransport(absl::GetFlag(FLAGS_transport));
  if (!arbor::IsWorkerId(options.id) || options.parent_endpoint.empty() || !transport.ok()) {
    std::fprintf(stderr, "arbor-worker: started by the controller, not by hand\n");
    return 2;
  }
  options.transport = *transport;
  options.ipc_dir = absl::GetFlag(FLAGS_ipc_dir);
  options.heartbeat = absl::Milliseconds(absl::GetFlag(FLAGS_heartbeat_ms));
  options.controller_pid = static_cast<pid_t>(absl::GetFlag(FLAGS_controller_pid));
  options.verbose = absl::GetFlag(FLAGS_verbose);
  auto ancestors = arbor::wire::ParseAncestors(absl::GetFlag(FLAGS_ancestors));
  std::string orphans = absl::GetFlag(FLAGS_orphans);
  int64_t adopt_timeout_ms = absl::GetFlag(FLAGS_adopt_timeout_ms);
  if (!ancestors.ok() || (orphans != "adopt" && orphans != "exit") || adopt_timeout_ms <= 0) {
    std::fprintf(stderr, "arbor-worker: bad --ancestors, --orphans or --adopt_timeout_ms\n");
    return 2;
  }
  options.ancestors = *std::move(ancestors);
  options.adopt_orphans = orphans == "adopt";
  options.adopt_timeout = absl::Milliseconds(adopt_timeout_ms);

  auto worker = arbor::node::Worker::Start(options);
  if (!worker.ok()) {
    std::fprintf(stderr, "[node %lld] cannot start: %s\n", static_cast<long long>(options.id),
                 std::string(worker.status().message()).c_str());
    return 1;
  }
  return (*worker)->Run();
}

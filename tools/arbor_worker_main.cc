// arbor-worker: one compute node, spawned by the controller (not run by hand).
#include <cstdio>
#include <string>
#include <vector>

#include "launch/worker_args.h"
#include "node/worker.h"
#include "wire/codec.h"

int main(int argc, char** argv) {
  // The controller's command line has one codec (launch/worker_args.h); only
  // --help and --version are answered here, as abseil's flags used to.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-help")) {
    std::fputs(arbor::launch::WorkerUsage().c_str(), stdout);
    return 1;
  }
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "-version")) {
    std::puts("arbor-worker");
    return 0;
  }
  absl::StatusOr<arbor::launch::WorkerArgs> parsed = arbor::launch::ParseWorkerArgs(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "arbor-worker: %s (started by the controller, not by hand)\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  arbor::wire::SilenceParserLog();
  arbor::node::WorkerOptions options;
  options.args = *std::move(parsed);
  if (options.args.curve()) {
    // The first line on the lifeline, before anything else reads stdin.
    absl::StatusOr<arbor::launch::WorkerSecrets> secret = arbor::launch::ReadSecretLine(0);
    if (!secret.ok()) {
      std::fprintf(stderr, "[node %lld] cannot start: %s\n",
                   static_cast<long long>(options.args.id),
                   std::string(secret.status().message()).c_str());
      return 1;
    }
    options.secrets = *std::move(secret);
  }
  auto worker = arbor::node::Worker::Start(options);
  if (!worker.ok()) {
    std::fprintf(stderr, "[node %lld] cannot start: %s\n", static_cast<long long>(options.args.id),
                 std::string(worker.status().message()).c_str());
    return 1;
  }
  return (*worker)->Run();
}

// arbor-chaos: the fault-injection soak (tools/chaos/soak.h). Prints one
// name=value line per figure; exits 1 when an invariant broke, 2 on bad flags.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "process/child.h"
#include "tools/chaos/soak.h"

ABSL_FLAG(int32_t, nodes, 50, "workers in the tree");
ABSL_FLAG(int32_t, fanout, 3, "children per node when the tree is built");
ABSL_FLAG(double, seconds, 20, "how long faults are injected");
ABSL_FLAG(uint64_t, seed, 0, "random seed (0: from the clock; printed)");
ABSL_FLAG(int32_t, fault_every_ms, 150, "one fault per this period");
ABSL_FLAG(int32_t, max_frozen, 3, "nodes stopped (SIGSTOP) at once, at most");
ABSL_FLAG(int32_t, heartbit_ms, 200, "the controller's heartbeat period during the soak");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  arbor::chaos::SoakOptions options;
  options.nodes = absl::GetFlag(FLAGS_nodes);
  options.fanout = absl::GetFlag(FLAGS_fanout);
  options.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  options.seed = absl::GetFlag(FLAGS_seed);
  options.fault_every = absl::Milliseconds(absl::GetFlag(FLAGS_fault_every_ms));
  options.max_frozen = absl::GetFlag(FLAGS_max_frozen);
  options.heartbit_ms = absl::GetFlag(FLAGS_heartbit_ms);
  if (options.nodes < 2 || options.nodes > 2000 || options.fanout < 1 ||
      options.duration <= absl::ZeroDuration() || options.fault_every < absl::Milliseconds(1) ||
      options.max_frozen < 0 || options.heartbit_ms < 10) {
    std::fprintf(stderr, "arbor-chaos: a flag is out of range (see --help)\n");
    return 2;
  }
  if (options.seed == 0) options.seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  auto self = arbor::process::SelfDirectory();
  if (!self.ok()) {
    std::fprintf(stderr, "arbor-chaos: %s\n", std::string(self.status().message()).c_str());
    return 1;
  }
  options.bin_dir = *self;
  char dir[] = "/tmp/arbor-chaos-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::perror("arbor-chaos: mkdtemp");
    return 1;
  }
  options.dir = dir;
  std::printf("seed=%llu\n", static_cast<unsigned long long>(options.seed));
  std::fflush(stdout);
  absl::StatusOr<arbor::chaos::SoakFigures> figures = arbor::chaos::RunSoak(options);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!figures.ok()) {
    std::fprintf(stderr, "arbor-chaos: %s\n", std::string(figures.status().message()).c_str());
    return 1;
  }
  std::fputs(arbor::chaos::FormatFigures(*figures).c_str(), stdout);
  std::puts(figures->ok_invariants() ? "result=ok" : "result=FAILED");
  return figures->ok_invariants() ? 0 : 1;
}

// `arbor-bench scale`: a tree of --nodes workers. Create time (creates in
// flight at once), the start cost of one worker, controller and per-worker
// memory, CPU with heartbit on an idle tree, exec latency on the big tree, the
// delay from kill -9 to the `unavailable` event, and false reports under a
// steady exec load.
#ifndef ARBOR_TOOLS_BENCH_SCALE_MODE_H_
#define ARBOR_TOOLS_BENCH_SCALE_MODE_H_

#include <string>

#include "tools/bench/report.h"

namespace arbor::bench {

struct ScaleOptions {
  std::string bin_dir;
  std::string dir;
  int nodes = 1000;
  int fanout = 10;
  int create_in_flight = 64;
  int heartbit_ms = 100;
  double cpu_seconds = 10;
  double load_seconds = 10;
  int kills = 5;
  int start_samples = 10;   // single creates timed for the start cost
  int latency_calls = 2000;  // lock-step execs on the deepest level
};

// Runs it; false (message on stderr) when a step failed.
bool RunScale(const ScaleOptions& options, Report& report);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_SCALE_MODE_H_

// `arbor-bench latency`: exec save/load through a tree of the requested shape,
// lock-step percentiles and throughput with N in flight, per depth; with
// --baseline the same against a raw libzmq chain of as many processes, and
// each Arbor figure as a ratio to it.
#ifndef ARBOR_TOOLS_BENCH_LATENCY_MODE_H_
#define ARBOR_TOOLS_BENCH_LATENCY_MODE_H_

#include <string>
#include <vector>

#include "tools/bench/report.h"

namespace arbor::bench {

struct LatencyOptions {
  std::string bin_dir;  // arbor, arbor-worker, arbor-bench
  std::string dir;      // private directory for ipc endpoints
  std::vector<int> depths = {1, 2, 4};
  int fanout = 1;
  int calls = 20000;           // lock-step round trips per depth
  int throughput_calls = 100000;  // per in-flight figure
  std::vector<int> in_flight = {1, 64};
  int warmup = 500;
  int max_targets = 64;        // nodes of one depth the load spreads over
  bool baseline = false;
  std::string connect;  // a running controller's client endpoint instead of our own
};

// Runs it; false (message on stderr) when a step failed.
bool RunLatency(const LatencyOptions& options, Report& report);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_LATENCY_MODE_H_

// `arbor-bench latency`: exec save/load through a tree of the requested shape,
// lock-step percentiles and throughput with N in flight, per depth; with
// --baseline (and --raw-curve) the same against a raw libzmq chain of as many
// processes on the same hosts, measured interleaved with Arbor (each figure
// in ten rounds, every system in turn), and every figure as a ratio to the
// floor (the CURVE chain when there is one, else the plaintext one).
#ifndef ARBOR_TOOLS_BENCH_LATENCY_MODE_H_
#define ARBOR_TOOLS_BENCH_LATENCY_MODE_H_

#include <string>
#include <vector>

#include "hosts/hosts_file.h"
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
  bool baseline = false;   // the raw chain, plaintext tcp between hosts
  bool raw_curve = false;  // the raw chain, CURVE on every hop between hosts
  std::string connect;  // a running controller's client endpoint instead of our own
  std::string hosts_file;               // the controller's --hosts ("" for none)
  hosts::Host local;                    // the controller's (and the bench's) host
  std::vector<hosts::Host> level_hosts;  // the host of depth 1, 2, ...; empty: all local
};

// Runs it; false (message on stderr) when a step failed.
bool RunLatency(const LatencyOptions& options, Report& report);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_LATENCY_MODE_H_

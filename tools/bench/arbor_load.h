// exec save/load load on an Arbor tree through the C++ client, the way a
// program drives it: futures one at a time, or callbacks keeping N in flight.
#ifndef ARBOR_TOOLS_BENCH_ARBOR_LOAD_H_
#define ARBOR_TOOLS_BENCH_ARBOR_LOAD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/ids.h"

namespace arbor::bench {

// `calls` execs one at a time (each waits on its future), round-robin over
// `targets`: a save, then a load that must return it. The microseconds of each.
absl::StatusOr<std::vector<double>> LockStep(client::Client& client,
                                             const std::vector<NodeId>& targets, int calls);

// `calls` execs (saves and loads alternating) with `in_flight` outstanding at
// every moment, each answer issuing the next; per second. Any failed call
// fails the run.
absl::StatusOr<double> Throughput(client::Client& client, const std::vector<NodeId>& targets,
                                  int calls, int in_flight);

struct LoadCount {
  uint64_t ok = 0;
  uint64_t failed = 0;
  absl::Status first_failure;
};

// Execs spread over `targets` with `in_flight` outstanding, for `duration`;
// how many succeeded and failed. Each call's timeout is `call_timeout`.
LoadCount SteadyLoad(client::Client& client, const std::vector<NodeId>& targets, int in_flight,
                     absl::Duration duration, absl::Duration call_timeout);

// The encoded size of the envelope a client sends for a save: the raw
// chain's payload.
size_t SaveRequestBytes();

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_ARBOR_LOAD_H_

// Latency samples to the figures the bench prints: p50/p90/p99/p99.9 and mean.
#ifndef ARBOR_TOOLS_BENCH_PERCENTILES_H_
#define ARBOR_TOOLS_BENCH_PERCENTILES_H_

#include <cstddef>
#include <vector>

namespace arbor::bench {

struct LatencySummary {
  size_t count = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double mean_us = 0;
};

// Nearest-rank percentiles of `samples_us` (sorted in place). Zeros when empty.
LatencySummary Summarize(std::vector<double>& samples_us);

// The median of `values` (sorted in place); 0 when empty.
double Median(std::vector<double>& values);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_PERCENTILES_H_

#include "tools/bench/percentiles.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace arbor::bench {
namespace {

// Nearest rank: the smallest sample with at least `fraction` of them at or below it.
double Rank(const std::vector<double>& sorted, double fraction) {
  size_t rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary Summarize(std::vector<double>& samples_us) {
  LatencySummary summary;
  if (samples_us.empty()) return summary;
  std::sort(samples_us.begin(), samples_us.end());
  summary.count = samples_us.size();
  summary.p50_us = Rank(samples_us, 0.50);
  summary.p90_us = Rank(samples_us, 0.90);
  summary.p99_us = Rank(samples_us, 0.99);
  summary.p999_us = Rank(samples_us, 0.999);
  summary.mean_us = std::accumulate(samples_us.begin(), samples_us.end(), 0.0) /
                    static_cast<double>(samples_us.size());
  return summary;
}

double Median(std::vector<double>& values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return Rank(values, 0.5);
}

}  // namespace arbor::bench

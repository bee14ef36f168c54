#include "tools/bench/latency_mode.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/arbor_load.h"
#include "tools/bench/percentiles.h"
#include "tools/bench/raw_chain.h"

namespace arbor::bench {
namespace {

// The figures of one system at one depth.
struct Figures {
  LatencySummary latency;
  std::map<int, double> throughput;  // by calls in flight
};

bool Fail(const std::string& step, const absl::Status& status) {
  absl::FPrintF(stderr, "arbor-bench: %s: %s\n", step, status.ToString());
  return false;
}

Result MakeResult(const std::string& system, int depth, int nodes, int fanout,
                  const Figures& figures) {
  Result result;
  result.Label("bench", "latency").Label("system", system);
  result.Value("depth", depth).Value("nodes", nodes).Value("fanout", fanout);
  result.Value("calls", static_cast<double>(figures.latency.count))
      .Value("p50_us", figures.latency.p50_us)
      .Value("p90_us", figures.latency.p90_us)
      .Value("p99_us", figures.latency.p99_us)
      .Value("p999_us", figures.latency.p999_us)
      .Value("mean_us", figures.latency.mean_us);
  for (const auto& [n, rate] : figures.throughput) {
    result.Value(absl::StrCat("calls_per_s_in_flight_", n), rate);
  }
  return result;
}

bool MeasureArbor(const LatencyOptions& options, std::map<int, Figures>& out, int& nodes) {
  int max_depth = *std::max_element(options.depths.begin(), options.depths.end());
  TreeShape shape = TreeShape::Full(options.fanout, max_depth);
  nodes = shape.nodes;
  auto cluster = options.connect.empty() ? ArborCluster::Start(options.bin_dir, options.dir)
                                         : ArborCluster::Connect(options.connect);
  if (!cluster.ok()) return Fail("starting the controller", cluster.status());
  auto tree = (*cluster)->Build(shape, 64);
  if (!tree.ok()) return Fail("building the tree", tree.status());
  client::Client& client = (*cluster)->client();
  for (int depth : options.depths) {
    std::vector<NodeId> targets = tree->levels[static_cast<size_t>(depth - 1)];
    if (targets.size() > static_cast<size_t>(options.max_targets)) {
      targets.resize(static_cast<size_t>(options.max_targets));
    }
    if (auto warm = LockStep(client, targets, options.warmup); !warm.ok()) {
      return Fail("warm-up", warm.status());
    }
    auto samples = LockStep(client, targets, options.calls);
    if (!samples.ok()) return Fail(absl::StrCat("lock-step at depth ", depth), samples.status());
    Figures& figures = out[depth];
    figures.latency = Summarize(*samples);
    for (int n : options.in_flight) {
      auto rate = Throughput(client, targets, options.throughput_calls, n);
      if (!rate.ok()) return Fail(absl::StrCat("throughput at depth ", depth), rate.status());
      figures.throughput[n] = *rate;
    }
  }
  return true;
}

bool MeasureRaw(const LatencyOptions& options, std::map<int, Figures>& out) {
  for (int depth : options.depths) {
    // The controller and one worker per level.
    auto chain = RawChain::Start(options.bin_dir + "/arbor-bench", options.dir, depth + 1,
                                 SaveRequestBytes());
    if (!chain.ok()) return Fail("starting the raw chain", chain.status());
    if (auto warm = (*chain)->LockStep(options.warmup); !warm.ok()) {
      return Fail("raw warm-up", warm.status());
    }
    auto samples = (*chain)->LockStep(options.calls);
    if (!samples.ok()) return Fail(absl::StrCat("raw lock-step at depth ", depth), samples.status());
    Figures& figures = out[depth];
    figures.latency = Summarize(*samples);
    for (int n : options.in_flight) {
      auto rate = (*chain)->Throughput(options.throughput_calls, n);
      if (!rate.ok()) return Fail(absl::StrCat("raw throughput at depth ", depth), rate.status());
      figures.throughput[n] = *rate;
    }
  }
  return true;
}

double SafeRatio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

bool RunLatency(const LatencyOptions& options, Report& report) {
  if (options.baseline && options.fanout > 1) {
    // The raw chain is one path of processes: compare it with a chain.
    absl::FPrintF(stderr, "arbor-bench: --baseline compares chains: use it with --fanout 1\n");
    return false;
  }
  std::map<int, Figures> arbor;
  std::map<int, Figures> raw;
  int nodes = 0;
  if (!MeasureArbor(options, arbor, nodes)) return false;
  if (options.baseline && !MeasureRaw(options, raw)) return false;

  absl::PrintF("exec save/load, %d-node tree (fan-out %d), %d lock-step calls per depth, "
               "%d calls per throughput figure%s\n",
               nodes, options.fanout, options.calls, options.throughput_calls,
               options.calls < 1000 ? " (under 1000 calls p99.9 is the maximum)" : "");
  std::vector<std::string> header = {"depth", "system", "p50 us", "p90 us", "p99 us", "p99.9 us"};
  for (int n : options.in_flight) header.push_back(absl::StrCat("calls/s @", n));
  Table table(header);
  auto add = [&](int depth, const std::string& system, const Figures& f) {
    std::vector<std::string> row = {absl::StrCat(depth), system, Micros(f.latency.p50_us),
                                    Micros(f.latency.p90_us), Micros(f.latency.p99_us),
                                    Micros(f.latency.p999_us)};
    for (int n : options.in_flight) row.push_back(Rate(f.throughput.at(n)));
    table.Add(row);
  };
  for (int depth : options.depths) {
    const Figures& a = arbor.at(depth);
    add(depth, "arbor", a);
    report.Add(MakeResult("arbor", depth, nodes, options.fanout, a));
    if (!options.baseline) continue;
    const Figures& r = raw.at(depth);
    add(depth, "raw-zmq", r);
    report.Add(MakeResult("raw-zmq", depth, depth + 1, 1, r));
    // Latency: how much slower; throughput: what fraction of the floor.
    std::vector<std::string> row = {absl::StrCat(depth), "arbor/raw",
                                    Ratio(SafeRatio(a.latency.p50_us, r.latency.p50_us)),
                                    Ratio(SafeRatio(a.latency.p90_us, r.latency.p90_us)),
                                    Ratio(SafeRatio(a.latency.p99_us, r.latency.p99_us)),
                                    Ratio(SafeRatio(a.latency.p999_us, r.latency.p999_us))};
    Result ratio;
    ratio.Label("bench", "latency").Label("system", "arbor/raw");
    ratio.Value("depth", depth)
        .Value("p50_ratio", SafeRatio(a.latency.p50_us, r.latency.p50_us))
        .Value("p90_ratio", SafeRatio(a.latency.p90_us, r.latency.p90_us))
        .Value("p99_ratio", SafeRatio(a.latency.p99_us, r.latency.p99_us))
        .Value("p999_ratio", SafeRatio(a.latency.p999_us, r.latency.p999_us));
    for (int n : options.in_flight) {
      double q = SafeRatio(a.throughput.at(n), r.throughput.at(n));
      row.push_back(Ratio(q));
      ratio.Value(absl::StrCat("throughput_ratio_in_flight_", n), q);
    }
    table.Add(row);
    report.Add(ratio);
  }
  table.Print(stdout);

  // What one more level costs, from the shallowest to the deepest depth asked.
  int low = *std::min_element(options.depths.begin(), options.depths.end());
  int high = *std::max_element(options.depths.begin(), options.depths.end());
  if (high > low) {
    double hops = high - low;
    double arbor_hop = (arbor.at(high).latency.p50_us - arbor.at(low).latency.p50_us) / hops;
    absl::PrintF("per extra level of depth (p50, depth %d..%d): arbor %s us", low, high,
                 Micros(arbor_hop));
    Result hop;
    hop.Label("bench", "per_hop").Value("arbor_us", arbor_hop);
    if (options.baseline) {
      double raw_hop = (raw.at(high).latency.p50_us - raw.at(low).latency.p50_us) / hops;
      absl::PrintF(", raw-zmq %s us, ratio %s", Micros(raw_hop),
                   Ratio(SafeRatio(arbor_hop, raw_hop)));
      hop.Value("raw_us", raw_hop).Value("ratio", SafeRatio(arbor_hop, raw_hop));
    }
    absl::PrintF("\n");
    report.Add(hop);
  }
  return true;
}

}  // namespace arbor::bench

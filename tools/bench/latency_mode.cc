#include "tools/bench/latency_mode.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/arbor_load.h"
#include "tools/bench/chain_hosts.h"
#include "tools/bench/percentiles.h"
#include "tools/bench/raw_chain.h"

namespace arbor::bench {
namespace {

// The figures of one system at one depth.
struct Figures {
  LatencySummary latency;
  std::map<int, double> throughput;  // by calls in flight
};

// One thing measured: Arbor, or a raw chain per depth.
struct System {
  std::string name;
  int nodes = 0;  // for the JSON line: the tree's nodes; 0: a chain per depth (depth + 1)
  int fanout = 1;
  absl::AnyInvocable<absl::StatusOr<std::vector<double>>(int depth, int calls)> lock_step;
  absl::AnyInvocable<absl::StatusOr<double>(int depth, int calls, int in_flight)> throughput;
  std::map<int, Figures> figures;  // by depth
};

bool Fail(const std::string& step, const absl::Status& status) {
  absl::FPrintF(stderr, "arbor-bench: %s: %s\n", step, status.ToString());
  return false;
}

Result MakeResult(const System& system, int depth) {
  const Figures& figures = system.figures.at(depth);
  Result result;
  result.Label("bench", "latency").Label("system", system.name);
  result.Value("depth", depth)
      .Value("nodes", system.nodes > 0 ? system.nodes : depth + 1)
      .Value("fanout", system.fanout);
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

// Arbor, its tree built for the deepest depth, each level on its host.
absl::StatusOr<System> StartArbor(const LatencyOptions& options) {
  int max_depth = *std::max_element(options.depths.begin(), options.depths.end());
  TreeShape shape = TreeShape::Full(options.fanout, max_depth);
  std::vector<std::string> flags;
  if (!options.hosts_file.empty()) flags = {"--hosts", options.hosts_file};
  auto cluster = options.connect.empty() ? ArborCluster::Start(options.bin_dir, options.dir, flags)
                                         : ArborCluster::Connect(options.connect);
  if (!cluster.ok()) {
    return absl::Status(cluster.status().code(),
                        absl::StrCat("starting the controller: ", cluster.status().message()));
  }
  std::vector<std::string> level_hosts;
  for (const hosts::Host& host : options.level_hosts) level_hosts.push_back(host.name);
  auto tree = (*cluster)->Build(shape, 64, level_hosts);
  if (!tree.ok()) {
    return absl::Status(tree.status().code(),
                        absl::StrCat("building the tree: ", tree.status().message()));
  }
  // The targets of each depth, at most max_targets of its level.
  auto targets = std::make_shared<std::map<int, std::vector<NodeId>>>();
  for (int depth : options.depths) {
    std::vector<NodeId> level = tree->levels[static_cast<size_t>(depth - 1)];
    if (level.size() > static_cast<size_t>(options.max_targets)) {
      level.resize(static_cast<size_t>(options.max_targets));
    }
    (*targets)[depth] = std::move(level);
  }
  std::shared_ptr<ArborCluster> shared(std::move(*cluster));
  System arbor;
  arbor.name = "arbor";
  arbor.nodes = shape.nodes;
  arbor.fanout = options.fanout;
  arbor.lock_step = [shared, targets](int depth, int calls) {
    return LockStep(shared->client(), targets->at(depth), calls);
  };
  arbor.throughput = [shared, targets](int depth, int calls, int in_flight) {
    return Throughput(shared->client(), targets->at(depth), calls, in_flight);
  };
  return arbor;
}

// A raw chain for every depth, its processes on the same hosts as Arbor's.
absl::StatusOr<System> StartRaw(const LatencyOptions& options, const std::string& name,
                                bool curve) {
  auto chains = std::make_shared<std::map<int, std::unique_ptr<RawChain>>>();
  for (int depth : options.depths) {
    // The controller's place, then one process per level.
    std::vector<hosts::Host> placement = {options.local};
    for (int level = 0; level < depth; ++level) {
      placement.push_back(static_cast<size_t>(level) < options.level_hosts.size()
                              ? options.level_hosts[static_cast<size_t>(level)]
                              : options.local);
    }
    std::vector<RawProcess> plan = PlanRawChain(options.local, placement, options.dir,
                                                absl::StrCat(curve ? "curve-" : "plain-", depth), curve);
    auto chain = RawChain::Start(options.bin_dir + "/arbor-bench", plan, SaveRequestBytes());
    if (!chain.ok()) {
      return absl::Status(chain.status().code(), absl::StrCat("starting the ", name, " chain: ",
                                                              chain.status().message()));
    }
    (*chains)[depth] = std::move(*chain);
  }
  System raw;
  raw.name = name;
  raw.lock_step = [chains](int depth, int calls) { return chains->at(depth)->LockStep(calls); };
  raw.throughput = [chains](int depth, int calls, int in_flight) {
    return chains->at(depth)->Throughput(calls, in_flight);
  };
  return raw;
}

// Every figure is taken in rounds, every system in turn within each: this
// machine's wake-up latency shifts between regimes (seen: a p50 of 70 or of
// 250 us for the same chain, minutes apart), and rounds give each system the
// same mix of them.
constexpr int kRounds = 10;

// `total` split into kRounds parts (the first ones one larger).
int Part(int total, int round) { return total / kRounds + (round < total % kRounds ? 1 : 0); }

bool MeasureInterleaved(const LatencyOptions& options, std::vector<System>& systems) {
  for (int depth : options.depths) {
    std::vector<std::vector<double>> samples(systems.size());
    for (size_t i = 0; i < systems.size(); ++i) {
      if (auto warm = systems[i].lock_step(depth, options.warmup); !warm.ok()) {
        return Fail(absl::StrCat("warm-up of ", systems[i].name, " at depth ", depth),
                    warm.status());
      }
    }
    for (int round = 0; round < kRounds; ++round) {
      for (size_t i = 0; i < systems.size(); ++i) {
        int calls = Part(options.calls, round);
        if (calls == 0) continue;
        auto part = systems[i].lock_step(depth, calls);
        if (!part.ok()) {
          return Fail(absl::StrCat("lock-step of ", systems[i].name, " at depth ", depth),
                      part.status());
        }
        samples[i].insert(samples[i].end(), part->begin(), part->end());
      }
    }
    for (size_t i = 0; i < systems.size(); ++i) {
      systems[i].figures[depth].latency = Summarize(samples[i]);
    }
    for (int n : options.in_flight) {
      std::vector<double> seconds(systems.size(), 0);
      for (int round = 0; round < kRounds; ++round) {
        for (size_t i = 0; i < systems.size(); ++i) {
          int calls = Part(options.throughput_calls, round);
          if (calls == 0) continue;
          auto rate = systems[i].throughput(depth, calls, n);
          if (!rate.ok()) {
            return Fail(absl::StrCat("throughput of ", systems[i].name, " at depth ", depth),
                        rate.status());
          }
          seconds[i] += calls / *rate;
        }
      }
      for (size_t i = 0; i < systems.size(); ++i) {
        systems[i].figures[depth].throughput[n] = options.throughput_calls / seconds[i];
      }
    }
  }
  return true;
}

double SafeRatio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

bool RunLatency(const LatencyOptions& options, Report& report) {
  if ((options.baseline || options.raw_curve) && options.fanout > 1) {
    // The raw chain is one path of processes: compare it with a chain.
    absl::FPrintF(stderr, "arbor-bench: --baseline compares chains: use it with --fanout 1\n");
    return false;
  }
  std::vector<System> systems;
  auto arbor = StartArbor(options);
  if (!arbor.ok()) return Fail("arbor", arbor.status());
  systems.push_back(std::move(*arbor));
  if (options.raw_curve) {
    auto raw = StartRaw(options, "raw-curve", true);
    if (!raw.ok()) return Fail("raw-curve", raw.status());
    systems.push_back(std::move(*raw));
  }
  if (options.baseline) {
    // On one host every hop is ipc: plain is the only raw chain there is.
    auto raw = StartRaw(options, CrossesHosts(options.level_hosts) ? "raw-plain" : "raw-zmq", false);
    if (!raw.ok()) return Fail("raw", raw.status());
    systems.push_back(std::move(*raw));
  }
  if (!MeasureInterleaved(options, systems)) return false;
  // Every other system against the floor: the CURVE chain when there is one.
  const System* floor = systems.size() > 1 ? &systems[1] : nullptr;

  absl::PrintF("exec save/load, %d-node tree (fan-out %d), %d lock-step calls per depth, "
               "%d calls per throughput figure%s\n",
               systems[0].nodes, options.fanout, options.calls, options.throughput_calls,
               options.calls < 1000 ? " (under 1000 calls p99.9 is the maximum)" : "");
  if (!options.level_hosts.empty()) {
    std::string placed;
    for (const hosts::Host& host : options.level_hosts) absl::StrAppend(&placed, " ", host.name);
    absl::PrintF("levels on hosts:%s (client and controller on %s)\n", placed, options.local.name);
  }
  std::vector<std::string> header = {"depth", "system", "p50 us", "p90 us", "p99 us", "p99.9 us"};
  for (int n : options.in_flight) header.push_back(absl::StrCat("calls/s @", n));
  Table table(header);
  for (int depth : options.depths) {
    for (const System& system : systems) {
      const Figures& f = system.figures.at(depth);
      std::vector<std::string> row = {absl::StrCat(depth), system.name, Micros(f.latency.p50_us),
                                      Micros(f.latency.p90_us), Micros(f.latency.p99_us),
                                      Micros(f.latency.p999_us)};
      for (int n : options.in_flight) row.push_back(Rate(f.throughput.at(n)));
      table.Add(row);
      report.Add(MakeResult(system, depth));
    }
    if (floor == nullptr) continue;
    const Figures& r = floor->figures.at(depth);
    for (const System& system : systems) {
      if (&system == floor) continue;
      const Figures& a = system.figures.at(depth);
      // Latency: how much slower; throughput: what fraction of the floor.
      std::string label = absl::StrCat(system.name, "/", floor->name);
      std::vector<std::string> row = {absl::StrCat(depth), label,
                                      Ratio(SafeRatio(a.latency.p50_us, r.latency.p50_us)),
                                      Ratio(SafeRatio(a.latency.p90_us, r.latency.p90_us)),
                                      Ratio(SafeRatio(a.latency.p99_us, r.latency.p99_us)),
                                      Ratio(SafeRatio(a.latency.p999_us, r.latency.p999_us))};
      Result ratio;
      ratio.Label("bench", "latency").Label("system", label);
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
  }
  table.Print(stdout);

  // What one more level costs, from the shallowest to the deepest depth asked.
  int low = *std::min_element(options.depths.begin(), options.depths.end());
  int high = *std::max_element(options.depths.begin(), options.depths.end());
  if (high > low) {
    double hops = high - low;
    auto per_hop = [&](const System& s) {
      return (s.figures.at(high).latency.p50_us - s.figures.at(low).latency.p50_us) / hops;
    };
    double arbor_hop = per_hop(systems[0]);
    absl::PrintF("per extra level of depth (p50, depth %d..%d): arbor %s us", low, high,
                 Micros(arbor_hop));
    Result hop;
    hop.Label("bench", "per_hop").Value("arbor_us", arbor_hop);
    if (floor != nullptr) {
      double raw_hop = per_hop(*floor);
      absl::PrintF(", %s %s us, ratio %s", floor->name, Micros(raw_hop),
                   Ratio(SafeRatio(arbor_hop, raw_hop)));
      hop.Value("raw_us", raw_hop).Value("ratio", SafeRatio(arbor_hop, raw_hop));
    }
    absl::PrintF("\n");
    report.Add(hop);
  }
  return true;
}

}  // namespace arbor::bench

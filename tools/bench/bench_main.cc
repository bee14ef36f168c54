// arbor-bench: measures Arbor against its floor (a raw libzmq chain) on this
// machine. `arbor-bench --help` for the modes; docs/BENCHMARKS.md for results.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "hosts/hosts_file.h"
#include "process/child.h"
#include "tools/arbor_usage.h"
#include "tools/bench/chain_hosts.h"
#include "tools/bench/latency_mode.h"
#include "tools/bench/raw_chain.h"
#include "tools/bench/report.h"
#include "tools/bench/scale_mode.h"

ABSL_FLAG(std::string, depths, "1,2,4", "latency: depths to measure (comma-separated)");
ABSL_FLAG(int, fanout, 1, "latency: children per node (1 = a chain); scale: fan-out");
ABSL_FLAG(int, calls, 20000, "latency: lock-step calls per depth");
ABSL_FLAG(int, throughput_calls, 100000, "latency: calls per throughput figure");
ABSL_FLAG(std::string, in_flight, "1,64", "latency: calls in flight for throughput");
ABSL_FLAG(int, targets, 64, "latency: nodes of one depth the calls spread over");
ABSL_FLAG(int, warmup, 500, "latency: calls before measuring");
ABSL_FLAG(bool, baseline, false, "latency: also run the raw libzmq chain and print ratios");
ABSL_FLAG(bool, raw_curve, false,
          "latency: also run the raw chain with CURVE on every hop between hosts (the floor)");
ABSL_FLAG(std::string, hosts, "", "latency: the controller's --hosts FILE");
ABSL_FLAG(std::string, chain_hosts, "",
          "latency: the host of each level (comma-separated names of --hosts), e.g. h1,h2");
ABSL_FLAG(std::string, connect, "",
          "latency: use the controller listening here (e.g. one under a profiler)");
ABSL_FLAG(int, nodes, 1000, "scale: workers to create");
ABSL_FLAG(int, create_in_flight, 64, "scale: creates outstanding at once");
ABSL_FLAG(int, heartbit_ms, 100, "scale: heartbeat period");
ABSL_FLAG(double, cpu_seconds, 10, "scale: idle window for CPU");
ABSL_FLAG(double, load_seconds, 10, "scale: steady exec load window for false reports");
ABSL_FLAG(int, kills, 5, "scale: nodes killed with SIGKILL to time detection");
ABSL_FLAG(std::string, jsonl, "", "write one JSON line per result here (default: stdout)");

namespace {

// Bigger trees are a typo, not a benchmark on this machine.
constexpr int kMaxNodes = 20000;

constexpr char kUsage[] = R"(usage: arbor-bench [latency|scale] [options]   (the mode may come anywhere)

latency (default)  exec save/load through a tree: lock-step p50/p90/p99/p99.9 and
                   throughput with N calls in flight, per depth
  --depths 1,2,4  --fanout 1  --calls 20000  --throughput-calls 100000
  --in-flight 1,64  --warmup 500  --targets 64 (nodes of a depth the calls spread over)
  --connect ENDPOINT  use a controller already listening there (e.g. one run
                  under valgrind) instead of starting one; it is left running
  --baseline      also run a raw libzmq chain (same processes and hops, same
                  payload, no protobuf) and print every Arbor figure as a ratio
                  (chains only: --fanout 1); measured interleaved with Arbor
  --hosts FILE    the controller's hosts file (README "Hosts"); the bench runs
                  on `local` (tools/bench/hosts.sh makes simulated hosts)
  --chain-hosts h1,h2  level i of the tree on the i-th host: its Arbor nodes,
                  and the raw chain's process i (tcp between hosts)
  --raw-curve     also a raw chain with CURVE on every hop between hosts: the
                  floor the ratios are taken against (--baseline: plaintext)
scale              --nodes 1000 workers: create time, start cost of one worker,
                   memory, CPU with heartbit, detection delay, false reports
  --nodes 1000  --fanout 10  --create-in-flight 64  --heartbit-ms 100
  --cpu-seconds 10  --load-seconds 10  --kills 5
common             --jsonl FILE  (one JSON object per result; default stdout)

Starts its own controller (`arbor` next to this binary) on a private ipc path;
exits 1 when a step fails (a failed call, a missed or false report), 2 on bad flags.
)";

[[noreturn]] void BadFlag(const std::string& message) {
  std::fprintf(stderr, "arbor-bench: %s (try --help)\n", message.c_str());
  std::exit(2);
}

std::vector<int> ParseList(const std::string& text, const char* flag) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1) {
      BadFlag(absl::StrCat("--", flag, " wants positive integers, got '", text, "'"));
    }
    values.push_back(value);
  }
  if (values.empty()) BadFlag(absl::StrCat("--", flag, " is empty"));
  return values;
}

int AtLeast(int value, int minimum, const char* flag) {
  if (value < minimum) BadFlag(absl::StrCat("--", flag, " must be at least ", minimum));
  return value;
}

double AtLeast(double value, double minimum, const char* flag) {
  if (!(value >= minimum)) BadFlag(absl::StrCat("--", flag, " must be at least ", minimum));
  return value;
}

// A private directory for the ipc endpoints, removed at exit.
class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::temp_directory_path() / "arbor-bench-XXXXXX";
    if (::mkdtemp(base.data()) != nullptr) path_ = base;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --hosts, --chain-hosts and --raw-curve, checked against each other.
void PlaceOnHosts(arbor::bench::LatencyOptions& options, int deepest) {
  std::string path = absl::GetFlag(FLAGS_hosts);
  std::string chain = absl::GetFlag(FLAGS_chain_hosts);
  arbor::hosts::HostsFile file;
  if (!path.empty()) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) BadFlag(absl::StrCat("--hosts ", path, ": cannot read it"));
    auto parsed = arbor::hosts::HostsFile::Parse(text.str());
    if (!parsed.ok()) BadFlag(absl::StrCat("--hosts ", path, ": ", parsed.status().message()));
    file = std::move(*parsed);
    options.hosts_file = std::filesystem::absolute(path);
  }
  options.local = file.local();
  if (!chain.empty()) {
    if (path.empty()) BadFlag("--chain-hosts needs --hosts FILE");
    auto levels = arbor::bench::ChainHosts(chain, file, deepest);
    if (!levels.ok()) BadFlag(absl::StrCat("--chain-hosts: ", levels.status().message()));
    options.level_hosts = std::move(*levels);
  }
  if (options.raw_curve && !arbor::bench::CrossesHosts(options.level_hosts)) {
    BadFlag("--raw-curve needs --chain-hosts with a level on another host");
  }
}

arbor::bench::LatencyOptions LatencyFlags() {
  arbor::bench::LatencyOptions options;
  options.depths = ParseList(absl::GetFlag(FLAGS_depths), "depths");
  options.fanout = AtLeast(absl::GetFlag(FLAGS_fanout), 1, "fanout");
  options.calls = AtLeast(absl::GetFlag(FLAGS_calls), 1, "calls");
  options.throughput_calls = AtLeast(absl::GetFlag(FLAGS_throughput_calls), 1, "throughput-calls");
  options.in_flight = ParseList(absl::GetFlag(FLAGS_in_flight), "in-flight");
  options.warmup = AtLeast(absl::GetFlag(FLAGS_warmup), 0, "warmup");
  options.max_targets = AtLeast(absl::GetFlag(FLAGS_targets), 1, "targets");
  options.baseline = absl::GetFlag(FLAGS_baseline);
  options.raw_curve = absl::GetFlag(FLAGS_raw_curve);
  options.connect = absl::GetFlag(FLAGS_connect);
  int deepest = *std::max_element(options.depths.begin(), options.depths.end());
  PlaceOnHosts(options, deepest);
  double nodes = 0;
  for (int d = 1; d <= deepest; ++d) nodes += std::pow(options.fanout, d);
  if (nodes > kMaxNodes) {
    BadFlag(absl::StrCat("a tree of fan-out ", options.fanout, " and depth ", deepest,
                         " has over ", kMaxNodes, " nodes"));
  }
  return options;
}

arbor::bench::ScaleOptions ScaleFlags() {
  arbor::bench::ScaleOptions options;
  options.nodes = AtLeast(absl::GetFlag(FLAGS_nodes), 1, "nodes");
  if (options.nodes > kMaxNodes) BadFlag(absl::StrCat("--nodes is at most ", kMaxNodes));
  // Unset (1): fan-out 10; chains of 1000 are not what scale mode is about.
  options.fanout = absl::GetFlag(FLAGS_fanout) == 1 ? 10 : AtLeast(absl::GetFlag(FLAGS_fanout), 2, "fanout");
  options.create_in_flight = AtLeast(absl::GetFlag(FLAGS_create_in_flight), 1, "create-in-flight");
  options.heartbit_ms = AtLeast(absl::GetFlag(FLAGS_heartbit_ms), 1, "heartbit-ms");
  options.cpu_seconds = AtLeast(absl::GetFlag(FLAGS_cpu_seconds), 0.1, "cpu-seconds");
  options.load_seconds = AtLeast(absl::GetFlag(FLAGS_load_seconds), 0.1, "load-seconds");
  options.kills = AtLeast(absl::GetFlag(FLAGS_kills), 0, "kills");
  return options;
}

// Flags are spelled with dashes; the mode is the one word that is not a flag.
std::string ParseArgs(int argc, char** argv) {
  std::vector<std::string> args = arbor::tools::NormalizeFlags(argc, argv);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
  }
  absl::FlagsUsageConfig config;
  config.version_string = [] { return std::string("arbor-bench 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  if (rest.size() > 2) BadFlag("one mode at most");
  std::string mode = rest.size() == 2 ? rest[1] : "latency";
  if (mode != "latency" && mode != "scale") BadFlag(absl::StrCat("unknown mode '", mode, "'"));
  return mode;
}

}  // namespace

int main(int argc, char** argv) {
  // The raw chain's processes are this binary in another role.
  if (argc == 4 && std::string(argv[1]) == "raw-forward") {
    return arbor::bench::RunRawForwarder(argv[2], argv[3]);
  }
  if (argc == 3 && std::string(argv[1]) == "raw-echo") return arbor::bench::RunRawEcho(argv[2]);

  std::string mode = ParseArgs(argc, argv);
  // A raw process that dies before reading its keys must fail the run, not kill it.
  std::signal(SIGPIPE, SIG_IGN);
  // Flags first: a bad one exits (std::exit) before anything needs cleaning up.
  std::optional<arbor::bench::LatencyOptions> latency;
  std::optional<arbor::bench::ScaleOptions> scale;
  if (mode == "latency") {
    latency = LatencyFlags();
  } else {
    scale = ScaleFlags();
  }
  auto bin_dir = arbor::process::SelfDirectory();
  TempDir dir;
  if (!bin_dir.ok() || dir.path().empty()) {
    std::fprintf(stderr, "arbor-bench: cannot find its directory or make a temporary one\n");
    return 1;
  }
  arbor::bench::Report report(absl::GetFlag(FLAGS_jsonl));
  bool ok = false;
  if (latency) {
    latency->bin_dir = *bin_dir;
    latency->dir = dir.path();
    ok = arbor::bench::RunLatency(*latency, report);
  } else {
    scale->bin_dir = *bin_dir;
    scale->dir = dir.path();
    ok = arbor::bench::RunScale(*scale, report);
  }
  return report.Flush() && ok ? 0 : 1;
}

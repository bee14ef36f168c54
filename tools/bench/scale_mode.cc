#include "tools/bench/scale_mode.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/arbor_load.h"
#include "tools/bench/percentiles.h"
#include "tools/bench/proc_stats.h"

namespace arbor::bench {
namespace {

using Clock = std::chrono::steady_clock;

bool Fail(const std::string& step, const absl::Status& status) {
  absl::FPrintF(stderr, "arbor-bench scale: %s: %s\n", step, status.ToString());
  return false;
}

double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Every node event a watch delivers, with when it arrived.
class EventLog {
 public:
  void Add(const client::NodeEvent& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back({event, Clock::now()});
    changed_.notify_all();
  }
  // When the first `kind` event for `id` at or after `since` arrived; nullopt
  // if none came within `timeout`.
  std::optional<Clock::time_point> WaitFor(NodeId id, client::EventKind kind,
                                           Clock::time_point since, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<Clock::time_point> found;
    changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      for (const auto& [event, at] : events_) {
        if (event.id == id && event.kind == kind && at >= since) {
          found = at;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // `unavailable` events for nodes outside `killed` after `since`.
  int FalseReports(const std::set<NodeId>& killed, Clock::time_point since) {
    std::lock_guard<std::mutex> lock(mutex_);
    int count = 0;
    for (const auto& [event, at] : events_) {
      if (at >= since && event.kind == client::EventKind::kUnavailable &&
          killed.count(event.id) == 0) {
        ++count;
      }
    }
    return count;
  }

 private:
  struct Entry {
    client::NodeEvent event;
    Clock::time_point at;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Entry> events_;
};

// CPU seconds of each pid, so a window's use is the difference of two reads.
std::map<pid_t, double> ReadCpu(const std::vector<pid_t>& pids) {
  std::map<pid_t, double> seconds;
  for (pid_t pid : pids) {
    if (std::optional<double> s = CpuSeconds(pid)) seconds[pid] = *s;
  }
  return seconds;
}

}  // namespace

bool RunScale(const ScaleOptions& options, Report& report) {
  auto started = ArborCluster::Start(options.bin_dir, options.dir);
  if (!started.ok()) return Fail("starting the controller", started.status());
  ArborCluster& cluster = **started;
  client::Client& client = cluster.client();
  Table table({"figure", "value", "target"});
  Result result;
  result.Label("bench", "scale").Value("nodes", options.nodes).Value("fanout", options.fanout);

  // 1. The tree, creates in flight at once.
  TreeShape shape{options.nodes, options.fanout};
  auto tree = cluster.Build(shape, options.create_in_flight);
  if (!tree.ok()) return Fail("building the tree", tree.status());
  table.Add({absl::StrFormat("create %d workers (%d in flight, fan-out %d, depth %d)",
                             options.nodes, options.create_in_flight, options.fanout,
                             static_cast<int>(tree->levels.size())),
             absl::StrFormat("%.2f s", tree->seconds), "<= 10 s"});
  result.Value("create_seconds", tree->seconds);

  // 2. One worker's start: a create under the controller, spawn to Hello to Ok.
  std::vector<double> start_ms;
  for (int i = 0; i < options.start_samples; ++i) {
    NodeId id = options.nodes + 1 + i;
    auto begin = Clock::now();
    auto created = client.Create(id, kControllerId).get();
    if (!created.ok()) return Fail("timing one create", created.status());
    start_ms.push_back(MillisBetween(begin, Clock::now()));
    if (absl::Status removed = client.Remove(id).get(); !removed.ok()) {
      return Fail("removing the timed worker", removed);
    }
  }
  double start_median = Median(start_ms);
  table.Add({"start of one worker (create: spawn, Hello, Ok), median", 
             absl::StrFormat("%.1f ms", start_median), ""});
  result.Value("worker_start_ms", start_median);

  // 3. Memory.
  std::vector<double> rss, pss, priv;
  for (pid_t pid : tree->pids) {
    if (std::optional<Memory> m = ReadMemory(pid)) {
      rss.push_back(m->rss_kib);
      pss.push_back(m->pss_kib);
      priv.push_back(m->private_kib);
    }
  }
  std::optional<Memory> controller_memory = ReadMemory(cluster.controller_pid());
  double controller_rss = controller_memory ? controller_memory->rss_kib : 0;
  double max_private = priv.empty() ? 0 : *std::max_element(priv.begin(), priv.end());
  double rss_median = Median(rss), pss_median = Median(pss), private_median = Median(priv);
  table.Add({"controller RSS", absl::StrFormat("%.1f MiB", controller_rss / 1024), ""});
  table.Add({"worker RSS / PSS, median", 
             absl::StrFormat("%.1f / %.1f MiB", rss_median / 1024, pss_median / 1024), ""});
  table.Add({"worker private memory, median (max)",
             absl::StrFormat("%.2f MiB (%.2f)", private_median / 1024, max_private / 1024),
             "<= 2 MiB"});
  result.Value("controller_rss_kib", controller_rss)
      .Value("worker_rss_kib", rss_median)
      .Value("worker_pss_kib", pss_median)
      .Value("worker_private_kib", private_median)
      .Value("worker_private_max_kib", max_private);

  // 4. Exec latency on the big tree, deepest level, before heartbit adds its
  // load: compare with `latency` at the same depth.
  const std::vector<NodeId>& deepest = tree->levels.back();
  std::vector<NodeId> targets(deepest.begin(),
                              deepest.begin() + std::min<size_t>(deepest.size(), 64));
  auto samples = LockStep(client, targets, options.latency_calls);
  if (!samples.ok()) return Fail("lock-step on the big tree", samples.status());
  LatencySummary latency = Summarize(*samples);
  table.Add({absl::StrFormat("exec p50 / p99 at depth %d of %d nodes",
                             static_cast<int>(tree->levels.size()), options.nodes),
             absl::StrFormat("%.1f / %.1f us", latency.p50_us, latency.p99_us), ""});
  result.Value("exec_depth", static_cast<double>(tree->levels.size()))
      .Value("exec_p50_us", latency.p50_us)
      .Value("exec_p99_us", latency.p99_us);

  // 5. Heartbit on, a watch recording every event.
  auto events = std::make_shared<EventLog>();
  auto watch = client.Watch([events](const client::NodeEvent& e) { events->Add(e); }).get();
  if (!watch.ok()) return Fail("watching", watch.status());
  auto interval = client.SetHeartbeat(static_cast<uint32_t>(options.heartbit_ms)).get();
  if (!interval.ok()) return Fail("setting heartbit", interval.status());
  Clock::time_point heartbeat_on = Clock::now();

  // 6. CPU of an idle tree with heartbit (a measuring window, not a wait for anything).
  std::vector<pid_t> all = tree->pids;
  all.push_back(cluster.controller_pid());
  std::map<pid_t, double> before = ReadCpu(all);
  auto window_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.cpu_seconds));
  std::map<pid_t, double> after = ReadCpu(all);
  double window = std::chrono::duration<double>(Clock::now() - window_start).count();
  double controller_cpu = 0, total_cpu = 0;
  for (const auto& [pid, seconds] : after) {
    if (!before.count(pid)) continue;
    double used = seconds - before[pid];
    total_cpu += used;
    if (pid == cluster.controller_pid()) controller_cpu = used;
  }
  double controller_pct = 100 * controller_cpu / window;
  double total_pct = 100 * total_cpu / window;
  table.Add({absl::StrFormat("controller CPU, idle tree, heartbit %d ms, %.1f s", 
                             options.heartbit_ms, window),
             absl::StrFormat("%.2f %% of a core", controller_pct), "<= 5 %"});
  table.Add({"all processes CPU, same window", absl::StrFormat("%.1f %% of a core", total_pct),
             ""});
  result.Value("controller_cpu_pct", controller_pct).Value("total_cpu_pct", total_pct);

  // 7. A steady exec load over every node: nothing may be reported unavailable.
  std::vector<NodeId> everyone;
  for (const auto& level : tree->levels) everyone.insert(everyone.end(), level.begin(), level.end());
  LoadCount load = SteadyLoad(client, everyone, 16, absl::Seconds(options.load_seconds),
                              absl::Seconds(1));
  table.Add({absl::StrFormat("steady exec load, 16 in flight, %g s: ok / failed",
                             options.load_seconds),
             absl::StrFormat("%d / %d", load.ok, load.failed), "failed = 0"});
  if (load.failed > 0) {
    absl::FPrintF(stderr, "arbor-bench scale: first failed exec: %s\n",
                  load.first_failure.ToString());
  }
  result.Value("load_ok", static_cast<double>(load.ok))
      .Value("load_failed", static_cast<double>(load.failed));

  // 8. kill -9 of leaves, one at a time: until `unavailable` (heartbeats) and `lost` (SIGCHLD).
  std::set<NodeId> killed;
  std::vector<double> unavailable_ms, lost_ms;
  int missed = 0;
  absl::Duration patience = absl::Milliseconds(20 * options.heartbit_ms) + absl::Seconds(2);
  for (int i = 0; i < options.kills && i < static_cast<int>(deepest.size()); ++i) {
    NodeId victim = deepest[deepest.size() - 1 - static_cast<size_t>(i) * deepest.size() /
                                                     static_cast<size_t>(options.kills)];
    if (killed.count(victim)) continue;
    auto topology = client.Topology().get();
    if (!topology.ok()) return Fail("topology", topology.status());
    pid_t pid = 0;
    for (const client::NodeInfo& node : *topology) {
      if (node.id == victim) pid = static_cast<pid_t>(node.pid);
    }
    if (pid <= 0) continue;
    killed.insert(victim);
    auto at = Clock::now();
    ::kill(pid, SIGKILL);
    auto lost = events->WaitFor(victim, client::EventKind::kLost, at, patience);
    auto unavailable = events->WaitFor(victim, client::EventKind::kUnavailable, at, patience);
    if (lost) lost_ms.push_back(MillisBetween(at, *lost));
    if (unavailable) {
      unavailable_ms.push_back(MillisBetween(at, *unavailable));
    } else {
      ++missed;
    }
  }
  double detect_max = unavailable_ms.empty()
                          ? 0
                          : *std::max_element(unavailable_ms.begin(), unavailable_ms.end());
  double detect_median = Median(unavailable_ms);
  table.Add({absl::StrFormat("kill -9 -> unavailable event, median (max), %zu kills, %d missed",
                             killed.size(), missed),
             absl::StrFormat("%.0f ms (%.0f)", detect_median, detect_max),
             absl::StrFormat("<= %d ms", 5 * options.heartbit_ms)});
  table.Add({"kill -9 -> lost event (SIGCHLD), median",
             absl::StrFormat("%.1f ms", Median(lost_ms)), ""});
  result.Value("detect_median_ms", detect_median)
      .Value("detect_max_ms", detect_max)
      .Value("detect_missed", missed)
      .Value("lost_median_ms", Median(lost_ms));

  int false_reports = events->FalseReports(killed, heartbeat_on);
  table.Add({"false unavailable reports (whole run)", absl::StrCat(false_reports), "0"});
  result.Value("false_reports", false_reports);

  absl::PrintF("scale: %d workers, fan-out %d\n", options.nodes, options.fanout);
  table.Print(stdout);
  report.Add(result);
  return missed == 0 && load.failed == 0;
}

}  // namespace arbor::bench

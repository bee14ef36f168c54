#include "tools/bench/scale_mode.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
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

// One scale run: the cluster, its tree, and what the steps found.
class ScaleRun {
 public:
  ScaleRun(const ScaleOptions& options, ArborCluster& cluster)
      : options_(options), cluster_(cluster), client_(cluster.client()),
        table_({"figure", "value", "target"}) {
    result_.Label("bench", "scale").Value("nodes", options.nodes).Value("fanout", options.fanout);
  }

  bool Run(Report& report) {
    bool ok = BuildTree() && TimeOneStart() && MeasureMemory() && MeasureLatency() &&
              StartWatching() && MeasureIdleCpu() && SteadyLoadHasNoFailures() && TimeDetection();
    if (!ok) return false;
    int false_reports = events_->FalseReports(killed_, heartbeat_on_);
    table_.Add({"false unavailable reports (whole run)", absl::StrCat(false_reports), "0"});
    result_.Value("false_reports", false_reports);
    absl::PrintF("scale: %d workers, fan-out %d\n", options_.nodes, options_.fanout);
    table_.Print(stdout);
    report.Add(result_);
    return false_reports == 0;
  }

 private:
  // 1. The tree, creates in flight at once.
  bool BuildTree() {
    auto tree = cluster_.Build(TreeShape{options_.nodes, options_.fanout}, options_.create_in_flight);
    if (!tree.ok()) return Fail("building the tree", tree.status());
    tree_ = std::move(*tree);
    table_.Add({absl::StrFormat("create %d workers (%d in flight, fan-out %d, depth %d)",
                                options_.nodes, options_.create_in_flight, options_.fanout,
                                static_cast<int>(tree_.levels.size())),
                absl::StrFormat("%.2f s", tree_.seconds), "<= 10 s"});
    result_.Value("create_seconds", tree_.seconds);
    return true;
  }

  // 2. One worker's start: a create under the controller, spawn to Hello to Ok.
  bool TimeOneStart() {
    std::vector<double> start_ms;
    for (int i = 0; i < options_.start_samples; ++i) {
      NodeId id = options_.nodes + 1 + i;
      auto begin = Clock::now();
      auto created = client_.Create(id, kControllerId).get();
      if (!created.ok()) return Fail("timing one create", created.status());
      start_ms.push_back(MillisBetween(begin, Clock::now()));
      if (absl::Status removed = client_.Remove(id).get(); !removed.ok()) {
        return Fail("removing the timed worker", removed);
      }
    }
    double median = Median(start_ms);
    table_.Add({"start of one worker (create: spawn, Hello, Ok), median",
                absl::StrFormat("%.1f ms", median), ""});
    result_.Value("worker_start_ms", median);
    return true;
  }

  // 3. Memory of the controller and of every worker.
  bool MeasureMemory() {
    std::vector<double> rss, pss, priv;
    for (pid_t pid : tree_.pids) {
      if (std::optional<Memory> m = ReadMemory(pid)) {
        rss.push_back(m->rss_kib);
        pss.push_back(m->pss_kib);
        priv.push_back(m->private_kib);
      }
    }
    std::optional<Memory> controller = ReadMemory(cluster_.controller_pid());
    double controller_rss = controller ? controller->rss_kib : 0;
    double max_private = priv.empty() ? 0 : *std::max_element(priv.begin(), priv.end());
    double rss_median = Median(rss), pss_median = Median(pss), private_median = Median(priv);
    table_.Add({"controller RSS", absl::StrFormat("%.1f MiB", controller_rss / 1024), ""});
    table_.Add({"worker RSS / PSS, median",
                absl::StrFormat("%.1f / %.1f MiB", rss_median / 1024, pss_median / 1024), ""});
    table_.Add({"worker private memory, median (max)",
                absl::StrFormat("%.2f MiB (%.2f)", private_median / 1024, max_private / 1024),
                "<= 2 MiB"});
    result_.Value("controller_rss_kib", controller_rss)
        .Value("worker_rss_kib", rss_median)
        .Value("worker_pss_kib", pss_median)
        .Value("worker_private_kib", private_median)
        .Value("worker_private_max_kib", max_private);
    return true;
  }

  // 4. Exec latency on the big tree, deepest level, before heartbit adds its
  // load: compare with `latency` at the same depth.
  bool MeasureLatency() {
    const std::vector<NodeId>& deepest = tree_.levels.back();
    std::vector<NodeId> targets(deepest.begin(),
                                deepest.begin() + std::min<size_t>(deepest.size(), 64));
    if (auto warm = LockStep(client_, targets, 200); !warm.ok()) {
      return Fail("warm-up on the big tree", warm.status());
    }
    auto samples = LockStep(client_, targets, options_.latency_calls);
    if (!samples.ok()) return Fail("lock-step on the big tree", samples.status());
    LatencySummary latency = Summarize(*samples);
    table_.Add({absl::StrFormat("exec p50 / p99 at depth %d of %d nodes",
                                static_cast<int>(tree_.levels.size()), options_.nodes),
                absl::StrFormat("%.1f / %.1f us", latency.p50_us, latency.p99_us), ""});
    result_.Value("exec_depth", static_cast<double>(tree_.levels.size()))
        .Value("exec_p50_us", latency.p50_us)
        .Value("exec_p99_us", latency.p99_us);
    return true;
  }

  // 5. Heartbit on, a watch recording every event.
  bool StartWatching() {
    auto events = events_;
    auto watch = client_.Watch([events](const client::NodeEvent& e) { events->Add(e); }).get();
    if (!watch.ok()) return Fail("watching", watch.status());
    auto interval = client_.SetHeartbeat(static_cast<uint32_t>(options_.heartbit_ms)).get();
    if (!interval.ok()) return Fail("setting heartbit", interval.status());
    heartbeat_on_ = Clock::now();
    return true;
  }

  // 6. CPU of an idle tree with heartbit: a measuring window, not a wait for anything.
  bool MeasureIdleCpu() {
    std::vector<pid_t> all = tree_.pids;
    all.push_back(cluster_.controller_pid());
    std::map<pid_t, double> before = ReadCpu(all);
    auto window_start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.cpu_seconds));
    std::map<pid_t, double> after = ReadCpu(all);
    double window = std::chrono::duration<double>(Clock::now() - window_start).count();
    double controller_cpu = 0, total_cpu = 0;
    for (const auto& [pid, seconds] : after) {
      if (!before.count(pid)) continue;
      double used = seconds - before[pid];
      total_cpu += used;
      if (pid == cluster_.controller_pid()) controller_cpu = used;
    }
    double controller_pct = 100 * controller_cpu / window;
    double total_pct = 100 * total_cpu / window;
    table_.Add({absl::StrFormat("controller CPU, idle tree, heartbit %d ms, %.1f s",
                                options_.heartbit_ms, window),
                absl::StrFormat("%.2f %% of a core", controller_pct), "<= 5 %"});
    table_.Add({"all processes CPU, same window", absl::StrFormat("%.1f %% of a core", total_pct),
                ""});
    result_.Value("controller_cpu_pct", controller_pct).Value("total_cpu_pct", total_pct);
    return true;
  }

  // 7. A steady exec load over every node: nothing may fail or be reported unavailable.
  bool SteadyLoadHasNoFailures() {
    std::vector<NodeId> everyone;
    for (const auto& level : tree_.levels) everyone.insert(everyone.end(), level.begin(), level.end());
    LoadCount load = SteadyLoad(client_, everyone, 16, absl::Seconds(options_.load_seconds),
                                absl::Seconds(1));
    table_.Add({absl::StrFormat("steady exec load, 16 in flight, %g s: ok / failed",
                                options_.load_seconds),
                absl::StrFormat("%d / %d", load.ok, load.failed), "failed = 0"});
    result_.Value("load_ok", static_cast<double>(load.ok))
        .Value("load_failed", static_cast<double>(load.failed));
    if (load.failed > 0) return Fail("steady load: first failed exec", load.first_failure);
    return true;
  }

  // 8. kill -9 of leaves, one at a time: until `unavailable` (heartbeats) and
  // `lost` (SIGCHLD).
  bool TimeDetection() {
    const std::vector<NodeId>& deepest = tree_.levels.back();
    std::vector<double> unavailable_ms, lost_ms;
    int missed = 0;
    absl::Duration patience = absl::Milliseconds(20 * options_.heartbit_ms) + absl::Seconds(2);
    for (int i = 0; i < options_.kills && i < static_cast<int>(deepest.size()); ++i) {
      NodeId victim = deepest[deepest.size() - 1 -
                              static_cast<size_t>(i) * deepest.size() /
                                  static_cast<size_t>(options_.kills)];
      if (killed_.count(victim)) continue;
      pid_t pid = PidOf(victim);
      if (pid <= 0) return Fail(absl::StrCat("finding node ", victim), absl::NotFoundError("no pid"));
      killed_.insert(victim);
      auto at = Clock::now();
      if (::kill(pid, SIGKILL) != 0) {
        return Fail(absl::StrCat("kill -9 of node ", victim), absl::ErrnoToStatus(errno, "kill"));
      }
      auto lost = events_->WaitFor(victim, client::EventKind::kLost, at, patience);
      auto unavailable = events_->WaitFor(victim, client::EventKind::kUnavailable, at, patience);
      if (lost) lost_ms.push_back(MillisBetween(at, *lost));
      if (unavailable) {
        unavailable_ms.push_back(MillisBetween(at, *unavailable));
      } else {
        ++missed;
      }
    }
    double max = unavailable_ms.empty()
                     ? 0
                     : *std::max_element(unavailable_ms.begin(), unavailable_ms.end());
    double median = Median(unavailable_ms);
    table_.Add({absl::StrFormat("kill -9 -> unavailable event, median (max), %zu kills, %d missed",
                                killed_.size(), missed),
                absl::StrFormat("%.0f ms (%.0f)", median, max),
                absl::StrFormat("<= %d ms", 5 * options_.heartbit_ms)});
    table_.Add({"kill -9 -> lost event (SIGCHLD), median",
                absl::StrFormat("%.1f ms", Median(lost_ms)), ""});
    result_.Value("detect_median_ms", median)
        .Value("detect_max_ms", max)
        .Value("detect_missed", missed)
        .Value("lost_median_ms", Median(lost_ms));
    if (missed > 0) {
      return Fail("detection", absl::DeadlineExceededError(absl::StrCat(
                                   missed, " killed nodes never reported unavailable")));
    }
    return true;
  }

  pid_t PidOf(NodeId id) {
    auto topology = client_.Topology().get();
    if (!topology.ok()) return -1;
    for (const client::NodeInfo& node : *topology) {
      if (node.id == id) return static_cast<pid_t>(node.pid);
    }
    return -1;
  }

  const ScaleOptions& options_;
  ArborCluster& cluster_;
  client::Client& client_;
  Table table_;
  Result result_;
  BuiltTree tree_;
  std::shared_ptr<EventLog> events_ = std::make_shared<EventLog>();
  Clock::time_point heartbeat_on_;
  std::set<NodeId> killed_;
};

}  // namespace

bool RunScale(const ScaleOptions& options, Report& report) {
  auto cluster = ArborCluster::Start(options.bin_dir, options.dir);
  if (!cluster.ok()) return Fail("starting the controller", cluster.status());
  ScaleRun run(options, **cluster);
  return run.Run(report);
}

}  // namespace arbor::bench

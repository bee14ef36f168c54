#include "tools/chaos/soak.h"

#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "common/clock.h"
#include "process/child.h"
#include "process/proc_stat.h"
#include "tools/bench/arbor_cluster.h"
#include "tools/bench/proc_stats.h"
#include "tools/chaos/node_model.h"

namespace arbor::chaos {

bool SoakFigures::ok_invariants() const {
  bool rss_ok = !rss_checked || rss_end_kib <= rss_baseline_kib + kRssGrowthLimitKib;
  return wrong_answers == 0 && false_unavailable == 0 && false_unavailable_events == 0 &&
         double_resolutions == 0 && unresolved == 0 && unanswered == 0 && late_answers == 0 &&
         leaked_processes == 0 && pending_at_end == 0 && controller_alive &&
         controller_exit_ok && rss_ok;
}

std::string FormatFigures(const SoakFigures& f) {
  std::string out;
  auto line = [&out](const char* name, auto value) { absl::StrAppend(&out, name, "=", value, "\n"); };
  line("requests", f.requests);
  line("ok", f.ok);
  line("unavailable", f.unavailable);
  line("deadline_exceeded", f.deadline_exceeded);
  line("other_errors", f.other_errors);
  line("kills", f.kills);
  line("stops", f.stops);
  line("conts", f.conts);
  line("recreates", f.recreates);
  line("adoptions", f.adoptions);
  line("lost_events", f.lost_events);
  line("unavailable_events", f.unavailable_events);
  line("wrong_answers", f.wrong_answers);
  line("false_unavailable", f.false_unavailable);
  line("false_unavailable_events", f.false_unavailable_events);
  line("double_resolutions", f.double_resolutions);
  line("unresolved", f.unresolved);
  line("unanswered", f.unanswered);
  line("late_answers", f.late_answers);
  line("leaked_processes", f.leaked_processes);
  line("pending_at_end", f.pending_at_end);
  line("controller_alive", f.controller_alive ? 1 : 0);
  line("controller_exit_ok", f.controller_exit_ok ? 1 : 0);
  line("controller_rss_baseline_kib", f.rss_baseline_kib);
  line("controller_rss_end_kib", f.rss_end_kib);
  line("controller_rss_checked", f.rss_checked ? 1 : 0);
  if (!f.first_problem.empty()) line("first_problem", f.first_problem);
  return out;
}

namespace {

constexpr char kKey[] = "k";

class Soak {
 public:
  explicit Soak(const SoakOptions& options)
      : options_(options),
        random_(options.seed),
        grace_(absl::Milliseconds(5 * options.heartbit_ms + 500)) {}

  absl::StatusOr<SoakFigures> Run();

 private:
  struct Node {
    NodeId parent = kControllerId;
    pid_t pid = 0;
    bool dead = false;       // killed by us, or LOST
    bool lost_seen = false;  // the controller saw it die: it may be re-created
    bool frozen = false;
    bool creating = false;
    bool busy = false;       // one call at a time per node
    bool parked = false;     // answered UNAVAILABLE: resumed at the next fault tick
    bool orphaned = false;   // its parent died; no ADOPTED event yet
    bool save_next = true;
    NodeModel model;
    absl::Time disturbed_at = absl::InfinitePast();  // last fault on its path
    absl::Time thaw_at = absl::InfiniteFuture();
  };
  // A call to issue once the lock is released (a callback may run inline).
  struct Call {
    NodeId id = 0;
    bool save = false;
    int64_t value = 0;
  };

  absl::Status Build();
  void Fault();
  void Thaw(NodeId id, absl::Time now);
  // ---- under mutex_ ----
  bool Disturbed(NodeId id) const;
  void Touch(NodeId id, absl::Time now);  // the node and its subtree
  bool InSubtree(NodeId node, NodeId root) const;
  // `id` died: its live children are orphans until their ADOPTED event (the
  // controller keeps them under `id`, even a re-created one, until then).
  void Orphan(NodeId id);
  std::optional<Call> NextCall(NodeId id);
  void Problem(std::string what);
  template <typename Pred>
  std::optional<NodeId> Pick(Pred pred);
  // ---- without mutex_ ----
  void Issue(const Call& call);
  void OnExec(const Call& call, absl::Time started, absl::StatusOr<client::ExecResult> result);
  void OnEvent(const client::NodeEvent& event);
  void Recreate(NodeId id, NodeId parent);

  SoakOptions options_;
  std::mt19937_64 random_;  // the main thread's only
  absl::Duration grace_;    // how long after a fault an UNAVAILABLE is still its doing
  std::unique_ptr<bench::ArborCluster> cluster_;

  std::mutex mutex_;
  std::condition_variable settled_;
  absl::flat_hash_map<NodeId, Node> nodes_;
  std::vector<pid_t> pids_;  // every worker ever created
  bool running_ = true;
  uint64_t in_flight_ = 0;  // execs and re-creates not resolved yet
  int64_t next_value_ = 1;
  SoakFigures figures_;
};

void Soak::Problem(std::string what) {
  if (figures_.first_problem.empty()) figures_.first_problem = std::move(what);
}

bool Soak::Disturbed(NodeId id) const {
  for (NodeId at = id; at != kControllerId;) {
    auto it = nodes_.find(at);
    if (it == nodes_.end()) return true;
    const Node& n = it->second;
    if (n.dead || n.frozen || n.creating || n.orphaned) return true;
    at = n.parent;
  }
  return false;
}

bool Soak::InSubtree(NodeId node, NodeId root) const {
  for (NodeId at = node; at != kControllerId;) {
    if (at == root) return true;
    auto it = nodes_.find(at);
    if (it == nodes_.end()) return false;
    at = it->second.parent;
  }
  return false;
}

void Soak::Orphan(NodeId id) {
  for (auto& [other, n] : nodes_) {
    if (n.parent == id && !n.dead) n.orphaned = true;
  }
}

void Soak::Touch(NodeId id, absl::Time now) {
  for (auto& [other, n] : nodes_) {
    if (InSubtree(other, id)) n.disturbed_at = now;
  }
}

template <typename Pred>
std::optional<NodeId> Soak::Pick(Pred pred) {
  std::vector<NodeId> candidates;
  for (const auto& [id, n] : nodes_) {
    if (pred(id, n)) candidates.push_back(id);
  }
  if (candidates.empty()) return std::nullopt;
  std::sort(candidates.begin(), candidates.end());  // the seed alone decides
  return candidates[random_() % candidates.size()];
}

std::optional<Soak::Call> Soak::NextCall(NodeId id) {
  Node& n = nodes_[id];
  if (!running_ || n.busy || n.dead || n.creating) return std::nullopt;
  n.busy = true;
  n.parked = false;
  ++in_flight_;
  Call call{id, n.save_next, n.save_next ? next_value_++ : 0};
  n.save_next = !n.save_next;
  return call;
}

void Soak::Issue(const Call& call) {
  absl::Time started = MonoNow();
  auto fired = std::make_shared<bool>(false);
  auto done = [this, call, started, fired](absl::StatusOr<client::ExecResult> result) {
    if (*fired) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++figures_.double_resolutions;
      Problem(absl::StrCat("a call to node ", call.id, " resolved twice"));
      return;
    }
    *fired = true;
    OnExec(call, started, std::move(result));
  };
  client::CallOptions options{.timeout = options_.call_timeout};
  if (call.save) {
    cluster_->client().Exec(call.id, kKey, call.value, std::move(done), options);
  } else {
    cluster_->client().Exec(call.id, kKey, std::move(done), options);
  }
}

void Soak::OnExec(const Call& call, absl::Time started,
                  absl::StatusOr<client::ExecResult> result) {
  std::optional<Call> next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Node& n = nodes_[call.id];
    ++figures_.requests;
    absl::StatusCode code = result.status().code();
    if (result.ok()) {
      ++figures_.ok;
    } else if (code == absl::StatusCode::kUnavailable) {
      ++figures_.unavailable;
      if (!Disturbed(call.id) && n.disturbed_at < started - grace_) {
        ++figures_.false_unavailable;
        Problem(absl::StrCat("node ", call.id, " answered unavailable with its path healthy: ",
                             result.status().ToString()));
      }
    } else if (code == absl::StatusCode::kDeadlineExceeded) {
      ++figures_.deadline_exceeded;
    } else {
      ++figures_.other_errors;
    }
    if (call.save) {
      if (result.ok()) {
        n.model.SaveSucceeded(call.value);
      } else {
        n.model.SaveFailed(call.value, code);
      }
    } else if (result.ok()) {
      std::optional<int64_t> seen;
      if (result->found) seen = result->value;
      if (!n.model.LoadSucceeded(seen)) {
        ++figures_.wrong_answers;
        Problem(absl::StrCat("node ", call.id, " loaded ", seen ? absl::StrCat(*seen) : "nothing",
                             ", expected ",
                             n.model.confirmed() ? absl::StrCat(*n.model.confirmed()) : "nothing",
                             " or one of ", n.model.uncertain(), " uncertain saves"));
      }
    }
    n.busy = false;
    --in_flight_;
    // An unreachable node is not hammered: its next call waits for the next
    // fault tick.
    if (code == absl::StatusCode::kUnavailable) {
      n.parked = true;
    } else {
      next = NextCall(call.id);
    }
    if (in_flight_ == 0) settled_.notify_all();
  }
  if (next) Issue(*next);
}

void Soak::OnEvent(const client::NodeEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = nodes_.find(event.id);
  if (it == nodes_.end()) return;
  Node& n = it->second;
  absl::Time now = MonoNow();
  switch (event.kind) {
    case client::EventKind::kAdopted:
      if (event.pid != n.pid) break;  // an earlier incarnation
      ++figures_.adoptions;
      n.parent = event.parent;
      n.orphaned = false;
      Touch(event.id, now);
      break;
    case client::EventKind::kLost:
      if (event.pid != n.pid) break;  // an earlier incarnation
      ++figures_.lost_events;
      n.dead = true;
      n.frozen = false;
      n.lost_seen = true;
      Orphan(event.id);
      Touch(event.id, now);
      break;
    case client::EventKind::kUnavailable:
      ++figures_.unavailable_events;
      if (!Disturbed(event.id) && n.disturbed_at < now - grace_) {
        ++figures_.false_unavailable_events;
        Problem(absl::StrCat("node ", event.id, " reported unavailable with its path healthy"));
      }
      break;
    default:
      break;
  }
}

void Soak::Recreate(NodeId id, NodeId parent) {
  cluster_->client().Create(
      id, parent,
      [this, id, parent](absl::StatusOr<client::CreateResult> created) {
        std::optional<Call> next;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          Node& n = nodes_[id];
          n.creating = false;
          --in_flight_;
          Touch(id, MonoNow());
          if (created.ok()) {
            n.pid = static_cast<pid_t>(created->pid);
            pids_.push_back(n.pid);
            n.parent = parent;
            n.dead = false;
            n.lost_seen = false;
            n.frozen = false;
            n.orphaned = false;
            n.model.Recreated();
            next = NextCall(id);
          }
          if (in_flight_ == 0) settled_.notify_all();
        }
        if (next) Issue(*next);
      },
      {.timeout = absl::Seconds(5)});
}

void Soak::Thaw(NodeId id, absl::Time now) {
  Node& n = nodes_[id];
  if (!n.frozen) return;
  kill(n.pid, SIGCONT);
  n.frozen = false;
  n.thaw_at = absl::InfiniteFuture();
  ++figures_.conts;
  Touch(id, now);
}

void Soak::Fault() {
  std::optional<std::pair<NodeId, NodeId>> recreate;
  std::vector<Call> resumed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    absl::Time now = MonoNow();
    for (auto& [id, n] : nodes_) {
      if (!n.parked) continue;
      if (std::optional<Call> call = NextCall(id)) resumed.push_back(*call);
    }
    for (auto& [id, n] : nodes_) {
      if (n.frozen && n.thaw_at <= now) Thaw(id, now);
    }
    int alive = 0, frozen = 0;
    for (const auto& [id, n] : nodes_) {
      alive += (!n.dead && !n.creating) ? 1 : 0;
      frozen += n.frozen ? 1 : 0;
    }
    int roll = static_cast<int>(random_() % 100);
    if (roll < 30 && alive > options_.nodes / 2) {
      if (auto id = Pick([](NodeId, const Node& n) { return !n.dead && !n.creating; })) {
        Node& n = nodes_[*id];
        kill(n.pid, SIGKILL);
        n.dead = true;
        n.frozen = false;
        ++figures_.kills;
        Orphan(*id);
        Touch(*id, now);
      }
    } else if (roll < 55 && frozen < options_.max_frozen) {
      if (auto id = Pick([](NodeId, const Node& n) { return !n.dead && !n.creating && !n.frozen; })) {
        Node& n = nodes_[*id];
        kill(n.pid, SIGSTOP);
        n.frozen = true;
        n.thaw_at = now + absl::Milliseconds(200 + random_() % 1000);
        ++figures_.stops;
        Touch(*id, now);
      }
    } else if (auto id = Pick([](NodeId, const Node& n) { return n.lost_seen && !n.creating; })) {
      // Under a live node outside its own (old) subtree, or the controller.
      NodeId dead = *id;
      std::optional<NodeId> parent = Pick([&](NodeId other, const Node& n) {
        return !n.dead && !n.creating && !n.frozen && !InSubtree(other, dead);
      });
      NodeId chosen = parent.value_or(kControllerId);
      if (random_() % 4 == 0) chosen = kControllerId;
      nodes_[dead].creating = true;
      ++in_flight_;  // drained like the execs
      ++figures_.recreates;
      Touch(dead, now);
      recreate = {dead, chosen};
    }
  }
  for (const Call& call : resumed) Issue(call);
  if (recreate) Recreate(recreate->first, recreate->second);
}

absl::Status Soak::Build() {
  bench::TreeShape shape{options_.nodes, options_.fanout};
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    NodeId parent = shape.Parent(id);
    absl::StatusOr<client::CreateResult> created =
        cluster_->client().Create(id, parent, {.timeout = absl::Seconds(10)}).get();
    if (!created.ok()) return created.status();
    std::lock_guard<std::mutex> lock(mutex_);  // the watch's events read nodes_
    Node& n = nodes_[id];
    n.parent = parent;
    n.pid = static_cast<pid_t>(created->pid);
    pids_.push_back(n.pid);
  }
  return absl::OkStatus();
}

absl::StatusOr<SoakFigures> Soak::Run() {
  // Every call ends with the controller's own answer: a local timeout would
  // hide an unanswered call.
  client::ClientOptions client_options;
  client_options.reply_grace = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<bench::ArborCluster>> cluster =
      bench::ArborCluster::Start(options_.bin_dir, options_.dir, {}, client_options);
  if (!cluster.ok()) return cluster.status();
  cluster_ = std::move(*cluster);
  client::Client& client = cluster_->client();
  absl::StatusOr<client::WatchId> watch =
      client.Watch([this](const client::NodeEvent& e) { OnEvent(e); }).get();
  if (!watch.ok()) return watch.status();
  if (absl::Status built = Build(); !built.ok()) return built;
  absl::StatusOr<uint32_t> heartbit =
      client.SetHeartbeat(static_cast<uint32_t>(options_.heartbit_ms)).get();
  if (!heartbit.ok()) return heartbit.status();
  pid_t controller = cluster_->controller_pid();
  if (std::optional<bench::Memory> m = bench::ReadMemory(controller)) {
    figures_.rss_baseline_kib = m->rss_kib;
  }

  // The load: one call at a time per node, each answer issuing the next.
  std::vector<Call> first;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (NodeId id = 1; id <= options_.nodes; ++id) {
      if (std::optional<Call> call = NextCall(id)) first.push_back(*call);
    }
  }
  for (const Call& call : first) Issue(call);

  // The faults, one per period, on this thread.
  absl::Time end = MonoNow() + options_.duration;
  for (absl::Time next = MonoNow(); MonoNow() < end;) {
    absl::SleepFor(std::min(next, end) - MonoNow());  // pacing, not waiting for anything
    if (MonoNow() < next) continue;
    Fault();
    next = std::max(next + options_.fault_every, MonoNow());  // no burst after a stall
  }

  // Drain: no new call, every frozen node thawed, every call resolved.
  {
    std::unique_lock<std::mutex> lock(mutex_);
    running_ = false;
    absl::Time now = MonoNow();
    for (auto& [id, n] : nodes_) Thaw(id, now);
    absl::Duration wait = 3 * options_.call_timeout + absl::Seconds(5);
    settled_.wait_until(lock, absl::ToChronoTime(absl::Now() + wait),
                        [this] { return in_flight_ == 0; });
    figures_.unresolved = in_flight_;
    if (in_flight_ > 0) Problem(absl::StrCat(in_flight_, " calls never resolved"));
  }
  // A call the controller expired may leave its table a moment after our
  // answer: read until empty, for a bounded time.
  absl::StatusOr<client::ControllerStats> stats = client.Stats().get();
  for (absl::Time until = absl::Now() + absl::Seconds(3);
       stats.ok() && stats->pending > 0 && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(20));  // a measurement's settling, not a handshake
    stats = client.Stats().get();
  }
  client::ClientCounters counters = client.counters();
  figures_.unanswered = counters.timed_out;
  figures_.late_answers = counters.late_replies;
  if (counters.timed_out > 0) Problem("a call got no answer from the controller");
  if (counters.late_replies > 0) Problem("an answer came for no call (twice, or late)");
  std::optional<process::ProcStat> state = process::ReadProcStat(controller);
  figures_.controller_alive = stats.ok() && state.has_value() && state->state != 'Z';
  if (!figures_.controller_alive) Problem("the controller is gone");
  if (stats.ok()) figures_.pending_at_end = stats->pending;
  if (std::optional<bench::Memory> m = bench::ReadMemory(controller)) {
    figures_.rss_end_kib = m->rss_kib;
  }
#if defined(__SANITIZE_ADDRESS__)
  figures_.rss_checked = false;
#endif
  if (figures_.rss_checked &&
      figures_.rss_end_kib > figures_.rss_baseline_kib + SoakFigures::kRssGrowthLimitKib) {
    Problem("the controller's memory did not return near its baseline");
  }

  // The controller stops its tree and exits 0 (under ASan: no leak report);
  // no worker may be left running.
  std::optional<int> status = cluster_->Stop();
  figures_.controller_exit_ok = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  if (!figures_.controller_exit_ok) Problem("the controller did not exit 0");
  cluster_.reset();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::lock_guard<std::mutex> lock(mutex_);
  for (pid_t pid : pids_) {
    if (!process::WaitExited(pid, deadline - absl::Now())) {
      ++figures_.leaked_processes;
      Problem(absl::StrCat("worker ", pid, " still running after the controller exited"));
    }
  }
  return figures_;
}

}  // namespace

absl::StatusOr<SoakFigures> RunSoak(const SoakOptions& options) {
  Soak soak(options);
  return soak.Run();
}

}  // namespace arbor::chaos

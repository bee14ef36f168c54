// The fault-injection soak: a tree of workers under a steady exec load whose
// expected values are tracked per node (node_model.h), while random nodes are
// killed with -9, frozen (SIGSTOP), thawed and re-created. What it checks, and
// counts, is listed in SoakFigures; README "Chaos soak" says how to run it.
#ifndef ARBOR_TOOLS_CHAOS_SOAK_H_
#define ARBOR_TOOLS_CHAOS_SOAK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace arbor::chaos {

struct SoakOptions {
  std::string bin_dir;  // where arbor and arbor-worker are
  std::string dir;      // a private directory for the client endpoint
  int nodes = 50;
  int fanout = 3;
  absl::Duration duration = absl::Seconds(20);
  uint64_t seed = 1;
  absl::Duration fault_every = absl::Milliseconds(150);  // one fault per period
  int max_frozen = 3;
  absl::Duration call_timeout = absl::Seconds(1);
  int64_t heartbit_ms = 200;
};

struct SoakFigures {
  // The load.
  uint64_t requests = 0;
  uint64_t ok = 0;
  uint64_t unavailable = 0;
  uint64_t deadline_exceeded = 0;
  uint64_t other_errors = 0;  // any other code (counted, not judged)
  // The faults.
  uint64_t kills = 0;
  uint64_t stops = 0;
  uint64_t conts = 0;
  uint64_t recreates = 0;
  uint64_t adoptions = 0;  // ADOPTED events
  uint64_t lost_events = 0;
  uint64_t unavailable_events = 0;
  // Invariants: each must stay 0 (controller_alive 1).
  uint64_t wrong_answers = 0;         // a load that no save can explain
  uint64_t false_unavailable = 0;     // UNAVAILABLE for a node that was fine
  uint64_t false_unavailable_events = 0;
  uint64_t double_resolutions = 0;    // a call's callback ran twice
  uint64_t unresolved = 0;            // a call's callback never ran
  uint64_t unanswered = 0;            // the controller never answered (client deadline + 5 s)
  uint64_t late_answers = 0;          // an answer for no pending call: a second one, or late
  uint64_t leaked_processes = 0;      // workers running after the controller exited
  uint64_t pending_at_end = 0;        // the controller's pending-call table, drained
  bool controller_alive = false;      // still running when the soak ended
  bool controller_exit_ok = false;    // then exited 0 when its stdin closed
  double rss_baseline_kib = 0;        // the controller's, after the tree was built
  double rss_end_kib = 0;             // after the load drained
  // Back near the baseline: at most kRssGrowthLimitKib more (not checked under
  // AddressSanitizer, whose quarantine keeps freed memory resident).
  bool rss_checked = true;
  static constexpr double kRssGrowthLimitKib = 8192;
  std::string first_problem;

  bool ok_invariants() const;
};

// Runs the soak; an error only when it could not start (no controller, tree
// not built). Violations are in the figures.
absl::StatusOr<SoakFigures> RunSoak(const SoakOptions& options);

// One "name=value" line per figure.
std::string FormatFigures(const SoakFigures& figures);

}  // namespace arbor::chaos

#endif  // ARBOR_TOOLS_CHAOS_SOAK_H_

// (command, result) -> the exact answer line of DESIGN §4. Results are absl
// statuses whose codes are the wire's error codes; each command maps them once.
#ifndef ARBOR_CLI_FORMAT_H_
#define ARBOR_CLI_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"

namespace arbor::cli {

// create: pid on success; ALREADY_EXISTS, NOT_FOUND (parent), UNAVAILABLE
// (parent), FAILED_PRECONDITION (parent is a descendant), DEADLINE_EXCEEDED (no
// Hello in time), INTERNAL (spawn failed: the message is the reason).
std::string FormatCreate(const absl::StatusOr<int64_t>& pid);

// The result of one exec on its node.
struct ExecResult {
  bool found = false;
  int64_t value = 0;
};
// exec: NOT_FOUND (no such node); UNAVAILABLE or DEADLINE_EXCEEDED (dead,
// unreachable, no answer in time).
std::string FormatExec(NodeId id, const std::string& key, bool is_save,
                       const absl::StatusOr<ExecResult>& result);

// ping: true answered, false did not (or known dead); NOT_FOUND: unknown id.
std::string FormatPing(const absl::StatusOr<bool>& answered);

// remove: NOT_FOUND, UNAVAILABLE or DEADLINE_EXCEEDED.
std::string FormatRemove(const absl::Status& status);

std::string FormatHeartbitTransition(NodeId id, bool available);

// One row of `tree`.
struct TreeRow {
  int depth;
  NodeId id;
  int64_t pid;
  std::string state;
};
std::vector<std::string> FormatTree(const std::vector<TreeRow>& rows);
// available, unavailable, dead, creating.
std::string StateName(v1::NodeState state);

struct Stats {
  uint64_t nodes = 0;
  uint64_t pending = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t timed_out = 0;
  uint64_t late_replies = 0;
  uint64_t dropped_frames = 0;
};
std::string FormatStats(const Stats& stats);

}  // namespace arbor::cli

#endif  // ARBOR_CLI_FORMAT_H_

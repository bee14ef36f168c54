// What one node's dictionary may hold for the soak's key, judged only from the
// answers the soak saw (one call per node at a time, so answers come in the
// order the node applied them). A save that failed with DEADLINE_EXCEEDED or
// UNAVAILABLE may or may not have been applied: its value stays possible until
// a successful save or load settles it. Anything else a load returns is a
// wrong answer.
#ifndef ARBOR_TOOLS_CHAOS_NODE_MODEL_H_
#define ARBOR_TOOLS_CHAOS_NODE_MODEL_H_

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"

namespace arbor::chaos {

class NodeModel {
 public:
  // A new incarnation: an empty dictionary.
  void Recreated();
  void SaveSucceeded(int64_t value);
  // DEADLINE_EXCEEDED and UNAVAILABLE leave `value` possible; other codes
  // (NOT_FOUND, INVALID_ARGUMENT, ...) mean it was never applied.
  void SaveFailed(int64_t value, absl::StatusCode code);
  // A successful load saw `seen` (nullopt: not found). False when that cannot
  // be; otherwise it becomes the one known value.
  bool LoadSucceeded(std::optional<int64_t> seen);

  const std::optional<int64_t>& confirmed() const { return confirmed_; }
  size_t uncertain() const { return uncertain_.size(); }

 private:
  std::optional<int64_t> confirmed_;       // nullopt: the key is not there
  absl::flat_hash_set<int64_t> uncertain_;  // saves that may have been applied
};

}  // namespace arbor::chaos

#endif  // ARBOR_TOOLS_CHAOS_NODE_MODEL_H_

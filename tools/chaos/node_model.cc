#include "tools/chaos/node_model.h"

namespace arbor::chaos {

void NodeModel::Recreated() {
  confirmed_.reset();
  uncertain_.clear();
}

void NodeModel::SaveSucceeded(int64_t value) {
  confirmed_ = value;
  uncertain_.clear();
}

void NodeModel::SaveFailed(int64_t value, absl::StatusCode code) {
  if (code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kUnavailable) {
    uncertain_.insert(value);
  }
}

bool NodeModel::LoadSucceeded(std::optional<int64_t> seen) {
  bool possible = seen == confirmed_ || (seen.has_value() && uncertain_.contains(*seen));
  if (!possible) return false;
  // Saves are applied in the order they were sent and none is applied late:
  // what this load saw is what every later load sees until the next save.
  confirmed_ = seen;
  uncertain_.clear();
  return true;
}

}  // namespace arbor::chaos

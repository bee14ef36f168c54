#include "rpc/pending_calls.h"

namespace arbor::rpc {

CallId PendingCalls::Add(absl::Time deadline, NodeId target, Callback callback) {
  CallId id = next_id_++;
  calls_.emplace(id, Call{deadline, target, std::move(callback)});
  by_deadline_.emplace(std::make_pair(deadline, id), true);
  return id;
}

bool PendingCalls::Resolve(CallId id, absl::StatusOr<v1::Envelope> result) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  // Out of the table before the callback runs: it may add or resolve calls.
  Call call = std::move(it->second);
  calls_.erase(it);
  by_deadline_.erase(std::make_pair(call.deadline, id));
  call.callback(std::move(result));
  return true;
}

int PendingCalls::Expire(absl::Time now) {
  int expired = 0;
  while (!by_deadline_.empty()) {
    auto first = by_deadline_.begin();
    if (first->first.first > now) break;
    CallId id = first->first.second;
    Resolve(id, absl::DeadlineExceededError("deadline exceeded"));
    ++expired;
  }
  return expired;
}

std::optional<absl::Time> PendingCalls::NextDeadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first.first;
}

}  // namespace arbor::rpc

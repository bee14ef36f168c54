#include "rpc/pending_calls.h"

#include <functional>

namespace arbor::rpc {

CallId PendingCalls::Add(absl::Time deadline, NodeId target, Callback callback) {
  CallId id = next_id_++;
  calls_.emplace(id, Call{deadline, target, std::move(callback)});
  by_deadline_.push_back({deadline, id});
  std::push_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<>());
  if (by_deadline_.size() > 2 * calls_.size() + 1024) Compact();
  return id;
}

bool PendingCalls::Resolve(CallId id, absl::StatusOr<v1::Envelope> result) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  // Out of the table before the callback runs: it may add or resolve calls.
  Call call = std::move(it->second);
  calls_.erase(it);
  call.callback(std::move(result));
  return true;
}

int PendingCalls::Expire(absl::Time now) {
  int expired = 0;
  while (true) {
    DropResolvedTop();
    if (by_deadline_.empty() || by_deadline_.front().at > now) break;
    CallId id = by_deadline_.front().id;
    std::pop_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<>());
    by_deadline_.pop_back();
    Resolve(id, absl::DeadlineExceededError("deadline exceeded"));
    ++expired;
  }
  return expired;
}

std::optional<absl::Time> PendingCalls::NextDeadline() {
  DropResolvedTop();
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.front().at;
}

void PendingCalls::DropResolvedTop() {
  while (!by_deadline_.empty() && !calls_.contains(by_deadline_.front().id)) {
    std::pop_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<>());
    by_deadline_.pop_back();
  }
}

void PendingCalls::Compact() {
  by_deadline_.clear();
  for (const auto& [id, call] : calls_) by_deadline_.push_back({call.deadline, id});
  std::make_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<>());
}

}  // namespace arbor::rpc

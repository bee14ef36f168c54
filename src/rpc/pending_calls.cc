#include "rpc/pending_calls.h"

#include <functional>

namespace arbor::rpc {

CallId PendingCalls::Add(absl::Time deadline, NodeId target, Callback callback) {
  CallId id = next_id_++;
  calls_.emplace(id, Call{deadline, target, std::move(callback)});
  ++per_target_[target];
  if (in_order_.empty() || in_order_.back().at <= deadline) {
    in_order_.push_back({deadline, id});
  } else {
    out_of_order_.push_back({deadline, id});
    std::push_heap(out_of_order_.begin(), out_of_order_.end(), std::greater<>());
  }
  if (in_order_.size() + out_of_order_.size() > 2 * calls_.size() + 1024) Compact();
  return id;
}

bool PendingCalls::Resolve(CallId id, Outcome result) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return false;
  // Out of the table before the callback runs: it may add or resolve calls.
  Call call = std::move(it->second);
  calls_.erase(it);
  auto count = per_target_.find(call.target);
  if (--count->second == 0) per_target_.erase(count);
  call.callback(std::move(result));
  return true;
}

int PendingCalls::Expire(absl::Time now) {
  int expired = 0;
  while (true) {
    DropResolved();
    const Deadline* first = Earliest();
    if (first == nullptr || first->at > now) break;
    CallId id = first->id;
    PopEarliest();
    Resolve(id, absl::DeadlineExceededError("deadline exceeded"));
    ++expired;
  }
  return expired;
}

int PendingCalls::InFlightTo(NodeId target) const {
  auto it = per_target_.find(target);
  return it == per_target_.end() ? 0 : it->second;
}

std::optional<absl::Time> PendingCalls::NextDeadline() {
  DropResolved();
  const Deadline* first = Earliest();
  if (first == nullptr) return std::nullopt;
  return first->at;
}

void PendingCalls::DropResolved() {
  while (!in_order_.empty() && !calls_.contains(in_order_.front().id)) in_order_.pop_front();
  while (!out_of_order_.empty() && !calls_.contains(out_of_order_.front().id)) {
    std::pop_heap(out_of_order_.begin(), out_of_order_.end(), std::greater<>());
    out_of_order_.pop_back();
  }
}

const PendingCalls::Deadline* PendingCalls::Earliest() const {
  const Deadline* a = in_order_.empty() ? nullptr : &in_order_.front();
  const Deadline* b = out_of_order_.empty() ? nullptr : &out_of_order_.front();
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  return *b > *a ? a : b;
}

void PendingCalls::PopEarliest() {
  const Deadline* first = Earliest();
  if (first == nullptr) return;
  if (!in_order_.empty() && first == &in_order_.front()) {
    in_order_.pop_front();
  } else {
    std::pop_heap(out_of_order_.begin(), out_of_order_.end(), std::greater<>());
    out_of_order_.pop_back();
  }
}

void PendingCalls::Compact() {
  std::vector<Deadline> live;
  live.reserve(calls_.size());
  for (const auto& [id, call] : calls_) live.push_back({call.deadline, id});
  std::sort(live.begin(), live.end(), [](const Deadline& a, const Deadline& b) { return b > a; });
  in_order_.assign(live.begin(), live.end());  // sorted: all in order
  out_of_order_.clear();
}

}  // namespace arbor::rpc

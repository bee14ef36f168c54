#include "dispatch/queue.h"

#include <utility>

namespace arbor::dispatch {

bool Queue::BarrierFree(const Operation& op) const {
  return op.barrier() && !tree_.AnyReattaching();
}

bool Queue::Blocked(const Entry& e) const {
  const Operation& op = e.op;
  if (op.sequenced && !barriers_.empty() && barriers_.begin()->first < e.order) return true;
  if (op.barrier) return !BarrierFree(op);
  // Behind an earlier operation that waits on the same node (O(1) each).
  for (NodeId id : op.nodes) {
    if (names_.contains(id)) return true;
  }
  for (NodeId id : op.nodes) {
    if (tree_.Settling(id)) return true;
    if (op.is_remove && tree_.ChildrenSettling(id)) return true;
  }
  return false;
}

void Queue::Wait(Entry e) {
  for (NodeId id : e.op.nodes) ++names_[id];
  if (e.op.deadline < next_deadline_) next_deadline_ = e.op.deadline;
  waiting_.push_back(std::move(e));
  if (waiting_.back().op.barrier) barriers_[waiting_.back().order] = &waiting_.back().op;
}

void Queue::Add(Operation op) {
  Entry e{next_order_++, std::move(op)};
  if (running_) {
    arrived_.push_back(std::move(e));
    return;
  }
  // Every waiting operation is earlier: Blocked sees what it must not overtake.
  if (Blocked(e)) {
    Wait(std::move(e));
    return;
  }
  running_ = true;
  e.op.run();
  running_ = false;
  if (!arrived_.empty()) Pump(absl::InfinitePast());
}

bool Queue::MayHaveChanged(absl::Time now) const {
  if (!arrived_.empty() || tree_.generation() != seen_generation_) return true;
  if (next_deadline_ <= now) return true;
  // Only the first waiting barrier can be next: the others wait behind it.
  return !barriers_.empty() && BarrierFree(*barriers_.begin()->second);
}

bool Queue::Pass(absl::Time now) {
  seen_generation_ = tree_.generation();
  std::deque<Entry> pass = std::move(waiting_);
  waiting_.clear();
  names_.clear();  // rebuilt from the entries that keep waiting
  barriers_.clear();
  next_deadline_ = absl::InfiniteFuture();
  for (Entry& e : arrived_) pass.push_back(std::move(e));
  arrived_.clear();
  bool ran = false;
  running_ = true;
  unvisited_ = pass.size();
  for (Entry& e : pass) {
    --unvisited_;
    // Past its deadline it runs now, out of turn, only to answer that.
    if (e.op.deadline > now && Blocked(e)) {
      Wait(std::move(e));
    } else {
      e.op.run();
      ran = true;
    }
  }
  running_ = false;
  return ran || !arrived_.empty();
}

void Queue::Pump(absl::Time now) {
  if (running_) return;  // the running pass looks again before it ends
  while (!empty() && MayHaveChanged(now)) {
    if (!Pass(now)) break;
  }
}

std::optional<absl::Time> Queue::NextDeadline() const {
  if (next_deadline_ == absl::InfiniteFuture()) return std::nullopt;
  return next_deadline_;
}

}  // namespace arbor::dispatch

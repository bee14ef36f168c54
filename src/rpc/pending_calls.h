// Futures as a table: correlation id -> {deadline, target, callback}. Each call
// resolves exactly once: by its reply, by its deadline, or by a failure of its
// node. Pure: time is passed in, and the reply type is a parameter (the
// controller and the C++ client use wire/calls.h's envelope instantiation), so
// rpc/ knows nothing of the wire format.
#ifndef ARBOR_RPC_PENDING_CALLS_H_
#define ARBOR_RPC_PENDING_CALLS_H_

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/ids.h"

namespace arbor::rpc {

// A call's result: a view of the reply, or DEADLINE_EXCEEDED / the failure
// status. The reply is the receiver's decoded one, valid only while the
// callback runs (no copy per reply): copy out what must outlive it.
template <typename Reply>
class Outcome {
 public:
  Outcome(const Reply& reply) : reply_(&reply) {}  // NOLINT: implicit on purpose
  // A failure; an OK status (a peer's Error with code 0) becomes INTERNAL.
  Outcome(absl::Status status)  // NOLINT: implicit on purpose
      : status_(status.ok() ? absl::InternalError("an error reply with code OK")
                            : std::move(status)) {}
  bool ok() const { return reply_ != nullptr; }
  const absl::Status& status() const { return status_; }
  const Reply& operator*() const { return *reply_; }
  const Reply* operator->() const { return reply_; }

 private:
  absl::Status status_;  // OK exactly when reply_ is set
  const Reply* reply_ = nullptr;
};

template <typename Reply>
class PendingCalls {
 public:
  using Result = Outcome<Reply>;
  using Callback = absl::AnyInvocable<void(Result)>;

  // Registers a call and returns its id: monotonic from 1, never reused.
  CallId Add(absl::Time deadline, NodeId target, Callback callback);

  // Resolves `id` with `result`. False (and nothing runs) when `id` is unknown:
  // already resolved, expired, or never issued — a late reply.
  bool Resolve(CallId id, Result result);

  // Resolves every call whose deadline is <= now with DEADLINE_EXCEEDED, earliest
  // first; returns how many.
  int Expire(absl::Time now);

  // Resolves with `status` every call whose target satisfies `predicate`,
  // oldest first; returns how many.
  template <typename Predicate>
  int FailIf(Predicate predicate, const absl::Status& status);

  // Not const: it drops the heap entries of calls already resolved.
  std::optional<absl::Time> NextDeadline();
  size_t size() const { return calls_.size(); }
  // Calls to `target` not resolved yet.
  int InFlightTo(NodeId target) const;
  bool Contains(CallId id) const { return calls_.contains(id); }

 private:
  struct Call {
    absl::Time deadline;
    NodeId target;
    Callback callback;
  };

  // Earliest deadline first. Calls mostly come with the same timeout, so their
  // deadlines arrive in order: those go to a queue (O(1) each); the others to a
  // min-heap. A resolved call's entry stays until it reaches the front (no
  // search per call); both are rebuilt when such entries outnumber live ones.
  struct Deadline {
    absl::Time at;
    CallId id;
    bool operator>(const Deadline& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  void DropResolved();
  // The earliest live entry; nullptr when there is none. Call DropResolved first.
  const Deadline* Earliest() const;
  void PopEarliest();
  void Compact();

  CallId next_id_ = 1;
  absl::flat_hash_map<CallId, Call> calls_;
  absl::flat_hash_map<NodeId, int> per_target_;  // live calls per target
  std::deque<Deadline> in_order_;       // deadlines never decreasing
  std::vector<Deadline> out_of_order_;  // a min-heap (std::greater)
};

// ---- implementation ----

template <typename Reply>
CallId PendingCalls<Reply>::Add(absl::Time deadline, NodeId target, Callback callback) {
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

template <typename Reply>
bool PendingCalls<Reply>::Resolve(CallId id, Result result) {
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

template <typename Reply>
int PendingCalls<Reply>::Expire(absl::Time now) {
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

template <typename Reply>
template <typename Predicate>
int PendingCalls<Reply>::FailIf(Predicate predicate, const absl::Status& status) {
  std::vector<CallId> ids;
  for (const auto& [id, call] : calls_) {
    if (predicate(call.target)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());  // oldest call first
  int resolved = 0;
  for (CallId id : ids) resolved += Resolve(id, status) ? 1 : 0;
  return resolved;
}

template <typename Reply>
int PendingCalls<Reply>::InFlightTo(NodeId target) const {
  auto it = per_target_.find(target);
  return it == per_target_.end() ? 0 : it->second;
}

template <typename Reply>
std::optional<absl::Time> PendingCalls<Reply>::NextDeadline() {
  DropResolved();
  const Deadline* first = Earliest();
  if (first == nullptr) return std::nullopt;
  return first->at;
}

template <typename Reply>
void PendingCalls<Reply>::DropResolved() {
  while (!in_order_.empty() && !calls_.contains(in_order_.front().id)) in_order_.pop_front();
  while (!out_of_order_.empty() && !calls_.contains(out_of_order_.front().id)) {
    std::pop_heap(out_of_order_.begin(), out_of_order_.end(), std::greater<>());
    out_of_order_.pop_back();
  }
}

template <typename Reply>
auto PendingCalls<Reply>::Earliest() const -> const Deadline* {
  const Deadline* a = in_order_.empty() ? nullptr : &in_order_.front();
  const Deadline* b = out_of_order_.empty() ? nullptr : &out_of_order_.front();
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  return *b > *a ? a : b;
}

template <typename Reply>
void PendingCalls<Reply>::PopEarliest() {
  const Deadline* first = Earliest();
  if (first == nullptr) return;
  if (!in_order_.empty() && first == &in_order_.front()) {
    in_order_.pop_front();
  } else {
    std::pop_heap(out_of_order_.begin(), out_of_order_.end(), std::greater<>());
    out_of_order_.pop_back();
  }
}

template <typename Reply>
void PendingCalls<Reply>::Compact() {
  std::vector<Deadline> live;
  live.reserve(calls_.size());
  for (const auto& [id, call] : calls_) live.push_back({call.deadline, id});
  std::sort(live.begin(), live.end(), [](const Deadline& a, const Deadline& b) { return b > a; });
  in_order_.assign(live.begin(), live.end());  // sorted: all in order
  out_of_order_.clear();
}

}  // namespace arbor::rpc

#endif  // ARBOR_RPC_PENDING_CALLS_H_

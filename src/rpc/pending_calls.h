// Futures as a table: correlation id -> {deadline, target, callback}. Each call
// resolves exactly once: by its reply, by its deadline, or by a failure of its
// node. Pure: time is passed in.
#ifndef ARBOR_RPC_PENDING_CALLS_H_
#define ARBOR_RPC_PENDING_CALLS_H_

#include <algorithm>
#include <deque>
#include <vector>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"

namespace arbor::rpc {

// A call's result: the reply envelope, or DEADLINE_EXCEEDED / the failure
// status. The envelope is the receiver's decoded one, valid only while the
// callback runs (no copy per reply): copy out what must outlive it.
class Outcome {
 public:
  Outcome(const v1::Envelope& reply) : reply_(&reply) {}  // NOLINT: implicit on purpose
  // A failure; an OK status (a peer's Error with code 0) becomes INTERNAL.
  Outcome(absl::Status status)  // NOLINT: implicit on purpose
      : status_(status.ok() ? absl::InternalError("an error reply with code OK")
                            : std::move(status)) {}
  bool ok() const { return reply_ != nullptr; }
  const absl::Status& status() const { return status_; }
  const v1::Envelope& operator*() const { return *reply_; }
  const v1::Envelope* operator->() const { return reply_; }

 private:
  absl::Status status_;  // OK exactly when reply_ is set
  const v1::Envelope* reply_ = nullptr;
};

class PendingCalls {
 public:
  using Callback = absl::AnyInvocable<void(Outcome)>;

  // Registers a call and returns its id: monotonic from 1, never reused.
  CallId Add(absl::Time deadline, NodeId target, Callback callback);

  // Resolves `id` with `result`. False (and nothing runs) when `id` is unknown:
  // already resolved, expired, or never issued — a late reply.
  bool Resolve(CallId id, Outcome result);

  // Resolves every call whose deadline is <= now with DEADLINE_EXCEEDED, earliest
  // first; returns how many.
  int Expire(absl::Time now);

  // Resolves with `status` every call whose target satisfies `predicate`.
  template <typename Predicate>
  int FailIf(Predicate predicate, const absl::Status& status) {
    std::vector<CallId> ids;
    for (const auto& [id, call] : calls_) {
      if (predicate(call.target)) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());  // oldest call first
    int resolved = 0;
    for (CallId id : ids) resolved += Resolve(id, status) ? 1 : 0;
    return resolved;
  }

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
  std::deque<Deadline> in_order_;     // deadlines never decreasing
  std::vector<Deadline> out_of_order_;  // a min-heap (std::greater)
};

}  // namespace arbor::rpc

#endif  // ARBOR_RPC_PENDING_CALLS_H_

// What waits for what: the order in which the controller starts operations on
// the tree. Pure: the tree is read, time is passed in, nothing is sent.
//
// An operation runs at once unless
//  - a node it names (its target, a create's parent) is settling (being
//    created, moved or removed, it or a node above it: Topology::Settling), or
//    is named by an earlier operation still waiting (answers about one node
//    keep their order);
//  - it is a remove and a child of its target is settling (so `create 12 10`
//    then `remove 10` hands 12's subtree over instead of losing it);
//  - it is a barrier (the CLI's `tree`, `stats`) whose own condition does not
//    hold yet, or a node is reattaching (it shows the state after everything
//    before it);
//  - it is sequenced (a CLI line) and an earlier barrier still waits: no line
//    after `tree` starts before `tree` has answered. Clients' operations are
//    not sequenced: nothing of theirs waits behind a CLI barrier.
// A waiting operation past its deadline runs anyway, out of turn, only to
// answer that (each operation checks its own deadline).
#ifndef ARBOR_DISPATCH_QUEUE_H_
#define ARBOR_DISPATCH_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "api/operations.h"
#include "common/ids.h"
#include "tree/topology.h"

namespace arbor::dispatch {

using Nodes = api::Nodes;  // the target, and a create's parent

// What it waits for (api/operations.h), and what runs then.
struct Operation : api::Order {
  absl::AnyInvocable<void()> run;
};

class Queue {
 public:
  // `tree` must outlive the queue.
  explicit Queue(const tree::Topology& tree) : tree_(tree) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Runs `op` now or keeps it until Pump finds it free. An operation added
  // while another runs (from inside Pump or Add) waits for the next pass, so
  // it never overtakes one that was already waiting.
  void Add(Operation op);

  // Runs, in order, every waiting operation that is free now (or past its
  // deadline), until none is. Cheap when nothing it waits on can have changed:
  // the tree's generation, a deadline, or a waiting barrier's own condition.
  void Pump(absl::Time now);

  // Waiting operations, also those of a pass in progress not looked at yet.
  size_t size() const { return waiting_.size() + arrived_.size() + unvisited_; }
  bool empty() const { return size() == 0; }
  // The earliest deadline of a waiting operation: Pump should run by then.
  std::optional<absl::Time> NextDeadline() const;

 private:
  struct Entry {
    uint64_t order;
    Operation op;
  };
  bool Blocked(const Entry& e) const;
  // A barrier's own condition and the tree's quiet: whether it may run.
  bool BarrierFree(const Operation& op) const;
  // Keeps `e` waiting (it is the newest of the waiting ones).
  void Wait(Entry e);
  // One pass over the waiting operations; true when one ran.
  bool Pass(absl::Time now);
  bool MayHaveChanged(absl::Time now) const;

  const tree::Topology& tree_;
  std::deque<Entry> waiting_;
  std::vector<Entry> arrived_;              // added while an operation ran
  absl::flat_hash_map<NodeId, int> names_;  // node -> waiting operations naming it
  // Waiting barriers by order (a deque's elements stay put on push_back).
  std::map<uint64_t, const Operation*> barriers_;
  absl::Time next_deadline_ = absl::InfiniteFuture();  // of the waiting ones
  uint64_t next_order_ = 1;
  bool running_ = false;
  size_t unvisited_ = 0;  // of the pass in progress
  uint64_t seen_generation_ = 0;
};

}  // namespace arbor::dispatch

#endif  // ARBOR_DISPATCH_QUEUE_H_

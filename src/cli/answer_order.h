// Keeps answers that concern the same node in input order while letting answers
// of different nodes print as soon as they complete.
#ifndef ARBOR_CLI_ANSWER_ORDER_H_
#define ARBOR_CLI_ANSWER_ORDER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/ids.h"

namespace arbor::cli {

class AnswerOrder {
 public:
  // Registers the next command, concerning `nodes`; returns its sequence number.
  uint64_t Add(std::vector<NodeId> nodes);

  // Records the answer lines of `seq` (one or more, e.g. `tree`) and returns
  // every line that may print now, in order: those of `seq` once each earlier
  // command sharing a node with it has printed, then any that were waiting on it.
  std::vector<std::string> Complete(uint64_t seq, std::vector<std::string> lines);

  // The oldest command not yet printed (0 when none).
  uint64_t oldest() const { return entries_.empty() ? 0 : entries_.begin()->first; }

  // Commands added and not yet printed.
  size_t waiting() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<NodeId> nodes;
    std::vector<std::string> lines;
    bool done = false;
  };
  bool AtFront(uint64_t seq, const Entry& entry) const;

  uint64_t next_seq_ = 1;
  std::map<uint64_t, Entry> entries_;
  absl::flat_hash_map<NodeId, std::deque<uint64_t>> queues_;
};

}  // namespace arbor::cli

#endif  // ARBOR_CLI_ANSWER_ORDER_H_

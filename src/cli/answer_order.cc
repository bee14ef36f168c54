#include "cli/answer_order.h"

#include <algorithm>
#include <set>

namespace arbor::cli {

uint64_t AnswerOrder::Add(std::vector<NodeId> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  uint64_t seq = next_seq_++;
  for (NodeId n : nodes) queues_[n].push_back(seq);
  entries_[seq] = Entry{std::move(nodes), {}, false};
  return seq;
}

bool AnswerOrder::AtFront(uint64_t seq, const Entry& entry) const {
  for (NodeId n : entry.nodes) {
    auto it = queues_.find(n);
    if (it == queues_.end() || it->second.front() != seq) return false;
  }
  return true;
}

std::vector<std::string> AnswerOrder::Complete(uint64_t seq, std::vector<std::string> lines) {
  std::vector<std::string> out;
  auto it = entries_.find(seq);
  if (it == entries_.end()) return out;
  it->second.lines = std::move(lines);
  it->second.done = true;

  // Smallest first: answers freed together print in input order.
  std::set<uint64_t> candidates = {seq};
  while (!candidates.empty()) {
    uint64_t s = *candidates.begin();
    candidates.erase(candidates.begin());
    auto e = entries_.find(s);
    if (e == entries_.end() || !e->second.done || !AtFront(s, e->second)) continue;
    for (std::string& line : e->second.lines) out.push_back(std::move(line));
    for (NodeId n : e->second.nodes) {
      auto q = queues_.find(n);
      q->second.pop_front();
      if (q->second.empty()) {
        queues_.erase(q);
      } else {
        candidates.insert(q->second.front());
      }
    }
    entries_.erase(e);
  }
  return out;
}

}  // namespace arbor::cli

#include "health/detector.h"

#include <algorithm>

namespace arbor::health {

void Detector::SetInterval(absl::Duration interval, absl::Time now) {
  interval_ = interval;
  last_tick_ = now;
  for (auto& [id, link] : links_) {
    link.last_seen = now;
    if (!enabled()) link.up = true;
  }
}

void Detector::Watch(NodeId child, absl::Time now) { links_[child] = Link{now, true}; }

void Detector::Forget(NodeId child) { links_.erase(child); }

std::optional<LinkChange> Detector::Beat(NodeId child, absl::Time now) {
  auto it = links_.find(child);
  if (it == links_.end()) return std::nullopt;
  it->second.last_seen = now;
  if (it->second.up || !enabled()) return std::nullopt;
  it->second.up = true;
  return LinkChange{child, true};
}

std::vector<LinkChange> Detector::Tick(absl::Time now) {
  std::vector<LinkChange> changes;
  if (!enabled()) return changes;
  // Frozen ourselves (SIGSTOP, swapped out): what we did not read yet may be
  // beats; restart the clocks instead of blaming the children.
  // The floor keeps a short period on a loaded machine from always looking frozen.
  absl::Duration jump = std::max(2 * interval_, kMinClockJump);
  bool jumped = last_tick_ != absl::InfinitePast() && now - last_tick_ > jump;
  last_tick_ = now;
  for (auto& [id, link] : links_) {
    if (jumped) {
      link.last_seen = now;
      continue;
    }
    if (link.up && now - link.last_seen > kMissedBeats * interval_) {
      link.up = false;
      changes.push_back({id, false});
    }
  }
  std::sort(changes.begin(), changes.end(),
            [](const LinkChange& a, const LinkChange& b) { return a.id < b.id; });
  return changes;
}

bool Detector::IsUp(NodeId child) const {
  auto it = links_.find(child);
  return it == links_.end() || it->second.up;
}

}  // namespace arbor::health

// Failure detector for the links to one's own children: last beat per child,
// Tick(now) -> transitions. A link silent for more than 4 periods is down; any
// frame from the child brings it up again. Pure: time is passed in.
#ifndef ARBOR_HEALTH_DETECTOR_H_
#define ARBOR_HEALTH_DETECTOR_H_

#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/ids.h"

namespace arbor::health {

struct LinkChange {
  NodeId id;
  bool up;
};

class Detector {
 public:
  // Silence longer than kMissedBeats periods marks a link down.
  static constexpr int kMissedBeats = 4;
  // A Tick later than max(2 periods, this) after the previous one means this
  // process was frozen.
  static constexpr absl::Duration kMinClockJump = absl::Milliseconds(500);

  absl::Duration interval() const { return interval_; }
  bool enabled() const { return interval_ > absl::ZeroDuration(); }

  // A new period restarts every clock (links keep their state); zero turns the
  // detector off and forgets every verdict (all links up, silently).
  void SetInterval(absl::Duration interval, absl::Time now);

  // Starts (or restarts, after a re-create) watching `child`: up, fresh clock,
  // no transition.
  void Watch(NodeId child, absl::Time now);
  void Forget(NodeId child);

  // A frame from `child`. Returns a change when its link was down.
  std::optional<LinkChange> Beat(NodeId child, absl::Time now);

  // Links silent for more than kMissedBeats periods go down (sorted by id). When
  // `now` is far past the previous Tick, this process itself was frozen: clocks
  // restart and nobody is judged.
  std::vector<LinkChange> Tick(absl::Time now);

  bool IsUp(NodeId child) const;
  size_t size() const { return links_.size(); }

 private:
  struct Link {
    absl::Time last_seen;
    bool up = true;
  };

  absl::Duration interval_ = absl::ZeroDuration();
  absl::Time last_tick_ = absl::InfinitePast();
  absl::flat_hash_map<NodeId, Link> links_;
};

}  // namespace arbor::health

#endif  // ARBOR_HEALTH_DETECTOR_H_

#include "node/parent_link.h"

#include <vector>

#include "gtest/gtest.h"

namespace arbor::node {
namespace {

using transport::LinkEvent;
constexpr LinkEvent kUp = LinkEvent::kConnected;
constexpr LinkEvent kDown = LinkEvent::kDisconnected;
constexpr LinkEvent kRetry = LinkEvent::kConnectRetried;
constexpr LinkEvent kOther = LinkEvent::kOther;

// Index of the event after which the judge says "gone", or -1.
int GoneAt(const std::vector<LinkEvent>& events) {
  GoneJudge judge(3);
  for (size_t i = 0; i < events.size(); ++i) {
    if (judge.OnEvent(events[i])) return static_cast<int>(i);
  }
  return -1;
}

TEST(GoneJudgeTest, KilledParentRefusesReconnects) {
  // Dropped, the reconnect scheduled, then two refused attempts.
  EXPECT_EQ(GoneAt({kUp, kDown, kRetry, kOther, kRetry, kOther, kRetry}), 6);
}

TEST(GoneJudgeTest, FrozenParentStillAcceptsConnections) {
  // ZMTP heartbeats dropped the link; the frozen parent's kernel accepts again.
  EXPECT_EQ(GoneAt({kUp, kDown, kRetry, kUp, kDown, kRetry, kUp, kDown, kRetry, kUp}), -1);
}

TEST(GoneJudgeTest, ParentThatNeverListened) {
  EXPECT_EQ(GoneAt({kRetry, kRetry, kRetry}), 2);
}

TEST(GoneJudgeTest, ConnectedResetsTheCount) {
  EXPECT_EQ(GoneAt({kDown, kRetry, kRetry, kUp, kDown, kRetry, kRetry}), -1);
}

TEST(GoneJudgeTest, RetriesWhileConnectedDoNotCount) {
  EXPECT_EQ(GoneAt({kUp, kRetry, kRetry, kRetry, kRetry}), -1);
}

}  // namespace
}  // namespace arbor::node

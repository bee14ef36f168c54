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
constexpr LinkEvent kShook = LinkEvent::kHandshakeSucceeded;
constexpr LinkEvent kRefused = LinkEvent::kHandshakeFailed;
constexpr LinkEvent kTimedOut = LinkEvent::kHandshakeTimedOut;
using Verdict = GoneJudge::Verdict;

// Index of the event after which the judge gives a verdict, or -1; the verdict
// goes to `*verdict`.
int VerdictAt(const std::vector<LinkEvent>& events, bool curve, Verdict* verdict) {
  GoneJudge judge(3, curve);
  for (size_t i = 0; i < events.size(); ++i) {
    *verdict = judge.OnEvent(events[i]);
    if (*verdict != Verdict::kNone) return static_cast<int>(i);
  }
  return -1;
}

// Index of the event after which a plain link's judge says "gone", or -1.
int GoneAt(const std::vector<LinkEvent>& events) {
  Verdict verdict = Verdict::kNone;
  int at = VerdictAt(events, false, &verdict);
  EXPECT_TRUE(at < 0 || verdict == Verdict::kGone);
  return at;
}

TEST(GoneJudgeTest, KilledParentRefusesReconnects) {
  // Dropped, the reconnect scheduled, then two refused attempts.
  EXPECT_EQ(GoneAt({kUp, kDown, kRetry, kOther, kRetry, kOther, kRetry}), 6);
}

TEST(GoneJudgeTest, FrozenParentStillAcceptsConnections) {
  // ZMTP heartbeats dropped the link; the frozen parent's kernel accepts again.
  EXPECT_EQ(GoneAt({kUp, kDown, kRetry, kUp, kDown, kRetry, kUp, kDown, kRetry, kUp}), -1);
}

TEST(GoneJudgeTest, ParentThatNeverListened) { EXPECT_EQ(GoneAt({kRetry, kRetry, kRetry}), 2); }

TEST(GoneJudgeTest, ConnectedResetsTheCount) {
  EXPECT_EQ(GoneAt({kDown, kRetry, kRetry, kUp, kDown, kRetry, kRetry}), -1);
}

TEST(GoneJudgeTest, RetriesWhileConnectedDoNotCount) {
  EXPECT_EQ(GoneAt({kUp, kRetry, kRetry, kRetry, kRetry}), -1);
}

}  // namespace
}  // namespace arbor::node

namespace arbor::node {
namespace {

// Over CURVE a TCP connect proves nothing: the kernel of a host accepts for a
// process with another key as readily as for the parent.
TEST(GoneJudgeTest, OverCurveOnlyAHandshakeShowsTheParent) {
  Verdict verdict = Verdict::kNone;
  // Connected (TCP), never shaken hands, then refused: the refusals count.
  EXPECT_EQ(VerdictAt({kUp, kDown, kRetry, kRetry, kRetry}, true, &verdict), 4);
  EXPECT_EQ(verdict, Verdict::kGone);
  // After a handshake it is the plain rule: retries while up do not count.
  EXPECT_EQ(VerdictAt({kUp, kShook, kRetry, kRetry, kRetry}, true, &verdict), -1);
  // A frozen parent's kernel accepts TCP and the handshake times out, again
  // and again (as libzmq reports it): never a verdict.
  std::vector<LinkEvent> frozen = {kUp, kShook, kDown, kRetry};
  for (int i = 0; i < 5; ++i) {
    for (LinkEvent e : {kUp, kTimedOut, kDown, kRetry}) frozen.push_back(e);
  }
  EXPECT_EQ(VerdictAt(frozen, true, &verdict), -1);
}

TEST(GoneJudgeTest, AFailedHandshakeIsAVerdictAtOnce) {
  Verdict verdict = Verdict::kNone;
  EXPECT_EQ(VerdictAt({kUp, kRefused}, true, &verdict), 1);
  EXPECT_EQ(verdict, Verdict::kAuthentication);
  GoneJudge judge(3, true);
  EXPECT_EQ(judge.OnEvent(kUp), Verdict::kNone);
  EXPECT_FALSE(judge.established());
  EXPECT_EQ(judge.OnEvent(kShook), Verdict::kNone);
  EXPECT_TRUE(judge.established());
  // A plain link has no handshake to fail.
  EXPECT_EQ(VerdictAt({kUp, kRefused}, false, &verdict), -1);
}

}  // namespace
}  // namespace arbor::node

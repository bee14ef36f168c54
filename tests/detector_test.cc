// health/detector: silence > 4 periods -> down, a beat -> up, one change per
// transition. Time is injected: nothing here sleeps.
#include "health/detector.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace arbor::health {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::UnixEpoch() + absl::Hours(1000);
const absl::Duration kPeriod = absl::Seconds(1);

absl::Time At(absl::Duration d) { return kT0 + d; }

// "id+" / "id-" per change, in the order returned.
std::vector<std::string> Changes(const std::vector<LinkChange>& changes) {
  std::vector<std::string> out;
  for (const LinkChange& c : changes) out.push_back(absl::StrCat(c.id, c.up ? "+" : "-"));
  return out;
}

std::string Change(const std::optional<LinkChange>& change) {
  if (!change.has_value()) return "none";
  return absl::StrCat(change->id, change->up ? "+" : "-");
}

// Ticks every half period from `from` (exclusive) to `to` (inclusive), as the
// event loop would, and collects every change.
std::vector<std::string> TickThrough(Detector& d, absl::Time from, absl::Time to) {
  std::vector<std::string> all;
  for (absl::Time t = from + kPeriod / 2; t <= to; t += kPeriod / 2) {
    for (std::string& c : Changes(d.Tick(t))) all.push_back(std::move(c));
  }
  return all;
}

TEST(DetectorTest, OffByDefault) {
  Detector d;
  EXPECT_FALSE(d.enabled());
  d.Watch(1, kT0);
  EXPECT_THAT(d.Tick(At(absl::Hours(1))), IsEmpty());
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_EQ(Change(d.Beat(1, At(absl::Hours(2)))), "none");
}

// How long a silence must be: more than 4 periods, not 4 exactly.
struct SilenceCase {
  absl::Duration silence;
  bool down;
};

void PrintTo(const SilenceCase& c, std::ostream* os) { *os << "silent for " << c.silence; }

class SilenceTest : public ::testing::TestWithParam<SilenceCase> {};

TEST_P(SilenceTest, DownOnlyAfterMoreThanFourPeriods) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  // Regular ticks while the silence is short, then one tick at its end.
  absl::Duration quiet = std::min(GetParam().silence, Detector::kMissedBeats * kPeriod);
  std::vector<std::string> changes = TickThrough(d, kT0, At(quiet - kPeriod / 2));
  EXPECT_THAT(changes, IsEmpty());
  changes = Changes(d.Tick(At(GetParam().silence)));
  if (GetParam().down) {
    EXPECT_THAT(changes, ElementsAre("1-"));
  } else {
    EXPECT_THAT(changes, IsEmpty());
  }
  EXPECT_EQ(d.IsUp(1), !GetParam().down);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, SilenceTest,
                         ::testing::ValuesIn(std::vector<SilenceCase>{
                             {absl::Seconds(1), false},
                             {absl::Seconds(3), false},
                             {absl::Seconds(4), false},
                             {absl::Seconds(4) + absl::Milliseconds(1), true},
                             {absl::Seconds(5), true},
                         }));

TEST(DetectorTest, OneTransitionEachWay) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(20))), ElementsAre("1-"));
  EXPECT_FALSE(d.IsUp(1));
  absl::Time now = At(absl::Seconds(20));
  EXPECT_EQ(Change(d.Beat(1, now)), "1+");
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_EQ(Change(d.Beat(1, now + absl::Milliseconds(10))), "none");
  EXPECT_EQ(Change(d.Beat(1, now + kPeriod)), "none");
  // Silent again: down again, once.
  EXPECT_THAT(TickThrough(d, now, now + absl::Seconds(20)), ElementsAre("1-"));
}

TEST(DetectorTest, RegularBeatsKeepALinkUp) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  d.Watch(2, kT0);
  std::vector<std::string> changes;
  for (int i = 1; i <= 40; ++i) {
    absl::Time t = At(i * kPeriod / 2);
    if (i % 2 == 0) {
      EXPECT_EQ(Change(d.Beat(1, t)), "none");
    }
    for (std::string& c : Changes(d.Tick(t))) changes.push_back(c);
  }
  EXPECT_THAT(changes, ElementsAre("2-"));  // only the silent one
  EXPECT_TRUE(d.IsUp(1));
}

TEST(DetectorTest, TransitionsSortedById) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  for (NodeId id : {30, 2, 17, 1000, 5}) d.Watch(id, kT0);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(5))),
              ElementsAre("2-", "5-", "17-", "30-", "1000-"));
  EXPECT_EQ(d.size(), 5u);
}

TEST(DetectorTest, WatchResetsSilently) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(5))), ElementsAre("1-"));
  // Re-created: up, a fresh clock, and no "available again".
  absl::Time now = At(absl::Seconds(5));
  d.Watch(1, now);
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_EQ(Change(d.Beat(1, now)), "none");
  EXPECT_THAT(TickThrough(d, now, now + absl::Seconds(4)), IsEmpty());
  EXPECT_THAT(TickThrough(d, now + absl::Seconds(4), now + absl::Seconds(5)), ElementsAre("1-"));
}

TEST(DetectorTest, UnwatchedAndForgottenChildrenAreNeverJudged) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  EXPECT_EQ(Change(d.Beat(9, kT0)), "none");
  EXPECT_EQ(d.size(), 0u);
  EXPECT_TRUE(d.IsUp(9));
  d.Watch(1, kT0);
  d.Watch(2, kT0);
  d.Forget(2);
  d.Forget(77);  // unknown: nothing
  EXPECT_EQ(d.size(), 1u);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(5))), ElementsAre("1-"));
  d.Forget(1);
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_EQ(Change(d.Beat(1, At(absl::Seconds(6)))), "none");
}

TEST(DetectorTest, IntervalZeroClearsEveryVerdictSilently) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  d.Watch(2, kT0);
  absl::Time now = At(absl::Seconds(5));
  EXPECT_THAT(TickThrough(d, kT0, now), ElementsAre("1-", "2-"));
  d.SetInterval(absl::ZeroDuration(), now);
  EXPECT_FALSE(d.enabled());
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_TRUE(d.IsUp(2));
  EXPECT_EQ(Change(d.Beat(1, now)), "none");  // was down: no "up" line either
  EXPECT_THAT(d.Tick(now + absl::Hours(1)), IsEmpty());

  // Turned on again: the clocks start at that moment.
  absl::Time later = now + absl::Hours(2);
  d.SetInterval(kPeriod, later);
  EXPECT_THAT(TickThrough(d, later, later + absl::Seconds(4)), IsEmpty());
  EXPECT_THAT(TickThrough(d, later + absl::Seconds(4), later + absl::Seconds(5)),
              ElementsAre("1-", "2-"));
}

TEST(DetectorTest, NewIntervalRestartsEveryClock) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  absl::Time now = At(absl::Milliseconds(3500));
  EXPECT_THAT(TickThrough(d, kT0, now), IsEmpty());
  d.SetInterval(absl::Seconds(2), now);
  EXPECT_EQ(d.interval(), absl::Seconds(2));
  // Down only after 4 new periods counted from the change.
  EXPECT_THAT(TickThrough(d, now, now + absl::Seconds(8)), IsEmpty());
  EXPECT_THAT(Changes(d.Tick(now + absl::Seconds(8) + absl::Milliseconds(1))), ElementsAre("1-"));
}

TEST(DetectorTest, NewIntervalKeepsLinkStates) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  absl::Time now = At(absl::Seconds(5));
  EXPECT_THAT(TickThrough(d, kT0, now), ElementsAre("1-"));
  d.SetInterval(absl::Seconds(2), now);
  EXPECT_FALSE(d.IsUp(1));
  EXPECT_THAT(TickThrough(d, now, now + absl::Seconds(20)), IsEmpty());  // no repeat
  EXPECT_EQ(Change(d.Beat(1, now + absl::Seconds(20))), "1+");
}

TEST(DetectorTest, ClockJumpJudgesNobody) {
  // This process was frozen: the first Tick long after the previous one must
  // not blame children whose beats are still queued unread.
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  d.Watch(2, kT0);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(1))), IsEmpty());
  absl::Time woke = At(absl::Seconds(100));
  EXPECT_THAT(d.Tick(woke), IsEmpty());
  EXPECT_TRUE(d.IsUp(1));
  EXPECT_TRUE(d.IsUp(2));
  // The queued beats are read now; 2 really is silent from here on.
  EXPECT_EQ(Change(d.Beat(1, woke)), "none");
  std::vector<std::string> changes;
  for (absl::Time t = woke + kPeriod / 2; t <= woke + absl::Seconds(5); t += kPeriod / 2) {
    d.Beat(1, t);
    for (std::string& c : Changes(d.Tick(t))) changes.push_back(c);
  }
  EXPECT_THAT(changes, ElementsAre("2-"));
}

TEST(DetectorTest, FirstTickLongAfterEnablingIsAJump) {
  Detector d;
  d.Watch(1, kT0);
  d.SetInterval(kPeriod, kT0);
  EXPECT_THAT(d.Tick(At(absl::Seconds(30))), IsEmpty());
  EXPECT_TRUE(d.IsUp(1));
}

TEST(DetectorTest, ClockJumpLeavesDownLinksDown) {
  Detector d;
  d.SetInterval(kPeriod, kT0);
  d.Watch(1, kT0);
  EXPECT_THAT(TickThrough(d, kT0, At(absl::Seconds(5))), ElementsAre("1-"));
  EXPECT_THAT(d.Tick(At(absl::Seconds(500))), IsEmpty());
  EXPECT_FALSE(d.IsUp(1));
  EXPECT_EQ(Change(d.Beat(1, At(absl::Seconds(500)))), "1+");
}

TEST(DetectorTest, LateTicksOfAShortPeriodStillJudge) {
  // heartbit 5 on a loaded machine: ticks come every 15 ms, three periods apart.
  // That is no freeze (below the floor): a silent child is still reported.
  Detector d;
  absl::Duration period = absl::Milliseconds(5);
  d.SetInterval(period, kT0);
  d.Watch(1, kT0);
  std::vector<std::string> changes;
  for (absl::Time t = kT0; t <= kT0 + absl::Milliseconds(200); t += 3 * period) {
    for (std::string& c : Changes(d.Tick(t))) changes.push_back(c);
  }
  EXPECT_THAT(changes, ElementsAre("1-"));
}

}  // namespace
}  // namespace arbor::health

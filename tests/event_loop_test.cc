// transport/event_loop.h: timers on an injected clock, and the poll set.
#include "transport/event_loop.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace arbor::transport {
namespace {

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }
  void Set(absl::Time now) { now_ = now; }

 private:
  absl::Time now_;
};

// Far beyond any real monotonic reading: a loop that read the real clock
// would find none of these timers due.
const absl::Time kT = absl::UnixEpoch() + absl::Hours(24 * 365 * 1000);

// A pipe with a byte in it: readable on every turn until destroyed.
class ReadablePipe {
 public:
  ReadablePipe() {
    EXPECT_EQ(::pipe(fds_), 0);
    EXPECT_EQ(::write(fds_[1], "x", 1), 1);
  }
  ReadablePipe(const ReadablePipe&) = delete;
  ReadablePipe& operator=(const ReadablePipe&) = delete;
  ~ReadablePipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

TEST(EventLoopTest, TimersFireByTheInjectedClock) {
  FakeClock clock(kT);
  EventLoop loop(clock);
  ReadablePipe input;  // every turn returns at once
  std::vector<std::string> events;
  int turn = 0;
  loop.AddFd(input.fd(), [&] {
    ++turn;
    EXPECT_EQ(loop.now(), turn < 3 ? kT : kT + absl::Hours(2));
    if (turn == 2) {
      clock.Set(kT + absl::Hours(2));
      EXPECT_EQ(loop.now(), kT);  // the turn's time, read at its wake-up
      EXPECT_EQ(loop.ReadClock(), kT + absl::Hours(2));
    }
    if (turn == 4) loop.Stop();
  });
  loop.ScheduleAt(kT - absl::Hours(1), [&] { events.push_back(absl::StrCat("past@", turn)); });
  // Due at kT + 1 h by the fake clock: after the clock moves, never before.
  loop.ScheduleAfter(absl::Hours(1), [&] { events.push_back(absl::StrCat("after@", turn)); });
  loop.Run();
  EXPECT_EQ(events, (std::vector<std::string>{"past@1", "after@3"}));
}

TEST(EventLoopTest, TimersRunInTimeOrderAndCancelledOnesNever) {
  FakeClock clock(kT);
  EventLoop loop(clock);
  std::vector<std::string> ran;
  EventLoop::TimerId c = 0;
  loop.ScheduleAt(kT + absl::Seconds(3), [&] {
    ran.push_back("a");
    loop.Stop();
  });
  loop.ScheduleAt(kT + absl::Seconds(1), [&] {
    ran.push_back("b");
    loop.Cancel(c);  // cancelled by an earlier timer of the same turn
  });
  c = loop.ScheduleAt(kT + absl::Seconds(2), [&] { ran.push_back("c"); });
  loop.ScheduleAt(kT + absl::Seconds(1), [&] {  // as early as b, scheduled after it
    ran.push_back("d");
    loop.ScheduleAt(kT, [&] { ran.push_back("f"); });  // already due: this turn
  });
  EventLoop::TimerId e = loop.ScheduleAfter(absl::Milliseconds(500), [&] { ran.push_back("e"); });
  loop.Cancel(e);
  loop.Cancel(e);       // twice: a no-op
  loop.Cancel(12345);  // never scheduled: a no-op
  clock.Set(kT + absl::Seconds(10));
  loop.Run();
  EXPECT_EQ(ran, (std::vector<std::string>{"b", "d", "f", "a"}));
}

TEST(EventLoopTest, SourcesAddedOrRemovedInACallbackTakeEffectNextTurn) {
  EventLoop loop;
  ReadablePipe a, b, c;
  std::vector<std::string> calls;
  int turn = 0;
  loop.AddFd(a.fd(), [&] {
    ++turn;
    calls.push_back(absl::StrCat("a", turn));
    if (turn == 1) {
      loop.RemoveFd(b.fd());  // ready this turn too, yet never called
      loop.AddFd(c.fd(), [&] { calls.push_back(absl::StrCat("c", turn)); });
    }
    if (turn == 5) loop.Stop();
  });
  loop.AddFd(b.fd(), [&] { calls.push_back("b"); });
  loop.Run();
  EXPECT_EQ(calls, (std::vector<std::string>{"a1", "a2", "c2", "a3", "c3", "a4", "c4", "a5"}));
  // Built for the first turn and after the change; the turns since reused it.
  EXPECT_EQ(loop.poll_set_builds(), 2u);
}

TEST(EventLoopTest, ASourceReplacedInItsOwnCallbackRunsTheNewOne) {
  EventLoop loop;
  ReadablePipe a, other;
  std::vector<std::string> calls;
  loop.AddFd(a.fd(), [&] {
    calls.push_back("old");
    loop.RemoveFd(a.fd());
    loop.AddFd(a.fd(), [&] {
      calls.push_back("new");
      loop.Stop();
    });
  });
  loop.AddFd(other.fd(), [&] {
    calls.push_back("other");
    loop.RemoveFd(other.fd());
  });
  loop.Run();
  EXPECT_EQ(calls, (std::vector<std::string>{"old", "other", "new"}));
  EXPECT_EQ(loop.poll_set_builds(), 2u);
}

TEST(EventLoopTest, WhatABeforeWaitHookAddsIsPolledThatTurn) {
  EventLoop loop;
  ReadablePipe a;
  bool added = false;
  int calls = 0;
  loop.AddBeforeWait([&] {
    if (added) return;
    added = true;
    loop.AddFd(a.fd(), [&] {
      ++calls;
      loop.Stop();
    });
  });
  loop.Run();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.poll_set_builds(), 1u);
}

}  // namespace
}  // namespace arbor::transport

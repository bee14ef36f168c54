// rpc/pending_calls: correlation id -> {deadline, target, callback}; each call
// resolves exactly once. Time is passed in: nothing here sleeps.
#include "rpc/pending_calls.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace arbor::rpc {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kT0 = absl::UnixEpoch() + absl::Hours(1000);

absl::Time At(int ms) { return kT0 + absl::Milliseconds(ms); }

// rpc/ knows nothing of envelopes: any reply type will do.
class TestReply {
 public:
  explicit TestReply(CallId id) : id_(id) {}
  CallId correlation_id() const { return id_; }

 private:
  CallId id_;
};
TestReply Reply(CallId id) { return TestReply(id); }
using PendingCalls = ::arbor::rpc::PendingCalls<TestReply>;
using Outcome = ::arbor::rpc::Outcome<TestReply>;

// Records every resolution as "<tag>:<code>" so order and count are visible.
class PendingCallsTest : public ::testing::Test {
 protected:
  PendingCalls::Callback Record(std::string tag) {
    return [this, tag](Outcome result) {
      log_.push_back(absl::StrCat(tag, ":", absl::StatusCodeToString(result.status().code())));
      if (result.ok()) replies_.push_back(result->correlation_id());
    };
  }

  PendingCalls calls_;
  std::vector<std::string> log_;
  std::vector<CallId> replies_;
};

TEST_F(PendingCallsTest, InFlightToCountsLiveCallsPerTargetWhateverResolvesThem) {
  CallId a = calls_.Add(At(100), 1, Record("a"));
  calls_.Add(At(200), 1, Record("b"));
  calls_.Add(At(300), 1, Record("c"));
  calls_.Add(At(100), 2, Record("d"));
  EXPECT_EQ(calls_.InFlightTo(1), 3);
  EXPECT_EQ(calls_.InFlightTo(2), 1);
  EXPECT_EQ(calls_.InFlightTo(3), 0);
  EXPECT_TRUE(calls_.Resolve(a, Reply(a)));  // a reply
  EXPECT_EQ(calls_.InFlightTo(1), 2);
  EXPECT_FALSE(calls_.Resolve(a, Reply(a)));  // a duplicate changes nothing
  EXPECT_EQ(calls_.InFlightTo(1), 2);
  EXPECT_EQ(calls_.Expire(At(250)), 2);  // b and d by their deadlines
  EXPECT_EQ(calls_.InFlightTo(1), 1);
  EXPECT_EQ(calls_.InFlightTo(2), 0);
  EXPECT_EQ(calls_.FailIf([](NodeId t) { return t == 1; }, absl::UnavailableError("dead")), 1);
  EXPECT_EQ(calls_.InFlightTo(1), 0);
}

TEST_F(PendingCallsTest, IdsAreMonotonicFromOneAndNeverReused) {
  EXPECT_EQ(calls_.Add(At(1000), 1, Record("a")), 1u);
  EXPECT_EQ(calls_.Add(At(1000), 1, Record("b")), 2u);
  EXPECT_EQ(calls_.Add(At(1000), 2, Record("c")), 3u);
  EXPECT_TRUE(calls_.Resolve(3, Reply(3)));
  EXPECT_TRUE(calls_.Resolve(2, Reply(2)));
  EXPECT_EQ(calls_.Add(At(1000), 1, Record("d")), 4u);
  EXPECT_EQ(calls_.Expire(At(5000)), 2);
  EXPECT_EQ(calls_.size(), 0u);
  EXPECT_EQ(calls_.Add(At(1000), 1, Record("e")), 5u);
}

TEST_F(PendingCallsTest, ResolvesExactlyOnceWithTheReply) {
  CallId id = calls_.Add(At(1000), 7, Record("a"));
  EXPECT_TRUE(calls_.Contains(id));
  EXPECT_EQ(calls_.size(), 1u);
  EXPECT_TRUE(calls_.Resolve(id, Reply(id)));
  EXPECT_FALSE(calls_.Contains(id));
  EXPECT_EQ(calls_.size(), 0u);
  EXPECT_FALSE(calls_.Resolve(id, Reply(id)));                    // a duplicate reply
  EXPECT_FALSE(calls_.Resolve(id, absl::UnavailableError("x")));  // a late failure
  EXPECT_EQ(calls_.Expire(At(10000)), 0);
  EXPECT_THAT(log_, ElementsAre("a:OK"));
  EXPECT_THAT(replies_, ElementsAre(id));
}

TEST_F(PendingCallsTest, UnknownIdsAreNotResolved) {
  CallId id = calls_.Add(At(1000), 7, Record("a"));
  for (CallId unknown : {CallId{0}, id + 1, CallId{999}, ~CallId{0}}) {
    EXPECT_FALSE(calls_.Resolve(unknown, Reply(unknown))) << unknown;
  }
  EXPECT_THAT(log_, IsEmpty());
  EXPECT_TRUE(calls_.Contains(id));
}

TEST_F(PendingCallsTest, LateReplyAfterTheDeadlineReturnsFalse) {
  CallId id = calls_.Add(At(1000), 7, Record("a"));
  EXPECT_EQ(calls_.Expire(At(1000)), 1);
  EXPECT_FALSE(calls_.Resolve(id, Reply(id)));
  EXPECT_THAT(log_, ElementsAre("a:DEADLINE_EXCEEDED"));
}

TEST_F(PendingCallsTest, ErrorStatusesReachTheCallback) {
  CallId a = calls_.Add(At(1000), 7, Record("a"));
  CallId b = calls_.Add(At(1000), 7, Record("b"));
  EXPECT_TRUE(calls_.Resolve(a, absl::NotFoundError("no such node")));
  EXPECT_TRUE(calls_.Resolve(b, absl::UnavailableError("dead")));
  EXPECT_THAT(log_, ElementsAre("a:NOT_FOUND", "b:UNAVAILABLE"));
}

TEST_F(PendingCallsTest, ExpireEarliestFirstAndOnlyWhatIsDue) {
  calls_.Add(At(300), 1, Record("c300"));
  calls_.Add(At(100), 1, Record("a100"));
  calls_.Add(At(200), 1, Record("b200"));
  calls_.Add(At(200), 1, Record("b200second"));  // same deadline: by id
  calls_.Add(At(400), 1, Record("d400"));

  EXPECT_EQ(calls_.Expire(At(99)), 0);
  EXPECT_THAT(log_, IsEmpty());
  EXPECT_EQ(calls_.Expire(At(200)), 3);  // a deadline equal to now is due
  EXPECT_THAT(log_, ElementsAre("a100:DEADLINE_EXCEEDED", "b200:DEADLINE_EXCEEDED",
                                "b200second:DEADLINE_EXCEEDED"));
  EXPECT_EQ(calls_.Expire(At(200)), 0);
  EXPECT_EQ(calls_.Expire(At(1000)), 2);
  EXPECT_EQ(log_.size(), 5u);
  EXPECT_EQ(log_[3], "c300:DEADLINE_EXCEEDED");
  EXPECT_EQ(log_[4], "d400:DEADLINE_EXCEEDED");
  EXPECT_EQ(calls_.size(), 0u);
}

TEST_F(PendingCallsTest, NextDeadlineIsTheEarliestLeft) {
  EXPECT_EQ(calls_.NextDeadline(), std::nullopt);
  CallId late = calls_.Add(At(500), 1, Record("late"));
  EXPECT_EQ(calls_.NextDeadline(), At(500));
  CallId early = calls_.Add(At(100), 1, Record("early"));
  EXPECT_EQ(calls_.NextDeadline(), At(100));
  calls_.Add(At(300), 1, Record("mid"));
  EXPECT_TRUE(calls_.Resolve(early, Reply(early)));
  EXPECT_EQ(calls_.NextDeadline(), At(300));
  EXPECT_EQ(calls_.Expire(At(300)), 1);
  EXPECT_EQ(calls_.NextDeadline(), At(500));
  EXPECT_TRUE(calls_.Resolve(late, absl::UnavailableError("x")));
  EXPECT_EQ(calls_.NextDeadline(), std::nullopt);
}

TEST_F(PendingCallsTest, ManyAnsweredCallsLeaveDeadlinesExact) {
  // Answered calls leave heap entries behind until compaction: the live ones
  // still expire in deadline order, each once.
  std::vector<CallId> answered;
  for (int i = 0; i < 5000; ++i) answered.push_back(calls_.Add(At(10 + i % 7), 1, [](auto) {}));
  calls_.Add(At(900), 1, Record("b"));
  calls_.Add(At(800), 1, Record("a"));
  for (CallId id : answered) EXPECT_TRUE(calls_.Resolve(id, Reply(id)));
  for (int i = 0; i < 3000; ++i) {  // more traffic, answered at once
    CallId id = calls_.Add(At(5 + i % 3), 1, [](auto) {});
    EXPECT_TRUE(calls_.Resolve(id, Reply(id)));
  }
  EXPECT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_.NextDeadline(), At(800));
  EXPECT_EQ(calls_.Expire(At(850)), 1);
  EXPECT_EQ(calls_.Expire(At(1000)), 1);
  EXPECT_THAT(log_, ElementsAre("a:DEADLINE_EXCEEDED", "b:DEADLINE_EXCEEDED"));
  EXPECT_EQ(calls_.NextDeadline(), std::nullopt);
}

TEST_F(PendingCallsTest, ALongDeadlineAmongShortOnesKeepsTheOrder) {
  // 1 s calls after a 5 s one go out of order; all still expire earliest first.
  calls_.Add(At(5000), 1, Record("create"));
  calls_.Add(At(1000), 1, Record("a"));
  calls_.Add(At(1001), 1, Record("b"));
  calls_.Add(At(6000), 1, Record("late"));
  calls_.Add(At(1002), 1, Record("c"));
  EXPECT_EQ(calls_.NextDeadline(), At(1000));
  EXPECT_EQ(calls_.Expire(At(5500)), 4);
  EXPECT_THAT(log_, ElementsAre("a:DEADLINE_EXCEEDED", "b:DEADLINE_EXCEEDED",
                                "c:DEADLINE_EXCEEDED", "create:DEADLINE_EXCEEDED"));
  EXPECT_EQ(calls_.NextDeadline(), At(6000));
}

TEST_F(PendingCallsTest, FailIfResolvesEveryMatchingTargetOnce) {
  calls_.Add(At(1000), 1, Record("n1"));
  calls_.Add(At(1000), 2, Record("n2a"));
  calls_.Add(At(1000), 3, Record("n3"));
  calls_.Add(At(2000), 2, Record("n2b"));
  EXPECT_EQ(calls_.FailIf([](NodeId t) { return t == 2; }, absl::UnavailableError("dead")), 2);
  EXPECT_THAT(log_, UnorderedElementsAre("n2a:UNAVAILABLE", "n2b:UNAVAILABLE"));
  EXPECT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_.NextDeadline(), At(1000));
  EXPECT_EQ(calls_.FailIf([](NodeId t) { return t == 2; }, absl::UnavailableError("dead")), 0);
  EXPECT_EQ(calls_.FailIf([](NodeId) { return false; }, absl::UnavailableError("x")), 0);
  EXPECT_EQ(calls_.Expire(At(5000)), 2);  // the others are still there
  EXPECT_EQ(log_.size(), 4u);
}

TEST_F(PendingCallsTest, FailedCallsNeverExpireLater) {
  calls_.Add(At(100), 5, Record("a"));
  calls_.FailIf([](NodeId t) { return t == 5; }, absl::UnavailableError("dead"));
  EXPECT_EQ(calls_.NextDeadline(), std::nullopt);
  EXPECT_EQ(calls_.Expire(At(1000)), 0);
  EXPECT_THAT(log_, ElementsAre("a:UNAVAILABLE"));
}

TEST_F(PendingCallsTest, CallbackSeesItselfGoneAndMayAddCalls) {
  CallId added = 0;
  CallId first = 0;
  first = calls_.Add(At(100), 1, [&](Outcome result) {
    EXPECT_THAT(result, IsOk());
    EXPECT_FALSE(calls_.Contains(first));  // out of the table before it runs
    added = calls_.Add(At(200), 1, Record("retry"));
  });
  EXPECT_TRUE(calls_.Resolve(first, Reply(first)));
  EXPECT_EQ(added, 2u);
  EXPECT_TRUE(calls_.Contains(added));
  EXPECT_EQ(calls_.NextDeadline(), At(200));
  EXPECT_TRUE(calls_.Resolve(added, Reply(added)));
  EXPECT_THAT(log_, ElementsAre("retry:OK"));
}

TEST_F(PendingCallsTest, CallbackMayResolveAnotherCall) {
  CallId second = calls_.Add(At(100), 2, Record("second"));
  CallId first = calls_.Add(At(100), 1, [&](Outcome) {
    log_.push_back("first");
    EXPECT_TRUE(calls_.Resolve(second, absl::CancelledError("by first")));
    EXPECT_FALSE(calls_.Resolve(second, absl::CancelledError("again")));
  });
  EXPECT_TRUE(calls_.Resolve(first, Reply(first)));
  EXPECT_FALSE(calls_.Resolve(second, Reply(second)));
  EXPECT_THAT(log_, ElementsAre("first", "second:CANCELLED"));
  EXPECT_EQ(calls_.size(), 0u);
}

TEST_F(PendingCallsTest, ExpireCallbacksResolvingOrAddingCalls) {
  CallId other = calls_.Add(At(300), 2, Record("other"));
  calls_.Add(At(100), 1, [&](Outcome result) {
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kDeadlineExceeded));
    log_.push_back("first");
    EXPECT_TRUE(calls_.Resolve(other, absl::CancelledError("by first")));
    calls_.Add(At(50), 3, Record("already late"));  // due now too
    calls_.Add(At(900), 3, Record("future"));
  });
  // Each call resolves exactly once; `other` was resolved by the callback.
  EXPECT_EQ(calls_.Expire(At(500)), 2);
  EXPECT_THAT(log_, ElementsAre("first", "other:CANCELLED", "already late:DEADLINE_EXCEEDED"));
  EXPECT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_.NextDeadline(), At(900));
}

TEST_F(PendingCallsTest, FailIfCallbackResolvingAnotherMatchingCall) {
  // Whichever of the two runs first resolves the other: each exactly once.
  CallId a = 0;
  CallId b = 0;
  int a_runs = 0;
  int b_runs = 0;
  a = calls_.Add(At(100), 4, [&](Outcome) {
    ++a_runs;
    calls_.Resolve(b, absl::CancelledError("by a"));
  });
  b = calls_.Add(At(100), 4, [&](Outcome) {
    ++b_runs;
    calls_.Resolve(a, absl::CancelledError("by b"));
  });
  calls_.FailIf([](NodeId t) { return t == 4; }, absl::UnavailableError("dead"));
  EXPECT_EQ(a_runs, 1);
  EXPECT_EQ(b_runs, 1);
  EXPECT_EQ(calls_.size(), 0u);
  EXPECT_EQ(calls_.Expire(At(1000)), 0);
}

TEST_F(PendingCallsTest, ManyCallsAllResolveOnce) {
  constexpr int kCount = 10000;
  int runs = 0;
  for (int i = 0; i < kCount; ++i) {
    calls_.Add(At(i % 100), i % 7, [&runs](Outcome) { ++runs; });
  }
  int on_node0 = 0;
  int due = 0;
  for (int i = 0; i < kCount; ++i) {
    if (i % 7 == 0) {
      ++on_node0;
    } else if (i % 100 <= 49) {
      ++due;
    }
  }
  EXPECT_EQ(calls_.FailIf([](NodeId t) { return t == 0; }, absl::UnavailableError("x")), on_node0);
  EXPECT_EQ(calls_.Expire(At(49)), due);
  for (CallId id = 1; id <= static_cast<CallId>(kCount); ++id) calls_.Resolve(id, Reply(id));
  EXPECT_EQ(runs, kCount);
  EXPECT_EQ(calls_.size(), 0u);
}

}  // namespace
}  // namespace arbor::rpc

// dispatch/queue: what waits for what -- the orderings the command line
// promises (README "The command line"), driven by a real topology.
#include "dispatch/queue.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tree/topology.h"

namespace arbor::dispatch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1000);

void AddAlive(tree::Topology& t, NodeId id, NodeId parent) {
  t.BeginCreate(id, parent);
  t.Spawned(id, static_cast<pid_t>(1000 + id), 0);
  t.FinishCreate(id, absl::StrCat("ipc:///tmp/a/", id));
}

// A queue over a tree with 1 ─ 2 alive, 5 alive, and a log of what ran.
class Harness {
 public:
  Harness() {
    AddAlive(tree, 1, kControllerId);
    AddAlive(tree, 2, 1);
    AddAlive(tree, 5, kControllerId);
  }
  // An ordinary CLI line naming `nodes`.
  void Line(std::string label, Nodes nodes, bool is_remove = false) {
    queue.Add(Make(std::move(label), nodes, is_remove, /*sequenced=*/true));
  }
  // A client's request: not held back by CLI barriers; `deadline` optional.
  void Client(std::string label, Nodes nodes, absl::Time deadline = absl::InfiniteFuture()) {
    Operation op = Make(std::move(label), nodes, false, /*sequenced=*/false);
    op.deadline = deadline;
    queue.Add(std::move(op));
  }
  // A CLI `tree`: may run once `open` is set (its earlier lines answered).
  void Barrier(std::string label, const bool* open) {
    Barrier(std::move(label), [open] { return *open; });
  }
  void Barrier(std::string label, std::function<bool()> open) {
    Operation op = Make(std::move(label), {}, false, /*sequenced=*/true);
    op.barrier = [open = std::move(open)] { return open(); };
    queue.Add(std::move(op));
  }
  void Pump(absl::Time now = kNow) { queue.Pump(now); }

  tree::Topology tree;
  Queue queue{tree};
  std::vector<std::string> ran;
  std::function<void(const std::string&)> on_run;  // runs inside an operation

 private:
  Operation Make(std::string label, const Nodes& nodes, bool is_remove, bool sequenced) {
    Operation op;
    op.nodes = nodes;
    op.is_remove = is_remove;
    op.sequenced = sequenced;
    op.run = [this, label = std::move(label)] {
      ran.push_back(label);
      if (on_run) on_run(label);
    };
    return op;
  }
};

// One ordering rule: operations added to a tree in some state, what runs at
// once, and what has run after the state changes.
struct Case {
  std::string rule;
  std::function<void(Harness&)> before;  // brings the tree into its state
  std::function<void(Harness&)> add;
  std::vector<std::string> at_once;
  std::function<void(Harness&)> settle;
  std::vector<std::string> after;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.rule; }

class OrderTest : public ::testing::TestWithParam<Case> {};

TEST_P(OrderTest, Runs) {
  const Case& c = GetParam();
  Harness h;
  c.before(h);
  c.add(h);
  EXPECT_EQ(absl::StrJoin(h.ran, " "), absl::StrJoin(c.at_once, " ")) << "at once";
  c.settle(h);
  h.Pump();
  EXPECT_EQ(absl::StrJoin(h.ran, " "), absl::StrJoin(c.after, " ")) << "after settling";
  EXPECT_TRUE(h.queue.empty());
}

const std::vector<Case> kCases = {
    {"a free node runs at once",
     [](Harness&) {}, [](Harness& h) { h.Line("exec1", {1}); }, {"exec1"},
     [](Harness&) {}, {"exec1"}},
    {"a command naming a node being created waits for that creation",
     [](Harness& h) { h.tree.BeginCreate(10, 1); },
     [](Harness& h) {
       h.Line("exec10", {10});
       h.Line("exec5", {5});
     },
     {"exec5"}, [](Harness& h) { h.tree.FinishCreate(10, "e"); }, {"exec5", "exec10"}},
    {"a create under a parent being created waits for it",
     [](Harness& h) { h.tree.BeginCreate(10, 1); },
     [](Harness& h) { h.Line("create11", {11, 10}); }, {},
     [](Harness& h) { h.tree.FinishCreate(10, "e"); }, {"create11"}},
    {"answers about one node keep input order: later lines wait behind earlier ones",
     [](Harness& h) { h.tree.BeginCreate(10, 1); },
     [](Harness& h) {
       h.Line("a10", {10});
       h.Line("b10", {10});
       h.Line("c10", {10});
     },
     {}, [](Harness& h) { h.tree.FinishCreate(10, "e"); }, {"a10", "b10", "c10"}},
    {"a line naming a waiting create's parent waits behind it, even if free",
     [](Harness& h) { h.tree.BeginCreate(10, 1); },
     [](Harness& h) {
       h.Line("create11", {11, 10});
       h.Line("exec11", {11});
     },
     {}, [](Harness& h) { h.tree.FinishCreate(10, "e"); }, {"create11", "exec11"}},
    {"below a node being removed waits",
     [](Harness& h) { h.tree.BeginRemove(1); },
     [](Harness& h) {
       h.Line("exec2", {2});
       h.Line("exec5", {5});
     },
     {"exec5"}, [](Harness& h) { h.tree.RemoveFailed(1); }, {"exec5", "exec2"}},
    {"below a node reattaching waits",
     [](Harness& h) { h.tree.BeginReattach(2, 9); },
     [](Harness& h) { h.Line("exec2", {2}); }, {},
     [](Harness& h) { h.tree.EndReattach(2); }, {"exec2"}},
    {"a remove waits for its children to settle",
     [](Harness& h) { h.tree.BeginCreate(12, 1); },
     [](Harness& h) {
       h.Line("remove1", {1}, /*is_remove=*/true);
       h.Line("exec1", {1});
     },
     {}, [](Harness& h) { h.tree.FinishCreate(12, "e"); }, {"remove1", "exec1"}},
    {"a remove waits for a child being removed",
     [](Harness& h) { h.tree.BeginRemove(2); },
     [](Harness& h) { h.Line("remove1", {1}, /*is_remove=*/true); }, {},
     [](Harness& h) { h.tree.RemoveFailed(2); }, {"remove1"}},
    {"a remove waits for a child whose process left during its own remove",
     [](Harness& h) {
       h.tree.BeginRemove(2);
       h.tree.Exited(2);
     },
     [](Harness& h) { h.Line("remove1", {1}, /*is_remove=*/true); }, {},
     [](Harness& h) { h.tree.Remove(2); }, {"remove1"}},
    {"a remove waits for a child reattaching under it",
     [](Harness& h) { h.tree.BeginReattach(2, 9); },
     [](Harness& h) { h.Line("remove1", {1}, /*is_remove=*/true); }, {},
     [](Harness& h) { h.tree.EndReattach(2); }, {"remove1"}},
    {"an exec does not wait for its target's children",
     [](Harness& h) { h.tree.BeginCreate(12, 1); },
     [](Harness& h) { h.Line("exec1", {1}); }, {"exec1"}, [](Harness&) {}, {"exec1"}},
    {"a dead node is settled",
     [](Harness& h) { h.tree.MarkDead(5); },
     [](Harness& h) { h.Line("exec5", {5}); }, {"exec5"}, [](Harness&) {}, {"exec5"}},
    {"tree waits for a reattaching node, and every later line waits behind it",
     [](Harness& h) { h.tree.BeginReattach(2, 9); },
     [](Harness& h) {
       static const bool kOpen = true;
       h.Barrier("tree", &kOpen);
       h.Line("exec5", {5});
       h.Client("client1", {1});
     },
     {"client1"}, [](Harness& h) { h.tree.EndReattach(2); }, {"client1", "tree", "exec5"}},
};

INSTANTIATE_TEST_SUITE_P(Rules, OrderTest, ::testing::ValuesIn(kCases));

TEST(QueueTest, ABarrierWaitsForItsOwnConditionWithNoTreeChange) {
  Harness h;
  bool open = false;
  h.Barrier("stats", &open);
  h.Line("exec1", {1});
  h.Pump();
  EXPECT_THAT(h.ran, IsEmpty());
  open = true;  // every line before it answered: nothing else changed
  h.Pump();
  EXPECT_THAT(h.ran, ElementsAre("stats", "exec1"));
}

TEST(QueueTest, ASecondBarrierWaitsBehindTheFirst) {
  Harness h;
  bool first = false;
  bool second = true;
  h.Barrier("tree", &first);
  h.Barrier("stats", &second);
  h.Pump();
  EXPECT_THAT(h.ran, IsEmpty());
  first = true;
  h.Pump();
  EXPECT_THAT(h.ran, ElementsAre("tree", "stats"));
}

TEST(QueueTest, PastItsDeadlineAnOperationRunsOutOfTurn) {
  Harness h;
  h.tree.BeginCreate(10, 1);
  h.Line("exec10", {10});
  h.Client("client10", {10}, kNow + absl::Seconds(1));
  EXPECT_EQ(h.queue.NextDeadline(), kNow + absl::Seconds(1));
  h.Pump(kNow);
  EXPECT_THAT(h.ran, IsEmpty());
  h.Pump(kNow + absl::Seconds(1));
  EXPECT_THAT(h.ran, ElementsAre("client10"));  // to answer DEADLINE_EXCEEDED
  EXPECT_EQ(h.queue.NextDeadline(), std::nullopt);
  h.tree.FinishCreate(10, "e");
  h.Pump();
  EXPECT_THAT(h.ran, ElementsAre("client10", "exec10"));
}

TEST(QueueTest, AnOperationAddedWhileOneRunsNeverOvertakesAWaitingOne) {
  Harness h;
  h.tree.BeginCreate(10, 1);
  h.Line("a10", {10});
  h.Line("b10", {10});
  // When a10 runs it adds c10 (as an answer can make the CLI read a line).
  h.on_run = [&h](const std::string& label) {
    if (label == "a10") h.Line("c10", {10});
  };
  h.tree.FinishCreate(10, "e");
  h.Pump();
  EXPECT_THAT(h.ran, ElementsAre("a10", "b10", "c10"));
  EXPECT_TRUE(h.queue.empty());
}

TEST(QueueTest, ARunThatSettlesAnEarlierWaiterIsSeenInTheSamePump) {
  Harness h;
  h.tree.BeginCreate(10, 1);
  h.tree.BeginCreate(6, 5);
  h.Line("exec10", {10});
  h.Line("exec6", {6});
  // exec6's run (say, a synchronous failure path) finishes 10's creation:
  // exec10, already passed over, runs in the same Pump.
  h.on_run = [&h](const std::string& label) {
    if (label == "exec6") h.tree.FinishCreate(10, "e");
  };
  h.tree.FinishCreate(6, "e");
  h.Pump();
  EXPECT_THAT(h.ran, ElementsAre("exec6", "exec10"));
}

TEST(QueueTest, PumpWithNothingChangedRunsNothing) {
  Harness h;
  h.tree.BeginCreate(10, 1);
  int checked = 0;
  h.Barrier("tree", [&checked] {
    ++checked;
    return false;
  });
  h.Line("exec10", {10});
  int before = checked;
  for (int i = 0; i < 3; ++i) h.Pump();
  // Only the first waiting barrier's own condition is asked each time.
  EXPECT_EQ(checked - before, 3);
  EXPECT_EQ(h.queue.size(), 2u);
}

}  // namespace
}  // namespace arbor::dispatch

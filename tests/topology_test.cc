// tree/topology: the controller's view of the tree -- create checks, routes,
// link states and the Heartbit transitions they cause, `tree` rows.
#include "tree/topology.h"

#include "cli/format.h"

#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace arbor::tree {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Adds `id` under `parent` and lets it say Hello (pid = 1000 + id).
void AddAlive(Topology& t, NodeId id, NodeId parent) {
  ASSERT_THAT(t.CheckCreate(id, parent), IsOk()) << "create " << id << " " << parent;
  t.BeginCreate(id, parent);
  t.Spawned(id, static_cast<pid_t>(1000 + id), /*hello_call=*/0);
  t.FinishCreate(id, absl::StrCat("ipc:///tmp/arbor/", id));
}

// Adds {id, parent} pairs in order.
void AddAlive(Topology& t, std::initializer_list<std::pair<NodeId, NodeId>> nodes) {
  for (const auto& [id, parent] : nodes) AddAlive(t, id, parent);
}

// "id+" for a node becoming available, "id-" for unavailable.
std::vector<std::string> Lines(const std::vector<Transition>& transitions) {
  std::vector<std::string> out;
  for (const Transition& t : transitions)
    out.push_back(absl::StrCat(t.id, t.available ? "+" : "-"));
  return out;
}

// A fixture tree:
//   1 ─ 2 ─ 3            all alive
//   4                    dead
//   5                    creating
//   6 ─ 7                6's link is down (frozen), 7 alive below it
//   8 ─ 9                8 dead, 9 alive below it
class TopologyFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    AddAlive(t_, {{1, -1}, {2, 1}, {3, 2}, {4, -1}});
    t_.MarkDead(4);
    t_.BeginCreate(5, kControllerId);
    AddAlive(t_, {{6, -1}, {7, 6}});
    t_.SetLinkUp(6, false);
    AddAlive(t_, {{8, -1}, {9, 8}});
    t_.MarkDead(8);
  }
  Topology t_;
};

struct CreateCase {
  NodeId id;
  NodeId parent;
  absl::StatusCode want;
};

void PrintTo(const CreateCase& c, std::ostream* os) {
  *os << "create " << c.id << " " << c.parent << " -> " << absl::StatusCodeToString(c.want);
}

class CheckCreateTest : public TopologyFixture, public ::testing::WithParamInterface<CreateCase> {};

TEST_P(CheckCreateTest, Code) {
  EXPECT_THAT(t_.CheckCreate(GetParam().id, GetParam().parent), StatusIs(GetParam().want));
}

using absl::StatusCode;
INSTANTIATE_TEST_SUITE_P(AllCodes, CheckCreateTest,
                         ::testing::ValuesIn(std::vector<CreateCase>{
                             {10, kControllerId, StatusCode::kOk},
                             {10, 1, StatusCode::kOk},
                             {10, 3, StatusCode::kOk},
                             {1, kControllerId, StatusCode::kAlreadyExists},  // alive
                             {1, 2, StatusCode::kAlreadyExists},
                             {5, kControllerId, StatusCode::kAlreadyExists},  // being created
                             {6, kControllerId, StatusCode::kAlreadyExists},  // frozen
                             {7, 1, StatusCode::kAlreadyExists},   // behind a frozen link
                             {1, 99, StatusCode::kAlreadyExists},  // checked before the parent
                             {10, 99, StatusCode::kNotFound},
                             {10, 10, StatusCode::kNotFound},  // unknown id as its own parent
                             {4, 99, StatusCode::kNotFound},
                             {10, 4, StatusCode::kUnavailable},        // parent dead
                             {10, 5, StatusCode::kUnavailable},        // parent being created
                             {10, 6, StatusCode::kUnavailable},        // parent's link down
                             {10, 7, StatusCode::kUnavailable},        // an ancestor's link down
                             {10, 9, StatusCode::kUnavailable},        // an ancestor dead
                             {4, kControllerId, StatusCode::kOk},      // re-create a dead node
                             {4, 3, StatusCode::kOk},                  // ... under another parent
                             {8, 8, StatusCode::kFailedPrecondition},  // dead id as its own parent
                             {8, 9, StatusCode::kFailedPrecondition},  // under its own descendant
                             {4, 6, StatusCode::kUnavailable},  // re-create under a frozen parent
                         }));

TEST(TopologyTest, BeginFinishCreateOfANewNode) {
  Topology t;
  AddAlive(t, 1, kControllerId);
  t.BeginCreate(2, 1);
  const Node* n = t.Find(2);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->state, Lifecycle::kCreating);
  EXPECT_EQ(n->parent, 1);
  EXPECT_EQ(n->pid, 0);
  EXPECT_THAT(t.Find(1)->children, ElementsAre(2));
  EXPECT_TRUE(t.Settling(2));
  EXPECT_FALSE(t.Reachable(2));
  EXPECT_THAT(t.CheckCreate(2, 1), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(t.CheckCreate(3, 2), StatusIs(absl::StatusCode::kUnavailable));

  t.FinishCreate(2, "ipc:///tmp/a/2.77");
  EXPECT_EQ(n->state, Lifecycle::kAlive);
  EXPECT_EQ(n->endpoint, "ipc:///tmp/a/2.77");
  EXPECT_FALSE(t.Settling(2));
  EXPECT_TRUE(t.Reachable(2));
  EXPECT_EQ(t.size(), 2u);
}

TEST(TopologyTest, AbortCreateErasesANewNode) {
  Topology t;
  AddAlive(t, 1, kControllerId);
  t.BeginCreate(2, 1);
  t.AbortCreate(2);
  EXPECT_EQ(t.Find(2), nullptr);
  EXPECT_THAT(t.Find(1)->children, IsEmpty());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_THAT(t.CheckCreate(2, 1), IsOk());

  t.BeginCreate(3, kControllerId);
  t.AbortCreate(3);
  EXPECT_EQ(t.Find(3), nullptr);
  EXPECT_THAT(t.roots(), ElementsAre(1));
}

TEST(TopologyTest, RecreateOfADeadNode) {
  Topology t;
  AddAlive(t, {{1, -1}, {4, -1}});
  t.MarkDead(4);
  // A failed attempt leaves it dead, and it may be tried again.
  t.BeginCreate(4, kControllerId);
  t.AbortCreate(4);
  ASSERT_NE(t.Find(4), nullptr);
  EXPECT_EQ(t.Find(4)->state, Lifecycle::kDead);
  EXPECT_THAT(t.roots(), ElementsAre(1, 4));
  // The parent may differ.
  ASSERT_THAT(t.CheckCreate(4, 1), IsOk());
  t.BeginCreate(4, 1);
  EXPECT_EQ(t.Find(4)->state, Lifecycle::kCreating);
  EXPECT_EQ(t.Find(4)->parent, 1);
  EXPECT_EQ(t.Find(4)->pid, 0);
  EXPECT_THAT(t.roots(), ElementsAre(1));
  EXPECT_THAT(t.Find(1)->children, ElementsAre(4));
  t.FinishCreate(4, "ipc:///tmp/a/4.2");
  EXPECT_EQ(t.Find(4)->state, Lifecycle::kAlive);
  EXPECT_TRUE(t.Reachable(4));
  EXPECT_EQ(t.size(), 2u);
}

TEST(TopologyTest, RecreatedNodeStartsFreshAndSilently) {
  Topology t;
  AddAlive(t, 4, kControllerId);
  EXPECT_THAT(Lines(t.SetLinkUp(4, false)), ElementsAre("4-"));
  t.MarkDead(4);
  t.BeginCreate(4, kControllerId);
  t.FinishCreate(4, "ipc:///tmp/a/4.3");
  EXPECT_TRUE(t.LinksUp(4));
  EXPECT_TRUE(t.Reachable(4));
  EXPECT_THAT(t.SetLinkUp(4, true), IsEmpty());  // no "available again" for the new one
  EXPECT_THAT(Lines(t.SetLinkUp(4, false)), ElementsAre("4-"));
}

TEST(TopologyTest, RemoveMovesChildrenToTheParent) {
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}, {3, 2}, {5, 2}, {6, 5}});
  t.Remove(2);
  EXPECT_EQ(t.Find(2), nullptr);
  EXPECT_THAT(t.Find(1)->children, ElementsAre(3, 5));
  EXPECT_EQ(t.Find(3)->parent, 1);
  EXPECT_EQ(t.Find(5)->parent, 1);
  EXPECT_THAT(t.Route(6), ElementsAre(1, 5, 6));
  EXPECT_EQ(t.size(), 4u);
}

TEST(TopologyTest, RemoveARootMovesChildrenUnderTheController) {
  Topology t;
  AddAlive(t, {{10, -1}, {3, 10}, {30, 10}, {1, -1}});
  t.Remove(10);
  EXPECT_THAT(t.roots(), ElementsAre(1, 3, 30));
  EXPECT_EQ(t.Find(3)->parent, kControllerId);
  EXPECT_THAT(t.Route(30), ElementsAre(30));
  t.Remove(99);  // unknown: nothing happens
  EXPECT_EQ(t.size(), 3u);
  // A removed id is gone: no route, no parent to create under, no row.
  EXPECT_EQ(t.Find(10), nullptr);
  EXPECT_THAT(t.Route(10), IsEmpty());
  EXPECT_FALSE(t.Reachable(10));
  EXPECT_THAT(t.CheckCreate(4, 10), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(t.SetLinkUp(10, false), IsEmpty());  // a removed node prints nothing
  for (const Topology::Row& r : t.Rows()) EXPECT_NE(r.node->id, 10);
}

TEST(TopologyTest, MovedChildIsNotJudgedByTheRemovedParent) {
  // 2 reported its child 3 silent (3 was SIGSTOPped); `remove 2` moves 3 under
  // 1, which has not judged it yet. 2's verdict left with 2, but nothing is
  // printed until 3 shows up under 1: its Hello there brings "available again",
  // and a new silence under 1 is reported again.
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}, {3, 2}});
  ASSERT_THAT(Lines(t.SetLinkUp(3, false)), ElementsAre("3-"));
  t.Remove(2);
  EXPECT_TRUE(t.LinksUp(3));
  EXPECT_TRUE(t.Reachable(3));
  EXPECT_THAT(Lines(t.SetLinkUp(3, true)), ElementsAre("3+"));
  EXPECT_THAT(Lines(t.SetLinkUp(3, false)), ElementsAre("3-"));
}

TEST(TopologyTest, ChildOfAPurgedNodeReportsItsReturn) {
  // 2 was killed: its silence reported 2 and 3 unavailable. `remove 2` purges
  // it and 3 sits under 1. The purge itself prints nothing; when 3 is heard
  // from under 1, "available again" follows, then its next silence.
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}, {3, 2}});
  t.MarkDead(2);
  ASSERT_THAT(Lines(t.SetLinkUp(2, false)), ElementsAre("2-", "3-"));
  t.Remove(2);
  ASSERT_TRUE(t.Reachable(3));
  EXPECT_THAT(Lines(t.SetLinkUp(3, true)), ElementsAre("3+"));
  EXPECT_THAT(Lines(t.SetLinkUp(3, false)), ElementsAre("3-"));
}

TEST_F(TopologyFixture, RouteIsThePathFromTheRoot) {
  EXPECT_THAT(t_.Route(3), ElementsAre(1, 2, 3));
  EXPECT_THAT(t_.Route(1), ElementsAre(1));
  EXPECT_THAT(t_.Route(7), ElementsAre(6, 7));
  EXPECT_THAT(t_.Route(9), ElementsAre(8, 9));  // routes ignore state
  EXPECT_THAT(t_.Route(99), IsEmpty());
  EXPECT_THAT(t_.Route(kControllerId), IsEmpty());
}

TEST(TopologyTest, RouteLengthIsTheDepthNotTheSize) {
  Topology t;
  constexpr NodeId kDepth = 1000;
  AddAlive(t, 0, kControllerId);
  for (NodeId id = 1; id < kDepth; ++id) AddAlive(t, id, id - 1);
  for (NodeId id = kDepth; id < 2 * kDepth; ++id) AddAlive(t, id, kControllerId);  // wide
  Topology::Path deep = t.Route(kDepth - 1);
  ASSERT_EQ(deep.size(), static_cast<size_t>(kDepth));
  for (NodeId i = 0; i < kDepth; ++i) EXPECT_EQ(deep[i], i);
  EXPECT_THAT(t.Route(kDepth + 5), ElementsAre(kDepth + 5));
  EXPECT_THAT(t.Route(2), ElementsAre(0, 1, 2));
}

struct ReachCase {
  NodeId id;
  bool reachable;
  bool links_up;
};

void PrintTo(const ReachCase& c, std::ostream* os) { *os << "node " << c.id; }

class ReachableTest : public TopologyFixture, public ::testing::WithParamInterface<ReachCase> {};

TEST_P(ReachableTest, FollowsThePath) {
  EXPECT_EQ(t_.Reachable(GetParam().id), GetParam().reachable);
  EXPECT_EQ(t_.LinksUp(GetParam().id), GetParam().links_up);
}

INSTANTIATE_TEST_SUITE_P(Fixture, ReachableTest,
                         ::testing::ValuesIn(std::vector<ReachCase>{
                             {1, true, true},
                             {3, true, true},
                             {4, false, true},  // dead: links say nothing of death
                             {5, false, true},  // creating
                             {6, false, false},
                             {7, false, false},  // behind a down link
                             {8, false, true},
                             {9, false, true},  // behind a dead node
                             {99, false, false},
                         }));

TEST(SetLinkUpTest, SubtreeSortedByIdWithDeadNodesAndSilentCreatingOnes) {
  //   20 ─┬─ 3 ── 50 (dead)
  //       └─ 40 ── 10
  //          └─ 12 (creating)
  Topology t;
  AddAlive(t, {{20, -1}, {3, 20}, {50, 3}, {40, 20}, {10, 40}});
  t.BeginCreate(12, 40);
  t.MarkDead(50);
  AddAlive(t, 1, kControllerId);  // another subtree: never mentioned

  EXPECT_THAT(Lines(t.SetLinkUp(20, false)), ElementsAre("3-", "10-", "20-", "40-", "50-"));
  EXPECT_THAT(t.SetLinkUp(20, false), IsEmpty());  // no transition, no line
  EXPECT_THAT(t.SetLinkUp(40, false), IsEmpty());  // already unavailable
  // A dead node is reported gone with its link, never available again.
  EXPECT_THAT(Lines(t.SetLinkUp(20, true)), ElementsAre("3+", "20+"));
  EXPECT_FALSE(t.LinksUp(10));
  EXPECT_THAT(Lines(t.SetLinkUp(40, true)), ElementsAre("10+", "40+"));
  EXPECT_TRUE(t.LinksUp(12));

  // Once created, 12 takes part like any other node.
  t.FinishCreate(12, "ipc:///tmp/a/12.1");
  EXPECT_THAT(Lines(t.SetLinkUp(40, false)), ElementsAre("10-", "12-", "40-"));
  EXPECT_THAT(Lines(t.SetLinkUp(40, true)), ElementsAre("10+", "12+", "40+"));
  EXPECT_THAT(t.SetLinkUp(99, false), IsEmpty());
}

TEST(SetLinkUpTest, LeafDeadAndCreatingNodes) {
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}});
  EXPECT_THAT(Lines(t.SetLinkUp(2, false)), ElementsAre("2-"));
  EXPECT_TRUE(t.Reachable(1));
  EXPECT_FALSE(t.Reachable(2));
  EXPECT_THAT(Lines(t.SetLinkUp(2, true)), ElementsAre("2+"));
  EXPECT_TRUE(t.Reachable(2));
  // kill -9: requests fail at once (dead); the Heartbit line comes from silence.
  t.MarkDead(2);
  EXPECT_THAT(Lines(t.SetLinkUp(2, false)), ElementsAre("2-"));
  // A node being created is silent either way.
  t.BeginCreate(7, kControllerId);
  EXPECT_THAT(t.SetLinkUp(7, false), IsEmpty());
  EXPECT_THAT(t.SetLinkUp(7, true), IsEmpty());
}

TEST(SetLinkUpTest, ADeadNodesLinkNeverComesUp) {
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}, {3, 2}});
  EXPECT_THAT(Lines(t.SetLinkUp(2, false)), ElementsAre("2-", "3-"));
  t.MarkDead(2);
  // What it sent before it died, arriving late (a cut link restored), never
  // brings it or what is behind it back.
  EXPECT_THAT(t.SetLinkUp(2, true), IsEmpty());
  EXPECT_FALSE(t.Reachable(3));
}

TEST(ClearLinksTest, EveryLinkUpSilently) {
  Topology t;
  AddAlive(t, {{1, -1}, {2, 1}, {3, -1}});
  ASSERT_THAT(Lines(t.SetLinkUp(1, false)), ElementsAre("1-", "2-"));
  ASSERT_THAT(Lines(t.SetLinkUp(3, false)), ElementsAre("3-"));
  t.ClearLinks();
  for (NodeId id : {1, 2, 3}) {
    EXPECT_TRUE(t.LinksUp(id)) << id;
    EXPECT_TRUE(t.Reachable(id)) << id;
  }
  // Nothing was reported back up, and a new silence reports again.
  EXPECT_THAT(t.SetLinkUp(1, true), IsEmpty());
  EXPECT_THAT(Lines(t.SetLinkUp(1, false)), ElementsAre("1-", "2-"));
}

TEST(RowsTest, DepthFirstChildrenAndRootsById) {
  Topology t;
  EXPECT_THAT(t.Rows(), IsEmpty());
  AddAlive(t, {{10, -1}, {2, -1}, {12, 10}, {11, 10}, {100, 11}, {5, 2}});
  std::vector<std::string> rows;
  for (const Topology::Row& r : t.Rows()) rows.push_back(absl::StrCat(r.depth, ":", r.node->id));
  EXPECT_THAT(rows, ElementsAre("0:2", "1:5", "0:10", "1:11", "2:100", "1:12"));
}

TEST_F(TopologyFixture, RowsWithEveryStateName) {
  t_.BeginReattach(2, /*hello_call=*/7);  // moving to a new parent: not available yet
  std::vector<std::string> rows;
  for (const Topology::Row& r : t_.Rows()) {
    rows.push_back(absl::StrCat(std::string(2 * r.depth, ' '), r.node->id, " ",
                                arbor::cli::StateName(ShownState(*r.node, t_.Reachable(r.node->id)))));
  }
  EXPECT_THAT(
      rows, ElementsAre("1 available", "  2 unavailable", "    3 available", "4 dead", "5 creating",
                        "6 unavailable", "  7 unavailable", "8 dead", "  9 unavailable"));
}

TEST_F(TopologyFixture, SettlingWhileCreatingMovingOrRemoving) {
  EXPECT_TRUE(t_.Settling(5));
  EXPECT_FALSE(t_.Settling(3));
  EXPECT_FALSE(t_.Settling(4));  // dead is settled
  EXPECT_FALSE(t_.Settling(99));

  t_.BeginReattach(2, /*hello_call=*/7);
  EXPECT_TRUE(t_.Settling(2));
  EXPECT_TRUE(t_.Settling(3));  // below a moving node
  EXPECT_FALSE(t_.Settling(1));
  t_.EndReattach(2);

  t_.BeginRemove(1);
  EXPECT_TRUE(t_.Settling(3));
  EXPECT_FALSE(t_.Settling(6));
  t_.RemoveFailed(1);

  t_.BeginCreate(30, 3);
  t_.BeginCreate(31, 30);  // a node under one being created
  EXPECT_TRUE(t_.Settling(31));
  EXPECT_FALSE(t_.Settling(3));
}

TEST_F(TopologyFixture, SubtreeAndIsOnRoute) {
  EXPECT_THAT(t_.Subtree(1), UnorderedElementsAre(1, 2, 3));
  EXPECT_THAT(t_.Subtree(3), ElementsAre(3));
  EXPECT_THAT(t_.Subtree(99), IsEmpty());
  EXPECT_TRUE(t_.IsOnRoute(1, 3));
  EXPECT_TRUE(t_.IsOnRoute(3, 3));
  EXPECT_FALSE(t_.IsOnRoute(3, 1));
  EXPECT_FALSE(t_.IsOnRoute(6, 3));
  EXPECT_FALSE(t_.IsOnRoute(99, 3));
  EXPECT_THAT(t_.roots(), ElementsAre(1, 4, 5, 6, 8));
  EXPECT_EQ(t_.size(), 9u);
}

}  // namespace
}  // namespace arbor::tree

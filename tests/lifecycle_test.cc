// tree/topology: a node's lifecycle -- every named transition from every state,
// the Hello checks, and what the dispatch queue reads (generation, reattaching).
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "tree/topology.h"

namespace arbor::tree {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;

constexpr NodeId kParent = 1;
constexpr NodeId kSubject = 2;
constexpr NodeId kChild = 3;
constexpr CallId kHelloCall = 42;

void AddAlive(Topology& t, NodeId id, NodeId parent) {
  ASSERT_THAT(t.CheckCreate(id, parent), IsOk());
  t.BeginCreate(id, parent);
  t.Spawned(id, static_cast<pid_t>(1000 + id), 0);
  t.FinishCreate(id, absl::StrCat("ipc:///tmp/a/", id));
}

// 1 ─ 2 ─ 3, with 2 (the subject) brought into `state`.
Topology With(Lifecycle state) {
  Topology t;
  AddAlive(t, kParent, kControllerId);
  if (state == Lifecycle::kCreating) {
    t.BeginCreate(kSubject, kParent);
    t.Spawned(kSubject, 1002, kHelloCall);
    return t;
  }
  AddAlive(t, kSubject, kParent);
  AddAlive(t, kChild, kSubject);
  switch (state) {
    case Lifecycle::kOrphaned:
      t.MarkDead(kParent);
      break;
    case Lifecycle::kReattaching:
      t.BeginReattach(kSubject, kHelloCall);
      break;
    case Lifecycle::kRemoving:
      t.BeginRemove(kSubject);
      break;
    case Lifecycle::kLeaving:
      t.BeginRemove(kSubject);
      t.Exited(kSubject);
      break;
    case Lifecycle::kDead:
      t.MarkDead(kSubject);
      break;
    default:
      break;
  }
  return t;
}

const Lifecycle kAll[] = {Lifecycle::kCreating, Lifecycle::kAlive,    Lifecycle::kOrphaned,
                          Lifecycle::kReattaching, Lifecycle::kRemoving, Lifecycle::kLeaving,
                          Lifecycle::kDead};

TEST(LifecycleTest, EveryStateCanBeReached) {
  for (Lifecycle state : kAll) {
    Topology t = With(state);
    ASSERT_NE(t.Find(kSubject), nullptr) << LifecycleName(state);
    EXPECT_EQ(t.Find(kSubject)->state, state) << LifecycleName(state);
  }
}

struct Case {
  std::string transition;
  std::function<void(Topology&)> apply;
  Lifecycle from;
  std::optional<Lifecycle> want;  // nullopt: erased
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.transition << " from " << LifecycleName(c.from);
}

class TransitionTest : public ::testing::TestWithParam<Case> {};

TEST_P(TransitionTest, EndsIn) {
  const Case& c = GetParam();
  Topology t = With(c.from);
  uint64_t before = t.generation();
  c.apply(t);
  const Node* n = t.Find(kSubject);
  if (!c.want) {
    EXPECT_EQ(n, nullptr);
    return;
  }
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(LifecycleName(n->state), LifecycleName(*c.want));
  if (n->state != c.from) {
    EXPECT_GT(t.generation(), before) << "a change bumps the generation";
  }
  EXPECT_EQ(t.AnyReattaching(), n->state == Lifecycle::kReattaching);
}

// Each transition from each state it is defined for, and from the others it
// must leave alone.
std::vector<Case> Cases() {
  using L = Lifecycle;
  std::vector<Case> cases;
  auto add = [&](std::string name, std::function<void(Topology&)> apply,
                 std::vector<std::pair<L, std::optional<L>>> rows) {
    for (auto& [from, want] : rows) cases.push_back({name, apply, from, want});
  };
  add("BeginCreate (a re-create over a dead node)",
      [](Topology& t) { t.BeginCreate(kSubject, kParent); }, {{L::kDead, L::kCreating}});
  add("Spawned", [](Topology& t) { t.Spawned(kSubject, 2002, kHelloCall); },
      {{L::kCreating, L::kCreating}, {L::kAlive, L::kAlive}});
  add("FinishCreate", [](Topology& t) { t.FinishCreate(kSubject, "ipc:///tmp/a/2"); },
      {{L::kCreating, L::kAlive}});
  add("AbortCreate", [](Topology& t) { t.AbortCreate(kSubject); },
      {{L::kCreating, std::nullopt}});
  add("MarkDead", [](Topology& t) { t.MarkDead(kSubject); },
      {{L::kCreating, L::kDead}, {L::kAlive, L::kDead}, {L::kOrphaned, L::kDead},
       {L::kReattaching, L::kDead}, {L::kRemoving, L::kDead}, {L::kLeaving, L::kDead},
       {L::kDead, L::kDead}});
  add("BeginRemove", [](Topology& t) { t.BeginRemove(kSubject); },
      {{L::kAlive, L::kRemoving}, {L::kOrphaned, L::kRemoving}, {L::kCreating, L::kCreating},
       {L::kReattaching, L::kReattaching}, {L::kRemoving, L::kRemoving},
       {L::kLeaving, L::kLeaving}, {L::kDead, L::kDead}});
  add("Exited", [](Topology& t) { t.Exited(kSubject); },
      {{L::kRemoving, L::kLeaving}, {L::kAlive, L::kAlive}, {L::kLeaving, L::kLeaving},
       {L::kDead, L::kDead}});
  add("RemoveFailed", [](Topology& t) { t.RemoveFailed(kSubject); },
      {{L::kRemoving, L::kAlive}, {L::kLeaving, L::kLeaving}, {L::kAlive, L::kAlive},
       {L::kDead, L::kDead}});
  add("RemoveFailed after the parent died",
      [](Topology& t) {
        t.MarkDead(kParent);
        t.RemoveFailed(kSubject);
      },
      {{L::kRemoving, L::kOrphaned}});
  add("Remove", [](Topology& t) { t.Remove(kSubject); },
      {{L::kRemoving, std::nullopt}, {L::kLeaving, std::nullopt}, {L::kDead, std::nullopt},
       {L::kReattaching, std::nullopt}});
  add("BeginReattach", [](Topology& t) { t.BeginReattach(kSubject, kHelloCall); },
      {{L::kAlive, L::kReattaching}, {L::kOrphaned, L::kReattaching},
       {L::kCreating, L::kCreating}, {L::kRemoving, L::kRemoving}, {L::kDead, L::kDead}});
  add("EndReattach", [](Topology& t) { t.EndReattach(kSubject); },
      {{L::kReattaching, L::kAlive}, {L::kAlive, L::kAlive}, {L::kOrphaned, L::kOrphaned},
       {L::kDead, L::kDead}});
  add("EndReattach after the parent died",
      [](Topology& t) {
        t.MarkDead(kParent);
        t.EndReattach(kSubject);
      },
      {{L::kReattaching, L::kOrphaned}});
  add("TakeHello",
      [](Topology& t) {
        t.TakeHello({kParent, kSubject, kParent, 1002, 9}, "ipc:///tmp/a/2.b");
      },
      {{L::kOrphaned, L::kAlive}, {L::kReattaching, L::kAlive}, {L::kAlive, L::kAlive},
       {L::kRemoving, L::kRemoving}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Lifecycle, TransitionTest, ::testing::ValuesIn(Cases()));

TEST(LifecycleTest, MarkDeadOrphansOnlyAliveChildren) {
  Topology t = With(Lifecycle::kAlive);
  AddAlive(t, 4, kSubject);
  t.BeginRemove(4);
  t.MarkDead(kSubject);
  EXPECT_EQ(t.Find(kChild)->state, Lifecycle::kOrphaned);
  EXPECT_EQ(t.Find(4)->state, Lifecycle::kRemoving);  // its remove's answer decides
}

TEST(LifecycleTest, RemoveFailedSaysWhetherTheProcessHadExited) {
  Topology removing = With(Lifecycle::kRemoving);
  EXPECT_FALSE(removing.RemoveFailed(kSubject));
  Topology leaving = With(Lifecycle::kLeaving);
  EXPECT_TRUE(leaving.RemoveFailed(kSubject));
}

TEST(LifecycleTest, TakeHelloSaysWhetherItIsAnAdoption) {
  HelloClaim same{kParent, kSubject, kParent, 1002, 9};
  Topology orphaned = With(Lifecycle::kOrphaned);
  EXPECT_TRUE(orphaned.TakeHello(same, "e"));
  Topology told = With(Lifecycle::kReattaching);
  EXPECT_FALSE(told.TakeHello(same, "e"));  // it was told to move: not news
  EXPECT_EQ(told.Find(kSubject)->hello_call, 0u);
  Topology alive = With(Lifecycle::kAlive);
  EXPECT_FALSE(alive.TakeHello(same, "e"));
  // Heard from under its grandparent: adopted, and it moved there.
  Topology moved = With(Lifecycle::kAlive);
  AddAlive(moved, 5, kControllerId);
  EXPECT_TRUE(moved.TakeHello({5, kSubject, 5, 1002, 9}, "e"));
  EXPECT_EQ(moved.Find(kSubject)->parent, 5);
  EXPECT_THAT(moved.Route(kChild), ElementsAre(5, kSubject, kChild));
  EXPECT_EQ(moved.Find(kSubject)->endpoint, "e");
  EXPECT_EQ(moved.Find(kSubject)->hello_attempt, 9u);
}

TEST(LifecycleTest, PidsAreIndexedWhileTheirProcessMayStillExit) {
  Topology t = With(Lifecycle::kCreating);
  EXPECT_EQ(t.NodeOfPid(1002), kSubject);
  EXPECT_EQ(t.Find(kSubject)->hello_call, kHelloCall);
  t.AbortCreate(kSubject);
  EXPECT_EQ(t.NodeOfPid(1002), std::nullopt);
  Topology removed = With(Lifecycle::kRemoving);
  EXPECT_EQ(removed.NodeOfPid(1002), kSubject);
  removed.Remove(kSubject);
  EXPECT_EQ(removed.NodeOfPid(1002), std::nullopt);
  // A re-created node answers for its new pid only.
  Topology again = With(Lifecycle::kDead);
  again.BeginCreate(kSubject, kParent);
  again.Spawned(kSubject, 2002, kHelloCall);
  EXPECT_EQ(again.NodeOfPid(1002), std::nullopt);
  EXPECT_EQ(again.NodeOfPid(2002), kSubject);
}

TEST(LifecycleTest, ReattachingCountFollowsEveryWayOut) {
  Topology t = With(Lifecycle::kAlive);
  t.BeginReattach(kChild, 7);
  t.BeginReattach(kSubject, 8);
  EXPECT_TRUE(t.AnyReattaching());
  t.MarkDead(kChild);
  EXPECT_TRUE(t.AnyReattaching());
  t.Remove(kSubject);
  EXPECT_FALSE(t.AnyReattaching());
}

struct HelloCase {
  std::string name;
  HelloClaim claim;
  absl::StatusCode want;
};

void PrintTo(const HelloCase& c, std::ostream* os) { *os << c.name; }

class CheckHelloTest : public ::testing::TestWithParam<HelloCase> {};

TEST_P(CheckHelloTest, Verdict) {
  // 1 ─ 2 ─ 3 alive (2 took attempt 5), 4 dead, 6 being created under 1.
  Topology t;
  AddAlive(t, 1, kControllerId);
  AddAlive(t, 2, 1);
  AddAlive(t, 3, 2);
  t.TakeHello({1, 2, 1, 1002, 5}, "e");
  AddAlive(t, 4, kControllerId);
  t.MarkDead(4);
  t.BeginCreate(6, 1);
  t.Spawned(6, 1006, 9);
  EXPECT_THAT(t.CheckHello(GetParam().claim), StatusIs(GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Claims, CheckHelloTest,
    ::testing::ValuesIn(std::vector<HelloCase>{
        {"a newer Hello", {1, 2, 1, 1002, 6}, absl::StatusCode::kOk},
        {"attempt 0 (an old worker)", {1, 2, 1, 1002, 0}, absl::StatusCode::kOk},
        {"a creating node under its parent", {1, 6, 1, 1006, 1}, absl::StatusCode::kOk},
        {"a root", {1, 1, kControllerId, 1001, 1}, absl::StatusCode::kOk},
        {"unknown node", {1, 9, 1, 1009, 1}, absl::StatusCode::kNotFound},
        {"an old incarnation's pid", {1, 2, 1, 999, 6}, absl::StatusCode::kNotFound},
        {"a dead node", {4, 4, kControllerId, 1004, 9}, absl::StatusCode::kNotFound},
        {"created under another parent", {1, 6, 2, 1006, 1},
         absl::StatusCode::kInvalidArgument},
        {"forwarded late", {1, 2, 1, 1002, 5}, absl::StatusCode::kAlreadyExists},
        {"unknown parent", {1, 2, 77, 1002, 6}, absl::StatusCode::kNotFound},
        {"under a dead parent", {4, 2, 4, 1002, 6}, absl::StatusCode::kNotFound},
        {"under its own subtree", {1, 2, 3, 1002, 6}, absl::StatusCode::kInvalidArgument},
        {"through another root", {4, 3, 2, 1003, 6}, absl::StatusCode::kInvalidArgument},
        {"adopted by its grandparent", {1, 3, 1, 1003, 6}, absl::StatusCode::kOk},

    }));

}  // namespace
}  // namespace arbor::tree

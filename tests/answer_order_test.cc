// cli/answer_order: answers about the same node print in input order; answers
// about different nodes print as they complete.
#include "cli/answer_order.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace arbor::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// The answer line of command number `seq` in a scenario.
std::string Answer(uint64_t seq) { return absl::StrCat("answer ", seq); }

struct Step {
  uint64_t complete;              // this command's answer arrives
  std::vector<uint64_t> printed;  // the commands whose lines print now, in order
};

struct Scenario {
  std::string name;
  std::vector<std::vector<NodeId>> commands;  // nodes of command 1, 2, ...
  std::vector<Step> steps;
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

class AnswerOrderScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(AnswerOrderScenarioTest, PrintsInTheRightOrder) {
  const Scenario& s = GetParam();
  AnswerOrder order;
  for (size_t i = 0; i < s.commands.size(); ++i) {
    ASSERT_EQ(order.Add(s.commands[i]), i + 1);
  }
  for (const Step& step : s.steps) {
    std::vector<std::string> want;
    for (uint64_t p : step.printed) want.push_back(Answer(p));
    EXPECT_EQ(order.Complete(step.complete, {Answer(step.complete)}), want)
        << "completing command " << step.complete;
  }
  EXPECT_EQ(order.waiting(), 0u);
  EXPECT_EQ(order.oldest(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, AnswerOrderScenarioTest,
    ::testing::ValuesIn(std::vector<Scenario>{
        {"SameNodeInInputOrder", {{1}, {1}, {1}}, {{3, {}}, {2, {}}, {1, {1, 2, 3}}}},
        {"SameNodeReleasedOneByOne", {{1}, {1}, {1}}, {{2, {}}, {1, {1, 2}}, {3, {3}}}},
        {"SameNodeAlreadyInOrder", {{1}, {1}}, {{1, {1}}, {2, {2}}}},
        {"DifferentNodesAsTheyComplete", {{1}, {2}, {3}}, {{3, {3}}, {1, {1}}, {2, {2}}}},
        {"OtherNodeNotHeldBySlowNode", {{1}, {2}, {1}}, {{2, {2}}, {3, {}}, {1, {1, 3}}}},
        {"NodelessCommandsPrintAtOnce", {{1}, {}, {}}, {{3, {3}}, {2, {2}}, {1, {1}}}},
        {"CreateWaitsForParentsEarlierAnswer",  // exec 4; create 5 4; exec 5
         {{4}, {5, 4}, {5}},
         {{2, {}}, {3, {}}, {1, {1, 2, 3}}}},
        {"CreateHoldsLaterAnswersOnTheParent",  // create 5 4; exec 4
         {{5, 4}, {4}},
         {{2, {}}, {1, {1, 2}}}},
        {"CreateHoldsLaterAnswersOnTheChild",  // create 5 4; exec 5
         {{5, 4}, {5}},
         {{2, {}}, {1, {1, 2}}}},
        {"CreateDoesNotHoldUnrelatedNodes",  // create 5 4; exec 6; exec 4
         {{5, 4}, {6}, {4}},
         {{2, {2}}, {3, {}}, {1, {1, 3}}}},
        {"CreateUnderTheController",  // create 5; exec 5; exec 4
         {{5}, {5}, {4}},
         {{3, {3}}, {2, {}}, {1, {1, 2}}}},
        {"TwoCreatesSharingAParent",  // create 5 4; create 6 4
         {{5, 4}, {6, 4}},
         {{2, {}}, {1, {1, 2}}}},
        {"ChainThroughSharedNodes",  // exec 1; create 2 1; create 3 2; exec 3
         {{1}, {2, 1}, {3, 2}, {3}},
         {{4, {}}, {3, {}}, {2, {}}, {1, {1, 2, 3, 4}}}},
        {"DuplicateNodeInOneCommand",  // create 5 5 (syntax is fine)
         {{5, 5}, {5}},
         {{1, {1}}, {2, {2}}}},
        {"DuplicateNodeWaits", {{5}, {5, 5}}, {{2, {}}, {1, {1, 2}}}},
    }),
    [](const ::testing::TestParamInfo<Scenario>& info) { return info.param.name; });

TEST(AnswerOrderTest, ReleasedAnswersOfDifferentNodesAllPrint) {
  // create 5 4; exec 4; exec 5 -- both execs done before the create.
  AnswerOrder order;
  uint64_t create = order.Add({5, 4});
  uint64_t exec4 = order.Add({4});
  uint64_t exec5 = order.Add({5});
  EXPECT_THAT(order.Complete(exec4, {"exec4"}), IsEmpty());
  EXPECT_THAT(order.Complete(exec5, {"exec5"}), IsEmpty());
  std::vector<std::string> out = order.Complete(create, {"create"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "create");
  EXPECT_THAT(std::vector<std::string>(out.begin() + 1, out.end()),
              UnorderedElementsAre("exec4", "exec5"));
  EXPECT_EQ(order.waiting(), 0u);
}

TEST(AnswerOrderTest, MultiLineAnswerPrintsWhole) {
  AnswerOrder order;
  uint64_t tree = order.Add({});
  EXPECT_THAT(order.Complete(tree, {"1 pid 10 available", "  2 pid 11 dead"}),
              ElementsAre("1 pid 10 available", "  2 pid 11 dead"));
}

TEST(AnswerOrderTest, MultiLineAnswerKeepsItsPlace) {
  AnswerOrder order;
  uint64_t a = order.Add({1});
  uint64_t b = order.Add({1});
  EXPECT_THAT(order.Complete(b, {"b1", "b2"}), IsEmpty());
  EXPECT_THAT(order.Complete(a, {"a1"}), ElementsAre("a1", "b1", "b2"));
}

TEST(AnswerOrderTest, UnknownOrRepeatedCompletionPrintsNothing) {
  AnswerOrder order;
  EXPECT_THAT(order.Complete(1, {"never added"}), IsEmpty());
  uint64_t a = order.Add({1});
  EXPECT_THAT(order.Complete(a + 1, {"not added yet"}), IsEmpty());
  EXPECT_THAT(order.Complete(a, {"a"}), ElementsAre("a"));
  EXPECT_THAT(order.Complete(a, {"a again"}), IsEmpty());
  EXPECT_THAT(order.Complete(0, {"zero"}), IsEmpty());
  EXPECT_EQ(order.waiting(), 0u);
}

TEST(AnswerOrderTest, SequenceNumbersStartAtOneAndNeverRepeat) {
  AnswerOrder order;
  EXPECT_EQ(order.Add({1}), 1u);
  EXPECT_EQ(order.Add({}), 2u);
  order.Complete(1, {"x"});
  order.Complete(2, {"y"});
  EXPECT_EQ(order.Add({1}), 3u);
}

TEST(AnswerOrderTest, OldestIsTheFirstCommandNotYetPrinted) {
  AnswerOrder order;
  EXPECT_EQ(order.oldest(), 0u);
  EXPECT_EQ(order.waiting(), 0u);
  uint64_t a = order.Add({1});
  uint64_t b = order.Add({1});
  uint64_t c = order.Add({2});
  EXPECT_EQ(order.oldest(), a);
  EXPECT_EQ(order.waiting(), 3u);

  // b is done but held behind a: a is still the oldest.
  order.Complete(b, {"b"});
  EXPECT_EQ(order.oldest(), a);
  EXPECT_EQ(order.waiting(), 3u);

  // c prints on its own; the oldest does not move.
  EXPECT_THAT(order.Complete(c, {"c"}), ElementsAre("c"));
  EXPECT_EQ(order.oldest(), a);
  EXPECT_EQ(order.waiting(), 2u);

  EXPECT_THAT(order.Complete(a, {"a"}), ElementsAre("a", "b"));
  EXPECT_EQ(order.oldest(), 0u);
  EXPECT_EQ(order.waiting(), 0u);

  uint64_t d = order.Add({3});
  EXPECT_EQ(order.oldest(), d);
}

TEST(AnswerOrderTest, OldestMovesPastAnswersPrintedOutOfOrder) {
  AnswerOrder order;
  uint64_t a = order.Add({1});
  uint64_t b = order.Add({2});
  order.Complete(a, {"a"});
  EXPECT_EQ(order.oldest(), b);
}

TEST(AnswerOrderTest, ManyCommandsOnOneNodeCompletedInReverse) {
  AnswerOrder order;
  constexpr int kCount = 1000;
  std::vector<uint64_t> seqs;
  for (int i = 0; i < kCount; ++i) seqs.push_back(order.Add({7}));
  for (int i = kCount - 1; i > 0; --i) {
    ASSERT_THAT(order.Complete(seqs[i], {absl::StrCat(i)}), IsEmpty());
  }
  std::vector<std::string> out = order.Complete(seqs[0], {"0"});
  ASSERT_EQ(out.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(out[i], absl::StrCat(i));
}

}  // namespace
}  // namespace arbor::cli

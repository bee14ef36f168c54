// `tree` and `remove` of the real `arbor` (README, "The command line"): the exact tree format,
// and children that move to their grandparent with their data.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"

namespace arbor::testing {
namespace {

std::string Row(int depth, int id, pid_t pid, const char* state) {
  return absl::StrCat(std::string(2 * depth, ' '), id, " pid ", pid, " ", state);
}

TEST(CliTreeProcessTest, TreeIsDepthFirstWithChildrenById) {
  ArborProcess arbor;
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine("(empty)"));
  pid_t p5 = 0, p3 = 0, p7 = 0, p4 = 0, p1 = 0, p20 = 0, p100 = 0;
  ASSERT_TRUE(arbor.Create("5", &p5));
  ASSERT_TRUE(arbor.Create("3", &p3));
  ASSERT_TRUE(arbor.Create("7 3", &p7));
  ASSERT_TRUE(arbor.Create("100 3", &p100));  // numeric order, not text order
  ASSERT_TRUE(arbor.Create("20 3", &p20));
  ASSERT_TRUE(arbor.Create("4 3", &p4));
  ASSERT_TRUE(arbor.Create("1 7", &p1));
  arbor.Send("tree");
  for (const std::string& line :
       {Row(0, 3, p3, "available"), Row(1, 4, p4, "available"), Row(1, 7, p7, "available"),
        Row(2, 1, p1, "available"), Row(1, 20, p20, "available"), Row(1, 100, p100, "available"),
        Row(0, 5, p5, "available")}) {
    EXPECT_TRUE(arbor.ExpectLine(line));
  }
  for (const char* id : {"5", "4", "7", "1", "20", "100", "3"}) {
    arbor.Send(absl::StrCat("remove ", id));
    EXPECT_TRUE(arbor.ExpectLine("Ok")) << "remove " << id;
  }
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine("(empty)"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliTreeProcessTest, RemoveReattachesChildrenWithTheirData) {
  // A long Hello deadline: a re-attached child that the controller fails to
  // register would stall the commands after `remove` past every wait below.
  ArborProcess arbor({"--hello-timeout-ms=30000"});
  pid_t p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("4 2", &p4));
  ASSERT_TRUE(arbor.Create("3 2", &p3));
  ASSERT_TRUE(arbor.Create("5 3", &p5));
  for (int id : {2, 3, 4, 5}) {
    arbor.Send(absl::StrCat("exec ", id, " k ", id));
    ASSERT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", id)));
  }
  arbor.Send("remove 2");
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  EXPECT_TRUE(arbor.WorkerExits(p2)) << "a removed worker exits";
  // The same processes, with their data, answer through their new parent.
  arbor.Send("exec 3 k");
  ASSERT_TRUE(arbor.ExpectLine("Ok:3: 3"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 3, p3, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(2, 5, p5, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 4, p4, "available")));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 4 k", "Ok:4: 4"},
      {"exec 5 k", "Ok:5: 5"},
      {"exec 4 k 44", "Ok:4"},
      {"exec 4 k", "Ok:4: 44"},
      {"ping 5", "Ok: 1"},
      {"create 6 3", ""},  // the moved node still takes children
      {"exec 6 k", "Ok:6: 'k' not found"},
      {"exec 2 k", "Error:2: Not found"},  // a removed id is gone
      {"ping 2", "Error: Not found"},
      {"remove 2", "Error: Not found"},
      {"create 7 2", "Error: Parent not found"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    if (output.empty()) {
      std::optional<std::string> line = arbor.ReadLine();
      ASSERT_TRUE(line.has_value());
      EXPECT_TRUE(PidOfOkLine(*line).has_value()) << input << " -> " << *line;
      continue;
    }
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  // A node under the controller hands its children to the controller.
  arbor.Send("remove 1");
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  EXPECT_TRUE(arbor.WorkerExits(p1));
  arbor.Send("exec 5 k");
  ASSERT_TRUE(arbor.ExpectLine("Ok:5: 5"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 3, p3, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 5, p5, "available")));
  std::optional<std::string> six = arbor.ReadLine();
  ASSERT_TRUE(six.has_value());
  EXPECT_TRUE(six->starts_with("  6 pid ") && six->ends_with(" available")) << *six;
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 4, p4, "available")));
  arbor.Send("remove 5");  // a leaf
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  EXPECT_TRUE(arbor.WorkerExits(p5));
  arbor.Send("exec 3 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:3: 3"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliTreeProcessTest, RemoveNeverStallsTheCommandsAfterIt) {
  // With a 30 s Hello deadline, a re-attached child the controller fails to
  // register stalls the next command to it far past the 10 s wait.
  ArborProcess arbor({"--hello-timeout-ms=30000"});
  for (int round = 0; round < 10; ++round) {
    const int parent = 2 * round + 1, child = 2 * round + 2;
    pid_t pp = 0, pc = 0;
    ASSERT_TRUE(arbor.Create(absl::StrCat(parent), &pp));
    ASSERT_TRUE(arbor.Create(absl::StrCat(child, " ", parent), &pc));
    arbor.Send(absl::StrCat("exec ", child, " k ", round));
    ASSERT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", child)));
    arbor.Send(absl::StrCat("remove ", parent));
    ASSERT_TRUE(arbor.ExpectLine("Ok"));
    arbor.Send(absl::StrCat("exec ", child, " k"));
    ASSERT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", child, ": ", round))) << "round " << round;
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliTreeProcessTest, RemoveRightAfterCreateHandsTheNewChildOver) {
  ArborProcess arbor({"--hello-timeout-ms=30000"});
  pid_t p1 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  // One write: the remove is read while 2 is still being created under 1.
  arbor.Send("create 2 1\nexec 2 k 7\nremove 1\nexec 2 k");
  std::vector<std::string> lines;
  for (int i = 0; i < 4; ++i) {
    std::optional<std::string> line = arbor.ReadLine();
    ASSERT_TRUE(line.has_value()) << "after " << i << " lines";
    lines.push_back(*line);
  }
  std::optional<pid_t> p2 = PidOfOkLine(lines[0]);
  ASSERT_TRUE(p2.has_value()) << lines[0];
  // Node 2's answers keep their order; remove 1's `Ok` may print among them.
  std::vector<std::string> of_two;
  for (const std::string& line : lines) {
    if (line != "Ok") of_two.push_back(line);
  }
  EXPECT_EQ(of_two, (std::vector<std::string>{lines[0], "Ok:2", "Ok:2: 7"}));
  EXPECT_TRUE(arbor.WorkerExits(p1));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 2, *p2, "available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliTreeProcessTest, TreeShowsDeadNodesUntilRemovedOrRecreated) {
  ArborProcess arbor;
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3", &p3));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p2));
  arbor.Send("ping 2");  // SIGCHLD makes it known dead at once
  EXPECT_TRUE(arbor.ExpectLine("Ok: 0"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 2, p2, "dead")));
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 3, p3, "available")));
  arbor.Send("remove 2");  // a node known dead is purged
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 3, p3, "available")));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Error:2: Not found"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliTreeProcessTest, TreeShowsTheStateAtItsPlaceInTheInput) {
  // `tree` waits for every command before it and shows the state they leave
  // (docs/DECISIONS.md "Ordering"), never the effect of a later command.
  ArborProcess arbor;
  pid_t p1 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p1));
  arbor.Send("ping 1");
  ASSERT_TRUE(arbor.ExpectLine("Ok: 0"));
  // One write: the tree waits for create 2 while remove 1 is already read.
  arbor.Send("create 2\ntree\nremove 1");
  std::vector<std::string> tree;
  std::optional<pid_t> p2;
  bool removed = false;
  // Until the remove's `Ok` and the tree's last row (node 2's) have printed.
  while (!removed || tree.empty() || !tree.back().starts_with("2 pid ")) {
    std::optional<std::string> line = arbor.ReadLine();
    ASSERT_TRUE(line.has_value());
    if (*line == "Ok") {
      removed = true;  // remove 1 concerns node 1 only: it may print first
    } else if (!p2 && PidOfOkLine(*line)) {
      p2 = PidOfOkLine(*line);
    } else {
      tree.push_back(*line);
    }
  }
  ASSERT_TRUE(p2.has_value()) << "no create answer";
  EXPECT_EQ(tree, (std::vector<std::string>{Row(0, 1, p1, "dead"), Row(0, 2, *p2, "available")}));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 2, *p2, "available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

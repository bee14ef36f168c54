// SIGSTOP / SIGCONT against the real `arbor` (README, "How it works"): a frozen node is
// reported by the heartbeat, never delays other nodes, never applies late work.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"

namespace arbor::testing {
namespace {

std::string Row(int depth, int id, pid_t pid, const char* state) {
  return absl::StrCat(std::string(2 * depth, ' '), id, " pid ", pid, " ", state);
}

TEST(FreezeProcessTest, HeartbitReportsAFrozenSubtreeAndItsReturn) {
  ArborProcess arbor;
  pid_t p1 = 0, p2 = 0, p9 = 0, p10 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("10 2", &p10));
  ASSERT_TRUE(arbor.Create("9 2", &p9));
  ASSERT_TRUE(arbor.Create("3 1", &p3));
  arbor.Send("exec 2 k 1");
  ASSERT_TRUE(arbor.ExpectLine("Ok:2"));
  arbor.Send("heartbit 200");
  ASSERT_TRUE(arbor.ExpectLine("Ok"));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGSTOP));
  // After 4 x 200 ms of silence: the node and the subtree behind it, by id.
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 2 is unavailable now"));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 9 is unavailable now"));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 10 is unavailable now"));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 2 k 2", "Error:2: Node is unavailable"},
      {"exec 10 k", "Error:10: Node is unavailable"},
      {"ping 2", "Ok: 0"},
      {"exec 3 k 3", "Ok:3"},  // the sibling and the parent keep answering
      {"exec 1 k", "Ok:1: 'k' not found"},
      {"ping 3", "Ok: 1"},
      {"create 2", "Error: Already exists"},  // frozen is still in use
      {"create 11 2", "Error: Parent is unavailable"},
      {"create 11 9", "Error: Parent is unavailable"},
      {"remove 2", "Error: Node is unavailable"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    ASSERT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  arbor.Send("tree");
  for (const std::string& row :
       {Row(0, 1, p1, "available"), Row(1, 2, p2, "unavailable"), Row(2, 9, p9, "unavailable"),
        Row(2, 10, p10, "unavailable"), Row(1, 3, p3, "available")}) {
    EXPECT_TRUE(arbor.ExpectLine(row));
  }
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGCONT));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 2 is available again"));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 9 is available again"));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 10 is available again"));
  // The save sent while it was frozen failed, so it was never applied.
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 1"));
  arbor.Send("exec 10 k 10");
  EXPECT_TRUE(arbor.ExpectLine("Ok:10"));
  arbor.Send("tree");
  for (const std::string& row :
       {Row(0, 1, p1, "available"), Row(1, 2, p2, "available"), Row(2, 9, p9, "available"),
        Row(2, 10, p10, "available"), Row(1, 3, p3, "available")}) {
    EXPECT_TRUE(arbor.ExpectLine(row));
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FreezeProcessTest, ASaveThatTimedOutIsNeverAppliedLate) {
  // No heartbeat: the controller cannot know, so the saves really travel and
  // wait in the frozen process's socket until their deadline has passed.
  ArborProcess arbor({"--timeout-ms=500"});
  pid_t p1 = 0, p2 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  arbor.Send("exec 1 k 1");
  ASSERT_TRUE(arbor.ExpectLine("Ok:1"));
  arbor.Send("exec 2 k 2");
  ASSERT_TRUE(arbor.ExpectLine("Ok:2"));
  // The frozen node itself.
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGSTOP));
  arbor.Send("exec 2 k 22");
  EXPECT_TRUE(arbor.ExpectLine("Error:2: Node is unavailable"));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGCONT));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 2"));
  // A frozen hop on the way: the save waits at node 1, bound for node 2.
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGSTOP));
  arbor.Send("exec 2 k 222");
  EXPECT_TRUE(arbor.ExpectLine("Error:2: Node is unavailable"));
  arbor.Send("exec 1 k 11");
  EXPECT_TRUE(arbor.ExpectLine("Error:1: Node is unavailable"));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGCONT));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 2"));
  arbor.Send("exec 1 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:1: 1"));
  arbor.Send("ping 2");
  EXPECT_TRUE(arbor.ExpectLine("Ok: 1"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FreezeProcessTest, AFrozenNodeDoesNotDelayAnswersOfOtherNodes) {
  // A deadline well above the other answers' time, yet below the 6 s ZMTP
  // heartbeat timeout that drops a frozen peer's connection (after that, a
  // request sent the instant it wakes finds no route until it reconnects).
  ArborProcess arbor({"--timeout-ms=3000"});
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2", &p2));
  ASSERT_TRUE(arbor.Create("3 2", &p3));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGSTOP));
  absl::Time sent = absl::Now();
  arbor.Send("exec 1 k 1");
  arbor.Send("exec 2 k 2");
  arbor.Send("ping 3");
  arbor.Send("heartbit 0");
  // Everything else answers while node 1's request waits for its deadline.
  EXPECT_TRUE(arbor.ExpectLinesAnyOrder({"Ok:2", "Ok: 1", "Ok"}));
  EXPECT_LT(absl::Now() - sent, absl::Milliseconds(2500));
  EXPECT_TRUE(arbor.ExpectLine("Error:1: Node is unavailable"));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGCONT));
  arbor.Send("exec 1 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:1: 'k' not found"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FreezeProcessTest, SyncModeWaitsForEachAnswerInTurn) {
  ArborProcess arbor({"--sync", "--timeout-ms=500"});
  pid_t p1 = 0, p2 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2", &p2));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGSTOP));
  arbor.Send("exec 1 k 1\nexec 2 k 2\nheartbit 0\nping 1\nexec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Error:1: Node is unavailable"));
  EXPECT_TRUE(arbor.ExpectLine("Ok:2"));
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  EXPECT_TRUE(arbor.ExpectLine("Ok: 0"));
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 2"));
  EXPECT_TRUE(arbor.FinishCleanly()) << "a stopped worker is ended at shutdown";
}

TEST(FreezeProcessTest, ARequestToAFrozenNodePendingAtEofIsAnsweredBeforeExit) {
  ArborProcess arbor;
  pid_t p1 = 0, p2 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGSTOP));
  arbor.SendRaw("exec 2 k 5\nping 1\n");
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  std::sort(lines->begin(), lines->end());
  EXPECT_EQ(*lines, (std::vector<std::string>{"Error:2: Node is unavailable", "Ok: 0"}));
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft()) << "the frozen worker and its child are ended";
  EXPECT_TRUE(arbor.TmpdirEntries().empty());
}

TEST(FreezeProcessTest, HeartbitZeroClearsStatesSilently) {
  ArborProcess arbor;
  pid_t p1 = 0, p2 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  arbor.Send("heartbit 150");
  ASSERT_TRUE(arbor.ExpectLine("Ok"));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGSTOP));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 2 is unavailable now"));
  arbor.Send("heartbit 0");
  ASSERT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 2, p2, "available")));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGCONT));
  arbor.Send("exec 2 k 1");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2"));
  // A new period restarts every clock: the awake tree stays available.
  arbor.Send("heartbit 150");
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 1"));
  EXPECT_TRUE(arbor.FinishCleanly()) << "no `available again` line after heartbit 0";
}

}  // namespace
}  // namespace arbor::testing

// kill -9 against the real `arbor` (README, "How it works"): of a leaf, of a middle node, of
// the controller; the sample session of README "The command line"; signals to the controller.
#include <signal.h>

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

// A request deadline far above the "at once" bound, so an answer that only
// came at the deadline is told apart from one caused by SIGCHLD.
constexpr absl::Duration kAtOnce = absl::Seconds(4);
const char kLongDeadline[] = "--timeout-ms=20000";

TEST(FailureProcessTest, SampleSessionOfTheDesign) {
  ArborProcess arbor;
  pid_t p10 = 0, p12 = 0;
  ASSERT_TRUE(arbor.Create("10 -1", &p10));
  ASSERT_TRUE(arbor.Create("12 10", &p12));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 10 MyVar", "Ok:10: 'MyVar' not found"},
      {"exec 10 MyVar 5", "Ok:10"},
      {"exec 12 MyVar", "Ok:12: 'MyVar' not found"},
      {"exec 10 MyVar", "Ok:10: 5"},
      {"exec 10 MyVar 7", "Ok:10"},
      {"exec 10 MyVar", "Ok:10: 7"},
      {"heartbit 200", "Ok"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    ASSERT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  absl::Time killed = absl::Now();
  ASSERT_TRUE(arbor.SignalWorker(p12, SIGKILL));
  // From the silence detector (4 x 200 ms of silence), not from SIGCHLD: the
  // last beat came at most one period before the kill.
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 12 is unavailable now"));
  EXPECT_GE(absl::Now() - killed, absl::Milliseconds(3 * 200 - 50));
  arbor.Send("exec 12 MyVar");
  EXPECT_TRUE(arbor.ExpectLine("Error:12: Node is unavailable"));
  arbor.Send("create 13 99");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent not found"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 10, p10, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 12, p12, "dead")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FailureProcessTest, HeartbitSaysNothingOfRemovedOrRecreatedNodes) {
  ArborProcess arbor;
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3", &p3));
  arbor.Send("heartbit 100");
  ASSERT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("remove 2");
  ASSERT_TRUE(arbor.ExpectLine("Ok"));
  ASSERT_TRUE(arbor.WorkerExits(p2));
  // Killed after the remove: a line about 2 would come before this one.
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGKILL));
  ASSERT_TRUE(arbor.ExpectLine("Heartbit: node 1 is unavailable now"));
  pid_t fresh = 0;
  ASSERT_TRUE(arbor.Create("1", &fresh));
  arbor.Send("exec 1 k");
  ASSERT_TRUE(arbor.ExpectLine("Ok:1: 'k' not found"));
  // A re-created node starts fresh, silently: no `available again` first.
  ASSERT_TRUE(arbor.SignalWorker(p3, SIGKILL));
  EXPECT_TRUE(arbor.ExpectLine("Heartbit: node 3 is unavailable now"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FailureProcessTest, KillingALeafLeavesEveryOtherNodeAnswering) {
  ArborProcess arbor({kLongDeadline});
  pid_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3 1", &p3));
  ASSERT_TRUE(arbor.Create("4 3", &p4));
  for (int id : {1, 2, 3, 4}) {
    arbor.Send(absl::StrCat("exec ", id, " k ", id));
    ASSERT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", id)));
  }
  ASSERT_TRUE(arbor.SignalWorker(p4, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p4));
  absl::Time sent = absl::Now();
  arbor.Send("exec 4 k");
  EXPECT_TRUE(arbor.ExpectLine("Error:4: Node is unavailable"));
  EXPECT_LT(absl::Now() - sent, kAtOnce) << "a request to a dead node fails at once";
  arbor.Send("ping 4");
  EXPECT_TRUE(arbor.ExpectLine("Ok: 0"));
  // Its parent, its ancestors and the other subtree keep answering.
  for (int id : {3, 1, 2}) {
    arbor.Send(absl::StrCat("exec ", id, " k"));
    EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", id, ": ", id)));
    arbor.Send(absl::StrCat("ping ", id));
    EXPECT_TRUE(arbor.ExpectLine("Ok: 1"));
  }
  pid_t p5 = 0;
  ASSERT_TRUE(arbor.Create("5 3", &p5));  // the parent of the dead node takes children
  arbor.Send("create 6 4");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent is unavailable"));
  arbor.Send("create 4 1");
  arbor.Send("tree");
  std::optional<std::string> created = arbor.ReadLine();
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(PidOfOkLine(*created).has_value()) << "re-create over a dead node: " << *created;
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 2, p2, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 3, p3, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(2, 5, p5, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 4, *PidOfOkLine(*created), "available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

// --orphans=exit, the core behaviour (adoption: adoption_process_test.cc).
TEST(FailureProcessTest, KillingAMiddleNodeEndsItsChildrenWithOrphansExit) {
  ArborProcess arbor({kLongDeadline, "--orphans=exit"});
  pid_t p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3 2", &p3));
  ASSERT_TRUE(arbor.Create("4 2", &p4));
  ASSERT_TRUE(arbor.Create("5 1", &p5));
  ASSERT_TRUE(arbor.Create("6 5", &p6));
  for (int id : {1, 2, 3, 4, 5, 6}) {
    arbor.Send(absl::StrCat("exec ", id, " k ", id));
    ASSERT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", id)));
  }
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p2));
  absl::Time sent = absl::Now();
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Error:2: Node is unavailable"));
  EXPECT_LT(absl::Now() - sent, kAtOnce) << "a request to a dead node fails at once";
  // Its children never run forever (core: they exit).
  EXPECT_TRUE(arbor.WorkerExits(p3));
  EXPECT_TRUE(arbor.WorkerExits(p4));
  for (int id : {3, 4}) {
    arbor.Send(absl::StrCat("exec ", id, " k"));
    EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("Error:", id, ": Node is unavailable")));
    arbor.Send(absl::StrCat("ping ", id));
    EXPECT_TRUE(arbor.ExpectLine("Ok: 0"));
  }
  // Ancestors and the sibling subtree keep answering.
  for (int id : {1, 5, 6}) {
    arbor.Send(absl::StrCat("exec ", id, " k"));
    EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("Ok:", id, ": ", id)));
  }
  arbor.Send("tree");
  for (const std::string& row :
       {Row(0, 1, p1, "available"), Row(1, 2, p2, "dead"), Row(2, 3, p3, "dead"),
        Row(2, 4, p4, "dead"), Row(1, 5, p5, "available"), Row(2, 6, p6, "available")}) {
    EXPECT_TRUE(arbor.ExpectLine(row));
  }
  arbor.Send("create 7 3");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent is unavailable"));
  arbor.Send("remove 2");  // purged; its dead children move to its parent
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Error:2: Not found"));
  arbor.Send("tree");
  for (const std::string& row :
       {Row(0, 1, p1, "available"), Row(1, 3, p3, "dead"), Row(1, 4, p4, "dead"),
        Row(1, 5, p5, "available"), Row(2, 6, p6, "available")}) {
    EXPECT_TRUE(arbor.ExpectLine(row));
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FailureProcessTest, ARecreatedNodeHasANewPidAndAnEmptyDictionary) {
  ArborProcess arbor({"--orphans=exit"});  // a dead parent keeps its dead child
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3", &p3));
  arbor.Send("exec 2 k 5");
  ASSERT_TRUE(arbor.ExpectLine("Ok:2"));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p2));
  arbor.Send("exec 2 k");
  ASSERT_TRUE(arbor.ExpectLine("Error:2: Node is unavailable"));
  pid_t again = 0;
  ASSERT_TRUE(arbor.Create("2 1", &again));
  EXPECT_NE(again, p2);
  EXPECT_TRUE(ProcessRunning(again));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 'k' not found"));
  arbor.Send("create 2 1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Already exists"));
  // Dead again, then re-created under another parent.
  ASSERT_TRUE(arbor.SignalWorker(again, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(again));
  arbor.Send("ping 2");
  ASSERT_TRUE(arbor.ExpectLine("Ok: 0"));
  pid_t third = 0;
  ASSERT_TRUE(arbor.Create("2 3", &third));
  arbor.Send("exec 2 k 9");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 3, p3, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 2, third, "available")));
  // A re-created parent keeps its dead child until that is re-created too.
  ASSERT_TRUE(arbor.SignalWorker(p3, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p3));
  ASSERT_TRUE(arbor.WorkerExits(third));
  pid_t p3b = 0, p2c = 0;
  ASSERT_TRUE(arbor.Create("3", &p3b));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 3, p3b, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 2, third, "dead")));
  ASSERT_TRUE(arbor.Create("2 3", &p2c));
  arbor.Send("exec 2 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 'k' not found"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FailureProcessTest, NoWorkerOutlivesAControllerKilledWithSigkill) {
  ArborProcess arbor;
  pid_t pid = 0;
  for (const char* args : {"1", "2 1", "3 2", "4 3", "5 1", "6", "7 6"}) {
    ASSERT_TRUE(arbor.Create(args, &pid));
  }
  ASSERT_TRUE(arbor.SignalWorker(pid, SIGSTOP));  // node 7: frozen, cannot notice anything
  arbor.Send("tree");
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(arbor.ReadLine().has_value());
  ASSERT_EQ(arbor.workers().size(), 7u);
  arbor.Kill(SIGKILL);
  EXPECT_EQ(arbor.WaitExit(), 128 + SIGKILL);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

TEST(FailureProcessTest, TermIntAndHupShutDownAtOnceWithExitZero) {
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) {
    SCOPED_TRACE(absl::StrCat("signal ", signal));
    ArborProcess arbor({"--timeout-ms=60000"});
    pid_t p1 = 0, p2 = 0, p3 = 0;
    ASSERT_TRUE(arbor.Create("1", &p1));
    ASSERT_TRUE(arbor.Create("2 1", &p2));
    ASSERT_TRUE(arbor.Create("3", &p3));
    ASSERT_TRUE(arbor.SignalWorker(p3, SIGSTOP));  // shutdown must end it too
    arbor.Send("exec 3 k 1");                      // and not wait for this
    arbor.Send("exec 1 k 1");
    ASSERT_TRUE(arbor.ExpectLine("Ok:1"));
    arbor.Kill(signal);
    EXPECT_TRUE(arbor.ReadUntilEof().has_value()) << "stdout closes";
    EXPECT_EQ(arbor.WaitExit(), 0);
    EXPECT_TRUE(arbor.NoWorkerLeft());
    EXPECT_TRUE(arbor.TmpdirEntries().empty()) << "the ipc directory is removed";
  }
}

TEST(FailureProcessTest, ADeadNodeCannotBeRecreatedUnderItsOwnSubtree) {
  ArborProcess arbor({"--orphans=exit"});
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3 2", &p3));
  ASSERT_TRUE(arbor.SignalWorker(p2, SIGKILL));
  ASSERT_TRUE(arbor.WorkerExits(p2));
  ASSERT_TRUE(arbor.WorkerExits(p3));  // its child follows it
  arbor.Send("create 2 3");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent is a descendant of id"));
  arbor.Send("create 2 2");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent is a descendant of id"));
  arbor.Send("create 4 3");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent is unavailable"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(FailureProcessTest, AnOverlongLineIsOneErrorAndTheNextLineStillRuns) {
  ArborProcess arbor;
  arbor.Send(std::string(100000, 'x'));
  EXPECT_TRUE(arbor.ExpectLine("Error: Line too long"));
  pid_t p1 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

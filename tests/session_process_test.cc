// Whole sessions of the real `arbor`: script mode and EOF, the line grammar,
// --sync, a deep chain, two controllers at once, tcp, flags, workers that do
// not start.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
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

TEST(SessionProcessTest, ScriptModePrintsEveryAnswerAndExitsZero) {
  ArborProcess arbor;
  std::string script = "create 1\ncreate 2 1\ncreate 3 1\ncreate 4 3\ncreate 5\n";
  for (int round = 1; round <= 20; ++round) {
    for (int id = 1; id <= 5; ++id)
      absl::StrAppend(&script, "exec ", id, " k", round, " ", id * 100 + round, "\n");
  }
  for (int round = 1; round <= 20; ++round) {
    for (int id = 1; id <= 5; ++id) absl::StrAppend(&script, "exec ", id, " k", round, "\n");
  }
  script += "ping 1\nping 2\nping 3\nping 4\nping 5\ntree";  // no '\n' at the end
  arbor.SendRaw(script);
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value()) << "no EOF";
  ASSERT_EQ(lines->size(), 5u + 200u + 5u + 5u);
  // Each node's answers in input order; nodes interleave as they complete.
  for (int id = 1; id <= 5; ++id) {
    std::vector<std::string> expected;
    for (int round = 1; round <= 20; ++round) expected.push_back(absl::StrCat("Ok:", id));
    for (int round = 1; round <= 20; ++round) {
      expected.push_back(absl::StrCat("Ok:", id, ": ", id * 100 + round));
    }
    std::vector<std::string> got;
    for (const std::string& line : *lines) {
      if (line == absl::StrCat("Ok:", id) || line.starts_with(absl::StrCat("Ok:", id, ": "))) {
        got.push_back(line);
      }
    }
    EXPECT_EQ(got, expected) << "node " << id;
  }
  int creates = 0, pings = 0;
  for (const std::string& line : *lines) {
    if (PidOfOkLine(line)) ++creates;
    if (line == "Ok: 1") ++pings;
  }
  EXPECT_EQ(creates, 5);
  EXPECT_EQ(pings, 5);
  // `tree` waits for everything before it: it prints last.
  std::vector<std::string> tree(lines->end() - 5, lines->end());
  const char* shape[] = {"1 pid ", "  2 pid ", "  3 pid ", "    4 pid ", "5 pid "};
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(tree[i].starts_with(shape[i]) && tree[i].ends_with(" available")) << tree[i];
  }
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
  EXPECT_TRUE(arbor.TmpdirEntries().empty()) << "the ipc directory is removed";
}

TEST(SessionProcessTest, AnswersPendingAtEofArePrintedBeforeExit) {
  ArborProcess arbor;
  // EOF right behind commands that are all still in flight.
  arbor.SendRaw("create 1\ncreate 2 1\nexec 2 k 1\nexec 2 k\nping 1\n");
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  ASSERT_EQ(lines->size(), 5u);
  std::vector<std::string> of_two, rest;
  for (const std::string& line : *lines) {
    (line.starts_with("Ok:2") ? of_two : rest).push_back(line);
  }
  EXPECT_EQ(of_two, (std::vector<std::string>{"Ok:2", "Ok:2: 1"}));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_TRUE(PidOfOkLine(rest[0]).has_value()) << rest[0];  // create 1
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

TEST(SessionProcessTest, QuitBehavesLikeEof) {
  ArborProcess arbor;
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("1", &pid));
  // Pending answers are printed, nothing after quit is read, stdin stays open.
  arbor.Send("create 2 1\nexec 2 k 5\nexec 2 k\nquit\ncreate 3\nexec 1 k");
  std::optional<std::string> created = arbor.ReadLine();
  ASSERT_TRUE(created.has_value());
  EXPECT_TRUE(PidOfOkLine(*created).has_value()) << *created;
  EXPECT_TRUE(arbor.ExpectLine("Ok:2"));
  EXPECT_TRUE(arbor.ExpectLine("Ok:2: 5"));
  std::optional<std::vector<std::string>> rest = arbor.ReadUntilEof();
  ASSERT_TRUE(rest.has_value()) << "quit must end the controller with stdin still open";
  EXPECT_TRUE(rest->empty()) << rest->front();
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
  EXPECT_TRUE(arbor.TmpdirEntries().empty()) << "the ipc directory is removed";
}

TEST(SessionProcessTest, BlankCommentAndCarriageReturnLinesFollowTheGrammar) {
  ArborProcess arbor;
  // Script mode: the whole output is known, so printing nothing is checked too.
  arbor.SendRaw(
      "\n   \n\t\n# a comment\n#\n#create 9\n\r\n \r\n"
      "tree\r\n"
      "create\t1\r\n"
      "exec 1 k 5\r\n"
      "\texec  1\t k \r\n"
      "ping 1\r\n"
      "exec 1 k#\r\n"
      "tree \t\r\n");
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  ASSERT_EQ(lines->size(), 7u);
  EXPECT_EQ((*lines)[0], "(empty)");
  std::optional<pid_t> pid = PidOfOkLine((*lines)[1]);
  ASSERT_TRUE(pid.has_value()) << (*lines)[1];
  EXPECT_EQ((*lines)[2], "Ok:1");
  EXPECT_EQ((*lines)[3], "Ok:1: 5");
  EXPECT_EQ((*lines)[4], "Ok: 1");
  EXPECT_EQ((*lines)[5], "Error:1: Invalid key 'k#'");
  EXPECT_EQ((*lines)[6], Row(0, 1, *pid, "available"));
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

TEST(SessionProcessTest, ALastLineWithoutNewlineStillCounts) {
  ArborProcess arbor;
  arbor.SendRaw("create 1\nexec 1 k 5\nexec 1 k");
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_TRUE(PidOfOkLine((*lines)[0]).has_value()) << (*lines)[0];
  EXPECT_EQ((*lines)[1], "Ok:1");
  EXPECT_EQ((*lines)[2], "Ok:1: 5");
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());

  ArborProcess bare;
  bare.SendRaw("tree\r");
  bare.CloseStdin();
  lines = bare.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  EXPECT_EQ(*lines, std::vector<std::string>{"(empty)"});
  EXPECT_EQ(bare.WaitExit(), 0);
}

TEST(SessionProcessTest, SyncModeTranscriptIsExact) {
  ArborProcess arbor({"--sync"});
  arbor.SendRaw(
      "create 10 -1\ncreate 12 10\nexec 10 MyVar\nexec 10 MyVar 5\nexec 12 MyVar\n"
      "exec 10 MyVar\nexec 10 MyVar 7\nexec 10 MyVar\nheartbit 2000\nping 12\n"
      "create 13 99\nexec 12 a-b\nbogus\nremove 12\ntree\nstats\nheartbit 0\n");
  arbor.CloseStdin();
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  ASSERT_EQ(lines->size(), 17u);
  std::optional<pid_t> p10 = PidOfOkLine((*lines)[0]);
  ASSERT_TRUE(p10.has_value()) << (*lines)[0];
  ASSERT_TRUE(PidOfOkLine((*lines)[1]).has_value()) << (*lines)[1];
  const std::vector<std::string> expected = {(*lines)[0],
                                             (*lines)[1],
                                             "Ok:10: 'MyVar' not found",
                                             "Ok:10",
                                             "Ok:12: 'MyVar' not found",
                                             "Ok:10: 5",
                                             "Ok:10",
                                             "Ok:10: 7",
                                             "Ok",
                                             "Ok: 1",
                                             "Error: Parent not found",
                                             "Error:12: Invalid key 'a-b'",
                                             "Error: Unknown command 'bogus'",
                                             "Ok",
                                             Row(0, 10, *p10, "available"),
                                             (*lines)[15],
                                             "Ok"};
  EXPECT_EQ(*lines, expected);
  EXPECT_TRUE((*lines)[15].starts_with("nodes=1 pending=0 ")) << (*lines)[15];
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

TEST(SessionProcessTest, AChainThirtyDeep) {
  ArborProcess arbor;
  std::string script = "create 1\n";
  for (int id = 2; id <= 30; ++id) absl::StrAppend(&script, "create ", id, " ", id - 1, "\n");
  arbor.SendRaw(script);  // all at once: each create waits for its parent's
  std::vector<pid_t> pids(31, 0);
  for (int id = 1; id <= 30; ++id) {
    std::optional<std::string> line = arbor.ReadLine();
    ASSERT_TRUE(line.has_value()) << "create " << id;
    std::optional<pid_t> pid = PidOfOkLine(*line);
    ASSERT_TRUE(pid.has_value()) << "create " << id << ": " << *line;
    pids[id] = *pid;
  }
  arbor.Send("exec 30 k 30");
  EXPECT_TRUE(arbor.ExpectLine("Ok:30"));
  arbor.Send("exec 30 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:30: 30"));
  arbor.Send("ping 30");
  EXPECT_TRUE(arbor.ExpectLine("Ok: 1"));
  arbor.Send("tree");
  for (int id = 1; id <= 30; ++id)
    EXPECT_TRUE(arbor.ExpectLine(Row(id - 1, id, pids[id], "available")));
  arbor.Send("remove 15");
  EXPECT_TRUE(arbor.ExpectLine("Ok"));
  arbor.Send("exec 30 k");
  EXPECT_TRUE(arbor.ExpectLine("Ok:30: 30"));
  arbor.Send("tree");
  for (int id = 1; id <= 30; ++id) {
    if (id == 15) continue;
    EXPECT_TRUE(arbor.ExpectLine(Row(id < 15 ? id - 1 : id - 2, id, pids[id], "available")));
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(SessionProcessTest, TwoControllersSideBySide) {
  ArborProcess a;
  ArborProcess b;
  pid_t a1 = 0, a2 = 0, b1 = 0, b2 = 0;
  ASSERT_TRUE(a.Create("1", &a1));
  ASSERT_TRUE(b.Create("1", &b1));
  ASSERT_TRUE(a.Create("2 1", &a2));
  ASSERT_TRUE(b.Create("2 1", &b2));
  EXPECT_NE(a2, b2);
  a.Send("exec 2 k 111");
  b.Send("exec 2 k 222");
  EXPECT_TRUE(a.ExpectLine("Ok:2"));
  EXPECT_TRUE(b.ExpectLine("Ok:2"));
  a.Send("exec 2 k");
  b.Send("exec 2 k");
  EXPECT_TRUE(a.ExpectLine("Ok:2: 111"));
  EXPECT_TRUE(b.ExpectLine("Ok:2: 222"));
  EXPECT_TRUE(a.FinishCleanly());
  // The other tree does not notice.
  b.Send("exec 2 k");
  EXPECT_TRUE(b.ExpectLine("Ok:2: 222"));
  b.Send("tree");
  EXPECT_TRUE(b.ExpectLine(Row(0, 1, b1, "available")));
  EXPECT_TRUE(b.ExpectLine(Row(1, 2, b2, "available")));
  EXPECT_TRUE(b.FinishCleanly());
}

TEST(SessionProcessTest, TcpTransportRunsASession) {
  ArborProcess arbor({"--transport", "tcp"});
  pid_t p1 = 0, p2 = 0, p3 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  ASSERT_TRUE(arbor.Create("3 2", &p3));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 3 k 5", "Ok:3"}, {"exec 3 k", "Ok:3: 5"}, {"ping 3", "Ok: 1"},
      {"remove 2", "Ok"},     {"exec 3 k", "Ok:3: 5"}, {"heartbit 200", "Ok"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(Row(0, 1, p1, "available")));
  EXPECT_TRUE(arbor.ExpectLine(Row(1, 3, p3, "available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(SessionProcessTest, FlagsBehaveAsUsersExpect) {
  for (const char* flag : {"--version", "--help"}) {
    ArborProcess arbor({flag});
    std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
    ASSERT_TRUE(lines.has_value()) << flag;
    EXPECT_FALSE(lines->empty()) << flag << " prints on stdout";
    EXPECT_EQ(arbor.WaitExit(), 0) << flag;
  }
  for (const char* flag : {"--transport=pigeon", "--no-such-flag"}) {
    ArborProcess arbor({flag});
    std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
    ASSERT_TRUE(lines.has_value()) << flag;
    EXPECT_TRUE(lines->empty()) << flag << ": no answer lines";
    std::optional<int> status = arbor.WaitExit();
    ASSERT_TRUE(status.has_value()) << flag;
    EXPECT_NE(*status, 0) << flag;
    EXPECT_FALSE(arbor.Stderr().empty()) << flag << ": says why on stderr";
  }
  // Dashes, as README spells them, and the underscore spelling too.
  for (const char* flag : {"--timeout-ms=700", "--timeout_ms=700"}) {
    ArborProcess arbor({flag, "--hello-timeout-ms=3000"});
    pid_t pid = 0;
    ASSERT_TRUE(arbor.Create("1", &pid)) << flag;
    arbor.Send("exec 1 k 1");
    EXPECT_TRUE(arbor.ExpectLine("Ok:1")) << flag;
    EXPECT_TRUE(arbor.FinishCleanly()) << flag;
  }
}

// A copy of `arbor` in a fresh directory, beside a given (or no) arbor-worker.
class CopiedArbor {
 public:
  explicit CopiedArbor(const std::string& worker_script) {
    char dir[] = "/tmp/arbor-copy-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::filesystem::copy_file(ARBOR_BIN, dir_ + "/arbor");
    if (!worker_script.empty()) {
      std::ofstream(dir_ + "/arbor-worker") << worker_script;
      chmod((dir_ + "/arbor-worker").c_str(), 0755);
    }
  }
  ~CopiedArbor() { std::filesystem::remove_all(dir_); }
  std::string binary() const { return dir_ + "/arbor"; }
  std::string dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(SessionProcessTest, AMissingWorkerBinaryIsReportedAtStart) {
  CopiedArbor copy("");  // no arbor-worker next to the binary
  ArborProcess arbor({}, copy.binary());
  arbor.Send("create 1");
  std::optional<std::vector<std::string>> lines = arbor.ReadUntilEof();
  ASSERT_TRUE(lines.has_value());
  EXPECT_TRUE(lines->empty()) << "no answer lines, first: " << lines->front();
  std::optional<int> status = arbor.WaitExit();
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
  EXPECT_NE(arbor.Stderr().find("arbor-worker"), std::string::npos) << arbor.Stderr();
}

TEST(SessionProcessTest, AWorkerThatExitsBeforeItsHelloIsASpawnFailure) {
  CopiedArbor copy("#!/bin/sh\nexit 3\n");
  ArborProcess arbor({}, copy.binary());
  arbor.Send("create 1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Spawn failed: worker exited with code 3"));
  arbor.Send("ping 1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Not found"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine("(empty)"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(SessionProcessTest, AWorkerThatNeverSaysHelloIsKilledAtTheHelloDeadline) {
  CopiedArbor copy("#!/bin/sh\necho $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 60\n");
  ArborProcess arbor({"--hello-timeout-ms=300"}, copy.binary());
  arbor.Send("create 1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Worker did not start in time"));
  pid_t pid = 0;
  std::ifstream(copy.dir() + "/pid") >> pid;
  ASSERT_GT(pid, 1) << "the fake worker never ran";
  EXPECT_TRUE(WaitNotRunning(pid, Within())) << "the silent worker " << pid << " is killed";
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine("(empty)"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

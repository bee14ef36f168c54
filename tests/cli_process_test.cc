// The command line of the real `arbor`, row by row of README "The command line": each test types
// into a running controller and reads its exact answers.
#include <signal.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"

namespace arbor::testing {
namespace {

std::string Comm(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/comm"));
  std::string comm;
  std::getline(in, comm);
  return comm;
}

TEST(CliProcessTest, CreateAnswersThePidOfARunningWorker) {
  ArborProcess arbor;
  pid_t p10 = 0, p11 = 0, p12 = 0;
  ASSERT_TRUE(arbor.Create("10 -1", &p10));
  ASSERT_TRUE(arbor.Create("11", &p11));  // parent omitted: under the controller
  ASSERT_TRUE(arbor.Create("12 10", &p12));
  for (pid_t pid : {p10, p11, p12}) {
    EXPECT_TRUE(ProcessRunning(pid)) << pid;
    EXPECT_EQ(ParentPid(pid), arbor.pid()) << "the controller spawns every worker";
    EXPECT_EQ(Comm(pid), "arbor-worker");
  }
  EXPECT_NE(p10, p11);
  EXPECT_NE(p11, p12);
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("10 pid ", p10, " available")));
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("  12 pid ", p12, " available")));
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("11 pid ", p11, " available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, CreateRefusesATakenIdAndAnUnknownParent) {
  ArborProcess arbor;
  pid_t p10 = 0;
  ASSERT_TRUE(arbor.Create("10", &p10));
  arbor.Send("create 10");
  EXPECT_TRUE(arbor.ExpectLine("Error: Already exists"));
  arbor.Send("create 10 -1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Already exists"));
  arbor.Send("create 13 99");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent not found"));
  arbor.Send("create 14 14");
  EXPECT_TRUE(arbor.ExpectLine("Error: Parent not found"));
  // An id still being created is taken too; answers of one id keep input order.
  arbor.Send("create 20 10");
  arbor.Send("create 20");
  std::optional<std::string> first = arbor.ReadLine();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(PidOfOkLine(*first).has_value()) << *first;
  EXPECT_TRUE(arbor.ExpectLine("Error: Already exists"));
  arbor.Send("tree");
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("10 pid ", p10, " available")));
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("  20 pid ", *PidOfOkLine(*first), " available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, WithoutAHostsFileEveryNodeIsLocal) {
  // README "Hosts": without --hosts there is one host, `local`; `@local` is
  // the same as no host, and any other name is unknown.
  ArborProcess arbor;
  pid_t p1 = 0;
  ASSERT_TRUE(arbor.Create("1 -1 @local", &p1));
  pid_t p2 = 0;
  ASSERT_TRUE(arbor.Create("2 1", &p2));  // on its parent's host
  arbor.Send("create 3 -1 @h1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Unknown host 'h1'"));
  arbor.Send("create 3 1 @");
  EXPECT_TRUE(arbor.ExpectLine("Error: Unknown host ''"));
  arbor.Send("hosts");
  EXPECT_TRUE(arbor.ExpectLine("local 127.0.0.1 nodes=2"));
  arbor.Send("tree");  // no ` @name` for local nodes
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("1 pid ", p1, " available")));
  EXPECT_TRUE(arbor.ExpectLine(absl::StrCat("  2 pid ", p2, " available")));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, ExecSavesLoadsAndOverwrites) {
  ArborProcess arbor;
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("10", &pid));
  ASSERT_TRUE(arbor.Create("12 10", &pid));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 10 MyVar", "Ok:10: 'MyVar' not found"},
      {"exec 10 MyVar 5", "Ok:10"},
      {"exec 12 MyVar", "Ok:12: 'MyVar' not found"},  // each node has its own dictionary
      {"exec 10 MyVar", "Ok:10: 5"},
      {"exec 10 MyVar 7", "Ok:10"},  // saving overwrites
      {"exec 10 MyVar", "Ok:10: 7"},
      {"exec 10 myvar", "Ok:10: 'myvar' not found"},  // keys are case-sensitive
      {"exec 10 z 007", "Ok:10"},
      {"exec 10 z", "Ok:10: 7"},  // leading zeros accepted, printed canonically
      {"exec 10 z -0", "Ok:10"},
      {"exec 10 z", "Ok:10: 0"},
      {"exec 10 min -9223372036854775808", "Ok:10"},
      {"exec 10 min", "Ok:10: -9223372036854775808"},
      {"exec 10 max 9223372036854775807", "Ok:10"},
      {"exec 10 max", "Ok:10: 9223372036854775807"},
      {"exec 12 K9 -42", "Ok:12"},
      {"exec 12 K9", "Ok:12: -42"},
      {"exec 10 " + std::string(64, 'k') + " 1", "Ok:10"},  // 64 characters: the limit
      {"exec 10 " + std::string(64, 'k'), "Ok:10: 1"},
      {"exec 99 MyVar", "Error:99: Not found"},
      {"exec 99 MyVar 1", "Error:99: Not found"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, ExecRejectsBadKeysAndValuesBeforeTheTopology) {
  ArborProcess arbor;
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("10", &pid));
  const std::string long_key(65, 'k');
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"exec 10 a-b", "Error:10: Invalid key 'a-b'"},
      {"exec 10 a_b 1", "Error:10: Invalid key 'a_b'"},
      {"exec 10 " + long_key, "Error:10: Invalid key '" + long_key + "'"},
      {"exec 10 k x", "Error:10: Invalid value 'x'"},
      {"exec 10 k +5", "Error:10: Invalid value '+5'"},
      {"exec 10 k 0x10", "Error:10: Invalid value '0x10'"},
      {"exec 10 k 1.5", "Error:10: Invalid value '1.5'"},
      {"exec 10 k -", "Error:10: Invalid value '-'"},
      {"exec 10 k 9223372036854775808", "Error:10: Invalid value '9223372036854775808'"},
      {"exec 10 k -9223372036854775809", "Error:10: Invalid value '-9223372036854775809'"},
      // Syntax before topology: an unknown node with a bad key is a bad key.
      {"exec 99 a-b", "Error:99: Invalid key 'a-b'"},
      {"exec 99 k x", "Error:99: Invalid value 'x'"},
      // No `id:` prefix until the id token has parsed.
      {"exec x k", "Error: Invalid id 'x'"},
      {"exec -1 k", "Error: Invalid id '-1'"},
      {"exec 2147483648 k", "Error: Invalid id '2147483648'"},
      {"exec 10 k", "Ok:10: 'k' not found"},  // nothing bad was saved
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, HeartbitAndItsAliasAnswerOk) {
  ArborProcess arbor;
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("1", &pid));
  for (const char* line : {"heartbit 150", "heartbeat 200", "heartbit 0", "heartbeat 0"}) {
    arbor.Send(line);
    EXPECT_TRUE(arbor.ExpectLine("Ok")) << line;
  }
  arbor.Send("exec 1 k 3");
  EXPECT_TRUE(arbor.ExpectLine("Ok:1"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, PingAnswersOneForALiveNodeAndNotFoundForAnUnknownId) {
  ArborProcess arbor;
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("1", &pid));
  ASSERT_TRUE(arbor.Create("2 1", &pid));
  arbor.Send("ping 1");
  EXPECT_TRUE(arbor.ExpectLine("Ok: 1"));
  arbor.Send("ping 2");
  EXPECT_TRUE(arbor.ExpectLine("Ok: 1"));
  arbor.Send("ping 3");
  EXPECT_TRUE(arbor.ExpectLine("Error: Not found"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, StatsIsOneLineOfCounters) {
  ArborProcess arbor;
  const std::regex format(
      "nodes=(\\d+) pending=(\\d+) sent=(\\d+) answered=(\\d+) timed_out=(\\d+) "
      "late_replies=(\\d+) dropped_frames=(\\d+)");
  arbor.Send("stats");
  std::optional<std::string> line = arbor.ReadLine();
  ASSERT_TRUE(line.has_value());
  std::smatch m;
  ASSERT_TRUE(std::regex_match(*line, m, format)) << *line;
  EXPECT_EQ(m[1], "0");
  EXPECT_EQ(m[2], "0");
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("1", &pid));
  ASSERT_TRUE(arbor.Create("2 1", &pid));
  for (const char* input : {"exec 2 k 1", "exec 2 k", "ping 1"}) {
    arbor.Send(input);
    ASSERT_TRUE(arbor.ReadLine().has_value());
  }
  arbor.Send("stats");
  line = arbor.ReadLine();
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(std::regex_match(*line, m, format)) << *line;
  EXPECT_EQ(m[1], "2");
  EXPECT_EQ(m[2], "0") << "nothing is pending once answered";
  EXPECT_GE(std::stoll(m[3]), 3) << "sent";
  EXPECT_GE(std::stoll(m[4]), 3) << "answered";
  EXPECT_EQ(m[5], "0") << "timed_out";
  EXPECT_EQ(m[7], "0") << "dropped_frames";
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, HelpListsEveryCommand) {
  ArborProcess arbor;
  arbor.Send("help");
  arbor.Send("tree");  // prints after help: marks its end
  std::vector<std::string> help;
  for (;;) {
    std::optional<std::string> line = arbor.ReadLine();
    ASSERT_TRUE(line.has_value());
    if (*line == "(empty)") break;
    help.push_back(*line);
  }
  ASSERT_FALSE(help.empty());
  for (const char* command :
       {"create", "exec", "heartbit", "ping", "remove", "tree", "stats", "help", "quit"}) {
    bool listed = false;
    for (const std::string& line : help) listed = listed || line.starts_with(command);
    EXPECT_TRUE(listed) << command << " is not in help";
  }
  for (const std::string& line : help) EXPECT_FALSE(line.starts_with("Error")) << line;
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, UnknownCommandsAreNamed) {
  ArborProcess arbor;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"foo", "Error: Unknown command 'foo'"},
      {"Create 1", "Error: Unknown command 'Create'"},  // case-sensitive
      {"TREE", "Error: Unknown command 'TREE'"},
      {"  frob  1 2", "Error: Unknown command 'frob'"},
      {"heartbits 5", "Error: Unknown command 'heartbits'"},
      {"exit", "Error: Unknown command 'exit'"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, WrongArityAnswersUsage) {
  ArborProcess arbor;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"create", "Error: Usage: create id [parent]"},
      {"create 1 2 3", "Error: Usage: create id [parent]"},
      {"exec", "Error: Usage: exec id name [value]"},
      {"exec 1", "Error: Usage: exec id name [value]"},
      {"exec 1 k 2 3", "Error: Usage: exec id name [value]"},
      {"heartbit", "Error: Usage: heartbit time"},
      {"heartbit 1 2", "Error: Usage: heartbit time"},
      {"ping", "Error: Usage: ping id"},
      {"ping 1 2", "Error: Usage: ping id"},
      {"remove", "Error: Usage: remove id"},
      {"remove 1 2", "Error: Usage: remove id"},
      {"tree 1", "Error: Usage: tree"},
      {"stats 1", "Error: Usage: stats"},
      {"help me", "Error: Usage: help"},
      {"quit now", "Error: Usage: quit"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  arbor.Send("heartbeat");
  std::optional<std::string> line = arbor.ReadLine();
  ASSERT_TRUE(line.has_value());
  EXPECT_TRUE(line->starts_with("Error: Usage: heartb")) << *line;
  EXPECT_TRUE(arbor.FinishCleanly());
}

TEST(CliProcessTest, BadTokensAreNamed) {
  ArborProcess arbor;
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"create x", "Error: Invalid id 'x'"},
      {"create -1", "Error: Invalid id '-1'"},
      {"create +1", "Error: Invalid id '+1'"},
      {"create 2147483648", "Error: Invalid id '2147483648'"},
      {"create 99999999999999999999", "Error: Invalid id '99999999999999999999'"},
      {"create 1 x", "Error: Invalid id 'x'"},
      {"create 1 -2", "Error: Invalid id '-2'"},
      {"create x y", "Error: Invalid id 'x'"},  // left to right
      {"ping 1x", "Error: Invalid id '1x'"},
      {"ping -1", "Error: Invalid id '-1'"},
      {"remove abc", "Error: Invalid id 'abc'"},
      {"heartbit x", "Error: Invalid time 'x'"},
      {"heartbit -1", "Error: Invalid time '-1'"},
      {"heartbit 1.5", "Error: Invalid time '1.5'"},
      {"heartbeat 1s", "Error: Invalid time '1s'"},
  };
  for (const auto& [input, output] : rows) {
    arbor.Send(input);
    EXPECT_TRUE(arbor.ExpectLine(output)) << "input: " << input;
  }
  pid_t pid = 0;
  ASSERT_TRUE(arbor.Create("2147483647", &pid));  // the largest id
  arbor.Send("exec 2147483647 k 1");
  EXPECT_TRUE(arbor.ExpectLine("Ok:2147483647"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

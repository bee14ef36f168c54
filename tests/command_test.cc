// cli/command: one input line -> a command, nothing, or the exact error line
// (README "The command line", grammar). Every case is one row: the input and what it must give.
#include "cli/command.h"

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace arbor::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// A canonical one-line rendering of a parse result, so each table row states
// the whole outcome: "(nothing)", a command, or the error line plus "@node"
// when the error is tied to a node.
std::string Describe(const Parsed& parsed) {
  if (std::holds_alternative<std::monostate>(parsed)) return "(nothing)";
  if (const auto* e = std::get_if<ParseError>(&parsed)) {
    if (!e->node.has_value()) return e->line;
    return absl::StrCat(e->line, " @", *e->node);
  }
  const Command& c = std::get<Command>(parsed);
  if (const auto* x = std::get_if<CreateCommand>(&c)) {
    std::string out = absl::StrCat("create id=", x->id, " parent=", x->parent);
    if (!x->host.empty()) absl::StrAppend(&out, " host=", x->host);
    return out;
  }
  if (const auto* x = std::get_if<ExecCommand>(&c)) {
    std::string out = absl::StrCat("exec id=", x->id, " key=", x->key);
    if (x->value.has_value()) absl::StrAppend(&out, " value=", *x->value);
    return out;
  }
  if (const auto* x = std::get_if<HeartbitCommand>(&c)) {
    return absl::StrCat("heartbit ms=", x->interval_ms);
  }
  if (const auto* x = std::get_if<PingCommand>(&c)) return absl::StrCat("ping id=", x->id);
  if (const auto* x = std::get_if<RemoveCommand>(&c)) return absl::StrCat("remove id=", x->id);
  if (std::holds_alternative<TreeCommand>(c)) return "tree";
  if (std::holds_alternative<StatsCommand>(c)) return "stats";
  if (std::holds_alternative<HostsCommand>(c)) return "hosts";
  if (std::holds_alternative<HelpCommand>(c)) return "help";
  if (std::holds_alternative<QuitCommand>(c)) return "quit";
  return "(unknown variant)";
}

struct LineCase {
  std::string input;
  std::string want;
};

void PrintTo(const LineCase& c, std::ostream* os) {
  *os << "ParseLine(\"" << absl::CEscape(c.input) << "\")";
}

class ParseLineTest : public ::testing::TestWithParam<LineCase> {};

TEST_P(ParseLineTest, GivesExactOutcome) {
  const LineCase& c = GetParam();
  EXPECT_EQ(Describe(ParseLine(c.input)), c.want);
}

const std::string kKey64(64, 'k');
const std::string kKey65(65, 'k');

INSTANTIATE_TEST_SUITE_P(
    Create, ParseLineTest,
    ::testing::ValuesIn(std::vector<LineCase>{
        {"create 10 -1", "create id=10 parent=-1"},
        {"create 10", "create id=10 parent=-1"},
        {"create 12 10", "create id=12 parent=10"},
        {"create 0", "create id=0 parent=-1"},
        {"create 0 0", "create id=0 parent=0"},  // topology's problem, not syntax
        {"create 007 010", "create id=7 parent=10"},
        {"create 2147483647", "create id=2147483647 parent=-1"},
        {"create 000000000000000000002147483647", "create id=2147483647 parent=-1"},
        {"create 5 2147483647", "create id=5 parent=2147483647"},
        {"create 2147483648", "Error: Invalid id '2147483648'"},
        {"create 5 2147483648", "Error: Invalid id '2147483648'"},
        {"create 99999999999999999999", "Error: Invalid id '99999999999999999999'"},
        {"create 5 -2", "Error: Invalid id '-2'"},
        {"create -1", "Error: Invalid id '-1'"},
        {"create -0", "Error: Invalid id '-0'"},
        {"create x", "Error: Invalid id 'x'"},
        {"create x y", "Error: Invalid id 'x'"},  // left to right
        {"create 1 y", "Error: Invalid id 'y'"},
        {"create +5", "Error: Invalid id '+5'"},
        // `@host`, last (README "Hosts"); the usage line stays the command line's.
        {"create 10 @h1", "create id=10 parent=-1 host=h1"},
        {"create 12 10 @gpu7.lab", "create id=12 parent=10 host=gpu7.lab"},
        {"create 12 -1 @local", "create id=12 parent=-1 host=local"},
        {"create 12 10 @", "Error: Unknown host ''"},  // not "on its parent's host"''
        {"create @h1", "Error: Invalid id '@h1'"},
        {"create 5 @h1 6", "Error: Usage: create id [parent]"},
        {"create 5 6 @h1 @h2", "Error: Usage: create id [parent]"},
        {"create 5 6 7 @h1", "Error: Usage: create id [parent]"},
        {"create x @h1", "Error: Invalid id 'x'"},
        {"create x @", "Error: Invalid id 'x'"},  // left to right
        {"create 7 @gp\r\r", "Error: Unknown host 'gp\r'"},  // one '\r' is the line's
        {"create 7 @H1", "Error: Unknown host 'H1'"},
        {"create 7 @-a", "Error: Unknown host '-a'"},
        {"create 1 2 3 @", "Error: Usage: create id [parent]"},  // arity first
        {"create 0x1", "Error: Invalid id '0x1'"},
        {"create 5 +1", "Error: Invalid id '+1'"},
        {"create 1.5", "Error: Invalid id '1.5'"},
        {"create", "Error: Usage: create id [parent]"},
        {"create 1 2 3", "Error: Usage: create id [parent]"},
        {"create x y z", "Error: Usage: create id [parent]"},  // arity first
    }));

INSTANTIATE_TEST_SUITE_P(
    Exec, ParseLineTest,
    ::testing::ValuesIn(std::vector<LineCase>{
        {"exec 10 MyVar", "exec id=10 key=MyVar"},
        {"exec 10 MyVar 5", "exec id=10 key=MyVar value=5"},
        {"exec 10 MyVar -5", "exec id=10 key=MyVar value=-5"},
        {"exec 10 MyVar 0", "exec id=10 key=MyVar value=0"},
        {"exec 10 MyVar -0", "exec id=10 key=MyVar value=0"},
        {"exec 10 MyVar 007", "exec id=10 key=MyVar value=7"},
        {"exec 10 MyVar -007", "exec id=10 key=MyVar value=-7"},
        {"exec 010 k", "exec id=10 key=k"},
        {"exec 0 k", "exec id=0 key=k"},
        {"exec 2147483647 k", "exec id=2147483647 key=k"},
        {"exec 1 k 9223372036854775807", "exec id=1 key=k value=9223372036854775807"},
        {"exec 1 k -9223372036854775808", "exec id=1 key=k value=-9223372036854775808"},
        {"exec 1 k 00000000000000000000009", "exec id=1 key=k value=9"},
        {"exec 1 k 9223372036854775808", "Error:1: Invalid value '9223372036854775808' @1"},
        {"exec 1 k -9223372036854775809", "Error:1: Invalid value '-9223372036854775809' @1"},
        {"exec 1 k 99999999999999999999", "Error:1: Invalid value '99999999999999999999' @1"},
        {"exec 5 k +5", "Error:5: Invalid value '+5' @5"},
        {"exec 5 k 0x1", "Error:5: Invalid value '0x1' @5"},
        {"exec 5 k x", "Error:5: Invalid value 'x' @5"},
        {"exec 5 k -", "Error:5: Invalid value '-' @5"},
        {"exec 5 k --5", "Error:5: Invalid value '--5' @5"},
        {"exec 5 k 1.5", "Error:5: Invalid value '1.5' @5"},
        {"exec 5 k 5x", "Error:5: Invalid value '5x' @5"},
        {"exec 5 a-b", "Error:5: Invalid key 'a-b' @5"},
        {"exec 5 a-b x", "Error:5: Invalid key 'a-b' @5"},  // key before value
        {"exec 5 a_b 1", "Error:5: Invalid key 'a_b' @5"},
        {"exec 5 \xc3\xa9t\xc3\xa9", "Error:5: Invalid key '\xc3\xa9t\xc3\xa9' @5"},
        {"exec 007 a-b", "Error:7: Invalid key 'a-b' @7"},  // id printed canonically
        {"exec 5 " + kKey64, "exec id=5 key=" + kKey64},
        {"exec 5 " + kKey64 + " 1", "exec id=5 key=" + kKey64 + " value=1"},
        {"exec 5 " + kKey65, "Error:5: Invalid key '" + kKey65 + "' @5"},
        {"exec 5 AZaz09", "exec id=5 key=AZaz09"},
        // Only exec errors whose id parsed carry the "id:" prefix.
        {"exec x a", "Error: Invalid id 'x'"},
        {"exec x a-b", "Error: Invalid id 'x'"},
        {"exec -1 a", "Error: Invalid id '-1'"},
        {"exec 2147483648 a", "Error: Invalid id '2147483648'"},
        {"exec +5 a", "Error: Invalid id '+5'"},
        {"exec 0x1 a", "Error: Invalid id '0x1'"},
        {"exec", "Error: Usage: exec id name [value]"},
        {"exec 10", "Error: Usage: exec id name [value]"},
        {"exec x", "Error: Usage: exec id name [value]"},  // arity first
        {"exec 10 a 1 2", "Error: Usage: exec id name [value]"},
    }));

INSTANTIATE_TEST_SUITE_P(Heartbit, ParseLineTest,
                         ::testing::ValuesIn(std::vector<LineCase>{
                             {"heartbit 2000", "heartbit ms=2000"},
                             {"heartbeat 2000", "heartbit ms=2000"},
                             {"heartbit 0", "heartbit ms=0"},
                             {"heartbit 007", "heartbit ms=7"},
                             {"heartbit", "Error: Usage: heartbit time"},
                             {"heartbeat", "Error: Usage: heartbeat time"},
                             {"heartbit 1 2", "Error: Usage: heartbit time"},
                             {"heartbeat 1 2", "Error: Usage: heartbeat time"},
                             {"heartbit x", "Error: Invalid time 'x'"},
                             {"heartbeat x", "Error: Invalid time 'x'"},
                             {"heartbit -1", "Error: Invalid time '-1'"},
                             {"heartbit +5", "Error: Invalid time '+5'"},
                             {"heartbit 0x1", "Error: Invalid time '0x1'"},
                             {"heartbit 1.5", "Error: Invalid time '1.5'"},
                             {"heartbit 99999999999999999999",
                              "Error: Invalid time '99999999999999999999'"},
                         }));

INSTANTIATE_TEST_SUITE_P(PingRemoveAndBareWords, ParseLineTest,
                         ::testing::ValuesIn(std::vector<LineCase>{
                             {"ping 5", "ping id=5"},
                             {"ping 05", "ping id=5"},
                             {"ping 2147483647", "ping id=2147483647"},
                             {"ping 2147483648", "Error: Invalid id '2147483648'"},
                             {"ping x", "Error: Invalid id 'x'"},
                             {"ping -1", "Error: Invalid id '-1'"},
                             {"ping", "Error: Usage: ping id"},
                             {"ping 1 2", "Error: Usage: ping id"},
                             {"remove 5", "remove id=5"},
                             {"remove x", "Error: Invalid id 'x'"},
                             {"remove -1", "Error: Invalid id '-1'"},
                             {"remove", "Error: Usage: remove id"},
                             {"remove 1 2", "Error: Usage: remove id"},
                             {"tree", "tree"},
                             {"stats", "stats"},
                             {"hosts", "hosts"},
                             {"hosts all", "Error: Usage: hosts"},
                             {"help", "help"},
                             {"quit", "quit"},
                             {"tree 1", "Error: Usage: tree"},
                             {"stats x", "Error: Usage: stats"},
                             {"help me", "Error: Usage: help"},
                             {"quit now", "Error: Usage: quit"},
                         }));

INSTANTIATE_TEST_SUITE_P(UnknownAndCase, ParseLineTest,
                         ::testing::ValuesIn(std::vector<LineCase>{
                             {"word", "Error: Unknown command 'word'"},
                             {"frobnicate 1 2", "Error: Unknown command 'frobnicate'"},
                             {"Create 1", "Error: Unknown command 'Create'"},
                             {"EXEC 1 a", "Error: Unknown command 'EXEC'"},
                             {"Heartbit 5", "Error: Unknown command 'Heartbit'"},
                             {"TREE", "Error: Unknown command 'TREE'"},
                             {"Quit", "Error: Unknown command 'Quit'"},
                             {"trees", "Error: Unknown command 'trees'"},
                             {"-1", "Error: Unknown command '-1'"},
                         }));

INSTANTIATE_TEST_SUITE_P(Whitespace, ParseLineTest,
                         ::testing::ValuesIn(std::vector<LineCase>{
                             {"", "(nothing)"},
                             {" ", "(nothing)"},
                             {"\t \t", "(nothing)"},
                             {"\r", "(nothing)"},
                             {"  \r", "(nothing)"},
                             {"#", "(nothing)"},
                             {"# a comment", "(nothing)"},
                             {"#create 1", "(nothing)"},
                             {"#word\r", "(nothing)"},
                             {"exec 1 k 5 # note", "exec id=1 key=k value=5"},
                             {"exec 1 k #5", "exec id=1 key=k"},
                             {"exec 1 k# 5", "Error:1: Invalid key 'k#' @1"},
                             {"ping 1\t#x\r", "ping id=1"},
                             {"create 2 1 @h1 # on h1", "create id=2 parent=1 host=h1"},
                             {"tree\r", "tree"},
                             {"exec 10 MyVar 5\r", "exec id=10 key=MyVar value=5"},
                             {"exec 10 MyVar\r", "exec id=10 key=MyVar"},
                             {"create 1 -1\r", "create id=1 parent=-1"},
                             {"ping x\r", "Error: Invalid id 'x'"},
                             {"word\r", "Error: Unknown command 'word'"},
                             {"exec\t10\tMyVar\t5", "exec id=10 key=MyVar value=5"},
                             {"  create   5 \t 4  ", "create id=5 parent=4"},
                             {"\tping\t5\t", "ping id=5"},
                             {" tree ", "tree"},
                             {"heartbit \t 100 \r", "heartbit ms=100"},
                         }));

// --- NodesOf: what an answer must stay in order with. ---

std::vector<NodeId> NodesOfLine(const std::string& line) {
  Parsed parsed = ParseLine(line);
  const Command* command = std::get_if<Command>(&parsed);
  if (command == nullptr) {
    ADD_FAILURE() << "not a command: " << line;
    return {};
  }
  return NodesOf(*command);
}

TEST(NodesOfTest, TargetAndParentOfEachCommand) {
  EXPECT_THAT(NodesOfLine("create 5"), ElementsAre(5));
  EXPECT_THAT(NodesOfLine("create 5 -1"), ElementsAre(5));
  EXPECT_THAT(NodesOfLine("create 5 4"), UnorderedElementsAre(5, 4));
  EXPECT_THAT(NodesOfLine("create 0 2147483647"), UnorderedElementsAre(0, 2147483647));
  EXPECT_THAT(NodesOfLine("exec 7 k"), ElementsAre(7));
  EXPECT_THAT(NodesOfLine("exec 7 k 1"), ElementsAre(7));
  EXPECT_THAT(NodesOfLine("ping 3"), ElementsAre(3));
  EXPECT_THAT(NodesOfLine("remove 9"), ElementsAre(9));
}

TEST(NodesOfTest, CommandsThatNameNoNode) {
  for (const char* line :
       {"tree", "stats", "hosts", "help", "quit", "heartbit 10", "heartbeat 0"}) {
    SCOPED_TRACE(line);
    EXPECT_THAT(NodesOfLine(line), IsEmpty());
  }
}

TEST(NodesOfTest, ExecErrorsAfterTheIdNameTheirNode) {
  // The error line of an exec whose id parsed prints in order with that node.
  for (const char* line : {"exec 5 a-b", "exec 5 k x", "exec 005 k +1"}) {
    SCOPED_TRACE(line);
    Parsed parsed = ParseLine(line);
    const ParseError* error = std::get_if<ParseError>(&parsed);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->node, std::optional<NodeId>(5));
  }
  for (const char* line : {"exec x k", "exec", "create 1 x", "ping x", "word 5"}) {
    SCOPED_TRACE(line);
    Parsed parsed = ParseLine(line);
    const ParseError* error = std::get_if<ParseError>(&parsed);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->node, std::nullopt);
  }
}

TEST(HelpLinesTest, NamesEveryCommand) {
  const std::vector<std::string>& lines = HelpLines();
  ASSERT_FALSE(lines.empty());
  for (const char* word :
       {"create", "exec", "heartbit", "ping", "remove", "tree", "stats", "hosts", "help", "quit"}) {
    bool found = false;
    for (const std::string& line : lines) {
      if (line.rfind(word, 0) == 0) found = true;
    }
    EXPECT_TRUE(found) << "no help line starts with " << word;
  }
}

}  // namespace
}  // namespace arbor::cli

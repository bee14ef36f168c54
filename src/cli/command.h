// One input line -> one command, or the exact error line to answer with.
#ifndef ARBOR_CLI_COMMAND_H_
#define ARBOR_CLI_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ids.h"

namespace arbor::cli {

struct CreateCommand {
  NodeId id;
  NodeId parent;     // kControllerId when omitted or -1
  std::string host;  // `@host`; empty when omitted (its parent's host)
};
struct ExecCommand {
  NodeId id;
  std::string key;
  std::optional<int64_t> value;  // present: save; absent: load
};
struct HeartbitCommand {
  int64_t interval_ms;  // 0 = off
};
struct PingCommand {
  NodeId id;
};
struct RemoveCommand {
  NodeId id;
};
struct TreeCommand {};
struct StatsCommand {};
struct HostsCommand {};
struct HelpCommand {};
struct QuitCommand {};

using Command =
    std::variant<CreateCommand, ExecCommand, HeartbitCommand, PingCommand, RemoveCommand,
                 TreeCommand, StatsCommand, HostsCommand, HelpCommand, QuitCommand>;

// A line that is not a command: the exact answer line, and the node it concerns
// (an exec whose id parsed), so it prints in order with that node's answers.
struct ParseError {
  std::string line;
  std::optional<NodeId> node;
};

// Nothing to do (blank line or comment), a command, or an error.
using Parsed = std::variant<std::monostate, Command, ParseError>;

// Parses one line (without its '\n'; a trailing '\r' is stripped). Words are
// separated by spaces or tabs; command words are case-sensitive. Arity is checked
// first, then each token left to right.
Parsed ParseLine(std::string_view line);

// The nodes whose answers a command must stay in order with (target, and parent
// of a create).
std::vector<NodeId> NodesOf(const Command& command);

// The `help` text, one line per command.
const std::vector<std::string>& HelpLines();

}  // namespace arbor::cli

#endif  // ARBOR_CLI_COMMAND_H_

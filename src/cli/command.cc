#include "cli/command.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/strings.h"

namespace arbor::cli {
namespace {

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// Parses [-]digits into an int64 within [min, max]; no '+', no hex, no spaces.
std::optional<int64_t> ParseInteger(std::string_view s, int64_t min, int64_t max) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty()) return std::nullopt;
  // Accumulate as a negative number so INT64_MIN fits.
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    int d = c - '0';
    if (value < (INT64_MIN + d) / 10) return std::nullopt;
    value = value * 10 - d;
  }
  if (!negative) {
    if (value == INT64_MIN) return std::nullopt;
    value = -value;
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<NodeId> ParseId(std::string_view s) {
  if (!s.empty() && s[0] == '-') return std::nullopt;
  return ParseInteger(s, 0, kMaxNodeId);
}

ParseError Error(std::string line, std::optional<NodeId> node = std::nullopt) {
  return ParseError{std::move(line), node};
}

ParseError InvalidId(std::string_view token) {
  return Error(absl::StrCat("Error: Invalid id '", Sv(token), "'"));
}

Parsed ParseCreate(std::vector<std::string_view> w) {
  // `create id [parent] [@host]`: the host, when given, is the last word.
  std::optional<std::string> host;
  if (w.size() >= 3 && w.back()[0] == '@') {
    host = std::string(w.back().substr(1));
    w.pop_back();
  }
  if (w.size() < 2 || w.size() > 3) return Error("Error: Usage: create id [parent]");
  auto id = ParseId(w[1]);
  if (!id) return InvalidId(w[1]);
  NodeId parent = kControllerId;
  if (w.size() == 3) {
    auto p = w[2] == "-1" ? std::optional<NodeId>(kControllerId) : ParseId(w[2]);
    if (!p) return InvalidId(w[2]);
    parent = *p;
  }
  // Last, as left to right: a bare '@' names no host (not "its parent's host"),
  // and a word no host can be named is no host either.
  if (host && !IsHostName(*host)) return Error(absl::StrCat("Error: Unknown host '", *host, "'"));
  return Command(CreateCommand{*id, parent, host.value_or("")});
}

Parsed ParseExec(const std::vector<std::string_view>& w) {
  if (w.size() < 3 || w.size() > 4) return Error("Error: Usage: exec id name [value]");
  auto id = ParseId(w[1]);
  if (!id) return InvalidId(w[1]);
  if (!IsValidKey(w[2])) {
    return Error(absl::StrCat("Error:", *id, ": Invalid key '", Sv(w[2]), "'"), *id);
  }
  ExecCommand exec{*id, std::string(w[2]), std::nullopt};
  if (w.size() == 4) {
    auto value = ParseInteger(w[3], INT64_MIN, INT64_MAX);
    if (!value) return Error(absl::StrCat("Error:", *id, ": Invalid value '", Sv(w[3]), "'"), *id);
    exec.value = *value;
  }
  return Command(std::move(exec));
}

Parsed ParseOneId(const std::vector<std::string_view>& w, std::string_view usage, bool is_ping) {
  if (w.size() != 2) return Error(absl::StrCat("Error: Usage: ", Sv(usage)));
  auto id = ParseId(w[1]);
  if (!id) return InvalidId(w[1]);
  if (is_ping) return Command(PingCommand{*id});
  return Command(RemoveCommand{*id});
}

Parsed ParseHeartbit(const std::vector<std::string_view>& w) {
  if (w.size() != 2) return Error(absl::StrCat("Error: Usage: ", Sv(w[0]), " time"));
  auto ms = ParseInteger(w[1], 0, kMaxNodeId);
  if (!ms || w[1][0] == '-') return Error(absl::StrCat("Error: Invalid time '", Sv(w[1]), "'"));
  return Command(HeartbitCommand{*ms});
}

template <typename T>
Parsed ParseBare(const std::vector<std::string_view>& w) {
  if (w.size() != 1) return Error(absl::StrCat("Error: Usage: ", Sv(w[0])));
  return Command(T{});
}

}  // namespace

Parsed ParseLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> w = SplitWords(line);
  // A word that starts with '#' starts a comment, to the end of the line (no
  // key, id or value can start with one).
  auto comment = std::find_if(w.begin(), w.end(), [](std::string_view x) { return x[0] == '#'; });
  w.erase(comment, w.end());
  if (w.empty()) return std::monostate{};
  std::string_view verb = w[0];
  if (verb == "create") return ParseCreate(w);
  if (verb == "exec") return ParseExec(w);
  if (verb == "heartbit" || verb == "heartbeat") return ParseHeartbit(w);
  if (verb == "ping") return ParseOneId(w, "ping id", true);
  if (verb == "remove") return ParseOneId(w, "remove id", false);
  if (verb == "tree") return ParseBare<TreeCommand>(w);
  if (verb == "stats") return ParseBare<StatsCommand>(w);
  if (verb == "hosts") return ParseBare<HostsCommand>(w);
  if (verb == "help") return ParseBare<HelpCommand>(w);
  if (verb == "quit") return ParseBare<QuitCommand>(w);
  return Error(absl::StrCat("Error: Unknown command '", Sv(verb), "'"));
}

std::vector<NodeId> NodesOf(const Command& command) {
  if (auto* c = std::get_if<CreateCommand>(&command)) {
    if (c->parent == kControllerId) return {c->id};
    return {c->id, c->parent};
  }
  if (auto* c = std::get_if<ExecCommand>(&command)) return {c->id};
  if (auto* c = std::get_if<PingCommand>(&command)) return {c->id};
  if (auto* c = std::get_if<RemoveCommand>(&command)) return {c->id};
  return {};
}

const std::vector<std::string>& HelpLines() {
  static const auto* lines = new std::vector<std::string>{
      "create id [parent]     start worker id under parent (-1 or omitted: the controller)",
      "create id [parent] @host  the same, on host (without: on its parent's host)",
      "exec id name [value]   save value under name on node id, or load it",
      "heartbit time          heartbeat period in ms for every node; 0 = off (alias: heartbeat)",
      "ping id                Ok: 1 if node id answers, Ok: 0 if not",
      "remove id              stop node id; its children move to its parent",
      "tree                   the nodes, depth-first, with pid and state",
      "stats                  the controller's counters",
      "hosts                  the hosts, with their addresses and node counts",
      "help                   this list",
      "quit                   finish pending answers, stop every worker, exit",
  };
  return *lines;
}

}  // namespace arbor::cli

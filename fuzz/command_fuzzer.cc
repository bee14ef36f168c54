// Fuzzes the controller's input path: raw stdin bytes -> cli::LineReader (fed
// in chunks) -> lines -> cli::ParseLine. Besides "no crash, no UB, no leak" it
// checks what cli/line_reader.h, cli/command.h and README's grammar promise:
//  - the lines do not depend on how the bytes were chunked: they are the input
//    split at '\n' (a last line without '\n' counts), each line longer than the
//    limit replaced by one "too long" report;
//  - Next() gives a line only when HasLine() said so, and HasLine() is false
//    once Next() gave nothing (else the controller would wait on stdin with a
//    line in its buffer, or never read stdin again);
//  - a line gives nothing exactly when it is blank or a '#' comment;
//  - an error is one line: "Error: ..." or, for a node, "Error:<node>: ...";
//    the token it calls invalid is one of the line's words, and really invalid;
//  - a command's numbers are what std::from_chars reads from its words, in
//    range; it prints back (Render) to a line that parses to the same command;
//  - spaces and tabs around a line change nothing.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/line_reader.h"
#include "common/ids.h"
#include "common/strings.h"
#include "fuzz_check.h"

namespace arbor::fuzz {
namespace {

// The controller's limit (src/controller/options.h), and a small one so that
// short inputs reach the too-long paths.
constexpr size_t kLineLimits[] = {64 * 1024, 16};

struct Line {
  std::string text;
  bool too_long = false;
  bool operator==(const Line&) const = default;
};

// What the reader must give for `input`, however it is chunked.
std::vector<Line> ExpectedLines(std::string_view input, size_t limit) {
  std::vector<Line> lines;
  while (!input.empty()) {
    size_t newline = input.find('\n');
    std::string_view text = input.substr(0, newline);
    if (text.size() > limit) {
      lines.push_back({"", true});
    } else {
      lines.push_back({std::string(text), false});
    }
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
  }
  return lines;
}

std::vector<Line> ReadLines(std::string_view input, size_t chunk, size_t limit) {
  cli::LineReader reader(limit);
  std::vector<Line> lines;
  auto drain = [&] {
    while (true) {
      bool announced = reader.HasLine();
      std::optional<cli::LineReader::Line> line = reader.Next();
      if (!line) {
        ARBOR_FUZZ_CHECK(!reader.HasLine());
        return;
      }
      ARBOR_FUZZ_CHECK(announced);
      ARBOR_FUZZ_CHECK(!line->too_long || line->text.empty());
      lines.push_back({std::move(line->text), line->too_long});
    }
  };
  for (size_t i = 0; i < input.size(); i += chunk) {
    reader.Append(input.substr(i, chunk));
    drain();
  }
  reader.SetEof();
  drain();
  ARBOR_FUZZ_CHECK(reader.Exhausted());
  return lines;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    size_t start = line.find_first_not_of(" \t", i);
    if (start == std::string_view::npos) break;
    size_t end = std::min(line.find_first_of(" \t", start), line.size());
    words.push_back(line.substr(start, end - start));
    i = end;
  }
  return words;
}

// std::from_chars's reading of the whole token, as the reference for numbers.
std::optional<int64_t> Number(std::string_view token) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}
// Ids and heartbit times: unsigned decimal 0 .. kMaxNodeId.
std::optional<int64_t> Id(std::string_view token) {
  std::optional<int64_t> value = Number(token);
  if (token.empty() || token[0] == '-' || !value || !IsWorkerId(*value)) return std::nullopt;
  return value;
}

// The canonical line for a command.
std::string Render(const cli::Command& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cli::CreateCommand>) {
          std::string line = absl::StrCat("create ", c.id, " ", c.parent);
          if (!c.host.empty()) absl::StrAppend(&line, " @", c.host);
          return line;
        } else if constexpr (std::is_same_v<T, cli::ExecCommand>) {
          std::string line = absl::StrCat("exec ", c.id, " ", c.key);
          if (c.value) absl::StrAppend(&line, " ", *c.value);
          return line;
        } else if constexpr (std::is_same_v<T, cli::HeartbitCommand>) {
          return absl::StrCat("heartbit ", c.interval_ms);
        } else if constexpr (std::is_same_v<T, cli::PingCommand>) {
          return absl::StrCat("ping ", c.id);
        } else if constexpr (std::is_same_v<T, cli::RemoveCommand>) {
          return absl::StrCat("remove ", c.id);
        } else if constexpr (std::is_same_v<T, cli::TreeCommand>) {
          return "tree";
        } else if constexpr (std::is_same_v<T, cli::StatsCommand>) {
          return "stats";
        } else if constexpr (std::is_same_v<T, cli::HostsCommand>) {
          return "hosts";
        } else if constexpr (std::is_same_v<T, cli::HelpCommand>) {
          return "help";
        } else {
          static_assert(std::is_same_v<T, cli::QuitCommand>);
          return "quit";
        }
      },
      command);
}

// A parse result as one string, to compare two of them.
std::string Describe(const cli::Parsed& parsed) {
  if (std::holds_alternative<std::monostate>(parsed)) return "(nothing)";
  if (const auto* error = std::get_if<cli::ParseError>(&parsed)) {
    return absl::StrCat(error->line, " @", error->node ? absl::StrCat(*error->node) : "-");
  }
  return Render(std::get<cli::Command>(parsed));
}

void CheckCommand(const cli::Command& command, std::vector<std::string_view> w) {
  std::string_view verb = w[0];
  if (const auto* c = std::get_if<cli::CreateCommand>(&command)) {
    // `@host`, when given, is the last of three or four words, and not empty.
    if (w.size() >= 3 && w.back()[0] == '@') {
      ARBOR_FUZZ_CHECK(IsHostName(c->host) && c->host == w.back().substr(1));
      w.pop_back();
    } else {
      ARBOR_FUZZ_CHECK(c->host.empty());
    }
    ARBOR_FUZZ_CHECK(verb == "create" && (w.size() == 2 || w.size() == 3));
    ARBOR_FUZZ_CHECK(Id(w[1]) == c->id);
    if (w.size() == 2 || w[2] == "-1") {
      ARBOR_FUZZ_CHECK(c->parent == kControllerId);
    } else {
      ARBOR_FUZZ_CHECK(Id(w[2]) == c->parent);
    }
  } else if (const auto* c = std::get_if<cli::ExecCommand>(&command)) {
    ARBOR_FUZZ_CHECK(verb == "exec" && (w.size() == 3 || w.size() == 4));
    ARBOR_FUZZ_CHECK(Id(w[1]) == c->id);
    ARBOR_FUZZ_CHECK(c->key == w[2] && IsValidKey(c->key));
    ARBOR_FUZZ_CHECK(c->value.has_value() == (w.size() == 4));
    if (c->value) ARBOR_FUZZ_CHECK(Number(w[3]) == *c->value);
  } else if (const auto* c = std::get_if<cli::HeartbitCommand>(&command)) {
    ARBOR_FUZZ_CHECK((verb == "heartbit" || verb == "heartbeat") && w.size() == 2);
    ARBOR_FUZZ_CHECK(Id(w[1]) == c->interval_ms);
  } else if (const auto* c = std::get_if<cli::PingCommand>(&command)) {
    ARBOR_FUZZ_CHECK(verb == "ping" && w.size() == 2 && Id(w[1]) == c->id);
  } else if (const auto* c = std::get_if<cli::RemoveCommand>(&command)) {
    ARBOR_FUZZ_CHECK(verb == "remove" && w.size() == 2 && Id(w[1]) == c->id);
  } else {
    ARBOR_FUZZ_CHECK(w.size() == 1 && verb == Render(command));
  }
}

// If `line` is `prefix` + 'token' (quoted), the token; else nullopt.
std::optional<std::string_view> Quoted(std::string_view line, std::string_view prefix) {
  if (!absl::StartsWith(Sv(line), Sv(prefix)) || line.size() < prefix.size() + 2) {
    return std::nullopt;
  }
  if (line[prefix.size()] != '\'' || line.back() != '\'') return std::nullopt;
  return line.substr(prefix.size() + 1, line.size() - prefix.size() - 2);
}

bool IsWord(std::string_view token, const std::vector<std::string_view>& w) {
  for (std::string_view word : w) {
    if (word == token) return true;
  }
  return false;
}

void CheckError(const cli::ParseError& error, const std::vector<std::string_view>& w) {
  std::string_view line = error.line;
  ARBOR_FUZZ_CHECK(line.find('\n') == std::string_view::npos);
  if (error.node) {  // an exec whose id parsed
    ARBOR_FUZZ_CHECK(w[0] == "exec" && Id(w[1]) == *error.node);
    std::string prefix = absl::StrCat("Error:", *error.node, ": ");
    ARBOR_FUZZ_CHECK(absl::StartsWith(Sv(line), prefix));
    line.remove_prefix(prefix.size());
    if (auto key = Quoted(line, "Invalid key ")) {
      ARBOR_FUZZ_CHECK(*key == w[2] && !IsValidKey(*key));
    } else if (auto value = Quoted(line, "Invalid value ")) {
      ARBOR_FUZZ_CHECK(w.size() == 4 && *value == w[3] && !Number(*value));
    } else {
      ARBOR_FUZZ_CHECK(false);  // no other error names a node
    }
    return;
  }
  ARBOR_FUZZ_CHECK(absl::StartsWith(Sv(line), "Error: "));
  if (auto id = Quoted(line, "Error: Invalid id ")) {
    ARBOR_FUZZ_CHECK(IsWord(*id, w) && !Id(*id));
  } else if (auto time = Quoted(line, "Error: Invalid time ")) {
    ARBOR_FUZZ_CHECK(w.size() == 2 && *time == w[1] && !Id(*time));
  } else if (auto verb = Quoted(line, "Error: Unknown command ")) {
    ARBOR_FUZZ_CHECK(*verb == w[0]);
  }
}

void CheckParse(const std::string& line) {
  cli::Parsed parsed = cli::ParseLine(line);
  std::string_view stripped = line;
  if (!stripped.empty() && stripped.back() == '\r') stripped.remove_suffix(1);
  std::vector<std::string_view> w = Words(stripped);
  // A word starting with '#' starts a comment to the end of the line.
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i][0] == '#') {
      w.resize(i);
      break;
    }
  }
  bool blank_or_comment = w.empty();
  ARBOR_FUZZ_CHECK(std::holds_alternative<std::monostate>(parsed) == blank_or_comment);
  if (const auto* error = std::get_if<cli::ParseError>(&parsed)) CheckError(*error, w);
  if (const auto* command = std::get_if<cli::Command>(&parsed)) {
    CheckCommand(*command, w);
    ARBOR_FUZZ_CHECK(Describe(cli::ParseLine(Render(*command))) == Describe(parsed));
  }
  if (line.empty() || line.back() != '\r') {  // else the '\r' would no longer end the line
    ARBOR_FUZZ_CHECK(Describe(cli::ParseLine(" \t" + line + "\t ")) == Describe(parsed));
  }
}

void FuzzOne(std::string_view input) {
  // The chunk size varies with the input, so the corpus stays plain text.
  const size_t chunk = 1 + input.size() % 13;
  for (size_t limit : kLineLimits) {
    std::vector<Line> lines = ReadLines(input, chunk, limit);
    ARBOR_FUZZ_CHECK(lines == ExpectedLines(input, limit));
    if (limit != kLineLimits[0]) continue;
    for (const Line& line : lines) {
      if (!line.too_long) CheckParse(line.text);
    }
  }
}

}  // namespace
}  // namespace arbor::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  arbor::fuzz::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#include "hosts/hosts_file.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <optional>

#include "absl/strings/str_cat.h"

namespace arbor::hosts {
namespace {

absl::Status LineError(int line, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", std::string(why)));
}

// Splits one line into words, honouring quotes; a word starting with '#'
// (unquoted) ends the line.
absl::StatusOr<std::vector<std::string>> Words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#') return words;
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      char c = line[i++];
      if (c != '\'' && c != '"') {
        word += c;
        continue;
      }
      char quote = c;
      bool closed = false;
      while (i < line.size()) {
        char q = line[i++];
        if (q == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && q == '\\' && i < line.size() && (line[i] == '"' || line[i] == '\\')) {
          q = line[i++];
        }
        word += q;
      }
      if (!closed) return absl::InvalidArgumentError("unterminated quote");
    }
    words.push_back(std::move(word));
  }
}

// Splits on `sep`, keeping empty parts.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// A dotted-quad IPv4 address as inet_pton reads it (no leading zeros, which
// other parsers would take as octal).
std::optional<in_addr> Ipv4(std::string_view s) {
  in_addr address{};
  if (::inet_pton(AF_INET, std::string(s).c_str(), &address) != 1) return std::nullopt;
  return address;
}

bool IsDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-') return false;
  bool letter = false;
  for (char c : s) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(c >= '0' && c <= '9') && c != '.' && c != '-') return false;
    letter = letter || alpha;
  }
  return letter;  // all digits and dots would be a malformed IPv4 address
}

// Why `address` cannot be a host's address, or nullopt when it can.
std::optional<std::string> BadAddress(std::string_view address) {
  std::string quoted = absl::StrCat("'", std::string(address), "'");
  if (std::optional<in_addr> ip = Ipv4(address)) {
    if (ip->s_addr == htonl(INADDR_ANY)) {
      return absl::StrCat(quoted, " is a wildcard: give the address workers advertise");
    }
    return std::nullopt;
  }
  if (address == "*")
    return absl::StrCat(quoted, " is a wildcard: give the address workers advertise");
  if (!address.empty() && address.front() == '[') {
    return absl::StrCat(quoted, ": IPv6 addresses are not supported yet");
  }
  if (IsDnsName(address)) return std::nullopt;
  return absl::StrCat("invalid address ", quoted);
}
}  // namespace

HostsFile::HostsFile() { hosts_.push_back(Host{std::string(kLocal), "127.0.0.1", {}, 0}); }

absl::StatusOr<HostsFile> HostsFile::Parse(std::string_view text) {
  HostsFile file;
  file.hosts_.clear();
  int number = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::StatusOr<std::vector<std::string>> words = Words(line);
    if (!words.ok()) return LineError(number, "unterminated quote");
    if (words->empty()) continue;
    std::vector<std::string>& w = *words;
    if (!IsHostName(w[0])) {
      return LineError(number,
                       absl::StrCat("invalid host name '", w[0], "' (want [a-z0-9][a-z0-9.-]*)"));
    }
    if (file.Find(w[0]) != nullptr) {
      return LineError(number, absl::StrCat("host '", w[0], "' is listed twice"));
    }
    if (w.size() < 2) return LineError(number, absl::StrCat("host '", w[0], "' has no address"));
    if (std::optional<std::string> bad = BadAddress(w[1])) return LineError(number, *bad);
    Host host{w[0], w[1], std::vector<std::string>(w.begin() + 2, w.end()), number};
    if (host.name == kLocal && !host.launcher.empty()) {
      return LineError(number, "'local' is the controller's own host: it takes no launcher");
    }
    if (host.name != kLocal && host.launcher.empty()) {
      return LineError(number, absl::StrCat("host '", host.name, "' has no launcher"));
    }
    file.hosts_.push_back(std::move(host));
  }
  if (file.Find(kLocal) == nullptr) {
    if (!file.hosts_.empty()) {
      return absl::InvalidArgumentError(
          "no 'local' line: it gives the address remote workers reach the controller's host at");
    }
    return HostsFile();
  }
  return file;
}

const Host* HostsFile::Find(std::string_view name) const {
  for (const Host& host : hosts_) {
    if (host.name == name) return &host;
  }
  return nullptr;
}

}  // namespace arbor::hosts

// The hosts file (the coming `--hosts FILE`, README "Hosts"): one host per line,
// `NAME ADDRESS LAUNCHER...`, parsed and checked in full before anything
// starts. Pure: text in, a table or the first error (with its line) out.
#ifndef ARBOR_HOSTS_HOSTS_FILE_H_
#define ARBOR_HOSTS_HOSTS_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ids.h"

namespace arbor::hosts {

// The controller's own host.
inline constexpr std::string_view kLocal = "local";

struct Host {
  std::string name;     // [a-z0-9][a-z0-9.-]*, at most 63 characters
  std::string address;  // where its workers bind and what they advertise
  // The command that runs a program there, the worker's command line appended
  // (`ssh gpu7.lab --`, `srun -N1 -n1 -w gpu7 --`, `ip netns exec arbor-h1`);
  // empty for `local`.
  std::vector<std::string> launcher;
  int line = 0;  // 1-based, for messages
};

class HostsFile {
 public:
  // Without a file: `local` alone, at 127.0.0.1.
  HostsFile();

  // Parses the file's text. `#` starts a comment (at the start of a word);
  // blank lines are ignored; words are separated by spaces or tabs, and a
  // launcher word may be quoted ('...' as is, "..." with \" and \\). Errors are
  // INVALID_ARGUMENT "line N: why": a bad or repeated name, a missing, wildcard
  // (0.0.0.0, *) or malformed address (IPv4 as inet_pton reads it: no leading
  // zeros; or a DNS name; IPv6 is refused for now), a launcher on `local` or
  // none on another host, an unterminated quote; and, without a line number,
  // another host listed without a `local` line.
  static absl::StatusOr<HostsFile> Parse(std::string_view text);

  // The host named `name`, or nullptr.
  const Host* Find(std::string_view name) const;
  const Host& local() const { return *Find(kLocal); }
  // In file order (`local` first when the file did not name it).
  const std::vector<Host>& hosts() const { return hosts_; }

 private:
  std::vector<Host> hosts_;
};

using ::arbor::IsHostName;  // common/ids.h: [a-z0-9][a-z0-9.-]*, at most 63 characters

}  // namespace arbor::hosts

#endif  // ARBOR_HOSTS_HOSTS_FILE_H_

#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace arbor::bench {

std::optional<Memory> ReadMemory(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/smaps_rollup"));
  if (!in) return std::nullopt;
  Memory memory;
  bool any = false;
  std::string line;
  while (std::getline(in, line)) {
    // "Pss:                 123 kB"
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() < 2) continue;
    double kib = 0;
    if (!absl::SimpleAtod(words[1], &kib)) continue;
    if (words[0] == "Rss:") {
      memory.rss_kib = kib;
      any = true;
    } else if (words[0] == "Pss:") {
      memory.pss_kib = kib;
    } else if (words[0] == "Private_Clean:") {
      memory.private_kib += kib;
    } else if (words[0] == "Private_Dirty:") {
      memory.private_kib += kib;
      memory.private_dirty_kib = kib;
    }
  }
  if (!any) return std::nullopt;
  return memory;
}

std::optional<double> CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: count fields after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
  if (fields.size() < 13) return std::nullopt;
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (!absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime)) {
    return std::nullopt;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace arbor::bench

#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/strings.h"
#include "process/proc_stat.h"

namespace arbor::bench {

namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<Memory> ParseSmapsRollup(std::string_view text) {
  Memory memory;
  bool any = false;
  for (absl::string_view line : absl::StrSplit(Sv(text), '\n')) {
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

std::optional<Memory> ReadMemory(pid_t pid) {
  std::optional<std::string> text = ReadFile(absl::StrCat("/proc/", pid, "/smaps_rollup"));
  if (!text) return std::nullopt;
  return ParseSmapsRollup(*text);
}

std::optional<double> CpuSeconds(pid_t pid) {
  std::optional<process::ProcStat> stat = process::ReadProcStat(pid);
  if (!stat) return std::nullopt;
  return static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace arbor::bench

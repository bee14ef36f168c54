#include "process/proc_stat.h"

#include <fstream>
#include <iterator>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace arbor::process {

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(Sv(text.substr(close + 1)), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  // fields[0] is field 3 (state), fields[1] field 4 (ppid); utime and stime are
  // fields 14 and 15.
  ProcStat stat;
  int64_t ppid = 0;
  if (fields.size() < 13 || fields[0].size() != 1 || !absl::SimpleAtoi(fields[1], &ppid) ||
      !absl::SimpleAtoi(fields[11], &stat.utime_ticks) ||
      !absl::SimpleAtoi(fields[12], &stat.stime_ticks)) {
    return std::nullopt;
  }
  stat.state = fields[0][0];
  stat.ppid = static_cast<pid_t>(ppid);
  return stat;
}

std::optional<ProcStat> ReadProcStat(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseProcStat(text);
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  return ReadProcStat(absl::StrCat("/proc/", pid, "/stat"));
}

}  // namespace arbor::process

// /proc/<pid>/stat read once, the one place that knows its layout: the command
// name may hold spaces and ')', so fields are counted after the last ')'.
#ifndef ARBOR_PROCESS_PROC_STAT_H_
#define ARBOR_PROCESS_PROC_STAT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arbor::process {

struct ProcStat {
  char state = '?';  // R, S, D, T (stopped), t (traced), Z, ...
  pid_t ppid = 0;
  uint64_t utime_ticks = 0;  // clock ticks (sysconf(_SC_CLK_TCK))
  uint64_t stime_ticks = 0;

  bool stopped() const { return state == 'T' || state == 't'; }
};

// Parses the text of a stat file; nullopt when malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Reads `path` (/proc/<pid>/stat or /proc/<pid>/task/<tid>/stat); nullopt when
// the process is gone.
std::optional<ProcStat> ReadProcStat(const std::string& path);
std::optional<ProcStat> ReadProcStat(pid_t pid);

}  // namespace arbor::process

#endif  // ARBOR_PROCESS_PROC_STAT_H_

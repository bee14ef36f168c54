// What /proc says about a process: its memory (smaps_rollup) and CPU time.
#ifndef ARBOR_TOOLS_BENCH_PROC_STATS_H_
#define ARBOR_TOOLS_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace arbor::bench {

struct Memory {
  double rss_kib = 0;
  double pss_kib = 0;
  double private_kib = 0;        // Private_Clean + Private_Dirty
  double private_dirty_kib = 0;
};

// The figures of a smaps_rollup text; nullopt without an Rss line.
std::optional<Memory> ParseSmapsRollup(std::string_view text);

// From /proc/PID/smaps_rollup; nullopt when the process is gone.
std::optional<Memory> ReadMemory(pid_t pid);

// utime + stime in seconds (process::ReadProcStat); nullopt when the process is gone.
std::optional<double> CpuSeconds(pid_t pid);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_PROC_STATS_H_

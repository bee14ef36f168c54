// process::ParseProcStat: fields counted after the last ')' of the command name.
#include "process/proc_stat.h"

#include <unistd.h>

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace arbor::process {
namespace {

TEST(ProcStatTest, FieldsCountAfterTheLastParenthesis) {
  // A command name with spaces and ") " in it must not shift the fields.
  std::string text = "42 (a) b (c) T 7 42 42 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 9 0 0\n";
  std::optional<ProcStat> stat = ParseProcStat(text);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'T');
  EXPECT_TRUE(stat->stopped());
  EXPECT_EQ(stat->ppid, 7);
  EXPECT_EQ(stat->utime_ticks + stat->stime_ticks, 22u);
}

TEST(ProcStatTest, MalformedTextIsNothing) {
  EXPECT_FALSE(ParseProcStat("42 (x) S 1 2").has_value());
  EXPECT_FALSE(ParseProcStat("no parenthesis").has_value());
  EXPECT_FALSE(ParseProcStat("").has_value());
}

TEST(ProcStatTest, ReadsThisProcessAndNotAGoneOne) {
  std::optional<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_FALSE(self->stopped());
  EXPECT_FALSE(ReadProcStat(-1).has_value());
}

}  // namespace
}  // namespace arbor::process

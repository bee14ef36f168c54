// The helper-program runner of the test harness (tests/harness/subprocess.h).
#include "harness/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/processes.h"
#include "status_matchers.h"

namespace arbor::testing {
namespace {

TEST(Subprocess, RunCommandFeedsStdinAndCapturesOutputAndStatus) {
  auto ran = RunCommand({"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, "a\nb\n", Within());
  ASSERT_THAT(ran, IsOk());
  EXPECT_EQ(ran->status, 3);
  EXPECT_EQ(ran->out, "a\nb\n");
  EXPECT_EQ(ran->err, "oops\n");
}

TEST(Subprocess, RunCommandReportsASpawnFailure) {
  EXPECT_THAT(RunCommand({"/nonexistent/program"}, "", Within()),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(RunCommand({}, "", Within()), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Subprocess, RunCommandKillsAProgramAtItsDeadline) {
  absl::Time start = absl::Now();
  EXPECT_THAT(RunCommand({"/usr/bin/tail", "-f", "/dev/null"}, "", start + absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// A background child still holding stdout does not hold up the result (memfds,
// not pipes).
TEST(Subprocess, RunCommandReturnsWhenTheProgramExitsNotItsChildren) {
  auto ran = RunCommand({"/bin/sh", "-c", "/usr/bin/tail -f /dev/null & echo $!"}, "", Within());
  ASSERT_THAT(ran, IsOk());
  pid_t tail = std::atoi(ran->out.c_str());
  ASSERT_GT(tail, 0);
  int fd = PidfdOpen(tail);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PidfdSendSignal(fd, SIGKILL), 0);
  EXPECT_TRUE(WaitReadable(fd, Within()));
  close(fd);
  ReapOrphans();  // it was reparented to us, the subreaper
}

TEST(Subprocess, SpawnedProcessTalksOverPipesAndIsKilledByItsDestructor) {
  auto cat = SpawnedProcess::Start({"/bin/cat"});
  ASSERT_THAT(cat, IsOk());
  EXPECT_EQ((*cat)->ReadLine(absl::Now() + absl::Milliseconds(50)), std::nullopt);  // nothing yet
  (*cat)->CloseStdin();
  EXPECT_EQ((*cat)->ReadLine(Within()), std::nullopt);  // EOF
  EXPECT_EQ((*cat)->WaitExit(Within()), 0);

  auto echo = SpawnedProcess::Start({"/bin/sh", "-c", "echo one; printf two; exec cat"});
  ASSERT_THAT(echo, IsOk());
  EXPECT_EQ((*echo)->ReadLine(Within()), "one");
  pid_t pid = (*echo)->pid();
  EXPECT_TRUE(ProcessRunning(pid));
  echo->reset();  // still reading its stdin: killed and reaped
  EXPECT_FALSE(ProcessRunning(pid));
}

}  // namespace
}  // namespace arbor::testing

// A launcher's stderr (DESIGN §7, controller/launcher_stderr.h): the controller
// reads it through a pipe in its loop, logs each line as "[node N @host] LINE",
// and logs the last one with the spawn failure of a launcher that ends before
// Hello; the answer stays `Error: Spawn failed: launcher exited with status N`.
// Launchers here are scripts; the first tests need no root (nothing binds off
// loopback: the launcher exits before any worker runs), the last runs a real
// worker on a simulated host (tests/harness/netns.h).
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/files.h"
#include "harness/netns.h"
#include "harness/processes.h"
#include "harness/subprocess.h"
#include "status_matchers.h"

namespace arbor::testing {
namespace {

using ::arbor::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Where /proc/<pid>/fd/<fd> points ("pipe:[123]", "/memfd:arbor-stderr ...").
std::string FdTarget(pid_t pid, int fd) {
  std::error_code error;
  return std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/fd/", fd), error).string();
}

// How many of `pid`'s open fds are pipes.
int PipesOf(pid_t pid) {
  int pipes = 0;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error)) {
    std::error_code ignored;
    pipes += std::filesystem::read_symlink(entry.path(), ignored).string().rfind("pipe:", 0) == 0;
  }
  return pipes;
}

class LauncherStderrTest : public ::testing::Test {
 protected:
  // An executable script in the test's directory.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = absl::StrCat(dir_.path(), "/", name);
    WriteScript(path, "#!/bin/bash\n" + body);
    return path;
  }
  // `arbor --sync --hosts F` with `file` as F.
  std::unique_ptr<ArborProcess> Start(const std::string& file) {
    std::string path = absl::StrCat(dir_.path(), "/hosts-", ++files_);
    WriteFile(path, file);
    return std::make_unique<ArborProcess>(std::vector<std::string>{"--sync", "--hosts", path});
  }

  TempDir dir_;
  int files_ = 0;
};

TEST_F(LauncherStderrTest, ALauncherThatExitsBeforeHelloHasItsLastLineLogged) {
  std::string launcher = Script("denied", R"(echo "debug1: connecting to h1" >&2
echo "Permission denied (publickey)." >&2
exit 3
)");
  std::unique_ptr<ArborProcess> arbor = Start("local 127.0.0.1\nh1 127.0.0.1 " + launcher + "\n");
  ASSERT_TRUE(arbor->started());
  arbor->Send("create 1 @h1");
  ASSERT_TRUE(arbor->ExpectLine("Error: Spawn failed: launcher exited with status 3"));
  // Logged before the answer was printed: each line as it came, then the verdict.
  std::string err = arbor->Stderr();
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] debug1: connecting to h1\n"));
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] Permission denied (publickey).\n"));
  EXPECT_THAT(err, HasSubstr("[arbor] node 1 @h1: launcher exited with status 3: last stderr "
                             "line: Permission denied (publickey).\n"));
  // The id is free again, and a silent launcher says so.
  std::string silent = Script("silent", "exit 5\n");
  arbor.reset();
  arbor = Start("local 127.0.0.1\nh1 127.0.0.1 " + silent + "\n");
  ASSERT_TRUE(arbor->started());
  arbor->Send("create 1 @h1");
  ASSERT_TRUE(arbor->ExpectLine("Error: Spawn failed: launcher exited with status 5"));
  EXPECT_THAT(arbor->Stderr(),
              HasSubstr("[arbor] node 1 @h1: launcher exited with status 5: nothing on stderr\n"));
  EXPECT_TRUE(arbor->FinishCleanly());
}

// Megabytes with no newline, control bytes, then many lines: each line is cut
// at 512 bytes, control bytes show as '?', the loop keeps answering, and the
// last line is the one logged with the failure.
TEST_F(LauncherStderrTest, AChattyLauncherIsBoundedAndTheLastLineKept) {
  std::string launcher = Script("chatty", R"(head -c 3000000 /dev/zero | tr '\0' x >&2
printf '\n\033[31mred\033[0m\n' >&2
for i in $(seq 1 3000); do echo "line $i of the chatter"; done >&2
printf 'no newline at the end' >&2
exit 4
)");
  std::unique_ptr<ArborProcess> arbor = Start("local 127.0.0.1\nh1 127.0.0.1 " + launcher + "\n");
  ASSERT_TRUE(arbor->started());
  absl::Time start = absl::Now();
  arbor->Send("create 1 @h1");
  ASSERT_TRUE(arbor->ExpectLine("Error: Spawn failed: launcher exited with status 4"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  std::string err = arbor->Stderr();
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] " + std::string(512, 'x') + "...\n"));
  EXPECT_THAT(err, Not(HasSubstr(std::string(513, 'x'))));
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] ?[31mred?[0m\n"));
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] line 3000 of the chatter\n"));
  EXPECT_THAT(err, HasSubstr("[arbor] node 1 @h1: launcher exited with status 4: last stderr "
                             "line: no newline at the end\n"));
  EXPECT_TRUE(arbor->FinishCleanly());
}

// A launcher that runs the worker: its lines (and the worker's own log lines,
// which come the same way) are logged with the node's name; only a remote
// node's stderr is a pipe, a local worker still shares the controller's; and
// the pipe is closed once the launcher is reaped.
TEST_F(LauncherStderrTest, ARunningWorkersLinesPassThroughAndItsPipeIsClosedAtItsEnd) {
  auto made = SimulatedHosts::Create(1);
  if (std::optional<std::string> reason = NetnsSkipReason(made.status())) GTEST_SKIP() << *reason;
  ASSERT_THAT(made, IsOk());
  std::unique_ptr<SimulatedHosts> hosts = std::move(*made);
  std::optional<std::string> ip = FindExecutable({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"});
  ASSERT_TRUE(ip.has_value()) << "no ip(8)";
  std::string launcher = Script("chat-then-exec", "echo \"starting $2 on h1\" >&2\nexec \"$@\"\n");
  std::string file =
      absl::StrCat("local ", hosts->controller().address, "\nh1 ", hosts->host(1).address, " ",
                   JoinArgv(hosts->Launcher(hosts->host(1))), " ", launcher, "\n");
  std::string path = dir_.path() + "/hosts";
  WriteFile(path, file);
  auto arbor = std::make_unique<ArborProcess>(
      std::vector<std::string>{"netns", "exec", hosts->controller().netns, ARBOR_BIN, "--sync",
                               "--verbose", "--hosts", path},
      *ip);
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2;
  ASSERT_TRUE(arbor->Create("2", &p2));
  int baseline = PipesOf(arbor->pid());
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  arbor->Send("exec 1 k 5");
  EXPECT_TRUE(arbor->ExpectLine("Ok:1"));
  EXPECT_THAT(FdTarget(p1, 2), StartsWith("pipe:"));
  EXPECT_EQ(FdTarget(p2, 2), FdTarget(arbor->pid(), 2));  // local: unchanged
  EXPECT_EQ(PipesOf(arbor->pid()), baseline + 2);         // its lifeline and its stderr
  std::string err = arbor->Stderr();
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] starting "));
  EXPECT_THAT(err, HasSubstr("[node 1 @h1] [node 1] "));  // the worker's --verbose lines
  arbor->Send("remove 1");
  EXPECT_TRUE(arbor->ExpectLine("Ok"));
  EXPECT_TRUE(arbor->WorkerExits(p1));
  EXPECT_TRUE(WaitUntil([&] { return PipesOf(arbor->pid()) == baseline; }, Within()))
      << PipesOf(arbor->pid());
  EXPECT_TRUE(arbor->FinishCleanly());
  EXPECT_THAT(hosts->Pids(hosts->host(1)), ::testing::IsEmpty());
}

}  // namespace
}  // namespace arbor::testing

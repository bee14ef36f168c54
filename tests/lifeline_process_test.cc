// A worker's lifeline (launch/worker_args.h --lifeline, process/worker_pool.h
// Launch): with its stdin a pipe the pool holds, the real `arbor-worker` runs
// while the pipe is open and exits at its EOF -- how a worker on another host
// learns that the controller is gone. Also through a launcher found in $PATH.
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/processes.h"
#include "launch/worker_args.h"
#include "process/worker_pool.h"
#include "status_matchers.h"
#include "transport/endpoints.h"
#include "transport/event_loop.h"
#include "transport/socket.h"

namespace arbor {
namespace {

using ::arbor::testing::IsOk;

// A parent for the worker to connect to (it would give up on a missing one).
class LifelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<transport::IpcDirectory> dir = transport::IpcDirectory::Create();
    ASSERT_THAT(dir.status(), IsOk());
    dir_.emplace(std::move(*dir));
    absl::StatusOr<transport::Socket> router = transport::Socket::Router(context_, {});
    ASSERT_THAT(router.status(), IsOk());
    parent_.emplace(std::move(*router));
    absl::StatusOr<std::string> bound =
        parent_->Bind(absl::StrCat("ipc://", dir_->path(), "/parent"));
    ASSERT_THAT(bound.status(), IsOk());
    endpoint_ = *bound;
  }
  void TearDown() override {
    if (parent_) parent_->SetLinger(0);
  }

  std::vector<std::string> Args() const {
    launch::WorkerArgs args;
    args.id = 1;
    args.parent_endpoint = endpoint_;
    args.ipc_dir = dir_->path();
    args.lifeline = true;
    return launch::ToArgv(args);
  }

  // Waits (on a pidfd, bounded) for `pid` to exit, then reaps it through the
  // pool; its wait status, or nullopt if it is still running.
  static std::optional<int> Reaped(process::WorkerPool& pool, pid_t pid) {
    int fd = testing::PidfdOpen(pid);
    if (fd < 0) return std::nullopt;
    bool exited = testing::WaitReadable(fd, absl::Now() + absl::Seconds(10));
    ::close(fd);
    if (!exited) return std::nullopt;
    for (const process::WorkerPool::Exit& exit : pool.Reap()) {
      if (exit.pid == pid) return exit.wait_status;
    }
    return std::nullopt;
  }

  transport::Context context_;
  std::optional<transport::IpcDirectory> dir_;
  std::optional<transport::Socket> parent_;
  std::string endpoint_;
};

TEST_F(LifelineTest, TheWorkerRunsWhileThePipeIsOpenAndExitsAtItsEof) {
  process::WorkerPool pool(ARBOR_WORKER_BIN);
  absl::StatusOr<pid_t> pid = pool.Spawn(Args(), {{}, /*lifeline=*/true, ""});
  ASSERT_THAT(pid.status(), IsOk());
  // Up and connected: its Hello reaches the parent (the loop waits, bounded).
  transport::EventLoop loop;
  transport::Frames frames;
  bool hello = false;
  loop.AddSocket(*parent_, [&] {
    absl::StatusOr<bool> got = parent_->Receive(frames);
    if (got.ok() && *got) {
      hello = true;
      loop.Stop();
    }
  });
  loop.ScheduleAfter(absl::Seconds(10), [&] { loop.Stop(); });
  loop.Run();
  loop.RemoveSocket(*parent_);
  ASSERT_TRUE(hello) << "the worker never said Hello";
  EXPECT_TRUE(testing::ProcessRunning(*pid));
  pool.CloseLifeline(*pid);
  std::optional<int> status = Reaped(pool, *pid);
  ASSERT_TRUE(status.has_value()) << "the worker did not exit at its stdin's EOF";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST_F(LifelineTest, ThroughALauncherFoundInPath) {
  // `env` stands for ssh or srun: found in $PATH, the worker's command line
  // appended; the pid is the launcher's (env execs, so here it is the worker).
  process::WorkerPool pool(ARBOR_WORKER_BIN);
  absl::StatusOr<pid_t> pid = pool.Spawn(Args(), {{"env", "ARBOR_VIA=launcher"}, true, ""});
  ASSERT_THAT(pid.status(), IsOk());
  {
    int fd = testing::PidfdOpen(*pid);
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(testing::WaitReadable(fd, absl::Now() + absl::Milliseconds(300)))
        << "it must run while the lifeline is open";
    ::close(fd);
  }
  pool.CloseLifeline(*pid);
  std::optional<int> status = Reaped(pool, *pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

TEST_F(LifelineTest, ALauncherThatIsNotThereFailsTheSpawn) {
  process::WorkerPool pool(ARBOR_WORKER_BIN);
  absl::StatusOr<pid_t> pid = pool.Spawn(Args(), {{"no-such-launcher-arbor"}, true, ""});
  EXPECT_FALSE(pid.ok());
  EXPECT_EQ(pool.live(), 0u);
}

}  // namespace
}  // namespace arbor

// A tree across simulated hosts (tests/harness/netns.h): the controller in the
// `local` namespace, workers started on h1..h3 through their launchers (`ip
// netns exec`), every cross-host link CURVE over tcp (README "Hosts").
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/netns.h"
#include "harness/subprocess.h"
#include "status_matchers.h"

namespace arbor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The command line of process `pid`, its words joined by spaces.
std::string CommandLine(pid_t pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/cmdline"));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = SimulatedHosts::Create(3);
    if (std::optional<std::string> reason = NetnsSkipReason(made.status())) GTEST_SKIP() << *reason;
    ASSERT_THAT(made, IsOk());
    hosts_ = std::move(*made);
    std::optional<std::string> ip = FindExecutable({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"});
    ASSERT_TRUE(ip.has_value()) << "no ip(8)";
    ip_ = *ip;
  }

  // Starts the controller inside `local`'s namespace with `hosts_file` (the
  // fixture's own when empty) and `flags`.
  std::unique_ptr<ArborProcess> StartController(std::vector<std::string> flags = {},
                                                const Isolation& isolation = {}) {
    hosts_path_ = absl::StrCat(::testing::TempDir(), "/arbor-hosts-", getpid(), "-",
                               ++files_);
    std::ofstream(hosts_path_) << hosts_->HostsFile(isolation);
    std::vector<std::string> args = {"netns", "exec", hosts_->controller().netns, ARBOR_BIN,
                                     "--hosts", hosts_path_};
    args.insert(args.end(), flags.begin(), flags.end());
    return std::make_unique<ArborProcess>(args, ip_);
  }

  void TearDown() override {
    if (!hosts_path_.empty()) std::remove(hosts_path_.c_str());
  }

  std::unique_ptr<SimulatedHosts> hosts_;  // destroyed last: kills what is left
  std::string ip_;
  std::string hosts_path_;
  int files_ = 0;
};

// Routes that cross hosts twice (local -> h1 -> h1 -> h2 -> local), exec,
// ping, tree, hosts and remove all answer exactly as on one machine.
TEST_F(HostsTest, ATreeOverThreeHostsAnswersLikeOne) {
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"});
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3, p4, p5, p6;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1", &p2));  // its parent's host: h1
  ASSERT_TRUE(arbor->Create("3 2 @h2", &p3));
  ASSERT_TRUE(arbor->Create("4 3 @local", &p4));
  ASSERT_TRUE(arbor->Create("5", &p5));
  ASSERT_TRUE(arbor->Create("6 5 @h3", &p6));
  // Over the network, and only there by CURVE: a worker off `local` is told
  // no ipc path at all (ipc paths would reach across these namespaces, which
  // share one file system), and node 4 reaches its parent on h2 by tcp.
  for (pid_t remote : {p1, p2, p3, p6}) {
    EXPECT_THAT(CommandLine(remote), Not(HasSubstr("ipc://"))) << remote;
    EXPECT_THAT(CommandLine(remote), HasSubstr("--parent_key=")) << remote;
  }
  EXPECT_THAT(CommandLine(p1),
              HasSubstr("--parent_curve_endpoint=tcp://" + hosts_->controller().address + ":"));
  EXPECT_THAT(CommandLine(p4),
              HasSubstr("--parent_curve_endpoint=tcp://" + hosts_->host(2).address + ":"));
  EXPECT_THAT(CommandLine(p4), Not(HasSubstr("--parent_endpoint=")));
  EXPECT_THAT(CommandLine(p5), HasSubstr("--parent_endpoint=ipc://"));
  arbor->Send("exec 4 k 7");
  EXPECT_TRUE(arbor->ExpectLine("Ok:4"));
  arbor->Send("exec 4 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:4: 7"));
  arbor->Send("exec 6 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:6: 'k' not found"));
  arbor->Send("ping 3");
  EXPECT_TRUE(arbor->ExpectLine("Ok: 1"));
  arbor->Send("tree");
  for (const std::string& line :
       {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  2 pid ", p2, " available @h1"),
        absl::StrCat("    3 pid ", p3, " available @h2"),
        absl::StrCat("      4 pid ", p4, " available"), absl::StrCat("5 pid ", p5, " available"),
        absl::StrCat("  6 pid ", p6, " available @h3")}) {
    EXPECT_TRUE(arbor->ExpectLine(line));
  }
  arbor->Send("hosts");
  EXPECT_TRUE(arbor->ExpectLine(absl::StrCat("local ", hosts_->controller().address, " nodes=2")));
  for (int k = 1; k <= 3; ++k) {
    EXPECT_TRUE(arbor->ExpectLine(
        absl::StrCat("h", k, " ", hosts_->host(k).address, " nodes=", k == 1 ? 2 : 1)));
  }
  // Node 3 (h2) moves up to node 1 (h1) with its data and its child on local.
  arbor->Send("remove 2");
  EXPECT_TRUE(arbor->ExpectLine("Ok"));
  arbor->Send("exec 4 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:4: 7"));
  arbor->Send("exec 3 j 1");
  EXPECT_TRUE(arbor->ExpectLine("Ok:3"));
  arbor->Send("tree");
  for (const std::string& line :
       {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  3 pid ", p3, " available @h2"),
        absl::StrCat("    4 pid ", p4, " available"), absl::StrCat("5 pid ", p5, " available"),
        absl::StrCat("  6 pid ", p6, " available @h3")}) {
    EXPECT_TRUE(arbor->ExpectLine(line));
  }
  EXPECT_TRUE(arbor->FinishCleanly());
  for (int k = 1; k <= 3; ++k) EXPECT_THAT(hosts_->Pids(hosts_->host(k)), ::testing::IsEmpty());
}

}  // namespace
}  // namespace arbor::testing

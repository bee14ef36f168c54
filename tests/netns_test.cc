// The simulated-hosts fixture (tests/harness/netns.h) checked against the
// kernel: reachability between namespaces, a cut link, KillAll, cleanup, the
// time and pid namespaces of a launcher prefix, and the skip path.
#include "harness/netns.h"

#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/subprocess.h"
#include "harness/processes.h"
#include "hosts/hosts_file.h"
#include "status_matchers.h"

namespace arbor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kPython[] = "/usr/bin/python3";

// A TCP listener on `address`, port chosen by the kernel and printed once it
// listens (so nobody has to guess when it is ready); it accepts forever.
constexpr char kListener[] = R"(
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
while True:
    s.accept()[0].close()
)";

struct Listener {
  std::unique_ptr<SpawnedProcess> process;
  int port = 0;
};

// Starts kListener inside `host` on its address; a failure is a test failure
// (port stays 0).
Listener Listen(const SimulatedHosts& hosts, const SimulatedHost& host) {
  Listener listener;
  auto started = SpawnedProcess::Start(hosts.Exec(host, {kPython, "-c", kListener, host.address}));
  EXPECT_THAT(started, IsOk());
  if (!started.ok()) return listener;
  listener.process = std::move(*started);
  std::optional<std::string> line = listener.process->ReadLine(Within());
  EXPECT_TRUE(line && absl::SimpleAtoi(*line, &listener.port))
      << "listener in " << host.name << " printed no port";
  return listener;
}

// What the real `ip netns pids NAME` prints (one pid a line).
std::string IpNetnsPids(const std::string& netns) {
  auto ran = RunCommand({"ip", "netns", "pids", netns}, "", Within());
  EXPECT_THAT(ran, IsOk());
  return ran.ok() ? ran->out : "?";
}

std::string IpOutput(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = RunCommand(argv, "", Within());
  EXPECT_THAT(ran, IsOk());
  EXPECT_EQ(ran.ok() ? ran->status : -1, 0) << JoinArgv(argv) << ": " << (ran.ok() ? ran->err : "");
  return ran.ok() ? ran->out : "";
}

double MonotonicSeconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

class NetnsHosts : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Time start = absl::Now();
    auto made = SimulatedHosts::Create(3);
    if (std::optional<std::string> reason = NetnsSkipReason(made.status())) GTEST_SKIP() << *reason;
    ASSERT_THAT(made, IsOk());
    hosts_ = std::move(*made);
    RecordProperty("setup_ms", static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - start)));
  }

  std::unique_ptr<SimulatedHosts> hosts_;
};

TEST_F(NetnsHosts, NamesAndAddressesFollowTheScheme) {
  const std::string prefix = absl::StrCat("arbor-", getpid(), "-");
  ASSERT_EQ(hosts_->size(), 3);
  EXPECT_EQ(hosts_->controller().name, "local");
  EXPECT_THAT(hosts_->controller().netns, ::testing::StartsWith(prefix));
  EXPECT_THAT(hosts_->subnet(), ::testing::MatchesRegex(R"(10\.200\.[0-9]+\.0/24)"));
  const std::string net = hosts_->subnet().substr(0, hosts_->subnet().size() - 4);  // "10.200.R."
  EXPECT_EQ(hosts_->controller().address, net + "1");
  for (int k = 1; k <= 3; ++k) {
    EXPECT_EQ(hosts_->host(k).name, absl::StrCat("h", k));
    EXPECT_EQ(hosts_->host(k).netns, absl::StrCat(hosts_->controller().netns.substr(
                                                      0, hosts_->controller().netns.size() - 5),
                                                  "h", k));
    EXPECT_EQ(hosts_->host(k).address, absl::StrCat(net, k + 1));
    EXPECT_LE(hosts_->host(k).port.size(), 15u);
  }
  // The interfaces live in the controller's namespace and the hosts', never
  // in the root namespace, and the root namespace has no 10.200 address.
  EXPECT_THAT(IpOutput({"-o", "link"}), Not(HasSubstr(hosts_->tag())));
  std::string root_addrs = IpOutput({"-o", "addr"});
  EXPECT_THAT(root_addrs, Not(HasSubstr(" " + hosts_->controller().address + "/")));
  for (int k = 1; k <= hosts_->size(); ++k) {
    EXPECT_THAT(root_addrs, Not(HasSubstr(" " + hosts_->host(k).address + "/")));
  }
  std::string local_links = IpOutput({"-n", hosts_->controller().netns, "-o", "link"});
  EXPECT_THAT(local_links, HasSubstr("ab" + hosts_->tag()));
  EXPECT_THAT(local_links, HasSubstr(hosts_->host(3).port));
  std::string h1_addrs = IpOutput({"-n", hosts_->host(1).netns, "-o", "addr"});
  EXPECT_THAT(h1_addrs, HasSubstr("127.0.0.1/8"));
  EXPECT_THAT(h1_addrs, HasSubstr(hosts_->host(1).address + "/24"));

  // The hosts file (README "Hosts", hosts/hosts_file.h), its launchers the Exec() prefix.
  std::vector<std::string> lines = absl::StrSplit(hosts_->HostsFile(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "local " + hosts_->controller().address);
  EXPECT_EQ(lines[2], absl::StrCat("h2 ", hosts_->host(2).address, " ",
                                   JoinArgv(hosts_->Launcher(hosts_->host(2)))));
  EXPECT_THAT(lines[2], ::testing::EndsWith(" netns exec " + hosts_->host(2).netns));
  // ... and the controller's parser takes it as a user's file.
  absl::StatusOr<hosts::HostsFile> parsed = hosts::HostsFile::Parse(hosts_->HostsFile());
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_EQ(parsed->hosts().size(), 4u);
  EXPECT_EQ(parsed->local().address, hosts_->controller().address);
  ASSERT_NE(parsed->Find("h2"), nullptr);
  EXPECT_EQ(parsed->Find("h2")->launcher, hosts_->Launcher(hosts_->host(2)));
}

TEST_F(NetnsHosts, HostReachesAListenerOnAnotherHost) {
  Listener h2 = Listen(*hosts_, hosts_->host(2));
  ASSERT_GT(h2.port, 0);
  // In-process, from a thread inside h1's namespace ...
  EXPECT_THAT(hosts_->WaitConnectable(hosts_->host(1), hosts_->host(2).address, h2.port, Within()),
              IsOk());
  // ... and from a program started with h1's launcher prefix.
  auto ran = RunCommand(
      hosts_->Exec(hosts_->host(1),
                   {kPython, "-c",
                    "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), "
                    "timeout=5).close()",
                    hosts_->host(2).address, absl::StrCat(h2.port)}),
      "", Within());
  ASSERT_THAT(ran, IsOk());
  EXPECT_EQ(ran->status, 0) << ran->err;
  // Namespaces really separate: h2's loopback is not h1's.
  EXPECT_THAT(hosts_->Connect(hosts_->host(1), "127.0.0.1", h2.port, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(NetnsHosts, ControllerAndHostsReachEachOther) {
  std::vector<Listener> listeners;
  for (const SimulatedHost& host : hosts_->all()) listeners.push_back(Listen(*hosts_, host));
  for (int k = 1; k <= hosts_->size(); ++k) {
    ASSERT_GT(listeners[static_cast<size_t>(k)].port, 0);
    EXPECT_THAT(hosts_->WaitConnectable(hosts_->controller(), hosts_->host(k).address,
                                        listeners[static_cast<size_t>(k)].port, Within()),
                IsOk())
        << "local -> h" << k;
    EXPECT_THAT(hosts_->WaitConnectable(hosts_->host(k), hosts_->controller().address,
                                        listeners[0].port, Within()),
                IsOk())
        << "h" << k << " -> local";
  }
}

TEST_F(NetnsHosts, CutLinkDropsTrafficUntilRestored) {
  Listener h2 = Listen(*hosts_, hosts_->host(2));
  Listener h3 = Listen(*hosts_, hosts_->host(3));
  ASSERT_GT(h2.port, 0);
  ASSERT_GT(h3.port, 0);
  const SimulatedHost& h1 = hosts_->host(1);
  ASSERT_THAT(hosts_->WaitConnectable(h1, hosts_->host(2).address, h2.port, Within()), IsOk());

  ASSERT_THAT(hosts_->Cut(2), IsOk());
  // Silence, not a refusal: the packets are dropped, as with a pulled cable.
  EXPECT_THAT(hosts_->Connect(h1, hosts_->host(2).address, h2.port, absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(hosts_->Connect(hosts_->controller(), hosts_->host(2).address, h2.port,
                              absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // The other hosts are not affected.
  EXPECT_THAT(hosts_->WaitConnectable(h1, hosts_->host(3).address, h3.port, Within()), IsOk());

  ASSERT_THAT(hosts_->Restore(2), IsOk());
  EXPECT_THAT(hosts_->WaitConnectable(h1, hosts_->host(2).address, h2.port, Within()), IsOk());
}

TEST_F(NetnsHosts, KillAllEmptiesOneHost) {
  const SimulatedHost& h2 = hosts_->host(2);
  Listener listener = Listen(*hosts_, h2);
  Listener bystander = Listen(*hosts_, hosts_->host(1));
  ASSERT_GT(listener.port, 0);
  ASSERT_GT(bystander.port, 0);
  // A detached process no handle knows of (its shell exits at once), and a
  // program in a pid namespace of its own (unshare, then cat as its pid 1).
  auto detached = RunCommand(
      hosts_->Exec(h2, {"/bin/sh", "-c", "/usr/bin/tail -f /dev/null >/dev/null 2>&1 & echo $!"}),
      "", Within());
  ASSERT_THAT(detached, IsOk());
  pid_t tail_pid = std::atoi(detached->out.c_str());
  ASSERT_GT(tail_pid, 0);
  auto isolated = SpawnedProcess::Start(hosts_->Exec(h2, {"/bin/cat"}, {.private_pids = true}));
  ASSERT_THAT(isolated, IsOk());
  // The unshare launcher and its forked child both appear once the child runs.
  absl::Time deadline = Within();
  while (hosts_->Pids(h2).size() < 4 && absl::Now() < deadline) poll(nullptr, 0, 5);
  EXPECT_EQ(hosts_->Pids(h2).size(), 4u) << IpNetnsPids(h2.netns);
  std::vector<std::string> listed = absl::StrSplit(IpNetnsPids(h2.netns), '\n', absl::SkipEmpty());
  EXPECT_EQ(listed.size(), 4u);

  ASSERT_THAT(hosts_->KillAll(h2, Within()), IsOk());
  EXPECT_EQ(IpNetnsPids(h2.netns), "");
  EXPECT_FALSE(ProcessRunning(tail_pid));
  EXPECT_EQ(listener.process->WaitExit(Within()), 128 + SIGKILL);
  EXPECT_EQ((*isolated)->WaitExit(Within()), 128 + SIGKILL);
  // Only h2 was emptied.
  EXPECT_TRUE(ProcessRunning(bystander.process->pid()));
  EXPECT_THAT(IpNetnsPids(hosts_->host(1).netns),
              HasSubstr(absl::StrCat(bystander.process->pid())));
}

TEST_F(NetnsHosts, TimeNamespaceShiftsTheMonotonicClock) {
  constexpr int64_t kOffset = 100000;  // s, about 28 hours
  const char* script =
      "import time; print(time.clock_gettime(time.CLOCK_MONOTONIC)); "
      "print(open('/proc/self/timens_offsets').read(), end='')";
  double before = MonotonicSeconds();
  auto ran = RunCommand(hosts_->Exec(hosts_->host(1), {kPython, "-c", script},
                                     {.monotonic_offset = absl::Seconds(kOffset)}),
                        "", Within());
  double after = MonotonicSeconds();
  ASSERT_THAT(ran, IsOk());
  if (ran->status != 0 && ran->err.find("unshare") != std::string::npos) {
    GTEST_SKIP() << "no time namespaces here (kernel CONFIG_TIME_NS, util-linux >= 2.36): "
                 << ran->err;
  }
  ASSERT_EQ(ran->status, 0) << ran->err;
  std::vector<std::string> lines = absl::StrSplit(ran->out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << ran->out;
  double theirs = 0;
  ASSERT_TRUE(absl::SimpleAtod(lines[0], &theirs)) << lines[0];
  EXPECT_GE(theirs, before + kOffset);
  EXPECT_LE(theirs, after + kOffset);
  EXPECT_THAT(ran->out, ::testing::ContainsRegex(absl::StrCat("monotonic +", kOffset, " +0")));

  // Without the prefix a program of the host shares the machine's clock.
  auto plain = RunCommand(hosts_->Exec(hosts_->host(1), {"/bin/cat", "/proc/self/timens_offsets"}),
                          "", Within());
  ASSERT_THAT(plain, IsOk());
  EXPECT_THAT(plain->out, ::testing::ContainsRegex("monotonic +0 +0"));
}

TEST_F(NetnsHosts, PidNamespaceMakesTheProgramPidOne) {
  auto ran = RunCommand(hosts_->Exec(hosts_->host(1), {"/bin/sh", "-c", "echo $$; ls /proc"},
                                     {.private_pids = true, .monotonic_offset = absl::Seconds(5)}),
                        "", Within());
  ASSERT_THAT(ran, IsOk());
  ASSERT_EQ(ran->status, 0) << ran->err;
  std::vector<std::string> lines = absl::StrSplit(ran->out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "1");
  int pids = 0;
  for (size_t i = 1; i < lines.size(); ++i)
    pids += lines[i].find_first_not_of("0123456789") == std::string::npos;
  EXPECT_LE(pids, 2) << "sh and ls only:\n" << ran->out;  // the machine has many more
}

// Everything goes with the fixture, also when the test body throws and a
// process is still running in a namespace.
TEST(NetnsCleanup, DestructorRemovesNamespacesLinksAndProcesses) {
  std::unique_ptr<SpawnedProcess> listener;  // outlives the hosts: their destructor must kill it
  pid_t tail_pid = 0;
  std::vector<std::string> names;
  std::string tag;
  absl::Duration setup;
  absl::Time teardown_start;
  try {
    absl::Time start = absl::Now();
    auto made = SimulatedHosts::Create(3);
    if (std::optional<std::string> reason = NetnsSkipReason(made.status())) GTEST_SKIP() << *reason;
    ASSERT_THAT(made, IsOk());
    setup = absl::Now() - start;
    std::unique_ptr<SimulatedHosts> hosts = std::move(*made);
    for (const SimulatedHost& h : hosts->all()) names.push_back(h.netns);
    tag = hosts->tag();
    auto started = SpawnedProcess::Start(hosts->Exec(hosts->host(1), {"/bin/cat"}));
    ASSERT_THAT(started, IsOk());
    listener = std::move(*started);
    auto detached = RunCommand(
        hosts->Exec(hosts->host(3),
                    {"/bin/sh", "-c", "/usr/bin/tail -f /dev/null >/dev/null 2>&1 & echo $!"}),
        "", Within());
    ASSERT_THAT(detached, IsOk());
    tail_pid = std::atoi(detached->out.c_str());
    ASSERT_TRUE(ProcessRunning(tail_pid));
    teardown_start = absl::Now();
    throw std::runtime_error("the test body fails");
  } catch (const std::runtime_error&) {
  }
  absl::Duration teardown = absl::Now() - teardown_start;
  std::cout << "setup " << setup << " (3 hosts), teardown " << teardown << "\n";

  std::string listed = IpOutput({"netns", "list"});
  for (const std::string& name : names) {
    EXPECT_THAT(listed, Not(HasSubstr(name)));
    EXPECT_FALSE(std::filesystem::exists("/run/netns/" + name)) << name;
  }
  EXPECT_THAT(IpOutput({"-o", "link"}), Not(HasSubstr(tag)));
  EXPECT_EQ(listener->WaitExit(Within()), 128 + SIGKILL);
  EXPECT_FALSE(ProcessRunning(tail_pid));
}

TEST(NetnsSkip, ReasonOnlyWhenNamespacesCannotBeMade) {
  struct Row {
    absl::Status status;
    std::optional<std::string> reason;
  } rows[] = {
      {absl::OkStatus(), std::nullopt},
      {absl::PermissionDeniedError("not root (euid 1000)"),
       "needs root for ip netns: not root (euid 1000)"},
      {absl::UnavailableError("mount --make-shared /run/netns failed: Operation not permitted"),
       "needs root for ip netns: mount --make-shared /run/netns failed: Operation not permitted"},
      {absl::InternalError("link add failed"), std::nullopt},  // a real failure, never a skip
      {absl::InvalidArgumentError("hosts must be 1..200, not 0"), std::nullopt},
  };
  for (const Row& row : rows) EXPECT_EQ(NetnsSkipReason(row.status), row.reason) << row.status;
}

// The skip path for real: this test binary run again as nobody, and as root
// without capabilities, skips a fixture test with the message.
TEST(NetnsSkip, UnprivilegedRunsSkipWithTheMessage) {
  if (geteuid() != 0) {
    EXPECT_EQ(NetnsSkipReason(SimulatedHosts::Create(1).status()),
              absl::StrCat("needs root for ip netns: not root (euid ", geteuid(), ")"));
    return;
  }
  std::optional<std::string> setpriv = FindExecutable({"/usr/bin/setpriv", "/bin/setpriv"});
  if (!setpriv) GTEST_SKIP() << "no setpriv (util-linux) to drop privileges with";
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  // A checkout under a 0700 directory (/root) cannot be run as nobody at all.
  auto reachable = RunCommand({*setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                               "test", "-x", self},
                              "", Within());
  ASSERT_THAT(reachable, IsOk());
  if (reachable->status != 0) GTEST_SKIP() << "uid 65534 cannot run " << self;
  const std::string filter = "--gtest_filter=NetnsHosts.HostReachesAListenerOnAnotherHost";
  struct Row {
    std::vector<std::string> drop;
    std::vector<std::string> says;
  } rows[] = {
      {{"--reuid=65534", "--regid=65534", "--clear-groups"},
       {"needs root for ip netns: not root (euid 65534)"}},
      // uid 0 without capabilities: `ip netns add` itself fails.
      {{"--inh-caps=-all", "--bounding-set=-all"},
       {"needs root for ip netns: ", "Operation not permitted"}},
  };
  for (const Row& row : rows) {
    std::vector<std::string> argv = {*setpriv};
    argv.insert(argv.end(), row.drop.begin(), row.drop.end());
    argv.insert(argv.end(), {self, filter});
    auto ran = RunCommand(argv, "", Within());
    ASSERT_THAT(ran, IsOk());
    EXPECT_EQ(ran->status, 0) << JoinArgv(argv) << "\n" << ran->out << ran->err;
    for (const std::string& says : row.says) {
      EXPECT_THAT(ran->out, HasSubstr(says)) << JoinArgv(argv);
    }
    EXPECT_THAT(ran->out, HasSubstr("[  SKIPPED ] 1 test")) << JoinArgv(argv);
  }
}

}  // namespace
}  // namespace arbor::testing

// A host reached through real OpenSSH (issue 11): the test starts an sshd in
// h1's namespace (tests/harness/netns.h) on a port the kernel gave, key-only,
// with its host key, authorized_keys and config in a temp dir, and the
// controller (in `local`) runs h1's workers through the hosts-file line a
// user would write: `h1 ADDRESS ssh -o BatchMode=yes ... ADDRESS --`.
// Needs root (namespaces, sshd) and Debian's openssh-server/openssh-client
// (tools/test installs them); skips with the reason otherwise.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
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
using ::testing::IsEmpty;

constexpr char kSshd[] = "/usr/sbin/sshd";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Why this machine cannot run the test, or nullopt.
std::optional<std::string> SshSkipReason() {
  if (geteuid() != 0) return "needs root (namespaces, sshd)";
  if (access(kSshd, X_OK) != 0) return "no /usr/sbin/sshd (Debian's openssh-server)";
  for (const char* tool : {"ssh", "ssh-keygen"}) {
    if (!FindExecutable({absl::StrCat("/usr/bin/", tool), absl::StrCat("/bin/", tool)})) {
      return absl::StrCat("no ", tool, " (Debian's openssh-client)");
    }
  }
  return std::nullopt;
}

// The `arbor-worker` processes in `host`'s namespace.
std::vector<pid_t> WorkersOn(const SimulatedHosts& hosts, const SimulatedHost& host) {
  std::vector<pid_t> workers;
  for (pid_t pid : hosts.Pids(host)) {
    if (ReadCmdline(pid).rfind(std::string(ARBOR_WORKER_BIN) + '\0', 0) == 0) {
      workers.push_back(pid);
    }
  }
  return workers;
}

// An sshd in one simulated host, key-only, on a free port of its address; and
// the client side: a key it accepts, a known_hosts file with its host key.
// The destructor SIGKILLs it through its pidfd and reaps it.
class SshServer {
 public:
  static absl::StatusOr<std::unique_ptr<SshServer>> Start(const SimulatedHosts& hosts,
                                                          const SimulatedHost& host,
                                                          const std::string& ip,
                                                          const std::string& dir) {
    auto server = std::unique_ptr<SshServer>(new SshServer(host, dir));
    absl::Status started = server->Run(hosts, ip);
    if (!started.ok()) {
      return absl::Status(started.code(), absl::StrCat(started.message(), "; sshd's log:\n",
                                                       ReadText(server->log_)));
    }
    return server;
  }
  ~SshServer() {
    if (pidfd_ >= 0) {
      PidfdSendSignal(pidfd_, SIGKILL);
      WaitReadable(pidfd_, Within());
      close(pidfd_);
      waitpid(pid_, nullptr, 0);  // ECHILD when ReapOrphans() took it first
    }
  }
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& client_key() const { return client_key_; }
  const std::string& known_hosts() const { return known_hosts_; }
  // A key pair sshd does not accept.
  const std::string& stranger_key() const { return stranger_key_; }
  // What sshd logged (-e: to stderr, kept in a file).
  std::string Log() const { return ReadText(log_); }

  // The launcher a user would write for this server (hosts-file words):
  // batch mode (never a prompt), the host key checked against `known_hosts`,
  // one identity. `-F /dev/null`: the machine's own ssh config plays no part.
  std::string Launcher(const std::string& key) const {
    return absl::StrCat("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes",
                        " -o UserKnownHostsFile=", known_hosts_, " -o IdentitiesOnly=yes -i ", key,
                        " -p ", port_, " ", host_.address, " --");
  }

 private:
  SshServer(const SimulatedHost& host, const std::string& dir)
      : host_(host),
        client_key_(dir + "/client_key"),
        known_hosts_(dir + "/known_hosts"),
        stranger_key_(dir + "/stranger_key"),
        dir_(dir),
        log_(dir + "/sshd.log") {}

  static absl::Status Keygen(const std::string& path) {
    absl::StatusOr<CommandResult> made =
        RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "arbor-test", "-f", path},
                   "", Within());
    if (!made.ok()) return made.status();
    if (made->status != 0) return absl::InternalError("ssh-keygen: " + made->err);
    return absl::OkStatus();
  }

  absl::Status Run(const SimulatedHosts& hosts, const std::string& ip) {
    std::string host_key = dir_ + "/host_key";
    for (const std::string& key : {host_key, client_key_, stranger_key_}) {
      absl::Status made = Keygen(key);
      if (!made.ok()) return made;
    }
    std::string authorized = dir_ + "/authorized_keys";
    WriteFile(authorized, ReadText(client_key_ + ".pub"));
    absl::StatusOr<int> port = hosts.FreePort(host_);
    if (!port.ok()) return port.status();
    port_ = *port;
    WriteFile(known_hosts_,
              absl::StrCat("[", host_.address, "]:", port_, " ", ReadText(host_key + ".pub")));
    std::string config = dir_ + "/sshd_config";
    // Key-only; StrictModes off because the temp dir is under /tmp.
    WriteFile(config, absl::Substitute(R"(ListenAddress $0:$1
HostKey $2
AuthorizedKeysFile $3
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile none
UseDNS no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
)",
                                       host_.address, port_, host_key, authorized));
    // sshd's privilege separation directory (what Debian's ssh service makes at
    // its start); left in place: another test's sshd may be using it.
    if (mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("mkdir /run/sshd: ", std::strerror(errno)));
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    absl::StatusOr<pid_t> pid = SpawnWithFds(
        {ip, "netns", "exec", host_.netns, kSshd, "-D", "-e", "-f", config}, null, null, log);
    close(null);
    close(log);
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    pidfd_ = PidfdOpen(pid_);
    if (pidfd_ < 0) return absl::InternalError("pidfd_open of sshd");
    // Listening: a connect from the controller's host is accepted.
    return hosts.WaitConnectable(hosts.controller(), host_.address, port_, Within());
  }

  SimulatedHost host_;
  std::string client_key_;
  std::string known_hosts_;
  std::string stranger_key_;
  std::string dir_;
  std::string log_;
  int port_ = 0;
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

class SshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::optional<std::string> reason = SshSkipReason()) GTEST_SKIP() << *reason;
    auto made = SimulatedHosts::Create(1);
    if (std::optional<std::string> reason = NetnsSkipReason(made.status())) GTEST_SKIP() << *reason;
    ASSERT_THAT(made, IsOk());
    hosts_ = std::move(*made);
    std::optional<std::string> ip = FindExecutable({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"});
    ASSERT_TRUE(ip.has_value()) << "no ip(8)";
    ip_ = *ip;
    absl::StatusOr<std::unique_ptr<SshServer>> sshd =
        SshServer::Start(*hosts_, h1(), ip_, dir_.path());
    ASSERT_THAT(sshd, IsOk());
    sshd_ = std::move(*sshd);
  }
  void TearDown() override {
    if (HasFailure() && sshd_ != nullptr) std::cerr << "---- sshd log\n" << sshd_->Log();
  }

  const SimulatedHost& h1() const { return hosts_->host(1); }

  // `arbor --sync --hosts F` in `local`, F: `local ADDRESS` and h1 through
  // ssh with `key`.
  std::unique_ptr<ArborProcess> StartController(const std::string& key) {
    std::string file = absl::StrCat("local ", hosts_->controller().address, "\n", "h1 ",
                                    h1().address, " ", sshd_->Launcher(key), "\n");
    std::string path = dir_.path() + "/hosts";
    WriteFile(path, file);
    return std::make_unique<ArborProcess>(
        std::vector<std::string>{"netns", "exec", hosts_->controller().netns, ARBOR_BIN, "--sync",
                                 "--hosts", path},
        ip_);
  }

  // Nothing of ours left on h1 but sshd's listener, none in `local`.
  ::testing::AssertionResult OnlySshdLeft() {
    bool done = WaitUntil(
        [&] {
          std::vector<pid_t> h1_pids = hosts_->Pids(h1());
          return h1_pids.size() == 1 && h1_pids[0] == sshd_->pid() &&
                 hosts_->Pids(hosts_->controller()).empty();
        },
        Within());
    if (done) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "h1: " << absl::StrJoin(hosts_->Pids(h1()), " ") << " (sshd " << sshd_->pid()
           << "), local: " << absl::StrJoin(hosts_->Pids(hosts_->controller()), " ");
  }

  TempDir dir_;                            // keys, config, hosts file, sshd's log
  std::unique_ptr<SimulatedHosts> hosts_;  // destroyed before dir_, after sshd_
  std::string ip_;
  std::unique_ptr<SshServer> sshd_;
};

TEST_F(SshTest, NodesOnAHostReachedThroughOpenSsh) {
  std::unique_ptr<ArborProcess> arbor = StartController(sshd_->client_key());
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1", &p2));  // its parent's host: h1, a second ssh session
  ASSERT_TRUE(arbor->Create("3 2 @local", &p3));
  // The controller's children are the ssh clients; the workers run under sshd.
  EXPECT_EQ(ReadCmdline(p1).rfind(std::string("ssh") + '\0', 0), 0u) << ReadCmdline(p1);
  EXPECT_EQ(WorkersOn(*hosts_, h1()).size(), 2u);
  EXPECT_TRUE(arbor->ExpectAnswers({{"exec 3 k 7", "Ok:3"},
                                    {"exec 3 k", "Ok:3: 7"},
                                    {"exec 2 j 1", "Ok:2"},
                                    {"ping 2", "Ok: 1"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("1 pid ", p1, " available @h1"),
                                  absl::StrCat("  2 pid ", p2, " available @h1"),
                                  absl::StrCat("    3 pid ", p3, " available")}));
  // Node 3 moves up to node 1 with its data; node 2's ssh session ends.
  arbor->Send("remove 2");
  EXPECT_TRUE(arbor->ExpectLine("Ok"));
  EXPECT_TRUE(arbor->WorkerExits(p2));
  arbor->Send("exec 3 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:3: 7"));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines(
      {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  3 pid ", p3, " available")}));
  EXPECT_TRUE(WaitUntil([&] { return WorkersOn(*hosts_, h1()).size() == 1; }, Within()));
  EXPECT_TRUE(arbor->FinishCleanly());
  EXPECT_TRUE(OnlySshdLeft());
  EXPECT_THAT(sshd_->Log(), HasSubstr("Accepted publickey for root"));
}

// kill -9 of the controller: ssh's stdin (the lifeline) closes, ssh passes the
// EOF on, and the worker under sshd exits; then the ssh sessions end.
TEST_F(SshTest, TheRemoteWorkerExitsWhenTheControllerIsKilled) {
  std::unique_ptr<ArborProcess> arbor = StartController(sshd_->client_key());
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1", &p2));
  std::vector<pid_t> remote = WorkersOn(*hosts_, h1());
  ASSERT_EQ(remote.size(), 2u);
  arbor->Kill(SIGKILL);
  for (pid_t pid : remote) EXPECT_TRUE(WaitNotRunning(pid, Within())) << pid;
  for (pid_t pid : {p1, p2}) EXPECT_TRUE(arbor->WorkerExits(pid)) << pid;  // the ssh clients
  EXPECT_TRUE(arbor->NoWorkerLeft());
  EXPECT_TRUE(OnlySshdLeft());
}

// A key sshd does not take: ssh exits 255 before any worker runs; the answer
// is the launcher's status and the log has ssh's own last words.
TEST_F(SshTest, AKeySshdDoesNotAcceptIsASpawnFailure) {
  std::unique_ptr<ArborProcess> arbor = StartController(sshd_->stranger_key());
  ASSERT_TRUE(arbor->started());
  arbor->Send("create 1 @h1");
  EXPECT_TRUE(arbor->ExpectLine("Error: Spawn failed: launcher exited with status 255"));
  EXPECT_THAT(arbor->Stderr(),
              HasSubstr(absl::StrCat("[arbor] node 1 @h1: launcher exited with status 255: last "
                                     "stderr line: root@",
                                     h1().address, ": Permission denied (publickey).\n")));
  arbor->Send("tree");  // nothing was made
  EXPECT_TRUE(arbor->ExpectLine("(empty)"));
  arbor->Send("hosts");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("local ", hosts_->controller().address, " nodes=0"),
                                  absl::StrCat("h1 ", h1().address, " nodes=0")}));
  EXPECT_TRUE(arbor->FinishCleanly());
  EXPECT_THAT(WorkersOn(*hosts_, h1()), IsEmpty());
  EXPECT_TRUE(OnlySshdLeft());
}

}  // namespace
}  // namespace arbor::testing

// A tree across simulated hosts (tests/harness/netns.h): the controller in the
// `local` namespace, workers started on h1..h3 through their launchers (`ip
// netns exec`), every cross-host link CURVE over tcp (README "Hosts").
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "arbor/v1/arbor.pb.h"
#include "client/client.h"
#include "common/z85.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/client_session.h"
#include "harness/curve_rig.h"
#include "harness/files.h"
#include "harness/netns.h"
#include "harness/processes.h"
#include "harness/subprocess.h"
#include "status_matchers.h"
#include "transport/curve.h"
#include "transport/socket.h"
#include "wire/codec.h"

namespace arbor::testing {
namespace {

using ::arbor::testing::EventLog;
using ::arbor::testing::Get;
using ::testing::HasSubstr;
using ::testing::Not;

// The value of `--NAME=` in a NUL-separated /proc cmdline ("" when absent).
std::string FlagOf(const std::string& cmdline, const std::string& name) {
  std::string prefix = "--" + name + "=";
  size_t at = 0;
  while (at < cmdline.size()) {
    size_t end = cmdline.find('\0', at);
    if (end == std::string::npos) end = cmdline.size();
    std::string_view arg(cmdline.data() + at, end - at);
    if (arg.starts_with(prefix)) return std::string(arg.substr(prefix.size()));
    at = end + 1;
  }
  return "";
}

// The dropped_frames of the controller's `stats` line (-1 when not found).
int64_t DroppedFrames(ArborProcess& arbor) {
  arbor.Send("stats");
  std::optional<std::string> line = arbor.ReadLine();
  if (!line) return -1;
  size_t at = line->find("dropped_frames=");
  int64_t n = -1;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(line->substr(at + std::string("dropped_frames=").size()), &n)) {
    ADD_FAILURE() << "not a stats line: " << *line;
    return -1;
  }
  return n;
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

  // Starts the controller inside `local`'s namespace with the fixture's hosts
  // file (its launchers with `isolation`), or `hosts_file`, and `flags`.
  std::unique_ptr<ArborProcess> StartController(std::vector<std::string> flags = {},
                                                const Isolation& isolation = {},
                                                const std::string& hosts_file = "") {
    std::string path = absl::StrCat(dir_.path(), "/hosts-", ++files_);
    WriteFile(path, hosts_file.empty() ? hosts_->HostsFile(isolation) : hosts_file);
    std::vector<std::string> args = {"netns",   "exec",    hosts_->controller().netns,
                                     ARBOR_BIN, "--hosts", path};
    args.insert(args.end(), flags.begin(), flags.end());
    return std::make_unique<ArborProcess>(args, ip_);
  }

  // Host k's line of a hosts file, its launcher followed by `wrapper` (a
  // script of the test's in the worker's place, or "").
  std::string HostLine(int k, const std::string& wrapper) const {
    return absl::StrCat("h", k, " ", hosts_->host(k).address, " ",
                        JoinArgv(hosts_->Launcher(hosts_->host(k))), wrapper, "\n");
  }

  void TreeOverThreeHosts(const Isolation& isolation);

  std::unique_ptr<SimulatedHosts> hosts_;  // destroyed last: kills what is left
  std::string ip_;
  TempDir dir_;  // hosts files, launcher scripts, client endpoints
  int files_ = 0;
};

// Routes that cross hosts twice (local -> h1 -> h1 -> h2 -> local), exec,
// ping, tree, hosts and remove all answer exactly as on one machine.
void HostsTest::TreeOverThreeHosts(const Isolation& isolation) {
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"}, isolation);
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
    EXPECT_THAT(ReadCmdline(remote), Not(HasSubstr("ipc://"))) << remote;
    EXPECT_THAT(ReadCmdline(remote), HasSubstr("--parent_key=")) << remote;
  }
  EXPECT_THAT(ReadCmdline(p1),
              HasSubstr("--parent_curve_endpoint=tcp://" + hosts_->controller().address + ":"));
  EXPECT_THAT(ReadCmdline(p4),
              HasSubstr("--parent_curve_endpoint=tcp://" + hosts_->host(2).address + ":"));
  EXPECT_THAT(ReadCmdline(p4), Not(HasSubstr("--parent_endpoint=")));
  EXPECT_THAT(ReadCmdline(p5), HasSubstr("--parent_endpoint=ipc://"));
  EXPECT_TRUE(arbor->ExpectAnswers({{"exec 4 k 7", "Ok:4"},
                                    {"exec 4 k", "Ok:4: 7"},
                                    {"exec 6 k", "Ok:6: 'k' not found"},
                                    {"ping 3", "Ok: 1"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines(
      {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  2 pid ", p2, " available @h1"),
       absl::StrCat("    3 pid ", p3, " available @h2"),
       absl::StrCat("      4 pid ", p4, " available"), absl::StrCat("5 pid ", p5, " available"),
       absl::StrCat("  6 pid ", p6, " available @h3")}));
  arbor->Send("hosts");
  EXPECT_TRUE(arbor->ExpectLine(absl::StrCat("local ", hosts_->controller().address, " nodes=2")));
  for (int k = 1; k <= 3; ++k) {
    EXPECT_TRUE(arbor->ExpectLine(
        absl::StrCat("h", k, " ", hosts_->host(k).address, " nodes=", k == 1 ? 2 : 1)));
  }
  // Node 3 (h2) moves up to node 1 (h1) with its data and its child on local.
  EXPECT_TRUE(
      arbor->ExpectAnswers({{"remove 2", "Ok"}, {"exec 4 k", "Ok:4: 7"}, {"exec 3 j 1", "Ok:3"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines(
      {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  3 pid ", p3, " available @h2"),
       absl::StrCat("    4 pid ", p4, " available"), absl::StrCat("5 pid ", p5, " available"),
       absl::StrCat("  6 pid ", p6, " available @h3")}));
  EXPECT_TRUE(arbor->FinishCleanly());
  for (int k = 1; k <= 3; ++k) EXPECT_THAT(hosts_->Pids(hosts_->host(k)), ::testing::IsEmpty());
}

TEST_F(HostsTest, ATreeOverThreeHostsAnswersLikeOne) { TreeOverThreeHosts({}); }

// Each host with its own pids and its own monotonic clock, hK's k x 1000 s
// ahead of the controller's: a budget stays relative (no sent_mono_us across
// hosts, between workers too), so no request looks late on arrival.
TEST_F(HostsTest, BudgetsHoldWithClocksOffsetBetweenHosts) {
  TreeOverThreeHosts({/*private_pids=*/true, /*monotonic_offset=*/absl::Seconds(1000),
                      /*offset_per_host=*/true});
}

// A launcher that hands the worker a wrong key: the parent's (a server key
// that is not its) or its own (a key the parent never accepted). Either way
// the handshake fails, the worker exits at once and the create says why.
TEST_F(HostsTest, AWorkerWithAWrongKeyIsASpawnFailure) {
  const std::string& dir = dir_.path();
  std::string wrong_server = dir + "/wrong-server-key";
  WriteScript(wrong_server, absl::StrCat("#!/bin/bash\n"
                                         "out=()\n"
                                         "for a in \"$@\"; do\n"
                                         "  case \"$a\" in --parent_key=*) out+=(\"--parent_key=",
                                         Z85ToHex(NewKeys().public_z85),
                                         "\");; *) out+=(\"$a\");; esac\n"
                                         "done\n"
                                         "exec \"${out[@]}\"\n"));
  std::string wrong_own = dir + "/wrong-own-key";
  // Its stdin: another secret (its token kept), then the controller's lifeline
  // as it was.
  WriteScript(wrong_own, absl::StrCat("#!/bin/bash\n"
                                      "read -r secret token\n"
                                      "exec \"$@\" < <(echo '",
                                      NewKeys().secret_z85, " '\"$token\"; exec cat)\n"));
  // h1 and h2 run their workers through those; h3 is honest.
  std::string file =
      absl::StrCat("local ", hosts_->controller().address, "\n", HostLine(1, " " + wrong_server),
                   HostLine(2, " " + wrong_own), HostLine(3, ""));
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"}, {}, file);
  ASSERT_TRUE(arbor->started());
  absl::Time start = absl::Now();
  arbor->Send("create 1 @h1");
  EXPECT_TRUE(arbor->ExpectLine(
      "Error: Spawn failed: authentication failed between node 1 and node -1 (CURVE handshake: "
      "a wrong key)"));
  arbor->Send("create 2 @h2");
  EXPECT_TRUE(arbor->ExpectLine(
      "Error: Spawn failed: authentication failed between node 2 and node -1 (CURVE handshake: "
      "a wrong key)"));
  // At once, not at the Hello deadline: neither worker loops on its handshake.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  pid_t p3;
  ASSERT_TRUE(arbor->Create("3 @h3", &p3));  // the honest host still works
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLine(absl::StrCat("3 pid ", p3, " available @h3")));
  EXPECT_TRUE(arbor->FinishCleanly());
}

// kill -9 of a node on h2 between h1 and h3: its child on h3 re-attaches to
// its grandparent on h1 over CURVE (with that ancestor's key, from Lineage),
// keeping its data and its own child.
TEST_F(HostsTest, AnOrphanReattachesToAnAncestorOnAnotherHost) {
  std::string endpoint = "ipc://" + dir_.path() + "/c";  // ipc reaches across the namespaces
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync", "--listen", endpoint});
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3, p4;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1 @h2", &p2));
  ASSERT_TRUE(arbor->Create("3 2 @h3", &p3));
  ASSERT_TRUE(arbor->Create("4 3", &p4));
  ASSERT_TRUE(arbor->ExpectAnswers({{"exec 3 k 30", "Ok:3"}, {"exec 4 k 40", "Ok:4"}}));
  absl::StatusOr<std::unique_ptr<client::Client>> client = client::Client::Connect(endpoint);
  ASSERT_THAT(client, IsOk());
  EventLog events;
  ASSERT_THAT(Get((*client)->Watch(events.Callback())), IsOk());
  absl::Time killed = absl::Now();
  ASSERT_TRUE(arbor->SignalWorker(p2, SIGKILL));
  EXPECT_EQ(events.WaitFor(2, client::EventKind::kLost), p2);
  std::optional<client::NodeEvent> adopted =
      events.WaitForEvent(3, client::EventKind::kAdopted, killed + absl::Seconds(3));
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->parent, 1);
  EXPECT_TRUE(arbor->ExpectAnswers({{"exec 3 k", "Ok:3: 30"}, {"exec 4 k", "Ok:4: 40"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("1 pid ", p1, " available @h1"),
                                  absl::StrCat("  2 pid ", p2, " dead @h2"),
                                  absl::StrCat("  3 pid ", p3, " available @h3"),
                                  absl::StrCat("    4 pid ", p4, " available @h3")}));
  client->reset();
  EXPECT_TRUE(arbor->FinishCleanly());
}

// kill -9 of the controller: no worker outlives it on any host. With private
// pid namespaces a remote worker's parent is the launcher (unshare), not the
// controller, so its parent-death signal cannot help: its stdin lifeline's EOF
// ends it.
TEST_F(HostsTest, EveryRemoteWorkerExitsWhenTheControllerIsKilled) {
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"}, {/*private_pids=*/true});
  ASSERT_TRUE(arbor->started());
  std::vector<pid_t> pids(4);
  ASSERT_TRUE(arbor->Create("1 @h1", &pids[0]));
  ASSERT_TRUE(arbor->Create("2 1 @h2", &pids[1]));
  ASSERT_TRUE(arbor->Create("3 2", &pids[2]));
  ASSERT_TRUE(arbor->Create("4 3 @h3", &pids[3]));
  arbor->Kill(SIGKILL);
  for (pid_t pid : pids) EXPECT_TRUE(arbor->WorkerExits(pid)) << pid;
  for (int k = 1; k <= 3; ++k) EXPECT_THAT(hosts_->Pids(hosts_->host(k)), ::testing::IsEmpty());
  EXPECT_TRUE(arbor->NoWorkerLeft());
}

// Intruders at node 1's CURVE ROUTER (on h1), each claiming node 2 (on h2), a
// real child of it: a peer without CURVE, one with a key nobody issued, and
// one holding node 3's real key and token (node 3 is "compromised": its
// launcher on h3 leaks its stdin's first line) as "2", as "2.GUESS" and as
// "2.<node 3's token>". None of them gets a frame; each is counted in
// dropped_frames; node 2 keeps its link and every answer stays right.
TEST_F(HostsTest, IntrudersClaimingAChildGetNothing) {
  const std::string stolen = dir_.path() + "/stolen";
  std::string leak = dir_.path() + "/leak";
  WriteScript(leak, absl::StrCat("#!/bin/bash\n"
                                 "read -r line\n"
                                 "echo \"$line\" > '",
                                 stolen,
                                 "'\n"
                                 "exec \"$@\" < <(echo \"$line\"; exec cat)\n"));
  std::string file = absl::StrCat("local ", hosts_->controller().address, "\n", HostLine(1, ""),
                                  HostLine(2, ""), HostLine(3, " " + leak));
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"}, {}, file);
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1 @h2", &p2));
  ASSERT_TRUE(arbor->Create("3 1 @h3", &p3));
  arbor->Send("exec 2 k 2");
  ASSERT_TRUE(arbor->ExpectLine("Ok:2"));
  // Where node 2 reaches its parent, and the parent's key: from its argv.
  std::string cmdline = ReadCmdline(p2);
  std::string endpoint = FlagOf(cmdline, "parent_curve_endpoint");
  std::optional<std::string> server_key = HexToZ85(FlagOf(cmdline, "parent_key"));
  ASSERT_THAT(endpoint, HasSubstr(hosts_->host(1).address));
  ASSERT_TRUE(server_key.has_value());
  std::optional<std::string> leaked = ReadTextFile(stolen);
  ASSERT_TRUE(leaked.has_value());
  std::vector<std::string> words = absl::StrSplit(absl::StripAsciiWhitespace(*leaked), ' ');
  ASSERT_EQ(words.size(), 2u) << *leaked;
  absl::StatusOr<std::string> public_3 = transport::PublicFromSecret(words[0]);
  ASSERT_THAT(public_3, IsOk());
  transport::CurveKeyPair key_3{*public_3, words[0]};
  const std::string& token_3 = words[1];

  int64_t before = DroppedFrames(*arbor);
  ASSERT_GE(before, 0);
  struct Intruder {
    std::string routing_id;
    std::optional<transport::CurveKeyPair> keys;
  };
  const std::vector<Intruder> intruders = {
      {"2", std::nullopt},                                          // no CURVE
      {"2", NewKeys()},                                             // a key nobody issued
      {"2", key_3},                                                 // node 3's key, as "2"
      {transport::CurveRoutingId(2, std::string(32, 'a')), key_3},  // a guessed token
      {transport::CurveRoutingId(2, token_3), key_3},               // its own token
  };
  // Made in h3's namespace: every connection of this context is made there.
  std::optional<transport::Context> context;
  std::vector<transport::Socket> sockets;
  ASSERT_THAT(hosts_->RunIn(hosts_->host(3),
                            [&] {
                              context.emplace();
                              for (const Intruder& intruder : intruders) {
                                absl::StatusOr<transport::Socket> socket =
                                    transport::Socket::Dealer(*context, transport::SocketOptions(),
                                                              intruder.routing_id);
                                ASSERT_THAT(socket, IsOk());
                                socket->SetLinger(0);
                                if (intruder.keys) {
                                  ASSERT_THAT(socket->EnableCurveClient(intruder.keys->public_z85,
                                                                        intruder.keys->secret_z85,
                                                                        *server_key),
                                              IsOk());
                                }
                                ASSERT_THAT(socket->Connect(endpoint), IsOk());
                                sockets.push_back(*std::move(socket));
                              }
                            }),
              IsOk());
  ASSERT_EQ(sockets.size(), intruders.size());
  v1::Envelope hello;
  hello.mutable_hello()->set_id(2);
  hello.mutable_hello()->set_parent(1);
  hello.mutable_hello()->set_pid(2);
  hello.mutable_hello()->set_attempt(1000);
  hello.mutable_hello()->set_endpoint("tcp://10.200.0.9:1");
  hello.mutable_hello()->set_host("h3");
  v1::Envelope reply;  // what a child would answer
  reply.set_correlation_id(1);
  reply.mutable_exec_reply()->set_found(true);
  reply.mutable_exec_reply()->set_value(666);
  for (transport::Socket& socket : sockets) {
    EXPECT_THAT(socket.Send(wire::Encode(hello)), IsOk());
    EXPECT_THAT(socket.Send(wire::Encode(reply)), IsOk());
  }
  // Every one of them is counted: a failed handshake each for the first two,
  // two refused frames each for the others.
  const int64_t expected = before + 2 + 3 * 2;
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  int64_t dropped = before;
  while (dropped < expected && absl::Now() < deadline) dropped = DroppedFrames(*arbor);
  EXPECT_GE(dropped, expected);
  // Node 2 kept its link: its answers are right, and nothing went astray.
  EXPECT_TRUE(arbor->ExpectAnswers({{"exec 2 k", "Ok:2: 2"},
                                    {"exec 2 k 22", "Ok:2"},
                                    {"exec 2 k", "Ok:2: 22"},
                                    {"ping 2", "Ok: 1"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("1 pid ", p1, " available @h1"),
                                  absl::StrCat("  2 pid ", p2, " available @h2"),
                                  absl::StrCat("  3 pid ", p3, " available @h3")}));
  for (size_t i = 0; i < sockets.size(); ++i) {
    transport::Frames frames;
    absl::StatusOr<bool> got = sockets[i].Receive(frames);
    EXPECT_TRUE(got.ok() && !*got)
        << "intruder " << i << " (" << intruders[i].routing_id << ") received something";
  }
  sockets.clear();
  context.reset();
  EXPECT_TRUE(arbor->FinishCleanly());
}

// Host loss: h2's link goes down (packets dropped, no RST) and, later, every
// process there is killed. The heartbit detector on h1 reports h2's nodes and
// the subtree behind them unavailable; nodes on h1 and h3 answer throughout;
// h2's nodes are dead once their launchers exit; when h2's address answers
// again (with nothing listening), the orphan on h3 re-attaches to node 1.
TEST_F(HostsTest, AHostLostIsUnavailableThenDeadAndTheRestAnswers) {
  std::string endpoint = "ipc://" + dir_.path() + "/c";
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync", "--listen", endpoint});
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3, p4, p5, p6;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1 @h2", &p2));
  ASSERT_TRUE(arbor->Create("3 2", &p3));  // h2 too
  ASSERT_TRUE(arbor->Create("4 2 @h3", &p4));
  ASSERT_TRUE(arbor->Create("5 @h3", &p5));
  ASSERT_TRUE(arbor->Create("6 1", &p6));  // h1
  arbor->Send("exec 4 k 40");
  ASSERT_TRUE(arbor->ExpectLine("Ok:4"));
  absl::StatusOr<std::unique_ptr<client::Client>> client = client::Client::Connect(endpoint);
  ASSERT_THAT(client, IsOk());
  EventLog events;
  ASSERT_THAT(Get((*client)->Watch(events.Callback())), IsOk());
  arbor->Send("heartbit 100");
  ASSERT_TRUE(arbor->ExpectLine("Ok"));

  ASSERT_THAT(hosts_->Cut(2), IsOk());
  EXPECT_TRUE(arbor->ExpectLines({"Heartbit: node 2 is unavailable now",
                                  "Heartbit: node 3 is unavailable now",
                                  "Heartbit: node 4 is unavailable now"}));
  EXPECT_TRUE(arbor->ExpectAnswers({
      {"exec 1 k 1", "Ok:1"},
      {"exec 6 k 6", "Ok:6"},
      {"exec 5 k 5", "Ok:5"},
      {"exec 2 k", "Error:2: Node is unavailable"},
      {"exec 4 k", "Error:4: Node is unavailable"},
      {"ping 6", "Ok: 1"},
      {"ping 2", "Ok: 0"},
  }));
  // Its machine is gone: the launchers (here the workers themselves) end.
  ASSERT_THAT(hosts_->KillAll(hosts_->host(2), absl::Now() + absl::Seconds(10)), IsOk());
  EXPECT_EQ(events.WaitFor(2, client::EventKind::kLost), p2);
  EXPECT_EQ(events.WaitFor(3, client::EventKind::kLost), p3);
  arbor->Send("exec 1 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:1: 1"));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("1 pid ", p1, " available @h1"),
                                  absl::StrCat("  2 pid ", p2, " dead @h2"),
                                  absl::StrCat("    3 pid ", p3, " dead @h2"),
                                  absl::StrCat("    4 pid ", p4, " unavailable @h3"),
                                  absl::StrCat("  6 pid ", p6, " available @h1"),
                                  absl::StrCat("5 pid ", p5, " available @h3")}));
  // Until h2 answers, node 4 cannot tell a lost parent from a frozen one (it
  // stays put); once connections there are refused it moves up to node 1.
  ASSERT_THAT(hosts_->Restore(2), IsOk());
  std::optional<client::NodeEvent> adopted =
      events.WaitForEvent(4, client::EventKind::kAdopted, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->parent, 1);
  EXPECT_TRUE(arbor->ExpectLine("Heartbit: node 4 is available again"));
  arbor->Send("exec 4 k");
  EXPECT_TRUE(arbor->ExpectLine("Ok:4: 40"));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines(
      {absl::StrCat("1 pid ", p1, " available @h1"), absl::StrCat("  2 pid ", p2, " dead @h2"),
       absl::StrCat("    3 pid ", p3, " dead @h2"), absl::StrCat("  4 pid ", p4, " available @h3"),
       absl::StrCat("  6 pid ", p6, " available @h1"),
       absl::StrCat("5 pid ", p5, " available @h3")}));
  client->reset();
  EXPECT_TRUE(arbor->FinishCleanly());
}

// A frozen parent on another host is silence, not death: its subtree is
// reported unavailable (the detector on the controller's host), its children
// on h2 and h3 stay where they are (their connections to h1 stay up: its
// kernel still answers), and after SIGCONT everything is back as it was.
TEST_F(HostsTest, AFrozenParentOnAnotherHostMovesNobody) {
  std::unique_ptr<ArborProcess> arbor = StartController({"--sync"});
  ASSERT_TRUE(arbor->started());
  pid_t p1, p2, p3;
  ASSERT_TRUE(arbor->Create("1 @h1", &p1));
  ASSERT_TRUE(arbor->Create("2 1 @h2", &p2));
  ASSERT_TRUE(arbor->Create("3 1 @h3", &p3));
  ASSERT_TRUE(arbor->ExpectAnswers({{"exec 2 k 2", "Ok:2"}, {"heartbit 100", "Ok"}}));
  ASSERT_TRUE(arbor->SignalWorker(p1, SIGSTOP));
  EXPECT_TRUE(arbor->ExpectLines({"Heartbit: node 1 is unavailable now",
                                  "Heartbit: node 2 is unavailable now",
                                  "Heartbit: node 3 is unavailable now"}));
  arbor->Send("exec 3 k 3");
  EXPECT_TRUE(arbor->ExpectLine("Error:3: Node is unavailable"));
  // Long enough for an orphan to have moved, had it judged its parent gone
  // (its adopt timeout is 1 s): the detector has seen 10 periods of silence.
  arbor->Send("ping 2");
  EXPECT_TRUE(arbor->ExpectLine("Ok: 0"));
  ASSERT_TRUE(arbor->SignalWorker(p1, SIGCONT));
  EXPECT_TRUE(arbor->ExpectLines({"Heartbit: node 1 is available again",
                                  "Heartbit: node 2 is available again",
                                  "Heartbit: node 3 is available again"}));
  EXPECT_TRUE(arbor->ExpectAnswers({{"exec 2 k", "Ok:2: 2"}, {"exec 3 k 3", "Ok:3"}}));
  arbor->Send("tree");
  EXPECT_TRUE(arbor->ExpectLines({absl::StrCat("1 pid ", p1, " available @h1"),
                                  absl::StrCat("  2 pid ", p2, " available @h2"),
                                  absl::StrCat("  3 pid ", p3, " available @h3")}));
  EXPECT_TRUE(arbor->FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

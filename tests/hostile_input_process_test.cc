// Hostile input against the real `arbor` (reliability, issue 5): random bytes,
// multi-frame garbage and valid-but-wrong envelopes thrown at the controller's
// client endpoint, at its children's ROUTER and at a worker's children's ROUTER.
// No crash, the counters rise, and the service goes on with correct values
// (DESIGN §2 "Every decoded envelope is validated ... dropped and counted, never
// a crash; a client gets an Error reply where it can be addressed";
// docs/CLIENT_PROTOCOL.md for the codes a client gets back).
//
// Every random choice comes from one PRNG with a fixed seed, printed at the
// start; ARBOR_HOSTILE_SEED=<n> replays another. Nothing sleeps: replies are
// waited for with zmq_poll against deadlines, counters are read until they
// reach their bound or the deadline passes.
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "status_matchers.h"
#include "wire/codec.h"

namespace arbor::testing {
namespace {

using Code = absl::StatusCode;
using client::ControllerStats;
using client::ExecResult;
using client::NodeInfo;
using client::NodeState;

constexpr uint64_t kDefaultSeed = 0x5eed2024;

// The seed of this test: ARBOR_HOSTILE_SEED or the fixed default; printed so a
// failure can be replayed.
uint64_t TestSeed() {
  uint64_t seed = kDefaultSeed;
  if (const char* env = std::getenv("ARBOR_HOSTILE_SEED")) {
    if (!absl::SimpleAtoi(env, &seed)) ADD_FAILURE() << "bad ARBOR_HOSTILE_SEED '" << env << "'";
  }
  std::cerr << "[hostile] seed " << seed << " (ARBOR_HOSTILE_SEED=" << seed << " replays it)\n";
  ::testing::Test::RecordProperty("seed", absl::StrCat(seed));
  return seed;
}

// ---- randomness (modulo arithmetic only: the same seed gives the same bytes
// with any standard library) ----

using Rng = std::mt19937_64;

uint64_t Uniform(Rng& rng, uint64_t lo, uint64_t hi) {  // [lo, hi]
  return lo + rng() % (hi - lo + 1);
}

std::string RandomBytes(Rng& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Mostly short frames, some up to 64 KiB (below ZMQ_MAXMSGSIZE, so each one is
// a frame the receiver must judge, not a dropped connection).
size_t RandomLength(Rng& rng) {
  switch (rng() % 5) {
    case 0:
    case 1:
      return Uniform(rng, 0, 16);
    case 2:
    case 3:
      return Uniform(rng, 17, 512);
    default:
      return Uniform(rng, 513, 64 * 1024);
  }
}

// A correlation id no real call can have: the controller's own ids count up
// from 1, a client's from 1 too; these are above 2^62.
uint64_t ForeignCallId(Rng& rng) { return (uint64_t{1} << 62) + rng() % (uint64_t{1} << 61); }

// ---- envelopes, serialized as they are (never through wire::Encode, which
// would stamp the right version on them) ----

v1::Envelope Base(uint64_t correlation_id, NodeId target = kControllerId) {
  v1::Envelope e;
  e.set_version(wire::kProtocolVersion);
  e.set_correlation_id(correlation_id);
  e.set_target(target);
  return e;
}

std::string Bytes(const v1::Envelope& e) { return e.SerializeAsString(); }

v1::Envelope Save(uint64_t correlation_id, NodeId target, const std::string& key, int64_t value) {
  v1::Envelope e = Base(correlation_id, target);
  e.mutable_exec_request()->set_key(key);
  e.mutable_exec_request()->set_value(value);
  return e;
}

v1::Envelope Load(uint64_t correlation_id, NodeId target, const std::string& key) {
  v1::Envelope e = Base(correlation_id, target);
  e.mutable_exec_request()->set_key(key);
  return e;
}

// Well-formed envelopes of every kind, for the mutator to start from.
std::vector<std::string> Specimens() {
  std::vector<std::string> out;
  out.push_back(Bytes(Save(11, 1, "k", 5)));
  out.push_back(Bytes(Load(12, 2, "MyVar")));
  v1::Envelope e = Base(13);
  e.mutable_create_request()->set_child_id(7);
  e.mutable_create_request()->set_parent(1);
  out.push_back(Bytes(e));
  e = Base(14, 1);
  e.mutable_hello()->set_id(1);
  e.mutable_hello()->set_pid(4242);
  e.mutable_hello()->set_endpoint("ipc:///tmp/arbor-x/1.4242");
  out.push_back(Bytes(e));
  e = Base(15, 1);
  e.mutable_reparent()->set_parent_id(2);
  e.mutable_reparent()->set_endpoint("ipc:///tmp/arbor-x/2.4243");
  out.push_back(Bytes(e));
  e = Base(16, 1);
  e.mutable_exec_reply()->set_found(true);
  e.mutable_exec_reply()->set_value(-9);
  out.push_back(Bytes(e));
  e = Base(17, 1);
  for (int i = 0; i < 3; ++i) e.mutable_batch()->add_envelopes(Bytes(Load(20 + i, 1, "k")));
  out.push_back(Bytes(e));
  e = Base(18, 1);
  e.add_route(2);
  e.add_route(3);
  e.mutable_ping_request();
  out.push_back(Bytes(e));
  return out;
}

// A well-formed envelope with a few bits flipped, cut short, grown, or spliced.
std::string Mutate(Rng& rng, std::string bytes) {
  if (bytes.empty()) return RandomBytes(rng, Uniform(rng, 1, 8));
  switch (rng() % 4) {
    case 0:
      for (uint64_t n = Uniform(rng, 1, 4); n > 0; --n) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      return bytes;
    case 1:
      return bytes.substr(0, rng() % bytes.size());
    case 2:
      return bytes.insert(rng() % (bytes.size() + 1), RandomBytes(rng, Uniform(rng, 1, 32)));
    default: {
      size_t from = rng() % bytes.size();
      return bytes + bytes.substr(from, Uniform(rng, 1, bytes.size() - from));
    }
  }
}

// The bodies a client may send (docs/CLIENT_PROTOCOL.md, "Requests").
bool IsClientRequest(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kCreateRequest:
    case v1::Envelope::kExecRequest:
    case v1::Envelope::kPingRequest:
    case v1::Envelope::kRemoveRequest:
    case v1::Envelope::kHeartbeatConfig:
    case v1::Envelope::kTopologyRequest:
    case v1::Envelope::kStatsRequest:
    case v1::Envelope::kWatchRequest:
    case v1::Envelope::kUnwatchRequest:
      return true;
    default:
      return false;
  }
}

// What the client endpoint must answer to one single-frame message, by
// docs/CLIENT_PROTOCOL.md: INVALID_ARGUMENT with correlation id 0 when it does
// not parse; FAILED_PRECONDITION when the version is not 1; INVALID_ARGUMENT
// when it does not validate, has correlation id 0, or carries a body that is
// not a client request. nullopt: a legitimate request (never sent as garbage).
struct Verdict {
  uint64_t correlation_id;
  Code code;
  bool operator<(const Verdict& o) const {
    return std::pair(correlation_id, static_cast<int>(code)) <
           std::pair(o.correlation_id, static_cast<int>(o.code));
  }
  bool operator==(const Verdict& o) const {
    return correlation_id == o.correlation_id && code == o.code;
  }
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  return os << "{cid " << v.correlation_id << ", " << absl::StatusCodeToString(v.code) << "}";
}

std::optional<Verdict> ClientEndpointVerdict(const std::string& frame) {
  v1::Envelope e;
  if (!e.ParseFromString(frame)) return Verdict{0, Code::kInvalidArgument};
  if (e.version() != wire::kProtocolVersion) {
    return Verdict{e.correlation_id(), Code::kFailedPrecondition};
  }
  if (!wire::Validate(e).ok() || e.correlation_id() == 0 || !IsClientRequest(e)) {
    return Verdict{e.correlation_id(), Code::kInvalidArgument};
  }
  return std::nullopt;
}

// ---- a raw ZeroMQ DEALER (libzmq's C API: the test speaks the wire itself) ----

class ZmqContext {
 public:
  ZmqContext() : context_(zmq_ctx_new()) {}
  ~ZmqContext() { zmq_ctx_term(context_); }  // every socket is closed with linger 0
  ZmqContext(const ZmqContext&) = delete;
  ZmqContext& operator=(const ZmqContext&) = delete;
  void* get() { return context_; }

 private:
  void* context_;
};

class RawDealer {
 public:
  // Connects to `endpoint`; `routing_id` empty: libzmq picks one (it starts
  // with a 0 byte, so it is never a node id).
  RawDealer(ZmqContext& context, const std::string& endpoint, const std::string& routing_id = "")
      : socket_(zmq_socket(context.get(), ZMQ_DEALER)) {
    int zero = 0, hwm = 100000, send_timeout_ms = 5000;
    zmq_setsockopt(socket_, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(socket_, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(socket_, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(socket_, ZMQ_SNDTIMEO, &send_timeout_ms, sizeof send_timeout_ms);
    if (!routing_id.empty()) {
      zmq_setsockopt(socket_, ZMQ_ROUTING_ID, routing_id.data(), routing_id.size());
    }
    if (zmq_connect(socket_, endpoint.c_str()) != 0) {
      ADD_FAILURE() << "connect " << endpoint << ": " << zmq_strerror(zmq_errno());
    }
  }
  ~RawDealer() { zmq_close(socket_); }
  RawDealer(const RawDealer&) = delete;
  RawDealer& operator=(const RawDealer&) = delete;

  // One message of `frames` (blocks at most 5 s on a full queue).
  bool Send(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      int flags = i + 1 < frames.size() ? ZMQ_SNDMORE : 0;
      if (zmq_send(socket_, frames[i].data(), frames[i].size(), flags) < 0) {
        ADD_FAILURE() << "zmq_send: " << zmq_strerror(zmq_errno());
        return false;
      }
    }
    ++sent_;
    return true;
  }
  bool Send(const std::string& frame) { return Send(std::vector<std::string>{frame}); }

  // The next message; nullopt when none came by `deadline`.
  std::optional<std::vector<std::string>> Receive(absl::Time deadline) {
    for (;;) {
      zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
      absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
      int n = zmq_poll(&item, 1, absl::ToInt64Milliseconds(left) + 1);
      if (n < 0 && zmq_errno() == EINTR) continue;
      if (n <= 0) return std::nullopt;
      std::vector<std::string> frames;
      int more = 0;
      do {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, socket_, ZMQ_DONTWAIT) < 0) {
          zmq_msg_close(&msg);
          return std::nullopt;
        }
        frames.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
        more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
      } while (more);
      return frames;
    }
  }

  int sent() const { return sent_; }

 private:
  void* socket_;
  int sent_ = 0;
};

// ---- the service under attack ----

std::string ReadCmdline(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The controller's private ipc directory, from a worker's `--ipc_dir=` argument
// (fine for a test: the directory is mode 0700 and ours).
std::string IpcDirOf(pid_t worker) {
  std::string cmdline = ReadCmdline(worker);
  std::istringstream args(cmdline);
  std::string arg;
  while (std::getline(args, arg, '\0')) {
    if (arg.starts_with("--ipc_dir=")) return arg.substr(10);
  }
  ADD_FAILURE() << "no --ipc_dir= in the command line of " << worker;
  return "";
}

ControllerStats StatsOf(Client& client) {
  absl::StatusOr<ControllerStats> stats = Get(client.Stats());
  EXPECT_THAT(stats, IsOk());
  return stats.value_or(ControllerStats{});
}

// One node of the tree as the test built it.
struct Known {
  NodeId id;
  NodeId parent;
  pid_t pid;
  int64_t value;  // under key "k"
};

// The service goes on: every process runs, the tree is as it was, every node
// answers its own value, a new save is applied and read back, ping answers.
void ExpectServiceIntact(ClientController& controller, Client& client,
                         const std::vector<Known>& nodes, int64_t salt) {
  ASSERT_TRUE(ProcessRunning(controller.arbor().pid())) << "the controller died";
  for (const Known& n : nodes) {
    EXPECT_TRUE(ProcessRunning(n.pid)) << "node " << n.id << " (pid " << n.pid << ") died";
  }
  absl::StatusOr<std::vector<NodeInfo>> tree = Get(client.Topology());
  ASSERT_THAT(tree, IsOk());
  ASSERT_EQ(tree->size(), nodes.size()) << "a node was added or lost";
  for (const Known& n : nodes) {
    auto row = std::find_if(tree->begin(), tree->end(),
                            [&](const NodeInfo& info) { return info.id == n.id; });
    ASSERT_NE(row, tree->end()) << "node " << n.id << " is gone from the topology";
    EXPECT_EQ(row->pid, n.pid) << "node " << n.id;
    EXPECT_EQ(row->parent, n.parent) << "node " << n.id;
    EXPECT_EQ(row->state, NodeState::kAvailable) << "node " << n.id;
  }
  for (const Known& n : nodes) {
    absl::StatusOr<ExecResult> loaded = Get(client.Exec(n.id, "k"));
    ASSERT_THAT(loaded, IsOk()) << "node " << n.id;
    EXPECT_TRUE(loaded->found) << "node " << n.id;
    EXPECT_EQ(loaded->value, n.value) << "node " << n.id << ": a hostile save was applied";
    std::string key = absl::StrCat("after", salt);
    EXPECT_THAT(Get(client.Exec(n.id, key, n.value + salt)), IsOk()) << "node " << n.id;
    absl::StatusOr<ExecResult> again = Get(client.Exec(n.id, key));
    ASSERT_THAT(again, IsOk()) << "node " << n.id;
    EXPECT_EQ(again->value, n.value + salt) << "node " << n.id;
    EXPECT_EQ(Get(client.Ping(n.id)).value_or(false), true) << "node " << n.id;
  }
}

// Saves made by a well-behaved client while the attack runs: each answered OK,
// and read back afterwards.
class LiveTraffic {
 public:
  LiveTraffic(Client& client, std::vector<NodeId> targets)
      : client_(client), targets_(std::move(targets)) {}

  void Step() {
    NodeId target = targets_[saves_.size() % targets_.size()];
    int64_t value = static_cast<int64_t>(saves_.size()) * 7 - 3;
    std::string key = absl::StrCat("live", saves_.size());
    saves_.push_back({target, key, value, client_.Exec(target, key, value)});
  }

  void Check() {
    for (Save& s : saves_) {
      absl::StatusOr<ExecResult> saved = Get(std::move(s.future));
      EXPECT_THAT(saved, IsOk()) << "live save " << s.key << " on " << s.target;
    }
    for (const Save& s : saves_) {
      absl::StatusOr<ExecResult> loaded = Get(client_.Exec(s.target, s.key));
      ASSERT_THAT(loaded, IsOk()) << s.key << " on " << s.target;
      EXPECT_TRUE(loaded->found) << s.key << " on " << s.target;
      EXPECT_EQ(loaded->value, s.value) << s.key << " on " << s.target;
    }
  }

 private:
  struct Save {
    NodeId target;
    std::string key;
    int64_t value;
    std::future<absl::StatusOr<ExecResult>> future;
  };
  Client& client_;
  std::vector<NodeId> targets_;
  std::vector<Save> saves_;
};

// ---- A. the client endpoint ----

// Valid envelopes that are wrong, each with the answer the client protocol
// promises. Sentinel saves (values 6xx..9xx on key "k" of node 1) must never be
// applied: ExpectServiceIntact reads the original value back.
struct Wrong {
  std::string what;
  std::string bytes;
  Verdict verdict;
};

std::vector<Wrong> WrongClientEnvelopes(Rng& rng, pid_t pid1) {
  std::vector<Wrong> out;
  uint64_t next_id = 1000;
  auto add = [&](std::string what, v1::Envelope e, Code code) {
    uint64_t id = e.correlation_id();
    out.push_back({std::move(what), Bytes(e), {id, code}});
  };
  auto id = [&] { return next_id++; };
  const Code kInvalid = Code::kInvalidArgument;

  v1::Envelope e = Save(id(), 1, "k", 999);
  e.clear_version();
  add("version 0 (unset), a save", e, Code::kFailedPrecondition);
  e = Load(id(), 1, "k");
  e.set_version(2);
  add("version 2", e, Code::kFailedPrecondition);
  e = Base(id());
  e.set_version(std::numeric_limits<uint32_t>::max());
  e.mutable_stats_request();
  add("version 2^32-1", e, Code::kFailedPrecondition);
  add("correlation id 0, a save", Save(0, 1, "k", 777), kInvalid);
  e = Base(0);
  e.mutable_watch_request();
  add("correlation id 0, a watch", e, kInvalid);
  add("no body", Base(id(), 1), kInvalid);

  // Replies and one-way bodies sent as requests.
  e = Base(id(), 1);
  e.mutable_exec_reply()->set_found(true);
  e.mutable_exec_reply()->set_value(123);
  add("an exec reply as a request", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_ping_reply()->set_answered(true);
  add("a ping reply", e, kInvalid);
  e = Base(id());
  e.mutable_create_reply()->set_id(5);
  e.mutable_create_reply()->set_pid(1);
  add("a create reply", e, kInvalid);
  e = Base(id(), 2);
  e.mutable_remove_reply()->add_children(1);
  add("a remove reply", e, kInvalid);
  e = Base(id());
  e.mutable_topology_reply()->add_nodes()->set_id(1);
  add("a topology reply", e, kInvalid);
  e = Base(id());
  e.mutable_stats_reply()->set_dropped_frames(0);
  add("a stats reply", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_node_event()->set_id(1);
  e.mutable_node_event()->set_kind(v1::NODE_EVENT_LOST);
  add("a node event", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_error()->set_code(14);
  add("an error", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_error()->set_code(99);
  add("an error with a code out of range", e, kInvalid);

  // Internal bodies of the tree.
  e = Base(id());
  e.mutable_batch()->add_envelopes(Bytes(Save(id(), 1, "k", 888)));
  add("a batch holding a save", e, kInvalid);
  e = Base(id());
  e.mutable_batch();
  add("an empty batch", e, kInvalid);
  e = Base(id());
  for (int i = 0; i < 17; ++i) e.mutable_batch()->add_envelopes(Bytes(Load(id(), 1, "k")));
  add("a batch of 17", e, kInvalid);
  e = Base(id());
  e.mutable_hello()->set_id(1);
  e.mutable_hello()->set_pid(pid1);
  e.mutable_hello()->set_endpoint("ipc:///nonexistent/arbor/1");
  e.mutable_hello()->set_parent(kControllerId);
  add("a Hello claiming node 1 with its real pid", e, kInvalid);
  e = Base(id());
  e.mutable_hello()->set_id(77);
  e.mutable_hello()->set_pid(static_cast<int64_t>(getpid()));
  e.mutable_hello()->set_endpoint("ipc:///nonexistent/arbor/77");
  e.mutable_hello()->set_parent(1);
  add("a Hello of an unknown node", e, kInvalid);
  e = Base(id());
  e.mutable_hello()->set_id(78);
  add("a Hello with pid 0 and no endpoint", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_reparent()->set_parent_id(kControllerId);
  e.mutable_reparent()->set_endpoint("ipc:///nonexistent/arbor/bogus");
  add("a Reparent of node 1 to a bogus endpoint", e, kInvalid);
  e = Base(id(), 2);
  e.mutable_reparent()->set_parent_id(1);
  e.mutable_reparent()->set_endpoint("tcp://127.0.0.1:1");
  add("a Reparent of node 2", e, kInvalid);
  e = Base(id());
  e.mutable_shutdown();
  add("a Shutdown for the controller", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_shutdown();
  add("a Shutdown for node 1", e, kInvalid);
  e = Base(id(), 1);
  e.mutable_heartbeat();
  add("a heartbeat", e, kInvalid);
  e = Base(id());
  e.mutable_link_state()->set_id(1);
  e.mutable_link_state()->set_up(false);
  e.mutable_link_state()->set_reporter(kControllerId);
  add("a LinkState marking node 1 down", e, kInvalid);
  e = Base(id());
  e.mutable_frame_dropped()->set_node(1);
  e.mutable_frame_dropped()->set_count(1000000);
  add("a FrameDropped of a million", e, kInvalid);

  // Ids, routes and keys out of range.
  e = Load(id(), 1, "k");
  for (int i = 0; i <= wire::kMaxRouteLength; ++i) e.add_route(1);
  add("a route of kMaxRouteLength + 1 hops", e, kInvalid);
  e = Load(id(), 1, "k");
  e.add_route(-5);
  add("a route hop out of range", e, kInvalid);
  for (const std::string& key : {std::string("a-b"), std::string(""), std::string(65, 'a'),
                                 std::string("k k"), std::string("\xd0\xba\xd0\xbb")}) {
    add(absl::StrCat("a save with the invalid key '", key, "'"), Save(id(), 1, key, 666), kInvalid);
  }
  for (NodeId target : {NodeId{-2}, kMaxNodeId + 1, std::numeric_limits<NodeId>::min(),
                        std::numeric_limits<NodeId>::max()}) {
    add(absl::StrCat("a load for target ", target), Load(id(), target, "k"), kInvalid);
  }
  for (auto [child, parent] : {std::pair<NodeId, NodeId>{-3, kControllerId},
                               {kMaxNodeId + 1, kControllerId},
                               {40, -7},
                               {41, NodeId{1} << 40}}) {
    e = Base(id());
    e.mutable_create_request()->set_child_id(child);
    e.mutable_create_request()->set_parent(parent);
    add(absl::StrCat("a create of ", child, " under ", parent), e, kInvalid);
  }
  e = Base(id(), 2);
  e.mutable_remove_request()->set_new_parent_endpoint(std::string(300, 'x'));
  add("a remove of node 2 with a 300-byte endpoint", e, kInvalid);
  e = Base(id(), 2);
  e.mutable_remove_request()->set_new_parent_id(-9);
  add("a remove of node 2 under node -9", e, kInvalid);

  // A few with random correlation ids and targets, so that the replies are
  // matched by id and not by position.
  for (int i = 0; i < 20; ++i) {
    e = Base(Uniform(rng, 1, uint64_t{1} << 50), static_cast<NodeId>(Uniform(rng, 0, 5)));
    e.mutable_exec_reply()->set_value(static_cast<int64_t>(rng()));
    add("a random exec reply", e, kInvalid);
  }
  return out;
}

TEST(HostileInputProcessTest, ClientEndpointDropsCountsAndAnswersEveryBadMessage) {
  Rng rng(TestSeed());
  google::protobuf::LogSilencer quiet;  // the test parses garbage too: no log per frame
  ClientController controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  ASSERT_GT(p1, 0);
  ASSERT_GT(p2, 0);
  std::vector<Known> nodes = {{1, kControllerId, p1, 5}, {2, 1, p2, -8}};
  for (const Known& n : nodes) ASSERT_THAT(Get(client->Exec(n.id, "k", n.value)), IsOk());
  ControllerStats before = StatsOf(*client);

  ZmqContext context;
  RawDealer raw(context, controller.endpoint());
  LiveTraffic live(*client, {1, 2});
  std::vector<Verdict> expected;
  // Messages that do not parse or validate, have correlation id 0, or are not
  // one frame: "malformed", so counted (the protocol's words). Internal bodies
  // that validate are answered INVALID_ARGUMENT too, but only bound the count.
  uint64_t malformed = 0;
  auto is_malformed = [](const std::string& frame, const Verdict& verdict) {
    return !wire::Decode(frame).ok() || verdict.correlation_id == 0;
  };
  std::vector<std::string> specimens = Specimens();

  // (a) Random bytes and mutated envelopes, one frame each.
  for (int i = 0; i < 300; ++i) {
    std::string frame;
    std::optional<Verdict> verdict;
    do {  // a mutation may by chance be a legitimate request: never send one
      frame = (i % 2 == 0) ? RandomBytes(rng, RandomLength(rng))
                           : Mutate(rng, specimens[rng() % specimens.size()]);
      verdict = ClientEndpointVerdict(frame);
    } while (!verdict);
    ASSERT_TRUE(raw.Send(frame));
    expected.push_back(*verdict);
    malformed += is_malformed(frame, *verdict);
    if (i % 10 == 0) live.Step();
  }
  // (b) Messages of several frames, one of them starting with a valid save
  // (a sentinel: it must not be applied).
  for (int i = 0; i < 40; ++i) {
    std::vector<std::string> frames;
    if (i == 0) frames.push_back(Bytes(Save(900, 1, "k", 555)));
    for (uint64_t n = Uniform(rng, 2, 5); frames.size() < n;) {
      frames.push_back(RandomBytes(rng, Uniform(rng, 0, 300)));
    }
    ASSERT_TRUE(raw.Send(frames));
    expected.push_back({0, Code::kInvalidArgument});
    ++malformed;
    if (i % 10 == 0) live.Step();
  }
  // (c) Valid envelopes that are wrong.
  std::vector<Wrong> wrong = WrongClientEnvelopes(rng, p1);
  for (size_t i = 0; i < wrong.size(); ++i) {
    ASSERT_TRUE(raw.Send(wrong[i].bytes)) << wrong[i].what;
    expected.push_back(wrong[i].verdict);
    malformed += is_malformed(wrong[i].bytes, wrong[i].verdict);
    if (i % 10 == 0) live.Step();
  }
  // (d) A message over ZMQ_MAXMSGSIZE, on its own connection: libzmq drops the
  // connection (no reply, nothing to count), and the service goes on.
  RawDealer oversize(context, controller.endpoint());
  ASSERT_TRUE(oversize.Send(RandomBytes(rng, 2 << 20)));

  // Every message is answered once, with the code the protocol gives it.
  std::vector<Verdict> got;
  absl::Time deadline = Within();
  while (got.size() < expected.size()) {
    std::optional<std::vector<std::string>> reply = raw.Receive(deadline);
    if (!reply) break;
    ASSERT_EQ(reply->size(), 1u) << "a reply is one frame";
    v1::Envelope e;
    ASSERT_TRUE(e.ParseFromString((*reply)[0])) << "a reply that does not parse";
    EXPECT_EQ(e.version(), wire::kProtocolVersion);
    EXPECT_EQ(e.body_case(), v1::Envelope::BODY_NOT_SET) << "an error reply with a body";
    got.push_back({e.correlation_id(), static_cast<Code>(e.status().code())});
  }
  ASSERT_EQ(got.size(), expected.size()) << "messages left unanswered";
  std::sort(got.begin(), got.end());
  std::vector<Verdict> want = expected;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  // The same connection is still served, and nothing else was answered on it.
  v1::Envelope stats_request = Base(4242424242);
  stats_request.mutable_stats_request();
  ASSERT_TRUE(raw.Send(Bytes(stats_request)));
  std::optional<std::vector<std::string>> reply = raw.Receive(Within());
  ASSERT_TRUE(reply.has_value()) << "no answer to a good request after the bad ones";
  v1::Envelope stats;
  ASSERT_TRUE(stats.ParseFromString(reply->at(0)));
  EXPECT_EQ(stats.correlation_id(), 4242424242u) << "an unexpected extra reply";
  EXPECT_EQ(stats.status().code(), 0);
  EXPECT_TRUE(stats.has_stats_reply());

  // Counted: every malformed frame at least, and nothing more than was sent.
  ControllerStats after = StatsOf(*client);
  uint64_t dropped = after.dropped_frames - before.dropped_frames;
  EXPECT_GE(dropped, malformed);
  EXPECT_LE(dropped, static_cast<uint64_t>(raw.sent() - 1));
  EXPECT_EQ(stats.stats_reply().dropped_frames(), after.dropped_frames);

  live.Check();
  ExpectServiceIntact(controller, *client, nodes, 1);
  controller.Stop();
}

// ---- B. the tree's ROUTERs: a worker's, the controller's ----

// What was thrown at one ROUTER, and the least the receivers must have counted
// (dropped frames + late replies): every frame that does not decode, has the
// wrong shape or a sender id that is not a node id, and every reply nobody asked
// for. `most` bounds the count from above: nothing counts twice.
struct Thrown {
  uint64_t least = 0;
  uint64_t most = 0;
  // Open until the counts are checked: a socket closed with linger 0 would
  // discard what it has not sent yet.
  std::vector<std::unique_ptr<RawDealer>> dealers;
};

// A frame that does not decode as an Envelope (random bytes or a mutation).
std::string Garbage(Rng& rng, const std::vector<std::string>& specimens) {
  for (;;) {
    std::string frame = (rng() % 2 == 0) ? RandomBytes(rng, RandomLength(rng))
                                         : Mutate(rng, specimens[rng() % specimens.size()]);
    if (!wire::Decode(frame).ok()) return frame;
  }
}

// Replies with correlation ids nobody uses: a parent passes them up, the
// controller counts them late (or a receiver drops them). The remove reply comes
// last: from a child about itself it means "I am leaving", and a parent stops
// listening to that child (so everything after it is "from a stranger").
std::vector<std::string> ForeignReplies(Rng& rng, NodeId from) {
  std::vector<std::string> out;
  v1::Envelope e = Base(ForeignCallId(rng), from);
  e.mutable_exec_reply()->set_found(true);
  e.mutable_exec_reply()->set_value(-424242);
  out.push_back(Bytes(e));
  e = Base(ForeignCallId(rng), from);
  e.mutable_ping_reply()->set_answered(true);
  out.push_back(Bytes(e));
  e = Base(ForeignCallId(rng), from);
  e.mutable_create_reply()->set_id(from);
  out.push_back(Bytes(e));
  e = Base(ForeignCallId(rng), from);
  e.mutable_error()->set_code(14);
  out.push_back(Bytes(e));
  e = Base(ForeignCallId(rng), from);
  e.mutable_remove_reply();
  out.push_back(Bytes(e));
  return out;
}

// Well-formed messages that only ever travel down the tree, sent up from below:
// the design has a parent send these to its children, never the reverse, so a
// receiver must not act on them (no exit, no move, no request executed).
std::vector<std::string> DownwardOnly(NodeId from, NodeId owner) {
  std::vector<std::string> out;
  v1::Envelope e = Base(0, from);
  e.mutable_shutdown();
  out.push_back(Bytes(e));
  e = Base(0, owner);
  e.mutable_shutdown();
  out.push_back(Bytes(e));
  e = Base(0, from);
  e.mutable_reparent()->set_parent_id(kControllerId);
  e.mutable_reparent()->set_endpoint("ipc:///nonexistent/arbor/bogus");
  out.push_back(Bytes(e));
  e = Base(0, owner);
  e.mutable_reparent()->set_parent_id(7);
  e.mutable_reparent()->set_endpoint("tcp://127.0.0.1:1");
  out.push_back(Bytes(e));
  out.push_back(Bytes(Save(987654321, owner, "k", 444)));  // a sentinel
  e = Base(987654322, owner);
  e.mutable_remove_request()->set_new_parent_id(kControllerId);
  e.mutable_remove_request()->set_new_parent_endpoint("ipc:///nonexistent/arbor/bogus");
  out.push_back(Bytes(e));
  e = Base(987654323, owner);
  e.mutable_create_request()->set_child_id(55);
  out.push_back(Bytes(e));
  e = Base(0, owner);
  e.mutable_heartbeat_config()->set_interval_ms(1);
  out.push_back(Bytes(e));
  return out;
}

// Throws everything at the ROUTER at `endpoint`, owned by node `owner`
// (kControllerId: the controller's), while `live` keeps making real calls.
// Never uses the routing id of a real node: with ZMQ_ROUTER_HANDOVER (DESIGN
// §1, so a re-created id is accepted at once) a newcomer with a real child's id
// takes that child's place, and the design has no authentication inside the
// tree (the ipc directory is 0700) — that is not a fault this test can ask for.
// Never sends LinkState or FrameDropped either: a child legitimately reports
// those for its own subtree, and a socket that says it is a child is believed.
Thrown ThrowAtTreeRouter(ZmqContext& context, const std::string& endpoint, NodeId owner, Rng& rng,
                         LiveTraffic& live) {
  Thrown thrown;
  std::vector<std::string> specimens = Specimens();
  auto count = [&](uint64_t least, uint64_t most) {
    thrown.least += least;
    thrown.most += most;
    live.Step();
  };
  // Senders whose routing id is no node id: every frame counts.
  for (const std::string& routing_id : {std::string(), std::string("abc"), std::string("-5"),
                                        std::string("2147483648"), std::string("12x")}) {
    RawDealer& dealer =
        *thrown.dealers.emplace_back(std::make_unique<RawDealer>(context, endpoint, routing_id));
    for (int i = 0; i < 20; ++i) {
      dealer.Send(Garbage(rng, specimens));
      count(1, 1);
    }
    for (const std::string& frame : ForeignReplies(rng, 900)) {
      dealer.Send(frame);
      count(1, 1);
    }
    for (const std::string& frame : DownwardOnly(900, owner)) {
      dealer.Send(frame);
      count(1, 1);
    }
  }
  // A sender with a node id that never said Hello, and one that says a fake
  // Hello first (a parent cannot tell it from a new child; the controller knows
  // no node 902 and must ignore it).
  for (NodeId fake : {NodeId{900}, NodeId{902}}) {
    RawDealer& dealer = *thrown.dealers.emplace_back(
        std::make_unique<RawDealer>(context, endpoint, absl::StrCat(fake)));
    if (fake == 902) {
      v1::Envelope hello = Base(0, fake);
      hello.mutable_hello()->set_id(fake);
      hello.mutable_hello()->set_pid(static_cast<int64_t>(getpid()));
      hello.mutable_hello()->set_endpoint("ipc:///nonexistent/arbor/902");
      hello.mutable_hello()->set_parent(owner);
      dealer.Send(Bytes(hello));
      count(0, 1);
    }
    // First what only ever travels down (while the fake child is one a parent
    // listens to), then garbage, then replies nobody asked for.
    for (const std::string& frame : DownwardOnly(fake, owner)) {
      dealer.Send(frame);
      count(0, 1);
    }
    for (int i = 0; i < 40; ++i) {
      dealer.Send(Garbage(rng, specimens));
      count(1, 1);
    }
    for (int i = 0; i < 10; ++i) {  // several frames in one message
      std::vector<std::string> frames;
      for (uint64_t n = Uniform(rng, 2, 4); frames.size() < n;) {
        frames.push_back(Garbage(rng, specimens));
      }
      dealer.Send(frames);
      count(1, 1);
    }
    // Batches: garbage inside, a nested batch, a downward-only body, a reply
    // nobody asked for; and one batch over the 16-envelope limit.
    v1::Envelope batch = Base(0, fake);
    batch.mutable_batch()->add_envelopes(Garbage(rng, specimens));
    v1::Envelope nested = Base(0, fake);
    nested.mutable_batch()->add_envelopes(ForeignReplies(rng, fake)[0]);
    batch.mutable_batch()->add_envelopes(Bytes(nested));
    batch.mutable_batch()->add_envelopes(DownwardOnly(fake, owner)[0]);
    batch.mutable_batch()->add_envelopes(ForeignReplies(rng, fake)[1]);
    dealer.Send(Bytes(batch));
    count(3, 4);
    v1::Envelope big = Base(0, fake);
    for (int i = 0; i < 17; ++i) big.mutable_batch()->add_envelopes(ForeignReplies(rng, fake)[0]);
    dealer.Send(Bytes(big));
    count(1, 1);
    for (const std::string& frame : ForeignReplies(rng, fake)) {
      dealer.Send(frame);
      count(1, 1);
    }
  }
  // A message over ZMQ_MAXMSGSIZE: the connection is dropped, nothing counts.
  thrown.dealers.emplace_back(std::make_unique<RawDealer>(context, endpoint, "903"))
      ->Send(RandomBytes(rng, 2 << 20));
  return thrown;
}

// Reads the controller's counters until dropped frames + late replies have
// risen by `least` (a worker reports its drops up at most every 100 ms), or the
// deadline passes; the rise seen.
uint64_t WaitForCountedRise(Client& client, const ControllerStats& before, uint64_t least) {
  uint64_t rise = 0;
  absl::Time deadline = Within();
  do {
    ControllerStats now = StatsOf(client);
    rise = (now.dropped_frames - before.dropped_frames) + (now.late_replies - before.late_replies);
  } while (rise < least && absl::Now() < deadline && !::testing::Test::HasFailure());
  return rise;
}

TEST(HostileInputProcessTest, WorkerChildrenSocketDropsCountsAndKeepsServing) {
  Rng rng(TestSeed());
  google::protobuf::LogSilencer quiet;  // the test parses garbage too: no log per frame
  ClientController controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  pid_t p3 = controller.Create(*client, 3, 2);  // its replies come through 2's ROUTER
  ASSERT_GT(p3, 0);
  std::vector<Known> nodes = {{1, kControllerId, p1, 11}, {2, 1, p2, 22}, {3, 2, p3, 33}};
  for (const Known& n : nodes) ASSERT_THAT(Get(client->Exec(n.id, "k", n.value)), IsOk());
  ControllerStats before = StatsOf(*client);

  // Node 2's ROUTER for its children: <ipc_dir>/<id>.<pid> (DESIGN §1).
  std::string endpoint = absl::StrCat("ipc://", IpcDirOf(p2), "/2.", p2);
  ZmqContext context;
  LiveTraffic live(*client, {3, 2});
  Thrown thrown = ThrowAtTreeRouter(context, endpoint, 2, rng, live);

  uint64_t rise = WaitForCountedRise(*client, before, thrown.least);
  EXPECT_GE(rise, thrown.least) << "dropped frames + late replies did not rise enough";
  live.Check();
  ExpectServiceIntact(controller, *client, nodes, 2);
  EXPECT_THAT(Get(client->Exec(902, "k")), StatusIs(Code::kNotFound)) << "a fake Hello made a node";
  ControllerStats after = StatsOf(*client);
  EXPECT_LE(
      (after.dropped_frames - before.dropped_frames) + (after.late_replies - before.late_replies),
      thrown.most);
  controller.Stop();
}

TEST(HostileInputProcessTest, ControllerChildrenSocketDropsCountsAndKeepsServing) {
  Rng rng(TestSeed());
  google::protobuf::LogSilencer quiet;  // the test parses garbage too: no log per frame
  ClientController controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  ASSERT_GT(p2, 0);
  std::vector<Known> nodes = {{1, kControllerId, p1, 101}, {2, 1, p2, 202}};
  for (const Known& n : nodes) ASSERT_THAT(Get(client->Exec(n.id, "k", n.value)), IsOk());
  ControllerStats before = StatsOf(*client);

  std::string endpoint = absl::StrCat("ipc://", IpcDirOf(p1), "/controller");
  ZmqContext context;
  LiveTraffic live(*client, {1, 2});
  Thrown thrown = ThrowAtTreeRouter(context, endpoint, kControllerId, rng, live);

  uint64_t rise = WaitForCountedRise(*client, before, thrown.least);
  EXPECT_GE(rise, thrown.least) << "dropped frames + late replies did not rise enough";
  live.Check();
  ExpectServiceIntact(controller, *client, nodes, 3);
  EXPECT_THAT(Get(client->Exec(902, "k")), StatusIs(Code::kNotFound)) << "a fake Hello made a node";
  ControllerStats after = StatsOf(*client);
  EXPECT_LE(
      (after.dropped_frames - before.dropped_frames) + (after.late_replies - before.late_replies),
      thrown.most);
  controller.Stop();
}

}  // namespace
}  // namespace arbor::testing

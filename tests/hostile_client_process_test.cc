// Hostile input against the real `arbor`'s client endpoint (reliability,
// issue 5): random bytes, multi-frame garbage and valid-but-wrong envelopes
// from a raw DEALER. Every message gets the Error reply docs/CLIENT_PROTOCOL.md
// promises, the drops are counted, and the service goes on with correct values.
// Seed, envelopes and the service check: harness/hostile_input.h.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "arbor/v1/arbor.pb.h"
#include "common/ids.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "harness/hostile_input.h"
#include "harness/raw_peer.h"
#include "status_matchers.h"
#include "wire/codec.h"

namespace arbor::testing::hostile {
namespace {

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

}  // namespace
}  // namespace arbor::testing::hostile

// Hostile input against the tree's ROUTERs of the real `arbor` (reliability,
// issue 5): a worker's children's socket and the controller's. Garbage, replies
// nobody asked for and messages that only ever travel down, from senders that
// are no node or a fake one: no crash, dropped frames + late replies rise, and
// the service goes on with correct values (src/wire/codec.h validates, src/link/
// receiver.h drops and counts).
// Seed, envelopes and the service check: harness/hostile_input.h.
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
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
// Never uses the routing id of a real node: with ZMQ_ROUTER_HANDOVER
// (src/transport/socket.h, so a re-created id is accepted at once) a newcomer
// with a real child's id takes that child's place, and the design has no authentication inside the
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

  // Node 2's ROUTER for its children: <ipc_dir>/<id>.<pid> (src/transport/endpoints.h).
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
}  // namespace arbor::testing::hostile

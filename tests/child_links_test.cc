// link/child_links: a process's ROUTERs for its children. Over CURVE a child is
// answered at its routing id with its token; once it said Hello there, the
// plain ROUTER cannot speak for it (nor be answered for it); a peer holding
// another valid key, or no token, gets nothing; and the ring's ZAP policy goes
// with the links.
#include "link/child_links.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"
#include "transport/curve.h"
#include "transport/zap.h"
#include "wire/codec.h"

namespace arbor::link {
namespace {

using ::arbor::testing::CurveRig;
using ::arbor::testing::IsOk;
using ::arbor::testing::Received;
using ::arbor::testing::StatusIs;
using ::testing::IsEmpty;

struct Heard {
  NodeId from;
  bool hello;
};

class ChildLinksTest : public ::testing::Test {
 protected:
  ChildLinksTest() : rig_(transport::Transport::kTcp) {}

  void SetUp() override {
    own_ = testing::NewKeys();
    auto zap = transport::ZapHandler::Bind(rig_.context(), rig_.loop());
    ASSERT_THAT(zap.status(), IsOk());
    zap_ = std::move(*zap);
    ChildLinksOptions options;
    options.plain_bind = "tcp://127.0.0.1:*";
    options.curve_bind = "tcp://127.0.0.1:*";
    options.secret_z85 = own_.secret_z85;
    auto links = ChildLinks::Bind(
        rig_.context(), rig_.loop(), zap_.get(), options,
        [this](NodeId from, v1::Envelope& envelope, std::string_view) {
          heard_.push_back({from, envelope.has_hello()});
        },
        [this](NodeId, const absl::Status& why) { dropped_.push_back(why.code()); },
        [] { return false; }, [] {});
    ASSERT_THAT(links.status(), IsOk());
    links_ = std::move(*links);
    for (NodeId id : {5, 6}) {
      keys_[id] = testing::NewKeys();
      tokens_[id] = *transport::NewRoutingToken();
      ASSERT_THAT(links_->keys().Allow(id, keys_[id].public_z85, tokens_[id]), IsOk());
    }
  }

  // A DEALER speaking as `routing_id`: over CURVE with `keys`, else plain.
  transport::Socket& Peer(const std::string& routing_id,
                          const std::optional<transport::CurveKeyPair>& keys) {
    peers_.push_back(
        std::make_unique<transport::Socket>(rig_.Client(routing_id, keys, own_.public_z85)));
    inboxes_.push_back(std::make_unique<std::vector<Received>>());
    transport::Socket& peer = *peers_.back();
    EXPECT_THAT(peer.Connect(keys ? links_->curve_endpoint() : links_->plain_endpoint()), IsOk());
    rig_.Collect(peer, *inboxes_.back());
    return peer;
  }
  std::vector<Received>& InboxOf(size_t peer) { return *inboxes_.at(peer); }

  std::string RoutingId(NodeId id) { return transport::CurveRoutingId(id, tokens_[id]); }

  static void SendHello(transport::Socket& peer, NodeId id) {
    v1::Envelope hello;
    hello.set_target(kControllerId);
    hello.mutable_hello()->set_id(id);
    hello.mutable_hello()->set_pid(1);
    hello.mutable_hello()->set_endpoint("tcp://127.0.0.1:1");
    EXPECT_THAT(peer.Send(wire::Encode(hello)), IsOk());
  }
  static std::string Beat() {
    v1::Envelope beat;
    beat.mutable_heartbeat();
    return wire::Encode(beat);
  }

  CurveRig rig_;
  transport::CurveKeyPair own_;
  std::unique_ptr<transport::ZapHandler> zap_;
  std::unique_ptr<ChildLinks> links_;
  std::map<NodeId, transport::CurveKeyPair> keys_;
  std::map<NodeId, std::string> tokens_;
  std::vector<std::unique_ptr<transport::Socket>> peers_;
  std::vector<std::unique_ptr<std::vector<Received>>> inboxes_;
  std::vector<Heard> heard_;
  std::vector<absl::StatusCode> dropped_;
};

TEST_F(ChildLinksTest, ACurveChildIsAnsweredAtItsRoutingIdWithItsToken) {
  transport::Socket& five = Peer(RoutingId(5), keys_[5]);
  SendHello(five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  EXPECT_EQ(heard_[0].from, 5);
  EXPECT_TRUE(links_->OverCurve(5));
  ASSERT_THAT(links_->Send(5, Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return !InboxOf(0).empty(); }));
  EXPECT_THAT(dropped_, IsEmpty());
}

TEST_F(ChildLinksTest, ThePlainSocketCannotSpeakForACurveChild) {
  transport::Socket& five = Peer(RoutingId(5), keys_[5]);
  SendHello(five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  // A local process on the plain socket claims node 5: its Hello and frames
  // are dropped, and replies still go over CURVE.
  transport::Socket& rogue = Peer("5", std::nullopt);
  SendHello(rogue, 5);
  ASSERT_THAT(rogue.Send(Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return dropped_.size() == 2; }));
  EXPECT_EQ(dropped_[0], absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(heard_.size(), 1u);
  EXPECT_TRUE(links_->OverCurve(5));
  ASSERT_THAT(links_->Send(5, Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return !InboxOf(0).empty(); }));
  EXPECT_THAT(InboxOf(1), IsEmpty());
  // Forgotten (it left), node 5 may link on the plain socket again.
  links_->Forget(5);
  SendHello(rogue, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return heard_.size() == 2; }));
  EXPECT_FALSE(links_->OverCurve(5));
}

TEST_F(ChildLinksTest, ANodeOfAnotherHostIsNeverHeardOnThePlainSocket) {
  keys_[7] = testing::NewKeys();
  tokens_[7] = *transport::NewRoutingToken();
  ASSERT_THAT(links_->Allow(7, keys_[7].public_z85, tokens_[7], /*curve_only=*/true), IsOk());
  // Before it ever connected: a local process claims it on the plain socket.
  transport::Socket& rogue = Peer("7", std::nullopt);
  SendHello(rogue, 7);
  ASSERT_TRUE(rig_.RunUntil([this] { return !dropped_.empty(); }));
  EXPECT_EQ(dropped_[0], absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(heard_, IsEmpty());
}

TEST_F(ChildLinksTest, AnOlderIncarnationsOpenConnectionIsNotHeard) {
  transport::Socket& old_five = Peer(RoutingId(5), keys_[5]);
  SendHello(old_five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  // Node 5 is created again (here, on the controller's host): its old process's
  // connection, still open, no longer speaks for it, and the new one links on
  // the plain socket.
  ASSERT_THAT(links_->Allow(5, testing::NewKeys().public_z85, *transport::NewRoutingToken(),
                            /*curve_only=*/false),
              IsOk());
  EXPECT_FALSE(links_->OverCurve(5));
  SendHello(old_five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !dropped_.empty(); }));
  EXPECT_EQ(dropped_[0], absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(links_->OverCurve(5));
  transport::Socket& new_five = Peer("5", std::nullopt);
  SendHello(new_five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return heard_.size() == 2; }));
  ASSERT_THAT(links_->Send(5, Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return !InboxOf(1).empty(); }));
}

TEST_F(ChildLinksTest, AnotherValidKeyGetsNothingOfAChild) {
  transport::Socket& five = Peer(RoutingId(5), keys_[5]);
  SendHello(five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  // Node 6's key claims node 5 without its token, with a guessed one, and
  // (as if stolen) with it.
  Peer("5", keys_[6]);
  Peer(transport::CurveRoutingId(5, std::string(32, '0')), keys_[6]);
  for (size_t i = 1; i <= 2; ++i) SendHello(*peers_[i], 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return dropped_.size() == 2; }));
  for (absl::StatusCode code : dropped_) EXPECT_EQ(code, absl::StatusCode::kPermissionDenied);
  ASSERT_THAT(links_->Send(5, Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return !InboxOf(0).empty(); }));
  EXPECT_THAT(InboxOf(1), IsEmpty());
  EXPECT_THAT(InboxOf(2), IsEmpty());
  EXPECT_EQ(heard_.size(), 1u);
}

TEST_F(ChildLinksTest, AFailedHandshakeCountsAsADrop) {
  // No CURVE at all, and a key nobody issued, both claiming node 5.
  transport::Socket keyless = rig_.Client(RoutingId(5), std::nullopt, "");
  ASSERT_THAT(keyless.Connect(links_->curve_endpoint()), IsOk());
  Peer(RoutingId(5), testing::NewKeys());
  SendHello(keyless, 5);
  SendHello(*peers_[0], 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return dropped_.size() >= 2; }));
  for (absl::StatusCode code : dropped_) EXPECT_EQ(code, absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(heard_, IsEmpty());
  // The real one is heard after them.
  transport::Socket& five = Peer(RoutingId(5), keys_[5]);
  SendHello(five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  EXPECT_EQ(heard_[0].from, 5);
  EXPECT_THAT(InboxOf(0), IsEmpty());
}

TEST_F(ChildLinksTest, AChildWithoutAKeyHereCannotBeSentTo) {
  EXPECT_THAT(links_->Send(7, Beat()), StatusIs(absl::StatusCode::kUnavailable));  // plain: absent
  transport::Socket& five = Peer(RoutingId(5), keys_[5]);
  SendHello(five, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !heard_.empty(); }));
  links_->keys().Forget(5);
  EXPECT_THAT(links_->Send(5, Beat()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ChildLinksTest, TheRingsPolicyGoesWithTheLinks) {
  links_.reset();
  // Another CURVE server of the tree's domain, on the same handler: with no
  // policy left every key is refused (none reads the freed ring).
  std::string endpoint;
  transport::Socket server = rig_.Server(own_.secret_z85, &endpoint);
  transport::Socket client = rig_.Client(RoutingId(5), keys_[5], own_.public_z85);
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send(Beat()), IsOk());
  ASSERT_TRUE(rig_.RunUntil([this] { return zap_->counters().rejected > 0; }));
  EXPECT_EQ(zap_->counters().accepted, 0u);
}

}  // namespace
}  // namespace arbor::link

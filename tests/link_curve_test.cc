// link/receiver over CURVE: the User-Id check -- with a ZAP policy that names
// each key by its node's routing id ("ID.TOKEN"), a message is taken only when
// its key is the one issued for the routing id it claims. The attack it stops:
// another valid key claiming a child's id (without the token it cannot even
// name the child's routing id; with it, libzmq would hand the link over, and
// still nothing the intruder sends is taken).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "link/key_ring.h"
#include "link/receiver.h"
#include "status_matchers.h"
#include "transport/curve.h"
#include "transport/zap.h"
#include "wire/codec.h"

namespace arbor::link {
namespace {

using ::arbor::testing::CurveRig;
using ::arbor::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Taken {
  NodeId from;
  NodeId target;
};
struct Dropped {
  NodeId from;
  absl::StatusCode code;
};

class UserIdCheckTest : public ::testing::TestWithParam<transport::Transport> {
 protected:
  UserIdCheckTest() : rig_(GetParam()) {}

  void SetUp() override {
    for (NodeId id : {5, 6}) {
      issued_[id] = testing::NewKeys();
      tokens_[id] = *transport::NewRoutingToken();
      ASSERT_THAT(ring_.Allow(id, issued_[id].public_z85, tokens_[id]), IsOk());
    }
    server_keys_ = testing::NewKeys();
    // The policy: a key is accepted only if it was issued, as that node's id.
    auto zap = transport::ZapHandler::Bind(rig_.context(), rig_.loop(), ring_.Policy());
    ASSERT_THAT(zap.status(), IsOk());
    zap_ = std::move(*zap);
    server_.emplace(rig_.Server(server_keys_.secret_z85, &endpoint_));
    receiver_.RequireUserIds(true);
    rig_.loop().AddSocket(*server_, [this] {
      receiver_.Drain(
          *server_, PeerShape::kRouter, 100,
          [this](NodeId from, v1::Envelope& envelope, std::string_view) {
            taken_.push_back({from, envelope.target()});
          },
          [this](NodeId from, const absl::Status& why) {
            dropped_.push_back({from, why.code()});
          },
          [] { return false; });
    });
  }
  void TearDown() override {
    if (server_) rig_.loop().RemoveSocket(*server_);
  }

  // Node `id`'s routing id, with its token.
  std::string RoutingId(NodeId id) { return transport::CurveRoutingId(id, tokens_[id]); }
  // A client claiming node `claims` (with its real routing id), with the key
  // issued for `key_of`, sends one heartbeat whose target is `claims`.
  transport::Socket Send(NodeId claims, NodeId key_of) {
    return Send(claims, RoutingId(claims), issued_[key_of]);
  }
  // The same with any routing id and keys.
  transport::Socket Send(NodeId claims, const std::string& routing_id,
                         const transport::CurveKeyPair& keys) {
    transport::Socket client = rig_.Client(routing_id, keys, server_keys_.public_z85);
    EXPECT_THAT(client.Connect(endpoint_), IsOk());
    v1::Envelope beat;
    beat.set_target(claims);
    beat.mutable_heartbeat();
    EXPECT_THAT(client.Send(wire::Encode(beat)), IsOk());
    return client;
  }

  CurveRig rig_;
  KeyRing ring_;  // before the handler whose policy reads it
  std::map<NodeId, transport::CurveKeyPair> issued_;
  std::map<NodeId, std::string> tokens_;
  transport::CurveKeyPair server_keys_;
  std::unique_ptr<transport::ZapHandler> zap_;
  std::optional<transport::Socket> server_;
  std::string endpoint_;
  Receiver receiver_;
  std::vector<Taken> taken_;
  std::vector<Dropped> dropped_;
};

TEST_P(UserIdCheckTest, TheIssuedKeyIsTakenUnderItsOwnId) {
  transport::Socket five = Send(5, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !taken_.empty(); }));
  EXPECT_EQ(taken_[0].from, 5);
  EXPECT_EQ(taken_[0].target, 5);
  EXPECT_THAT(dropped_, IsEmpty());
}

TEST_P(UserIdCheckTest, AnotherValidKeyClaimingAnIdIsDropped) {
  // Node 6's key, claiming to be node 5: with 5's routing id (as if it had
  // stolen the token), as plain "5", with a guessed token, as "6" without its
  // token, and as node 7.
  std::vector<transport::Socket> intruders;
  intruders.push_back(Send(5, 6));
  intruders.push_back(Send(5, "5", issued_[6]));
  intruders.push_back(Send(5, transport::CurveRoutingId(5, std::string(32, 'a')), issued_[6]));
  intruders.push_back(Send(6, "6", issued_[6]));
  intruders.push_back(Send(7, transport::CurveRoutingId(7, tokens_[6]), issued_[6]));
  ASSERT_TRUE(rig_.RunUntil([this] { return dropped_.size() == 5; }));
  EXPECT_THAT(taken_, IsEmpty());
  for (const Dropped& d : dropped_) {
    EXPECT_EQ(d.code, absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(d.from, kOnlyPeer);  // no sender is believed
  }
  // The real node 5 still gets through (its link taken back at once).
  transport::Socket five = Send(5, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !taken_.empty(); }));
  EXPECT_EQ(taken_[0].from, 5);
}

TEST_P(UserIdCheckTest, AnUnlistedKeyIsNeverHeard) {
  transport::Socket stranger = Send(5, RoutingId(5), testing::NewKeys());
  // Until the ZAP handler has refused it (bounded), and a real node is heard after.
  ASSERT_TRUE(rig_.RunUntil([this] { return zap_->counters().rejected > 0; }));
  transport::Socket five = Send(5, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !taken_.empty(); }));
  ASSERT_EQ(taken_.size(), 1u);
  EXPECT_EQ(taken_[0].from, 5);
  EXPECT_THAT(dropped_, IsEmpty());
}

TEST_P(UserIdCheckTest, AnOlderIncarnationsKeyIsRefusedOnceReplaced) {
  transport::CurveKeyPair old_keys = issued_[5];
  issued_[5] = testing::NewKeys();  // node 5 re-created
  ASSERT_THAT(ring_.Allow(5, issued_[5].public_z85, tokens_[5]), IsOk());
  transport::Socket old_five = Send(5, RoutingId(5), old_keys);  // the old process, still running
  ASSERT_TRUE(rig_.RunUntil([this] { return zap_->counters().rejected > 0; }));
  transport::Socket new_five = Send(5, 5);
  ASSERT_TRUE(rig_.RunUntil([this] { return !taken_.empty(); }));
  ASSERT_EQ(taken_.size(), 1u);
  EXPECT_THAT(dropped_, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Transports, UserIdCheckTest,
                         ::testing::Values(transport::Transport::kTcp, transport::Transport::kIpc));

}  // namespace
}  // namespace arbor::link

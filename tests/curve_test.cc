// transport/curve.h and Socket's CURVE options, over real tcp and ipc sockets
// with the ZAP handler (transport/zap.h) deciding: DESIGN §7's contract.
#include "transport/curve.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"
#include "transport/zap.h"

namespace arbor::transport {
namespace {

using ::arbor::testing::Count;
using ::arbor::testing::CurveRig;
using ::arbor::testing::IsOk;
using ::arbor::testing::NewKeys;
using ::arbor::testing::Received;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;

TEST(CurveKeysTest, GeneratedPairsAreDistinctValidAndConsistent) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    CurveKeyPair keys = NewKeys();
    EXPECT_TRUE(IsZ85Key(keys.public_z85)) << keys.public_z85;
    EXPECT_TRUE(IsZ85Key(keys.secret_z85));
    auto derived = PublicFromSecret(keys.secret_z85);
    ASSERT_THAT(derived, IsOk());
    EXPECT_EQ(*derived, keys.public_z85);
    EXPECT_TRUE(seen.insert(keys.public_z85).second);
    EXPECT_TRUE(seen.insert(keys.secret_z85).second);
  }
}

TEST(CurveKeysTest, IsZ85Key) {
  const std::string good = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // RFC 32's example
  struct Row {
    std::string text;
    bool valid;
  } rows[] = {
      {good, true},
      {std::string(40, '0'), true},
      {"%nSc0" + std::string(35, '0'), true},   // 2^32 - 1: the largest group
      {"%nSc1" + std::string(35, '0'), false},  // 2^32: one past it
      {std::string(40, '#'), false},            // every group overflows
      {"", false},
      {good.substr(0, 39), false},
      {good + "0", false},
      {good.substr(0, 39) + " ", false},
      {good.substr(0, 39) + "\"", false},
      {good.substr(0, 39) + ",", false},
      {good.substr(0, 39) + "~", false},
      {good.substr(0, 39) + std::string(1, '\0'), false},
      {good.substr(0, 39) + "\xc3", false},
  };
  for (const Row& row : rows) EXPECT_EQ(IsZ85Key(row.text), row.valid) << '"' << row.text << '"';
}

TEST(CurveKeysTest, PublicFromSecretRefusesBadKeys) {
  EXPECT_THAT(PublicFromSecret("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CurveKeysTest, SocketsRefuseBadKeys) {
  Context context;
  auto router = Socket::Router(context, SocketOptions());
  ASSERT_THAT(router, IsOk());
  router->SetLinger(0);
  EXPECT_THAT(router->EnableCurveServer("x"), StatusIs(absl::StatusCode::kInvalidArgument));
  CurveKeyPair keys = NewKeys();
  EXPECT_THAT(router->EnableCurveClient(keys.public_z85, keys.secret_z85, "bad"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A CURVE server whose ZAP policy admits `listed` as each one's user id.
class CurveLinkTest : public ::testing::TestWithParam<Transport> {
 protected:
  CurveLinkTest() : rig_(GetParam()), server_keys_(NewKeys()) {}

  void StartZap(std::vector<std::pair<CurveKeyPair, std::string>> listed) {
    auto zap = ZapHandler::Bind(rig_.context(), rig_.loop(),
                                [listed](const ZapRequest& request) -> std::optional<std::string> {
                                  for (const auto& [keys, user] : listed) {
                                    if (keys.public_z85 == request.public_z85) return user;
                                  }
                                  return std::nullopt;
                                });
    ASSERT_THAT(zap, IsOk());
    zap_ = std::move(*zap);
  }

  CurveRig rig_;
  CurveKeyPair server_keys_;
  std::unique_ptr<ZapHandler> zap_;  // after rig_: closed before the context
};

TEST_P(CurveLinkTest, ListedKeyTalksAndCarriesItsUserId) {
  CurveKeyPair client_keys = NewKeys();
  StartZap({{client_keys, "7"}});
  std::string endpoint;
  Socket server = rig_.Server(server_keys_.secret_z85, &endpoint);
  std::vector<Received> at_server, at_client;
  rig_.Collect(server, at_server);
  Socket client = rig_.Client("7", client_keys, server_keys_.public_z85);
  std::vector<LinkEvent> client_events;
  auto monitor = rig_.Watch(client, client_events);
  rig_.Collect(client, at_client);
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send("hello"), IsOk());

  ASSERT_TRUE(rig_.RunUntil([&] { return !at_server.empty(); }));
  EXPECT_THAT(at_server[0].frames, ElementsAre("7", "hello"));
  EXPECT_EQ(at_server[0].user_id, "7");
  std::vector<std::string_view> reply = {"7", "back"};
  ASSERT_THAT(server.Send(reply), IsOk());
  ASSERT_TRUE(rig_.RunUntil([&] { return !at_client.empty(); }));
  EXPECT_THAT(at_client[0].frames, ElementsAre("back"));
  EXPECT_EQ(at_client[0].user_id, "");  // only a server asks ZAP
  EXPECT_EQ(Count(client_events, LinkEvent::kHandshakeSucceeded), 1);
  EXPECT_EQ(Count(client_events, LinkEvent::kHandshakeFailed), 0);
  EXPECT_EQ(zap_->counters().accepted, 1u);
  EXPECT_EQ(zap_->counters().rejected, 0u);
}

TEST_P(CurveLinkTest, KeylessClientGetsNothingIn) {
  StartZap({});
  std::string endpoint;
  Socket server = rig_.Server(server_keys_.secret_z85, &endpoint);
  std::vector<LinkEvent> server_events;
  auto monitor = rig_.Watch(server, server_events);
  std::vector<Received> at_server;
  rig_.Collect(server, at_server);
  Socket client = rig_.Client("7", std::nullopt, "");
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send("hello"), IsOk());

  ASSERT_TRUE(rig_.RunUntil([&] { return Count(server_events, LinkEvent::kHandshakeFailed) > 0; }));
  EXPECT_EQ(monitor->last_failure(), HandshakeFailure::kProtocol);
  EXPECT_TRUE(at_server.empty());
  EXPECT_EQ(Count(server_events, LinkEvent::kHandshakeSucceeded), 0);
  EXPECT_EQ(zap_->counters().accepted + zap_->counters().rejected, 0u);
}

TEST_P(CurveLinkTest, UnlistedKeyIsRefusedByZap) {
  StartZap({{NewKeys(), "7"}});
  std::string endpoint;
  Socket server = rig_.Server(server_keys_.secret_z85, &endpoint);
  std::vector<Received> at_server;
  rig_.Collect(server, at_server);
  Socket client = rig_.Client("7", NewKeys(), server_keys_.public_z85);
  std::vector<LinkEvent> client_events;
  auto monitor = rig_.Watch(client, client_events);
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send("hello"), IsOk());

  ASSERT_TRUE(rig_.RunUntil([&] { return Count(client_events, LinkEvent::kHandshakeFailed) > 0; }));
  EXPECT_EQ(monitor->last_failure(), HandshakeFailure::kAuth);
  EXPECT_EQ(Count(client_events, LinkEvent::kHandshakeSucceeded), 0);
  EXPECT_TRUE(at_server.empty());
  EXPECT_EQ(zap_->counters().accepted, 0u);
  EXPECT_GE(zap_->counters().rejected, 1u);
}

TEST_P(CurveLinkTest, WrongServerKeyNeverHandshakes) {
  CurveKeyPair client_keys = NewKeys();
  StartZap({{client_keys, "7"}});
  std::string endpoint;
  Socket server = rig_.Server(server_keys_.secret_z85, &endpoint);
  std::vector<LinkEvent> server_events;
  auto server_monitor = rig_.Watch(server, server_events);
  std::vector<Received> at_server;
  rig_.Collect(server, at_server);
  Socket client = rig_.Client("7", client_keys, NewKeys().public_z85);
  std::vector<LinkEvent> client_events;
  auto client_monitor = rig_.Watch(client, client_events);
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send("hello"), IsOk());

  // The server cannot open the client's HELLO; the client tries again.
  ASSERT_TRUE(
      rig_.RunUntil([&] { return Count(server_events, LinkEvent::kHandshakeFailed) >= 2; }));
  EXPECT_EQ(server_monitor->last_failure(), HandshakeFailure::kProtocol);
  EXPECT_GE(Count(client_events, LinkEvent::kConnected), 2);  // a connect is no handshake
  EXPECT_EQ(Count(client_events, LinkEvent::kHandshakeSucceeded), 0);
  EXPECT_TRUE(at_server.empty());
  EXPECT_EQ(zap_->counters().accepted + zap_->counters().rejected, 0u);
}

// ROUTER_HANDOVER hands routing id "7" to whoever claims it last with a valid
// key: the User-Id tells the impostor from the child.
TEST_P(CurveLinkTest, UserIdTellsTwoClaimsOfOneRoutingIdApart) {
  CurveKeyPair child_keys = NewKeys();
  CurveKeyPair other_keys = NewKeys();
  StartZap({{child_keys, "7"}, {other_keys, "8"}});
  std::string endpoint;
  Socket server = rig_.Server(server_keys_.secret_z85, &endpoint);
  std::vector<Received> at_server;
  rig_.Collect(server, at_server);
  Socket child = rig_.Client("7", child_keys, server_keys_.public_z85);
  ASSERT_THAT(child.Connect(endpoint), IsOk());
  ASSERT_THAT(child.Send("from child"), IsOk());
  ASSERT_TRUE(rig_.RunUntil([&] { return at_server.size() == 1; }));

  Socket impostor = rig_.Client("7", other_keys, server_keys_.public_z85);
  ASSERT_THAT(impostor.Connect(endpoint), IsOk());
  ASSERT_THAT(impostor.Send("from impostor"), IsOk());
  ASSERT_TRUE(rig_.RunUntil([&] { return at_server.size() == 2; }));

  EXPECT_THAT(at_server[0].frames, ElementsAre("7", "from child"));
  EXPECT_EQ(at_server[0].user_id, "7");
  EXPECT_THAT(at_server[1].frames, ElementsAre("7", "from impostor"));  // the same claim
  EXPECT_EQ(at_server[1].user_id, "8");                                 // but not the same key
  EXPECT_EQ(zap_->counters().accepted, 2u);
}

TEST_P(CurveLinkTest, PlainSocketsHaveNoUserId) {
  std::string endpoint;
  Socket server = rig_.Server(std::nullopt, &endpoint);
  std::vector<Received> at_server;
  rig_.Collect(server, at_server);
  Socket client = rig_.Client("7", std::nullopt, "");
  ASSERT_THAT(client.Connect(endpoint), IsOk());
  ASSERT_THAT(client.Send("hello"), IsOk());
  ASSERT_TRUE(rig_.RunUntil([&] { return !at_server.empty(); }));
  EXPECT_THAT(at_server[0].frames, ElementsAre("7", "hello"));
  EXPECT_EQ(at_server[0].user_id, "");
}

INSTANTIATE_TEST_SUITE_P(CurveOver, CurveLinkTest,
                         ::testing::Values(Transport::kTcp, Transport::kIpc), [](const auto& info) {
                           return info.param == Transport::kTcp ? std::string("Tcp")
                                                                : std::string("Ipc");
                         });

}  // namespace
}  // namespace arbor::transport

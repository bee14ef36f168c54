// transport/zap.h: the ZAP handler over real sockets: what the policy sees,
// fail-closed without a handler, and garbage answered and counted.
#include "transport/zap.h"

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"
#include "transport/curve.h"

namespace arbor::transport {
namespace {

using ::arbor::testing::Count;
using ::arbor::testing::CurveRig;
using ::arbor::testing::IsOk;
using ::arbor::testing::NewKeys;
using ::arbor::testing::Received;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;

ZapPolicy AcceptAs(std::string user_id, std::vector<ZapRequest>* seen) {
  return [user_id, seen](const ZapRequest& request) -> std::optional<std::string> {
    seen->push_back(request);
    return user_id;
  };
}

TEST(ZapTest, OneHandlerPerContext) {
  CurveRig rig(Transport::kTcp);
  std::vector<ZapRequest> seen;
  auto first = ZapHandler::Bind(rig.context(), rig.loop(), AcceptAs("1", &seen));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(ZapHandler::Bind(rig.context(), rig.loop(), AcceptAs("1", &seen)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

class ZapLinkTest : public ::testing::TestWithParam<Transport> {
 protected:
  ZapLinkTest() : rig_(GetParam()), server_keys_(NewKeys()), client_keys_(NewKeys()) {}

  // Connects a CURVE client with client_keys_ to a CURVE server and runs until
  // its handshake succeeds or fails; what the server received goes to at_server_.
  void Handshake() {
    std::string endpoint;
    server_.emplace(rig_.Server(server_keys_.secret_z85, &endpoint));
    rig_.Collect(*server_, at_server_);
    client_.emplace(rig_.Client("7", client_keys_, server_keys_.public_z85));
    monitor_ = rig_.Watch(*client_, client_events_);
    ASSERT_THAT(client_->Connect(endpoint), IsOk());
    ASSERT_THAT(client_->Send("hello"), IsOk());
    ASSERT_TRUE(rig_.RunUntil([&] {
      return Count(client_events_, LinkEvent::kHandshakeFailed) > 0 || !at_server_.empty();
    }));
  }

  CurveRig rig_;
  CurveKeyPair server_keys_, client_keys_;
  std::unique_ptr<ZapHandler> zap_;
  std::optional<Socket> server_, client_;
  std::unique_ptr<Monitor> monitor_;  // after client_: detached before it closes
  std::vector<Received> at_server_;
  std::vector<LinkEvent> client_events_;
};

TEST_P(ZapLinkTest, PolicySeesDomainAddressAndKey) {
  std::vector<ZapRequest> seen;
  auto zap = ZapHandler::Bind(rig_.context(), rig_.loop(), AcceptAs("7", &seen));
  ASSERT_THAT(zap, IsOk());
  zap_ = std::move(*zap);
  Handshake();
  ASSERT_EQ(at_server_.size(), 1u);
  EXPECT_EQ(at_server_[0].user_id, "7");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].domain, kZapDomain);
  if (GetParam() == Transport::kTcp) {
    EXPECT_EQ(seen[0].address, "127.0.0.1");
  } else {  // SO_PEERCRED of the peer: this very process
    EXPECT_EQ(seen[0].address, absl::StrCat("localhost:", getuid(), ":", getgid(), ":", getpid()));
  }
  EXPECT_EQ(seen[0].public_z85, client_keys_.public_z85);
}

TEST_P(ZapLinkTest, WithoutHandlerEveryKeyIsRefused) {
  Handshake();  // no ZapHandler: ZMQ_ZAP_ENFORCE_DOMAIN fails it closed
  EXPECT_EQ(Count(client_events_, LinkEvent::kHandshakeSucceeded), 0);
  EXPECT_GE(Count(client_events_, LinkEvent::kHandshakeFailed), 1);
  EXPECT_TRUE(at_server_.empty());
}

TEST_P(ZapLinkTest, PolicyRefusalAndEmptyUserIdAreRejections) {
  // One handler for the context's life: a closed one's endpoint is freed later.
  std::optional<std::string> answer;
  auto zap = ZapHandler::Bind(rig_.context(), rig_.loop(),
                              [&answer](const ZapRequest&) { return answer; });
  ASSERT_THAT(zap, IsOk());
  zap_ = std::move(*zap);
  for (std::optional<std::string> refusal :
       {std::optional<std::string>(), std::optional<std::string>("")}) {
    answer = refusal;
    uint64_t rejected = zap_->counters().rejected;
    Handshake();
    EXPECT_EQ(monitor_->last_failure(), HandshakeFailure::kAuth);
    EXPECT_TRUE(at_server_.empty());
    EXPECT_EQ(zap_->counters().accepted, 0u);
    EXPECT_GT(zap_->counters().rejected, rejected);
    // Out of the loop before they close: a closed socket in the poll set ends Run.
    rig_.loop().RemoveSocket(monitor_->events());
    rig_.loop().RemoveSocket(*server_);
    monitor_.reset();
    client_.reset();
    server_.reset();
    client_events_.clear();
  }
}

// A plain (NULL mechanism) link in a context that has a ZAP handler: nobody
// asks the handler, and messages flow as before.
TEST_P(ZapLinkTest, PlainSocketsAreNotAsked) {
  std::vector<ZapRequest> seen;
  auto zap = ZapHandler::Bind(rig_.context(), rig_.loop(), AcceptAs("7", &seen));
  ASSERT_THAT(zap, IsOk());
  zap_ = std::move(*zap);
  std::string endpoint;
  server_.emplace(rig_.Server(std::nullopt, &endpoint));
  rig_.Collect(*server_, at_server_);
  client_.emplace(rig_.Client("7", std::nullopt, ""));
  ASSERT_THAT(client_->Connect(endpoint), IsOk());
  ASSERT_THAT(client_->Send("hello"), IsOk());
  ASSERT_TRUE(rig_.RunUntil([&] { return !at_server_.empty(); }));
  EXPECT_THAT(at_server_[0].frames, ElementsAre("7", "hello"));
  EXPECT_EQ(at_server_[0].user_id, "");
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(zap_->counters().accepted + zap_->counters().rejected + zap_->counters().malformed, 0u);
}

INSTANTIATE_TEST_SUITE_P(ZapOver, ZapLinkTest, ::testing::Values(Transport::kTcp, Transport::kIpc),
                         [](const auto& info) {
                           return info.param == Transport::kTcp ? std::string("Tcp")
                                                                : std::string("Ipc");
                         });

// One handler, one policy per domain: the tree's and the clients' sockets of
// one context are told apart by the domain each announces.
TEST(ZapTest, EachDomainHasItsOwnPolicy) {
  CurveRig rig(Transport::kTcp);
  std::vector<ZapRequest> tree_seen, client_seen;
  auto zap = ZapHandler::Bind(rig.context(), rig.loop(), AcceptAs("5", &tree_seen));
  ASSERT_THAT(zap, IsOk());
  CurveKeyPair server = NewKeys(), client = NewKeys();
  auto handshake = [&](const char* domain) -> std::vector<Received> {
    auto socket = Socket::Router(rig.context(), SocketOptions());
    EXPECT_THAT(socket, IsOk());
    socket->SetLinger(0);
    EXPECT_THAT(socket->EnableCurveServer(server.secret_z85, domain), IsOk());
    auto endpoint = socket->Bind(rig.BindEndpoint());
    EXPECT_THAT(endpoint, IsOk());
    std::vector<Received> got;
    rig.Collect(*socket, got);
    Socket dealer = rig.Client("5", client, server.public_z85);
    std::vector<LinkEvent> events;
    auto monitor = rig.Watch(dealer, events);
    EXPECT_THAT(dealer.Connect(*endpoint), IsOk());
    EXPECT_THAT(dealer.Send("hi"), IsOk());
    EXPECT_TRUE(rig.RunUntil(
        [&] { return !got.empty() || Count(events, LinkEvent::kHandshakeFailed) > 0; }));
    rig.loop().RemoveSocket(monitor->events());
    rig.loop().RemoveSocket(*socket);
    return got;
  };
  EXPECT_TRUE(handshake(kClientZapDomain).empty());  // nobody serves it yet
  (*zap)->Serve(kClientZapDomain, AcceptAs("client-a", &client_seen));
  std::vector<Received> as_client = handshake(kClientZapDomain);
  ASSERT_EQ(as_client.size(), 1u);
  EXPECT_EQ(as_client[0].user_id, "client-a");
  std::vector<Received> as_tree = handshake(kZapDomain);
  ASSERT_EQ(as_tree.size(), 1u);
  EXPECT_EQ(as_tree[0].user_id, "5");
  ASSERT_EQ(client_seen.size(), 1u);
  EXPECT_EQ(client_seen[0].domain, kClientZapDomain);
  ASSERT_EQ(tree_seen.size(), 1u);
  EXPECT_EQ(tree_seen[0].domain, kZapDomain);
}

// Requests written by hand to kZapEndpoint, as any code in the process could.
TEST(ZapTest, EveryRequestIsAnsweredAndCounted) {
  const std::string key(32, 'k');
  struct Row {
    std::vector<std::string> request;  // as the DEALER sends it
    std::string code;                  // the reply's status code
    std::string request_id;            // echoed
    std::string user_id;
    char counted;  // 'a'ccepted, 'r'ejected, 'm'alformed
  } rows[] = {
      {{"", "1.0", "9", "arbor", "10.0.0.1", "", "CURVE", key}, "200", "9", "u", 'a'},
      {{"garbage"}, "400", "", "", 'm'},  // no delimiter: all of it is envelope
      {{""}, "400", "", "", 'm'},
      {{"", "1.0", "9", "arbor"}, "400", "9", "", 'm'},
      {{"", "2.0", "9", "arbor", "", "", "CURVE", key}, "400", "9", "", 'm'},
      {{"", "1.0", "9", "arbor", "", "", "CURVE", "short"}, "400", "9", "", 'm'},
      {{"", "1.0", "9", "arbor", "", "", "CURVE", key, "extra"}, "400", "9", "", 'm'},
      {{"", "1.0", "9", "arbor", "", "", "NULL"}, "400", "9", "", 'r'},
      {{"", "1.0", "9", "arbor", "", "", "PLAIN", "user", "password"}, "400", "9", "", 'r'},
      // Domains nobody serves here.
      {{"", "1.0", "9", "arbor-clients", "", "", "CURVE", key}, "400", "9", "", 'r'},
      {{"", "1.0", "9", "", "", "", "CURVE", key}, "400", "9", "", 'r'},
  };
  CurveRig rig(Transport::kTcp);
  std::vector<ZapRequest> seen;
  auto zap = ZapHandler::Bind(rig.context(), rig.loop(), AcceptAs("u", &seen));
  ASSERT_THAT(zap, IsOk());
  Socket asker = rig.Client("asker", std::nullopt, "");
  ASSERT_THAT(asker.Connect(kZapEndpoint), IsOk());
  std::vector<Received> replies;
  rig.Collect(asker, replies);
  ZapCounters expected;
  for (const Row& row : rows) {
    std::vector<std::string_view> frames(row.request.begin(), row.request.end());
    ASSERT_THAT(asker.Send(frames), IsOk());
    ASSERT_TRUE(rig.RunUntil([&] { return !replies.empty(); }));
    const std::vector<std::string>& reply = replies[0].frames;
    ASSERT_GE(reply.size(), 6u);
    std::vector<std::string> tail(reply.end() - 6, reply.end());
    EXPECT_EQ(tail[0], "1.0");
    EXPECT_EQ(tail[1], row.request_id);
    EXPECT_EQ(tail[2], row.code) << tail[3];
    EXPECT_EQ(tail[4], row.user_id);
    EXPECT_EQ(tail[5], "");
    replies.clear();
    ++(row.counted == 'a'   ? expected.accepted
       : row.counted == 'r' ? expected.rejected
                            : expected.malformed);
    EXPECT_EQ((*zap)->counters().accepted, expected.accepted);
    EXPECT_EQ((*zap)->counters().rejected, expected.rejected);
    EXPECT_EQ((*zap)->counters().malformed, expected.malformed);
  }
  ASSERT_EQ(seen.size(), 1u);  // the policy is asked only well-formed CURVE requests
  EXPECT_EQ(seen[0].domain, "arbor");
  EXPECT_EQ(seen[0].address, "10.0.0.1");
  EXPECT_TRUE(IsZ85Key(seen[0].public_z85));
}

}  // namespace
}  // namespace arbor::transport

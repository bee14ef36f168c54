// Bounded resources against the real controller: each limit answers (or drops
// what it must) instead of queueing without end, and one greedy client starves
// no one. Limits: calls in flight per node (--max-node-in-flight), per client
// (--max-client-in-flight, also in client_test.cc), the largest message
// (ZMQ_MAXMSGSIZE), a client that never reads its replies (the high-water mark).
#include <signal.h>

#include <atomic>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "harness/processes.h"
#include "wire/codec.h"

namespace arbor::client {
namespace {

using ::arbor::testing::Get;
using ::arbor::testing::IsOk;
using ::arbor::testing::Ready;
using ::arbor::testing::StatusIs;
using ::arbor::testing::Within;
using Controller = ::arbor::testing::ClientController;
using Code = absl::StatusCode;

TEST(LimitsProcessTest, CallsInFlightToOneNodeAreCappedAcrossClients) {
  Controller controller({"--max-node-in-flight=2"});
  auto a = controller.Connect();
  auto b = controller.Connect();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  pid_t p1 = controller.Create(*a, 1);
  ASSERT_GT(controller.Create(*a, 2), 0);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  ASSERT_TRUE(testing::WaitAllThreadsStopped(p1, Within()));
  CallOptions patient{.timeout = absl::Seconds(20)};
  auto first = a->Exec(1, "k", 1, patient);
  auto second = a->Exec(1, "k", patient);
  // Both are in the controller's table before the third arrives: a ping
  // through the same client is answered after them.
  EXPECT_EQ(Get(a->Ping(2)).value_or(false), true);
  EXPECT_THAT(Get(b->Exec(1, "k", patient)), StatusIs(Code::kResourceExhausted))
      << "the cap is per node, whoever calls";
  EXPECT_THAT(Get(a->Exec(1, "k", patient)), StatusIs(Code::kResourceExhausted));
  EXPECT_THAT(Get(b->Exec(2, "k", 2)), IsOk()) << "other nodes are not affected";
  EXPECT_FALSE(Ready(first));
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  EXPECT_THAT(Get(std::move(first)), IsOk());
  absl::StatusOr<ExecResult> loaded = Get(std::move(second));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->value, 1);
  EXPECT_THAT(Get(b->Exec(1, "k")), IsOk()) << "room again once they were answered";
  controller.Stop();
}

TEST(LimitsProcessTest, AFloodingClientStarvesNeitherOtherClientsNorTheCommandLine) {
  testing::TempDir dir;
  std::string endpoint = "ipc://" + dir.path() + "/c";
  testing::ArborProcess arbor({"--listen=" + endpoint});
  pid_t p1 = 0, p2 = 0;
  ASSERT_TRUE(arbor.Create("1", &p1));
  ASSERT_TRUE(arbor.Create("2", &p2));
  auto greedy = Client::Connect(endpoint);
  auto polite = Client::Connect(endpoint);
  ASSERT_THAT(greedy, IsOk());
  ASSERT_THAT(polite, IsOk());
  // Far more than --max-client-in-flight (4096), to a frozen node, so they
  // pile up: those over the cap answer at once.
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGSTOP));
  ASSERT_TRUE(testing::WaitAllThreadsStopped(p1, Within()));
  constexpr int kFlood = 20000;
  std::atomic<int> answered{0}, ok{0}, exhausted{0};
  for (int i = 0; i < kFlood; ++i) {
    (*greedy)->Exec(
        1, "k", i,
        [&](absl::StatusOr<ExecResult> r) {
          if (r.ok()) ++ok;
          if (absl::IsResourceExhausted(r.status())) ++exhausted;
          ++answered;
        },
        {.timeout = absl::Seconds(60)});
  }
  // Meanwhile the others get their answers, each within the default deadline.
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(Get((*polite)->Exec(2, "k", i)), IsOk()) << "call " << i;
    if (i % 10 == 0) {
      arbor.Send(absl::StrCat("exec 2 k ", i));
      ASSERT_TRUE(arbor.ExpectLine("Ok:2"));
    }
  }
  EXPECT_GT(Get((*polite)->Stats())->pending, 0u) << "the flood is waiting on node 1";
  ASSERT_TRUE(arbor.SignalWorker(p1, SIGCONT));
  absl::Time deadline = Within(absl::Seconds(60));
  while (answered.load() < kFlood && absl::Now() < deadline) {
    // Every call of the flood resolves; wait on the next one's future.
    Get((*greedy)->Ping(1), absl::Seconds(30)).IgnoreError();
  }
  EXPECT_EQ(answered.load(), kFlood);
  EXPECT_EQ(ok.load() + exhausted.load(), kFlood) << "only OK or RESOURCE_EXHAUSTED";
  EXPECT_GT(exhausted.load(), 0) << "the cap answered";
  EXPECT_GE(ok.load(), 4000) << "up to the cap, the calls waited and were applied";
  std::cerr << "flood: " << ok.load() << " ok, " << exhausted.load() << " exhausted\n";
  (*greedy)->Close();
  (*polite)->Close();
  EXPECT_TRUE(arbor.FinishCleanly());
}

// A raw DEALER on the client endpoint, for what the client library never sends.
class RawClient {
 public:
  // `receive_hwm`: replies this side queues before its I/O thread stops reading.
  explicit RawClient(const std::string& endpoint, int receive_hwm = 1000)
      : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 0);  // every request goes out
    socket_.set(zmq::sockopt::rcvhwm, receive_hwm);
    socket_.connect(endpoint);
  }
  void SendBytes(const std::string& bytes) {
    socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  }
  void SendStats(uint64_t correlation_id) {
    v1::Envelope request;
    request.set_correlation_id(correlation_id);
    request.set_target(kControllerId);
    request.mutable_stats_request();
    SendBytes(wire::Encode(request));
  }
  // The next reply's correlation id, or 0 when none comes within `wait`.
  uint64_t NextReply(absl::Duration wait) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, absl::ToChronoMilliseconds(wait)) != 1) return 0;
    zmq::message_t reply;
    if (!socket_.recv(reply, zmq::recv_flags::dontwait)) return 0;
    v1::Envelope envelope;
    if (!envelope.ParseFromArray(reply.data(), static_cast<int>(reply.size()))) return 0;
    return envelope.correlation_id();
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

TEST(LimitsProcessTest, AnOversizedMessageDropsItsConnectionNotTheController) {
  Controller controller;
  RawClient raw(controller.endpoint());
  raw.SendBytes(std::string(2 << 20, 'x'));  // 2 MiB > ZMQ_MAXMSGSIZE (1 MiB)
  // libzmq drops that connection; the DEALER reconnects by itself. A request
  // sent while the old connection was still up may be lost with it: retry.
  uint64_t answered = 0;
  for (uint64_t id = 1; id <= 50 && answered == 0; ++id) {
    raw.SendStats(id);
    answered = raw.NextReply(absl::Milliseconds(200));
  }
  EXPECT_GT(answered, 0u) << "the controller answers on a new connection";
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_GT(controller.Create(*client, 1), 0);
  EXPECT_THAT(Get(client->Exec(1, "k", 1)), IsOk());
  controller.Stop();
}

TEST(LimitsProcessTest, AClientThatDoesNotReadLosesRepliesAndNobodyWaits) {
  Controller controller;
  RawClient deaf(controller.endpoint(), /*receive_hwm=*/100);
  // Each stats request is answered at once, so the per-client cap never
  // applies: the replies pile up towards the deaf client until its high-water
  // mark (10000) and the kernel's buffers are full, then are dropped.
  constexpr uint64_t kRequests = 40000;
  for (uint64_t id = 1; id <= kRequests; ++id) deaf.SendStats(id);
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_GT(controller.Create(*client, 1), 0);
  for (int i = 0; i < 20; ++i) ASSERT_THAT(Get(client->Exec(1, "k", i)), IsOk());
  absl::StatusOr<ControllerStats> stats = Get(client->Stats());
  ASSERT_THAT(stats, IsOk());
  // The deaf client still gets what was queued for it, in order.
  uint64_t last = 0;
  int read = 0;
  for (uint64_t id; (id = deaf.NextReply(absl::Seconds(2))) != 0; ++read) {
    EXPECT_GT(id, last);
    last = id;
  }
  EXPECT_GT(read, 0);
  // How many are lost depends on how fast each side runs (none under ASan,
  // where the controller is the slow one): only "nobody waited" is asserted.
  std::cerr << "deaf client read " << read << " of " << kRequests << " replies\n";
  controller.Stop();
}

}  // namespace
}  // namespace arbor::client

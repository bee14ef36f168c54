// arbor::client::Client against a real controller (`arbor --listen ... --no-stdin`):
// every request kind and status code, watches, tcp, and the client's own
// deadline and Close() with no controller. Every wait is on a future or an event
// with a deadline; nothing sleeps.
#include "client/client.h"

#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "status_matchers.h"

namespace arbor::client {
namespace {

using ::arbor::testing::ArborProcess;
using ::arbor::testing::EventLog;
using ::arbor::testing::Get;
using ::arbor::testing::IsOk;
using ::arbor::testing::Ready;
using ::arbor::testing::StatusIs;
using ::arbor::testing::TempDir;
using ::arbor::testing::WaitForFileLine;
using ::arbor::testing::Within;
using Controller = ::arbor::testing::ClientController;
using Code = absl::StatusCode;

TEST(SessionClientTest, EveryRequestKind) {
  Controller controller;
  EventLog events;  // outlives the clients: their I/O threads write to it
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  absl::StatusOr<WatchId> watch = Get(client->Watch(events.Callback()));
  ASSERT_THAT(watch, IsOk());
  EXPECT_GT(*watch, 0u);

  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  EXPECT_EQ(events.WaitFor(1, EventKind::kCreated), p1);
  EXPECT_EQ(events.WaitFor(2, EventKind::kCreated), p2);

  absl::StatusOr<ExecResult> missing = Get(client->Exec(2, "MyVar"));
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->found);
  absl::StatusOr<ExecResult> saved = Get(client->Exec(2, "MyVar", -5));
  ASSERT_THAT(saved, IsOk());
  EXPECT_TRUE(saved->found);
  absl::StatusOr<ExecResult> loaded = Get(client->Exec(2, "MyVar"));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->found);
  EXPECT_EQ(loaded->value, -5);
  EXPECT_EQ(Get(client->Exec(1, "MyVar"))->found, false) << "stores are per node";

  EXPECT_EQ(Get(client->Ping(2)).value_or(false), true);
  EXPECT_EQ(Get(client->SetHeartbeat(0)).value_or(1), 0u);

  absl::StatusOr<std::vector<NodeInfo>> tree = Get(client->Topology());
  ASSERT_THAT(tree, IsOk());
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].id, 1);
  EXPECT_EQ((*tree)[0].parent, kControllerId);
  EXPECT_EQ((*tree)[0].pid, p1);
  EXPECT_EQ((*tree)[0].state, NodeState::kAvailable);
  EXPECT_EQ((*tree)[0].depth, 0);
  EXPECT_EQ((*tree)[1].id, 2);
  EXPECT_EQ((*tree)[1].parent, 1);
  EXPECT_EQ((*tree)[1].depth, 1);

  absl::StatusOr<ControllerStats> stats = Get(client->Stats());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->nodes, 2u);
  EXPECT_GE(stats->answered, 4u);
  EXPECT_EQ(stats->dropped_frames, 0u);

  EXPECT_THAT(Get(client->Remove(2)), IsOk());
  EXPECT_GE(events.WaitFor(2, EventKind::kRemoved), 0);
  EXPECT_TRUE(controller.arbor().WorkerExits(p2));
  tree = Get(client->Topology());
  ASSERT_THAT(tree, IsOk());
  ASSERT_EQ(tree->size(), 1u);
  EXPECT_EQ((*tree)[0].id, 1);

  EXPECT_THAT(Get(client->Unwatch(*watch)), IsOk());
  size_t seen = events.size();
  controller.Create(*client, 3);
  EXPECT_THAT(Get(client->Unwatch(*watch)), StatusIs(Code::kNotFound)) << "already ended";
  EXPECT_EQ(events.size(), seen) << "no event after Unwatch";

  ClientCounters counters = client->counters();
  EXPECT_EQ(counters.sent, counters.answered);
  EXPECT_EQ(counters.timed_out, 0u);
  EXPECT_EQ(counters.late_replies, 0u);
  EXPECT_EQ(counters.dropped_frames, 0u);
  controller.Stop();
}

TEST(StatusCodesClientTest, NotFoundAlreadyExistsInvalidArgument) {
  Controller controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  controller.Create(*client, 1);
  EXPECT_THAT(Get(client->Create(1)), StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(Get(client->Create(5, 99)), StatusIs(Code::kNotFound)) << "parent";
  EXPECT_THAT(Get(client->Exec(99, "k")), StatusIs(Code::kNotFound));
  EXPECT_THAT(Get(client->Exec(99, "k", 1)), StatusIs(Code::kNotFound));
  EXPECT_THAT(Get(client->Ping(99)), StatusIs(Code::kNotFound));
  EXPECT_THAT(Get(client->Remove(99)), StatusIs(Code::kNotFound));
  for (const std::string& key :
       std::vector<std::string>{"bad key", "", "k-1", std::string(65, 'a')}) {
    EXPECT_THAT(Get(client->Exec(1, key)), StatusIs(Code::kInvalidArgument)) << "'" << key << "'";
  }
  EXPECT_THAT(Get(client->Exec(1, std::string(64, 'a'), 1)), IsOk()) << "64 is the longest key";
  EXPECT_THAT(Get(client->Create(-2)), StatusIs(Code::kInvalidArgument)) << "id out of range";
  absl::StatusOr<ControllerStats> stats = Get(client->Stats());
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->dropped_frames, 5u) << "every request that did not validate";
  controller.Stop();
}

TEST(StatusCodesClientTest, CreateOnAHost) {
  Controller controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  absl::StatusOr<CreateResult> unknown = Get(client->Create(1, kControllerId, "nowhere"));
  EXPECT_THAT(unknown, StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(unknown.status().message(), ::testing::HasSubstr("Unknown host 'nowhere'"));
  EXPECT_THAT(Get(client->Create(1, kControllerId, "local")), IsOk());
  controller.Stop();
}

TEST(StatusCodesClientTest, KilledWorkerUnavailableAndDescendantParent) {
  Controller controller({"--orphans=exit"});  // 3 stays under dead 2 (adoption: its own test)
  EventLog events;  // outlives the clients: their I/O threads write to it
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(Get(client->Watch(events.Callback())), IsOk());
  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  pid_t p3 = controller.Create(*client, 3, 2);
  ASSERT_GT(p2, 0);
  ASSERT_TRUE(controller.arbor().SignalWorker(p2, SIGKILL));
  ASSERT_EQ(events.WaitFor(2, EventKind::kLost), p2);
  EXPECT_THAT(Get(client->Exec(2, "k")), StatusIs(Code::kUnavailable));
  EXPECT_THAT(Get(client->Exec(2, "k", 1)), StatusIs(Code::kUnavailable));
  EXPECT_EQ(Get(client->Ping(2)).value_or(true), false) << "a dead node does not answer";
  EXPECT_THAT(Get(client->Create(4, 2)), StatusIs(Code::kUnavailable)) << "parent is dead";
  EXPECT_THAT(Get(client->Create(2, 3)), StatusIs(Code::kFailedPrecondition))
      << "re-create 2 under its own child";
  EXPECT_THAT(Get(client->Create(2, 2)), StatusIs(Code::kFailedPrecondition));
  EXPECT_TRUE(controller.arbor().WorkerExits(p3)) << "the child of a killed node follows it";
  // The rest of the tree still answers.
  EXPECT_EQ(Get(client->Ping(1)).value_or(false), true);
  EXPECT_GT(p1, 0);
  // Removing a dead node purges it.
  EXPECT_THAT(Get(client->Remove(2)), IsOk());
  EXPECT_GE(events.WaitFor(2, EventKind::kRemoved), 0);
  controller.Stop();
}

TEST(StatusCodesClientTest, FrozenWorkerDeadlineExceeded) {
  Controller controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  ASSERT_GT(p1, 0);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  absl::Time sent = absl::Now();
  EXPECT_THAT(Get(client->Exec(1, "k", 5, {.timeout = absl::Milliseconds(200)})),
              StatusIs(Code::kDeadlineExceeded));
  absl::Duration took = absl::Now() - sent;
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Seconds(1)) << "the budget, not the controller's 1 s default";
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  EXPECT_EQ(Get(client->Ping(1)).value_or(false), true);
  absl::StatusOr<ExecResult> loaded = Get(client->Exec(1, "k"));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_FALSE(loaded->found) << "the worker dropped the late save";
  controller.Stop();
}

// What docs/CLIENT_PROTOCOL.md promises for a frozen node: the controller itself
// answers at the budget (DEADLINE_EXCEEDED, ping answered=false), so the
// client's local deadline never fires, and a remove that timed out does not
// hold back later requests naming the node.
TEST(StatusCodesClientTest, ControllerAnswersAtTheBudgetItself) {
  Controller controller;
  ClientOptions patient;
  patient.reply_grace = absl::Seconds(3);
  auto client = controller.Connect(patient);
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  CallOptions short_timeout{.timeout = absl::Milliseconds(200)};
  absl::Time sent = absl::Now();
  EXPECT_THAT(Get(client->Exec(1, "k", short_timeout)), StatusIs(Code::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - sent, absl::Seconds(1));
  EXPECT_THAT(Get(client->Remove(1, short_timeout)), StatusIs(Code::kDeadlineExceeded));
  EXPECT_EQ(Get(client->Ping(1, short_timeout)).value_or(true), false);
  EXPECT_EQ(client->counters().timed_out, 0u) << "every answer came from the controller";
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  EXPECT_EQ(Get(client->Ping(1)).value_or(false), true);
  controller.Stop();
}

TEST(StatusCodesClientTest, TooManyCallsInFlightResourceExhausted) {
  Controller controller({"--max-client-in-flight=2"});
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  CallOptions patient{.timeout = absl::Seconds(10)};
  auto first = client->Exec(1, "k", 1, patient);
  auto second = client->Exec(1, "k", patient);
  EXPECT_THAT(Get(client->Exec(1, "k", patient)), StatusIs(Code::kResourceExhausted));
  EXPECT_FALSE(Ready(first));
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  EXPECT_THAT(Get(std::move(first)), IsOk());
  absl::StatusOr<ExecResult> loaded = Get(std::move(second));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->value, 1) << "answered in order";
  controller.Stop();
}

TEST(WatchClientTest, HeartbeatTransitions) {
  Controller controller;
  EventLog events;  // outlives the clients: their I/O threads write to it
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_THAT(Get(client->Watch(events.Callback())), IsOk());
  pid_t p1 = controller.Create(*client, 1);
  ASSERT_GT(p1, 0);
  EXPECT_EQ(Get(client->SetHeartbeat(100)).value_or(0), 100u);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  EXPECT_GE(events.WaitFor(1, EventKind::kUnavailable), 0);
  absl::StatusOr<std::vector<NodeInfo>> tree = Get(client->Topology());
  ASSERT_THAT(tree, IsOk());
  ASSERT_EQ(tree->size(), 1u);
  EXPECT_EQ((*tree)[0].state, NodeState::kUnavailable);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  EXPECT_GE(events.WaitFor(1, EventKind::kAvailable), 0);
  EXPECT_EQ(Get(client->Ping(1)).value_or(false), true);
  controller.Stop();
}

// A watch confirmed after its local deadline: the client drops its events and
// tells the controller to stop sending them. Each step is ordered by a round
// trip on the same connection (the controller answers a topology request at
// once, after everything it received and sent before).
TEST(WatchClientTest, ALateConfirmationIsUnwatched) {
  TempDir dir;
  std::string endpoint = "ipc://" + dir.path() + "/c";
  ClientOptions no_grace;
  no_grace.reply_grace = absl::ZeroDuration();
  EventLog events;
  auto late = Client::Connect(endpoint, no_grace);
  ASSERT_THAT(late, IsOk());
  // No controller yet: the request waits in the socket, the call times out.
  EXPECT_THAT(Get((*late)->Watch(events.Callback(), {.timeout = absl::Milliseconds(1)})),
              StatusIs(Code::kDeadlineExceeded));

  ArborProcess arbor({"--listen=" + endpoint, "--no-stdin"});
  auto other = Client::Connect(endpoint);
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(Get((*late)->Topology()), IsOk());
  EXPECT_EQ((*late)->counters().late_replies, 1u) << "the confirmation";
  absl::StatusOr<CreateResult> created = Get((*other)->Create(1));
  ASSERT_THAT(created, IsOk());
  arbor.SignalWorker(static_cast<pid_t>(created->pid), 0);
  ASSERT_THAT(Get((*late)->Topology()), IsOk());  // the CREATED event came first
  EXPECT_EQ((*late)->counters().late_replies, 2u) << "the event, dropped";
  ASSERT_THAT(Get((*late)->Topology()), IsOk());  // the unwatch went first
  absl::StatusOr<CreateResult> second = Get((*other)->Create(2));
  ASSERT_THAT(second, IsOk());
  arbor.SignalWorker(static_cast<pid_t>(second->pid), 0);
  ASSERT_THAT(Get((*late)->Topology()), IsOk());
  EXPECT_EQ((*late)->counters().late_replies, 2u) << "no event after the unwatch";
  EXPECT_EQ(events.size(), 0u);
  EXPECT_EQ((*late)->counters().answered, 5u) << "4 topology requests and the unwatch";
  arbor.Kill(SIGTERM);
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

TEST(TcpClientTest, KernelChosenPortFromTheEndpointFile) {
  TempDir dir;
  std::string file = dir.path() + "/endpoint";
  ArborProcess arbor({"--listen=tcp://127.0.0.1:*", "--no-stdin", "--endpoint-file=" + file});
  std::string endpoint = WaitForFileLine(dir.path(), file, Within());
  ASSERT_TRUE(endpoint.starts_with("tcp://127.0.0.1:")) << "'" << endpoint << "'";
  EXPECT_FALSE(endpoint.ends_with(":*"));
  auto client = Client::Connect(endpoint);
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<CreateResult> created = Get((*client)->Create(7));
  ASSERT_THAT(created, IsOk());
  arbor.SignalWorker(static_cast<pid_t>(created->pid), 0);
  EXPECT_THAT(Get((*client)->Exec(7, "k", 3)), IsOk());
  EXPECT_EQ(Get((*client)->Exec(7, "k"))->value, 3);
  arbor.Kill(SIGTERM);
  EXPECT_EQ(arbor.WaitExit(), 0);
  EXPECT_TRUE(arbor.NoWorkerLeft());
}

// No controller at all: the client's own deadline, Close() and bad endpoints.
TEST(LocalClientTest, NoControllerLocalDeadlineAndCancel) {
  TempDir dir;
  EXPECT_THAT(Client::Connect("bogus://x"), StatusIs(Code::kInvalidArgument));
  ClientOptions negative;
  negative.reply_grace = absl::Milliseconds(-1);
  EXPECT_THAT(Client::Connect("ipc://" + dir.path() + "/c", negative),
              StatusIs(Code::kInvalidArgument));
  ClientOptions quick;
  quick.controller_call_timeout = absl::Milliseconds(50);
  quick.reply_grace = absl::Milliseconds(50);
  auto client = Client::Connect("ipc://" + dir.path() + "/nobody", quick);
  ASSERT_THAT(client, IsOk());
  absl::Time start = absl::Now();
  EXPECT_THAT(Get((*client)->Exec(1, "k", CallOptions{.timeout = absl::Milliseconds(100)})),
              StatusIs(Code::kDeadlineExceeded));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150)) << "timeout + grace";
  EXPECT_THAT(Get((*client)->Topology()), StatusIs(Code::kDeadlineExceeded))
      << "the controller-call default";
  EXPECT_EQ((*client)->counters().timed_out, 2u);

  std::vector<std::future<absl::StatusOr<bool>>> pings;
  for (int i = 0; i < 100; ++i) pings.push_back((*client)->Ping(1, {.timeout = absl::Hours(1)}));
  (*client)->Close();
  for (auto& f : pings) {
    ASSERT_TRUE(Ready(f));
    EXPECT_THAT(f.get(), StatusIs(Code::kCancelled));
  }
  client->reset();  // the destructor after Close is a no-op
}

TEST(LocalClientTest, DestructorCancelsAndJoins) {
  TempDir dir;
  auto client = Client::Connect("ipc://" + dir.path() + "/nobody");
  ASSERT_THAT(client, IsOk());
  std::promise<absl::Status> done;
  (*client)->Remove(3, [&](absl::Status s) { done.set_value(s); }, {.timeout = absl::Hours(1)});
  auto watched = (*client)->Watch([](const NodeEvent&) {});
  client->reset();
  auto removed = done.get_future();
  ASSERT_TRUE(Ready(removed));
  EXPECT_THAT(removed.get(), StatusIs(Code::kCancelled));
  ASSERT_TRUE(Ready(watched));
  EXPECT_THAT(watched.get(), StatusIs(Code::kCancelled));
}

}  // namespace
}  // namespace arbor::client

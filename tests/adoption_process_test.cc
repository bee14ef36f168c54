// Orphan adoption (--orphans=adopt, the default) against the real binaries:
// after kill -9 of a node, its children re-attach to their nearest live
// ancestor with their data and their own subtrees; a frozen ancestor is skipped
// after --adopt-timeout-ms; the topology and the watch stream follow. Every wait
// is on a future or a watch event with a deadline; nothing sleeps.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "harness/processes.h"

namespace arbor::client {
namespace {

using ::arbor::testing::EventLog;
using ::arbor::testing::Get;
using ::arbor::testing::IsOk;
using ::arbor::testing::Within;
using Controller = ::arbor::testing::ClientController;
using Code = absl::StatusCode;

// How long a subtree may take to answer again after its parent's kill -9: the
// parent counts as gone after 3 refused reconnects 100 ms apart, then one round
// trip to the ancestor. Documented in README ("Orphans").
constexpr absl::Duration kAdoptBound = absl::Seconds(3);

// id -> parent, from the controller's topology.
std::map<NodeId, NodeId> Parents(Client& client) {
  std::map<NodeId, NodeId> parents;
  absl::StatusOr<std::vector<NodeInfo>> rows = Get(client.Topology());
  EXPECT_THAT(rows, IsOk());
  if (rows.ok()) {
    for (const NodeInfo& row : *rows) parents[row.id] = row.parent;
  }
  return parents;
}

void ExpectValue(Client& client, NodeId id, int64_t value) {
  absl::StatusOr<ExecResult> loaded = Get(client.Exec(id, "k"));
  ASSERT_THAT(loaded, IsOk()) << "node " << id;
  EXPECT_TRUE(loaded->found) << "node " << id;
  EXPECT_EQ(loaded->value, value) << "node " << id;
}

// A controller with one client watching its events. Members in this order: the
// client (whose I/O thread writes to the log) goes first, the controller last.
struct Watched {
  explicit Watched(std::vector<std::string> flags = {})
      : controller(std::move(flags)), client(controller.Connect()) {
    EXPECT_NE(client, nullptr);
    if (client != nullptr) {
      EXPECT_THAT(Get(client->Watch(events.Callback())), IsOk());
    }
  }
  // The chain 1 - 2 - ... - n under the controller; pids by id.
  std::map<NodeId, pid_t> Chain(int n) {
    std::map<NodeId, pid_t> pids;
    for (NodeId id = 1; id <= n; ++id) {
      pids[id] = controller.Create(*client, id, id == 1 ? kControllerId : id - 1);
      EXPECT_GT(pids[id], 0) << "create " << id;
    }
    return pids;
  }

  Controller controller;
  EventLog events;
  std::unique_ptr<Client> client;
};

TEST(AdoptionProcessTest, TheSubtreeOfAKilledMiddleNodeAnswersAgainWithItsData) {
  Watched watched;
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  // 1 - 2 - 3 - 4 - 5, and 6 under 3: node 2 has a 3-level subtree.
  std::map<NodeId, pid_t> pids;
  for (auto [id, parent] : std::vector<std::pair<NodeId, NodeId>>{
           {1, kControllerId}, {2, 1}, {3, 2}, {4, 3}, {5, 4}, {6, 3}}) {
    pids[id] = controller.Create(*client, id, parent);
    ASSERT_GT(pids[id], 0);
    ASSERT_THAT(Get(client->Exec(id, "k", id * 10)), IsOk());
  }
  absl::Time killed = absl::Now();
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGKILL));
  // Until it is re-attached a descendant answers unavailable, never wrongly.
  absl::StatusOr<ExecResult> meanwhile = Get(client->Exec(5, "k"));
  if (meanwhile.ok()) {
    EXPECT_EQ(meanwhile->value, 50);
  } else {
    EXPECT_EQ(meanwhile.status().code(), Code::kUnavailable) << meanwhile.status();
  }
  ASSERT_EQ(events.WaitFor(2, EventKind::kLost), pids[2]);
  std::optional<NodeEvent> adopted = events.WaitForEvent(3, EventKind::kAdopted, killed + kAdoptBound);
  ASSERT_TRUE(adopted.has_value()) << "node 3 not adopted within " << kAdoptBound;
  EXPECT_EQ(adopted->parent, 1);
  EXPECT_EQ(adopted->pid, pids[3]);
  std::cerr << "node 3 re-attached " << absl::Now() - killed << " after the kill\n";
  // Only the orphan itself moved: its subtree came along.
  for (NodeId id : {3, 4, 5, 6}) ExpectValue(*client, id, id * 10);
  std::map<NodeId, NodeId> parents = Parents(*client);
  EXPECT_EQ(parents[3], 1);
  EXPECT_EQ(parents[4], 3);
  EXPECT_EQ(parents[5], 4);
  EXPECT_EQ(parents[6], 3);
  for (NodeId id : {3, 4, 5, 6}) {
    EXPECT_TRUE(testing::ProcessRunning(pids[id])) << "node " << id << " kept its process";
    EXPECT_EQ(Get(client->Ping(id)).value_or(false), true) << "node " << id;
  }
  EXPECT_FALSE(events.WaitForEvent(4, EventKind::kAdopted, absl::Now()).has_value());
  // New work lands where it should: a save, and a child created under the orphan.
  ASSERT_THAT(Get(client->Exec(5, "k", 55)), IsOk());
  ExpectValue(*client, 5, 55);
  ASSERT_GT(controller.Create(*client, 7, 5), 0);
  // The grandchildren learnt their new ancestors: kill 3 and 4 re-attaches to 1.
  killed = absl::Now();
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[3], SIGKILL));
  adopted = events.WaitForEvent(4, EventKind::kAdopted, killed + kAdoptBound);
  ASSERT_TRUE(adopted.has_value()) << "node 4 not adopted within " << kAdoptBound;
  EXPECT_EQ(adopted->parent, 1);
  ASSERT_TRUE(events.WaitForEvent(6, EventKind::kAdopted, killed + kAdoptBound).has_value());
  ExpectValue(*client, 4, 40);
  ExpectValue(*client, 5, 55);
  ExpectValue(*client, 6, 60);
  controller.Stop();
}

TEST(AdoptionProcessTest, AFrozenAncestorIsSkippedAfterTheAdoptTimeout) {
  Watched watched({"--adopt-timeout-ms=300"});
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  std::map<NodeId, pid_t> pids = watched.Chain(4);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the chain was not built";
  ASSERT_THAT(Get(client->Exec(4, "k", 4)), IsOk());
  // 2 accepts connections (its kernel does) but never answers.
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGSTOP));
  ASSERT_TRUE(testing::WaitAllThreadsStopped(pids[2], Within()));
  absl::Time killed = absl::Now();
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[3], SIGKILL));
  std::optional<NodeEvent> adopted = events.WaitForEvent(4, EventKind::kAdopted, killed + kAdoptBound);
  ASSERT_TRUE(adopted.has_value()) << "node 4 not adopted within " << kAdoptBound;
  EXPECT_EQ(adopted->parent, 1) << "past the frozen grandparent";
  EXPECT_GE(absl::Now() - killed, absl::Milliseconds(300)) << "2 had its adopt timeout";
  ExpectValue(*client, 4, 4);
  // 2 wakes up (the Hello queued for it died with 4's old connection): 4 stays.
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGCONT));
  EXPECT_EQ(Get(client->Ping(2)).value_or(false), true);
  EXPECT_EQ(Get(client->Ping(2)).value_or(false), true);
  EXPECT_EQ(Parents(*client)[4], 1);
  ExpectValue(*client, 4, 4);
  controller.Stop();
}

TEST(AdoptionProcessTest, OrphansFindALiveAncestorWhenSeveralDieTogether) {
  Watched watched;
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  // 1 - 2 - 3 - 4 - 5 - 6: 4 skips dead 3 and 2; 6 asks 4 while 4 is itself
  // re-attaching (its Hello can be lost there: it says it again).
  std::map<NodeId, pid_t> pids = watched.Chain(6);
  for (NodeId id = 1; id <= 6; ++id) ASSERT_THAT(Get(client->Exec(id, "k", id * 10)), IsOk());
  absl::Time killed = absl::Now();
  for (NodeId id : {2, 3, 5}) ASSERT_TRUE(controller.arbor().SignalWorker(pids[id], SIGKILL));
  for (NodeId id : {4, 6}) {
    ASSERT_TRUE(events.WaitForEvent(id, EventKind::kAdopted, killed + 2 * kAdoptBound).has_value())
        << "node " << id << " not adopted within " << 2 * kAdoptBound;
    ExpectValue(*client, id, id * 10);
  }
  std::cerr << "both re-attached " << absl::Now() - killed << " after the kills\n";
  std::map<NodeId, NodeId> parents = Parents(*client);
  EXPECT_EQ(parents[4], 1);
  EXPECT_TRUE(parents[6] == 4 || parents[6] == 1 || parents[6] == kControllerId) << parents[6];
  controller.Stop();
}

TEST(AdoptionProcessTest, ALinkVerdictMadeWhileOrphanedStillReachesTheController) {
  Watched watched;
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  std::map<NodeId, pid_t> pids = watched.Chain(4);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the chain was not built";
  ASSERT_THAT(Get(client->SetHeartbeat(100)), IsOk());
  // 3 judges 4 silent (after 4 periods) about when it judges 2 gone: its
  // verdict must not be lost with the old link.
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[4], SIGSTOP));
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGKILL));
  EXPECT_TRUE(events.WaitForEvent(3, EventKind::kAdopted, Within()).has_value());
  EXPECT_TRUE(events.WaitForEvent(4, EventKind::kUnavailable, Within()).has_value());
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[4], SIGCONT));
  EXPECT_TRUE(events.WaitForEvent(4, EventKind::kAvailable, Within()).has_value());
  EXPECT_THAT(Get(client->Exec(4, "k", 4)), IsOk());
  controller.Stop();
}

TEST(AdoptionProcessTest, AHelloForwardedLateByAThawedAncestorDoesNotMoveTheNodeBack) {
  Watched watched({"--adopt-timeout-ms=300"});
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  // 1 - 2 - 3 - 4 - 5. With 2 frozen and 4 killed, 5 asks 3: 3 is alive and
  // passes its Hellos up to 2, which holds them. 5 gives up on 3, then on 2,
  // and is taken by 1. When 2 thaws, the controller gets those old Hellos
  // (parent 3) and must keep 5 under 1.
  std::map<NodeId, pid_t> pids = watched.Chain(5);
  ASSERT_THAT(Get(client->Exec(5, "k", 5)), IsOk());
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGSTOP));
  ASSERT_TRUE(testing::WaitAllThreadsStopped(pids[2], Within()));
  absl::Time killed = absl::Now();
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[4], SIGKILL));
  std::optional<NodeEvent> adopted = events.WaitForEvent(5, EventKind::kAdopted, killed + kAdoptBound);
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->parent, 1);
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[2], SIGCONT));
  // 2 answers after it passed up what it held for 3.
  EXPECT_EQ(Get(client->Ping(3)).value_or(false), true);
  EXPECT_EQ(Get(client->Ping(2)).value_or(false), true);
  EXPECT_EQ(Parents(*client)[5], 1);
  ExpectValue(*client, 5, 5);
  controller.Stop();
}

TEST(AdoptionProcessTest, ALinkThatCameBackWhileAnAncestorWasOrphanedIsReportedUp) {
  Watched watched;
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  // 1 - 2 - 3 - 4: 4 frozen and reported unavailable; then 4 thaws as 1 dies.
  // 3's "4 is up" goes to 2 while 2 is orphaned: it must still arrive.
  std::map<NodeId, pid_t> pids = watched.Chain(4);
  ASSERT_THAT(Get(client->SetHeartbeat(200)), IsOk());
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[4], SIGSTOP));
  ASSERT_TRUE(events.WaitForEvent(4, EventKind::kUnavailable, Within()).has_value());
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[4], SIGCONT));
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[1], SIGKILL));
  ASSERT_TRUE(events.WaitForEvent(2, EventKind::kAdopted, Within()).has_value());
  EXPECT_TRUE(events.WaitForEvent(4, EventKind::kAvailable, Within()).has_value());
  EXPECT_THAT(Get(client->Exec(4, "k", 4)), IsOk());
  controller.Stop();
}

TEST(AdoptionProcessTest, TheControllerAdoptsTheChildrenOfAKilledRoot) {
  Watched watched;
  auto& [controller, events, client] = watched;
  ASSERT_NE(client, nullptr);
  std::map<NodeId, pid_t> pids = watched.Chain(3);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the chain was not built";
  ASSERT_THAT(Get(client->Exec(2, "k", 2)), IsOk());
  ASSERT_THAT(Get(client->Exec(3, "k", 3)), IsOk());
  absl::Time killed = absl::Now();
  ASSERT_TRUE(controller.arbor().SignalWorker(pids[1], SIGKILL));
  std::optional<NodeEvent> adopted = events.WaitForEvent(2, EventKind::kAdopted, killed + kAdoptBound);
  ASSERT_TRUE(adopted.has_value());
  EXPECT_EQ(adopted->parent, kControllerId);
  ExpectValue(*client, 2, 2);
  ExpectValue(*client, 3, 3);
  EXPECT_EQ(Parents(*client)[2], kControllerId);
  // The id of the dead root can be created again; 2 stays where it is.
  ASSERT_GT(controller.Create(*client, 1), 0);
  EXPECT_EQ(Parents(*client)[2], kControllerId);
  controller.Stop();
}

TEST(AdoptionProcessTest, WithOrphansExitTheChildrenOfAKilledNodeExit) {
  Controller controller({"--orphans=exit"});
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  pid_t p1 = controller.Create(*client, 1);
  pid_t p2 = controller.Create(*client, 2, 1);
  ASSERT_TRUE(p1 > 0 && p2 > 0);
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGKILL));
  EXPECT_TRUE(controller.arbor().WorkerExits(p2));
  EXPECT_EQ(Get(client->Exec(2, "k")).status().code(), Code::kUnavailable);
  controller.Stop();
}

}  // namespace
}  // namespace arbor::client

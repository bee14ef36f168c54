// arbor::client::Client from many threads against a real controller: 1000+
// concurrent calls, Close() with calls in flight, every callback form, and the
// lock-step round trip. Every wait is on a future, a latch or an event with a
// deadline; nothing sleeps.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "status_matchers.h"

namespace arbor::client {
namespace {

using ::arbor::testing::EventLog;
using ::arbor::testing::Get;
using ::arbor::testing::IsOk;
using ::arbor::testing::Ready;
using ::arbor::testing::StatusIs;
using Controller = ::arbor::testing::ClientController;
using Code = absl::StatusCode;

TEST(ConcurrencyClientTest, ThousandCallsFromEightThreads) {
  Controller controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  for (NodeId id : {1, 2, 3, 4}) controller.Create(*client, id, id == 1 ? kControllerId : 1);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 125;
  std::vector<int> failures(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();  // all threads call at once
      auto key = [t](int i) { return absl::StrCat("t", t, "k", i); };
      auto node = [](int i) { return NodeId{1 + i % 4}; };
      if (t % 2 == 0) {
        // Futures: all saves in flight, then all loads.
        std::vector<std::future<absl::StatusOr<ExecResult>>> saves, loads;
        for (int i = 0; i < kPerThread; ++i)
          saves.push_back(client->Exec(node(i), key(i), t * 1000 + i));
        for (auto& f : saves) {
          auto r = Get(std::move(f));
          if (!r.ok() || !r->found) ++failures[t];
        }
        for (int i = 0; i < kPerThread; ++i) loads.push_back(client->Exec(node(i), key(i)));
        for (int i = 0; i < kPerThread; ++i) {
          auto r = Get(std::move(loads[i]));
          if (!r.ok() || !r->found || r->value != t * 1000 + i) ++failures[t];
        }
      } else {
        // Callbacks: count down as they resolve (on the I/O thread).
        std::mutex mutex;
        int bad = 0;
        std::latch saved(kPerThread);
        for (int i = 0; i < kPerThread; ++i) {
          client->Exec(node(i), key(i), t * 1000 + i, [&](absl::StatusOr<ExecResult> r) {
            if (!r.ok() || !r->found) {
              std::lock_guard<std::mutex> lock(mutex);
              ++bad;
            }
            saved.count_down();
          });
        }
        saved.wait();
        std::latch loaded(kPerThread);
        for (int i = 0; i < kPerThread; ++i) {
          client->Exec(node(i), key(i), [&, i](absl::StatusOr<ExecResult> r) {
            if (!r.ok() || r->value != t * 1000 + i) {
              std::lock_guard<std::mutex> lock(mutex);
              ++bad;
            }
            loaded.count_down();
          });
        }
        loaded.wait();
        failures[t] = bad;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  ClientCounters counters = client->counters();
  EXPECT_EQ(counters.sent, counters.answered);
  EXPECT_EQ(counters.timed_out + counters.late_replies + counters.dropped_frames, 0u);
  EXPECT_GE(counters.answered, 2u * kThreads * kPerThread);
  controller.Stop();
}

TEST(CloseClientTest, CallsInFlightAreCancelledWhileAnotherClientWorks) {
  Controller controller;
  EventLog events;  // outlives the clients: their I/O threads write to it
  auto worker = controller.Connect();
  auto closing = controller.Connect();
  ASSERT_NE(worker, nullptr);
  ASSERT_NE(closing, nullptr);
  pid_t p1 = controller.Create(*worker, 1);
  controller.Create(*worker, 2);
  controller.Create(*worker, 3, 1);  // behind the node about to freeze
  ASSERT_THAT(Get(closing->Watch(events.Callback())), IsOk());
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGSTOP));
  CallOptions patient{.timeout = absl::Seconds(30)};
  std::vector<std::future<absl::StatusOr<ExecResult>>> in_flight;
  for (int i = 0; i < 20; ++i) in_flight.push_back(closing->Exec(1, "k", i, patient));
  std::promise<absl::Status> removed;
  closing->Remove(
      3, [&](absl::Status s) { removed.set_value(s); }, patient);
  // Answered by the controller at once: every call above has reached it.
  ASSERT_THAT(Get(closing->Topology()), IsOk());
  for (auto& f : in_flight) EXPECT_FALSE(Ready(f));

  closing->Close();
  // Close() returned: everything is resolved, without waiting.
  for (auto& f : in_flight) {
    ASSERT_TRUE(Ready(f));
    EXPECT_THAT(f.get(), StatusIs(Code::kCancelled));
  }
  auto remove_status = removed.get_future();
  ASSERT_TRUE(Ready(remove_status));
  EXPECT_THAT(remove_status.get(), StatusIs(Code::kCancelled));
  auto after = closing->Ping(2);
  ASSERT_TRUE(Ready(after)) << "a call after Close resolves at once";
  EXPECT_THAT(after.get(), StatusIs(Code::kCancelled));
  closing->Close();  // idempotent
  EXPECT_EQ(closing->counters().cancelled, 22u);

  // The other client, on the same controller, carries on.
  EXPECT_EQ(Get(worker->Ping(2)).value_or(false), true);
  EXPECT_THAT(Get(worker->Exec(2, "k", 7)), IsOk());
  ASSERT_TRUE(controller.arbor().SignalWorker(p1, SIGCONT));
  // The cancelled saves still ran on node 1 (cancelling is the client's); the
  // controller drops their answers for the vanished client.
  EXPECT_THAT(Get(worker->Exec(1, "k")), IsOk());
  absl::StatusOr<std::vector<NodeInfo>> tree = Get(worker->Topology());
  ASSERT_THAT(tree, IsOk());
  EXPECT_GE(tree->size(), 1u);
  controller.Stop();
}

TEST(CallbackClientTest, EveryCallbackFormRunsOnTheIoThread) {
  Controller controller;
  EventLog events;  // outlives the clients: their I/O threads write to it
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  auto note = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    threads.push_back(std::this_thread::get_id());
  };
  // Each form in turn, each waited for before the next.
  std::promise<absl::StatusOr<CreateResult>> created;
  client->Create(1, kControllerId, [&](absl::StatusOr<CreateResult> r) {
    note();
    created.set_value(r);
  });
  absl::StatusOr<CreateResult> c = Get(created.get_future());
  ASSERT_THAT(c, IsOk());
  controller.arbor().SignalWorker(static_cast<pid_t>(c->pid), 0);

  std::promise<absl::StatusOr<ExecResult>> saved, loaded;
  client->Exec(1, "k", 9, [&](absl::StatusOr<ExecResult> r) {
    note();
    saved.set_value(r);
  });
  EXPECT_THAT(Get(saved.get_future()), IsOk());
  client->Exec(1, "k", [&](absl::StatusOr<ExecResult> r) {
    note();
    loaded.set_value(r);
  });
  EXPECT_EQ(Get(loaded.get_future())->value, 9);

  std::promise<absl::StatusOr<bool>> pinged;
  client->Ping(1, [&](absl::StatusOr<bool> r) {
    note();
    pinged.set_value(r);
  });
  EXPECT_EQ(Get(pinged.get_future()).value_or(false), true);

  std::promise<absl::StatusOr<uint32_t>> beat;
  client->SetHeartbeat(0, [&](absl::StatusOr<uint32_t> r) {
    note();
    beat.set_value(r);
  });
  EXPECT_THAT(Get(beat.get_future()), IsOk());

  std::promise<absl::StatusOr<std::vector<NodeInfo>>> tree;
  client->Topology([&](absl::StatusOr<std::vector<NodeInfo>> r) {
    note();
    tree.set_value(r);
  });
  EXPECT_EQ(Get(tree.get_future())->size(), 1u);

  std::promise<absl::StatusOr<ControllerStats>> stats;
  client->Stats([&](absl::StatusOr<ControllerStats> r) {
    note();
    stats.set_value(r);
  });
  EXPECT_EQ(Get(stats.get_future())->nodes, 1u);

  std::promise<absl::StatusOr<WatchId>> watched;
  client->Watch(events.Callback(), [&](absl::StatusOr<WatchId> r) {
    note();
    watched.set_value(r);
  });
  absl::StatusOr<WatchId> watch = Get(watched.get_future());
  ASSERT_THAT(watch, IsOk());

  std::promise<absl::Status> removed, unwatched;
  client->Remove(1, [&](absl::Status s) {
    note();
    removed.set_value(s);
  });
  EXPECT_THAT(Get(removed.get_future()), IsOk());
  EXPECT_GE(events.WaitFor(1, EventKind::kRemoved), 0);
  client->Unwatch(*watch, [&](absl::Status s) {
    note();
    unwatched.set_value(s);
  });
  EXPECT_THAT(Get(unwatched.get_future()), IsOk());

  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(threads.size(), 10u);
  for (std::thread::id id : threads) {
    EXPECT_NE(id, caller);
    EXPECT_EQ(id, threads[0]) << "one I/O thread";
  }
  controller.Stop();
}

TEST(RoundTripClientTest, MedianLockStepExecOverIpc) {
  Controller controller;
  auto client = controller.Connect();
  ASSERT_NE(client, nullptr);
  controller.Create(*client, 1);
  ASSERT_THAT(Get(client->Exec(1, "k", 1)), IsOk());
  constexpr int kCalls = 1000;
  std::vector<absl::Duration> took;
  took.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<ExecResult> r = Get(client->Exec(1, "k"));
    took.push_back(absl::Now() - start);
    ASSERT_THAT(r, IsOk());
  }
  std::sort(took.begin(), took.end());
  absl::Duration median = took[kCalls / 2];
  absl::Duration p99 = took[kCalls * 99 / 100];
  std::printf("[ client   ] lock-step Exec over ipc, %d calls: median %s, p99 %s, max %s\n", kCalls,
              absl::FormatDuration(median).c_str(), absl::FormatDuration(p99).c_str(),
              absl::FormatDuration(took.back()).c_str());
  ::testing::Test::RecordProperty("median_us", static_cast<int>(absl::ToInt64Microseconds(median)));
  EXPECT_LT(median, absl::Milliseconds(50));
  controller.Stop();
}

}  // namespace
}  // namespace arbor::client

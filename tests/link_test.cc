// link::Receiver and link::BatchedSender over real ZeroMQ sockets (inproc): what
// is taken, what is dropped and why, what the budget and the stop predicate
// cut, how batches are framed and flushed, and which calls a failed send fails.
#include "link/receiver.h"
#include "link/sender.h"

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "transport/event_loop.h"
#include "wire/batch.h"
#include "wire/codec.h"

namespace arbor::link {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Exec(uint64_t correlation_id) {
  v1::Envelope e;
  e.set_correlation_id(correlation_id);
  e.set_target(7);
  e.mutable_exec_request()->set_key("k");
  return wire::Encode(e);
}

std::string BatchOf(const std::vector<std::string>& members) {
  wire::BatchWriter writer;
  for (const std::string& m : members) writer.Add(m);
  return std::string(writer.Frame());
}

std::string NestedBatch() {
  v1::Envelope e;
  e.mutable_batch()->add_envelopes(Exec(8));
  return wire::Encode(e);
}

// A ROUTER bound on inproc and the DEALERs connected to it.
class Link {
 public:
  Link() : endpoint_(absl::StrCat("inproc://link-test-", ++count_)) {
    router_.emplace(*transport::Socket::Router(context_, transport::SocketOptions()));
    EXPECT_THAT(router_->Bind(endpoint_), IsOk());
  }
  ~Link() {
    for (transport::Socket& d : dealers_) d.SetLinger(0);
    router_->SetLinger(0);
  }

  transport::Socket& Dealer(const std::string& routing_id) {
    dealers_.push_back(
        *transport::Socket::Dealer(context_, transport::SocketOptions(), routing_id));
    EXPECT_THAT(dealers_.back().Connect(endpoint_), IsOk());
    return dealers_.back();
  }
  transport::Socket& router() { return *router_; }

 private:
  static inline int count_ = 0;
  transport::Context context_;
  std::string endpoint_;
  std::optional<transport::Socket> router_;
  std::deque<transport::Socket> dealers_;
};

absl::Status SendFrames(transport::Socket& socket, const std::vector<std::string>& frames) {
  std::vector<std::string_view> views(frames.begin(), frames.end());
  return socket.Send(views);
}

// Waits (at most 5 s) until `socket` is readable: every message sent to it
// before is then waiting, as inproc delivers in order and at once.
bool AwaitReadable(transport::Socket& socket) {
  transport::EventLoop loop;
  bool readable = false;
  loop.AddSocket(socket, [&] {
    readable = true;
    loop.Stop();
  });
  loop.ScheduleAfter(absl::Seconds(5), [&] { loop.Stop(); });
  loop.Run();
  loop.RemoveSocket(socket);
  return readable;
}

struct Drop {
  NodeId from;
  std::string why;
};

// What one Drain saw.
struct Drained {
  int taken = 0;
  std::vector<std::pair<NodeId, uint64_t>> envelopes;  // from, correlation id
  std::vector<Drop> drops;
};

Drained DrainOnce(Receiver& receiver, transport::Socket& socket, PeerShape shape, int budget,
                  int stop_after = -1) {
  Drained out;
  out.taken = receiver.Drain(
      socket, shape, budget,
      [&](NodeId from, v1::Envelope& envelope, std::string_view bytes) {
        EXPECT_THAT(wire::Decode(bytes), IsOk());
        out.envelopes.push_back({from, envelope.correlation_id()});
      },
      [&](NodeId from, const absl::Status& why) {
        EXPECT_FALSE(why.ok());
        out.drops.push_back({from, std::string(why.message())});
      },
      [&] { return stop_after >= 0 && static_cast<int>(out.envelopes.size()) >= stop_after; });
  return out;
}

// ---- Receiver, ROUTER side: messages from one DEALER ----

struct RouterCase {
  std::string name;
  std::string routing_id;
  std::vector<std::vector<std::string>> messages;  // as the DEALER sends them
  int budget;
  int taken;
  std::vector<std::pair<NodeId, uint64_t>> envelopes;
  std::vector<std::pair<NodeId, std::string>> drops;  // from, part of the reason
};

std::vector<RouterCase> RouterCases() {
  return {
      {"one envelope", "5", {{Exec(1)}}, 256, 1, {{5, 1}}, {}},
      {"a batch, in order", "5", {{BatchOf({Exec(1), Exec(2), Exec(3)})}}, 256, 3,
       {{5, 1}, {5, 2}, {5, 3}}, {}},
      {"wrong frame count", "5", {{Exec(1), Exec(2)}, {Exec(3)}}, 256, 2, {{5, 3}},
       {{kOnlyPeer, "expected 2 frames"}}},
      {"non-numeric routing id", "abc", {{Exec(1)}}, 256, 1, {}, {{kOnlyPeer, "routing id"}}},
      {"negative routing id", "-1", {{Exec(1)}}, 256, 1, {}, {{kOnlyPeer, "routing id"}}},
      {"routing id past the id range", "2147483648", {{Exec(1)}}, 256, 1, {},
       {{kOnlyPeer, "routing id"}}},
      {"undecodable bytes", "5", {{"\xff\xff\xff"}, {Exec(2)}}, 256, 2, {{5, 2}}, {{5, ""}}},
      {"batch with bad members", "9",
       {{BatchOf({Exec(1), "\xff\xff", NestedBatch(), Exec(4)})}}, 256, 4, {{9, 1}, {9, 4}},
       {{9, ""}, {9, "nested batch"}}},
      // A dropped message takes 1, a batch all its members; the budget is
      // checked before each message, so a batch may overshoot it.
      {"budget: drops count 1, batches their size", "5",
       {{Exec(1), Exec(1)}, {BatchOf({Exec(2), Exec(3), Exec(4)})}, {Exec(5)}}, 4, 4,
       {{5, 2}, {5, 3}, {5, 4}}, {{kOnlyPeer, "expected 2 frames"}}},
      {"budget: a batch is taken whole", "5", {{BatchOf({Exec(1), Exec(2), Exec(3)})}, {Exec(4)}},
       2, 3, {{5, 1}, {5, 2}, {5, 3}}, {}},
  };
}

TEST(ReceiverTest, RouterTable) {
  for (const RouterCase& c : RouterCases()) {
    SCOPED_TRACE(c.name);
    Link link;
    transport::Socket& dealer = link.Dealer(c.routing_id);
    for (const std::vector<std::string>& message : c.messages) {
      ASSERT_THAT(SendFrames(dealer, message), IsOk());
    }
    ASSERT_TRUE(AwaitReadable(link.router()));
    Receiver receiver;
    Drained got = DrainOnce(receiver, link.router(), PeerShape::kRouter, c.budget);
    EXPECT_EQ(got.taken, c.taken);
    EXPECT_EQ(got.envelopes, c.envelopes);
    ASSERT_EQ(got.drops.size(), c.drops.size());
    for (size_t i = 0; i < c.drops.size(); ++i) {
      EXPECT_EQ(got.drops[i].from, c.drops[i].first);
      EXPECT_THAT(got.drops[i].why, HasSubstr(c.drops[i].second));
    }
  }
}

TEST(ReceiverTest, WhatTheBudgetLeftIsReadNextTime) {
  Link link;
  transport::Socket& dealer = link.Dealer("5");
  for (uint64_t i = 1; i <= 3; ++i) ASSERT_THAT(dealer.Send(Exec(i)), IsOk());
  ASSERT_TRUE(AwaitReadable(link.router()));
  Receiver receiver;
  EXPECT_EQ(DrainOnce(receiver, link.router(), PeerShape::kRouter, 2).taken, 2);
  Drained rest = DrainOnce(receiver, link.router(), PeerShape::kRouter, 2);
  EXPECT_EQ(rest.taken, 1);
  EXPECT_THAT(rest.envelopes, ElementsAre(std::pair<NodeId, uint64_t>{5, 3}));
  EXPECT_EQ(DrainOnce(receiver, link.router(), PeerShape::kRouter, 2).taken, 0);  // none waiting
}

TEST(ReceiverTest, StopEndsTheDrainInsideABatch) {
  Link link;
  transport::Socket& dealer = link.Dealer("5");
  ASSERT_THAT(dealer.Send(BatchOf({Exec(1), Exec(2), Exec(3), Exec(4)})), IsOk());
  ASSERT_THAT(dealer.Send(Exec(5)), IsOk());
  ASSERT_TRUE(AwaitReadable(link.router()));
  Receiver receiver;
  Drained got = DrainOnce(receiver, link.router(), PeerShape::kRouter, 256, /*stop_after=*/2);
  EXPECT_EQ(got.taken, 2);  // the batch's other members are not taken
  EXPECT_EQ(got.envelopes.size(), 2u);
  // Stopped before the next message: it is still waiting.
  Drained rest = DrainOnce(receiver, link.router(), PeerShape::kRouter, 256);
  EXPECT_THAT(rest.envelopes, ElementsAre(std::pair<NodeId, uint64_t>{5, 5}));
}

TEST(ReceiverTest, StopBeforeAnythingReadsNothing) {
  Link link;
  ASSERT_THAT(link.Dealer("5").Send(Exec(1)), IsOk());
  ASSERT_TRUE(AwaitReadable(link.router()));
  Receiver receiver;
  EXPECT_EQ(DrainOnce(receiver, link.router(), PeerShape::kRouter, 256, /*stop_after=*/0).taken,
            0);
  EXPECT_EQ(DrainOnce(receiver, link.router(), PeerShape::kRouter, 256).taken, 1);
}

// ---- Receiver, DEALER side: messages from the ROUTER ----

TEST(ReceiverTest, DealerTakesOneFrameMessagesFromItsOnlyPeer) {
  Link link;
  transport::Socket& dealer = link.Dealer("5");
  ASSERT_THAT(dealer.Send(Exec(0)), IsOk());  // the ROUTER learns the routing id
  ASSERT_TRUE(AwaitReadable(link.router()));
  transport::Frames hello;
  ASSERT_TRUE(*link.router().Receive(hello));

  ASSERT_THAT(SendFrames(link.router(), {"5", Exec(1), Exec(2)}), IsOk());  // 2 frames: bad
  ASSERT_THAT(SendFrames(link.router(), {"5", "\xff"}), IsOk());
  ASSERT_THAT(SendFrames(link.router(), {"5", BatchOf({Exec(3), Exec(4)})}), IsOk());
  ASSERT_TRUE(AwaitReadable(dealer));
  Receiver receiver;
  Drained got = DrainOnce(receiver, dealer, PeerShape::kDealer, 256);
  EXPECT_EQ(got.taken, 4);
  EXPECT_THAT(got.envelopes, ElementsAre(std::pair<NodeId, uint64_t>{kOnlyPeer, 3},
                                         std::pair<NodeId, uint64_t>{kOnlyPeer, 4}));
  ASSERT_EQ(got.drops.size(), 2u);
  EXPECT_THAT(got.drops[0].why, HasSubstr("expected 1 frame"));
  EXPECT_EQ(got.drops[1].from, kOnlyPeer);
}

TEST(ReceiverTest, ReceiveFunctionIsCalledForEachMessage) {
  // A link whose socket may change between reads (a worker's parent link).
  std::vector<std::string> queued = {Exec(1), Exec(2)};
  size_t next = 0;
  Receiver receiver;
  std::vector<uint64_t> ids;
  int taken = receiver.Drain(
      [&](transport::Frames& frames) -> absl::StatusOr<bool> {
        if (next == queued.size()) return false;
        frames = {queued[next++]};
        return true;
      },
      PeerShape::kDealer, 256,
      [&](NodeId, v1::Envelope& e, std::string_view) { ids.push_back(e.correlation_id()); },
      [](NodeId, const absl::Status&) { ADD_FAILURE(); }, [] { return false; });
  EXPECT_EQ(taken, 2);
  EXPECT_THAT(ids, ElementsAre(1u, 2u));
}

// ---- BatchedSender ----

struct Failure {
  NodeId peer;
  std::vector<uint64_t> ids;
  absl::StatusCode code;
};

// A BatchedSender over `link`'s ROUTER that records what failed.
class RoutedSender {
 public:
  explicit RoutedSender(transport::Socket& router)
      : sender_([&router](NodeId peer, std::string_view f) { return SendRouted(router, peer, f); },
                [this](NodeId peer, absl::Span<const Tag> tags, const absl::Status& why) {
                  Failure f{peer, {}, why.code()};
                  for (const Tag& t : tags) f.ids.push_back(t.correlation_id);
                  failures_.push_back(std::move(f));
                }) {}
  BatchedSender& operator*() { return sender_; }
  BatchedSender* operator->() { return &sender_; }
  const std::vector<Failure>& failures() const { return failures_; }

 private:
  std::vector<Failure> failures_;
  BatchedSender sender_;
};

// A DEALER "5" whose routing id the ROUTER knows.
transport::Socket& KnownPeer(Link& link) {
  transport::Socket& dealer = link.Dealer("5");
  EXPECT_THAT(dealer.Send(Exec(0)), IsOk());
  EXPECT_TRUE(AwaitReadable(link.router()));
  transport::Frames hello;
  EXPECT_TRUE(*link.router().Receive(hello));
  return dealer;
}

// The messages waiting at `dealer`, each as the correlation ids it carries.
std::vector<std::vector<uint64_t>> Messages(transport::Socket& dealer) {
  std::vector<std::vector<uint64_t>> out;
  if (!AwaitReadable(dealer)) return out;
  transport::Frames frames;
  while (*dealer.Receive(frames)) {
    EXPECT_EQ(frames.size(), 1u);
    absl::StatusOr<v1::Envelope> e = wire::Decode(frames[0]);
    EXPECT_THAT(e, IsOk());
    std::vector<uint64_t> ids;
    if (!e->has_batch()) ids.push_back(e->correlation_id());
    for (const std::string& m : e->batch().envelopes()) ids.push_back(wire::Decode(m)->correlation_id());
    out.push_back(ids);
  }
  return out;
}

TEST(BatchedSenderTest, OneTurnToOnePeerIsOneFrame) {
  Link link;
  transport::Socket& dealer = KnownPeer(link);
  RoutedSender sender(link.router());
  sender->Add(5, Exec(1), {1, 5});
  sender->Add(5, Exec(2));
  sender->Add(5, Exec(3), {3, 7});
  EXPECT_FALSE(sender->empty(5));
  sender->FlushAll();
  EXPECT_TRUE(sender->empty(5));
  EXPECT_THAT(Messages(dealer), ElementsAre(ElementsAre(1u, 2u, 3u)));
  EXPECT_THAT(sender.failures(), IsEmpty());
}

TEST(BatchedSenderTest, DirectSendGoesAfterTheBatch) {
  Link link;
  transport::Socket& dealer = KnownPeer(link);
  RoutedSender sender(link.router());
  sender->Add(5, Exec(1));
  sender->Add(5, Exec(2));
  EXPECT_THAT(sender->Send(5, Exec(3)), IsOk());
  sender->Add(5, Exec(4));
  sender->Flush(5);
  EXPECT_THAT(Messages(dealer),
              ElementsAre(ElementsAre(1u, 2u), ElementsAre(3u), ElementsAre(4u)));
}

TEST(BatchedSenderTest, FailedSendReportsExactlyTheTagsItCarried) {
  Link link;
  transport::Socket& dealer = KnownPeer(link);
  RoutedSender sender(link.router());
  sender->Add(77, Exec(1), {1, 77});  // no such peer: ROUTER_MANDATORY refuses
  sender->Add(77, Exec(2));           // untagged: not reported
  sender->Add(5, Exec(3), {3, 5});
  sender->Add(77, Exec(4), {4, 80});
  sender->FlushAll();
  ASSERT_EQ(sender.failures().size(), 1u);
  EXPECT_EQ(sender.failures()[0].peer, 77);
  EXPECT_THAT(sender.failures()[0].ids, ElementsAre(1u, 4u));
  EXPECT_EQ(sender.failures()[0].code, absl::StatusCode::kUnavailable);
  EXPECT_THAT(Messages(dealer), ElementsAre(ElementsAre(3u)));
  // Emptied either way: nothing is sent or reported twice.
  sender->FlushAll();
  EXPECT_EQ(sender.failures().size(), 1u);
  sender->Add(77, Exec(5), {5, 77});
  sender->Flush(77);
  ASSERT_EQ(sender.failures().size(), 2u);
  EXPECT_THAT(sender.failures()[1].ids, ElementsAre(5u));
}

TEST(BatchedSenderTest, DirectSendToAnUnknownPeerFailsItsBatchToo) {
  Link link;
  RoutedSender sender(link.router());
  sender->Add(77, Exec(1), {1, 77});
  EXPECT_THAT(sender->Send(77, Exec(2)), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_EQ(sender.failures().size(), 1u);
  EXPECT_THAT(sender.failures()[0].ids, ElementsAre(1u));
}

TEST(BatchedSenderTest, FullBatchIsSentAtOnce) {
  std::vector<std::pair<NodeId, std::string>> sent;
  BatchedSender sender(
      [&](NodeId peer, std::string_view frame) {
        sent.push_back({peer, std::string(frame)});
        return absl::OkStatus();
      },
      [](NodeId, absl::Span<const Tag>, const absl::Status&) { ADD_FAILURE(); });
  for (uint64_t i = 1; i < wire::kMaxBatchCount; ++i) sender.Add(3, Exec(i));
  EXPECT_THAT(sent, IsEmpty());
  sender.Add(3, Exec(wire::kMaxBatchCount));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, 3);
  absl::StatusOr<v1::Envelope> batch = wire::Decode(sent[0].second);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(static_cast<size_t>(batch->batch().envelopes_size()), wire::kMaxBatchCount);
  EXPECT_TRUE(sender.empty(3));
  sender.Add(3, Exec(99));  // the next one starts a new batch
  EXPECT_EQ(sent.size(), 1u);
  sender.FlushAll();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].second, Exec(99));  // a lone envelope goes as itself
}

TEST(BatchedSenderTest, FailedAutoFlushReportsItsTags) {
  std::vector<uint64_t> failed;
  BatchedSender sender(
      [](NodeId, std::string_view) { return absl::ResourceExhaustedError("full"); },
      [&](NodeId, absl::Span<const Tag> tags, const absl::Status& why) {
        EXPECT_THAT(why, StatusIs(absl::StatusCode::kResourceExhausted));
        for (const Tag& t : tags) failed.push_back(t.correlation_id);
      });
  for (uint64_t i = 1; i <= wire::kMaxBatchCount; ++i) sender.Add(3, Exec(i), {i, 3});
  EXPECT_EQ(failed.size(), wire::kMaxBatchCount);
  EXPECT_EQ(failed.front(), 1u);
  EXPECT_EQ(failed.back(), wire::kMaxBatchCount);
}

TEST(BatchedSenderTest, DiscardForgetsTheBatch) {
  int sends = 0;
  BatchedSender sender(
      [&](NodeId, std::string_view) {
        ++sends;
        return absl::OkStatus();
      },
      [](NodeId, absl::Span<const Tag>, const absl::Status&) { ADD_FAILURE(); });
  sender.Add(1, Exec(1), {1, 1});
  sender.Add(2, Exec(2));
  sender.Discard(1);
  sender.Discard(4);  // nothing batched: a no-op
  sender.FlushAll();
  EXPECT_EQ(sends, 1);
}

}  // namespace
}  // namespace arbor::link

// client::DecodeReply and the reply-to-value conversions: pure, table-driven.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "arbor/v1/arbor.pb.h"
#include "client/reply.h"
#include "client/results.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace arbor::client {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using Code = absl::StatusCode;

v1::Envelope Reply(uint64_t id, int code = 0) {
  v1::Envelope e;
  e.set_version(1);
  e.set_correlation_id(id);
  e.set_target(-1);
  e.mutable_status()->set_code(code);
  return e;
}

TEST(DecodeReplyClientTest, Table) {
  struct Row {
    const char* name;
    std::string bytes;
    Code code;
  };
  v1::Envelope confirm = Reply(7);
  v1::Envelope failed = Reply(8, static_cast<int>(Code::kNotFound));
  v1::Envelope exec = Reply(9);
  exec.mutable_exec_reply()->set_found(true);
  v1::Envelope old = Reply(10);
  old.set_version(2);
  v1::Envelope old_with_body = exec;
  old_with_body.set_version(2);
  v1::Envelope bad_id = Reply(11);
  bad_id.mutable_create_reply()->set_id(-5);
  v1::Envelope event = Reply(12);
  event.set_target(3);
  event.mutable_node_event()->set_id(3);
  v1::Envelope bad_target = exec;
  bad_target.set_target(-7);
  v1::Envelope no_id = Reply(0, static_cast<int>(Code::kInvalidArgument));
  const std::vector<Row> rows = {
      {"confirmation: status OK, no body", confirm.SerializeAsString(), Code::kOk},
      {"failure: status, no body", failed.SerializeAsString(), Code::kOk},
      {"exec reply", exec.SerializeAsString(), Code::kOk},
      {"node event", event.SerializeAsString(), Code::kOk},
      {"reply to an unreadable request", no_id.SerializeAsString(), Code::kOk},
      {"empty frame (an all-default envelope, version 0)", "", Code::kFailedPrecondition},
      {"not protobuf", std::string("\xff\xff\xff\xff", 4), Code::kInvalidArgument},
      {"version 2", old.SerializeAsString(), Code::kFailedPrecondition},
      {"version 2 with a body", old_with_body.SerializeAsString(), Code::kFailedPrecondition},
      {"id out of range", bad_id.SerializeAsString(), Code::kInvalidArgument},
      {"target out of range", bad_target.SerializeAsString(), Code::kInvalidArgument},
  };
  for (const Row& row : rows) {
    EXPECT_THAT(DecodeReply(row.bytes), StatusIs(row.code)) << row.name;
  }
}

TEST(DecodeReplyClientTest, StatusCodesMapOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    EXPECT_EQ(static_cast<int>(ReplyStatus(Reply(1, code)).code()), code);
  }
  absl::Status odd = ReplyStatus(Reply(1, 99));
  EXPECT_THAT(odd, StatusIs(Code::kUnknown));
  v1::Envelope with_message = Reply(1, static_cast<int>(Code::kUnavailable));
  with_message.mutable_status()->set_message("node is unavailable");
  EXPECT_EQ(ReplyStatus(with_message).message(), "node is unavailable");
  v1::Envelope no_status;
  EXPECT_THAT(ReplyStatus(no_status), IsOk());
}

TEST(ResultsClientTest, ValuesFailuresAndWrongBodies) {
  v1::Envelope created = Reply(1);
  created.mutable_create_reply()->set_id(4);
  created.mutable_create_reply()->set_pid(1234);
  auto create = CreateResultOf(created);
  ASSERT_THAT(create, IsOk());
  EXPECT_EQ(create->id, 4);
  EXPECT_EQ(create->pid, 1234);

  // The reply's own status wins; a local failure passes through; an OK reply
  // with another body is INTERNAL.
  EXPECT_THAT(CreateResultOf(Reply(1, static_cast<int>(Code::kAlreadyExists))),
              StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(CreateResultOf(absl::DeadlineExceededError("local")),
              StatusIs(Code::kDeadlineExceeded));
  EXPECT_THAT(CreateResultOf(absl::CancelledError("closed")), StatusIs(Code::kCancelled));
  EXPECT_THAT(ExecResultOf(created), StatusIs(Code::kInternal));
  EXPECT_THAT(CreateResultOf(Reply(1)), StatusIs(Code::kInternal));

  v1::Envelope exec = Reply(2);
  exec.mutable_exec_reply()->set_found(true);
  exec.mutable_exec_reply()->set_value(-42);
  auto value = ExecResultOf(exec);
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->found);
  EXPECT_EQ(value->value, -42);

  v1::Envelope ping = Reply(3);
  ping.mutable_ping_reply()->set_answered(false);
  EXPECT_EQ(PingAnsweredOf(ping).value_or(true), false);

  v1::Envelope removed = Reply(4);
  removed.mutable_remove_reply();
  EXPECT_THAT(RemoveStatusOf(removed), IsOk());
  EXPECT_THAT(RemoveStatusOf(Reply(4, static_cast<int>(Code::kUnavailable))),
              StatusIs(Code::kUnavailable));

  v1::Envelope beat = Reply(5);
  beat.mutable_heartbeat_config()->set_interval_ms(100);
  EXPECT_EQ(HeartbeatIntervalOf(beat).value_or(0), 100u);

  v1::Envelope tree = Reply(6);
  v1::NodeInfo* row = tree.mutable_topology_reply()->add_nodes();
  row->set_id(2);
  row->set_parent(1);
  row->set_pid(99);
  row->set_state(v1::NODE_STATE_DEAD);
  row->set_depth(1);
  auto nodes = TopologyOf(tree);
  ASSERT_THAT(nodes, IsOk());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, 2);
  EXPECT_EQ((*nodes)[0].parent, 1);
  EXPECT_EQ((*nodes)[0].state, NodeState::kDead);
  EXPECT_EQ((*nodes)[0].depth, 1);

  v1::Envelope stats = Reply(7);
  stats.mutable_stats_reply()->set_nodes(3);
  stats.mutable_stats_reply()->set_dropped_frames(2);
  auto counters = StatsOf(stats);
  ASSERT_THAT(counters, IsOk());
  EXPECT_EQ(counters->nodes, 3u);
  EXPECT_EQ(counters->dropped_frames, 2u);

  EXPECT_EQ(WatchIdOf(Reply(8)).value_or(0), 8u);
  EXPECT_THAT(WatchIdOf(Reply(8, static_cast<int>(Code::kResourceExhausted))),
              StatusIs(Code::kResourceExhausted));
  EXPECT_THAT(UnwatchStatusOf(Reply(9, static_cast<int>(Code::kNotFound))),
              StatusIs(Code::kNotFound));

  v1::NodeEvent event;
  event.set_id(5);
  event.set_kind(v1::NODE_EVENT_LOST);
  event.set_pid(77);
  NodeEvent e = EventOf(event);
  EXPECT_EQ(e.id, 5);
  EXPECT_EQ(e.kind, EventKind::kLost);
  EXPECT_EQ(e.pid, 77);
}

}  // namespace
}  // namespace arbor::client

// wire/codec and wire/deadline: envelopes <-> bytes with validation, and the
// deadline a request carries from hop to hop.
#include "wire/codec.h"

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "wire/deadline.h"

namespace arbor::wire {
namespace {

using absl::StatusCode;
using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;

// --- Round trip ---

using Build = std::function<void(v1::Envelope&)>;

struct EnvelopeCase {
  std::string name;
  Build build;            // fills a fresh envelope (version left unset)
  absl::StatusCode want;  // of Decode(Encode(envelope))
};

void PrintTo(const EnvelopeCase& c, std::ostream* os) { *os << c.name; }

class CodecTest : public ::testing::TestWithParam<EnvelopeCase> {};

TEST_P(CodecTest, EncodeThenDecode) {
  v1::Envelope in;
  in.set_correlation_id(42);
  in.set_target(7);
  GetParam().build(in);
  std::string bytes = Encode(in);
  EXPECT_EQ(in.version(), 0u);  // Encode leaves its argument alone...
  in.set_version(kProtocolVersion);  // ...and stamps the bytes
  absl::StatusOr<v1::Envelope> out = Decode(bytes);
  ASSERT_THAT(out, StatusIs(GetParam().want));
  EXPECT_THAT(Validate(in), StatusIs(GetParam().want));  // same verdict in memory
  if (out.ok()) {
    EXPECT_EQ(out->DebugString(), in.DebugString());
  }
}

TEST(EncodeToTest, ReusesTheBufferAndStampsAnyOtherVersion) {
  v1::Envelope in;
  in.set_version(7);  // a wrong version is overwritten in the bytes, not in `in`
  in.set_correlation_id(5);
  in.mutable_exec_request()->set_key("k");
  std::string bytes = "stale bytes from an earlier message";
  EncodeTo(in, bytes);
  EXPECT_EQ(in.version(), 7u);
  absl::StatusOr<v1::Envelope> out = Decode(bytes);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->version(), kProtocolVersion);
  EXPECT_EQ(out->correlation_id(), 5u);
  EXPECT_EQ(out->exec_request().key(), "k");
  in.set_version(kProtocolVersion);  // already stamped: bytes are the message's own
  EncodeTo(in, bytes);
  EXPECT_EQ(bytes, in.SerializeAsString());
}

const std::string kKey64(64, 'k');
const std::string kKey65(65, 'k');
const std::string kEndpoint256 = "ipc://" + std::string(250, 'e');
const std::string kEndpoint257 = "ipc://" + std::string(251, 'e');
constexpr int64_t kTooBig = int64_t{2147483648};

// Sets up a Hello that passes, for the cases that spoil one field of it.
v1::Hello& GoodHello(v1::Envelope& e) {
  v1::Hello& h = *e.mutable_hello();
  h.set_id(5);
  h.set_pid(1234);
  h.set_endpoint("ipc:///tmp/arbor/5.1234");
  h.set_parent(4);
  return h;
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, CodecTest,
    ::testing::ValuesIn(std::vector<EnvelopeCase>{
        {"CreateRequest", [](auto& e) { e.mutable_create_request()->set_child_id(5); },
         StatusCode::kOk},
        {"CreateReply",
         [](auto& e) {
           e.mutable_create_reply()->set_id(5);
           e.mutable_create_reply()->set_pid(4321);
         },
         StatusCode::kOk},
        {"ExecSave",
         [](auto& e) {
           e.mutable_exec_request()->set_key("MyVar");
           e.mutable_exec_request()->set_value(INT64_MIN);
         },
         StatusCode::kOk},
        {"ExecLoad", [](auto& e) { e.mutable_exec_request()->set_key(kKey64); }, StatusCode::kOk},
        {"ExecReply",
         [](auto& e) {
           e.mutable_exec_reply()->set_found(true);
           e.mutable_exec_reply()->set_value(INT64_MAX);
         },
         StatusCode::kOk},
        {"Ping", [](auto& e) { e.mutable_ping_request(); }, StatusCode::kOk},
        {"PingReply", [](auto& e) { e.mutable_ping_reply(); }, StatusCode::kOk},
        {"Remove",
         [](auto& e) {
           e.mutable_remove_request()->set_new_parent_id(-1);
           e.mutable_remove_request()->set_new_parent_endpoint("ipc:///tmp/a/c");
         },
         StatusCode::kOk},
        {"RemoveReply",
         [](auto& e) {
           e.mutable_remove_reply()->add_children(3);
           e.mutable_remove_reply()->add_children(2147483647);
         },
         StatusCode::kOk},
        {"Reparent",
         [](auto& e) {
           e.mutable_reparent()->set_parent_id(2);
           e.mutable_reparent()->set_endpoint(kEndpoint256);
         },
         StatusCode::kOk},
        {"Lineage",
         [](auto& e) {
           auto* a = e.mutable_lineage()->add_ancestors();
           a->set_id(4);
           a->set_endpoint(kEndpoint256);
           a = e.mutable_lineage()->add_ancestors();
           a->set_id(-1);
           a->set_endpoint("ipc:///c");
         },
         StatusCode::kOk},
        {"LineageEmptyUnderTheController", [](auto& e) { e.mutable_lineage(); }, StatusCode::kOk},
        {"HeartbeatConfig", [](auto& e) { e.mutable_heartbeat_config()->set_interval_ms(2000); },
         StatusCode::kOk},
        {"Heartbeat", [](auto& e) { e.mutable_heartbeat(); }, StatusCode::kOk},
        {"LinkState",
         [](auto& e) {
           e.mutable_link_state()->set_id(12);
           e.mutable_link_state()->set_up(false);
           e.mutable_link_state()->set_reporter(-1);
         },
         StatusCode::kOk},
        {"Hello", [](auto& e) { GoodHello(e); }, StatusCode::kOk},
        {"Shutdown", [](auto& e) { e.mutable_shutdown(); }, StatusCode::kOk},
        {"Error",
         [](auto& e) {
           e.mutable_error()->set_code(14);
           e.mutable_error()->set_message("unavailable");
         },
         StatusCode::kOk},
        {"FrameDropped",
         [](auto& e) {
           e.mutable_frame_dropped()->set_node(3);
           e.mutable_frame_dropped()->set_count(9);
         },
         StatusCode::kOk},
        {"WithRouteAndDeadline",
         [](auto& e) {
           e.add_route(1);
           e.add_route(4);
           e.add_route(7);
           e.set_budget_ms(1000);
           e.set_sent_mono_us(123456789);
           e.mutable_ping_request();
         },
         StatusCode::kOk},
        {"TargetController",
         [](auto& e) {
           e.set_target(-1);
           e.mutable_heartbeat();
         },
         StatusCode::kOk},
        {"TargetMaxId",
         [](auto& e) {
           e.set_target(2147483647);
           e.mutable_heartbeat();
         },
         StatusCode::kOk},
    }),
    [](const ::testing::TestParamInfo<EnvelopeCase>& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Invalid, CodecTest,
    ::testing::ValuesIn(std::vector<EnvelopeCase>{
        {"NoBody", [](auto&) {}, StatusCode::kInvalidArgument},
        {"KeyWithDash", [](auto& e) { e.mutable_exec_request()->set_key("a-b"); },
         StatusCode::kInvalidArgument},
        {"KeyEmpty", [](auto& e) { e.mutable_exec_request()->set_key(""); },
         StatusCode::kInvalidArgument},
        {"KeyTooLong", [](auto& e) { e.mutable_exec_request()->set_key(kKey65); },
         StatusCode::kInvalidArgument},
        {"KeyWithSpace", [](auto& e) { e.mutable_exec_request()->set_key("a b"); },
         StatusCode::kInvalidArgument},
        {"KeyWithNul", [](auto& e) { e.mutable_exec_request()->set_key(std::string("a\0b", 3)); },
         StatusCode::kInvalidArgument},
        {"TargetBelowController",
         [](auto& e) {
           e.set_target(-2);
           e.mutable_heartbeat();
         },
         StatusCode::kInvalidArgument},
        {"TargetTooBig",
         [](auto& e) {
           e.set_target(kTooBig);
           e.mutable_heartbeat();
         },
         StatusCode::kInvalidArgument},
        {"RouteHopController",
         [](auto& e) {
           e.add_route(-1);
           e.mutable_ping_request();
         },
         StatusCode::kInvalidArgument},
        {"RouteHopTooBig",
         [](auto& e) {
           e.add_route(kTooBig);
           e.mutable_ping_request();
         },
         StatusCode::kInvalidArgument},
        {"RouteTooLong",
         [](auto& e) {
           for (int i = 0; i <= kMaxRouteLength; ++i) e.add_route(i);
           e.mutable_ping_request();
         },
         StatusCode::kInvalidArgument},
        {"CreateChildNegative", [](auto& e) { e.mutable_create_request()->set_child_id(-1); },
         StatusCode::kInvalidArgument},
        {"CreateChildTooBig", [](auto& e) { e.mutable_create_request()->set_child_id(kTooBig); },
         StatusCode::kInvalidArgument},
        {"CreateReplyIdNegative", [](auto& e) { e.mutable_create_reply()->set_id(-1); },
         StatusCode::kInvalidArgument},
        {"RemoveParentBelowController",
         [](auto& e) {
           e.mutable_remove_request()->set_new_parent_id(-2);
           e.mutable_remove_request()->set_new_parent_endpoint("ipc:///x");
         },
         StatusCode::kInvalidArgument},
        // A client's remove names no new parent: the controller fills it in.
        {"RemoveNoEndpointIsAClientRemove",
         [](auto& e) { e.mutable_remove_request()->set_new_parent_id(1); }, StatusCode::kOk},
        {"RemoveReplyChildNegative", [](auto& e) { e.mutable_remove_reply()->add_children(-5); },
         StatusCode::kInvalidArgument},
        {"LineageWithoutTheController",
         [](auto& e) {
           auto* a = e.mutable_lineage()->add_ancestors();
           a->set_id(4);
           a->set_endpoint("ipc:///x");
         },
         StatusCode::kInvalidArgument},
        {"LineageControllerNotLast",
         [](auto& e) {
           auto* a = e.mutable_lineage()->add_ancestors();
           a->set_id(-1);
           a->set_endpoint("ipc:///c");
           a = e.mutable_lineage()->add_ancestors();
           a->set_id(4);
           a->set_endpoint("ipc:///x");
         },
         StatusCode::kInvalidArgument},
        {"LineageEndpointTooLong",
         [](auto& e) {
           auto* a = e.mutable_lineage()->add_ancestors();
           a->set_id(-1);
           a->set_endpoint(kEndpoint257);
         },
         StatusCode::kInvalidArgument},
        {"LineageTooLong",
         [](auto& e) {
           for (int i = 1; i <= 101; ++i) {
             auto* a = e.mutable_lineage()->add_ancestors();
             a->set_id(i == 101 ? -1 : i);
             a->set_endpoint("ipc:///x");
           }
         },
         StatusCode::kInvalidArgument},
        {"ReparentParentTooBig",
         [](auto& e) {
           e.mutable_reparent()->set_parent_id(kTooBig);
           e.mutable_reparent()->set_endpoint("ipc:///x");
         },
         StatusCode::kInvalidArgument},
        {"ReparentEndpointTooLong",
         [](auto& e) {
           e.mutable_reparent()->set_parent_id(1);
           e.mutable_reparent()->set_endpoint(kEndpoint257);
         },
         StatusCode::kInvalidArgument},
        {"LinkStateIdController", [](auto& e) { e.mutable_link_state()->set_id(-1); },
         StatusCode::kInvalidArgument},
        {"LinkStateReporterTooBig",
         [](auto& e) {
           e.mutable_link_state()->set_id(1);
           e.mutable_link_state()->set_reporter(kTooBig);
         },
         StatusCode::kInvalidArgument},
        {"HelloIdTooBig", [](auto& e) { GoodHello(e).set_id(kTooBig); },
         StatusCode::kInvalidArgument},
        {"HelloParentBelowController", [](auto& e) { GoodHello(e).set_parent(-2); },
         StatusCode::kInvalidArgument},
        {"HelloPidZero", [](auto& e) { GoodHello(e).set_pid(0); }, StatusCode::kInvalidArgument},
        {"HelloNoEndpoint", [](auto& e) { GoodHello(e).clear_endpoint(); },
         StatusCode::kInvalidArgument},
        {"ErrorCodeOk", [](auto& e) { e.mutable_error()->set_code(0); },
         StatusCode::kInvalidArgument},
        {"ErrorCodeUnknown", [](auto& e) { e.mutable_error()->set_code(17); },
         StatusCode::kInvalidArgument},
        {"FrameDroppedNodeNegative", [](auto& e) { e.mutable_frame_dropped()->set_node(-1); },
         StatusCode::kInvalidArgument},
    }),
    [](const ::testing::TestParamInfo<EnvelopeCase>& info) { return info.param.name; });

// --- Bytes that are not a valid envelope ---

struct BytesCase {
  std::string name;
  std::string bytes;
  absl::StatusCode want;
};

void PrintTo(const BytesCase& c, std::ostream* os) { *os << c.name; }

class DecodeBytesTest : public ::testing::TestWithParam<BytesCase> {};

TEST_P(DecodeBytesTest, Code) { EXPECT_THAT(Decode(GetParam().bytes), StatusIs(GetParam().want)); }

std::string Serialized(uint32_t version) {
  v1::Envelope e;
  e.set_version(version);
  e.mutable_ping_request();
  return e.SerializeAsString();
}

std::string Truncated() {
  v1::Envelope e;
  e.mutable_exec_request()->set_key("MyVar");
  std::string bytes = Encode(e);
  bytes.pop_back();
  return bytes;
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, DecodeBytesTest,
    ::testing::ValuesIn(std::vector<BytesCase>{
        {"TruncatedVarint", "\xff", StatusCode::kInvalidArgument},
        {"TagWithoutValue", "\x08", StatusCode::kInvalidArgument},
        {"LengthPastTheEnd",
         "\x52\x05"
         "ab",
         StatusCode::kInvalidArgument},
        {"BadWireType", "\x0f\x01", StatusCode::kInvalidArgument},
        {"Text", "not a protobuf", StatusCode::kInvalidArgument},
        {"TruncatedEnvelope", Truncated(), StatusCode::kInvalidArgument},
        {"AllOnes", std::string(64, '\xff'), StatusCode::kInvalidArgument},
        {"NoVersion", Serialized(0), StatusCode::kFailedPrecondition},
        {"Empty", "", StatusCode::kFailedPrecondition},  // version 0
        {"FutureVersion", Serialized(2), StatusCode::kFailedPrecondition},
        {"HugeVersion", Serialized(0xffffffffu), StatusCode::kFailedPrecondition},
        {"CurrentVersion", Serialized(kProtocolVersion), StatusCode::kOk},
    }),
    [](const ::testing::TestParamInfo<BytesCase>& info) { return info.param.name; });

TEST(CodecTest, WrongVersionIsCheckedBeforeTheBody) {
  v1::Envelope e;
  e.set_version(3);
  e.mutable_exec_request()->set_key("a-b");
  EXPECT_THAT(Decode(e.SerializeAsString()), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(IsValidKeyTest, Table) {
  struct {
    std::string key;
    bool valid;
  } cases[] = {
      {"a", true},         {"Z", true},     {"0", true},      {"MyVar", true},
      {"abcXYZ019", true}, {kKey64, true},  {kKey65, false},  {"", false},
      {"a-b", false},      {"a_b", false},  {"a b", false},   {"a.b", false},
      {"\xc3\xa9", false}, {"a\tb", false}, {"key\r", false}, {std::string("a\0", 2), false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsValidKey(c.key), c.valid) << "'" << c.key << "'";
  }
}

// --- Deadlines ---

const absl::Time kNow = absl::UnixEpoch() + absl::Hours(1000);

TEST(DeadlineTest, StampWritesTheBudgetLeftAndTheSendTime) {
  v1::Envelope e;
  StampDeadline(e, kNow + absl::Milliseconds(1500), kNow);
  EXPECT_EQ(e.budget_ms(), 1500u);
  EXPECT_EQ(e.sent_mono_us(), ToMonoMicros(kNow));
}

TEST(DeadlineTest, StampBudgetTable) {
  struct {
    absl::Duration left;
    uint32_t budget_ms;
  } cases[] = {
      {absl::Seconds(1), 1000},
      {absl::ZeroDuration(), 0},
      {absl::Milliseconds(-500), 0},  // already late: nothing left, never negative
      {absl::Microseconds(999), 0},   // rounds down: a budget is never longer
      {absl::Microseconds(1999), 1},
      {absl::Hours(24 * 365 * 1000), UINT32_MAX},  // clamped, not wrapped
      {absl::InfiniteDuration(), UINT32_MAX},
  };
  for (const auto& c : cases) {
    v1::Envelope e;
    StampDeadline(e, kNow + c.left, kNow);
    EXPECT_EQ(e.budget_ms(), c.budget_ms) << c.left;
  }
}

TEST(DeadlineTest, NoStampCountsFromReceipt) {
  v1::Envelope e;
  e.set_budget_ms(1000);
  EXPECT_EQ(LocalDeadline(e, kNow), kNow + absl::Seconds(1));
}

TEST(DeadlineTest, RoundTripKeepsTheDeadline) {
  // Sent at kNow with 1 s left, received 300 ms later: the same deadline.
  v1::Envelope e;
  e.mutable_ping_request();
  absl::Time deadline = kNow + absl::Seconds(1);
  StampDeadline(e, deadline, kNow);
  absl::StatusOr<v1::Envelope> received = Decode(Encode(e));
  ASSERT_THAT(received, IsOk());
  EXPECT_EQ(LocalDeadline(*received, kNow + absl::Milliseconds(300)), deadline);
}

TEST(DeadlineTest, StampFromThePastShortensTheDeadline) {
  // Queued for 300 ms while this hop was frozen: 700 ms are left, not 1000.
  v1::Envelope e;
  e.set_budget_ms(1000);
  e.set_sent_mono_us(ToMonoMicros(kNow - absl::Milliseconds(300)));
  EXPECT_EQ(LocalDeadline(e, kNow), kNow + absl::Milliseconds(700));
}

TEST(DeadlineTest, StaleRequestIsAlreadyLate) {
  v1::Envelope e;
  StampDeadline(e, kNow + absl::Seconds(1), kNow);
  absl::Time woke = kNow + absl::Seconds(30);  // SIGSTOP, then SIGCONT
  EXPECT_LT(LocalDeadline(e, woke), woke);
}

TEST(DeadlineTest, FutureStampNeverExtendsTheDeadline) {
  for (absl::Duration ahead : {absl::Microseconds(1), absl::Seconds(1), absl::Hours(100)}) {
    v1::Envelope e;
    e.set_budget_ms(1000);
    e.set_sent_mono_us(ToMonoMicros(kNow + ahead));
    EXPECT_EQ(LocalDeadline(e, kNow), kNow + absl::Seconds(1)) << ahead;
  }
}

}  // namespace
}  // namespace arbor::wire

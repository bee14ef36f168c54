// cli/format: (command, result) -> the exact answer line of README "The command line".
#include "cli/format.h"

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace arbor::cli {
namespace {

using ::testing::ElementsAre;

template <typename Result>
struct Case {
  Result result;
  std::string want;
};

template <typename Result>
void PrintTo(const Case<Result>& c, std::ostream* os) {
  *os << "want \"" << c.want << "\"";
}

// --- create ---

class FormatCreateTest : public ::testing::TestWithParam<Case<absl::StatusOr<api::CreateResult>>> {};

TEST_P(FormatCreateTest, ExactLine) { EXPECT_EQ(FormatCreate(GetParam().result), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(
    AllCodes, FormatCreateTest,
    ::testing::ValuesIn(std::vector<Case<absl::StatusOr<api::CreateResult>>>{
        {api::CreateResult{10, 3128}, "Ok: 3128"},
        {api::CreateResult{0, 1}, "Ok: 1"},
        {api::CreateResult{7, 4194304}, "Ok: 4194304"},
        {absl::AlreadyExistsError("x"), "Error: Already exists"},
        {absl::NotFoundError("x"), "Error: Parent not found"},
        {absl::UnavailableError("x"), "Error: Parent is unavailable"},
        {absl::FailedPreconditionError("x"), "Error: Parent is a descendant of id"},
        {absl::DeadlineExceededError("x"), "Error: Worker did not start in time"},
        {absl::InvalidArgumentError("Unknown host 'h9'"), "Error: Unknown host 'h9'"},
        {absl::InternalError("posix_spawn: No such file or directory"),
         "Error: Spawn failed: posix_spawn: No such file or directory"},
    }));

// --- exec ---

struct ExecCase {
  NodeId id;
  std::string key;
  bool is_save;
  absl::StatusOr<api::ExecResult> result;
  std::string want;
};

void PrintTo(const ExecCase& c, std::ostream* os) {
  *os << "exec " << c.id << " " << c.key << (c.is_save ? " <value>" : "") << " -> \"" << c.want
      << "\"";
}

class FormatExecTest : public ::testing::TestWithParam<ExecCase> {};

TEST_P(FormatExecTest, ExactLine) {
  const ExecCase& c = GetParam();
  EXPECT_EQ(FormatExec(c.id, c.key, c.is_save, c.result), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    AllOutcomes, FormatExecTest,
    ::testing::ValuesIn(std::vector<ExecCase>{
        {10, "MyVar", true, api::ExecResult{}, "Ok:10"},
        {0, "MyVar", true, api::ExecResult{}, "Ok:0"},
        {10, "MyVar", false, api::ExecResult{true, 5}, "Ok:10: 5"},
        {10, "MyVar", false, api::ExecResult{true, 0}, "Ok:10: 0"},
        {10, "MyVar", false, api::ExecResult{true, -7}, "Ok:10: -7"},
        {10, "k", false, api::ExecResult{true, std::numeric_limits<int64_t>::min()},
         "Ok:10: -9223372036854775808"},
        {10, "k", false, api::ExecResult{true, std::numeric_limits<int64_t>::max()},
         "Ok:10: 9223372036854775807"},
        {10, "MyVar", false, api::ExecResult{false, 0}, "Ok:10: 'MyVar' not found"},
        {12, "MyVar", false, api::ExecResult{false, 99}, "Ok:12: 'MyVar' not found"},
        {2147483647, "a", false, api::ExecResult{true, 1}, "Ok:2147483647: 1"},
        {10, "MyVar", false, absl::NotFoundError("x"), "Error:10: Not found"},
        {10, "MyVar", true, absl::NotFoundError("x"), "Error:10: Not found"},
        {12, "MyVar", false, absl::UnavailableError("x"), "Error:12: Node is unavailable"},
        {12, "MyVar", true, absl::UnavailableError("x"), "Error:12: Node is unavailable"},
        {12, "MyVar", false, absl::DeadlineExceededError("x"), "Error:12: Node is unavailable"},
        {12, "MyVar", true, absl::DeadlineExceededError("x"), "Error:12: Node is unavailable"},
    }));

// --- ping ---

class FormatPingTest : public ::testing::TestWithParam<Case<absl::StatusOr<bool>>> {};

TEST_P(FormatPingTest, ExactLine) { EXPECT_EQ(FormatPing(GetParam().result), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(AllOutcomes, FormatPingTest,
                         ::testing::ValuesIn(std::vector<Case<absl::StatusOr<bool>>>{
                             {true, "Ok: 1"},
                             {false, "Ok: 0"},
                             {absl::NotFoundError("x"), "Error: Not found"},
                             {absl::UnavailableError("dead"), "Ok: 0"},
                             {absl::DeadlineExceededError("late"), "Ok: 0"},
                         }));

// --- remove ---

class FormatRemoveTest : public ::testing::TestWithParam<Case<absl::Status>> {};

TEST_P(FormatRemoveTest, ExactLine) { EXPECT_EQ(FormatRemove(GetParam().result), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(AllOutcomes, FormatRemoveTest,
                         ::testing::ValuesIn(std::vector<Case<absl::Status>>{
                             {absl::OkStatus(), "Ok"},
                             {absl::NotFoundError("x"), "Error: Not found"},
                             {absl::UnavailableError("x"), "Error: Node is unavailable"},
                             {absl::DeadlineExceededError("x"), "Error: Node is unavailable"},
                         }));

// --- Heartbit lines ---

TEST(FormatHeartbitTransitionTest, BothDirections) {
  EXPECT_EQ(FormatHeartbitTransition(12, false), "Heartbit: node 12 is unavailable now");
  EXPECT_EQ(FormatHeartbitTransition(12, true), "Heartbit: node 12 is available again");
  EXPECT_EQ(FormatHeartbitTransition(0, false), "Heartbit: node 0 is unavailable now");
  EXPECT_EQ(FormatHeartbitTransition(2147483647, true),
            "Heartbit: node 2147483647 is available again");
}

// --- tree ---

TEST(FormatTreeTest, EmptyTree) { EXPECT_THAT(FormatTree({}), ElementsAre("(empty)")); }

TEST(FormatTreeTest, TwoSpacesPerDepthAndEveryState) {
  using api::NodeState;
  std::vector<api::NodeInfo> rows = {
      {10, -1, 3128, NodeState::kAvailable, 0},  {12, 10, 3131, NodeState::kDead, 1},
      {13, 12, 0, NodeState::kCreating, 2},      {14, 10, 3140, NodeState::kUnavailable, 1},
      {20, -1, 3200, NodeState::kAvailable, 0},
  };
  EXPECT_THAT(FormatTree(rows), ElementsAre("10 pid 3128 available",      //
                                            "  12 pid 3131 dead",         //
                                            "    13 pid 0 creating",      //
                                            "  14 pid 3140 unavailable",  //
                                            "20 pid 3200 available"));
}

TEST(FormatTreeTest, NodesOffLocalEndWithTheirHost) {
  using api::NodeState;
  EXPECT_THAT(FormatTree({{10, -1, 3128, NodeState::kAvailable, 0, "local"},
                          {12, 10, 77, NodeState::kAvailable, 1, "h1"},
                          {13, 12, 0, NodeState::kCreating, 2, "gpu7.lab"},
                          {14, 10, 3140, NodeState::kDead, 1, ""}}),
              ElementsAre("10 pid 3128 available", "  12 pid 77 available @h1",
                          "    13 pid 0 creating @gpu7.lab", "  14 pid 3140 dead"));
}

TEST(FormatHostsTest, OneLinePerHost) {
  EXPECT_THAT(FormatHosts({{"local", "10.200.0.1", 2}, {"h1", "10.200.1.2", 0}}),
              ElementsAre("local 10.200.0.1 nodes=2", "h1 10.200.1.2 nodes=0"));
}

TEST(FormatTreeTest, DesignSession) {
  EXPECT_THAT(FormatTree({{10, -1, 3128, api::NodeState::kAvailable, 0},
                          {12, 10, 3131, api::NodeState::kDead, 1}}),
              ElementsAre("10 pid 3128 available", "  12 pid 3131 dead"));
}

// --- stats ---

TEST(FormatStatsTest, AllCountersInOrder) {
  EXPECT_EQ(FormatStats(api::Stats{}),
            "nodes=0 pending=0 sent=0 answered=0 timed_out=0 late_replies=0 dropped_frames=0");
  api::Stats s;
  s.nodes = 3;
  s.pending = 1;
  s.sent = 40;
  s.answered = 38;
  s.timed_out = 2;
  s.late_replies = 1;
  s.dropped_frames = 18446744073709551615u;
  EXPECT_EQ(FormatStats(s),
            "nodes=3 pending=1 sent=40 answered=38 timed_out=2 late_replies=1 "
            "dropped_frames=18446744073709551615");
}

TEST(FormatControllerFailureTest, ControllerGoneOrMessage) {
  EXPECT_EQ(FormatControllerFailure(absl::UnavailableError("no route")),
            "Error: Controller is unavailable");
  EXPECT_EQ(FormatControllerFailure(absl::DeadlineExceededError("late")),
            "Error: Controller is unavailable");
  EXPECT_EQ(FormatControllerFailure(absl::CancelledError("closed")),
            "Error: Controller is unavailable");
  EXPECT_EQ(FormatControllerFailure(absl::InternalError("")), "Error: Controller is unavailable");
  EXPECT_EQ(FormatControllerFailure(absl::InvalidArgumentError("Invalid time '9'")),
            "Error: Invalid time '9'");
}

}  // namespace
}  // namespace arbor::cli

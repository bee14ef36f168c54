// launch/worker_args.h: the worker's command line, built and parsed back.
#include "launch/worker_args.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "status_matchers.h"
#include "transport/curve.h"

namespace arbor::launch {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::testing::Not;

WorkerArgs Minimal() {
  WorkerArgs args;
  args.id = 0;
  args.parent_endpoint = "ipc:///tmp/arbor-x/controller";
  return args;
}

WorkerArgs Full() {
  WorkerArgs args;
  args.id = kMaxNodeId;
  args.parent = 7;
  args.parent_endpoint = "tcp://127.0.0.1:5001";
  args.ancestors = {{3, "tcp://127.0.0.1:5000"}, {kControllerId, "tcp://127.0.0.1:4999"}};
  args.transport = transport::Transport::kTcp;
  args.ipc_dir = "/tmp/arbor-y";
  args.heartbeat = absl::Milliseconds(250);
  args.controller_pid = 4242;
  args.verbose = true;
  args.lifeline = true;
  args.adopt_orphans = false;
  args.adopt_timeout = absl::Milliseconds(3);
  return args;
}

TEST(WorkerArgsTest, RoundTrips) {
  WorkerArgs under_controller = Minimal();
  under_controller.controller_pid = 1;
  under_controller.ipc_dir = "/tmp/arbor-x";
  for (const WorkerArgs& args : {Minimal(), Full(), under_controller}) {
    std::vector<std::string> argv = ToArgv(args);
    absl::StatusOr<WorkerArgs> parsed = ParseWorkerArgs(argv);
    ASSERT_THAT(parsed, IsOk()) << argv[0];
    EXPECT_EQ(*parsed, args) << argv[0];
  }
}

// A worker on another host: no plain endpoint, its parent over CURVE, keys in
// hex, and nothing a remote shell would change (ssh joins the words with
// spaces and a shell splits them again).
WorkerArgs Remote() {
  WorkerArgs args;
  args.id = 5;
  args.parent = 4;
  args.parent_curve_endpoint = "tcp://10.200.1.2:40001";
  args.parent_key = testing::NewKeys().public_z85;
  args.host = "h1.lab";
  args.curve_address = "10.200.1.2";
  args.lifeline = true;
  args.ancestors = {{kControllerId, "", "tcp://10.200.0.1:40000", testing::NewKeys().public_z85}};
  return args;
}

TEST(WorkerArgsTest, ARemoteWorkersLineRoundTripsAndIsShellSafe) {
  WorkerArgs args = Remote();
  std::vector<std::string> argv = ToArgv(args);
  absl::StatusOr<WorkerArgs> parsed = ParseWorkerArgs(argv);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, args);
  EXPECT_TRUE(parsed->curve());
  for (const std::string& arg : argv) {
    EXPECT_EQ(arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-_=.:/@,"),
              std::string::npos)
        << arg;
  }
  EXPECT_FALSE(Minimal().curve());
}

TEST(WorkerArgsTest, CurveNeedsItsPartsTogether) {
  std::vector<std::string> argv = ToArgv(Remote());
  auto without = [&argv](std::string_view prefix) {
    std::vector<std::string> out;
    for (const std::string& a : argv) {
      if (a.rfind(prefix, 0) != 0) out.push_back(a);
    }
    return out;
  };
  // The secret comes on stdin: no lifeline, no CURVE.
  EXPECT_THAT(ParseWorkerArgs(without("--lifeline")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseWorkerArgs(without("--parent_key")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseWorkerArgs(without("--parent_curve_endpoint")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* bad : {"--parent_key=zz", "--parent_key=00", "--host=Bad_Host", "--host="}) {
    std::vector<std::string> with = argv;
    with.push_back(bad);
    EXPECT_THAT(ParseWorkerArgs(with), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(WorkerArgsTest, TheSecretsAreTheFirstLineOnStdin) {
  WorkerSecrets secrets{testing::NewKeys().secret_z85, *transport::NewRoutingToken()};
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto write_text = [&](const std::string& text) {
    ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  };
  write_text(SecretLine(secrets) + "after");
  absl::StatusOr<WorkerSecrets> read = ReadSecretLine(fds[0]);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, secrets);
  char rest[16] = {};
  EXPECT_EQ(::read(fds[0], rest, sizeof(rest)), 5) << "nothing after the line is consumed";
  for (const std::string& garbage :
       {std::string("not a key\n"), secrets.secret_z85 + "\n",  // no token
        secrets.secret_z85 + "  " + secrets.token + "\n", secrets.secret_z85 + " " + "xyz\n",
        secrets.secret_z85 + "-" + secrets.token + "\n",
        secrets.secret_z85 + " " + secrets.token + "0\n"}) {
    write_text(garbage);
    EXPECT_THAT(ReadSecretLine(fds[0]), StatusIs(absl::StatusCode::kInvalidArgument)) << garbage;
    // What is left of a line too long, if any, is the next "line".
    if (garbage.size() > 74) {
      EXPECT_THAT(ReadSecretLine(fds[0]), Not(IsOk()));
    }
  }
  ::close(fds[1]);
  EXPECT_THAT(ReadSecretLine(fds[0]), StatusIs(absl::StatusCode::kUnavailable));
  ::close(fds[0]);
}

TEST(WorkerArgsTest, WritesWhatTheWorkerHasAlwaysBeenGiven) {
  EXPECT_EQ(ToArgv(Full()),
            (std::vector<std::string>{
                "--id=2147483647", "--parent=7", "--parent_endpoint=tcp://127.0.0.1:5001",
                "--heartbeat_ms=250", "--ancestors=3@tcp://127.0.0.1:5000,-1@tcp://127.0.0.1:4999",
                "--controller_pid=4242", "--transport=tcp", "--ipc_dir=/tmp/arbor-y", "--verbose",
                "--lifeline", "--orphans=exit", "--adopt_timeout_ms=3"}));
  // No ancestors (under the controller, or --orphans=exit), no ipc dir, quiet.
  EXPECT_EQ(ToArgv(Minimal()),
            (std::vector<std::string>{"--id=0", "--parent=-1",
                                      "--parent_endpoint=ipc:///tmp/arbor-x/controller",
                                      "--heartbeat_ms=0", "--controller_pid=0", "--transport=ipc",
                                      "--orphans=adopt", "--adopt_timeout_ms=1000"}));
}

TEST(WorkerArgsTest, ParsesTheLenientForms) {
  absl::StatusOr<WorkerArgs> parsed =
      ParseWorkerArgs({"-id=5", "--parent_endpoint=ipc:///a", "--verbose=false", "--id=6"});
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->id, 6);  // the last one counts
  EXPECT_FALSE(parsed->verbose);
  EXPECT_EQ(parsed->parent, kControllerId);
  EXPECT_EQ(parsed->adopt_timeout, absl::Seconds(1));
  EXPECT_TRUE(parsed->adopt_orphans);
  EXPECT_TRUE(parsed->ancestors.empty());
}

TEST(WorkerArgsTest, RejectsBadInput) {
  const std::string kId = "--id=1";
  const std::string kEndpoint = "--parent_endpoint=ipc:///a";
  struct Case {
    std::vector<std::string> argv;
    std::string says;  // part of the message
  };
  const Case kCases[] = {
      {{}, "missing --id"},
      {{kId}, "missing --parent_endpoint"},
      {{kId, "--parent_endpoint="}, "missing --parent_endpoint"},
      {{kEndpoint}, "missing --id"},
      {{kId, kEndpoint, "--colour=red"}, "unknown flag '--colour=red'"},
      {{kId, kEndpoint, "--"}, "unknown flag"},
      {{kId, kEndpoint, "--=3"}, "unknown flag"},
      {{kId, kEndpoint, "extra"}, "unexpected argument 'extra'"},
      {{"--id=x1", kEndpoint}, "bad value 'x1' for --id"},
      {{"--id=", kEndpoint}, "bad value '' for --id"},
      {{"--id", kEndpoint}, "missing value for --id"},
      {{"--id=-1", kEndpoint}, "--id"},
      {{"--id=2147483648", kEndpoint}, "--id"},
      {{kId, kEndpoint, "--parent=-2"}, "--parent"},
      {{kId, kEndpoint, "--parent=1.5"}, "--parent"},
      {{kId, kEndpoint, "--transport=udp"}, "bad value 'udp' for --transport"},
      {{kId, kEndpoint, "--orphans=keep"}, "bad value 'keep' for --orphans"},
      {{kId, kEndpoint, "--adopt_timeout_ms=0"}, "--adopt_timeout_ms"},
      {{kId, kEndpoint, "--adopt_timeout_ms=soon"}, "--adopt_timeout_ms"},
      {{kId, kEndpoint, "--heartbeat_ms=1s"}, "--heartbeat_ms"},
      {{kId, kEndpoint, "--controller_pid=-5"}, "--controller_pid"},
      {{kId, kEndpoint, "--controller_pid=99999999999"}, "--controller_pid"},
      {{kId, kEndpoint, "--verbose=maybe"}, "--verbose"},
      {{kId, kEndpoint, "--lifeline=sometimes"}, "--lifeline"},
      {{kId, kEndpoint, "--ancestors=4@ipc://a"}, "--ancestors"},  // no controller
      {{kId, kEndpoint, "--ancestors=-1@a,4@b"}, "--ancestors"},
  };
  for (const Case& c : kCases) {
    absl::StatusOr<WorkerArgs> parsed = ParseWorkerArgs(c.argv);
    std::string line;
    for (const std::string& a : c.argv) line += a + " ";
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << line;
    EXPECT_NE(parsed.status().message().find(c.says), std::string::npos)
        << line << "-> " << parsed.status().message();
  }
}

TEST(WorkerArgsTest, UsageNamesEveryFlag) {
  std::string usage = WorkerUsage();
  for (const std::string& arg : ToArgv(Full())) {
    std::string name = arg.substr(0, arg.find('='));
    EXPECT_NE(usage.find("  " + name + "  "), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace arbor::launch

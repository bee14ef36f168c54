// arbor::client::Client over CURVE against a real controller (`arbor --listen
// tcp://127.0.0.1:* --client-keys DIR`): the right key works; no key, an
// unlisted key, a wrong server key (and CURVE against a plaintext controller)
// fail with a clear error long before the call's deadline, never a hang.
#include <signal.h>

#include <string>

#include "client/keys.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "transport/key_file.h"

namespace arbor::client {
namespace {

using ::arbor::testing::ArborProcess;
using ::arbor::testing::Get;
using ::arbor::testing::IsOk;
using ::arbor::testing::StatusIs;
using ::arbor::testing::TempDir;
using ::arbor::testing::WaitForFileLine;
using ::arbor::testing::Within;
using Code = absl::StatusCode;

// A controller serving over CURVE on loopback tcp, with keys for "alice" in
// its --client-keys directory, and a key pair ("mallory") that is not there.
class CurveClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string keys = dir_.path() + "/clients";
    ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
    ASSERT_THAT(transport::WriteKeyPair(keys + "/alice"), IsOk());
    // The secret stays with the client; the directory holds only alice.pub.
    ASSERT_EQ(rename((keys + "/alice").c_str(), (dir_.path() + "/alice").c_str()), 0);
    ASSERT_THAT(transport::WriteKeyPair(dir_.path() + "/mallory"), IsOk());
    std::string file = dir_.path() + "/endpoint";
    arbor_.emplace(std::vector<std::string>{"--listen=tcp://127.0.0.1:*", "--no-stdin",
                                            "--client-keys=" + keys, "--endpoint-file=" + file});
    ASSERT_FALSE(WaitForFileLine(dir_.path(), file, Within()).empty()) << arbor_->Stderr();
    absl::StatusOr<EndpointFile> endpoint = ReadEndpointFile(file);
    ASSERT_THAT(endpoint, IsOk());
    endpoint_ = *endpoint;
    ASSERT_FALSE(endpoint_.server_public_z85.empty()) << "the endpoint file's second line";
  }

  void TearDown() override {
    if (!arbor_) return;
    arbor_->Kill(SIGTERM);
    EXPECT_EQ(arbor_->WaitExit(), 0);
    EXPECT_TRUE(arbor_->NoWorkerLeft());
  }

  CurveKeys Keys(const std::string& name, const std::string& server_key) {
    absl::StatusOr<CurveKeys> keys = LoadCurveKeys(dir_.path() + "/" + name, server_key);
    EXPECT_THAT(keys, IsOk());
    return keys.value_or(CurveKeys{});
  }

  std::unique_ptr<Client> Connect(std::optional<CurveKeys> curve, const std::string& endpoint) {
    ClientOptions options;
    options.curve = std::move(curve);
    auto client = Client::Connect(endpoint, options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? std::move(*client) : nullptr;
  }

  // A call in flight while the handshake fails, then one made after: both
  // fail with `code` and `words`, well before their 5 s deadline.
  void ExpectRefused(Client& client, Code code, const std::string& words) {
    CallOptions patient{.timeout = absl::Seconds(5)};
    absl::Time start = absl::Now();
    absl::StatusOr<CreateResult> created = Get(client.Create(1, kControllerId, patient));
    EXPECT_THAT(created, StatusIs(code));
    EXPECT_NE(created.status().message().find(words), std::string::npos) << created.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(4)) << "detected, not timed out";
    start = absl::Now();
    absl::StatusOr<ExecResult> later = Get(client.Exec(1, "k", patient));
    EXPECT_THAT(later, StatusIs(code));
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "a later call fails at once";
    EXPECT_EQ(client.counters().answered, 0u);
  }

  TempDir dir_;  // first: outlives the controller
  std::optional<ArborProcess> arbor_;
  EndpointFile endpoint_;
};

TEST_F(CurveClientTest, TheListedKeyCreatesAndExecs) {
  auto client = Connect(Keys("alice", endpoint_.server_public_z85), endpoint_.endpoint);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<CreateResult> created = Get(client->Create(1));
  ASSERT_THAT(created, IsOk());
  arbor_->SignalWorker(static_cast<pid_t>(created->pid), 0);
  EXPECT_THAT(Get(client->Exec(1, "k", 42)), IsOk());
  absl::StatusOr<ExecResult> loaded = Get(client->Exec(1, "k"));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->value, 42);
}

TEST_F(CurveClientTest, NoKeyIsToldTheControllerRequiresCurve) {
  auto client = Connect(std::nullopt, endpoint_.endpoint);
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, Code::kUnauthenticated, "requires a CURVE key pair");
}

TEST_F(CurveClientTest, AnUnlistedKeyIsRefused) {
  auto client = Connect(Keys("mallory", endpoint_.server_public_z85), endpoint_.endpoint);
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, Code::kPermissionDenied,
                "authentication failed: the controller refused this client's key");
}

TEST_F(CurveClientTest, AWrongServerKeyIsTold) {
  absl::StatusOr<transport::CurveKeyPair> other = transport::GenerateCurveKeyPair();
  ASSERT_THAT(other, IsOk());
  auto client = Connect(Keys("alice", other->public_z85), endpoint_.endpoint);
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, Code::kUnauthenticated,
                "authentication failed: the server's key does not match");
}

TEST_F(CurveClientTest, CurveAgainstAPlaintextControllerIsTold) {
  std::string file = dir_.path() + "/plain-endpoint";
  ArborProcess plain({"--listen=tcp://127.0.0.1:*", "--no-stdin", "--endpoint-file=" + file});
  std::string endpoint = WaitForFileLine(dir_.path(), file, Within());
  ASSERT_FALSE(endpoint.empty());
  absl::StatusOr<EndpointFile> read = ReadEndpointFile(file);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->server_public_z85, "") << "no second line without CURVE";
  auto client = Connect(Keys("alice", endpoint_.server_public_z85), endpoint);
  ASSERT_NE(client, nullptr);
  ExpectRefused(*client, Code::kUnauthenticated,
                "the server's key does not match (or the controller does not use CURVE)");
  plain.Kill(SIGTERM);
  EXPECT_EQ(plain.WaitExit(), 0);
}

TEST_F(CurveClientTest, BadKeysAreRefusedAtConnect) {
  CurveKeys alice = Keys("alice", endpoint_.server_public_z85);
  CurveKeys mallory = Keys("mallory", endpoint_.server_public_z85);
  for (CurveKeys bad : {CurveKeys{alice.public_z85, mallory.secret_z85, alice.server_public_z85},
                        CurveKeys{"short", alice.secret_z85, alice.server_public_z85},
                        CurveKeys{alice.public_z85, "", alice.server_public_z85},
                        CurveKeys{alice.public_z85, alice.secret_z85, "x"}}) {
    ClientOptions options;
    options.curve = bad;
    EXPECT_THAT(Client::Connect(endpoint_.endpoint, options), StatusIs(Code::kInvalidArgument));
  }
  EXPECT_THAT(LoadCurveKeys(dir_.path() + "/nobody", alice.server_public_z85),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(LoadCurveKeys(dir_.path() + "/alice", "not a key"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ReadEndpointFile(dir_.path() + "/nothing"), StatusIs(Code::kNotFound));
}

}  // namespace
}  // namespace arbor::client

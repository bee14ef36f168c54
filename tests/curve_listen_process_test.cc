// The controller's side of CURVE on the client endpoint, as a user meets it:
// `arbor keygen`, --client-keys and --server-key refused or accepted at start
// with a clear line, the endpoint file's second line, and the rule that a
// non-loopback listen needs keys (or --insecure-listen).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/keys.h"
#include "gtest/gtest.h"
#include "harness/client_session.h"
#include "harness/files.h"
#include "harness/refused.h"
#include "transport/curve.h"
#include "transport/key_file.h"

namespace arbor::testing {
namespace {

using client::EndpointFile;
using client::ReadEndpointFile;

TEST(KeygenProcessTest, WritesAPairOnceAndRefusesBadUsage) {
  TempDir dir;
  std::string path = dir.path() + "/alice";
  Outcome made = RunArbor({"keygen", path});
  EXPECT_EQ(made.status, 0) << made.stderr_text;
  EXPECT_EQ(made.stderr_text, "") << "silent on success";
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + ".pub"), 0644u);
  absl::StatusOr<std::string> secret = transport::ReadKeyFile(path);
  absl::StatusOr<std::string> pub = transport::ReadKeyFile(path + ".pub");
  ASSERT_THAT(secret, IsOk());
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(transport::PublicFromSecret(*secret).value_or(""), *pub);

  // Never overwritten: the same pair is still there.
  ExpectRefused({"keygen", path}, 1, path);
  EXPECT_EQ(transport::ReadKeyFile(path).value_or(""), *secret);
  EXPECT_EQ(transport::ReadKeyFile(path + ".pub").value_or(""), *pub);

  ExpectRefused({"keygen"}, 2, "usage: arbor keygen PATH");
  ExpectRefused({"keygen", path + "2", "extra"}, 2, "usage: arbor keygen PATH");
  ExpectRefused({"keygen", "--help"}, 2, "usage: arbor keygen PATH");
  ExpectRefused({"keygen", dir.path() + "/no/such/dir/k"}, 1, "no/such/dir/k");
}

TEST(CurveListenProcessTest, BadKeyDirectoriesAreRefusedAtStart) {
  TempDir dir;
  std::string listen = "--listen=ipc://" + dir.path() + "/c";
  ExpectRefused({listen, "--client-keys=" + dir.path() + "/missing"}, 1, dir.path() + "/missing");
  std::string empty = dir.path() + "/empty";
  ASSERT_EQ(mkdir(empty.c_str(), 0700), 0);
  ExpectRefused({listen, "--client-keys=" + empty}, 1, "no key files");
  std::string bad = dir.path() + "/bad";
  ASSERT_EQ(mkdir(bad.c_str(), 0700), 0);
  ASSERT_THAT(transport::WriteKeyPair(bad + "/alice"), IsOk());
  std::filesystem::remove(bad + "/alice");
  WriteFile(bad + "/bob.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq\n");
  ExpectRefused({listen, "--client-keys=" + bad}, 1, bad + "/bob.pub");
  ExpectRefused({listen, "--client-keys=" + bad}, 1, "not a Z85 CURVE key");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/c")) << "nothing was bound";

  std::filesystem::remove(bad + "/bob.pub");
  ExpectRefused({listen, "--client-keys=" + bad, "--server-key=" + dir.path() + "/nokey"}, 1,
                dir.path() + "/nokey");
  // A public key parses as a secret one: refused by its name.
  ExpectRefused({listen, "--client-keys=" + bad, "--server-key=" + bad + "/alice.pub"}, 1,
                "is a public key file");
  std::string loose = dir.path() + "/loose";
  WriteFile(loose, transport::GenerateCurveKeyPair()->secret_z85 + "\n");
  chmod(loose.c_str(), 0640);
  ExpectRefused({listen, "--client-keys=" + bad, "--server-key=" + loose}, 1,
                "may be read by others (mode 0640)");
}

TEST(CurveListenProcessTest, FlagsThatContradictOrNeedAnother) {
  TempDir dir;
  std::string keys = dir.path() + "/keys";
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  ASSERT_THAT(transport::WriteKeyPair(keys + "/alice"), IsOk());
  std::string listen = "--listen=tcp://127.0.0.1:*";
  ExpectRefused({listen, "--client-keys=" + keys, "--insecure-listen"}, 2, "contradict");
  ExpectRefused({"--client-keys=" + keys}, 2, "--client-keys needs --listen");
  ExpectRefused({listen, "--server-key=" + keys + "/alice"}, 2, "--server-key needs --client-keys");
}

TEST(CurveListenProcessTest, NonLoopbackNeedsKeysOrInsecure) {
  ExpectRefused({"--listen=tcp://0.0.0.0:*"}, 1, "add --client-keys DIR");
  ExpectRefused({"--listen=tcp://192.0.2.1:*"}, 1, "not loopback");
}

// A controller with --client-keys on `listen` writes its endpoint file: line 1
// the endpoint as ever, line 2 the server key.
EndpointFile StartAndRead(TempDir& dir, std::vector<std::string> flags,
                          std::optional<ArborProcess>& arbor) {
  std::string file = dir.path() + "/endpoint";
  std::filesystem::remove(file);
  flags.push_back("--endpoint-file=" + file);
  flags.push_back("--no-stdin");
  arbor.emplace(flags);
  EXPECT_FALSE(WaitForFileLine(dir.path(), file, Within()).empty()) << arbor->Stderr();
  absl::StatusOr<EndpointFile> read = ReadEndpointFile(file);
  EXPECT_THAT(read, IsOk());
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, read->endpoint + "\ncurve-server-key " + read->server_public_z85 + "\n");
  return read.value_or(EndpointFile{});
}

TEST(CurveListenProcessTest, EndpointFileCarriesTheServerKey) {
  TempDir dir;
  std::string keys = dir.path() + "/keys";
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  ASSERT_THAT(transport::WriteKeyPair(keys + "/alice"), IsOk());
  std::filesystem::rename(keys + "/alice", dir.path() + "/alice");
  std::optional<ArborProcess> arbor;

  // Per run by default: two runs, two keys.
  EndpointFile first =
      StartAndRead(dir, {"--listen=ipc://" + dir.path() + "/c", "--client-keys=" + keys}, arbor);
  EXPECT_EQ(first.endpoint, "ipc://" + dir.path() + "/c");
  EXPECT_TRUE(transport::IsZ85Key(first.server_public_z85));
  arbor->Kill(SIGTERM);
  EXPECT_EQ(arbor->WaitExit(), 0);
  // Announced after the file is in place: all of stderr is there once it exited.
  EXPECT_NE(arbor->Stderr().find(first.server_public_z85), std::string::npos);
  EndpointFile second =
      StartAndRead(dir, {"--listen=tcp://127.0.0.1:*", "--client-keys=" + keys}, arbor);
  EXPECT_TRUE(second.endpoint.starts_with("tcp://127.0.0.1:")) << second.endpoint;
  EXPECT_NE(second.server_public_z85, first.server_public_z85);
  arbor->Kill(SIGTERM);
  EXPECT_EQ(arbor->WaitExit(), 0);

  // --server-key: the key of that file, every run; and a non-loopback address
  // is accepted with keys (0.0.0.0 binds loopback too; the test talks there).
  ASSERT_THAT(transport::WriteKeyPair(dir.path() + "/server"), IsOk());
  std::string server_public = transport::ReadKeyFile(dir.path() + "/server.pub").value_or("");
  EndpointFile stable = StartAndRead(dir,
                                     {"--listen=tcp://0.0.0.0:*", "--client-keys=" + keys,
                                      "--server-key=" + dir.path() + "/server"},
                                     arbor);
  EXPECT_EQ(stable.server_public_z85, server_public);
  std::string port = stable.endpoint.substr(stable.endpoint.rfind(':') + 1);
  absl::StatusOr<client::CurveKeys> alice =
      client::LoadCurveKeys(dir.path() + "/alice", stable.server_public_z85);
  ASSERT_THAT(alice, IsOk());
  client::ClientOptions options;
  options.curve = *alice;
  auto client = client::Client::Connect("tcp://127.0.0.1:" + port, options);
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<client::CreateResult> created = Get((*client)->Create(3));
  ASSERT_THAT(created, IsOk());
  arbor->SignalWorker(static_cast<pid_t>(created->pid), 0);
  EXPECT_THAT(Get((*client)->Exec(3, "k", 1)), IsOk());
  arbor->Kill(SIGTERM);
  EXPECT_EQ(arbor->WaitExit(), 0);
  EXPECT_TRUE(arbor->NoWorkerLeft());
}

}  // namespace
}  // namespace arbor::testing

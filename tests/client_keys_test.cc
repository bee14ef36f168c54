// endpoint/client_keys.h: the --client-keys directory and its ZAP policy.
#include "endpoint/client_keys.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "harness/curve_rig.h"
#include "harness/files.h"
#include "status_matchers.h"

namespace arbor::endpoint {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::NewKeys;
using ::arbor::testing::StatusIs;
using ::arbor::testing::TempDir;
using ::arbor::testing::WriteFile;
using Code = absl::StatusCode;

// The error of loading `dir`, which must mention `part`.
void ExpectRefused(const std::string& dir, const std::string& part) {
  absl::StatusOr<ClientKeys> keys = LoadClientKeys(dir);
  ASSERT_FALSE(keys.ok()) << "accepted " << dir;
  EXPECT_NE(keys.status().message().find(part), std::string::npos) << keys.status();
}

TEST(ClientKeysTest, EachFileOneClientNamedAfterIt) {
  TempDir dir;
  std::string alice = NewKeys().public_z85;
  std::string bob = NewKeys().public_z85;
  WriteFile(dir.path() + "/alice.pub", alice + "\n");
  WriteFile(dir.path() + "/bob", "# bob's build box\n  " + bob + "  \n");
  WriteFile(dir.path() + "/.alice.pub.swp", "editor junk");  // hidden: ignored
  std::filesystem::create_directory(dir.path() + "/old");    // not a file: ignored
  WriteFile(dir.path() + "/old/carol", "junk");
  std::filesystem::create_symlink(dir.path() + "/bob", dir.path() + "/.link");
  absl::StatusOr<ClientKeys> keys = LoadClientKeys(dir.path());
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->at(alice), "alice");
  EXPECT_EQ(keys->at(bob), "bob");

  transport::ZapPolicy policy = ClientKeyPolicy(*keys);
  EXPECT_EQ(policy({"arbor-clients", "127.0.0.1", alice}), "alice");
  EXPECT_EQ(policy({"arbor-clients", "127.0.0.1", bob}), "bob");
  EXPECT_EQ(policy({"arbor-clients", "127.0.0.1", NewKeys().public_z85}), std::nullopt);
}

TEST(ClientKeysTest, BadDirectoriesAndFilesAreRefusedByName) {
  TempDir dir;
  ExpectRefused(dir.path() + "/missing", dir.path() + "/missing");
  ExpectRefused(dir.path(), "no key files");
  WriteFile(dir.path() + "/.hidden", NewKeys().public_z85);
  ExpectRefused(dir.path(), "no key files");

  WriteFile(dir.path() + "/carol", "not a key\n");
  ExpectRefused(dir.path(), dir.path() + "/carol");
  ExpectRefused(dir.path(), "not a Z85 CURVE key");
  std::filesystem::remove(dir.path() + "/carol");

  std::string key = NewKeys().public_z85;
  WriteFile(dir.path() + "/dave", key + "\n" + NewKeys().public_z85 + "\n");
  ExpectRefused(dir.path(), "more than one key");
  WriteFile(dir.path() + "/dave", key);
  WriteFile(dir.path() + "/erin", key);
  ExpectRefused(dir.path(), "same key");
  WriteFile(dir.path() + "/erin", NewKeys().public_z85);
  WriteFile(dir.path() + "/erin.pub", NewKeys().public_z85);
  ExpectRefused(dir.path(), "both name client 'erin'");
  std::filesystem::remove(dir.path() + "/erin.pub");
  ASSERT_THAT(LoadClientKeys(dir.path()), IsOk());

  if (geteuid() != 0) {  // root reads anything
    chmod((dir.path() + "/dave").c_str(), 0);
    ExpectRefused(dir.path(), dir.path() + "/dave");
  }
}

}  // namespace
}  // namespace arbor::endpoint

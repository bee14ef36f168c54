// transport/key_file.h: the key text format, reading key files, and the key
// pair `arbor keygen` writes (modes, O_EXCL, the public half matching).
#include "transport/key_file.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "harness/files.h"
#include "status_matchers.h"
#include "transport/curve.h"

namespace arbor::transport {
namespace {

using ::arbor::testing::IsOk;
using ::arbor::testing::ModeOf;
using ::arbor::testing::StatusIs;
using ::arbor::testing::TempDir;
using ::arbor::testing::WriteFile;
using Code = absl::StatusCode;

constexpr char kKey[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

TEST(KeyFileTest, ParseKeyText) {
  ASSERT_TRUE(IsZ85Key(kKey));
  struct Case {
    std::string text;
    bool ok;
    std::string why;  // part of the error message
  };
  std::string key = kKey;
  for (const Case& c : std::vector<Case>{
           {key, true, ""},
           {key + "\n", true, ""},
           {"  " + key + " \r\n\n", true, ""},
           {"# alice's laptop\n" + key + "\n# end\n", true, ""},
           {"\t# comment\n\n" + key, true, ""},
           {"", false, "no key"},
           {"# only a comment\n\n", false, "no key"},
           {key + "\n" + key + "\n", false, "more than one key"},
           {key.substr(0, 39), false, "not a Z85 CURVE key"},
           {key + "x", false, "not a Z85 CURVE key"},
           {std::string(40, '~'), false, "not a Z85 CURVE key"},
           {key.substr(0, 20) + " " + key.substr(20), false, "not a Z85 CURVE key"},
       }) {
    absl::StatusOr<std::string> parsed = ParseKeyText(c.text);
    if (c.ok) {
      ASSERT_THAT(parsed, IsOk()) << "'" << c.text << "'";
      EXPECT_EQ(*parsed, key);
    } else {
      EXPECT_THAT(parsed, StatusIs(Code::kInvalidArgument)) << "'" << c.text << "'";
      EXPECT_NE(parsed.status().message().find(c.why), std::string::npos) << parsed.status();
    }
  }
}

TEST(KeyFileTest, ReadKeyFileNamesThePath) {
  TempDir dir;
  std::string good = dir.path() + "/good";
  WriteFile(good, std::string("# a key\n") + kKey + "\n");
  EXPECT_EQ(ReadKeyFile(good).value_or(""), kKey);

  std::string missing = dir.path() + "/missing";
  absl::StatusOr<std::string> read = ReadKeyFile(missing);
  EXPECT_THAT(read, StatusIs(Code::kNotFound));
  EXPECT_NE(read.status().message().find(missing), std::string::npos) << read.status();

  std::string bad = dir.path() + "/bad";
  WriteFile(bad, "hello\n");
  read = ReadKeyFile(bad);
  EXPECT_THAT(read, StatusIs(Code::kInvalidArgument));
  EXPECT_NE(read.status().message().find(bad), std::string::npos) << read.status();

  std::string big = dir.path() + "/big";
  WriteFile(big, std::string(kMaxKeyFileBytes + 1, '#'));
  EXPECT_THAT(ReadKeyFile(big), StatusIs(Code::kFailedPrecondition));

  EXPECT_THAT(ReadKeyFile(dir.path()), ::testing::Not(IsOk())) << "a directory";
}

TEST(KeyFileTest, ReadSecretKeyFileRefusesPublicAndLooseFiles) {
  TempDir dir;
  std::string path = dir.path() + "/k";
  ASSERT_THAT(WriteKeyPair(path), IsOk());
  EXPECT_THAT(ReadSecretKeyFile(path), IsOk());
  EXPECT_THAT(ReadSecretKeyFile(path + ".pub"), StatusIs(Code::kInvalidArgument));
  chmod(path.c_str(), 0604);
  absl::StatusOr<std::string> loose = ReadSecretKeyFile(path);
  EXPECT_THAT(loose, StatusIs(Code::kFailedPrecondition));
  EXPECT_NE(loose.status().message().find("mode 0604"), std::string::npos) << loose.status();
  EXPECT_THAT(ReadSecretKeyFile(dir.path() + "/none"), StatusIs(Code::kNotFound));
}

TEST(KeyFileTest, WriteKeyPairModesAndMatchingHalves) {
  TempDir dir;
  std::string path = dir.path() + "/alice";
  mode_t old_umask = umask(0);  // the modes must not depend on the umask
  absl::StatusOr<CurveKeyPair> keys = WriteKeyPair(path);
  umask(old_umask);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + ".pub"), 0644u);
  absl::StatusOr<std::string> secret = ReadKeyFile(path);
  absl::StatusOr<std::string> pub = ReadKeyFile(path + ".pub");
  ASSERT_THAT(secret, IsOk());
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(*secret, keys->secret_z85);
  EXPECT_EQ(*pub, keys->public_z85);
  EXPECT_EQ(PublicFromSecret(*secret).value_or(""), *pub);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, *secret + "\n");
}

TEST(KeyFileTest, WriteKeyPairNeverOverwrites) {
  TempDir dir;
  std::string path = dir.path() + "/k";
  WriteFile(path, "precious\n");
  absl::StatusOr<CurveKeyPair> keys = WriteKeyPair(path);
  EXPECT_THAT(keys, StatusIs(Code::kAlreadyExists));
  EXPECT_NE(keys.status().message().find(path), std::string::npos) << keys.status();
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "precious\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".pub"));

  // PATH.pub in the way: PATH is not left behind either.
  std::string other = dir.path() + "/o";
  WriteFile(other + ".pub", "x\n");
  EXPECT_THAT(WriteKeyPair(other), StatusIs(Code::kAlreadyExists));
  EXPECT_FALSE(std::filesystem::exists(other));

  EXPECT_THAT(WriteKeyPair(dir.path() + "/no/such/dir/k"), StatusIs(Code::kNotFound));
}

}  // namespace
}  // namespace arbor::transport

// `--hosts FILE` as a user meets it without network namespaces: a file that
// cannot be read or parsed is refused at start with one line, and a host named
// by a DNS name works (a launcher that runs the worker right here, `env`).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/files.h"
#include "harness/refused.h"

namespace arbor::testing {
namespace {

TEST(HostsFlagProcessTest, AFileThatCannotBeReadOrParsedIsRefused) {
  TempDir dir;
  ExpectRefused({"--hosts", dir.path()}, 2,
                "cannot read --hosts " + dir.path() + ": Is a directory");
  ExpectRefused({"--hosts", dir.path() + "/none"}, 2, "No such file or directory");
  std::string bad = dir.path() + "/bad";
  WriteFile(bad, "local 10.200.0.1\nh1 0.0.0.0 env\n");
  ExpectRefused({"--hosts", bad}, 2, absl::StrCat("--hosts ", bad, ": line 2: '0.0.0.0'"));
}

TEST(HostsFlagProcessTest, AnAddressThatDoesNotResolveStopsTheStart) {
  TempDir dir;
  std::string path = dir.path() + "/hosts";
  // A label over 63 characters: no resolver answers it (and none is asked).
  std::string name = std::string(70, 'a') + ".example";
  WriteFile(path, absl::StrCat("local ", name, "\nh1 127.0.0.1 env\n"));
  Outcome outcome = RunArbor({"--hosts", path});
  EXPECT_NE(outcome.status, 0);
  EXPECT_NE(outcome.stderr_text.find("cannot resolve '" + name + "'"), std::string::npos)
      << outcome.stderr_text;
}

// `localhost` is a DNS name (libzmq binds no name over tcp): the controller
// and a worker on h1 resolve it, and the tree works over CURVE on loopback.
TEST(HostsFlagProcessTest, AHostNamedByADnsNameWorks) {
  TempDir dir;
  std::string path = dir.path() + "/hosts";
  WriteFile(path, "local localhost\nh1 localhost env\n");
  ArborProcess arbor({"--sync", "--hosts", path});
  ASSERT_TRUE(arbor.started());
  pid_t p1, p2;
  ASSERT_TRUE(arbor.Create("1 @h1", &p1));
  ASSERT_TRUE(arbor.Create("2 1", &p2));
  EXPECT_TRUE(arbor.ExpectAnswers(
      {{"exec 2 k 5", "Ok:2"}, {"exec 2 k", "Ok:2: 5"}, {"hosts", "local localhost nodes=0"}}));
  EXPECT_TRUE(arbor.ExpectLine("h1 localhost nodes=2"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

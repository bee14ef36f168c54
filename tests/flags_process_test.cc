// The controller's flags as a user meets them (DESIGN §8, command-line
// hygiene): a stray argument or a value out of range is refused with one
// `arbor: ...` line and exit 2; values at the edges of their range start.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/arbor_process.h"
#include "harness/refused.h"

namespace arbor::testing {
namespace {

TEST(FlagsProcessTest, AStrayArgumentIsRefused) {
  // Not read as a script: commands come on stdin.
  ExpectRefused({"script.txt"}, 2, "unexpected argument 'script.txt'");
  ExpectRefused({"--sync", "extra"}, 2, "unexpected argument 'extra'");
}

TEST(FlagsProcessTest, ValuesOutOfRangeAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--timeout-ms=-5", "--timeout-ms must be between 1 and 86400000, not -5"},
      {"--timeout-ms=0", "--timeout-ms must be between 1 and 86400000, not 0"},
      {"--hello-timeout-ms=86400001", "--hello-timeout-ms must be between 1 and 86400000"},
      {"--max-in-flight=0", "--max-in-flight must be between 1 and 1048576, not 0"},
      {"--max-client-in-flight=-1", "--max-client-in-flight must be between 1 and 1048576"},
      {"--max-node-in-flight=2000000", "--max-node-in-flight must be between 1 and 1048576"},
      {"--adopt-timeout-ms=60001", "--adopt-timeout-ms must be between 1 and 60000, not 60001"},
      {"--orphans=never", "--orphans must be adopt or exit, not 'never'"},
      {"--transport=udp", "udp"},
  };
  for (const auto& [flag, words] : cases) ExpectRefused({flag}, 2, words);
}

TEST(FlagsProcessTest, TheEdgesOfEachRangeStart) {
  ArborProcess arbor({"--timeout-ms=1", "--hello-timeout-ms=86400000", "--max-in-flight=1",
                      "--max-client-in-flight=1048576", "--max-node-in-flight=1",
                      "--adopt-timeout-ms=60000"});
  ASSERT_TRUE(arbor.started());
  arbor.Send("ping 1");
  EXPECT_TRUE(arbor.ExpectLine("Error: Not found"));
  EXPECT_TRUE(arbor.FinishCleanly());
}

}  // namespace
}  // namespace arbor::testing

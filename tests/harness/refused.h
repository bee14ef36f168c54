// `arbor` run to its exit with some flags, for tests of what it refuses at
// start (one `arbor: ...` line on stderr, an exit status, nothing left behind).
#ifndef ARBOR_TESTS_HARNESS_REFUSED_H_
#define ARBOR_TESTS_HARNESS_REFUSED_H_

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/arbor_process.h"

namespace arbor::testing {

// Runs `arbor flags...` to its exit: its status and its stderr.
struct Outcome {
  std::optional<int> status;
  std::string stderr_text;
};
inline Outcome RunArbor(std::vector<std::string> flags) {
  ArborProcess arbor(std::move(flags));
  arbor.CloseStdin();
  Outcome outcome;
  outcome.status = arbor.WaitExit();
  outcome.stderr_text = arbor.Stderr();
  EXPECT_TRUE(arbor.NoWorkerLeft());
  EXPECT_TRUE(arbor.TmpdirEntries().empty()) << "nothing left behind";
  return outcome;
}

// `flags` are refused at start: exit `status`, and stderr says `words`.
inline void ExpectRefused(std::vector<std::string> flags, int status, const std::string& words) {
  std::string shown;
  for (const std::string& f : flags) shown += f + " ";
  Outcome outcome = RunArbor(std::move(flags));
  EXPECT_EQ(outcome.status, status) << shown << "\n" << outcome.stderr_text;
  EXPECT_NE(outcome.stderr_text.find(words), std::string::npos)
      << shown << "\nstderr: " << outcome.stderr_text;
  EXPECT_TRUE(outcome.stderr_text.starts_with("arbor: ")) << outcome.stderr_text;
}

}  // namespace arbor::testing

#endif  // ARBOR_TESTS_HARNESS_REFUSED_H_

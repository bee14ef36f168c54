// The test binary's main: it is a subreaper (PID 1 here does not reap orphans),
// so every worker a test leaves behind is ours to reap.
#include <sys/prctl.h>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

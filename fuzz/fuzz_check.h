// The fuzzers' assertion: unlike assert() it stays on in optimized builds, and
// abort() is what libFuzzer reports as a crash (with the input saved).
#ifndef ARBOR_FUZZ_FUZZ_CHECK_H_
#define ARBOR_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define ARBOR_FUZZ_CHECK(condition)                                                  \
  do {                                                                               \
    if (!(condition)) {                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

#endif  // ARBOR_FUZZ_FUZZ_CHECK_H_

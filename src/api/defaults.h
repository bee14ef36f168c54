// The defaults the controller and its clients must agree on, defined once: the
// controller's options (controller/options.h), its flags (tools/arbor_main.cc)
// and the C++ client's options (client/options.h) take them from here.
#ifndef ARBOR_API_DEFAULTS_H_
#define ARBOR_API_DEFAULTS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace arbor::api {

// Deadline of exec, ping, remove, and of asking a parent whether it can take a
// child (--timeout-ms).
inline constexpr absl::Duration kRequestTimeout = absl::Seconds(1);
// How long a spawned worker has to say Hello (--hello-timeout-ms).
inline constexpr absl::Duration kHelloTimeout = absl::Seconds(4);
// A create's whole default deadline: asking the parent, then the Hello.
inline constexpr absl::Duration kCreateTimeout = absl::Seconds(5);
// (kRequestTimeout + kHelloTimeout: abseil 20220623 has no constexpr operator+.)
// Calls one client may have in flight (--max-client-in-flight).
inline constexpr int kMaxClientInFlight = 4096;
// Calls in flight to one node, all callers together (--max-node-in-flight).
inline constexpr int kMaxNodeInFlight = 4096;
// Command-line lines read but not yet answered (--max-in-flight).
inline constexpr size_t kMaxCliInFlight = 1024;
// A command line longer than this is answered with an error.
inline constexpr size_t kMaxLineBytes = 1 << 16;
// How long an orphan waits for an ancestor before trying the next one up
// (--adopt-timeout-ms).
inline constexpr absl::Duration kAdoptTimeout = absl::Seconds(1);

}  // namespace arbor::api

#endif  // ARBOR_API_DEFAULTS_H_

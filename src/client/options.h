// Every knob of the C++ client, with its default: one Client's options and one
// call's options.
#ifndef ARBOR_CLIENT_OPTIONS_H_
#define ARBOR_CLIENT_OPTIONS_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "api/defaults.h"
#include "transport/socket_options.h"

namespace arbor::client {

// CURVE keys, all Z85 text (40 characters): this client's pair and the
// controller's public key. keys.h reads them from the files `arbor keygen`
// and `--endpoint-file` write.
struct CurveKeys {
  std::string public_z85;
  std::string secret_z85;         // never logged
  std::string server_public_z85;  // the endpoint file's `curve-server-key`
};

struct ClientOptions {
  // The timeout of a call whose CallOptions.timeout is zero. Zero (the default):
  // send budget_ms 0, so the controller applies its own deadlines, and wait
  // locally as long as those (the two knobs below) plus `reply_grace`.
  absl::Duration default_timeout = absl::ZeroDuration();
  // The controller's default deadlines (docs/CLIENT_PROTOCOL.md), used for the
  // local deadline of a call sent with budget_ms 0: exec, ping and remove ...
  absl::Duration controller_request_timeout = api::kRequestTimeout;
  // ... and create (1 s to reach the parent + 4 s for the worker's Hello).
  absl::Duration controller_create_timeout = api::kCreateTimeout;
  // Topology, stats, heartbeat, watch and unwatch are answered by the controller
  // itself; with no timeout of their own they wait this long.
  absl::Duration controller_call_timeout = absl::Seconds(5);
  // How long after a call's budget the client still waits for the controller's
  // own answer (which may be DEADLINE_EXCEEDED with a message) before it
  // resolves the call with DEADLINE_EXCEEDED itself.
  absl::Duration reply_grace = absl::Milliseconds(250);
  // Calls this client has in flight at most; more resolve RESOURCE_EXHAUSTED at
  // once, unsent. Matches the controller's --max-client-in-flight default, so
  // the controller never holds more answers for us than our queue takes
  // (a reply it cannot queue is lost, and its call waits for its deadline).
  int max_in_flight = api::kMaxClientInFlight;
  // CURVE, for a controller started with --client-keys (its directory must
  // hold `curve->public_z85`). Unset: plaintext. A key that is not Z85, or a
  // public key that is not the secret key's, makes Connect INVALID_ARGUMENT.
  // A refused handshake fails the calls in flight and every later one at once
  // (until a handshake succeeds): PERMISSION_DENIED when the controller refused
  // this key, UNAUTHENTICATED when the server's key does not match (or the
  // controller does not use CURVE), or it requires CURVE and this is unset.
  std::optional<CurveKeys> curve;
  // The DEALER's options (queue limits, message size, ZMTP heartbeats,
  // reconnect period). Its routing id is chosen per Client, never shared.
  transport::SocketOptions socket;
};

struct CallOptions {
  // The call's deadline from the moment it is made; sent as budget_ms. Zero:
  // ClientOptions.default_timeout.
  absl::Duration timeout = absl::ZeroDuration();
};

}  // namespace arbor::client

#endif  // ARBOR_CLIENT_OPTIONS_H_

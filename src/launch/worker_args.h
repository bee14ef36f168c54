// The controller -> worker command line: one codec both sides use (ToArgv in
// the controller, ParseWorkerArgs in arbor-worker's main).
#ifndef ARBOR_LAUNCH_WORKER_ARGS_H_
#define ARBOR_LAUNCH_WORKER_ARGS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/defaults.h"
#include "common/ids.h"
#include "transport/endpoints.h"
#include "wire/lineage.h"

namespace arbor::launch {

// Everything a worker's main learns from the controller. The defaults are what
// a worker assumes for a flag that is absent.
struct WorkerArgs {
  NodeId id = -1;                 // --id: required, a worker id (0 .. kMaxNodeId)
  NodeId parent = kControllerId;  // --parent: the parent's id (-1: the controller)
  // How the parent is reached (wire/lineage.h's Ancestor): --parent_endpoint,
  // its plain ROUTER (empty for a parent on another host), and
  // --parent_curve_endpoint with --parent_key (Z85 here, hex on the command
  // line), its CURVE ROUTER; at least one endpoint is required.
  std::string parent_endpoint;
  std::string parent_curve_endpoint;
  std::string parent_key;
  // --host: the host this worker runs on (hosts/hosts_file.h). On "local", the
  // controller's host, it binds a plain ROUTER (ipc or loopback tcp) for the
  // children there; elsewhere it has only the CURVE one.
  std::string host = "local";
  // --curve_address: bind a CURVE ROUTER at tcp://ADDRESS:* for children on
  // other hosts (and all children, off "local"); empty: none (one host).
  std::string curve_address;
  // --ancestors: beyond the parent, nearest first, ending with the controller
  // (wire/lineage.h's format); empty (the flag absent) for none.
  std::vector<wire::Ancestor> ancestors;
  transport::Transport transport = transport::Transport::kIpc;  // --transport: ipc or tcp
  std::string ipc_dir;  // --ipc_dir: where the worker's ipc endpoint goes
  // --heartbeat_ms: the period until the parent says otherwise; zero = off.
  absl::Duration heartbeat = absl::ZeroDuration();
  pid_t controller_pid = 0;  // --controller_pid: exit at once unless our parent
  bool verbose = false;      // --verbose: log more on stderr
  // --lifeline: stdin is a pipe the controller holds (through a launcher, on
  // another host); its EOF means the controller is gone, and the worker exits.
  // With CURVE (a curve address or a parent key) the first line on it is the
  // worker's secret key (SecretLine), and --lifeline is required.
  bool lifeline = false;
  bool adopt_orphans = true;  // --orphans=adopt|exit: when the parent is gone
  // --adopt_timeout_ms: how long an ancestor may take to answer before the next
  // one up is tried; positive.
  absl::Duration adopt_timeout = api::kAdoptTimeout;

  bool operator==(const WorkerArgs&) const = default;

  // Whether the worker needs a key pair (and so its secret on stdin).
  bool curve() const { return !curve_address.empty() || !parent_key.empty(); }
  // Its parent as an ancestor record.
  wire::Ancestor ParentRecord() const {
    return {parent, parent_endpoint, parent_curve_endpoint, parent_key};
  }
};

// The exit status of a worker whose parent's CURVE handshake failed (a wrong
// key either way) before it ever got through: the controller answers its
// create "Spawn failed: authentication ...". sysexits.h's EX_NOPERM.
inline constexpr int kExitAuthenticationFailed = 77;

// What a CURVE worker's incarnation is issued besides its public key.
struct WorkerSecrets {
  std::string secret_z85;  // its secret key
  std::string token;       // its routing token (transport/curve.h)
  bool operator==(const WorkerSecrets&) const = default;
};

// The line the controller writes first on a CURVE worker's lifeline:
// "SECRET TOKEN\n".
std::string SecretLine(const WorkerSecrets& secrets);
// Reads that line from `fd` (blocking, byte by byte: nothing after it is
// consumed). UNAVAILABLE at EOF (the controller is gone), INVALID_ARGUMENT
// for a line that is not a Z85 key and a token.
absl::StatusOr<WorkerSecrets> ReadSecretLine(int fd);

// The arguments after the program name, each "--name=value" (and "--verbose"),
// in a fixed order; a flag at its default may be left out. Durations travel in
// whole milliseconds (truncated).
std::vector<std::string> ToArgv(const WorkerArgs& args);

// The inverse, over the arguments after the program name. Accepts "--name=value"
// for every flag above ("-name=value" too), and "--verbose[=true|false]" and
// "--lifeline[=true|false]"; a
// flag given twice takes its last value. INVALID_ARGUMENT, naming the flag, for
// an unknown flag, a positional argument, a missing or garbled value, or a
// missing --id or --parent_endpoint.
absl::StatusOr<WorkerArgs> ParseWorkerArgs(const std::vector<std::string>& argv);

// A help text listing every flag, its meaning and its default ("--help").
std::string WorkerUsage();

}  // namespace arbor::launch

#endif  // ARBOR_LAUNCH_WORKER_ARGS_H_

// arbor's --help text and flag spelling: kept out of the main.
#ifndef ARBOR_TOOLS_ARBOR_USAGE_H_
#define ARBOR_TOOLS_ARBOR_USAGE_H_

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/substitute.h"
#include "absl/time/time.h"
#include "controller/options.h"
#include "transport/key_file.h"

namespace arbor::tools {

// $0.. are the defaults (Usage fills them in from ControllerOptions: the one
// place for each); $$ is a dollar sign.
inline constexpr char kUsageTemplate[] = R"(usage: arbor [options] [< script]
       arbor keygen PATH
Controller of a tree of arbor-worker processes. Reads one command per line
(type `help` for the list), prints one answer line per command. `arbor keygen
PATH` writes a CURVE key pair: PATH (the secret key, 0600) and PATH.pub.

options:
  --sync                  read the next line only after the current one is answered
  --transport ipc|tcp     ipc: a private 0700 directory under $$TMPDIR (default);
                          tcp: 127.0.0.1 with kernel-chosen ports
  --timeout-ms N          deadline of exec, ping, remove, and of asking a parent
                          whether it can take a child (default $0)
  --hello-timeout-ms N    how long a new worker has to say Hello (default $1)
  --orphans adopt|exit    when a worker's parent dies, its children re-attach to
                          their nearest live ancestor with their data and subtrees
                          (adopt, the default) or exit
  --adopt-timeout-ms N    how long an orphan waits for an ancestor's answer before
                          trying the next one up (default $2)
  --max-in-flight N       commands read but not yet answered; stdin waits at the
                          cap (default $3)
  --hosts FILE            the hosts nodes may run on, one per line: NAME ADDRESS
                          LAUNCHER... (`create id [parent] @host`; README "Hosts")
  --verbose               more logs on stderr, workers' too
  --listen ENDPOINT       also serve programs (docs/CLIENT_PROTOCOL.md) on a ROUTER at
                          ipc:///path (created 0600) or tcp://127.0.0.1:PORT (* = any
                          free port; the bound endpoint is printed on stderr)
  --endpoint-file F       write the bound client endpoint to F (line 1), and with
                          --client-keys `curve-server-key KEY` (line 2)
  --no-stdin              headless: serve clients until SIGINT/SIGTERM/SIGHUP
  --client-keys DIR       serve --listen over CURVE (any address, e.g.
                          tcp://10.0.0.5:7000) to the clients whose public keys
                          are in DIR, one per file (hidden files ignored)
  --server-key PATH       the endpoint's secret key (from arbor keygen); default:
                          a fresh key per run, printed on stderr and in the
                          endpoint file
  --insecure-listen       allow --listen on a non-loopback address without
                          --client-keys (no authentication!)
  --max-client-in-flight N  calls one client may have in flight (default $4)
  --max-node-in-flight N  calls in flight to one node, all callers together; more
                          answer RESOURCE_EXHAUSTED (default $5)
  --help, --version
)";

// arbor --help, with the defaults of `defaults`.
inline std::string Usage(const controller::ControllerOptions& defaults) {
  return absl::Substitute(kUsageTemplate, absl::ToInt64Milliseconds(defaults.request_timeout),
                          absl::ToInt64Milliseconds(defaults.hello_timeout),
                          absl::ToInt64Milliseconds(defaults.adopt_timeout), defaults.max_in_flight,
                          defaults.max_client_in_flight, defaults.max_node_in_flight);
}

// The flags of the client endpoint's keys that contradict or need another.
inline absl::Status CheckKeyFlags(const controller::ControllerOptions& o) {
  if (!o.client_keys_dir.empty() && o.listen.empty()) {
    return absl::InvalidArgumentError("--client-keys needs --listen");
  }
  if (!o.server_key_file.empty() && o.client_keys_dir.empty()) {
    return absl::InvalidArgumentError("--server-key needs --client-keys");
  }
  if (!o.client_keys_dir.empty() && o.insecure_listen) {
    return absl::InvalidArgumentError(
        "--insecure-listen and --client-keys contradict each other (CURVE is not insecure)");
  }
  return absl::OkStatus();
}

// `arbor keygen PATH`: writes PATH and PATH.pub and prints nothing; exit 0, 1
// when they cannot be written, 2 for a usage error.
inline int Keygen(int argc, char** argv) {
  if (argc != 3 || argv[2][0] == '\0' || argv[2][0] == '-') {
    std::fputs("arbor: usage: arbor keygen PATH (writes PATH, the secret key, and PATH.pub)\n",
               stderr);
    return 2;
  }
  absl::StatusOr<transport::CurveKeyPair> keys = transport::WriteKeyPair(argv[2]);
  if (!keys.ok()) {
    std::fprintf(stderr, "arbor: keygen: %s\n", std::string(keys.status().message()).c_str());
    return 1;
  }
  return 0;
}

// Our flags are spelled with dashes (--timeout-ms); abseil names them with
// underscores. Rewrites each "--a-b[=v]" to "--a_b[=v]".
inline std::vector<std::string> NormalizeFlags(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    size_t end = std::min(a.find('='), a.size());
    std::replace(a.begin() + 2, a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  return args;
}

}  // namespace arbor::tools

#endif  // ARBOR_TOOLS_ARBOR_USAGE_H_

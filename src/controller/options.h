// Every knob of the controller, with its default. Flags in tools/arbor_main.cc
// fill this; src/ has no flags.
#ifndef ARBOR_CONTROLLER_OPTIONS_H_
#define ARBOR_CONTROLLER_OPTIONS_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "api/defaults.h"
#include "hosts/hosts_file.h"
#include "transport/endpoints.h"
#include "transport/socket.h"

namespace arbor::controller {

struct ControllerOptions {
  // ipc (a private 0700 directory under $TMPDIR) or tcp (127.0.0.1, kernel port).
  transport::Transport transport = transport::Transport::kIpc;
  // Deadline of exec, ping, remove, and of asking a parent whether it can take a
  // child (--timeout-ms).
  absl::Duration request_timeout = api::kRequestTimeout;
  // How long a spawned worker has to say Hello before it is killed
  // (--hello-timeout-ms). With request_timeout: create's 5 s in all.
  absl::Duration hello_timeout = api::kHelloTimeout;
  // At shutdown, how long workers have to exit before SIGKILL.
  absl::Duration shutdown_grace = absl::Seconds(2);
  // Commands read but not yet answered; stdin is not read while at the cap.
  size_t max_in_flight = api::kMaxCliInFlight;
  // A line longer than this (no '\n' within it) is answered with an error.
  size_t max_line_bytes = api::kMaxLineBytes;
  // Read the next line only once the current one is answered.
  bool sync = false;
  // Print "> " before input (when stdin is a terminal).
  bool prompt = false;
  bool verbose = false;
  // arbor-worker; empty: next to the running binary.
  std::string worker_path;
  // --listen: the clients' endpoint (empty: none), see ClientEndpointOptions.
  std::string listen;
  bool insecure_listen = false;
  // --client-keys: serve the listen endpoint over CURVE to the clients whose
  // public keys are in this directory; --server-key: the endpoint's secret key
  // file (empty: a fresh pair per run). See ClientEndpointOptions.
  std::string client_keys_dir;
  std::string server_key_file;
  int max_client_in_flight = api::kMaxClientInFlight;
  // Calls to one node in flight (all clients and the CLI together); more answer
  // RESOURCE_EXHAUSTED (the CLI prints "Node is unavailable") instead of queueing.
  int max_node_in_flight = api::kMaxNodeInFlight;
  // Write the bound client endpoint to this file: one line, and a second,
  // `curve-server-key <Z85>`, with client_keys_dir.
  std::string endpoint_file;
  // Headless: ignore stdin; run until SIGINT/SIGTERM/SIGHUP.
  bool no_stdin = false;
  // --orphans: when a worker's parent dies, its children re-attach to their
  // nearest live ancestor keeping their data and subtrees (adopt), or exit.
  bool adopt_orphans = true;
  // How long an orphan waits for an ancestor's answer before trying the next
  // one up (--adopt-timeout-ms).
  absl::Duration adopt_timeout = api::kAdoptTimeout;
  // Frames read from the children's socket before stdin and timers get a turn.
  int receive_batch = 512;
  transport::SocketOptions sockets;
  // Where nodes may run (--hosts; without: local alone).
  hosts::HostsFile hosts;
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_OPTIONS_H_

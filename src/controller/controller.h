// The controller: one event loop, one core (core.h) and its two front ends --
// the command line (cli/session.h) on stdin and stdout, and with --listen the
// client endpoint (endpoint/client_endpoint.h) -- wired together here, with
// the signals. Start here to follow a request.
#ifndef ARBOR_CONTROLLER_CONTROLLER_H_
#define ARBOR_CONTROLLER_CONTROLLER_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "cli/session.h"
#include "common/log.h"
#include "controller/core.h"
#include "controller/options.h"
#include "endpoint/client_endpoint.h"
#include "process/signals.h"
#include "transport/event_loop.h"
#include "transport/socket.h"
#include "transport/zap.h"

namespace arbor::controller {

class Controller {
 public:
  // Blocks the handled signals, starts the core (its endpoint directory and
  // the children's ROUTER) and the front ends. stdin and stdout are the
  // process's own.
  static absl::StatusOr<std::unique_ptr<Controller>> Start(const ControllerOptions& options);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();

  // Runs until EOF/quit (after every pending answer) or a signal, then shuts the
  // tree down. Returns the exit code.
  int Run();

 private:
  Controller(const ControllerOptions& options, process::SignalFd signals);
  absl::Status Setup();
  absl::Status StartClientEndpoint();
  // The context's one ZAP handler (transport/zap.h), bound on first use —
  // before any CURVE socket — and kept for the context's life; each CURVE
  // server Serves its own domain on it.
  absl::StatusOr<transport::ZapHandler*> Zap();

  void OnSignal();
  // After every event: run what waited, start more lines, arm the deadline
  // timer, and shut down once the command line has finished and nothing waits.
  void Drive();
  // Polls stdin exactly while the session wants input.
  void UpdateStdinInterest();

  ControllerOptions options_;
  Logger log_;
  process::SignalFd signals_;
  transport::Context context_;  // outlives every socket below
  transport::EventLoop loop_;
  std::unique_ptr<transport::ZapHandler> zap_;  // after the core and the clients
  std::unique_ptr<Core> core_;
  std::optional<cli::LocalBackend> local_;             // the core, for the session
  std::optional<cli::Session> session_;                // stdin and stdout
  std::unique_ptr<endpoint::ClientEndpoint> clients_;  // with --listen
  bool stdin_polled_ = false;
  bool signalled_ = false;  // a second signal kills what is left
};

}  // namespace arbor::controller

#endif  // ARBOR_CONTROLLER_CONTROLLER_H_

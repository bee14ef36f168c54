#include "controller/controller.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "process/child.h"

namespace arbor::controller {

absl::StatusOr<std::unique_ptr<Controller>> Controller::Start(const ControllerOptions& options) {
  process::RaiseFileLimit();
  // Before the ZeroMQ context exists: its I/O threads inherit the mask.
  ASSIGN_OR_RETURN(process::SignalFd signals,
                   process::SignalFd::Open({SIGCHLD, SIGINT, SIGTERM, SIGHUP}));
  auto controller = absl::WrapUnique(new Controller(options, std::move(signals)));
  RETURN_IF_ERROR(controller->Setup());
  return controller;
}

Controller::Controller(const ControllerOptions& options, process::SignalFd signals)
    : options_(options), log_("[arbor] ", options.verbose), signals_(std::move(signals)) {}

Controller::~Controller() {
  // Whatever path led here, no worker outlives us (the core kills and reaps).
  clients_.reset();
  session_.reset();
  local_.reset();
  core_.reset();
  zap_.reset();  // after every CURVE socket
}

absl::StatusOr<transport::ZapHandler*> Controller::Zap() {
  if (zap_ == nullptr) {
    // Refuses every key until a CURVE server serves its domain.
    ASSIGN_OR_RETURN(zap_, transport::ZapHandler::Bind(context_, loop_));
  }
  return zap_.get();
}

absl::Status Controller::Setup() {
  transport::ZapHandler* zap = nullptr;
  // Workers on other hosts: the tree's CURVE links.
  if (options_.hosts.hosts().size() > 1) {
    ASSIGN_OR_RETURN(zap, Zap());
  }
  ASSIGN_OR_RETURN(core_, Core::Start(options_, context_, loop_, zap, [this] { Drive(); }));
  // The command line watches the core's events first, then the clients.
  cli::SessionOptions cli;
  cli.max_in_flight = options_.max_in_flight;
  cli.max_line_bytes = options_.max_line_bytes;
  cli.sync = options_.sync;
  cli.prompt = options_.prompt;
  cli.read_input = !options_.no_stdin;
  local_.emplace(*core_);
  session_.emplace(cli, *local_);
  loop_.AddFd(signals_.fd(), [this] {
    OnSignal();
    Drive();
  });
  if (!options_.listen.empty()) RETURN_IF_ERROR(StartClientEndpoint());
  UpdateStdinInterest();
  return absl::OkStatus();
}

absl::Status Controller::StartClientEndpoint() {
  endpoint::ClientEndpointOptions client_options;
  client_options.endpoint = options_.listen;
  client_options.insecure = options_.insecure_listen;
  client_options.client_keys_dir = options_.client_keys_dir;
  client_options.server_key_file = options_.server_key_file;
  client_options.max_in_flight_per_client = options_.max_client_in_flight;
  client_options.sockets = options_.sockets;
  transport::ZapHandler* zap = nullptr;
  if (!options_.client_keys_dir.empty()) {
    ASSIGN_OR_RETURN(zap, Zap());
  }
  ASSIGN_OR_RETURN(clients_,
                   endpoint::ClientEndpoint::Start(
                       client_options, context_, loop_, *core_, log_, [this] { Drive(); }, zap));
  if (!options_.endpoint_file.empty()) {
    // Line 1 as it has always been; line 2 only with CURVE.
    std::string line = clients_->endpoint() + "\n";
    if (!clients_->server_public_key().empty()) {
      absl::StrAppend(&line, "curve-server-key ", clients_->server_public_key(), "\n");
    }
    std::string tmp = options_.endpoint_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    bool ok = f != nullptr && std::fwrite(line.data(), 1, line.size(), f) == line.size();
    if (f != nullptr) ok = std::fclose(f) == 0 && ok;
    // Renamed into place: a reader never sees half a line.
    if (!ok || std::rename(tmp.c_str(), options_.endpoint_file.c_str()) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write --endpoint-file ", options_.endpoint_file));
    }
  }
  // Announced once the endpoint file is in place: a reader that waits for
  // this line finds the file complete.
  log_.Warn("clients connect to %s", clients_->endpoint());
  if (!clients_->server_public_key().empty()) {
    log_.Warn("clients authenticate with CURVE; server key %s", clients_->server_public_key());
  }
  return absl::OkStatus();
}

int Controller::Run() {
  session_->Begin();
  loop_.Run();
  return 0;
}

void Controller::OnSignal() {
  for (int signal : signals_.ReadAll()) {
    if (signal == SIGCHLD) {
      core_->OnChildSignal();
    } else if (signalled_) {
      core_->KillAll();  // a second signal: no more grace
    } else {
      log_.Debug("signal %d: shutting down", signal);
      signalled_ = true;
      session_->Silence();
      core_->BeginShutdown();
    }
  }
}

void Controller::Drive() {
  core_->RunWaiting();
  session_->ProcessLines();
  if (session_->Finished() && core_->Accepting() && core_->Idle()) core_->BeginShutdown();
  UpdateStdinInterest();
  core_->ArmDeadlineTimer();
}

void Controller::UpdateStdinInterest() {
  bool want = session_->WantsInput();
  if (want == stdin_polled_) return;
  if (want) {
    loop_.AddFd(STDIN_FILENO, [this] {
      session_->OnReadable();
      Drive();
    });
  } else {
    loop_.RemoveFd(STDIN_FILENO);
  }
  stdin_polled_ = want;
}

}  // namespace arbor::controller

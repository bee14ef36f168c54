// arbor: the controller and its command line.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "controller/controller.h"
#include "tools/arbor_usage.h"
#include "wire/codec.h"

namespace {
// Every flag's default is the options struct's (one place for each default).
const arbor::controller::ControllerOptions& Defaults() {
  static const arbor::controller::ControllerOptions defaults;
  return defaults;
}
int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }
}  // namespace

ABSL_FLAG(bool, sync, false, "read the next line only after the current one is answered");
ABSL_FLAG(std::string, transport, "ipc", "ipc or tcp");
ABSL_FLAG(int64_t, timeout_ms, Ms(Defaults().request_timeout), "deadline of exec, ping, remove");
ABSL_FLAG(int64_t, hello_timeout_ms, Ms(Defaults().hello_timeout),
          "how long a new worker has to say Hello");
ABSL_FLAG(int64_t, max_in_flight, static_cast<int64_t>(Defaults().max_in_flight),
          "commands read but not yet answered");
ABSL_FLAG(bool, verbose, false, "log more on stderr, workers too");
ABSL_FLAG(std::string, listen, "", "bind a ROUTER for clients at this endpoint");
ABSL_FLAG(bool, insecure_listen, false,
          "allow --listen on a non-loopback tcp address without authentication");
ABSL_FLAG(std::string, client_keys, "",
          "serve --listen over CURVE to the clients whose public keys are in this directory");
ABSL_FLAG(std::string, server_key, "",
          "the client endpoint's CURVE secret key file (arbor keygen)");
ABSL_FLAG(std::string, endpoint_file, "", "write the bound client endpoint to this file");
ABSL_FLAG(bool, no_stdin, false, "headless: serve clients until SIGINT/SIGTERM");
ABSL_FLAG(int64_t, max_client_in_flight, Defaults().max_client_in_flight,
          "calls one client may have in flight");
ABSL_FLAG(int64_t, max_node_in_flight, Defaults().max_node_in_flight,
          "calls in flight to one node, all callers together");
ABSL_FLAG(std::string, hosts, "",
          "the hosts nodes may run on: NAME ADDRESS LAUNCHER... per line (README \"Hosts\")");
ABSL_FLAG(std::string, orphans, "adopt",
          "when a worker's parent dies: adopt (re-attach to the nearest live ancestor) or exit");
ABSL_FLAG(int64_t, adopt_timeout_ms, Ms(Defaults().adopt_timeout),
          "how long an orphan waits for an ancestor's answer before trying the next one up");

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "keygen") return arbor::tools::Keygen(argc, argv);
  std::vector<std::string> args = arbor::tools::NormalizeFlags(argc, argv);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(arbor::tools::Usage(Defaults()).c_str(), stdout);
      return 0;
    }
  }
  absl::FlagsUsageConfig config;
  config.version_string = [] { return std::string("arbor 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  arbor::wire::SilenceParserLog();

  arbor::controller::ControllerOptions options;
  auto transport = arbor::transport::ParseTransport(absl::GetFlag(FLAGS_transport));
  if (!transport.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(transport.status().message()).c_str());
    return 2;
  }
  options.transport = *transport;
  options.sync = absl::GetFlag(FLAGS_sync);
  options.request_timeout =
      absl::Milliseconds(std::max<int64_t>(1, absl::GetFlag(FLAGS_timeout_ms)));
  options.hello_timeout =
      absl::Milliseconds(std::max<int64_t>(1, absl::GetFlag(FLAGS_hello_timeout_ms)));
  options.max_in_flight =
      static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_max_in_flight)));
  options.verbose = absl::GetFlag(FLAGS_verbose);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.insecure_listen = absl::GetFlag(FLAGS_insecure_listen);
  options.client_keys_dir = absl::GetFlag(FLAGS_client_keys);
  options.server_key_file = absl::GetFlag(FLAGS_server_key);
  if (absl::Status keys = arbor::tools::CheckKeyFlags(options); !keys.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(keys.message()).c_str());
    return 2;
  }
  options.endpoint_file = absl::GetFlag(FLAGS_endpoint_file);
  options.no_stdin = absl::GetFlag(FLAGS_no_stdin);
  options.max_client_in_flight =
      static_cast<int>(std::clamp<int64_t>(absl::GetFlag(FLAGS_max_client_in_flight), 1, 1 << 20));
  std::string orphans = absl::GetFlag(FLAGS_orphans);
  if (orphans != "adopt" && orphans != "exit") {
    std::fprintf(stderr, "arbor: --orphans must be adopt or exit, not '%s'\n", orphans.c_str());
    return 2;
  }
  options.adopt_orphans = orphans == "adopt";
  options.adopt_timeout =
      absl::Milliseconds(std::clamp<int64_t>(absl::GetFlag(FLAGS_adopt_timeout_ms), 1, 60000));
  options.max_node_in_flight =
      static_cast<int>(std::clamp<int64_t>(absl::GetFlag(FLAGS_max_node_in_flight), 1, 1 << 20));
  options.prompt = !options.no_stdin && isatty(STDIN_FILENO) == 1;
  if (std::string path = absl::GetFlag(FLAGS_hosts); !path.empty()) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    int error = errno;
    std::error_code unused;
    // A directory opens, and reads as empty: not a file of no hosts.
    bool directory = std::filesystem::is_directory(path, unused);
    if (!file.is_open() || file.bad() || directory) {
      std::fprintf(stderr, "arbor: cannot read --hosts %s: %s\n", path.c_str(),
                   std::strerror(directory ? EISDIR : error));
      return 2;
    }
    absl::StatusOr<arbor::hosts::HostsFile> hosts = arbor::hosts::HostsFile::Parse(text.str());
    if (!hosts.ok()) {
      std::fprintf(stderr, "arbor: --hosts %s: %s\n", path.c_str(),
                   std::string(hosts.status().message()).c_str());
      return 2;
    }
    options.hosts = *std::move(hosts);
  }

  auto controller = arbor::controller::Controller::Start(options);
  if (!controller.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(controller.status().message()).c_str());
    return 1;
  }
  return (*controller)->Run();
}

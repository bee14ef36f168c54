#include "tools/arbor_flags.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tools/arbor_usage.h"

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

namespace arbor::tools {
namespace {

// `value` of --`name` (as users type it, with dashes) within [lo, hi].
absl::StatusOr<int64_t> InRange(const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be between ", lo, " and ", hi, ", not ", value));
  }
  return value;
}

constexpr int64_t kMaxMs = 24 * 3600 * 1000;  // a day
constexpr int64_t kMaxCount = 1 << 20;

}  // namespace

absl::StatusOr<hosts::HostsFile> LoadHostsFile(const std::string& path) {
  std::ifstream file(path);
  int error = errno;
  std::error_code unused;
  // A directory opens, and reads as empty: not a file of no hosts.
  bool directory = std::filesystem::is_directory(path, unused);
  std::stringstream text;
  if (!directory) text << file.rdbuf();
  if (!file.is_open() || file.bad() || directory) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read --hosts ", path, ": ",
                                                   std::strerror(directory ? EISDIR : error)));
  }
  absl::StatusOr<hosts::HostsFile> hosts = hosts::HostsFile::Parse(text.str());
  if (!hosts.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--hosts ", path, ": ", hosts.status().message()));
  }
  return hosts;
}

absl::StatusOr<controller::ControllerOptions> ControllerOptionsFromFlags(
    const std::vector<char*>& positional) {
  if (positional.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", positional[1],
                                                   "' (commands come on stdin: arbor < FILE)"));
  }
  controller::ControllerOptions options;
  ASSIGN_OR_RETURN(options.transport, transport::ParseTransport(absl::GetFlag(FLAGS_transport)));
  options.sync = absl::GetFlag(FLAGS_sync);
  ASSIGN_OR_RETURN(int64_t timeout,
                   InRange("timeout-ms", absl::GetFlag(FLAGS_timeout_ms), 1, kMaxMs));
  options.request_timeout = absl::Milliseconds(timeout);
  ASSIGN_OR_RETURN(int64_t hello,
                   InRange("hello-timeout-ms", absl::GetFlag(FLAGS_hello_timeout_ms), 1, kMaxMs));
  options.hello_timeout = absl::Milliseconds(hello);
  ASSIGN_OR_RETURN(int64_t in_flight,
                   InRange("max-in-flight", absl::GetFlag(FLAGS_max_in_flight), 1, kMaxCount));
  options.max_in_flight = static_cast<size_t>(in_flight);
  options.verbose = absl::GetFlag(FLAGS_verbose);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.insecure_listen = absl::GetFlag(FLAGS_insecure_listen);
  options.client_keys_dir = absl::GetFlag(FLAGS_client_keys);
  options.server_key_file = absl::GetFlag(FLAGS_server_key);
  RETURN_IF_ERROR(CheckKeyFlags(options));
  options.endpoint_file = absl::GetFlag(FLAGS_endpoint_file);
  options.no_stdin = absl::GetFlag(FLAGS_no_stdin);
  ASSIGN_OR_RETURN(
      int64_t per_client,
      InRange("max-client-in-flight", absl::GetFlag(FLAGS_max_client_in_flight), 1, kMaxCount));
  options.max_client_in_flight = static_cast<int>(per_client);
  std::string orphans = absl::GetFlag(FLAGS_orphans);
  if (orphans != "adopt" && orphans != "exit") {
    return absl::InvalidArgumentError(
        absl::StrCat("--orphans must be adopt or exit, not '", orphans, "'"));
  }
  options.adopt_orphans = orphans == "adopt";
  ASSIGN_OR_RETURN(int64_t adopt,
                   InRange("adopt-timeout-ms", absl::GetFlag(FLAGS_adopt_timeout_ms), 1, 60000));
  options.adopt_timeout = absl::Milliseconds(adopt);
  ASSIGN_OR_RETURN(
      int64_t per_node,
      InRange("max-node-in-flight", absl::GetFlag(FLAGS_max_node_in_flight), 1, kMaxCount));
  options.max_node_in_flight = static_cast<int>(per_node);
  // A prompt only for a person: both ends are terminals.
  options.prompt = !options.no_stdin && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1;
  if (std::string path = absl::GetFlag(FLAGS_hosts); !path.empty()) {
    ASSIGN_OR_RETURN(options.hosts, LoadHostsFile(path));
  }
  return options;
}

}  // namespace arbor::tools

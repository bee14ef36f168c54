// arbor: the controller and its command line.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "controller/controller.h"

ABSL_FLAG(bool, sync, false, "read the next line only after the current one is answered");
ABSL_FLAG(std::string, transport, "ipc", "ipc or tcp");
ABSL_FLAG(int64_t, timeout_ms, 1000, "deadline of exec, ping, remove");
ABSL_FLAG(int64_t, hello_timeout_ms, 4000, "how long a new worker has to say Hello");
ABSL_FLAG(int64_t, max_in_flight, 1024, "commands read but not yet answered");
ABSL_FLAG(bool, verbose, false, "log more on stderr, workers too");

namespace {

constexpr char kUsage[] = R"(usage: arbor [options] [< script]
Controller of a tree of arbor-worker processes. Reads one command per line
(type `help` for the list), prints one answer line per command.

options:
  --sync                  read the next line only after the current one is answered
  --transport ipc|tcp     ipc: a private 0700 directory under $TMPDIR (default);
                          tcp: 127.0.0.1 with kernel-chosen ports
  --timeout-ms N          deadline of exec, ping, remove, and of asking a parent
                          whether it can take a child (default 1000)
  --hello-timeout-ms N    how long a new worker has to say Hello (default 4000)
  --max-in-flight N       commands read but not yet answered; stdin waits at the
                          cap (default 1024)
  --verbose               more logs on stderr, workers' too
  --help, --version
)";

// Our flags are spelled with dashes (--timeout-ms); abseil names them with
// underscores. Rewrites each "--a-b[=v]" to "--a_b[=v]".
std::vector<std::string> NormalizeFlags(int argc, char** argv) {
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = NormalizeFlags(argc, argv);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  absl::FlagsUsageConfig config;
  config.version_string = [] { return std::string("arbor 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());

  arbor::controller::ControllerOptions options;
  auto transport = arbor::transport::ParseTransport(absl::GetFlag(FLAGS_transport));
  if (!transport.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(transport.status().message()).c_str());
    return 2;
  }
  options.transport = *transport;
  options.sync = absl::GetFlag(FLAGS_sync);
  options.request_timeout = absl::Milliseconds(std::max<int64_t>(1, absl::GetFlag(FLAGS_timeout_ms)));
  options.hello_timeout =
      absl::Milliseconds(std::max<int64_t>(1, absl::GetFlag(FLAGS_hello_timeout_ms)));
  options.max_in_flight = static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_max_in_flight)));
  options.verbose = absl::GetFlag(FLAGS_verbose);
  options.prompt = isatty(STDIN_FILENO) == 1;

  auto controller = arbor::controller::Controller::Start(options);
  if (!controller.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(controller.status().message()).c_str());
    return 1;
  }
  return (*controller)->Run();
}

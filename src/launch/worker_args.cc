#include "launch/worker_args.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/z85.h"
#include "transport/curve.h"

namespace arbor::launch {
namespace {

absl::StatusOr<int64_t> ParseInt(absl::string_view name, absl::string_view value) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad value '", value, "' for --", name, " (an integer)"));
  }
  return n;
}

absl::Status Bad(absl::string_view name, absl::string_view value, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad value '", value, "' for --", name, " (", what, ")"));
}

// A flag whose value is taken as it is.
template <std::string WorkerArgs::*kField>
absl::Status SetText(absl::string_view, absl::string_view value, WorkerArgs& args) {
  args.*kField = std::string(value);
  return absl::OkStatus();
}

// One flag: its name, its help line, and how its value lands in WorkerArgs.
struct Flag {
  absl::string_view name;
  absl::string_view help;
  absl::Status (*parse)(absl::string_view name, absl::string_view value, WorkerArgs& args);
};

constexpr Flag kFlags[] = {
    {"id", "this node's id; required",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<int64_t> n = ParseInt(name, value);
       if (!n.ok()) return n.status();
       if (!IsWorkerId(*n)) return Bad(name, value, "0 to 2147483647");
       args.id = *n;
       return absl::OkStatus();
     }},
    {"parent", "the parent's id (-1: the controller); default -1",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<int64_t> n = ParseInt(name, value);
       if (!n.ok()) return n.status();
       if (*n != kControllerId && !IsWorkerId(*n)) return Bad(name, value, "-1 to 2147483647");
       args.parent = *n;
       return absl::OkStatus();
     }},
    {"parent_endpoint", "the parent's plain ROUTER endpoint (ipc or loopback tcp)",
     SetText<&WorkerArgs::parent_endpoint>},
    {"parent_curve_endpoint", "the parent's CURVE ROUTER endpoint (with --parent_key)",
     SetText<&WorkerArgs::parent_curve_endpoint>},
    {"parent_key", "the parent's public CURVE key, in hex (64 digits)",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       std::optional<std::string> key = HexToZ85(std::string_view(value.data(), value.size()));
       if (!key || key->size() != transport::kZ85KeyLength) return Bad(name, value, "a key in hex");
       args.parent_key = *std::move(key);
       return absl::OkStatus();
     }},
    {"host", "the host this worker runs on; default local",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       if (!IsHostName(std::string_view(value.data(), value.size()))) {
         return Bad(name, value, "a host name");
       }
       args.host = std::string(value);
       return absl::OkStatus();
     }},
    {"curve_address", "bind a CURVE ROUTER at tcp://ADDRESS:* for children on other hosts",
     SetText<&WorkerArgs::curve_address>},
    {"heartbeat_ms", "heartbeat period until the parent says otherwise; 0 = off; default 0",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<int64_t> n = ParseInt(name, value);
       if (!n.ok()) return n.status();
       args.heartbeat = absl::Milliseconds(*n);
       return absl::OkStatus();
     }},
    {"ancestors", "beyond the parent, nearest first: ID@ENDPOINT,...,-1@CONTROLLER_ENDPOINT",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<std::vector<wire::Ancestor>> chain =
           wire::ParseAncestors(std::string_view(value.data(), value.size()));
       if (!chain.ok()) return Bad(name, value, chain.status().message());
       args.ancestors = *std::move(chain);
       return absl::OkStatus();
     }},
    {"controller_pid", "exit at once unless this is our parent process; default 0",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<int64_t> n = ParseInt(name, value);
       if (!n.ok()) return n.status();
       if (*n < 0 || *n > std::numeric_limits<pid_t>::max()) return Bad(name, value, "a pid");
       args.controller_pid = static_cast<pid_t>(*n);
       return absl::OkStatus();
     }},
    {"transport", "ipc or tcp; default ipc",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<transport::Transport> t = transport::ParseTransport(std::string(value));
       if (!t.ok()) return Bad(name, value, "ipc or tcp");
       args.transport = *t;
       return absl::OkStatus();
     }},
    {"ipc_dir", "directory for this worker's ipc endpoint", SetText<&WorkerArgs::ipc_dir>},
    {"verbose", "log more on stderr; default false",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       if (!absl::SimpleAtob(value, &args.verbose)) return Bad(name, value, "true or false");
       return absl::OkStatus();
     }},
    {"lifeline", "stdin is the controller's pipe: exit at its EOF; default false",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       if (!absl::SimpleAtob(value, &args.lifeline)) return Bad(name, value, "true or false");
       return absl::OkStatus();
     }},
    {"orphans",
     "when the parent is gone: adopt (re-attach to the nearest live ancestor) or exit; "
     "default adopt",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       if (value != "adopt" && value != "exit") return Bad(name, value, "adopt or exit");
       args.adopt_orphans = value == "adopt";
       return absl::OkStatus();
     }},
    {"adopt_timeout_ms", "how long an ancestor may take to answer before the next one up is tried",
     [](absl::string_view name, absl::string_view value, WorkerArgs& args) {
       absl::StatusOr<int64_t> n = ParseInt(name, value);
       if (!n.ok()) return n.status();
       if (*n <= 0) return Bad(name, value, "positive");
       args.adopt_timeout = absl::Milliseconds(*n);
       return absl::OkStatus();
     }},
};

const Flag* FindFlag(absl::string_view name) {
  for (const Flag& flag : kFlags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> ToArgv(const WorkerArgs& args) {
  std::vector<std::string> argv = {
      absl::StrCat("--id=", args.id),
      absl::StrCat("--parent=", args.parent),
  };
  if (!args.parent_endpoint.empty()) {
    argv.push_back(absl::StrCat("--parent_endpoint=", args.parent_endpoint));
  }
  argv.push_back(absl::StrCat("--heartbeat_ms=", absl::ToInt64Milliseconds(args.heartbeat)));
  if (!args.parent_curve_endpoint.empty()) {
    argv.push_back(absl::StrCat("--parent_curve_endpoint=", args.parent_curve_endpoint));
  }
  if (!args.parent_key.empty())
    argv.push_back(absl::StrCat("--parent_key=", Z85ToHex(args.parent_key)));
  if (args.host != "local") argv.push_back(absl::StrCat("--host=", args.host));
  if (!args.curve_address.empty())
    argv.push_back(absl::StrCat("--curve_address=", args.curve_address));
  if (!args.ancestors.empty()) {
    argv.push_back(absl::StrCat("--ancestors=", wire::FormatAncestors(args.ancestors)));
  }
  argv.push_back(absl::StrCat("--controller_pid=", args.controller_pid));
  argv.push_back(args.transport == transport::Transport::kTcp ? "--transport=tcp"
                                                              : "--transport=ipc");
  if (!args.ipc_dir.empty()) argv.push_back(absl::StrCat("--ipc_dir=", args.ipc_dir));
  if (args.verbose) argv.push_back("--verbose");
  if (args.lifeline) argv.push_back("--lifeline");
  argv.push_back(args.adopt_orphans ? "--orphans=adopt" : "--orphans=exit");
  argv.push_back(
      absl::StrCat("--adopt_timeout_ms=", absl::ToInt64Milliseconds(args.adopt_timeout)));
  return argv;
}

absl::StatusOr<WorkerArgs> ParseWorkerArgs(const std::vector<std::string>& argv) {
  WorkerArgs args;
  bool have_id = false;
  for (const std::string& arg : argv) {
    absl::string_view text = arg;
    if (!absl::ConsumePrefix(&text, "--") && !absl::ConsumePrefix(&text, "-")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    size_t eq = text.find('=');
    absl::string_view name = text.substr(0, eq);
    const Flag* flag = FindFlag(name);
    if (flag == nullptr || name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
    if (eq == absl::string_view::npos && name != "verbose" && name != "lifeline") {
      return absl::InvalidArgumentError(absl::StrCat("missing value for --", name));
    }
    absl::string_view value = eq == absl::string_view::npos ? "true" : text.substr(eq + 1);
    if (absl::Status parsed = flag->parse(name, value, args); !parsed.ok()) return parsed;
    have_id |= name == "id";
  }
  if (!have_id) return absl::InvalidArgumentError("missing --id");
  if (args.parent_endpoint.empty() && args.parent_curve_endpoint.empty()) {
    return absl::InvalidArgumentError("missing --parent_endpoint");
  }
  if (args.parent_curve_endpoint.empty() != args.parent_key.empty()) {
    return absl::InvalidArgumentError("--parent_curve_endpoint and --parent_key go together");
  }
  if (args.curve() && !args.lifeline) {
    return absl::InvalidArgumentError("CURVE needs --lifeline (the secret key comes on stdin)");
  }
  return args;
}

std::string SecretLine(const WorkerSecrets& secrets) {
  return absl::StrCat(secrets.secret_z85, " ", secrets.token, "\n");
}

absl::StatusOr<WorkerSecrets> ReadSecretLine(int fd) {
  constexpr size_t kLength = transport::kZ85KeyLength + 1 + transport::kRoutingTokenLength;
  std::string line;
  while (line.size() <= kLength) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return absl::UnavailableError(absl::StrCat("reading the key: ", std::strerror(errno)));
    if (n == 0)
      return absl::UnavailableError("stdin closed before the key: the controller is gone");
    if (c == '\n') break;
    line.push_back(c);
  }
  std::string_view text = line;
  WorkerSecrets secrets{
      std::string(text.substr(0, transport::kZ85KeyLength)),
      std::string(text.substr(std::min(text.size(), transport::kZ85KeyLength + 1)))};
  if (line.size() != kLength || line[transport::kZ85KeyLength] != ' ' ||
      !transport::IsZ85Key(secrets.secret_z85) || !transport::IsRoutingToken(secrets.token)) {
    return absl::InvalidArgumentError("the line on stdin is not a Z85 key and a routing token");
  }
  return secrets;
}

std::string WorkerUsage() {
  std::string usage =
      "arbor-worker: one compute node, spawned by the controller (not run by hand).\n\n";
  for (const Flag& flag : kFlags) usage += absl::StrCat("  --", flag.name, "  ", flag.help, "\n");
  return usage;
}

}  // namespace arbor::launch

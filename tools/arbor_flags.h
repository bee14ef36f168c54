// The controller's flags (absl) and the options they make: every value
// checked (DESIGN §8: a stray argument or a value out of range is refused with
// one `arbor: ...` line and exit 2).
#ifndef ARBOR_TOOLS_ARBOR_FLAGS_H_
#define ARBOR_TOOLS_ARBOR_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/options.h"
#include "hosts/hosts_file.h"

namespace arbor::tools {

// The options of the flags absl::ParseCommandLine has parsed; `positional` is
// what it left (argv[0] first). INVALID_ARGUMENT, its message the text after
// "arbor: ", for a stray argument, a value out of range or a bad --hosts file.
absl::StatusOr<controller::ControllerOptions> ControllerOptionsFromFlags(
    const std::vector<char*>& positional);

// The hosts file at `path`: "cannot read --hosts PATH: why" (a directory too),
// or "--hosts PATH: line N: why".
absl::StatusOr<hosts::HostsFile> LoadHostsFile(const std::string& path);

}  // namespace arbor::tools

#endif  // ARBOR_TOOLS_ARBOR_FLAGS_H_

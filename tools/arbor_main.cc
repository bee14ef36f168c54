// arbor: the controller and its command line.
#include <cstdio>
#include <string_view>

#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "controller/controller.h"
#include "tools/arbor_flags.h"
#include "tools/arbor_usage.h"
#include "wire/codec.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "keygen") return arbor::tools::Keygen(argc, argv);
  std::vector<std::string> args = arbor::tools::NormalizeFlags(argc, argv);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(arbor::tools::Usage(arbor::controller::ControllerOptions()).c_str(), stdout);
      return 0;
    }
  }
  absl::FlagsUsageConfig config;
  config.version_string = [] { return std::string("arbor 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  std::vector<char*> positional = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  arbor::wire::SilenceParserLog();
  absl::StatusOr<arbor::controller::ControllerOptions> options =
      arbor::tools::ControllerOptionsFromFlags(positional);
  if (!options.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  auto controller = arbor::controller::Controller::Start(*options);
  if (!controller.ok()) {
    std::fprintf(stderr, "arbor: %s\n", std::string(controller.status().message()).c_str());
    return 1;
  }
  return (*controller)->Run();
}

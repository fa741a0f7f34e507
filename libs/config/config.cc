#include "libs/config/config.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace quxiang::config {
namespace {

// Flags of Abseil and gRPC themselves are not settable from the environment.
bool IsProjectFlag(const absl::CommandLineFlag& flag) {
  std::string file = flag.Filename();
  return absl::StrContains(file, "libs/") || absl::StrContains(file, "services/") ||
         absl::StrContains(file, "tools/") || absl::StrContains(file, "tests/") ||
         absl::StrContains(file, "bench/");
}

}  // namespace

std::string EnvironmentVariableFor(const std::string& flag_name) {
  return absl::AsciiStrToUpper(flag_name);
}

std::vector<std::string> ParseFlagsAndEnvironment(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);

  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsProjectFlag(*flag)) continue;
    std::string variable = EnvironmentVariableFor(std::string(name));
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "invalid value of environment variable %s: %s\n", variable.c_str(),
                   error.c_str());
      std::exit(2);
    }
  }

  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return std::vector<std::string>(positional.begin(), positional.end());
}

}  // namespace quxiang::config

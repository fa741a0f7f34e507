// Settings from command-line flags and environment variables.
//
// Every setting is an absl flag; its environment variable is the flag name in upper case
// (`--mysql_host` and MYSQL_HOST). Flags on the command line win over the environment, which
// wins over the default, so a Kubernetes ConfigMap can set everything through env while a
// developer overrides one value on the command line.
#ifndef QUXIANG_LIBS_CONFIG_CONFIG_H_
#define QUXIANG_LIBS_CONFIG_CONFIG_H_

#include <string>
#include <vector>

namespace quxiang::config {

// Applies environment variables to the flags defined in project sources, then parses argv.
// Exits with status 2 and a message naming the variable when an environment value is invalid.
// Returns the positional arguments (argv[0] first).
std::vector<std::string> ParseFlagsAndEnvironment(int argc, char** argv, const char* usage);

// The environment variable that sets flag `flag_name`.
std::string EnvironmentVariableFor(const std::string& flag_name);

}  // namespace quxiang::config

#endif  // QUXIANG_LIBS_CONFIG_CONFIG_H_

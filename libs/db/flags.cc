// The --mysql_* flags and OptionsFromFlags. They live in one file so that linking
// OptionsFromFlags also registers the flags.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "libs/db/db.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "Host name or IP address of the MySQL or MariaDB server.");
ABSL_FLAG(int, mysql_port, 3306, "TCP port of the MySQL or MariaDB server.");
ABSL_FLAG(std::string, mysql_user, "root", "User name for the database server.");
ABSL_FLAG(std::string, mysql_password, "",
          "Password for the database server. Prefer --mysql_password_file, which keeps the "
          "password out of the process list and the environment.");
ABSL_FLAG(std::string, mysql_password_file, "",
          "File that contains the database password (trailing whitespace is ignored), for "
          "example a mounted Kubernetes secret. Set either this or --mysql_password.");
ABSL_FLAG(std::string, mysql_database, "",
          "Database (schema) of this service; created at start-up when missing.");
ABSL_FLAG(int, mysql_max_connections, 8,
          "Maximum number of open database connections; also the size of the worker pool that "
          "runs database work.");

namespace quxiang::db {
namespace {

[[noreturn]] void ExitWithConfigurationError(const std::string& message) {
  spdlog::critical("{}", message);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(2);
}

std::string ReadPasswordFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ExitWithConfigurationError("cannot read --mysql_password_file " + path +
                               ": the file is missing or not readable");
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string password = contents.str();
  absl::StripTrailingAsciiWhitespace(&password);
  return password;
}

}  // namespace

Options OptionsFromFlags() {
  Options options;
  options.host = absl::GetFlag(FLAGS_mysql_host);
  options.port = absl::GetFlag(FLAGS_mysql_port);
  options.user = absl::GetFlag(FLAGS_mysql_user);
  options.database = absl::GetFlag(FLAGS_mysql_database);
  options.max_connections = absl::GetFlag(FLAGS_mysql_max_connections);

  const std::string password_file = absl::GetFlag(FLAGS_mysql_password_file);
  options.password = absl::GetFlag(FLAGS_mysql_password);
  if (!password_file.empty()) {
    // Two sources of one secret would leave a reader guessing which one is used.
    if (!options.password.empty()) {
      ExitWithConfigurationError(
          "--mysql_password and --mysql_password_file are both set; set only one of them");
    }
    options.password = ReadPasswordFile(password_file);
  }
  return options;
}

}  // namespace quxiang::db

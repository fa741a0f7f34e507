#include "libs/config/config.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, config_test_port, 7, "A port for the test.");
ABSL_FLAG(std::string, config_test_name, "default", "A name for the test.");

namespace quxiang::config {
namespace {

TEST(Config, EnvironmentSetsFlagAndCommandLineWins) {
  setenv("CONFIG_TEST_PORT", "8123", 1);
  setenv("CONFIG_TEST_NAME", "from-env", 1);
  char program[] = "config_test";
  char name_arg[] = "--config_test_name=from-flag";
  char* argv[] = {program, name_arg};
  ParseFlagsAndEnvironment(2, argv, "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_port), 8123);
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_name), "from-flag");
}

TEST(Config, EnvironmentVariableIsUpperCaseName) {
  EXPECT_EQ(EnvironmentVariableFor("mysql_host"), "MYSQL_HOST");
}

}  // namespace
}  // namespace quxiang::config

#include "libs/testing/test_database.h"

#include <cstdlib>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace quxiang::testing {

std::optional<TestDatabase> TestDatabase::Create(const std::string& prefix) {
  const char* host = std::getenv("MYSQL_HOST");
  if (host == nullptr || *host == '\0') return std::nullopt;
  TestDatabase database;
  database.options_.host = host;
  const char* port = std::getenv("MYSQL_PORT");
  if (port != nullptr) (void)absl::SimpleAtoi(port, &database.options_.port);
  const char* user = std::getenv("MYSQL_USER");
  database.options_.user = user != nullptr ? user : "root";
  const char* password = std::getenv("MYSQL_PASSWORD");
  database.options_.password = password != nullptr ? password : "";
  std::mt19937_64 random(std::random_device{}());
  database.options_.database = absl::StrFormat("qxt_%s_%08x", prefix, static_cast<uint32_t>(random()));
  database.options_.create_database = true;
  database.owns_ = true;
  return database;
}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept : options_(other.options_), owns_(other.owns_) {
  other.owns_ = false;
}

TestDatabase& TestDatabase::operator=(TestDatabase&& other) noexcept {
  std::swap(options_, other.options_);
  std::swap(owns_, other.owns_);
  return *this;
}

TestDatabase::~TestDatabase() {
  if (!owns_) return;
  db::Options admin = options_;
  admin.database = "";
  admin.create_database = false;
  admin.max_connections = 1;
  auto pool = db::Pool::Create(admin);
  if (!pool.ok()) return;
  (void)(*pool)->Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) {
    return s.ExecuteRaw("DROP DATABASE IF EXISTS `" + options_.database + "`");
  });
}

std::map<std::string, std::string> TestDatabase::Environment() const {
  return {{"MYSQL_HOST", options_.host},
          {"MYSQL_PORT", std::to_string(options_.port)},
          {"MYSQL_USER", options_.user},
          {"MYSQL_PASSWORD", options_.password},
          {"MYSQL_DATABASE", options_.database}};
}

}  // namespace quxiang::testing

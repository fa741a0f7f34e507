// A fresh database on the server that scripts/test started (MYSQL_* environment), dropped
// when the test ends.
#ifndef QUXIANG_LIBS_TESTING_TEST_DATABASE_H_
#define QUXIANG_LIBS_TESTING_TEST_DATABASE_H_

#include <map>
#include <optional>
#include <string>

#include "libs/db/db.h"

namespace quxiang::testing {

class TestDatabase {
 public:
  // nullopt when MYSQL_HOST is not set (the test should skip).
  static std::optional<TestDatabase> Create(const std::string& prefix);
  ~TestDatabase();
  TestDatabase(TestDatabase&& other) noexcept;
  TestDatabase& operator=(TestDatabase&& other) noexcept;
  TestDatabase(const TestDatabase&) = delete;

  const db::Options& options() const { return options_; }
  // MYSQL_* variables and --mysql_database for a service process using this database.
  std::map<std::string, std::string> Environment() const;

 private:
  TestDatabase() = default;
  db::Options options_;
  bool owns_ = false;
};

}  // namespace quxiang::testing

#endif  // QUXIANG_LIBS_TESTING_TEST_DATABASE_H_

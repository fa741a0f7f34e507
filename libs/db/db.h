// MySQL/MariaDB access over Connector/C++ 1.1: a connection pool, sessions with prepared
// statements cached per connection, and transactions retried on deadlock.
//
// Rules the pool keeps (Connector/C++ pitfalls on Debian's libmariadb build):
//   * automatic reconnect is off; a connection that saw a client error (errno 2000-2999) is
//     discarded with every statement prepared on it, never returned to the pool;
//   * every session runs with time_zone '+00:00' and utf8mb4, so DATETIME(6) columns hold UTC;
//   * each unit of work gets a per-statement time limit from the caller's deadline
//     (max_statement_time on MariaDB, max_execution_time on MySQL);
//   * result sets are copied into Row values before the statement is reused.
//
// Example:
//   ASSIGN_OR_RETURN(auto user, pool.InTransaction<User>(deadline, [&](Session& s) -> absl::StatusOr<User> {
//     ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id, name FROM users WHERE id = ? FOR UPDATE", {id}));
//     if (!row) return NotFound(...);
//     RETURN_IF_ERROR(s.Execute("UPDATE users SET name = ? WHERE id = ?", {name, id}).status());
//     return User{row->Int64(0), row->String(1)};
//   }));
#ifndef QUXIANG_LIBS_DB_DB_H_
#define QUXIANG_LIBS_DB_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace quxiang::db {

// A statement parameter. absl::Time binds as a UTC 'YYYY-MM-DD HH:MM:SS.ffffff' string.
using Param = std::variant<std::nullptr_t, int64_t, std::string, double, bool, absl::Time>;

// One row copied out of a result set. Column indexes are 0-based.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  bool IsNull(size_t column) const;
  // NULL reads as "" / 0 / false / InfinitePast.
  std::string String(size_t column) const;
  int64_t Int64(size_t column) const;
  double Double(size_t column) const;
  bool Bool(size_t column) const;
  // Parses a DATETIME(6) value as UTC.
  absl::Time Time(size_t column) const;
  std::optional<std::string> OptionalString(size_t column) const { return values_.at(column); }

 private:
  std::vector<std::optional<std::string>> values_;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  // The service's own schema; created when missing and `create_database` is set.
  std::string database;
  bool create_database = true;
  // Connections open at most; also the size of a service's worker pool.
  int max_connections = 8;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Backstop of the client library when a statement has no deadline-derived limit.
  absl::Duration read_timeout = absl::Seconds(60);
  // How long Acquire waits for a free connection before UNAVAILABLE.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Attempts of a transaction that fails with a deadlock or a lock wait timeout.
  int max_transaction_attempts = 3;
};

// Reads Options from the flags --mysql_host, --mysql_port, --mysql_user, --mysql_password,
// --mysql_password_file, --mysql_database and --mysql_max_connections (each also an environment
// variable in upper case, see libs/config).
Options OptionsFromFlags();

// A connection lent for one unit of work. Not thread-safe; never keep it past the callback.
class Session {
 public:
  virtual ~Session() = default;

  // Runs a statement that returns rows.
  virtual absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                                 const std::vector<Param>& params = {}) = 0;
  // Runs a statement that returns at most one row.
  absl::StatusOr<std::optional<Row>> QueryOne(absl::string_view sql,
                                              const std::vector<Param>& params = {});
  // Runs a statement that changes rows; returns the number of affected rows.
  virtual absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                          const std::vector<Param>& params = {}) = 0;
  // LAST_INSERT_ID() of this connection.
  virtual absl::StatusOr<int64_t> LastInsertId() = 0;
  // Runs a statement without preparing it (DDL, SET, LOCK functions).
  virtual absl::Status ExecuteRaw(absl::string_view sql) = 0;
};

struct PoolStats {
  int open = 0;
  int in_use = 0;
  int waiting = 0;
  int64_t discarded_broken = 0;
  // Query and Execute calls of all sessions since the pool was created, so that tests can
  // check how many statements an operation runs.
  int64_t statements = 0;
};

class Pool {
 public:
  // Connects once to check the settings and creates the schema if asked.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(const Options& options);
  virtual ~Pool() = default;

  // Runs `work` in one transaction (REPEATABLE READ, the server default) and commits when it
  // returns OK; rolls back otherwise. The whole callback runs again, at most
  // max_transaction_attempts times, when the server reports a deadlock (1213) or a lock wait
  // timeout (1205). `deadline` bounds waiting for a connection and every statement.
  virtual absl::Status Transaction(absl::Time deadline,
                                   const std::function<absl::Status(Session&)>& work) = 0;

  // Runs `work` on a connection in autocommit mode (reads, or single statements).
  virtual absl::Status Run(absl::Time deadline,
                           const std::function<absl::Status(Session&)>& work) = 0;

  template <typename T>
  absl::StatusOr<T> InTransaction(absl::Time deadline,
                                  const std::function<absl::StatusOr<T>(Session&)>& work) {
    std::optional<T> result;
    absl::Status status = Transaction(deadline, [&](Session& session) -> absl::Status {
      absl::StatusOr<T> value = work(session);
      if (!value.ok()) return value.status();
      result = std::move(value).value();
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return std::move(*result);
  }

  template <typename T>
  absl::StatusOr<T> Read(absl::Time deadline,
                         const std::function<absl::StatusOr<T>(Session&)>& work) {
    std::optional<T> result;
    absl::Status status = Run(deadline, [&](Session& session) -> absl::Status {
      absl::StatusOr<T> value = work(session);
      if (!value.ok()) return value.status();
      result = std::move(value).value();
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return std::move(*result);
  }

  virtual PoolStats Stats() const = 0;
  const std::string& database() const { return database_; }

 protected:
  std::string database_;
};

// Error mapping, so that domain code can test for the MySQL conditions it expects:
//   1062 duplicate key           -> ALREADY_EXISTS, reason DUPLICATE_KEY
//   1213 deadlock, 1205 lock wait -> ABORTED, reason DATABASE_CONFLICT (after the retries)
//   1969 / 3024 statement time    -> DEADLINE_EXCEEDED, reason DATABASE_TIMEOUT
//   2000-2999 client errors       -> UNAVAILABLE, reason DATABASE_UNAVAILABLE
//   anything else                 -> INTERNAL, reason DATABASE_ERROR
// Every mapped status carries the MySQL errno in the ErrorInfo metadata key "mysql_errno"; a
// duplicate key also names the index in "mysql_key" (for example "PRIMARY" or "uk_users_name").
// The pool adds two conditions of its own: a deadline that passed before or between statements
// -> DEADLINE_EXCEEDED, reason DATABASE_TIMEOUT; no free connection within acquire_timeout ->
// UNAVAILABLE, reason DATABASE_POOL_EXHAUSTED.
bool IsDuplicateKey(const absl::Status& status);

// Formats an instant as a DATETIME(6) literal in UTC, for example "2026-12-04 08:00:00.000000".
std::string FormatDateTime(absl::Time time);

}  // namespace quxiang::db

#endif  // QUXIANG_LIBS_DB_DB_H_

// One server session over Connector/C++: the connection, the statements prepared on it, and the
// state the pool tracks (broken or not, the statement time limit in force, when it was last used).
//
// Every statement runs inside a guard that turns sql::SQLException into a status (the
// mapping of sql_error.h), logs it, and marks the connection broken on a client error
// (errno 2000-2999), because automatic reconnect is off and the session is gone.
#ifndef QUXIANG_LIBS_DB_CONNECTION_H_
#define QUXIANG_LIBS_DB_CONNECTION_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace sql {
class Connection;
class PreparedStatement;
}  // namespace sql

namespace quxiang::db::internal {

enum class ServerKind { kMariaDb, kMySql };

class Connection {
 public:
  // Opens a session with the settings of `options`; with `select_database` it also makes
  // `options.database` the default schema.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Options& options,
                                                          bool select_database);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const std::vector<Param>& params);
  absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<Param>& params);
  // Runs a statement without preparing it and discards any rows it returns.
  absl::Status ExecuteRaw(absl::string_view sql);
  // Runs a statement without preparing it and copies its rows.
  absl::StatusOr<std::vector<Row>> QueryRaw(absl::string_view sql);

  // Sets the server's per-statement time limit to `seconds` (0 is no limit) unless the session
  // already has it. MariaDB's max_statement_time covers every statement; MySQL's
  // max_execution_time covers only SELECT.
  absl::Status SetStatementTimeLimit(int64_t seconds);

  // Runs `SELECT 1`; false when the session no longer works.
  bool Ping();

  bool broken() const { return broken_; }
  // Marks the session unusable, for example after a failed ROLLBACK left its state unknown.
  void MarkBroken();
  // The server's CONNECTION_ID(), for logs and KILL.
  int64_t id() const { return id_; }
  ServerKind server_kind() const { return server_kind_; }
  absl::Time last_used() const { return last_used_; }
  void set_last_used(absl::Time time) { last_used_ = time; }

 // A prepared statement with its number of placeholders.
  struct CachedStatement {
    std::unique_ptr<sql::PreparedStatement> statement;
    int parameter_count = 0;
  };

 private:
  using StatementList = std::list<std::pair<std::string, CachedStatement>>;

  explicit Connection(std::unique_ptr<sql::Connection> connection);

  // Returns the prepared statement for `sql` from the cache, preparing it on a miss and evicting
  // the least recently used one beyond the cache size. Throws sql::SQLException.
  CachedStatement& Prepare(const std::string& sql);

  // Runs `body`, converting a thrown sql::SQLException or std::exception into a status.
  template <typename Result, typename Body>
  absl::StatusOr<Result> Guard(absl::string_view sql, Body&& body);

  // Declared first so that it is destroyed last, after every statement prepared on it.
  std::unique_ptr<sql::Connection> connection_;
  // Most recently used first; `statement_index_` points into it.
  StatementList statements_;
  std::unordered_map<std::string, StatementList::iterator> statement_index_;

  bool broken_ = false;
  int64_t id_ = 0;
  ServerKind server_kind_ = ServerKind::kMariaDb;
  // -1 until the first SetStatementTimeLimit, because the server default is not known.
  int64_t statement_time_limit_seconds_ = -1;
  absl::Time last_used_ = absl::Now();
};

}  // namespace quxiang::db::internal

#endif  // QUXIANG_LIBS_DB_CONNECTION_H_

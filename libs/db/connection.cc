#include "libs/db/connection.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/parameter_metadata.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/db/sql_error.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::db::internal {
namespace {

// Prepared statements kept per connection. The server caps them per instance
// (max_prepared_stmt_count, 16382 by default) across every connection of every service.
constexpr size_t kMaxCachedStatements = 256;

// Connector/C++ 1.1 builds its driver in get_driver_instance(), which fills an unguarded static
// map, so the first call must not race another.
sql::mysql::MySQL_Driver* Driver() {
  static std::mutex mutex;
  static sql::mysql::MySQL_Driver* driver = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (driver == nullptr) driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

// Connector/C++ takes its timeouts in whole seconds; 0 would mean "no timeout".
int WholeSecondsAtLeastOne(absl::Duration duration) {
  int64_t seconds = absl::ToInt64Seconds(absl::Ceil(duration, absl::Seconds(1)));
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(seconds, 365 * 24 * 3600)));
}

std::vector<Row> CopyRows(sql::ResultSet& result) {
  const unsigned int columns = result.getMetaData()->getColumnCount();
  std::vector<Row> rows;
  rows.reserve(result.rowsCount());
  while (result.next()) {
    std::vector<std::optional<std::string>> values;
    values.reserve(columns);
    for (unsigned int column = 1; column <= columns; ++column) {
      if (result.isNull(column)) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(result.getString(column).asStdString());
      }
    }
    rows.emplace_back(std::move(values));
  }
  return rows;
}

// Binds one Param to the 1-based parameter `index` of a prepared statement.
struct ParamBinder {
  sql::PreparedStatement& statement;
  unsigned int index;

  void operator()(std::nullptr_t) const { statement.setNull(index, sql::DataType::SQLNULL); }
  void operator()(int64_t value) const { statement.setInt64(index, value); }
  void operator()(const std::string& value) const { statement.setString(index, value); }
  void operator()(double value) const { statement.setDouble(index, value); }
  void operator()(bool value) const { statement.setBoolean(index, value); }
  void operator()(absl::Time value) const { statement.setDateTime(index, FormatDateTime(value)); }
};

// Binds `params` to a prepared statement after checking that their number matches.
absl::Status Bind(const Connection::CachedStatement& cached, const std::vector<Param>& params,
                  absl::string_view sql, int64_t connection_id) {
  if (cached.parameter_count != static_cast<int>(params.size())) {
    spdlog::error("statement has {} placeholders but {} parameters were given on connection {}; "
                  "statement: {}",
                  cached.parameter_count, params.size(), connection_id, std::string(sql));
    return StatusFromMySqlError(0, "wrong number of parameters");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit(ParamBinder{*cached.statement, static_cast<unsigned int>(i + 1)}, params[i]);
  }
  return absl::OkStatus();
}

}  // namespace

Connection::Connection(std::unique_ptr<sql::Connection> connection)
    : connection_(std::move(connection)) {}

Connection::~Connection() {
  // Statements go before their connection because each refers to it through a raw pointer.
  statement_index_.clear();
  statements_.clear();
  connection_.reset();
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Options& options,
                                                             bool select_database) {
  sql::ConnectOptionsMap properties;
  properties["hostName"] = options.host;
  properties["port"] = options.port;
  properties["userName"] = options.user;
  properties["password"] = options.password;
  if (select_database && !options.database.empty()) properties["schema"] = options.database;
  // A silent reconnect would lose the prepared statements and the session settings, so a lost
  // session is reported and the connection discarded instead.
  properties["OPT_RECONNECT"] = false;
  properties["OPT_CHARSET_NAME"] = std::string("utf8mb4");
  // DATETIME(6) columns hold UTC; NOW() and the like must agree with the values bound.
  properties["preInit"] = std::string("SET time_zone='+00:00'");
  properties["OPT_CONNECT_TIMEOUT"] = WholeSecondsAtLeastOne(options.connect_timeout);
  properties["OPT_READ_TIMEOUT"] = WholeSecondsAtLeastOne(options.read_timeout);
  // Options has no write timeout: sending a statement gets the same backstop as reading.
  properties["OPT_WRITE_TIMEOUT"] = WholeSecondsAtLeastOne(options.read_timeout);

  std::unique_ptr<sql::Connection> raw;
  try {
    raw.reset(Driver()->connect(properties));
  } catch (const sql::SQLException& error) {
    LogMySqlError(error.getErrorCode(), error.getSQLState(), error.what(),
                  absl::StrCat("(connect to ", options.host, ":", options.port, " as ",
                               options.user, ")"),
                  0);
    return StatusFromMySqlError(error.getErrorCode(), error.what());
  }

  std::unique_ptr<Connection> connection(new Connection(std::move(raw)));
  auto identity = connection->QueryRaw("SELECT VERSION(), CONNECTION_ID()");
  if (!identity.ok()) return identity.status();
  if (identity->size() != 1) {
    return StatusFromMySqlError(0, "SELECT VERSION(), CONNECTION_ID() returned no row");
  }
  const Row& row = identity->front();
  connection->server_kind_ =
      absl::StrContains(row.String(0), "MariaDB") ? ServerKind::kMariaDb : ServerKind::kMySql;
  connection->id_ = row.Int64(1);
  return connection;
}

template <typename Result, typename Body>
absl::StatusOr<Result> Connection::Guard(absl::string_view sql, Body&& body) {
  if (broken_) {
    return StatusFromMySqlError(2006, "the connection was lost earlier");
  }
  try {
    return body();
  } catch (const sql::SQLException& error) {
    int mysql_errno = error.getErrorCode();
    LogMySqlError(mysql_errno, error.getSQLState(), error.what(), sql, id_);
    // Connector/C++ itself throws errno 0 for misuse (a bad parameter index) and errno 1000 on a
    // closed connection; only the latter leaves the session unusable.
    if (IsClientError(mysql_errno) || connection_->isClosed()) MarkBroken();
    return StatusFromMySqlError(mysql_errno, error.what());
  } catch (const std::exception& error) {
    spdlog::error("Connector/C++ failed on connection {}: {}; statement: {}", id_, error.what(),
                  std::string(sql));
    MarkBroken();
    return StatusFromMySqlError(0, error.what());
  }
}

void Connection::MarkBroken() {
  broken_ = true;
  // Statements prepared on a lost session fail with 1243 forever; they go with it.
  statement_index_.clear();
  statements_.clear();
}

Connection::CachedStatement& Connection::Prepare(const std::string& sql) {
  auto found = statement_index_.find(sql);
  if (found != statement_index_.end()) {
    statements_.splice(statements_.begin(), statements_, found->second);
    return found->second->second;
  }

  CachedStatement cached;
  cached.statement.reset(connection_->prepareStatement(sql));
  // The metadata object belongs to the statement.
  cached.parameter_count = cached.statement->getParameterMetaData()->getParameterCount();

  if (statements_.size() >= kMaxCachedStatements) {
    statement_index_.erase(statements_.back().first);
    statements_.pop_back();
  }
  statements_.emplace_front(sql, std::move(cached));
  statement_index_[sql] = statements_.begin();
  return statements_.front().second;
}

absl::StatusOr<std::vector<Row>> Connection::Query(absl::string_view sql,
                                                   const std::vector<Param>& params) {
  std::string text(sql);
  return Guard<std::vector<Row>>(sql, [&]() -> absl::StatusOr<std::vector<Row>> {
    CachedStatement& cached = Prepare(text);
    RETURN_IF_ERROR(Bind(cached, params, text, id_));
    // The result set refers to its statement, so it is copied and freed before the statement
    // can run again.
    std::unique_ptr<sql::ResultSet> result(cached.statement->executeQuery());
    return CopyRows(*result);
  });
}

absl::StatusOr<int64_t> Connection::Execute(absl::string_view sql,
                                            const std::vector<Param>& params) {
  std::string text(sql);
  return Guard<int64_t>(sql, [&]() -> absl::StatusOr<int64_t> {
    CachedStatement& cached = Prepare(text);
    RETURN_IF_ERROR(Bind(cached, params, text, id_));
    return static_cast<int64_t>(cached.statement->executeUpdate());
  });
}

absl::Status Connection::ExecuteRaw(absl::string_view sql) {
  std::string text(sql);
  return Guard<bool>(sql, [&]() -> absl::StatusOr<bool> {
           std::unique_ptr<sql::Statement> statement(connection_->createStatement());
           statement->execute(text);
           return true;
         })
      .status();
}

absl::StatusOr<std::vector<Row>> Connection::QueryRaw(absl::string_view sql) {
  std::string text(sql);
  return Guard<std::vector<Row>>(sql, [&]() -> absl::StatusOr<std::vector<Row>> {
    std::unique_ptr<sql::Statement> statement(connection_->createStatement());
    std::unique_ptr<sql::ResultSet> result(statement->executeQuery(text));
    return CopyRows(*result);
  });
}

absl::Status Connection::SetStatementTimeLimit(int64_t seconds) {
  if (seconds == statement_time_limit_seconds_) return absl::OkStatus();
  std::string sql = server_kind_ == ServerKind::kMariaDb
                        ? absl::StrCat("SET SESSION max_statement_time=", seconds)
                        : absl::StrCat("SET SESSION max_execution_time=", seconds * 1000);
  absl::Status status = ExecuteRaw(sql);
  if (status.ok()) statement_time_limit_seconds_ = seconds;
  return status;
}

bool Connection::Ping() { return QueryRaw("SELECT 1").ok(); }

}  // namespace quxiang::db::internal

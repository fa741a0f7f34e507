// Errors of the DB library: the mapping of MySQL error numbers to project statuses (the table at
// the bottom of db.h), and the rate-limited log line for each caught error.
#ifndef QUXIANG_LIBS_DB_SQL_ERROR_H_
#define QUXIANG_LIBS_DB_SQL_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace quxiang::db::internal {

// Server error numbers (ER_*), from the MySQL 8.0 and MariaDB 10.11 error references.
inline constexpr int kErrorDuplicateKey = 1062;
inline constexpr int kErrorLockWaitTimeout = 1205;
inline constexpr int kErrorDeadlock = 1213;
inline constexpr int kErrorMariaDbStatementTimeout = 1969;
inline constexpr int kErrorMySqlQueryTimeout = 3024;

// Client library errors (CR_*) are 2000-2999; after one the connection is unusable.
bool IsClientError(int mysql_errno);

// A deadlock or a lock wait timeout: the transaction may succeed when run again.
bool IsTransactionConflict(int mysql_errno);

// Builds the status for a MySQL error, with `mysql_errno` in the ErrorInfo metadata. For a
// duplicate key the metadata also names the index ("mysql_key", for example "PRIMARY").
absl::Status StatusFromMySqlError(int mysql_errno, absl::string_view server_message);

// The MySQL error number in the metadata of `status`, or 0 when it has none.
int MySqlErrnoOf(const absl::Status& status);

// DEADLINE_EXCEEDED for a deadline that passed before or between statements.
absl::Status DeadlinePassedError();

// UNAVAILABLE when no connection became free within the acquire timeout.
absl::Status PoolExhaustedError(int max_connections);

// Logs a caught MySQL error with its statement text (never its parameters). Values that the
// server quotes in some messages (duplicate entries, incorrect values) are replaced by '?'
// because they may be ID numbers. At most 5 lines per error number per 10 seconds are written,
// and the next line written reports how many were suppressed.
void LogMySqlError(int mysql_errno, absl::string_view sql_state, absl::string_view server_message,
                   absl::string_view sql, int64_t connection_id);

// The server message with the first quoted value replaced by '?' for errors that quote a value.
std::string RedactServerMessage(int mysql_errno, absl::string_view server_message);

// Returns whether a log line of kind `key` may be written now, at most 5 per key per 10 seconds.
// When it may, sets `suppressed` to the number of lines of that kind dropped since the last one.
bool AdmitLogLine(const std::string& key, int64_t* suppressed);

}  // namespace quxiang::db::internal

#endif  // QUXIANG_LIBS_DB_SQL_ERROR_H_

#include "libs/db/sql_error.h"

#include <map>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/status/error.h"
#include "spdlog/spdlog.h"

namespace quxiang::db::internal {
namespace {

constexpr char kUnavailableMessage[] = "数据库暂时不可用，请稍后重试。";
constexpr char kConflictMessage[] = "数据正被其他操作同时修改，本次操作未生效，请稍后重试。";
constexpr char kTimeoutMessage[] =
    "数据库处理超时，请稍后刷新页面确认操作结果，必要时再重试。";
constexpr char kDuplicateKeyMessage[] = "相同的记录已经存在，不能重复添加。请刷新页面查看已有记录。";
constexpr char kDatabaseErrorMessage[] =
    "数据库操作失败，请稍后重试；如果问题持续，请联系平台运维并提供请求编号。";

constexpr int kLogLinesPerWindow = 5;
constexpr absl::Duration kLogWindow = absl::Seconds(10);

// The index name of a duplicate-key message: MariaDB writes "... for key 'uk_name'", MySQL 8
// writes "... for key 'table.uk_name'".
std::string DuplicateKeyName(absl::string_view message) {
  constexpr absl::string_view kMarker = "for key '";
  size_t start = message.rfind(kMarker);
  if (start == absl::string_view::npos) return "";
  start += kMarker.size();
  size_t end = message.find('\'', start);
  if (end == absl::string_view::npos) return "";
  absl::string_view key = message.substr(start, end - start);
  size_t dot = key.rfind('.');
  if (dot != absl::string_view::npos) key = key.substr(dot + 1);
  return std::string(key);
}

bool QuotesValue(int mysql_errno) {
  switch (mysql_errno) {
    case kErrorDuplicateKey:  // Duplicate entry '...' for key '...'
    case 1292:                // Incorrect/Truncated incorrect <type> value: '...'
    case 1366:                // Incorrect string value: '...' for column ...
    case 1367:                // Illegal <type> value found during parsing
    case 1411:                // Incorrect <type> value: '...' for function ...
      return true;
    default:
      return false;
  }
}

// Counts log lines per kind so that a database outage does not flood the log.
class LogLimiter {
 public:
  // Returns whether to write a line now, and the number of lines suppressed since the last one.
  bool Admit(const std::string& key, int64_t* suppressed) {
    std::lock_guard<std::mutex> lock(mutex_);
    absl::Time now = absl::Now();
    Window& window = windows_[key];
    if (now - window.start >= kLogWindow) {
      window.start = now;
      window.written = 0;
    }
    if (window.written >= kLogLinesPerWindow) {
      ++window.suppressed;
      return false;
    }
    ++window.written;
    *suppressed = window.suppressed;
    window.suppressed = 0;
    return true;
  }

 private:
  struct Window {
    absl::Time start = absl::InfinitePast();
    int written = 0;
    int64_t suppressed = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

LogLimiter& Limiter() {
  static auto* const limiter = new LogLimiter();
  return *limiter;
}

}  // namespace

bool AdmitLogLine(const std::string& key, int64_t* suppressed) {
  return Limiter().Admit(key, suppressed);
}

bool IsClientError(int mysql_errno) { return mysql_errno >= 2000 && mysql_errno <= 2999; }

bool IsTransactionConflict(int mysql_errno) {
  return mysql_errno == kErrorDeadlock || mysql_errno == kErrorLockWaitTimeout;
}

absl::Status StatusFromMySqlError(int mysql_errno, absl::string_view server_message) {
  ErrorMetadata metadata = {{"mysql_errno", absl::StrCat(mysql_errno)}};

  if (mysql_errno == kErrorDuplicateKey) {
    metadata["mysql_key"] = DuplicateKeyName(server_message);
    return MakeError(absl::StatusCode::kAlreadyExists, "DUPLICATE_KEY", kDuplicateKeyMessage,
                     metadata);
  }
  if (IsTransactionConflict(mysql_errno)) {
    return MakeError(absl::StatusCode::kAborted, "DATABASE_CONFLICT", kConflictMessage, metadata);
  }
  if (mysql_errno == kErrorMariaDbStatementTimeout || mysql_errno == kErrorMySqlQueryTimeout) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, "DATABASE_TIMEOUT", kTimeoutMessage,
                     metadata);
  }
  if (IsClientError(mysql_errno)) {
    return MakeError(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", kUnavailableMessage,
                     metadata);
  }
  return MakeError(absl::StatusCode::kInternal, "DATABASE_ERROR", kDatabaseErrorMessage, metadata);
}

int MySqlErrnoOf(const absl::Status& status) {
  ErrorMetadata metadata = ErrorMetadataOf(status);
  auto it = metadata.find("mysql_errno");
  int mysql_errno = 0;
  if (it == metadata.end() || !absl::SimpleAtoi(it->second, &mysql_errno)) return 0;
  return mysql_errno;
}

absl::Status DeadlinePassedError() {
  return MakeError(absl::StatusCode::kDeadlineExceeded, "DATABASE_TIMEOUT", kTimeoutMessage);
}

absl::Status PoolExhaustedError(int max_connections) {
  return MakeError(absl::StatusCode::kUnavailable, "DATABASE_POOL_EXHAUSTED",
                   "系统繁忙，暂时无法处理请求，请稍后重试。",
                   {{"max_connections", absl::StrCat(max_connections)}});
}

std::string RedactServerMessage(int mysql_errno, absl::string_view server_message) {
  if (!QuotesValue(mysql_errno)) return std::string(server_message);
  size_t open = server_message.find('\'');
  if (open == absl::string_view::npos) return std::string(server_message);
  // The value itself may contain quotes, so the quoted value ends at the last "' " before the
  // rest of the message ("' for key", "' for column", ...), or at the last quote.
  size_t close = server_message.find("' for ", open + 1);
  if (close == absl::string_view::npos) close = server_message.rfind('\'');
  if (close == absl::string_view::npos || close <= open) return std::string(server_message);
  return absl::StrCat(server_message.substr(0, open + 1), "?", server_message.substr(close));
}

void LogMySqlError(int mysql_errno, absl::string_view sql_state, absl::string_view server_message,
                   absl::string_view sql, int64_t connection_id) {
  int64_t suppressed = 0;
  if (!AdmitLogLine(absl::StrCat("mysql_errno:", mysql_errno), &suppressed)) return;

  std::string text = RedactServerMessage(mysql_errno, server_message);
  std::string statement(sql);
  std::string state(sql_state);
  std::string suppressed_note =
      suppressed > 0 ? absl::StrCat(" (", suppressed, " similar errors not logged)") : "";
  auto level = IsTransactionConflict(mysql_errno) || mysql_errno == kErrorDuplicateKey
                   ? spdlog::level::warn
                   : spdlog::level::err;
  spdlog::log(level, "MySQL error {} (SQLSTATE {}) on connection {}: {}; statement: {}{}",
              mysql_errno, state, connection_id, text, statement, suppressed_note);
}

}  // namespace quxiang::db::internal

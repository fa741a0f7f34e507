// Row accessors and the small free functions of db.h.
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "libs/db/sql_error.h"
#include "libs/status/error.h"
#include "spdlog/spdlog.h"

namespace quxiang::db {
namespace {

// Logs a value that does not parse as the type the caller asked for. The value itself is not
// logged because it may be personal data.
void LogUnparsable(size_t column, const char* type) {
  spdlog::error("column {} of a row does not hold a valid {}; reading it as the zero value",
                column, type);
}

}  // namespace

bool Row::IsNull(size_t column) const { return !values_.at(column).has_value(); }

std::string Row::String(size_t column) const { return values_.at(column).value_or(""); }

int64_t Row::Int64(size_t column) const {
  const std::optional<std::string>& value = values_.at(column);
  if (!value.has_value()) return 0;
  int64_t result = 0;
  if (!absl::SimpleAtoi(*value, &result)) {
    LogUnparsable(column, "64-bit integer");
    return 0;
  }
  return result;
}

double Row::Double(size_t column) const {
  const std::optional<std::string>& value = values_.at(column);
  if (!value.has_value()) return 0;
  double result = 0;
  if (!absl::SimpleAtod(*value, &result)) {
    LogUnparsable(column, "number");
    return 0;
  }
  return result;
}

bool Row::Bool(size_t column) const { return Int64(column) != 0; }

absl::Time Row::Time(size_t column) const {
  const std::optional<std::string>& value = values_.at(column);
  if (!value.has_value()) return absl::InfinitePast();
  absl::Time time;
  std::string error;
  // %E*S takes the seconds with or without a fraction: Connector/C++ drops ".000000".
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", *value, absl::UTCTimeZone(), &time, &error)) {
    return time;
  }
  if (absl::ParseTime("%Y-%m-%d", *value, absl::UTCTimeZone(), &time, &error)) return time;
  LogUnparsable(column, "DATETIME");
  return absl::InfinitePast();
}

std::string FormatDateTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", time, absl::UTCTimeZone());
}

bool IsDuplicateKey(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAlreadyExists &&
         ErrorReason(status) == "DUPLICATE_KEY";
}

absl::StatusOr<std::optional<Row>> Session::QueryOne(absl::string_view sql,
                                                     const std::vector<Param>& params) {
  absl::StatusOr<std::vector<Row>> rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Row>();
  if (rows->size() > 1) {
    spdlog::error("QueryOne got {} rows, expected at most one; statement: {}", rows->size(),
                  std::string(sql));
    return internal::StatusFromMySqlError(0, "QueryOne got more than one row");
  }
  return std::optional<Row>(std::move(rows->front()));
}

}  // namespace quxiang::db

// Helpers of the migration runner and the idempotency store that tests reach directly.
#ifndef QUXIANG_LIBS_DB_SQL_SCRIPT_H_
#define QUXIANG_LIBS_DB_SQL_SCRIPT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace quxiang::db::internal {

// Splits a migration file into statements. A statement ends at a ';' that is the last
// non-blank character of a line. Blank lines and lines with only a comment ("-- ..." or
// "# ...") are dropped, and text after the last ';' is a statement too.
// NOTE: a string literal with ';' at the end of one of its lines would be split, so migrations
// must not contain one.
std::vector<std::string> SplitSqlStatements(absl::string_view script);

// The SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view data);

}  // namespace quxiang::db::internal

#endif  // QUXIANG_LIBS_DB_SQL_SCRIPT_H_

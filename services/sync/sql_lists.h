// Helpers for statements with a variable number of values. Each distinct number of placeholders
// is a distinct prepared statement in every connection's cache, so lists are padded or split into
// a few fixed sizes (powers of two) to keep that cache small.
#ifndef QUXIANG_SERVICES_SYNC_SQL_LISTS_H_
#define QUXIANG_SERVICES_SYNC_SQL_LISTS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "libs/db/db.h"

namespace quxiang::sync {

// The largest number of values an IN list or a multi-row INSERT of this service carries.
inline constexpr size_t kMaxStatementRows = 128;

// "?, ?, ?" with `count` placeholders.
std::string Placeholders(size_t count);

// "(?, ?), (?, ?)": `rows` groups of `columns` placeholders.
std::string RowPlaceholders(size_t rows, size_t columns);

// The next power of two at or above `count`, at most kMaxStatementRows.
size_t PaddedCount(size_t count);

// Appends `values` to `params`, repeated at the end up to PaddedCount(values.size()); a repeated
// value in an IN list changes no result. `values` must hold 1 to kMaxStatementRows values.
template <typename T>
void AppendPaddedList(const std::vector<T>& values, std::vector<db::Param>& params) {
  size_t padded = PaddedCount(values.size());
  for (size_t i = 0; i < padded; ++i) params.push_back(i < values.size() ? values[i] : values.back());
}

// Splits `count` rows into chunk sizes that are powers of two of at most kMaxStatementRows, the
// large ones first: 300 becomes 128, 128, 32, 8, 4.
std::vector<size_t> PowerOfTwoChunks(size_t count);

// Splits `values` into consecutive slices of at most kMaxStatementRows.
template <typename T>
std::vector<std::vector<T>> Slices(const std::vector<T>& values) {
  std::vector<std::vector<T>> slices;
  for (size_t start = 0; start < values.size(); start += kMaxStatementRows) {
    size_t end = std::min(values.size(), start + kMaxStatementRows);
    slices.emplace_back(values.begin() + start, values.begin() + end);
  }
  return slices;
}

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_SQL_LISTS_H_

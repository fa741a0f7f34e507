#include "services/sync/sql_lists.h"

#include <algorithm>

namespace quxiang::sync {

std::string Placeholders(size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

std::string RowPlaceholders(size_t rows, size_t columns) {
  std::string row = "(" + Placeholders(columns) + ")";
  std::string text;
  for (size_t i = 0; i < rows; ++i) {
    if (i > 0) text += ", ";
    text += row;
  }
  return text;
}

size_t PaddedCount(size_t count) {
  size_t padded = 1;
  while (padded < count) padded *= 2;
  return std::min(padded, kMaxStatementRows);
}

std::vector<size_t> PowerOfTwoChunks(size_t count) {
  std::vector<size_t> chunks;
  while (count > 0) {
    size_t chunk = kMaxStatementRows;
    while (chunk > count) chunk /= 2;
    chunks.push_back(chunk);
    count -= chunk;
  }
  return chunks;
}

}  // namespace quxiang::sync

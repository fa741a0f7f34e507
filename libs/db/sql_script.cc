#include "libs/db/sql_script.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace quxiang::db::internal {
namespace {

bool IsCommentLine(absl::string_view trimmed_line) {
  return absl::StartsWith(trimmed_line, "--") || absl::StartsWith(trimmed_line, "#");
}

}  // namespace

std::vector<std::string> SplitSqlStatements(absl::string_view script) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(script, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || IsCommentLine(trimmed)) continue;

    absl::string_view content = absl::StripTrailingAsciiWhitespace(line);
    bool ends_statement = absl::ConsumeSuffix(&content, ";");
    if (!current.empty()) current.push_back('\n');
    current.append(content.data(), content.size());
    if (ends_statement) {
      absl::string_view statement = absl::StripAsciiWhitespace(current);
      if (!statement.empty()) statements.emplace_back(statement);
      current.clear();
    }
  }
  absl::string_view rest = absl::StripAsciiWhitespace(current);
  if (!rest.empty()) statements.emplace_back(rest);
  return statements;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace quxiang::db::internal

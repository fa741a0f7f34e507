#include "services/accounts/graduate_accounts_repository.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace quxiang::accounts {
namespace {

// The number of IN placeholders for `count` values: the next power of two, so that each
// connection caches a few statement shapes instead of one per list length.
size_t PaddedCount(size_t count) {
  size_t padded = 1;
  while (padded < count) padded *= 2;
  return padded;
}

}  // namespace

absl::StatusOr<std::vector<SchoolRecord>> GraduateAccountsRepository::FindSchoolsByCode(
    db::Session& s, const std::vector<std::string>& codes) {
  std::vector<SchoolRecord> schools;
  if (codes.empty()) return schools;
  size_t padded = PaddedCount(codes.size());
  std::vector<db::Param> params;
  std::string placeholders;
  for (size_t i = 0; i < padded; ++i) {
    placeholders += i == 0 ? "?" : ", ?";
    params.push_back(i < codes.size() ? codes[i] : codes.back());
  }
  ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT id, code, name, province_code FROM schools WHERE code IN (",
                                                   placeholders, ")"),
                                      params));
  for (const auto& row : rows) {
    SchoolRecord school;
    school.id = row.Int64(0);
    school.code = row.String(1);
    school.name = row.String(2);
    school.province_code = row.String(3);
    schools.push_back(std::move(school));
  }
  return schools;
}

}  // namespace quxiang::accounts

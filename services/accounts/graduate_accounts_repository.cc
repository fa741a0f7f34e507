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

absl::StatusOr<std::map<std::string, GraduateLogin>> GraduateAccountsRepository::LockLogins(
    db::Session& s, const std::vector<std::string>& graduate_ids) {
  std::map<std::string, GraduateLogin> logins;
  if (graduate_ids.empty()) return logins;
  size_t padded = PaddedCount(graduate_ids.size());
  std::vector<db::Param> params;
  std::string placeholders;
  for (size_t i = 0; i < padded; ++i) {
    placeholders += i == 0 ? "?" : ", ?";
    params.push_back(i < graduate_ids.size() ? graduate_ids[i] : graduate_ids.back());
  }
  ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT gi.user_id, gi.graduate_id, gi.school_id, gi.name, "
                                                   "gi.id_number_digest, gi.activated_at, u.username, u.state "
                                                   "FROM graduate_identities gi JOIN users u ON u.id = gi.user_id "
                                                   "WHERE gi.graduate_id IN (",
                                                   placeholders, ") FOR UPDATE"),
                                      params));
  for (const auto& row : rows) {
    GraduateLogin login;
    login.user_id = row.Int64(0);
    login.graduate_id = row.String(1);
    login.school_id = row.Int64(2);
    login.name = row.String(3);
    login.id_number_digest = row.String(4);
    if (!row.IsNull(5)) login.activated_at = row.Time(5);
    login.username = row.String(6);
    login.state = static_cast<int>(row.Int64(7));
    logins[login.graduate_id] = std::move(login);
  }
  return logins;
}

absl::StatusOr<std::optional<GraduateLogin>> GraduateAccountsRepository::FindLoginByUserId(db::Session& s,
                                                                                         int64_t user_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT gi.user_id, gi.graduate_id, gi.school_id, gi.name, "
                                        "gi.id_number_digest, gi.activated_at, u.username, u.state "
                                        "FROM graduate_identities gi JOIN users u ON u.id = gi.user_id "
                                        "WHERE gi.user_id = ? FOR UPDATE",
                                        {user_id}));
  if (!row) return std::optional<GraduateLogin>();
  GraduateLogin login;
  login.user_id = row->Int64(0);
  login.graduate_id = row->String(1);
  login.school_id = row->Int64(2);
  login.name = row->String(3);
  login.id_number_digest = row->String(4);
  if (!row->IsNull(5)) login.activated_at = row->Time(5);
  login.username = row->String(6);
  login.state = static_cast<int>(row->Int64(7));
  return std::optional<GraduateLogin>(std::move(login));
}

absl::Status GraduateAccountsRepository::InsertIdentity(db::Session& s, const GraduateLogin& login, absl::Time now) {
  return s
      .Execute("INSERT INTO graduate_identities (user_id, graduate_id, school_id, name, id_number_digest, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               {login.user_id, login.graduate_id, login.school_id, login.name, login.id_number_digest, now})
      .status();
}

absl::Status GraduateAccountsRepository::UpdateLogin(db::Session& s, const GraduateLogin& login, absl::Time now) {
  RETURN_IF_ERROR(s.Execute("UPDATE graduate_identities SET school_id = ?, name = ?, id_number_digest = ?, "
                            "updated_at = ? WHERE user_id = ?",
                            {login.school_id, login.name, login.id_number_digest, now, login.user_id})
                      .status());
  return s
      .Execute("UPDATE users SET username = ?, display_name = ?, state = ?, version = version + 1, updated_at = ? "
               "WHERE id = ?",
               {login.username, login.name, static_cast<int64_t>(login.state), now, login.user_id})
      .status();
}

absl::Status GraduateAccountsRepository::Activate(db::Session& s, int64_t user_id, const std::string& password_hash,
                                                  absl::Time now) {
  RETURN_IF_ERROR(s.Execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, "
                            "version = version + 1, updated_at = ? WHERE id = ?",
                            {password_hash, now, user_id})
                      .status());
  return s.Execute("UPDATE graduate_identities SET activated_at = ?, updated_at = ? WHERE user_id = ?",
                   {now, now, user_id})
      .status();
}

}  // namespace quxiang::accounts

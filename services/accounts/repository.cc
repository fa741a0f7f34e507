#include "services/accounts/repository.h"

#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace quxiang::accounts {
namespace {

using db::Param;
using db::Row;

constexpr char kUserColumns[] =
    "u.id, u.username, u.display_name, u.kind, u.province_code, u.school_id, u.department_id, "
    "COALESCE(d.name, ''), u.employer_id, u.graduate_id, u.phone, u.state, u.password_hash, "
    "u.failed_logins, u.locked_until, u.grant_employment, u.grant_archive, u.grant_household, "
    "u.version, u.created_at, u.updated_at";

constexpr char kUserFrom[] = " FROM users u LEFT JOIN departments d ON d.id = u.department_id ";

UserRecord UserFromRow(const Row& row) {
  UserRecord user;
  user.id = row.Int64(0);
  user.username = row.String(1);
  user.display_name = row.String(2);
  user.kind = static_cast<int>(row.Int64(3));
  user.province_code = row.String(4);
  user.school_id = row.Int64(5);
  user.department_id = row.Int64(6);
  user.department_name = row.String(7);
  user.employer_id = row.Int64(8);
  user.graduate_id = row.String(9);
  user.phone = row.String(10);
  user.state = static_cast<int>(row.Int64(11));
  user.password_hash = row.String(12);
  user.failed_logins = static_cast<int>(row.Int64(13));
  if (!row.IsNull(14)) user.locked_until = row.Time(14);
  user.grant_employment = static_cast<int>(row.Int64(15));
  user.grant_archive = static_cast<int>(row.Int64(16));
  user.grant_household = static_cast<int>(row.Int64(17));
  user.version = row.Int64(18);
  user.created_at = row.Time(19);
  user.updated_at = row.Time(20);
  return user;
}

Param NullableId(int64_t id) { return id == 0 ? Param(nullptr) : Param(id); }

Param NullableText(const std::string& text) { return text.empty() ? Param(nullptr) : Param(text); }

std::string UserWhere(const UserFilter& filter, std::vector<Param>& params) {
  std::string where = " WHERE u.school_id = ?";
  params.push_back(filter.school_id);
  if (filter.department_id != 0) {
    where += " AND u.department_id = ?";
    params.push_back(filter.department_id);
  }
  if (filter.kind != 0) {
    where += " AND u.kind = ?";
    params.push_back(static_cast<int64_t>(filter.kind));
  }
  if (!filter.query.empty()) {
    where += " AND (u.username LIKE ? OR u.display_name LIKE ?)";
    std::string pattern;
    for (char c : filter.query) {
      if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    pattern += "%";
    params.push_back(pattern);
    params.push_back(pattern);
  }
  return where;
}

}  // namespace

absl::StatusOr<std::optional<ProvinceRecord>> Repository::FindProvince(db::Session& s, const std::string& code,
                                                                      bool for_update) {
  std::string sql =
      "SELECT code, name, employment_enabled, archive_enabled, household_enabled, agreement_type, version "
      "FROM provinces WHERE code = ?";
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {code}));
  if (!row) return std::optional<ProvinceRecord>();
  ProvinceRecord province;
  province.code = row->String(0);
  province.name = row->String(1);
  province.employment_enabled = row->Bool(2);
  province.archive_enabled = row->Bool(3);
  province.household_enabled = row->Bool(4);
  province.agreement_type = static_cast<int>(row->Int64(5));
  province.version = row->Int64(6);
  return province;
}

absl::Status Repository::InsertProvince(db::Session& s, const ProvinceRecord& province, absl::Time now) {
  return s
      .Execute(
          "INSERT INTO provinces (code, name, employment_enabled, archive_enabled, household_enabled, "
          "agreement_type, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
          {province.code, province.name, province.employment_enabled, province.archive_enabled,
           province.household_enabled, static_cast<int64_t>(province.agreement_type), now, now})
      .status();
}

absl::StatusOr<bool> Repository::UpdateProvince(db::Session& s, const ProvinceRecord& province,
                                               int64_t expected_version, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE provinces SET employment_enabled = ?, archive_enabled = ?, "
                             "household_enabled = ?, agreement_type = ?, version = version + 1, "
                             "updated_at = ? WHERE code = ? AND version = ?",
                             {province.employment_enabled, province.archive_enabled,
                              province.household_enabled, static_cast<int64_t>(province.agreement_type),
                              now, province.code, expected_version}));
  return changed == 1;
}

absl::StatusOr<std::optional<SchoolRecord>> Repository::FindSchool(db::Session& s, int64_t id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id, code, name, province_code FROM schools WHERE id = ?", {id}));
  if (!row) return std::optional<SchoolRecord>();
  return SchoolRecord{row->Int64(0), row->String(1), row->String(2), row->String(3)};
}

absl::StatusOr<std::vector<SchoolRecord>> Repository::SearchSchools(db::Session& s, const std::string& code,
                                                                   const std::string& name_fragment, int limit) {
  // LIKE wildcards in the fragment are escaped so "%" and "_" match themselves.
  std::string pattern = "%";
  for (char c : name_fragment) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, code, name, province_code FROM schools "
                                      "WHERE code = ? OR name LIKE ? "
                                      "ORDER BY code = ? DESC, name, id LIMIT ?",
                                      {code, pattern, code, static_cast<int64_t>(limit)}));
  std::vector<SchoolRecord> schools;
  schools.reserve(rows.size());
  for (const auto& row : rows) schools.push_back({row.Int64(0), row.String(1), row.String(2), row.String(3)});
  return schools;
}

absl::StatusOr<int64_t> Repository::InsertSchool(db::Session& s, const SchoolRecord& school, absl::Time now) {
  RETURN_IF_ERROR(s.Execute("INSERT INTO schools (code, name, province_code, version, created_at, updated_at) "
                            "VALUES (?, ?, ?, 1, ?, ?)",
                            {school.code, school.name, school.province_code, now, now})
                      .status());
  return s.LastInsertId();
}

absl::StatusOr<std::vector<DepartmentRecord>> Repository::ListDepartments(db::Session& s, int64_t school_id) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, school_id, name FROM departments WHERE school_id = ? "
                                      "ORDER BY id",
                                      {school_id}));
  std::vector<DepartmentRecord> departments;
  departments.reserve(rows.size());
  for (const auto& row : rows) departments.push_back({row.Int64(0), row.Int64(1), row.String(2)});
  return departments;
}

absl::StatusOr<std::vector<DepartmentRecord>> Repository::FindDepartmentsByName(db::Session& s, int64_t school_id,
                                                                               const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, school_id, name FROM departments WHERE school_id = ? AND name = ?",
                                      {school_id, name}));
  std::vector<DepartmentRecord> departments;
  for (const auto& row : rows) departments.push_back({row.Int64(0), row.Int64(1), row.String(2)});
  return departments;
}

absl::StatusOr<std::optional<DepartmentRecord>> Repository::FindDepartment(db::Session& s, int64_t id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id, school_id, name FROM departments WHERE id = ?", {id}));
  if (!row) return std::optional<DepartmentRecord>();
  return DepartmentRecord{row->Int64(0), row->Int64(1), row->String(2)};
}

absl::StatusOr<int> Repository::InsertDepartments(db::Session& s, int64_t school_id,
                                                  const std::vector<std::string>& names, absl::Time now) {
  int created = 0;
  for (const auto& name : names) {
    ASSIGN_OR_RETURN(int64_t changed,
                     s.Execute("INSERT IGNORE INTO departments (school_id, name, created_at) VALUES (?, ?, ?)",
                               {school_id, name, now}));
    created += static_cast<int>(changed);
  }
  return created;
}

absl::StatusOr<int64_t> Repository::InsertEmployer(db::Session& s, const EmployerRecord& employer, absl::Time now) {
  RETURN_IF_ERROR(s.Execute("INSERT INTO employers (credit_code, name, contact_name, contact_phone, created_at, "
                            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                            {employer.credit_code, employer.name, employer.contact_name, employer.contact_phone,
                             now, now})
                      .status());
  return s.LastInsertId();
}

absl::StatusOr<std::optional<EmployerRecord>> Repository::FindEmployer(db::Session& s, int64_t id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id, credit_code, name, contact_name, contact_phone FROM employers "
                                        "WHERE id = ?",
                                        {id}));
  if (!row) return std::optional<EmployerRecord>();
  return EmployerRecord{row->Int64(0), row->String(1), row->String(2), row->String(3), row->String(4)};
}

absl::StatusOr<std::optional<UserRecord>> Repository::FindUserByUsername(db::Session& s,
                                                                       const std::string& username) {
  ASSIGN_OR_RETURN(auto row,
                   s.QueryOne(absl::StrCat("SELECT ", kUserColumns, kUserFrom, "WHERE u.username = ?"), {username}));
  if (!row) return std::optional<UserRecord>();
  return UserFromRow(*row);
}

absl::StatusOr<std::optional<UserRecord>> Repository::FindUser(db::Session& s, int64_t id, bool for_update) {
  std::string sql = absl::StrCat("SELECT ", kUserColumns, kUserFrom, "WHERE u.id = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {id}));
  if (!row) return std::optional<UserRecord>();
  return UserFromRow(*row);
}

absl::StatusOr<int64_t> Repository::InsertUser(db::Session& s, const UserRecord& user, absl::Time now) {
  RETURN_IF_ERROR(
      s.Execute("INSERT INTO users (username, display_name, kind, province_code, school_id, department_id, "
                "employer_id, graduate_id, phone, state, password_hash, failed_logins, grant_employment, "
                "grant_archive, grant_household, version, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?)",
                {user.username, user.display_name, static_cast<int64_t>(user.kind), NullableText(user.province_code),
                 NullableId(user.school_id), NullableId(user.department_id), NullableId(user.employer_id),
                 NullableText(user.graduate_id), user.phone, static_cast<int64_t>(user.state), user.password_hash,
                 static_cast<int64_t>(user.grant_employment), static_cast<int64_t>(user.grant_archive),
                 static_cast<int64_t>(user.grant_household), now, now})
          .status());
  return s.LastInsertId();
}

absl::StatusOr<bool> Repository::UpdateUser(db::Session& s, const UserRecord& user, int64_t expected_version,
                                            absl::Time now) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE users SET display_name = ?, department_id = ?, phone = ?, state = ?, "
                             "password_hash = ?, grant_employment = ?, grant_archive = ?, grant_household = ?, "
                             "version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                             {user.display_name, NullableId(user.department_id), user.phone,
                              static_cast<int64_t>(user.state), user.password_hash,
                              static_cast<int64_t>(user.grant_employment), static_cast<int64_t>(user.grant_archive),
                              static_cast<int64_t>(user.grant_household), now, user.id, expected_version}));
  return changed == 1;
}

absl::StatusOr<std::vector<UserRecord>> Repository::ListUsers(db::Session& s, const UserFilter& filter) {
  std::vector<Param> params;
  std::string sql = absl::StrCat("SELECT ", kUserColumns, kUserFrom, UserWhere(filter, params),
                                 " ORDER BY u.id LIMIT ? OFFSET ?");
  params.push_back(static_cast<int64_t>(filter.limit));
  params.push_back(static_cast<int64_t>(filter.offset));
  ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::vector<UserRecord> users;
  users.reserve(rows.size());
  for (const auto& row : rows) users.push_back(UserFromRow(row));
  return users;
}

absl::StatusOr<int64_t> Repository::CountUsers(db::Session& s, const UserFilter& filter) {
  std::vector<Param> params;
  std::string sql = absl::StrCat("SELECT COUNT(*) FROM users u", UserWhere(filter, params));
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, params));
  return row ? row->Int64(0) : 0;
}

absl::Status Repository::RecordFailedLogin(db::Session& s, int64_t user_id, int lock_threshold,
                                           absl::Time locked_until) {
  // One statement, so that concurrent wrong passwords each count. locked_until is assigned first
  // and reads the old count, whichever assignment order the server's sql_mode uses.
  return s
      .Execute("UPDATE users SET locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END, "
               "failed_logins = failed_logins + 1 WHERE id = ?",
               {static_cast<int64_t>(lock_threshold), locked_until, user_id})
      .status();
}

absl::Status Repository::ResetFailedLogins(db::Session& s, int64_t user_id) {
  return s.Execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", {user_id}).status();
}

absl::Status Repository::InsertSession(db::Session& s, const SessionRecord& session, const std::string& token_hash) {
  return s
      .Execute("INSERT INTO sessions (id, user_id, token_hash, csrf_token, created_at, last_seen_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               {session.id, session.user_id, token_hash, session.csrf_token, session.created_at,
                session.last_seen_at, session.expires_at})
      .status();
}

absl::StatusOr<std::optional<SessionRecord>> Repository::FindSessionByTokenHash(db::Session& s,
                                                                              const std::string& token_hash) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at, "
                                        "revoked_at FROM sessions WHERE token_hash = ?",
                                        {token_hash}));
  if (!row) return std::optional<SessionRecord>();
  SessionRecord session;
  session.id = row->String(0);
  session.user_id = row->Int64(1);
  session.csrf_token = row->String(2);
  session.created_at = row->Time(3);
  session.last_seen_at = row->Time(4);
  session.expires_at = row->Time(5);
  if (!row->IsNull(6)) session.revoked_at = row->Time(6);
  return session;
}

absl::Status Repository::TouchSession(db::Session& s, const std::string& session_id, absl::Time now) {
  return s.Execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", {now, session_id}).status();
}

absl::Status Repository::RevokeSession(db::Session& s, const std::string& session_id, absl::Time now) {
  return s.Execute("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, session_id})
      .status();
}

absl::Status Repository::RevokeUserSessions(db::Session& s, int64_t user_id, absl::Time now) {
  return s.Execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", {now, user_id})
      .status();
}

absl::Status Repository::InsertAudit(db::Session& s, const AuditRecord& entry) {
  return s
      .Execute("INSERT INTO audit_log (occurred_at, actor_user_id, actor_username, actor_kind, school_id, "
               "province_code, action, target_type, target_id, before_json, after_json, reason, request_id, peer) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {entry.occurred_at, NullableId(entry.actor_user_id), entry.actor_username,
                static_cast<int64_t>(entry.actor_kind), NullableId(entry.school_id), NullableText(entry.province_code),
                entry.action, entry.target_type, entry.target_id, NullableText(entry.before_json),
                NullableText(entry.after_json), entry.reason, entry.request_id, entry.peer})
      .status();
}

absl::StatusOr<std::vector<AuditRecord>> Repository::ListAudit(db::Session& s, int64_t school_id, int limit,
                                                               int offset) {
  ASSIGN_OR_RETURN(auto rows,
                   s.Query("SELECT id, occurred_at, actor_user_id, actor_username, actor_kind, action, target_type, "
                           "target_id, before_json, after_json, reason, request_id FROM audit_log "
                           "WHERE school_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                           {school_id, static_cast<int64_t>(limit), static_cast<int64_t>(offset)}));
  std::vector<AuditRecord> entries;
  for (const auto& row : rows) {
    AuditRecord entry;
    entry.id = row.Int64(0);
    entry.occurred_at = row.Time(1);
    entry.actor_user_id = row.Int64(2);
    entry.actor_username = row.String(3);
    entry.actor_kind = static_cast<int>(row.Int64(4));
    entry.action = row.String(5);
    entry.target_type = row.String(6);
    entry.target_id = row.String(7);
    entry.before_json = row.String(8);
    entry.after_json = row.String(9);
    entry.reason = row.String(10);
    entry.request_id = row.String(11);
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<int64_t> Repository::CountAudit(db::Session& s, int64_t school_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE school_id = ?", {school_id}));
  return row ? row->Int64(0) : 0;
}

}  // namespace quxiang::accounts

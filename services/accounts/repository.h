// The SQL of the accounts service. Every function runs on a db::Session that the caller opened
// (a transaction for writes), so that one request is one transaction.
#ifndef QUXIANG_SERVICES_ACCOUNTS_REPOSITORY_H_
#define QUXIANG_SERVICES_ACCOUNTS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::accounts {

struct ProvinceRecord {
  std::string code;
  std::string name;
  bool employment_enabled = false;
  bool archive_enabled = false;
  bool household_enabled = false;
  int agreement_type = 0;
  int64_t version = 1;
};

struct SchoolRecord {
  int64_t id = 0;
  std::string code;
  std::string name;
  std::string province_code;
};

struct DepartmentRecord {
  int64_t id = 0;
  int64_t school_id = 0;
  std::string name;
};

struct EmployerRecord {
  int64_t id = 0;
  std::string credit_code;
  std::string name;
  std::string contact_name;
  std::string contact_phone;
};

struct UserRecord {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  int kind = 0;
  std::string province_code;
  int64_t school_id = 0;
  int64_t department_id = 0;
  std::string department_name;
  int64_t employer_id = 0;
  std::string graduate_id;
  std::string phone;
  int state = 0;
  std::string password_hash;
  int failed_logins = 0;
  std::optional<absl::Time> locked_until;
  int grant_employment = 0;
  int grant_archive = 0;
  int grant_household = 0;
  int64_t version = 1;
  absl::Time created_at;
  absl::Time updated_at;
};

struct SessionRecord {
  std::string id;
  int64_t user_id = 0;
  std::string csrf_token;
  absl::Time created_at;
  absl::Time last_seen_at;
  absl::Time expires_at;
  std::optional<absl::Time> revoked_at;
};

struct AuditRecord {
  int64_t id = 0;
  absl::Time occurred_at;
  int64_t actor_user_id = 0;
  std::string actor_username;
  int actor_kind = 0;
  int64_t school_id = 0;
  std::string province_code;
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string before_json;
  std::string after_json;
  std::string reason;
  std::string request_id;
  std::string peer;
};

struct UserFilter {
  int64_t school_id = 0;
  int64_t department_id = 0;
  int kind = 0;
  std::string query;
  int limit = 20;
  int offset = 0;
};

class Repository {
 public:
  // Provinces.
  static absl::StatusOr<std::optional<ProvinceRecord>> FindProvince(db::Session& s, const std::string& code,
                                                                    bool for_update = false);
  static absl::Status InsertProvince(db::Session& s, const ProvinceRecord& province, absl::Time now);
  // Conditional on `expected_version`; false when another write came first.
  static absl::StatusOr<bool> UpdateProvince(db::Session& s, const ProvinceRecord& province,
                                             int64_t expected_version, absl::Time now);

  // Schools and departments.
  static absl::StatusOr<std::optional<SchoolRecord>> FindSchool(db::Session& s, int64_t id);
  // Schools whose code equals `code` or whose name contains `name_fragment`, exact code first,
  // then by name; at most `limit` rows.
  static absl::StatusOr<std::vector<SchoolRecord>> SearchSchools(db::Session& s, const std::string& code,
                                                                 const std::string& name_fragment, int limit);
  static absl::StatusOr<int64_t> InsertSchool(db::Session& s, const SchoolRecord& school, absl::Time now);
  static absl::StatusOr<std::vector<DepartmentRecord>> ListDepartments(db::Session& s, int64_t school_id);
  // The departments whose name equals `name` under the table's collation; callers compare bytes.
  static absl::StatusOr<std::vector<DepartmentRecord>> FindDepartmentsByName(db::Session& s, int64_t school_id,
                                                                             const std::string& name);
  static absl::StatusOr<std::optional<DepartmentRecord>> FindDepartment(db::Session& s, int64_t id);
  // Inserts the names not yet present; returns how many were new.
  static absl::StatusOr<int> InsertDepartments(db::Session& s, int64_t school_id,
                                               const std::vector<std::string>& names, absl::Time now);

  // Employers.
  static absl::StatusOr<int64_t> InsertEmployer(db::Session& s, const EmployerRecord& employer, absl::Time now);
  static absl::StatusOr<std::optional<EmployerRecord>> FindEmployer(db::Session& s, int64_t id);

  // Users.
  static absl::StatusOr<std::optional<UserRecord>> FindUserByUsername(db::Session& s,
                                                                     const std::string& username);
  static absl::StatusOr<std::optional<UserRecord>> FindUser(db::Session& s, int64_t id, bool for_update = false);
  static absl::StatusOr<int64_t> InsertUser(db::Session& s, const UserRecord& user, absl::Time now);
  // Writes every mutable field of `user`, conditional on `expected_version`; false when stale.
  static absl::StatusOr<bool> UpdateUser(db::Session& s, const UserRecord& user, int64_t expected_version,
                                         absl::Time now);
  static absl::StatusOr<std::vector<UserRecord>> ListUsers(db::Session& s, const UserFilter& filter);
  static absl::StatusOr<int64_t> CountUsers(db::Session& s, const UserFilter& filter);
  // Counts a failed login and locks the account at `lock_threshold` consecutive failures.
  static absl::Status RecordFailedLogin(db::Session& s, int64_t user_id, int lock_threshold,
                                        absl::Time locked_until);
  static absl::Status ResetFailedLogins(db::Session& s, int64_t user_id);

  // Sessions.
  static absl::Status InsertSession(db::Session& s, const SessionRecord& session, const std::string& token_hash);
  static absl::StatusOr<std::optional<SessionRecord>> FindSessionByTokenHash(db::Session& s,
                                                                            const std::string& token_hash);
  static absl::Status TouchSession(db::Session& s, const std::string& session_id, absl::Time now);
  static absl::Status RevokeSession(db::Session& s, const std::string& session_id, absl::Time now);
  static absl::Status RevokeUserSessions(db::Session& s, int64_t user_id, absl::Time now);

  // Audit.
  static absl::Status InsertAudit(db::Session& s, const AuditRecord& entry);
  static absl::StatusOr<std::vector<AuditRecord>> ListAudit(db::Session& s, int64_t school_id, int limit,
                                                            int offset);
  static absl::StatusOr<int64_t> CountAudit(db::Session& s, int64_t school_id);
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_REPOSITORY_H_

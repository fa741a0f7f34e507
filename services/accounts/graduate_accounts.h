// Graduate logins. Every graduate in the EMS roster can sign in to the graduate portal.
//
// The sync service, which mirrors the roster, creates and updates each graduate's account
// (UpsertGraduateAccounts). It disables the account when the graduate is removed from the roster
// (DisableGraduateAccounts), and upserts a restored graduate again, which enables it. The
// username is <院校代码>-<学号>, for example 4111010001-2022001234: unique across schools, and
// what a graduate knows without being told.
//
// An account starts without a password, so nobody can sign in with it. The graduate activates
// it once (ActivateGraduateAccount) with its username, name and full resident ID number, and
// chooses a password that meets the password policy. The ID number is not stored: accounts keeps
// only an HMAC-SHA256 of it under a key of its own (--graduate_identity_key_file), so a copy of
// the database alone does not let anyone test guesses. Wrong details count as failed logins
// and lock the account like wrong passwords do.
// NOTE: an activated account cannot be activated again, and no reset exists yet for a graduate
// who forgot the password (ResetPassword serves department accounts only).
#ifndef QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_H_
#define QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/accounts/v1/accounts.pb.h"
#include "services/accounts/accounts.h"

namespace quxiang::accounts {

// The maximum number of graduates in one UpsertGraduateAccounts or DisableGraduateAccounts call.
inline constexpr int kMaxGraduateAccountsPerCall = 500;

// Reads the HMAC key for ID number digests: the first line of `path`, at least 32 characters.
absl::StatusOr<std::string> LoadGraduateIdentityKey(const std::string& path);

// The username of a graduate's account.
std::string GraduateUsername(const std::string& school_code, const std::string& student_number);

class GraduateAccounts {
 public:
  GraduateAccounts(db::Pool& pool, const Clock& clock, std::string identity_key, AccountsOptions options = {});

  absl::Status UpsertGraduateAccounts(const RequestInfo& info, const v1::UpsertGraduateAccountsRequest& request,
                                      v1::UpsertGraduateAccountsResponse* response);
  absl::Status DisableGraduateAccounts(const RequestInfo& info, const v1::DisableGraduateAccountsRequest& request,
                                       v1::DisableGraduateAccountsResponse* response);
  absl::Status ActivateGraduateAccount(const RequestInfo& info, const v1::ActivateGraduateAccountRequest& request,
                                       v1::User* response);

 private:
  // The hex HMAC-SHA256 of a normalized ID number under the identity key.
  std::string IdNumberDigest(const std::string& id_number) const;

  db::Pool& pool_;
  const Clock& clock_;
  std::string identity_key_;
  AccountsOptions options_;
};

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_GRADUATE_ACCOUNTS_H_

// Argon2id password hashing (libargon2, PHC string format).
#ifndef QUXIANG_SERVICES_ACCOUNTS_PASSWORD_H_
#define QUXIANG_SERVICES_ACCOUNTS_PASSWORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::accounts {

// Parameters of OWASP's Argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane. They keep
// a login near 20 ms on one core while an offline guess costs the same.
struct PasswordHashParameters {
  uint32_t time_cost = 2;
  uint32_t memory_kib = 19 * 1024;
  uint32_t parallelism = 1;
};

absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashParameters& parameters = {});

// True when `password` matches the PHC-encoded `hash`.
bool VerifyPassword(absl::string_view password, const std::string& hash);

// Like VerifyPassword, but an empty `hash` (no such user, or a graduate login not activated yet)
// still costs one Argon2id run with `parameters` before returning false. Without it, those
// failures return one Argon2id run sooner than a wrong password, and the timing reveals which
// usernames exist even though the error bodies are the same.
bool VerifyPasswordOrHashDummy(absl::string_view password, const std::string& hash,
                               const PasswordHashParameters& parameters);

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_PASSWORD_H_

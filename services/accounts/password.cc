#include "services/accounts/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <vector>

#include "libs/status/error.h"

namespace quxiang::accounts {

absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashParameters& parameters) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return Internal("RANDOM_FAILED", "RAND_bytes failed");

  constexpr size_t kHashLength = 32;
  size_t encoded_length = argon2_encodedlen(parameters.time_cost, parameters.memory_kib,
                                            parameters.parallelism, sizeof(salt), kHashLength,
                                            Argon2_id);
  std::vector<char> encoded(encoded_length);
  int result = argon2id_hash_encoded(parameters.time_cost, parameters.memory_kib,
                                     parameters.parallelism, password.data(), password.size(),
                                     salt, sizeof(salt), kHashLength, encoded.data(),
                                     encoded.size());
  if (result != ARGON2_OK) return Internal("PASSWORD_HASH_FAILED", argon2_error_message(result));
  return std::string(encoded.data());
}

bool VerifyPassword(absl::string_view password, const std::string& hash) {
  if (hash.empty()) return false;
  return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool VerifyPasswordOrHashDummy(absl::string_view password, const std::string& hash,
                               const PasswordHashParameters& parameters) {
  if (!hash.empty()) return VerifyPassword(password, hash);
  // Hashing with the same parameters costs what a verification against a stored hash costs.
  // The hash is discarded, and a hashing failure changes nothing because the result is false anyway.
  (void)HashPassword(password, parameters);
  return false;
}

}  // namespace quxiang::accounts

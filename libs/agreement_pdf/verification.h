// Verification codes printed on electronic employment agreements.
//
// The code is the first 40 bits of HMAC-SHA256(server key, agreement number, version), written
// as 8 characters of Crockford's base32 alphabet (0-9 and A-Z without I, L, O, U). A valid code
// cannot be computed without the key. So the public verification page, which takes the
// agreement number and the code, reports "valid" only for a code printed on a real agreement.
// A new version of the same agreement gets a new code, which invalidates printed old versions.
//
// NOTE: A 40-bit code resists guessing only while the key stays secret and attempts are limited,
// so the verification page must rate-limit attempts per client and per agreement number.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_VERIFICATION_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_VERIFICATION_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace quxiang::agreement_pdf {

// Characters in a verification code, without the display hyphen.
inline constexpr size_t kVerificationCodeLength = 8;

// Shortest server key accepted, in bytes.
inline constexpr size_t kMinVerificationKeyBytes = 32;

class VerificationKey {
 public:
  // INVALID_ARGUMENT (VERIFICATION_KEY_TOO_SHORT) when `secret` has fewer than
  // kMinVerificationKeyBytes bytes.
  static absl::StatusOr<VerificationKey> Create(absl::string_view secret);

  // The 8-character code of `version` of the agreement `agreement_number`, such as "7KQ2M9XD".
  // INVALID_ARGUMENT when the number is empty or the version is not positive.
  absl::StatusOr<std::string> Derive(absl::string_view agreement_number, int64_t version) const;

  // The code of `version` of the agreement bound to its content too: `content_digest` (such as
  // the SHA-256 hex of the stored content) enters the HMAC after the version, length-prefixed.
  // An empty digest gives the same code as the overload without it.
  absl::StatusOr<std::string> Derive(absl::string_view agreement_number, int64_t version,
                                     absl::string_view content_digest) const;

  // Compares `entered` with the code of the agreement in constant time. Before comparing, it
  // removes spaces and hyphens, upper-cases letters and reads O as 0 and I or L as 1, as
  // Crockford's alphabet prescribes for typed codes. Returns false for any invalid input.
  bool Check(absl::string_view agreement_number, int64_t version, absl::string_view entered) const;

 private:
  explicit VerificationKey(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

// "7KQ2-M9XD": the code split in two groups of four for printing and typing.
std::string FormatVerificationCode(absl::string_view code);

// The verification page's link for one agreement: `base_url` followed by the query parameters
// no=<agreement number> and code=<code>, percent-encoded. The QR code on the agreement encodes
// this link. INVALID_ARGUMENT unless `base_url` starts with https:// or http:// and has no '#'.
absl::StatusOr<std::string> BuildVerificationLink(absl::string_view base_url,
                                                  absl::string_view agreement_number,
                                                  absl::string_view code);

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_VERIFICATION_H_

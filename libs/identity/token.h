// Identity tokens: claims signed by accounts with an Ed25519 private key and verified by every
// service with the public key, so that no other process can mint one.
//
// Format: "qx1.<key id>.<base64url claims>.<base64url signature>", where the claims are a
// serialized quxiang.common.v1.IdentityClaims and the signature covers everything before the
// last dot. The key id is derived from the public key, which lets a verifier hold the old and
// the new key during a rotation without logging anyone out.
#ifndef QUXIANG_LIBS_IDENTITY_TOKEN_H_
#define QUXIANG_LIBS_IDENTITY_TOKEN_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "quxiang/common/v1/identity.pb.h"

namespace quxiang::identity {

class TokenSigner {
 public:
  // Loads an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519).
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromPemFile(const std::string& path);
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromPem(absl::string_view pem);
  ~TokenSigner();

  // Signs `claims` as they are; the caller sets issued_at and expires_at.
  std::string Sign(const common::v1::IdentityClaims& claims) const;
  const std::string& key_id() const { return key_id_; }

 private:
  TokenSigner() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::string key_id_;
};

class TokenVerifier {
 public:
  // Loads one or more Ed25519 public keys in PEM; more than one during a key rotation.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromPemFiles(
      const std::vector<std::string>& paths);
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromPems(
      const std::vector<std::string>& pems);
  ~TokenVerifier();

  // Returns the claims of a token whose signature is valid under a known key and which has not
  // expired at `now`; UNAUTHENTICATED with reason INVALID_TOKEN or TOKEN_EXPIRED otherwise.
  absl::StatusOr<common::v1::IdentityClaims> Verify(absl::string_view token, absl::Time now) const;

 private:
  TokenVerifier() = default;
  struct Keys;
  std::unique_ptr<Keys> keys_;
};

}  // namespace quxiang::identity

#endif  // QUXIANG_LIBS_IDENTITY_TOKEN_H_

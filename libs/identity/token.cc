#include "libs/identity/token.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/status/error.h"

namespace quxiang::identity {
namespace {

constexpr char kTokenVersion[] = "qx1";

absl::Status InvalidToken() {
  return Unauthenticated("INVALID_TOKEN", "身份凭证无效，请重新登录。");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return FailedPrecondition("KEY_FILE_UNREADABLE", absl::StrCat("无法读取密钥文件 ", path, "。"),
                              {{"path", path}});
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// The first 16 hex digits of the SHA-256 of the raw public key.
std::string KeyIdOf(EVP_PKEY* key) {
  unsigned char raw[64];
  size_t length = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &length) != 1) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(raw, length, digest);
  return absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)))
      .substr(0, 16);
}

std::string Base64Url(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

}  // namespace

struct TokenSigner::Key {
  PkeyPtr pkey;
};

struct TokenVerifier::Keys {
  std::map<std::string, PkeyPtr> by_id;
};

TokenSigner::~TokenSigner() = default;
TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromPemFile(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPem(*pem);
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromPem(absl::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return FailedPrecondition("INVALID_SIGNING_KEY", "令牌签名私钥不是有效的 Ed25519 PEM 私钥。");
  }
  std::unique_ptr<TokenSigner> signer(new TokenSigner());
  signer->key_id_ = KeyIdOf(key.get());
  signer->key_ = std::make_unique<Key>(Key{std::move(key)});
  return signer;
}

std::string TokenSigner::Sign(const common::v1::IdentityClaims& claims) const {
  std::string signed_part =
      absl::StrCat(kTokenVersion, ".", key_id_, ".", Base64Url(claims.SerializeAsString()));

  unsigned char signature[64];
  size_t signature_length = sizeof(signature);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_->pkey.get());
  EVP_DigestSign(context, signature, &signature_length,
                 reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
  EVP_MD_CTX_free(context);

  return absl::StrCat(
      signed_part, ".",
      Base64Url(absl::string_view(reinterpret_cast<const char*>(signature), signature_length)));
}

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromPemFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> pems;
  for (const auto& path : paths) {
    auto pem = ReadFile(path);
    if (!pem.ok()) return pem.status();
    pems.push_back(*std::move(pem));
  }
  return FromPems(pems);
}

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromPems(
    const std::vector<std::string>& pems) {
  std::unique_ptr<TokenVerifier> verifier(new TokenVerifier());
  verifier->keys_ = std::make_unique<Keys>();
  for (const auto& pem : pems) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    PkeyPtr key(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
      return FailedPrecondition("INVALID_VERIFICATION_KEY",
                                "令牌验证公钥不是有效的 Ed25519 PEM 公钥。");
    }
    std::string id = KeyIdOf(key.get());
    verifier->keys_->by_id[id] = std::move(key);
  }
  if (verifier->keys_->by_id.empty()) {
    return FailedPrecondition("NO_VERIFICATION_KEY", "没有配置令牌验证公钥。");
  }
  return verifier;
}

absl::StatusOr<common::v1::IdentityClaims> TokenVerifier::Verify(absl::string_view token,
                                                                 absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 4 || parts[0] != kTokenVersion) return InvalidToken();

  auto key = keys_->by_id.find(std::string(parts[1]));
  if (key == keys_->by_id.end()) return InvalidToken();

  std::string payload;
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &payload) ||
      !absl::WebSafeBase64Unescape(parts[3], &signature)) {
    return InvalidToken();
  }

  size_t signed_length = parts[0].size() + parts[1].size() + parts[2].size() + 2;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  int verified = EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key->second.get()) == 1 &&
                 EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(),
                                  reinterpret_cast<const unsigned char*>(token.data()),
                                  signed_length) == 1;
  EVP_MD_CTX_free(context);
  if (!verified) return InvalidToken();

  common::v1::IdentityClaims claims;
  if (!claims.ParseFromString(payload)) return InvalidToken();
  if (absl::FromUnixSeconds(claims.expires_at()) <= now) {
    return Unauthenticated("TOKEN_EXPIRED", "登录已过期，请重新登录。");
  }
  return claims;
}

}  // namespace quxiang::identity

#include <cstdio>
#include <memory>

#include "gtest/gtest.h"
#include "libs/identity/principal.h"
#include "libs/identity/token.h"
#include "libs/status/error.h"
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace quxiang::identity {
namespace {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair GenerateKeyPair() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* private_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(private_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* public_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(public_bio, key);
  KeyPair pair;
  char* data = nullptr;
  long length = BIO_get_mem_data(private_bio, &data);
  pair.private_pem.assign(data, length);
  length = BIO_get_mem_data(public_bio, &data);
  pair.public_pem.assign(data, length);
  BIO_free(private_bio);
  BIO_free(public_bio);
  EVP_PKEY_free(key);
  return pair;
}

common::v1::IdentityClaims SchoolClaims(absl::Time now) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_SCHOOL);
  claims.set_user_id("7");
  claims.set_school_id("3");
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(now + absl::Minutes(5)));
  auto* grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(common::v1::ACCESS_READ_ONLY);
  return claims;
}

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = GenerateKeyPair();
    signer_ = *TokenSigner::FromPem(keys_.private_pem);
    verifier_ = *TokenVerifier::FromPems({keys_.public_pem});
  }
  KeyPair keys_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<TokenVerifier> verifier_;
  absl::Time now_ = absl::FromUnixSeconds(1796000000);
};

TEST_F(TokenTest, SignedTokenVerifies) {
  auto claims = verifier_->Verify(signer_->Sign(SchoolClaims(now_)), now_);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->user_id(), "7");
  EXPECT_EQ(claims->school_id(), "3");
}

TEST_F(TokenTest, ExpiredTokenRefused) {
  auto claims = verifier_->Verify(signer_->Sign(SchoolClaims(now_)), now_ + absl::Minutes(6));
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(claims.status()), "TOKEN_EXPIRED");
}

TEST_F(TokenTest, TokenOfOtherKeyRefused) {
  KeyPair other = GenerateKeyPair();
  auto forger = *TokenSigner::FromPem(other.private_pem);
  auto claims = verifier_->Verify(forger->Sign(SchoolClaims(now_)), now_);
  EXPECT_EQ(ErrorReason(claims.status()), "INVALID_TOKEN");
}

TEST_F(TokenTest, TamperedClaimsRefused) {
  std::string token = signer_->Sign(SchoolClaims(now_));
  common::v1::IdentityClaims raised = SchoolClaims(now_);
  raised.set_school_id("4");
  std::string forged_payload = signer_->Sign(raised);
  // Splice the other token's claims in front of the original signature.
  auto payload_of = [](const std::string& t) {
    size_t last = t.rfind('.');
    return t.substr(0, last);
  };
  std::string spliced = payload_of(forged_payload) + token.substr(token.rfind('.'));
  EXPECT_EQ(ErrorReason(verifier_->Verify(spliced, now_).status()), "INVALID_TOKEN");
}

TEST_F(TokenTest, GarbageRefused) {
  for (const char* token : {"", "qx1", "qx1.a.b.c", "a.b.c.d", "qx1...."}) {
    SCOPED_TRACE(token);
    EXPECT_EQ(verifier_->Verify(token, now_).status().code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(TokenTest, RotationAcceptsBothKeys) {
  KeyPair next = GenerateKeyPair();
  auto next_signer = *TokenSigner::FromPem(next.private_pem);
  auto both = *TokenVerifier::FromPems({keys_.public_pem, next.public_pem});
  EXPECT_TRUE(both->Verify(signer_->Sign(SchoolClaims(now_)), now_).ok());
  EXPECT_TRUE(both->Verify(next_signer->Sign(SchoolClaims(now_)), now_).ok());
}

TEST(Authorization, ReadOnlyGrantCannotWrite) {
  Principal principal(SchoolClaims(absl::Now()));
  EXPECT_TRUE(RequireModuleAccess(principal, common::v1::MODULE_EMPLOYMENT,
                                  common::v1::ACCESS_READ_ONLY)
                  .ok());
  absl::Status write = RequireModuleAccess(principal, common::v1::MODULE_EMPLOYMENT,
                                           common::v1::ACCESS_READ_WRITE);
  EXPECT_EQ(write.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(write), "MODULE_READ_ONLY");
}

TEST(Authorization, MissingGrantMeansNone) {
  Principal principal(SchoolClaims(absl::Now()));
  absl::Status read = RequireModuleAccess(principal, common::v1::MODULE_ARCHIVE,
                                          common::v1::ACCESS_READ_ONLY);
  EXPECT_EQ(ErrorReason(read), "MODULE_ACCESS_NONE");
}

TEST(Authorization, OtherSchoolRefused) {
  Principal principal(SchoolClaims(absl::Now()));
  EXPECT_TRUE(RequireSchool(principal, "3").ok());
  EXPECT_EQ(RequireSchool(principal, "4").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(RequireSchool(principal, "").code(), absl::StatusCode::kPermissionDenied);
}

TEST(Authorization, KindChecked) {
  Principal principal(SchoolClaims(absl::Now()));
  EXPECT_TRUE(RequireKind(principal, {common::v1::PRINCIPAL_KIND_SCHOOL}).ok());
  EXPECT_EQ(RequireKind(principal, {common::v1::PRINCIPAL_KIND_OPERATOR}).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace quxiang::identity

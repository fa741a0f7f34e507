#include "libs/agreement_pdf/verification.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "libs/status/error.h"

namespace quxiang::agreement_pdf {
namespace {

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";
constexpr char kOtherKey[] = "fedcba9876543210fedcba9876543210-other-key";

VerificationKey MakeKey(const std::string& secret) {
  absl::StatusOr<VerificationKey> key = VerificationKey::Create(secret);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

TEST(VerificationKeyTest, RejectsShortKey) {
  absl::StatusOr<VerificationKey> key = VerificationKey::Create("short-key");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(key.status()), "VERIFICATION_KEY_TOO_SHORT");
  EXPECT_TRUE(VerificationKey::Create(std::string(kMinVerificationKeyBytes, 'k')).ok());
}

TEST(VerificationKeyTest, CodeIsStableAndTypeable) {
  VerificationKey key = MakeKey(kKey);
  absl::StatusOr<std::string> first = key.Derive("QX2026-000123", 1);
  absl::StatusOr<std::string> second = key.Derive("QX2026-000123", 1);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, *second);
  ASSERT_EQ(first->size(), kVerificationCodeLength);
  EXPECT_EQ(first->find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << *first;
  EXPECT_EQ(FormatVerificationCode(*first), first->substr(0, 4) + "-" + first->substr(4));
}

TEST(VerificationKeyTest, CodeDiffersByVersionNumberAndKey) {
  VerificationKey key = MakeKey(kKey);
  VerificationKey other_key = MakeKey(kOtherKey);
  const std::string base = *key.Derive("QX2026-000123", 1);
  EXPECT_NE(*key.Derive("QX2026-000123", 2), base);
  EXPECT_NE(*key.Derive("QX2026-000124", 1), base);
  EXPECT_NE(*other_key.Derive("QX2026-000123", 1), base);

  // Two of 200 random 40-bit codes collide with a probability near 2e-8, so a collision here
  // means the version does not reach the HMAC input.
  std::set<std::string> codes;
  for (int version = 1; version <= 200; ++version) codes.insert(*key.Derive("QX2026-000123", version));
  EXPECT_EQ(codes.size(), 200u);
}

TEST(VerificationKeyTest, CodeDiffersByContentDigest) {
  VerificationKey key = MakeKey(kKey);
  const std::string without_digest = *key.Derive("QX2026-000123", 1);
  EXPECT_EQ(*key.Derive("QX2026-000123", 1, ""), without_digest);

  const std::string first = *key.Derive("QX2026-000123", 1, "digest-of-content-a");
  EXPECT_EQ(*key.Derive("QX2026-000123", 1, "digest-of-content-a"), first);
  EXPECT_NE(first, without_digest);
  EXPECT_NE(*key.Derive("QX2026-000123", 1, "digest-of-content-b"), first);
  // The length prefix keeps the digest apart from the version bytes before it.
  EXPECT_NE(*key.Derive("QX2026-000123", 2, "digest-of-content-a"), first);
}

TEST(VerificationKeyTest, DeriveRejectsBadInput) {
  VerificationKey key = MakeKey(kKey);
  EXPECT_EQ(ErrorReason(key.Derive("", 1).status()), "AGREEMENT_NUMBER_MISSING");
  EXPECT_EQ(ErrorReason(key.Derive("QX1", 0).status()), "AGREEMENT_VERSION_INVALID");
  EXPECT_EQ(ErrorReason(key.Derive("QX1", -3).status()), "AGREEMENT_VERSION_INVALID");
}

TEST(VerificationKeyTest, CheckAcceptsTypedForms) {
  VerificationKey key = MakeKey(kKey);
  const std::string code = *key.Derive("QX2026-000123", 3);
  EXPECT_TRUE(key.Check("QX2026-000123", 3, code));
  EXPECT_TRUE(key.Check("QX2026-000123", 3, FormatVerificationCode(code)));

  std::string typed;
  for (char c : code) {
    // Lower case, and the look-alike letters a person may type.
    if (c == '0') typed.push_back('o');
    else if (c == '1') typed.push_back('l');
    else typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  EXPECT_TRUE(key.Check("QX2026-000123", 3, " " + typed.substr(0, 4) + " - " + typed.substr(4)));
}

TEST(VerificationKeyTest, CheckRejectsWrongCode) {
  VerificationKey key = MakeKey(kKey);
  VerificationKey other_key = MakeKey(kOtherKey);
  const std::string code = *key.Derive("QX2026-000123", 3);

  std::string changed = code;
  changed[7] = changed[7] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(key.Check("QX2026-000123", 3, changed));
  EXPECT_FALSE(key.Check("QX2026-000123", 2, code));
  EXPECT_FALSE(key.Check("QX2026-000124", 3, code));
  EXPECT_FALSE(other_key.Check("QX2026-000123", 3, code));
  EXPECT_FALSE(key.Check("QX2026-000123", 3, ""));
  EXPECT_FALSE(key.Check("QX2026-000123", 3, code.substr(0, 7)));
  EXPECT_FALSE(key.Check("QX2026-000123", 3, code + "0"));
  EXPECT_FALSE(key.Check("QX2026-000123", 3, code.substr(0, 7) + "U"));
  EXPECT_FALSE(key.Check("QX2026-000123", 3, code.substr(0, 7) + "*"));
  EXPECT_FALSE(key.Check("", 3, code));
  EXPECT_FALSE(key.Check("QX2026-000123", 0, code));
}

TEST(VerificationLinkTest, EncodesNumberAndCode) {
  EXPECT_EQ(*BuildVerificationLink("https://qx.example.cn/verify", "QX2026-000123", "7KQ2M9XD"),
            "https://qx.example.cn/verify?no=QX2026-000123&code=7KQ2M9XD");
  EXPECT_EQ(*BuildVerificationLink("https://qx.example.cn/v?lang=zh", "A B&C", "7KQ2M9XD"),
            "https://qx.example.cn/v?lang=zh&no=A%20B%26C&code=7KQ2M9XD");
}

TEST(VerificationLinkTest, RejectsBadBaseUrl) {
  for (const char* url : {"", "qx.example.cn/verify", "ftp://qx.example.cn", "javascript:alert(1)",
                          "https://qx.example.cn/verify#top", "https://qx.example.cn/a b"}) {
    SCOPED_TRACE(url);
    absl::StatusOr<std::string> link = BuildVerificationLink(url, "QX1", "7KQ2M9XD");
    ASSERT_FALSE(link.ok());
    EXPECT_EQ(ErrorReason(link.status()), "VERIFICATION_URL_INVALID");
  }
}

}  // namespace
}  // namespace quxiang::agreement_pdf

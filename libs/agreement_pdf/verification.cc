#include "libs/agreement_pdf/verification.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::agreement_pdf {

namespace {

constexpr char kCrockfordAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Separates these codes from any other HMAC the platform may compute under the same key.
constexpr absl::string_view kCodeContext = "quxiang.agreement-verification.v1";

void AppendBigEndian64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

// Maps a typed character to its alphabet character, or to 0 when it has none.
char NormalizeCodeChar(char c) {
  c = absl::ascii_toupper(static_cast<unsigned char>(c));
  if (c == 'O') return '0';
  if (c == 'I' || c == 'L') return '1';
  for (const char* p = kCrockfordAlphabet; *p != '\0'; ++p) {
    if (*p == c) return c;
  }
  return 0;
}

}  // namespace

absl::StatusOr<VerificationKey> VerificationKey::Create(absl::string_view secret) {
  if (secret.size() < kMinVerificationKeyBytes) {
    return InvalidArgument(
        "VERIFICATION_KEY_TOO_SHORT",
        absl::StrCat("协议验证码密钥过短（", secret.size(), " 字节），至少需要 ",
                     kMinVerificationKeyBytes, " 字节，请配置随机生成的密钥。"),
        {{"key_bytes", absl::StrCat(secret.size())}});
  }
  return VerificationKey(std::string(secret));
}

absl::StatusOr<std::string> VerificationKey::Derive(absl::string_view agreement_number,
                                                    int64_t version) const {
  return Derive(agreement_number, version, absl::string_view());
}

absl::StatusOr<std::string> VerificationKey::Derive(absl::string_view agreement_number,
                                                    int64_t version,
                                                    absl::string_view content_digest) const {
  if (agreement_number.empty()) {
    return InvalidArgument("AGREEMENT_NUMBER_MISSING", "缺少协议编号，无法生成验证码。");
  }
  if (version <= 0) {
    return InvalidArgument("AGREEMENT_VERSION_INVALID",
                           absl::StrCat("协议版本号 ", version, " 无效，版本号必须为正整数。"),
                           {{"version", absl::StrCat(version)}});
  }

  // Length-prefixed fields, so no two (number, version) pairs give the same message.
  std::string message(kCodeContext.data(), kCodeContext.size());
  AppendBigEndian64(message, agreement_number.size());
  message.append(agreement_number.data(), agreement_number.size());
  AppendBigEndian64(message, static_cast<uint64_t>(version));
  // Without a digest the message stays as it was before digests existed, so printed codes of
  // that form still match.
  if (!content_digest.empty()) {
    AppendBigEndian64(message, content_digest.size());
    message.append(content_digest.data(), content_digest.size());
  }

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &digest_length) == nullptr) {
    return Internal("VERIFICATION_CODE_FAILED", "HMAC-SHA256 of the agreement failed");
  }

  // The first 5 digest bytes are 40 bits, which make 8 base32 characters of 5 bits each.
  uint64_t bits = 0;
  for (int i = 0; i < 5; ++i) bits = (bits << 8) | digest[i];
  std::string code(kVerificationCodeLength, '0');
  for (size_t i = 0; i < kVerificationCodeLength; ++i) {
    const int shift = static_cast<int>(5 * (kVerificationCodeLength - 1 - i));
    code[i] = kCrockfordAlphabet[(bits >> shift) & 0x1F];
  }
  return code;
}

bool VerificationKey::Check(absl::string_view agreement_number, int64_t version,
                            absl::string_view entered) const {
  absl::StatusOr<std::string> expected = Derive(agreement_number, version);
  if (!expected.ok()) return false;

  std::string normalized;
  for (char c : entered) {
    if (c == ' ' || c == '-') continue;
    const char mapped = NormalizeCodeChar(c);
    if (mapped == 0) return false;
    normalized.push_back(mapped);
    if (normalized.size() > kVerificationCodeLength) return false;
  }
  if (normalized.size() != kVerificationCodeLength) return false;
  return CRYPTO_memcmp(normalized.data(), expected->data(), kVerificationCodeLength) == 0;
}

std::string FormatVerificationCode(absl::string_view code) {
  if (code.size() != kVerificationCodeLength) return std::string(code);
  return absl::StrCat(code.substr(0, 4), "-", code.substr(4));
}

absl::StatusOr<std::string> BuildVerificationLink(absl::string_view base_url,
                                                  absl::string_view agreement_number,
                                                  absl::string_view code) {
  const bool has_scheme =
      absl::StartsWith(base_url, "https://") || absl::StartsWith(base_url, "http://");
  if (!has_scheme || base_url.find('#') != absl::string_view::npos ||
      base_url.find_first_of(" \t\r\n") != absl::string_view::npos) {
    return InvalidArgument(
        "VERIFICATION_URL_INVALID",
        absl::StrCat("协议验证网址“", base_url,
                     "”无效，须以 https:// 或 http:// 开头，且不含空格和“#”。"),
        {{"verification_url", std::string(base_url)}});
  }

  const auto percent_encode = [](absl::string_view value) {
    std::string out;
    for (unsigned char c : value) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0x0F]);
      }
    }
    return out;
  };

  const char separator = base_url.find('?') != absl::string_view::npos ? '&' : '?';
  return absl::StrCat(base_url, std::string(1, separator), "no=", percent_encode(agreement_number),
                      "&code=", percent_encode(code));
}

}  // namespace quxiang::agreement_pdf

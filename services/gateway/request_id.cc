#include "services/gateway/request_id.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace quxiang::gateway {

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  std::array<uint8_t, 16> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failed to seed; request ids need to be unique, not secret.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(fallback());
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex.push_back('-');
    absl::StrAppendFormat(&hex, "%02x", bytes[i]);
  }
  return hex;
}

}  // namespace quxiang::gateway

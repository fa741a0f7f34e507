#include "services/gateway/session_cookies.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace quxiang::gateway {
namespace {

std::string CookieHeader(absl::string_view name, absl::string_view value, bool http_only,
                         bool secure, absl::string_view extra) {
  return absl::StrCat(name, "=", value, http_only ? "; HttpOnly" : "", "; SameSite=Strict; Path=/",
                      secure ? "; Secure" : "", extra);
}

}  // namespace

std::optional<std::string> FindCookie(absl::string_view cookie_header, absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(cookie_header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    size_t equals = pair.find('=');
    if (equals == absl::string_view::npos) continue;
    if (absl::StripAsciiWhitespace(pair.substr(0, equals)) != name) continue;
    absl::string_view value = absl::StripAsciiWhitespace(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::string SessionCookieHeader(absl::string_view session_token, bool secure) {
  return CookieHeader(kSessionCookie, session_token, /*http_only=*/true, secure, "");
}

std::string CsrfCookieHeader(absl::string_view csrf_token, bool secure) {
  return CookieHeader(kCsrfCookie, csrf_token, /*http_only=*/false, secure, "");
}

std::string ExpiredCookieHeader(absl::string_view name, bool http_only, bool secure) {
  return CookieHeader(name, "", http_only, secure, "; Max-Age=0");
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace quxiang::gateway

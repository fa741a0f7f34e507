// Cookies of browser sessions and the CSRF check.
//
// qx_session contains the session token and is HttpOnly, so scripts never see it. qx_csrf
// contains the CSRF token and is readable by scripts, which send it back in the X-CSRF-Token
// header on writes (the double-submit pattern). A page of another site can neither read the
// cookie nor set the header.
// Both cookies are SameSite=Strict and Path=/.
#ifndef QUXIANG_SERVICES_GATEWAY_SESSION_COOKIES_H_
#define QUXIANG_SERVICES_GATEWAY_SESSION_COOKIES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace quxiang::gateway {

inline constexpr char kSessionCookie[] = "qx_session";
inline constexpr char kCsrfCookie[] = "qx_csrf";
inline constexpr char kCsrfHeader[] = "x-csrf-token";

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<std::string> FindCookie(absl::string_view cookie_header, absl::string_view name);

// Set-Cookie values that store the tokens; `secure` adds the Secure attribute.
std::string SessionCookieHeader(absl::string_view session_token, bool secure);
std::string CsrfCookieHeader(absl::string_view csrf_token, bool secure);

// A Set-Cookie value that deletes cookie `name` (Max-Age=0).
std::string ExpiredCookieHeader(absl::string_view name, bool http_only, bool secure);

// Compares in time that depends only on the lengths, so that the position of the first wrong
// byte of a guessed CSRF token does not show in response times.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_SESSION_COOKIES_H_

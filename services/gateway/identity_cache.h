// Identity tokens of browser sessions, kept in memory so that not every request costs a call to
// AccountsService.RefreshIdentityToken.
#ifndef QUXIANG_SERVICES_GATEWAY_IDENTITY_CACHE_H_
#define QUXIANG_SERVICES_GATEWAY_IDENTITY_CACHE_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace quxiang::gateway {

struct SessionIdentity {
  std::string identity_token;
  // The token the browser must echo in X-CSRF-Token on writes.
  std::string csrf_token;
};

// A thread-safe map from session token to identity. An entry lives at most `max_age`, and never
// past the expiry of its identity token minus a margin for clock skew and transit time.
class IdentityCache {
 public:
  using Clock = std::function<absl::Time()>;

  // The margin before an identity token's expiry after which the cache no longer hands it out.
  static constexpr absl::Duration kExpiryMargin = absl::Seconds(5);

  explicit IdentityCache(absl::Duration max_age, size_t max_entries = 100000,
                         Clock clock = [] { return absl::Now(); });

  std::optional<SessionIdentity> Find(const std::string& session_token);

  // Stores `identity` for `session_token`. `token_expires_at` is the identity token's expiry, or
  // absl::InfiniteFuture() when the caller does not know it.
  void Store(const std::string& session_token, SessionIdentity identity,
             absl::Time token_expires_at);

  void Erase(const std::string& session_token);

  size_t size() const;

 private:
  struct Entry {
    SessionIdentity identity;
    absl::Time expires_at;
  };

  // Drops expired entries; called with mutex_ held when the map is full.
  void EvictExpiredLocked(absl::Time now);

  const absl::Duration max_age_;
  const size_t max_entries_;
  const Clock clock_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_IDENTITY_CACHE_H_

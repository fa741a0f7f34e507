#include "services/gateway/identity_cache.h"

#include <algorithm>
#include <utility>

namespace quxiang::gateway {

IdentityCache::IdentityCache(absl::Duration max_age, size_t max_entries, Clock clock)
    : max_age_(max_age), max_entries_(max_entries), clock_(std::move(clock)) {}

std::optional<SessionIdentity> IdentityCache::Find(const std::string& session_token) {
  absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(session_token);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires_at <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

void IdentityCache::Store(const std::string& session_token, SessionIdentity identity,
                          absl::Time token_expires_at) {
  absl::Time now = clock_();
  absl::Time expires_at = std::min(now + max_age_, token_expires_at - kExpiryMargin);
  if (expires_at <= now) return;

  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.contains(session_token)) {
    EvictExpiredLocked(now);
    // Still full: every entry is live. Dropping them all costs one refresh call per session,
    // which is cheaper than tracking recency for a cache this short-lived.
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[session_token] = Entry{std::move(identity), expires_at};
}

void IdentityCache::Erase(const std::string& session_token) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(session_token);
}

size_t IdentityCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void IdentityCache::EvictExpiredLocked(absl::Time now) {
  absl::erase_if(entries_, [now](const auto& entry) { return entry.second.expires_at <= now; });
}

}  // namespace quxiang::gateway

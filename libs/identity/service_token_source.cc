#include "libs/identity/service_token_source.h"

namespace quxiang::identity {

ServiceTokenSource::ServiceTokenSource(Issuer issuer, const Clock& clock, absl::Duration refresh_margin)
    : issuer_(std::move(issuer)), clock_(clock), refresh_margin_(refresh_margin) {}

absl::StatusOr<std::string> ServiceTokenSource::Token(absl::Time deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!current_.token.empty() && clock_.Now() + refresh_margin_ < current_.expires_at) return current_.token;
  absl::StatusOr<IssuedToken> issued = issuer_(deadline);
  if (!issued.ok()) return issued.status();
  current_ = *std::move(issued);
  return current_.token;
}

void ServiceTokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = IssuedToken();
}

}  // namespace quxiang::identity

// Identity tokens for the background work of a service (outbox relays, pollers), which calls
// other services as a SERVICE principal. The accounts service issues such tokens for a service
// name and its secret (AccountsService.IssueServiceToken); this class keeps the current one and
// requests a new one shortly before it expires.
//
// The source knows no gRPC: it is given the function that asks accounts.
//
// Example:
//   identity::ServiceTokenSource tokens(
//       [&](absl::Time deadline) { return IssueFromAccounts(stub, name, secret, deadline); },
//       Clock::Real());
//   ASSIGN_OR_RETURN(std::string token, tokens.Token(deadline));
//   context.AddMetadata("authorization", "Bearer " + token);
#ifndef QUXIANG_LIBS_IDENTITY_SERVICE_TOKEN_SOURCE_H_
#define QUXIANG_LIBS_IDENTITY_SERVICE_TOKEN_SOURCE_H_

#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace quxiang::identity {

struct IssuedToken {
  std::string token;
  absl::Time expires_at;
};

class ServiceTokenSource {
 public:
  // Requests a new token from accounts; must return before `deadline`.
  using Issuer = std::function<absl::StatusOr<IssuedToken>(absl::Time deadline)>;

  // `refresh_margin`: a token expiring within this margin is replaced before use, so that a
  // call never leaves with a token that expires on the way.
  ServiceTokenSource(Issuer issuer, const Clock& clock, absl::Duration refresh_margin = absl::Seconds(60));

  // The cached token, or a new one when there is none or it expires within the margin.
  // Thread-safe; concurrent callers wait for one issue call instead of each making their own.
  absl::StatusOr<std::string> Token(absl::Time deadline);

  // Drops the cached token, for a caller whose token was rejected (UNAUTHENTICATED).
  void Invalidate();

 private:
  Issuer issuer_;
  const Clock& clock_;
  absl::Duration refresh_margin_;
  std::mutex mutex_;
  IssuedToken current_;
};

}  // namespace quxiang::identity

#endif  // QUXIANG_LIBS_IDENTITY_SERVICE_TOKEN_SOURCE_H_

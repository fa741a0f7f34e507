// Idempotent writes keyed by the client's request_id.
//
// A mutating RPC runs its transaction through RunIdempotent: the first call with a given
// (scope, method, request_id) runs `work` and stores the serialized response in the same
// transaction; a repeat, even one racing the first, returns the stored response and changes
// nothing. A repeat with a different request body gets INVALID_ARGUMENT, because reusing a key
// for another request is a client bug.
#ifndef QUXIANG_LIBS_DB_IDEMPOTENCY_H_
#define QUXIANG_LIBS_DB_IDEMPOTENCY_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/db/db.h"

namespace quxiang::db {

struct IdempotencyKey {
  // Who sent it: a user id, or "anonymous" for public RPCs.
  std::string scope;
  // The full RPC method name.
  std::string method;
  // The client's request_id; an empty one disables idempotency for the call.
  std::string request_id;
  // A digest of the request (its serialized bytes), to detect a key reused for another request.
  std::string request_fingerprint;
};

// Runs `work` in a transaction of `pool` at most once per key and fills `response` with its
// result or the stored result of the first call.
absl::Status RunIdempotent(Pool& pool, absl::Time deadline, const IdempotencyKey& key,
                           google::protobuf::Message* response,
                           const std::function<absl::Status(Session&)>& work);

// The fingerprint of a request message.
std::string Fingerprint(const google::protobuf::Message& request);

}  // namespace quxiang::db

#endif  // QUXIANG_LIBS_DB_IDEMPOTENCY_H_

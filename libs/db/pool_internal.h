// Knobs of the pool that only tests change.
#ifndef QUXIANG_LIBS_DB_POOL_INTERNAL_H_
#define QUXIANG_LIBS_DB_POOL_INTERNAL_H_

#include "absl/time/time.h"

namespace quxiang::db::internal {

// Idle connections older than this are checked with `SELECT 1` before they are lent; the
// default is 30 seconds. Applies to every pool of the process.
void SetIdleCheckAgeForTesting(absl::Duration age);

}  // namespace quxiang::db::internal

#endif  // QUXIANG_LIBS_DB_POOL_INTERNAL_H_

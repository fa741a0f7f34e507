// Versioned SQL migrations, applied at start-up.
//
// A service's migrations are the files services/<service>/migrations/NNNN_name.sql, embedded into
// its binary at build time by quxiang_embed_migrations() (cmake/QuxiangMigrations.cmake). Before
// them come the shared tables every service has (idempotency keys, outbox, inbox), as the
// migrations named "shared/NNNN_name.sql".
//
// Each applied file is recorded in schema_migrations with its SHA-256. A file that was applied
// and has changed since stops the service with FAILED_PRECONDITION: migrations are append-only.
// When several replicas start at once, a MySQL named lock (GET_LOCK) lets one apply while the
// others wait, and then each finds every file applied.
#ifndef QUXIANG_LIBS_DB_MIGRATIONS_H_
#define QUXIANG_LIBS_DB_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/db/db.h"

namespace quxiang::db {

struct MigrationFile {
  // For example "0001_init.sql" or "shared/0001_idempotency.sql"; files apply in name order,
  // the shared ones first.
  std::string name;
  std::string sql;
};

// The shared migrations, in order.
const std::vector<MigrationFile>& SharedMigrations();

// Applies the shared migrations and then `service_files` that are not yet applied.
absl::Status ApplyMigrations(Pool& pool, const std::vector<MigrationFile>& service_files,
                             absl::Duration lock_timeout = absl::Seconds(60));

}  // namespace quxiang::db

#endif  // QUXIANG_LIBS_DB_MIGRATIONS_H_

#ifndef QUXIANG_SERVICES_SYNC_MIGRATIONS_H_
#define QUXIANG_SERVICES_SYNC_MIGRATIONS_H_

#include <vector>

#include "libs/db/migrations.h"

namespace quxiang::sync {

// The SQL files of services/sync/migrations, embedded at build time.
const std::vector<db::MigrationFile>& Migrations();

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_MIGRATIONS_H_

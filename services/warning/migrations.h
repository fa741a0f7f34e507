#ifndef QUXIANG_SERVICES_WARNING_MIGRATIONS_H_
#define QUXIANG_SERVICES_WARNING_MIGRATIONS_H_

#include <vector>

#include "libs/db/migrations.h"

namespace quxiang::warning {

// The SQL files of services/warning/migrations, embedded at build time.
const std::vector<db::MigrationFile>& Migrations();

}  // namespace quxiang::warning

#endif  // QUXIANG_SERVICES_WARNING_MIGRATIONS_H_

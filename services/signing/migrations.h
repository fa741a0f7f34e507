#ifndef QUXIANG_SERVICES_SIGNING_MIGRATIONS_H_
#define QUXIANG_SERVICES_SIGNING_MIGRATIONS_H_

#include <vector>

#include "libs/db/migrations.h"

namespace quxiang::signing {

// The SQL files of services/signing/migrations, embedded at build time.
const std::vector<db::MigrationFile>& Migrations();

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_MIGRATIONS_H_

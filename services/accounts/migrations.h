#ifndef QUXIANG_SERVICES_ACCOUNTS_MIGRATIONS_H_
#define QUXIANG_SERVICES_ACCOUNTS_MIGRATIONS_H_

#include <vector>

#include "libs/db/migrations.h"

namespace quxiang::accounts {

// The SQL files of services/accounts/migrations, embedded at build time.
const std::vector<db::MigrationFile>& Migrations();

}  // namespace quxiang::accounts

#endif  // QUXIANG_SERVICES_ACCOUNTS_MIGRATIONS_H_

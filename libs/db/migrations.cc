#include "libs/db/migrations.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/db/sql_error.h"
#include "libs/db/sql_script.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::db {
namespace shared_migrations {
// Generated from libs/db/shared_migrations by quxiang_embed_migrations().
const std::vector<MigrationFile>& Migrations();
}  // namespace shared_migrations

namespace {

constexpr char kCreateSchemaMigrations[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
    " checksum CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " applied_at DATETIME(6) NOT NULL,"
    " PRIMARY KEY (name)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

// The named lock that lets one replica migrate while the others wait. Lock names are limited to
// 64 characters (MySQL 5.7 and later), so a long database name is replaced by its digest.
std::string LockName(const std::string& database) {
  std::string name = absl::StrCat("quxiang_migrate:", database);
  if (name.size() <= 64) return name;
  return absl::StrCat("quxiang_migrate:", internal::Sha256Hex(database).substr(0, 48));
}

// Fails on a file name that appears twice, which would make one of the files never apply.
absl::Status CheckUniqueNames(const std::vector<MigrationFile>& files) {
  std::set<std::string> names;
  for (const MigrationFile& file : files) {
    if (!names.insert(file.name).second) {
      return InvalidArgument("MIGRATION_DUPLICATE_NAME",
                             absl::StrCat("数据库迁移文件名“", file.name,
                                          "”重复，服务无法启动。请给其中一个文件改用新的编号。"),
                             {{"migration", file.name}});
    }
  }
  return absl::OkStatus();
}

absl::Status MigrationChanged(const std::string& name) {
  spdlog::error("migration {} was applied earlier and has changed since; migrations are "
                "append-only, so restore the file and put the change into a new one",
                name);
  return FailedPrecondition(
      "MIGRATION_CHANGED",
      absl::StrCat("数据库迁移文件“", name,
                   "”在应用之后被修改，服务拒绝启动。请恢复该文件的原内容，把改动写进新的迁移文件。"),
      {{"migration", name}});
}

absl::Status MigrationFailed(const absl::Status& cause, const std::string& name,
                             size_t statement_number) {
  spdlog::error("migration {} failed at statement {}: {}", name, statement_number,
                cause.ToString());
  return MakeError(cause.code(), "MIGRATION_FAILED",
                   absl::StrCat("数据库迁移文件“", name, "”的第 ", statement_number,
                                " 条语句执行失败，服务无法启动。请查看服务日志中的数据库错误。"),
                   {{"migration", name},
                    {"statement", absl::StrCat(statement_number)},
                    {"mysql_errno", absl::StrCat(internal::MySqlErrnoOf(cause))}});
}

absl::Status ApplyFile(Session& session, const MigrationFile& file, const std::string& checksum) {
  absl::Time start = absl::Now();
  std::vector<std::string> statements = internal::SplitSqlStatements(file.sql);
  for (size_t i = 0; i < statements.size(); ++i) {
    absl::Status status = session.ExecuteRaw(statements[i]);
    if (!status.ok()) return MigrationFailed(status, file.name, i + 1);
  }
  absl::Status recorded =
      session
          .Execute("INSERT INTO schema_migrations (name, checksum, applied_at) "
                   "VALUES (?, ?, UTC_TIMESTAMP(6))",
                   {file.name, checksum})
          .status();
  if (!recorded.ok()) return MigrationFailed(recorded, file.name, statements.size() + 1);
  spdlog::info("applied migration {} ({} statements in {})", file.name, statements.size(),
               absl::FormatDuration(absl::Now() - start));
  return absl::OkStatus();
}

// Verifies the applied files and applies the missing ones; the caller holds the lock.
absl::Status ApplyLocked(Session& session, const std::vector<MigrationFile>& files) {
  RETURN_IF_ERROR(session.ExecuteRaw(kCreateSchemaMigrations));
  ASSIGN_OR_RETURN(std::vector<Row> rows,
                   session.Query("SELECT name, checksum FROM schema_migrations"));
  std::map<std::string, std::string> applied;
  for (const Row& row : rows) applied[row.String(0)] = row.String(1);

  // Every check comes before the first change, so a refused start changes nothing.
  std::vector<std::string> checksums;
  checksums.reserve(files.size());
  for (const MigrationFile& file : files) {
    checksums.push_back(internal::Sha256Hex(file.sql));
    auto found = applied.find(file.name);
    if (found != applied.end() && found->second != checksums.back()) {
      return MigrationChanged(file.name);
    }
  }

  int applied_now = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (applied.count(files[i].name) > 0) continue;
    // NOTE: MySQL commits DDL implicitly, so a file that fails halfway stays half applied and
    // unrecorded. An operator has to finish or undo it by hand before the next start.
    RETURN_IF_ERROR(ApplyFile(session, files[i], checksums[i]));
    ++applied_now;
  }
  if (applied_now == 0) {
    spdlog::info("database schema is up to date ({} migrations applied earlier)", files.size());
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<MigrationFile>& SharedMigrations() {
  static const auto* const kShared = [] {
    auto* files = new std::vector<MigrationFile>();
    for (const MigrationFile& file : shared_migrations::Migrations()) {
      files->push_back({absl::StrCat("shared/", file.name), file.sql});
    }
    return files;
  }();
  return *kShared;
}

absl::Status ApplyMigrations(Pool& pool, const std::vector<MigrationFile>& service_files,
                             absl::Duration lock_timeout) {
  if (pool.database().empty()) {
    return FailedPrecondition("MIGRATION_WITHOUT_DATABASE",
                              "未配置数据库名，无法执行数据库迁移。请设置 mysql_database 配置。");
  }
  std::vector<MigrationFile> files = SharedMigrations();
  files.insert(files.end(), service_files.begin(), service_files.end());
  RETURN_IF_ERROR(CheckUniqueNames(files));

  const std::string lock_name = LockName(pool.database());
  const int64_t lock_seconds =
      std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(lock_timeout, absl::Seconds(1))));

  // One session for the whole run, because the named lock belongs to the session that took it.
  // No deadline: a migration on a large table may take long, and GET_LOCK has its own timeout.
  return pool.Run(absl::InfiniteFuture(), [&](Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Row> locked,
                     session.QueryOne("SELECT GET_LOCK(?, ?)", {lock_name, lock_seconds}));
    if (!locked.has_value() || locked->IsNull(0) || locked->Int64(0) != 1) {
      spdlog::error("could not take the migration lock {} within {}", lock_name,
                    absl::FormatDuration(lock_timeout));
      return Unavailable("MIGRATION_LOCK_TIMEOUT",
                         "另一个服务实例正在执行数据库迁移，等待超时。请稍后重启本服务。",
                         {{"lock", lock_name}});
    }

    absl::Status status = ApplyLocked(session, files);

    // A lost session releases the lock on the server by itself.
    absl::StatusOr<std::optional<Row>> released =
        session.QueryOne("SELECT RELEASE_LOCK(?)", {lock_name});
    if (!released.ok()) {
      spdlog::warn("releasing the migration lock {} failed: {}", lock_name,
                   released.status().ToString());
    }
    return status;
  });
}

}  // namespace quxiang::db

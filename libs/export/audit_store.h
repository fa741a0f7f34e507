// Storage of ExportAudit records in the export_audit table of the calling service's database.
//
// A service embeds the table by applying WithExportMigrations(its own migrations), and inserts
// the audit entry of each export, complete or failed, with InsertExportAudit:
//   absl::StatusOr<ExportAudit> audit = writer->Finish();
//   ExportAudit entry = audit.ok() ? *audit : writer->audit();
//   RETURN_IF_ERROR(pool.Transaction(deadline, [&](db::Session& s) {
//     return InsertExportAudit(s, entry).status();
//   }));
#ifndef QUXIANG_LIBS_EXPORT_AUDIT_STORE_H_
#define QUXIANG_LIBS_EXPORT_AUDIT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/export/table_writer.h"

namespace quxiang::exports {

// The export migrations, named "export/NNNN_name.sql".
const std::vector<db::MigrationFile>& Migrations();

// The export migrations followed by `service_files`, for db::ApplyMigrations.
std::vector<db::MigrationFile> WithExportMigrations(const std::vector<db::MigrationFile>& service_files);

// Inserts `audit` and returns its id. The title, actor name and filter summary are cut to the
// column sizes (128, 128 and 1000 characters). A finished_at of InfinitePast (a failed export)
// is stored as NULL. INTERNAL (EXPORT_AUDIT_INVALID) when kind is empty, longer than 64 bytes or
// not ASCII, or actor_id is empty.
absl::StatusOr<int64_t> InsertExportAudit(db::Session& session, const ExportAudit& audit);

// The maximum number of entries ListExportAudits returns.
inline constexpr size_t kMaxListedExportAudits = 1000;

// The export audit entries of `school_id`, newest first, at most `limit` (capped at
// kMaxListedExportAudits).
absl::StatusOr<std::vector<ExportAudit>> ListExportAudits(db::Session& session, const std::string& school_id,
                                                          size_t limit);

}  // namespace quxiang::exports

#endif  // QUXIANG_LIBS_EXPORT_AUDIT_STORE_H_

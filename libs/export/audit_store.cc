#include "libs/export/audit_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::exports {
namespace embedded {
const std::vector<db::MigrationFile>& Migrations();
}  // namespace embedded

namespace {

constexpr size_t kMaxKindBytes = 64;
constexpr size_t kMaxTitleCharacters = 128;
constexpr size_t kMaxActorNameCharacters = 128;
constexpr size_t kMaxFilterSummaryCharacters = 1000;

constexpr char kAuditColumns[] =
    "kind, title, format, actor_id, actor_name, school_id, request_id, filter_summary, row_count, byte_count, "
    "masked, full_view, started_at, finished_at";

// The first `max_characters` characters (code points) of the UTF-8 text.
std::string TruncateCharacters(const std::string& text, size_t max_characters) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool starts_character = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_character && ++characters > max_characters) return text.substr(0, i);
  }
  return text;
}

absl::Status ValidateAudit(const ExportAudit& audit) {
  bool ascii = std::all_of(audit.kind.begin(), audit.kind.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (audit.kind.empty() || audit.kind.size() > kMaxKindBytes || !ascii) {
    return Internal("EXPORT_AUDIT_INVALID",
                    absl::StrCat("export audit kind \"", audit.kind, "\" must be 1 to 64 ASCII characters"));
  }
  if (audit.actor_id.empty()) {
    return Internal("EXPORT_AUDIT_INVALID", absl::StrCat("export audit of ", audit.kind, " has no actor_id"));
  }
  return absl::OkStatus();
}

ExportAudit AuditFromRow(const db::Row& row) {
  ExportAudit audit;
  audit.kind = row.String(0);
  audit.title = row.String(1);
  audit.format = row.String(2);
  audit.actor_id = row.String(3);
  audit.actor_name = row.String(4);
  audit.school_id = row.String(5);
  audit.request_id = row.String(6);
  audit.filter_summary = row.String(7);
  audit.row_count = row.Int64(8);
  audit.byte_count = row.Int64(9);
  audit.masked = row.Bool(10);
  audit.full_view = row.Bool(11);
  audit.started_at = row.Time(12);
  audit.finished_at = row.IsNull(13) ? absl::InfinitePast() : row.Time(13);
  return audit;
}

}  // namespace

const std::vector<db::MigrationFile>& Migrations() {
  static const auto* const kMigrations = [] {
    auto* files = new std::vector<db::MigrationFile>();
    for (const db::MigrationFile& file : embedded::Migrations()) {
      files->push_back({absl::StrCat("export/", file.name), file.sql});
    }
    return files;
  }();
  return *kMigrations;
}

std::vector<db::MigrationFile> WithExportMigrations(const std::vector<db::MigrationFile>& service_files) {
  std::vector<db::MigrationFile> files = Migrations();
  files.insert(files.end(), service_files.begin(), service_files.end());
  return files;
}

absl::StatusOr<int64_t> InsertExportAudit(db::Session& session, const ExportAudit& audit) {
  RETURN_IF_ERROR(ValidateAudit(audit));
  std::vector<db::Param> params = {audit.kind,
                                   TruncateCharacters(audit.title, kMaxTitleCharacters),
                                   audit.format,
                                   audit.actor_id,
                                   TruncateCharacters(audit.actor_name, kMaxActorNameCharacters),
                                   audit.school_id,
                                   audit.request_id,
                                   TruncateCharacters(audit.filter_summary, kMaxFilterSummaryCharacters),
                                   audit.row_count,
                                   audit.byte_count,
                                   audit.masked,
                                   audit.full_view,
                                   audit.started_at};
  // A failed export has no finish time.
  if (audit.finished_at == absl::InfinitePast()) {
    params.emplace_back(nullptr);
  } else {
    params.emplace_back(audit.finished_at);
  }
  ASSIGN_OR_RETURN(int64_t inserted,
                   session.Execute(absl::StrCat("INSERT INTO export_audit (", kAuditColumns,
                                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                                   params));
  if (inserted != 1) {
    return Internal("EXPORT_AUDIT_NOT_WRITTEN",
                    absl::StrCat("inserting the export audit of ", audit.kind, " changed ", inserted, " rows"));
  }
  return session.LastInsertId();
}

absl::StatusOr<std::vector<ExportAudit>> ListExportAudits(db::Session& session, const std::string& school_id,
                                                          size_t limit) {
  limit = std::min(limit, kMaxListedExportAudits);
  ASSIGN_OR_RETURN(std::vector<db::Row> rows,
                   session.Query(absl::StrCat("SELECT ", kAuditColumns,
                                              " FROM export_audit WHERE school_id = ? "
                                              "ORDER BY started_at DESC, id DESC LIMIT ?"),
                                 {school_id, static_cast<int64_t>(limit)}));
  std::vector<ExportAudit> audits;
  audits.reserve(rows.size());
  for (const db::Row& row : rows) audits.push_back(AuditFromRow(row));
  return audits;
}

}  // namespace quxiang::exports

#include "services/signing/list_export.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/export/audit_store.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::signing {
namespace {

constexpr char kXlsxContentType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr char kCsvContentType[] = "text/csv; charset=utf-8";
// The time an audit entry gets to be stored after the export ended, also when the export ended
// because the call's deadline passed.
constexpr absl::Duration kAuditWriteTimeout = absl::Seconds(5);

// Beijing time has had no daylight saving time since 1991, so a fixed offset needs no tzdata.
absl::TimeZone Beijing() { return absl::FixedTimeZone(8 * 60 * 60); }

bool IsCsv(v1::ExportFormat format) { return format == v1::EXPORT_FORMAT_CSV; }

}  // namespace

absl::Status CheckRevealAllowed(const identity::Principal& principal) {
  if (principal.AccessTo(common::v1::MODULE_EMPLOYMENT) != common::v1::ACCESS_READ_WRITE) {
    return PermissionDenied("PERSONAL_DATA_REVEAL_NOT_ALLOWED",
                            "导出完整的身份证件号和手机号码需要“基本信息和就业信息”的读写权限。请不勾选“显示完整信息”后"
                            "重新导出，或联系本校学校用户调整权限。");
  }
  return absl::OkStatus();
}

std::string ExportFileName(const std::string& title, v1::ExportFormat format, absl::Time now) {
  return absl::StrCat(title, "-", absl::FormatTime("%Y-%m-%d", now, Beijing()), IsCsv(format) ? ".csv" : ".xlsx");
}

ListExport::ListExport(db::Pool& pool, FlowPeers& peers, const Clock& clock)
    : pool_(pool), peers_(peers), clock_(clock) {}

absl::Status ListExport::Run(const RequestInfo& info, const ListExportSpec& spec, const ListExportOptions& options,
                             const ExportPageReader& read_page, server::StreamWriter<common::v1::HttpFile>& stream) {
  if (options.format != v1::EXPORT_FORMAT_UNSPECIFIED && options.format != v1::EXPORT_FORMAT_XLSX &&
      options.format != v1::EXPORT_FORMAT_CSV) {
    return InvalidArgument("INVALID_EXPORT_FORMAT", "导出格式无效，请选择 Excel（xlsx）或 CSV。", {{"field", "format"}});
  }
  const bool csv = IsCsv(options.format);

  exports::ExportSpec export_spec;
  export_spec.kind = spec.kind;
  export_spec.title = spec.file_title;
  export_spec.columns = spec.columns;
  export_spec.full_view = options.full_view;
  export_spec.actor_id = info.principal->user_id();
  export_spec.actor_name = info.principal->username();
  export_spec.school_id = std::to_string(options.school_id);
  export_spec.request_id = info.trace_id;
  export_spec.filter_summary = options.filter_summary;

  // The first message names the file; each chunk of the file is one message.
  bool first = true;
  const std::string file_name = ExportFileName(spec.file_title, options.format, clock_.Now());
  exports::ChunkSink sink = [&](absl::string_view chunk) -> absl::Status {
    common::v1::HttpFile message;
    if (first) {
      message.set_content_type(csv ? kCsvContentType : kXlsxContentType);
      message.set_file_name(file_name);
      first = false;
    }
    message.set_data(std::string(chunk));
    return stream.Write(message);
  };

  absl::StatusOr<std::unique_ptr<exports::TableWriter>> writer =
      csv ? exports::NewCsvWriter(export_spec, sink, clock_) : exports::NewXlsxWriter(export_spec, sink, clock_);
  if (!writer.ok()) return writer.status();

  absl::Status status = WriteRows(info, spec, options, read_page, **writer);
  exports::ExportAudit audit = (*writer)->audit();
  if (status.ok()) {
    absl::StatusOr<exports::ExportAudit> finished = (*writer)->Finish();
    if (finished.ok()) {
      audit = *finished;
    } else {
      status = finished.status();
      audit = (*writer)->audit();
    }
  }

  absl::Status stored = pool_.Run(absl::Now() + kAuditWriteTimeout, [&](db::Session& s) {
    return exports::InsertExportAudit(s, audit).status();
  });
  if (!stored.ok()) {
    spdlog::error("storing the audit entry of export {} by {} failed: {}", spec.kind, export_spec.actor_id,
                  stored.ToString());
    // A finished export whose audit entry is lost must not look successful.
    if (status.ok()) return stored;
  }
  if (!status.ok()) {
    spdlog::warn("export {} by {} stopped after {} rows: {}", spec.kind, export_spec.actor_id, audit.row_count,
                 status.ToString());
  }
  return status;
}

absl::Status ListExport::WriteRows(const RequestInfo& info, const ListExportSpec& spec,
                                   const ListExportOptions& options, const ExportPageReader& read_page,
                                   exports::TableWriter& writer) {
  const bool needs_contacts = spec.id_number_column >= 0 || spec.phone_column >= 0;
  int64_t before_id = std::numeric_limits<int64_t>::max();
  while (true) {
    // Each page is its own short read, so no connection is held while the client reads the file.
    ASSIGN_OR_RETURN(std::vector<ExportRecord> records,
                     pool_.Read<std::vector<ExportRecord>>(info.deadline, [&](db::Session& s) {
                       return read_page(s, before_id, kExportPageSize);
                     }));
    if (records.empty()) return absl::OkStatus();

    std::map<int64_t, GraduateContact> contacts;
    if (needs_contacts) {
      std::vector<int64_t> graduate_ids;
      graduate_ids.reserve(records.size());
      for (const ExportRecord& record : records) graduate_ids.push_back(record.graduate_id);
      std::sort(graduate_ids.begin(), graduate_ids.end());
      graduate_ids.erase(std::unique(graduate_ids.begin(), graduate_ids.end()), graduate_ids.end());
      ASSIGN_OR_RETURN(contacts,
                       peers_.GraduateContacts(info.deadline, options.school_id, graduate_ids, options.full_view));
    }

    for (ExportRecord& record : records) {
      auto contact = contacts.find(record.graduate_id);
      if (contact != contacts.end()) {
        if (spec.id_number_column >= 0 && static_cast<size_t>(spec.id_number_column) < record.cells.size()) {
          record.cells[spec.id_number_column] = exports::Cell::Text(contact->second.id_number);
        }
        if (spec.phone_column >= 0 && static_cast<size_t>(spec.phone_column) < record.cells.size()) {
          record.cells[spec.phone_column] = exports::Cell::Text(contact->second.phone);
        }
      }
      RETURN_IF_ERROR(writer.WriteRow(record.cells));
    }
    if (records.size() < static_cast<size_t>(kExportPageSize)) return absl::OkStatus();
    before_id = records.back().id;
  }
}

}  // namespace quxiang::signing

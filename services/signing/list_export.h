// The exports of the staff lists of the signing flows (下载当前查询数据, 导出退回修改学生名单): a
// flow describes its columns and reads its records a page at a time, and ListExport does the
// rest. It pages by keyset (id below the last one read, never OFFSET) and fills the ID number and
// phone columns from sync with one BatchGetGraduates call per page. It writes the rows with
// libs/export as they arrive and streams the file as HttpFile chunks. It stores the export audit
// entry, complete or failed, in the service's export_audit table.
//
// Memory stays bounded by one page of records plus the writer's chunk (CSV) or libxlsxwriter's
// one row (XLSX, whose file goes through a temporary file), whatever the number of rows.
//
// A flow adds an export in a few lines:
//   ListExportSpec spec;
//   spec.kind = "signing.online.query";
//   spec.file_title = "在线签约管理";
//   spec.columns = {{"姓名", exports::ColumnType::kText}, {"身份证件号", exports::ColumnType::kIdNumber}};
//   spec.id_number_column = 1;
//   RETURN_IF_ERROR(list_export.Run(info, spec, options, [&](db::Session& s, int64_t before_id, int limit) {
//     return ReadMyRecords(s, where, params, before_id, limit);  // ORDER BY id DESC
//   }, writer));
#ifndef QUXIANG_SERVICES_SIGNING_LIST_EXPORT_H_
#define QUXIANG_SERVICES_SIGNING_LIST_EXPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/export/table_writer.h"
#include "libs/server/server.h"
#include "quxiang/common/v1/files.pb.h"
#include "quxiang/signing/v1/signing.pb.h"
#include "services/signing/flow_peers.h"
#include "services/signing/settings.h"

namespace quxiang::signing {

// The records read per page, and so the graduates asked of sync per BatchGetGraduates call.
inline constexpr int kExportPageSize = 500;

// One record of an export: its cells in the spec's column order, with the ID number and phone
// cells left empty for ListExport to fill.
struct ExportRecord {
  // The record's id, the keyset cursor: pages go from the highest id down, as the lists sort.
  int64_t id = 0;
  int64_t graduate_id = 0;
  std::vector<exports::Cell> cells;
};

// Reads at most `limit` records with an id below `before_id`, highest id first.
using ExportPageReader =
    std::function<absl::StatusOr<std::vector<ExportRecord>>(db::Session& session, int64_t before_id, int limit)>;

// The description of one export: its audit kind, title and columns.
struct ListExportSpec {
  // The audit's stable identifier, for example "signing.online.query".
  std::string kind;
  // The list's name, the sheet name and the start of the file name, for example 在线签约管理.
  std::string file_title;
  std::vector<exports::Column> columns;
  // The columns that ListExport fills with the graduate's ID number and mobile phone from sync;
  // -1 for none.
  int id_number_column = -1;
  int phone_column = -1;
};

// The caller's side of one export.
struct ListExportOptions {
  int64_t school_id = 0;
  v1::ExportFormat format = v1::EXPORT_FORMAT_UNSPECIFIED;
  // The caller asked for ID numbers and phones in full; CheckRevealAllowed has approved it.
  bool full_view = false;
  // The filters in words for the audit, for example "状态=待审核; 院系=计算机学院".
  std::string filter_summary;
};

// Returns PERMISSION_DENIED unless `principal` may receive full ID numbers and phones in an
// export. A 读写 grant on 基本信息和就业信息 may request them, as on a graduate's detail, and gets
// them only on request. A 只读 grant never gets them.
absl::Status CheckRevealAllowed(const identity::Principal& principal);

// The file name of an export made at `now`: <title>-<YYYY-MM-DD in Beijing time>.<xlsx|csv>.
std::string ExportFileName(const std::string& title, v1::ExportFormat format, absl::Time now);

class ListExport {
 public:
  ListExport(db::Pool& pool, FlowPeers& peers, const Clock& clock);

  // Runs one export to `stream`. The first message carries the content type and the file name,
  // every message up to 64 KiB of the file. Returns INVALID_ARGUMENT for an unknown format. An
  // error of the reader, of sync, of the writer or of the stream ends the export, and its audit
  // entry is still stored without a finish time.
  absl::Status Run(const RequestInfo& info, const ListExportSpec& spec, const ListExportOptions& options,
                   const ExportPageReader& read_page, server::StreamWriter<common::v1::HttpFile>& stream);

 private:
  // Writes every page to `writer`.
  absl::Status WriteRows(const RequestInfo& info, const ListExportSpec& spec, const ListExportOptions& options,
                         const ExportPageReader& read_page, exports::TableWriter& writer);

  db::Pool& pool_;
  FlowPeers& peers_;
  const Clock& clock_;
};

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_LIST_EXPORT_H_

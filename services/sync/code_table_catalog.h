// The code tables of libs/codes as the console reads them: which tables exist for a graduating
// class and the rows of each, so that forms and filters offer the codes of the right version.
#ifndef QUXIANG_SERVICES_SYNC_CODE_TABLE_CATALOG_H_
#define QUXIANG_SERVICES_SYNC_CODE_TABLE_CATALOG_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

class CodeTableCatalog {
 public:
  explicit CodeTableCatalog(const Clock& clock) : clock_(clock) {}

  absl::Status ListCodeTables(const RequestInfo& info, const v1::ListCodeTablesRequest& request,
                              v1::ListCodeTablesResponse* response);
  absl::Status GetCodeTable(const RequestInfo& info, const v1::GetCodeTableRequest& request, v1::CodeTable* response);

 private:
  // `class_year`, or the class graduating this year in Beijing when it is 0.
  absl::StatusOr<int> ResolveClass(int class_year) const;

  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_CODE_TABLE_CATALOG_H_

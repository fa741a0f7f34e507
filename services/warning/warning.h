// The warning domain (预警单位管理): schools mark employers as warned, and LookupWarnings returns
// the employers that carry an alert for the caller.
//
// The rules of the operation guide live here. Only school users (学校用户) manage marks,
// department users never; a school sees and changes only its own marks. A mark is shown to the
// marking school's own graduates and reviewers, and once kPlatformWideSchoolCount distinct
// schools have marked the same employer, to every graduate and reviewer on the platform.
#ifndef QUXIANG_SERVICES_WARNING_WARNING_H_
#define QUXIANG_SERVICES_WARNING_WARNING_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/principal.h"
#include "quxiang/warning/v1/warning.pb.h"
#include "services/warning/repository.h"

namespace quxiang::warning {

namespace v1 = ::quxiang::warning::v1;

// The number of distinct schools whose marks on one employer make its alert platform-wide. Below
// it a mark is shown only to the marking school's own graduates and reviewers. From it on every
// graduate and reviewer on the platform sees the alert (the school count and the categories, no
// school and no note), and a removal that brings the count below it withdraws that alert again.
// The operation guide sets it at 5 schools (同一单位被 5 所及以上学校标记).
inline constexpr int kPlatformWideSchoolCount = 5;

// The maximum number of credit codes in one LookupWarnings call.
inline constexpr int kMaxLookupCodes = 500;

// Limits in characters (Unicode code points), as the columns of warning_marks hold them.
inline constexpr int kMaxNoteCharacters = 500;
inline constexpr int kMaxEmployerNameCharacters = 200;

// The caller and metadata of a call, without gRPC types, so that tests can call the domain directly.
struct RequestInfo {
  // The verified caller; every RPC of this service needs one.
  const identity::Principal* principal = nullptr;
  // The full RPC method name; part of the idempotency key.
  std::string method;
  // The tracing id of the call (x-request-id), written to audit entries.
  std::string trace_id;
  absl::Time deadline = absl::InfiniteFuture();
  std::string peer;
};

class Warnings {
 public:
  Warnings(db::Pool& pool, const Clock& clock);

  absl::Status CreateWarningMark(const RequestInfo& info, const v1::CreateWarningMarkRequest& request,
                                 v1::WarningMark* response);
  absl::Status UpdateWarningMark(const RequestInfo& info, const v1::UpdateWarningMarkRequest& request,
                                 v1::WarningMark* response);
  absl::Status DeleteWarningMark(const RequestInfo& info, const v1::DeleteWarningMarkRequest& request,
                                 v1::DeleteWarningMarkResponse* response);
  absl::Status ListWarningMarks(const RequestInfo& info, const v1::ListWarningMarksRequest& request,
                                v1::ListWarningMarksResponse* response);
  absl::Status GetWarningMark(const RequestInfo& info, const v1::GetWarningMarkRequest& request,
                              v1::WarningMark* response);
  absl::Status LookupWarnings(const RequestInfo& info, const v1::LookupWarningsRequest& request,
                              v1::LookupWarningsResponse* response);

 private:
  // Runs `work` in one transaction at most once per request id (see libs/db/idempotency.h).
  absl::Status Mutate(const RequestInfo& info, const std::string& request_id,
                      const google::protobuf::Message& request, google::protobuf::Message* response,
                      const std::function<absl::Status(db::Session&)>& work);

  absl::Status Audit(db::Session& s, const RequestInfo& info, int64_t school_id, const std::string& action,
                     const std::string& mark_id, const std::string& request_id, const std::string& before_json,
                     const std::string& after_json);

  db::Pool& pool_;
  const Clock& clock_;
};

// The public WarningMark message of a record.
v1::WarningMark MarkToProto(const MarkRecord& mark);

}  // namespace quxiang::warning

#endif  // QUXIANG_SERVICES_WARNING_WARNING_H_

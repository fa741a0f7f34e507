// The signing settings (签约设置) of a school and graduating class.
//
// The rules of the operation guide live here. Only school users with 读写 on 毕业去向登记与网签
// submit settings; school and department users with 只读 or more read them; a school sees only
// its own. The province's agreement type must be set first. 在线签约 turns on 补登 and 填报去向登记,
// and no switch can be turned off once a graduate or employer has acted. Two-level review needs
// an active department account with 读写 in every department with graduates in the class, and the
// review mode changes only while no record of the class is in a review flow.
#ifndef QUXIANG_SERVICES_SIGNING_SETTINGS_H_
#define QUXIANG_SERVICES_SIGNING_SETTINGS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/identity/principal.h"
#include "quxiang/signing/v1/signing.pb.h"
#include "services/signing/repository.h"
#include "services/signing/school_directory.h"

namespace quxiang::signing {

namespace v1 = ::quxiang::signing::v1;

inline constexpr int kMaxTerminationApplications = 99;
// Limits in characters (Unicode code points), as the columns of signing_settings hold them.
inline constexpr int kMaxHandlerNameCharacters = 50;
inline constexpr int kMaxPostalAddressCharacters = 200;

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

class Settings {
 public:
  Settings(db::Pool& pool, SchoolDirectory& directory, const Clock& clock);

  absl::Status GetSigningSettings(const RequestInfo& info, const v1::GetSigningSettingsRequest& request,
                                  v1::SigningSettings* response);
  absl::Status UpdateSigningSettings(const RequestInfo& info, const v1::UpdateSigningSettingsRequest& request,
                                     v1::SigningSettings* response);

 private:
  // Fails with FAILED_PRECONDITION, naming them, when a department with graduates in the class
  // has no active department account with 读写 on 基本信息和就业信息.
  absl::Status CheckDepartmentAccounts(const RequestInfo& info, int64_t school_id, int class_year);

  db::Pool& pool_;
  SchoolDirectory& directory_;
  const Clock& clock_;
};

// The public message of stored settings and usage.
v1::SigningSettings SettingsToProto(const SettingsRecord& settings, const UsageRecord& usage);

}  // namespace quxiang::signing

#endif  // QUXIANG_SERVICES_SIGNING_SETTINGS_H_

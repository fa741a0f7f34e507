#include "services/sync/authorization.h"

#include <set>

#include "absl/strings/numbers.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::sync {
namespace {

bool IsService(const identity::Principal& principal, const std::set<std::string>& names) {
  return principal.kind() == common::v1::PRINCIPAL_KIND_SERVICE &&
         names.count(principal.claims().service_name()) > 0;
}

absl::Status OutsideSchool() { return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。"); }

}  // namespace

bool IsReaderService(const identity::Principal& principal) {
  return IsService(principal, {"signing", "termination", "destination", "notify"});
}

bool IsLedgerWriterService(const identity::Principal& principal) {
  return IsService(principal, {"signing", "termination", "destination"});
}

absl::Status NotLoggedIn() { return Unauthenticated("MISSING_TOKEN", "请先登录。"); }

bool ParseId(const std::string& text, int64_t* id) { return absl::SimpleAtoi(text, id) && *id > 0; }

absl::StatusOr<GraduateScope> AuthorizeGraduateRead(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const identity::Principal& caller = *info.principal;
  GraduateScope scope;
  if (IsReaderService(caller)) {
    if (!ParseId(school_id, &scope.school_id)) return OutsideSchool();
    return scope;
  }
  if (caller.kind() == common::v1::PRINCIPAL_KIND_GRADUATE) {
    if (caller.school_id() != school_id || !ParseId(school_id, &scope.school_id) ||
        !ParseId(caller.graduate_id(), &scope.graduate_id)) {
      return OutsideSchool();
    }
    scope.can_reveal = true;
    return scope;
  }
  return AuthorizeStaffRead(info, school_id);
}

absl::StatusOr<GraduateScope> AuthorizeStaffRead(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const identity::Principal& caller = *info.principal;
  GraduateScope scope;
  if (IsReaderService(caller)) {
    if (!ParseId(school_id, &scope.school_id)) return OutsideSchool();
    return scope;
  }
  if (!caller.IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以查看毕业生名单和统计数据。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(
      identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_ONLY));
  if (!ParseId(school_id, &scope.school_id)) return OutsideSchool();
  if (caller.kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    // A department account without a department name would otherwise see the whole school.
    if (caller.department_name().empty()) {
      return PermissionDenied("DEPARTMENT_NOT_SET", "院系账号未设置院系名称，请联系本校学校用户在账号管理中设置。");
    }
    scope.department = caller.department_name();
  }
  scope.can_reveal = caller.AccessTo(common::v1::MODULE_EMPLOYMENT) == common::v1::ACCESS_READ_WRITE;
  return scope;
}

absl::StatusOr<int64_t> AuthorizeSchoolWriter(const RequestInfo& info, const std::string& school_id) {
  if (info.principal == nullptr) return NotLoggedIn();
  const identity::Principal& caller = *info.principal;
  if (caller.kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "该操作仅对学校用户开放，院系用户无此功能。");
  }
  if (caller.kind() != common::v1::PRINCIPAL_KIND_SCHOOL) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "该操作仅对学校用户开放。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(
      identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_WRITE));
  int64_t id = 0;
  if (!ParseId(school_id, &id)) return OutsideSchool();
  return id;
}

bool InScope(const GraduateScope& scope, const GraduateRow& graduate) {
  if (graduate.school_id != scope.school_id) return false;
  if (!scope.department.empty() && graduate.record.department() != scope.department) return false;
  if (scope.graduate_id != 0 && graduate.id != scope.graduate_id) return false;
  return true;
}

}  // namespace quxiang::sync

#include "libs/identity/principal.h"

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::identity {

Access Principal::AccessTo(Module module) const {
  for (const auto& grant : claims_.grants()) {
    if (grant.module() == module) return grant.access();
  }
  return common::v1::ACCESS_NONE;
}

std::string Principal::LogLabel() const {
  std::string kind_name = common::v1::PrincipalKind_Name(kind());
  constexpr absl::string_view kPrefix = "PRINCIPAL_KIND_";
  if (absl::string_view(kind_name).substr(0, kPrefix.size()) == kPrefix) {
    kind_name = kind_name.substr(kPrefix.size());
  }
  if (kind() == common::v1::PRINCIPAL_KIND_SERVICE) {
    return absl::StrCat(kind_name, ":", claims_.service_name());
  }
  return absl::StrCat(kind_name, ":", user_id());
}

absl::Status RequireKind(const Principal& principal, std::initializer_list<PrincipalKind> kinds) {
  for (PrincipalKind kind : kinds) {
    if (principal.kind() == kind) return absl::OkStatus();
  }
  return PermissionDenied("PRINCIPAL_KIND_NOT_ALLOWED", "当前账号类型无权执行此操作。",
                          {{"principal_kind", common::v1::PrincipalKind_Name(principal.kind())}});
}

absl::Status RequireModuleAccess(const Principal& principal, Module module, Access minimum) {
  if (!principal.IsSchoolStaff()) return absl::OkStatus();
  Access access = principal.AccessTo(module);
  if (access == common::v1::ACCESS_UNSPECIFIED || access == common::v1::ACCESS_NONE) {
    return PermissionDenied("MODULE_ACCESS_NONE",
                            absl::StrCat("您的账号对“", ModuleDisplayName(module),
                                         "”为无权限，请联系本校学校用户在账号管理中调整权限。"),
                            {{"module", common::v1::Module_Name(module)}});
  }
  if (minimum == common::v1::ACCESS_READ_WRITE && access != common::v1::ACCESS_READ_WRITE) {
    return PermissionDenied("MODULE_READ_ONLY",
                            absl::StrCat("您的账号对“", ModuleDisplayName(module),
                                         "”为只读权限，只能查看和下载，不能修改。"),
                            {{"module", common::v1::Module_Name(module)}});
  }
  return absl::OkStatus();
}

absl::Status RequireSchool(const Principal& principal, absl::string_view school_id) {
  if (principal.IsSchoolStaff() && !school_id.empty() && principal.school_id() == school_id) {
    return absl::OkStatus();
  }
  return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
}

std::string ModuleDisplayName(Module module) {
  switch (module) {
    case common::v1::MODULE_EMPLOYMENT:
      return "基本信息和就业信息";
    case common::v1::MODULE_ARCHIVE:
      return "档案信息";
    case common::v1::MODULE_HOUSEHOLD:
      return "户口信息";
    default:
      return "未知模块";
  }
}

}  // namespace quxiang::identity

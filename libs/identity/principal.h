// The verified identity behind a call, and the authorization helpers every service uses.
//
// A Principal is built only from verified token claims (or, for background jobs, from a service
// identity), never from request fields. The school and department a user may see come from the
// token, and request fields naming a school are checked against it.
#ifndef QUXIANG_LIBS_IDENTITY_PRINCIPAL_H_
#define QUXIANG_LIBS_IDENTITY_PRINCIPAL_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "quxiang/common/v1/identity.pb.h"

namespace quxiang::identity {

using common::v1::Access;
using common::v1::Module;
using common::v1::PrincipalKind;

class Principal {
 public:
  explicit Principal(common::v1::IdentityClaims claims) : claims_(std::move(claims)) {}

  PrincipalKind kind() const { return claims_.kind(); }
  const std::string& user_id() const { return claims_.user_id(); }
  const std::string& username() const { return claims_.username(); }
  const std::string& school_id() const { return claims_.school_id(); }
  const std::string& department_id() const { return claims_.department_id(); }
  const std::string& department_name() const { return claims_.department_name(); }
  const std::string& province_code() const { return claims_.province_code(); }
  const std::string& employer_id() const { return claims_.employer_id(); }
  const std::string& graduate_id() const { return claims_.graduate_id(); }
  const std::string& session_id() const { return claims_.session_id(); }
  const common::v1::IdentityClaims& claims() const { return claims_; }

  bool IsSchoolStaff() const {
    return kind() == common::v1::PRINCIPAL_KIND_SCHOOL ||
           kind() == common::v1::PRINCIPAL_KIND_DEPARTMENT;
  }

  // The grant of a staff account on `module`; ACCESS_NONE when the token carries none.
  Access AccessTo(Module module) const;

  // "school:42" style label for logs.
  std::string LogLabel() const;

 private:
  common::v1::IdentityClaims claims_;
};

// PERMISSION_DENIED unless the principal is one of `kinds`.
[[nodiscard]] absl::Status RequireKind(const Principal& principal,
                                       std::initializer_list<PrincipalKind> kinds);

// PERMISSION_DENIED unless the staff principal's grant on `module` is at least `minimum`
// (ACCESS_READ_ONLY to read, ACCESS_READ_WRITE to change anything). Non-staff principals pass:
// grants apply to school and department accounts only.
[[nodiscard]] absl::Status RequireModuleAccess(const Principal& principal, Module module,
                                               Access minimum);

// PERMISSION_DENIED unless the principal belongs to `school_id`. Called before any lookup, so a
// school id outside the caller's scope gets the same error whether or not it exists.
[[nodiscard]] absl::Status RequireSchool(const Principal& principal, absl::string_view school_id);

// The Chinese name of a module, as the console shows it.
std::string ModuleDisplayName(Module module);

}  // namespace quxiang::identity

#endif  // QUXIANG_LIBS_IDENTITY_PRINCIPAL_H_

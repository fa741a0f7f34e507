// Early-return macros for absl::Status and absl::StatusOr.
//
// Debian's Abseil (20220623) ships neither absl/status/status_macros.h nor the matchers, so the
// project carries its own pair. Both evaluate their argument exactly once.
//
// Example:
//   absl::StatusOr<School> LoadSchool(Repository& repository, std::string_view id) {
//     ASSIGN_OR_RETURN(School school, repository.FindSchool(id));
//     RETURN_IF_ERROR(CheckModuleEnabled(school));
//     return school;
//   }
#ifndef QUXIANG_LIBS_STATUS_STATUS_MACROS_H_
#define QUXIANG_LIBS_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define QUXIANG_STATUS_CONCAT_INNER(a, b) a##b
#define QUXIANG_STATUS_CONCAT(a, b) QUXIANG_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                                                  \
  do {                                                                         \
    ::absl::Status quxiang_status_ = (expr);                                   \
    if (!quxiang_status_.ok()) return quxiang_status_;                         \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when not OK, otherwise moves the
// value into `lhs`, which may be a declaration (`ASSIGN_OR_RETURN(auto x, F())`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  QUXIANG_ASSIGN_OR_RETURN_IMPL(QUXIANG_STATUS_CONCAT(quxiang_statusor_, __LINE__), lhs, rexpr)

#define QUXIANG_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // QUXIANG_LIBS_STATUS_STATUS_MACROS_H_

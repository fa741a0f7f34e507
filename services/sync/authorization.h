// Who may see and change which graduates.
//
// School users (学校用户) may read every graduate of their school, department users (院系用户) only
// the graduates whose roster department equals their account's department name character for
// character, and a graduate only itself. No school may read another school's graduates. Reads need 只读 or 读写
// on 基本信息和就业信息 and changes 读写. Other services call as SERVICE principals and get only
// the rights listed here. The checks that need no data run before any lookup, so that ids outside
// the caller's scope get the same answer whether or not they exist.
#ifndef QUXIANG_SERVICES_SYNC_AUTHORIZATION_H_
#define QUXIANG_SERVICES_SYNC_AUTHORIZATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

// The graduates of one school that a caller may read.
struct GraduateScope {
  int64_t school_id = 0;
  // Set for department users: only graduates of this department.
  std::string department;
  // Set for graduates: only this graduate.
  int64_t graduate_id = 0;
  // The caller has 读写 (school and department users), or is a graduate reading itself.
  bool can_reveal = false;
};

// Services that may read graduates, eligibility and ledger entries of every school: the flow
// services and the notification service.
bool IsReaderService(const identity::Principal& principal);

// Services that may claim graduates and change the ledger: the flow services.
bool IsLedgerWriterService(const identity::Principal& principal);

absl::Status NotLoggedIn();

// Parses a positive decimal id; false for anything else.
bool ParseId(const std::string& text, int64_t* id);

// The caller's scope for reading graduates of `school_id`: staff of that school with at least
// 只读, graduates of that school (themselves only), and reader services.
absl::StatusOr<GraduateScope> AuthorizeGraduateRead(const RequestInfo& info, const std::string& school_id);

// The caller's scope for lists and statistics, where graduates are not allowed.
absl::StatusOr<GraduateScope> AuthorizeStaffRead(const RequestInfo& info, const std::string& school_id);

// School users of `school_id` with 读写; returns the school's id. Department users are rejected
// whatever their grant.
absl::StatusOr<int64_t> AuthorizeSchoolWriter(const RequestInfo& info, const std::string& school_id);

// Whether `graduate` is inside `scope`. Callers return NOT_FOUND for a graduate outside it.
bool InScope(const GraduateScope& scope, const GraduateRow& graduate);

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_AUTHORIZATION_H_

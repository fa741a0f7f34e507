#include "services/sync/graduates.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "services/sync/authorization.h"
#include "services/sync/ledger_repository.h"
#include "services/sync/outbox.h"
#include "services/sync/roster_record.h"
#include "services/sync/statistics_counters.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

// The width of idempotency_keys.request_id.
constexpr size_t kMaxRequestIdLength = 128;
constexpr char kTargetType[] = "graduate";

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

absl::Status GraduateNotFound() {
  return NotFound("GRADUATE_NOT_FOUND", "毕业生不存在或无权查看，请刷新名单后重试。");
}

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.empty()) {
    return InvalidArgument("REQUEST_ID_REQUIRED", "请求缺少请求编号（request_id），请刷新页面后重新提交。",
                           {{"field", "request_id"}});
  }
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidArgument("REQUEST_ID_TOO_LONG", "请求编号（request_id）不能超过 128 个字符。",
                           {{"field", "request_id"}});
  }
  return absl::OkStatus();
}

absl::Status ValidateClassYear(int class_year) {
  if (class_year < 2000 || class_year > 2100) {
    return InvalidArgument("INVALID_CLASS_YEAR",
                           absl::StrCat("毕业年份（届）无效：", class_year, "。请填写 2000 到 2100 之间的年份，例如 2025。"),
                           {{"field", "class_year"}, {"value", std::to_string(class_year)}});
  }
  return absl::OkStatus();
}

// Whether `text` has the form of a resident ID number: 17 digits and a digit or X.
bool LooksLikeIdNumber(const std::string& text) {
  if (text.size() != 18) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  char last = text[17];
  return absl::ascii_isdigit(static_cast<unsigned char>(last)) || last == 'X' || last == 'x';
}

}  // namespace

v1::GraduateSummary GraduateSummaryOf(const GraduateRow& row) {
  v1::GraduateSummary summary;
  summary.set_id(std::to_string(row.id));
  summary.set_class_year(row.class_year);
  summary.set_state(static_cast<v1::GraduateState>(row.state));
  summary.set_name(row.record.name());
  summary.set_id_number(validation::MaskIdNumber(row.record.id_number()));
  summary.set_student_number(row.record.student_number());
  summary.set_gender(row.record.gender());
  summary.set_department(row.record.department());
  summary.set_major_code(row.record.major_code());
  summary.set_major_name(row.record.major_name());
  summary.set_education_level_code(row.record.education_level_code());
  summary.set_education_level(row.record.education_level());
  summary.set_training_mode_code(row.record.training_mode_code());
  summary.set_training_mode(row.record.training_mode());
  if (row.invalidated_at) *summary.mutable_invalidated_at() = ToTimestamp(*row.invalidated_at);
  if (row.restore_due_at) *summary.mutable_restore_due_at() = ToTimestamp(*row.restore_due_at);
  return summary;
}

v1::Graduate GraduateOf(const GraduateRow& row, bool reveal) {
  v1::Graduate graduate;
  graduate.set_id(std::to_string(row.id));
  graduate.set_school_id(std::to_string(row.school_id));
  graduate.set_class_year(row.class_year);
  graduate.set_state(static_cast<v1::GraduateState>(row.state));
  *graduate.mutable_record() = reveal ? row.record : MaskRecord(row.record);
  graduate.set_id_number_revealed(reveal);
  if (row.invalidated_at) *graduate.mutable_invalidated_at() = ToTimestamp(*row.invalidated_at);
  if (row.restore_due_at) *graduate.mutable_restore_due_at() = ToTimestamp(*row.restore_due_at);
  *graduate.mutable_created_at() = ToTimestamp(row.created_at);
  *graduate.mutable_updated_at() = ToTimestamp(row.updated_at);
  graduate.set_etag(std::to_string(row.version));
  return graduate;
}

Graduates::Graduates(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

absl::Status Graduates::ListGraduates(const RequestInfo& info, const v1::ListGraduatesRequest& request,
                                      v1::ListGraduatesResponse* response) {
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeStaffRead(info, request.school_id()));
  RETURN_IF_ERROR(ValidateClassYear(request.class_year()));
  if (!v1::GraduateState_IsValid(request.state())) {
    return InvalidArgument("INVALID_GRADUATE_STATE", "毕业生状态筛选条件无效，只能是正常或失效。",
                           {{"field", "state"}, {"value", std::to_string(static_cast<int>(request.state()))}});
  }
  if (request.page() < 0 || request.page_size() < 0) {
    return InvalidArgument("INVALID_PAGE", "页码和每页条数不能为负数。",
                           {{"field", request.page() < 0 ? "page" : "page_size"}});
  }
  if (!scope.department.empty() && !request.department().empty() && request.department() != scope.department) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE", "院系用户只能查看本院系的毕业生。",
                            {{"department", request.department()}});
  }

  GraduateFilter filter;
  filter.school_id = scope.school_id;
  filter.class_year = request.class_year();
  filter.state = request.state() == v1::GRADUATE_STATE_UNSPECIFIED ? kStateActive : request.state();
  filter.department = scope.department.empty() ? request.department() : scope.department;
  filter.major_code = request.major_code();
  filter.education_level_code = request.education_level_code();
  filter.training_mode_code = request.training_mode_code();
  std::string query(absl::StripAsciiWhitespace(request.query()));
  if (LooksLikeIdNumber(query)) {
    filter.id_number = validation::NormalizeIdNumber(query);
  } else {
    filter.student_number_or_name = query;
  }
  int page_size = request.page_size() == 0 ? kDefaultGraduatePageSize
                                           : std::min(request.page_size(), kMaxGraduatePageSize);
  int page = request.page() == 0 ? 1 : request.page();
  filter.limit = page_size;
  filter.offset = static_cast<int64_t>(page - 1) * page_size;

  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t total, GraduateRepository::CountGraduates(s, filter));
    response->Clear();
    response->set_total_size(static_cast<int32_t>(total));
    response->set_page(page);
    response->set_page_size(page_size);
    if (filter.offset >= total) return absl::OkStatus();
    ASSIGN_OR_RETURN(auto rows, GraduateRepository::ListGraduates(s, filter));
    for (const auto& row : rows) *response->add_graduates() = GraduateSummaryOf(row);
    return absl::OkStatus();
  });
}

absl::Status Graduates::GetGraduate(const RequestInfo& info, const v1::GetGraduateRequest& request,
                                    v1::Graduate* response) {
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeGraduateRead(info, request.school_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) return GraduateNotFound();
  if (scope.graduate_id != 0 && scope.graduate_id != graduate_id) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能查看本人的信息。");
  }
  if (request.reveal_id_number() && !scope.can_reveal) {
    return PermissionDenied("ID_NUMBER_REVEAL_NOT_ALLOWED",
                            "查看完整身份证号需要“基本信息和就业信息”的读写权限，请联系本校学校用户调整权限。");
  }

  ASSIGN_OR_RETURN(auto row, pool_.Read<std::optional<GraduateRow>>(info.deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduate(s, scope.school_id, graduate_id);
  }));
  // Another department's graduate gets the same error as a missing one.
  if (!row || !InScope(scope, *row)) return GraduateNotFound();

  if (request.reveal_id_number()) {
    AuditRecord entry;
    entry.occurred_at = clock_.Now();
    entry.actor_user_id = info.principal->user_id();
    entry.actor_username = info.principal->username();
    entry.actor_kind = info.principal->kind();
    entry.school_id = scope.school_id;
    entry.action = "GRADUATE_ID_NUMBER_REVEALED";
    entry.target_type = kTargetType;
    entry.target_id = request.graduate_id();
    entry.trace_id = info.trace_id;
    entry.peer = info.peer;
    RETURN_IF_ERROR(pool_.Run(info.deadline, [&](db::Session& s) { return GraduateRepository::InsertAudit(s, entry); }));
  }
  *response = GraduateOf(*row, request.reveal_id_number());
  return absl::OkStatus();
}

absl::Status Graduates::BatchGetGraduates(const RequestInfo& info, const v1::BatchGetGraduatesRequest& request,
                                          v1::BatchGetGraduatesResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (!IsReaderService(*info.principal)) {
    return PermissionDenied("READER_SERVICE_ONLY", "只有平台内部服务可以批量读取毕业生信息。");
  }
  int64_t school_id = 0;
  if (!ParseId(request.school_id(), &school_id)) {
    return InvalidArgument("INVALID_SCHOOL_ID", "学校编号无效。", {{"field", "school_id"}});
  }
  if (request.graduate_ids_size() == 0 || request.graduate_ids_size() > kMaxBatchGraduates) {
    return InvalidArgument("INVALID_BATCH_SIZE", "一次应读取 1 到 500 名毕业生。",
                           {{"count", std::to_string(request.graduate_ids_size())}});
  }
  std::vector<int64_t> ids;
  ids.reserve(request.graduate_ids_size());
  for (const std::string& text : request.graduate_ids()) {
    int64_t id = 0;
    if (ParseId(text, &id)) ids.push_back(id);
  }
  ASSIGN_OR_RETURN(auto rows, pool_.Read<std::vector<GraduateRow>>(info.deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduatesByIds(s, ids);
  }));
  for (const GraduateRow& row : rows) {
    if (row.school_id != school_id) continue;
    *response->add_graduates() = GraduateOf(row, request.reveal_id_number());
  }
  return absl::OkStatus();
}

absl::Status Graduates::RestoreGraduate(const RequestInfo& info, const v1::RestoreGraduateRequest& request,
                                        v1::Graduate* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolWriter(info, request.school_id()));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) return GraduateNotFound();

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto graduate, GraduateRepository::FindGraduate(s, school_id, graduate_id, /*for_update=*/true));
    if (!graduate) return GraduateNotFound();
    if (graduate->state != kStateInvalidated) {
      return FailedPrecondition("GRADUATE_NOT_INVALIDATED", "该毕业生未失效，无需恢复。",
                                {{"graduate_id", request.graduate_id()}});
    }
    if (!graduate->restore_due_at) {
      return FailedPrecondition(
          "GRADUATE_NOT_IN_EMS_ROSTER",
          "该毕业生仍不在就业管理系统的毕业生名单中。请先在就业管理系统中重新上传该毕业生的信息，再恢复网签数据。",
          {{"graduate_id", request.graduate_id()}});
    }
    absl::Time now = clock_.Now();
    RETURN_IF_ERROR(Restore(s, *graduate, /*immediate=*/true, now));

    ASSIGN_OR_RETURN(auto restored, GraduateRepository::FindGraduate(s, school_id, graduate_id));
    if (!restored) return GraduateNotFound();
    *response = GraduateOf(*restored, /*reveal=*/false);

    AuditRecord entry;
    entry.occurred_at = now;
    entry.actor_user_id = info.principal->user_id();
    entry.actor_username = info.principal->username();
    entry.actor_kind = info.principal->kind();
    entry.school_id = school_id;
    entry.action = "GRADUATE_RESTORED";
    entry.target_type = kTargetType;
    entry.target_id = request.graduate_id();
    entry.before_json = R"({"state":"GRADUATE_STATE_INVALIDATED"})";
    entry.after_json = R"({"state":"GRADUATE_STATE_ACTIVE"})";
    entry.request_id = request.request_id();
    entry.trace_id = info.trace_id;
    entry.peer = info.peer;
    return GraduateRepository::InsertAudit(s, entry);
  });
}

absl::Status Graduates::Restore(db::Session& s, const GraduateRow& graduate, bool immediate, absl::Time now) {
  // Student numbers are unique among active graduates, and another graduate may have taken
  // this one's while it was invalidated.
  ASSIGN_OR_RETURN(auto holders, GraduateRepository::LockActiveStudentNumbers(s, graduate.school_id,
                                                                             {graduate.record.student_number()}));
  auto holder = holders.find(graduate.record.student_number());
  if (holder != holders.end() && holder->second != graduate.record.id_number()) {
    return FailedPrecondition("STUDENT_NUMBER_TAKEN",
                              absl::StrCat("该毕业生的学号“", graduate.record.student_number(),
                                           "”已被名单中另一名毕业生使用，无法恢复。请在就业管理系统中更正学号后重试。"),
                              {{"graduate_id", std::to_string(graduate.id)}});
  }
  ASSIGN_OR_RETURN(bool restored, GraduateRepository::Restore(s, graduate.id, now));
  if (!restored) {
    return FailedPrecondition("GRADUATE_NOT_INVALIDATED", "该毕业生未失效，无需恢复。",
                              {{"graduate_id", std::to_string(graduate.id)}});
  }
  // The graduate counts in the statistics again, with its ledger entry as it was.
  ASSIGN_OR_RETURN(auto ledger, LedgerRepository::Find(s, graduate.id, /*for_update=*/true));
  if (ledger) {
    GraduateRow active = graduate;
    active.state = kStateActive;
    CounterDelta delta;
    delta.Add(active, *ledger, +1);
    RETURN_IF_ERROR(delta.Apply(s));
  }

  v1::GraduateRestored event;
  event.set_graduate_id(std::to_string(graduate.id));
  event.set_school_id(std::to_string(graduate.school_id));
  event.set_class_year(graduate.class_year);
  *event.mutable_restored_at() = ToTimestamp(now);
  event.set_immediate(immediate);
  RETURN_IF_ERROR(Outbox::Write(s, {{event.graduate_id(), graduate.version + 1, &event}}, now));
  return ResyncDestination(s, graduate, now);
}

absl::Status Graduates::ResyncDestination(db::Session& s, const GraduateRow& graduate, absl::Time now) {
  ASSIGN_OR_RETURN(auto ledger, LedgerRepository::Find(s, graduate.id, /*for_update=*/true));
  // Nothing was ever sent for a graduate without a ledger version.
  if (!ledger || ledger->ledger_version == 0) return absl::OkStatus();
  RETURN_IF_ERROR(LedgerRepository::BumpLedgerVersion(s, graduate.id, now));
  const int64_t version = ledger->ledger_version + 1;
  if (ledger->state == kLedgerEffective && ledger->destination) {
    v1::DestinationCommitted committed;
    committed.set_graduate_id(std::to_string(graduate.id));
    committed.set_school_id(std::to_string(graduate.school_id));
    committed.set_class_year(graduate.class_year);
    committed.set_ledger_version(version);
    committed.set_flow(static_cast<v1::Flow>(ledger->holder_flow));
    committed.set_record_id(ledger->holder_record_id);
    *committed.mutable_destination() = *ledger->destination;
    return Outbox::Write(s, {{committed.graduate_id(), version, &committed}}, now);
  }
  // The last change was a void (or the entry is claimed again): the EMS gets 待就业 once more.
  v1::DestinationVoided voided;
  voided.set_graduate_id(std::to_string(graduate.id));
  voided.set_school_id(std::to_string(graduate.school_id));
  voided.set_class_year(graduate.class_year);
  voided.set_ledger_version(version);
  return Outbox::Write(s, {{voided.graduate_id(), version, &voided}}, now);
}

absl::StatusOr<int> Graduates::RestoreDue(int limit, absl::Duration retry_after) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(auto due, pool_.Read<std::vector<int64_t>>(deadline, [&](db::Session& s) {
    return GraduateRepository::ListRestoreDue(s, now, limit);
  }));
  int restored = 0;
  for (int64_t id : due) {
    absl::Status status = pool_.Transaction(deadline, [&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto graduate, GraduateRepository::FindGraduateById(s, id, /*for_update=*/true));
      // Restored at once or removed again since the list was read.
      if (!graduate || graduate->state != kStateInvalidated || !graduate->restore_due_at ||
          *graduate->restore_due_at > now) {
        return absl::OkStatus();
      }
      RETURN_IF_ERROR(Restore(s, *graduate, /*immediate=*/false, now));
      ++restored;
      return absl::OkStatus();
    });
    if (ErrorReason(status) == "STUDENT_NUMBER_TAKEN") {
      spdlog::error("graduate {} cannot be restored because another active graduate has its student number; "
                    "trying again in {}",
                    id, absl::FormatDuration(retry_after));
      RETURN_IF_ERROR(pool_.Run(deadline, [&](db::Session& s) {
        return GraduateRepository::SetRestoreDue(s, {id}, now + retry_after, now);
      }));
      continue;
    }
    RETURN_IF_ERROR(status);
  }
  if (restored > 0) spdlog::info("restored {} invalidated graduates whose restore time had come", restored);
  return restored;
}

}  // namespace quxiang::sync

#include "services/sync/reconciliation.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "services/sync/authorization.h"
#include "services/sync/graduate_repository.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

constexpr int kDefaultPageSize = 20;
constexpr int kMaxPageSize = 100;
// Destinations per ListDestinations call; the EMS accepts 1 to 1000.
constexpr int kEmsPageSize = 500;
// A bound on the pages of one school, far above the largest school's graduates / kEmsPageSize.
constexpr int kMaxEmsPages = 1000;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

v1::ReconciliationRun RunOf(const ReconciliationRunRow& run) {
  v1::ReconciliationRun proto;
  proto.set_id(std::to_string(run.id));
  proto.set_school_id(std::to_string(run.school_id));
  *proto.mutable_started_at() = ToTimestamp(run.started_at);
  *proto.mutable_finished_at() = ToTimestamp(run.finished_at);
  proto.set_graduates_compared(run.graduates_compared);
  proto.set_ems_records(run.ems_records);
  proto.set_difference_count(run.difference_count);
  return proto;
}

v1::ReconciliationDifference DifferenceOf(const DifferenceRow& row) {
  v1::ReconciliationDifference difference;
  if (row.graduate_id) difference.set_graduate_id(std::to_string(*row.graduate_id));
  difference.set_id_number(row.masked_id_number);
  difference.set_kind(static_cast<v1::DifferenceKind>(row.kind));
  difference.set_ledger_version(row.ledger_version);
  difference.set_ems_version(row.ems_version);
  difference.set_ledger_destination_code(row.ledger_destination_code);
  difference.set_ems_destination_code(row.ems_destination_code);
  difference.set_pending_delivery(row.pending_delivery);
  return difference;
}

// School users of the school: reconciliation covers every department.
absl::StatusOr<int64_t> AuthorizeSchoolUser(const RequestInfo& info, const std::string& school_id,
                                            common::v1::Access minimum) {
  if (info.principal == nullptr) return NotLoggedIn();
  const identity::Principal& caller = *info.principal;
  if (caller.kind() != common::v1::PRINCIPAL_KIND_SCHOOL) {
    return PermissionDenied("SCHOOL_USERS_ONLY", "与就业管理系统的数据核对仅对学校用户开放。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  RETURN_IF_ERROR(identity::RequireSchool(caller, school_id));
  RETURN_IF_ERROR(identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, minimum));
  int64_t id = 0;
  if (!ParseId(school_id, &id)) return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
  return id;
}

}  // namespace

Reconciliation::Reconciliation(db::Pool& pool, EmsClient& ems, const Clock& clock)
    : pool_(pool), ems_(ems), clock_(clock) {}

absl::StatusOr<std::pair<ReconciliationRunRow, std::vector<DifferenceRow>>> Reconciliation::Compare(
    int64_t school_id, absl::Time deadline) {
  ReconciliationRunRow run;
  run.school_id = school_id;
  run.started_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  ASSIGN_OR_RETURN(auto school, pool_.Read<std::optional<SchoolRow>>(deadline, [&](db::Session& s) {
    return GraduateRepository::FindSchoolById(s, school_id);
  }));
  if (!school) {
    return FailedPrecondition("SCHOOL_ROSTER_NOT_RECEIVED", "尚未收到本校在就业管理系统中的毕业生名单，暂无可核对的数据。",
                              {{"school_id", std::to_string(school_id)}});
  }

  // Reads the EMS first and the ledger after it, so that a change acknowledged in between shows
  // as pending or as a version the ledger has passed, not as a false loss.
  std::map<std::string, ems::v1::EmsDestinationRecord> ems_records;
  std::string page_token;
  for (int page = 0; page < kMaxEmsPages; ++page) {
    ems::v1::ListDestinationsRequest request;
    request.set_school_code(school->school_code);
    request.set_page_token(page_token);
    request.set_page_size(kEmsPageSize);
    ems::v1::ListDestinationsResponse response;
    RETURN_IF_ERROR(ems_.ListDestinations(deadline, request, &response));
    for (auto& record : *response.mutable_destinations()) {
      std::string id_number = validation::NormalizeIdNumber(record.id_number());
      ems_records[id_number] = std::move(record);
    }
    page_token = response.next_page_token();
    if (page_token.empty()) break;
  }
  run.ems_records = static_cast<int>(ems_records.size());

  using Ledgers = std::vector<PlatformDestination>;
  ASSIGN_OR_RETURN(Ledgers ledgers, pool_.Read<Ledgers>(deadline, [&](db::Session& s) {
    return ReconciliationRepository::ListPlatformDestinations(s, school_id);
  }));
  ASSIGN_OR_RETURN(std::set<int64_t> pending, pool_.Read<std::set<int64_t>>(deadline, [](db::Session& s) {
    return ReconciliationRepository::GraduatesWithUnsentChanges(s);
  }));

  std::vector<DifferenceRow> differences;
  for (const PlatformDestination& ledger : ledgers) {
    DifferenceRow difference;
    difference.graduate_id = ledger.graduate_id;
    difference.masked_id_number = validation::MaskIdNumber(ledger.id_number);
    difference.ledger_version = ledger.ledger_version;
    difference.ledger_destination_code = ledger.destination_code;
    difference.pending_delivery = pending.count(ledger.graduate_id) > 0;

    auto found = ems_records.find(ledger.id_number);
    if (found == ems_records.end()) {
      // Without a record the EMS shows 待就业 by default, which is all the ledger has before its
      // first commit.
      if (ledger.ledger_version == 0) continue;
      difference.kind = v1::DIFFERENCE_KIND_MISSING_IN_EMS;
      differences.push_back(std::move(difference));
      continue;
    }
    difference.ems_version = found->second.applied_version();
    difference.ems_destination_code = found->second.destination().destination_code();
    // What is left in ems_records after the loop are the graduates the platform does not have.
    ems_records.erase(found);
    if (difference.ems_version != ledger.ledger_version) {
      difference.kind = v1::DIFFERENCE_KIND_VERSION_MISMATCH;
    } else if (difference.ems_destination_code != ledger.destination_code) {
      difference.kind = v1::DIFFERENCE_KIND_DESTINATION_MISMATCH;
    } else {
      continue;
    }
    differences.push_back(std::move(difference));
  }
  for (const auto& [id_number, record] : ems_records) {
    DifferenceRow difference;
    difference.masked_id_number = validation::MaskIdNumber(id_number);
    difference.kind = v1::DIFFERENCE_KIND_NOT_IN_PLATFORM;
    difference.ems_version = record.applied_version();
    difference.ems_destination_code = record.destination().destination_code();
    differences.push_back(std::move(difference));
  }

  run.graduates_compared = static_cast<int>(ledgers.size());
  run.difference_count = static_cast<int>(differences.size());
  run.finished_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  return std::make_pair(run, std::move(differences));
}

absl::Status Reconciliation::ReconcileWithEms(const RequestInfo& info, const v1::ReconcileWithEmsRequest& request,
                                              v1::ReconciliationRun* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_WRITE));
  if (request.request_id().empty() || request.request_id().size() > 128) {
    return InvalidArgument("REQUEST_ID_REQUIRED", "请求缺少请求编号（request_id）或超过 128 个字符，请刷新页面后重新提交。",
                           {{"field", "request_id"}});
  }
  // The EMS is read before the idempotency key is checked, so a repeated request reads it again
  // and then returns the first run.
  absl::StatusOr<std::pair<ReconciliationRunRow, std::vector<DifferenceRow>>> compared =
      Compare(school_id, info.deadline);
  if (!compared.ok() && compared.status().code() == absl::StatusCode::kUnavailable) {
    return Unavailable("EMS_UNAVAILABLE", "就业管理系统暂时无法访问，请稍后再核对。",
                       {{"error", ErrorReason(compared.status())}});
  }
  RETURN_IF_ERROR(compared.status());

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    ReconciliationRunRow run = compared->first;
    ASSIGN_OR_RETURN(run.id, ReconciliationRepository::InsertRun(s, run, compared->second));
    *response = RunOf(run);
    return absl::OkStatus();
  });
}

absl::Status Reconciliation::ListReconciliationDifferences(const RequestInfo& info,
                                                           const v1::ListReconciliationDifferencesRequest& request,
                                                           v1::ListReconciliationDifferencesResponse* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolUser(info, request.school_id(), common::v1::ACCESS_READ_ONLY));
  int64_t run_id = 0;
  if (request.run_id() != "latest" && !ParseId(request.run_id(), &run_id)) {
    return NotFound("RECONCILIATION_RUN_NOT_FOUND", "核对记录不存在，请刷新后重试。", {{"run_id", request.run_id()}});
  }
  if (request.page() < 0 || request.page_size() < 0) {
    return InvalidArgument("INVALID_PAGE", "页码和每页条数不能为负数。",
                           {{"field", request.page() < 0 ? "page" : "page_size"}});
  }
  int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  int page = request.page() == 0 ? 1 : request.page();
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto run, ReconciliationRepository::FindRun(s, school_id, run_id));
    if (!run) {
      return NotFound("RECONCILIATION_RUN_NOT_FOUND", "核对记录不存在，请先发起一次与就业管理系统的核对。",
                      {{"run_id", request.run_id()}});
    }
    ASSIGN_OR_RETURN(auto differences, ReconciliationRepository::ListDifferences(
                                           s, run->id, page_size, static_cast<int64_t>(page - 1) * page_size));
    response->Clear();
    *response->mutable_run() = RunOf(*run);
    for (const auto& difference : differences) *response->add_differences() = DifferenceOf(difference);
    response->set_total_size(run->difference_count);
    response->set_page(page);
    response->set_page_size(page_size);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> Reconciliation::ReconcileAllSchools(absl::Duration call_timeout) {
  ASSIGN_OR_RETURN(auto schools, pool_.Read<std::vector<SchoolRow>>(absl::Now() + call_timeout, [](db::Session& s) {
    return GraduateRepository::ListCaughtUpSchools(s);
  }));
  int total = 0;
  for (const SchoolRow& school : schools) {
    absl::Time deadline = absl::Now() + call_timeout;
    ASSIGN_OR_RETURN(auto compared, Compare(school.school_id, deadline));
    RETURN_IF_ERROR(pool_.Transaction(deadline, [&](db::Session& s) {
      return ReconciliationRepository::InsertRun(s, compared.first, compared.second).status();
    }));
    total += compared.first.difference_count;
    if (compared.first.difference_count > 0) {
      spdlog::warn("reconciliation of school {} with the EMS found {} differences", school.school_code,
                   compared.first.difference_count);
    }
  }
  return total;
}

}  // namespace quxiang::sync

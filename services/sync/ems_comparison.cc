#include "services/sync/ems_comparison.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "libs/db/idempotency.h"
#include "libs/logging/logging.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "services/sync/authorization.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/graduates.h"
#include "services/sync/roster_apply.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

constexpr size_t kMaxRequestIdLength = 128;
constexpr char kTargetType[] = "graduate";

// A roster field of the comparison: the field of ems.v1.RosterGraduate, its column name in the
// national layout, and whether 获取最新学生信息 takes it over.
struct ComparedField {
  const char* field;
  const char* label;
  bool refreshable;
};

// The fields in the order the review page shows them.
constexpr ComparedField kComparedFields[] = {
    {"name", "姓名", false},
    {"id_number", "身份证号", false},
    {"gender_code", "性别代码", true},
    {"gender", "性别", true},
    {"ethnicity_code", "民族代码", true},
    {"ethnicity", "民族", true},
    {"political_status_code", "政治面貌代码", true},
    {"political_status", "政治面貌", true},
    {"school_code", "院校代码", false},
    {"school_name", "院校名称", false},
    {"education_level_code", "学历代码", false},
    {"education_level", "学历", false},
    {"major_code", "专业代码", false},
    {"major_name", "专业", false},
    {"department", "所在院系", true},
    {"schooling_length", "学制", true},
    {"student_number", "学号", true},
    {"graduation_date", "毕业时间", true},
};

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

std::string FieldValue(const ems::v1::RosterGraduate& record, const char* field) {
  const google::protobuf::FieldDescriptor* descriptor = record.GetDescriptor()->FindFieldByName(field);
  if (descriptor == nullptr) return "";
  return record.GetReflection()->GetString(record, descriptor);
}

void SetFieldValue(ems::v1::RosterGraduate& record, const char* field, const std::string& value) {
  const google::protobuf::FieldDescriptor* descriptor = record.GetDescriptor()->FindFieldByName(field);
  if (descriptor != nullptr) record.GetReflection()->SetString(&record, descriptor, value);
}

// The comparison of `platform` with `ems`. ID numbers are compared normalized and shown masked.
std::vector<v1::RosterFieldComparison> CompareRecords(const ems::v1::RosterGraduate& platform,
                                                      const ems::v1::RosterGraduate& ems) {
  std::vector<v1::RosterFieldComparison> fields;
  for (const ComparedField& compared : kComparedFields) {
    v1::RosterFieldComparison field;
    field.set_field(compared.field);
    field.set_label(compared.label);
    field.set_refreshable(compared.refreshable);
    std::string platform_value = FieldValue(platform, compared.field);
    std::string ems_value = FieldValue(ems, compared.field);
    if (std::string(compared.field) == "id_number") {
      platform_value = validation::NormalizeIdNumber(platform_value);
      ems_value = validation::NormalizeIdNumber(ems_value);
      field.set_differs(platform_value != ems_value);
      field.set_platform_value(logging::MaskIdNumber(platform_value));
      field.set_ems_value(logging::MaskIdNumber(ems_value));
    } else {
      field.set_differs(platform_value != ems_value);
      field.set_platform_value(platform_value);
      field.set_ems_value(ems_value);
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

std::vector<std::string> Labels(const std::vector<v1::RosterFieldComparison>& fields, bool refreshable) {
  std::vector<std::string> labels;
  for (const v1::RosterFieldComparison& field : fields) {
    if (field.differs() && field.refreshable() == refreshable) labels.push_back(field.label());
  }
  return labels;
}

// Returns the advice for differences that 获取最新学生信息 cannot take over.
std::string BlockingAdvice(const std::vector<std::string>& labels) {
  return absl::StrCat("以下信息与就业管理系统不一致，不能通过“获取最新学生信息”同步：", absl::StrJoin(labels, "、"),
                      "。请先审核不通过，由学校在就业管理系统中修改后，再让毕业生重新签约或登记去向。");
}

// Reads the graduate's current record from the EMS, with the EMS's errors in the reviewer's words.
absl::StatusOr<ems::v1::GetGraduateResponse> FetchFromEms(EmsClient& ems, absl::Time deadline,
                                                          const GraduateRow& graduate) {
  ems::v1::GetGraduateRequest request;
  request.set_school_code(graduate.record.school_code());
  request.set_id_number(graduate.record.id_number());
  ems::v1::GetGraduateResponse response;
  absl::Status status = ems.GetGraduate(deadline, request, &response);
  if (status.ok()) return response;
  spdlog::warn("EMS GetGraduate for graduate {} of school {} failed: {} {}", graduate.id, graduate.school_id,
               absl::StatusCodeToString(status.code()), logging::MaskSensitive(std::string(status.message())));
  if (status.code() == absl::StatusCode::kNotFound) {
    return FailedPrecondition("GRADUATE_NOT_IN_EMS",
                              "就业管理系统中查不到该毕业生，无法比对。请在就业管理系统中核对该毕业生的生源信息。",
                              {{"graduate_id", std::to_string(graduate.id)}});
  }
  return Unavailable("EMS_UNAVAILABLE", "暂时无法从就业管理系统读取该毕业生的信息，请稍后重试。",
                     {{"graduate_id", std::to_string(graduate.id)}});
}

std::string ToJson(const std::map<std::string, std::string>& values) {
  google::protobuf::Struct object;
  for (const auto& [key, value] : values) (*object.mutable_fields())[key].set_string_value(value);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(object, &json).ok()) return "{}";
  return json;
}

}  // namespace

EmsComparison::EmsComparison(db::Pool& pool, EmsClient& ems, const Clock& clock)
    : pool_(pool), ems_(ems), clock_(clock) {}

absl::Status EmsComparison::CompareGraduateWithEms(const RequestInfo& info,
                                                   const v1::CompareGraduateWithEmsRequest& request,
                                                   v1::GraduateEmsComparison* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (!info.principal->IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以比对毕业生信息。");
  }
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeStaffRead(info, request.school_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) return GraduateNotFound();
  ASSIGN_OR_RETURN(auto row, pool_.Read<std::optional<GraduateRow>>(info.deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduate(s, scope.school_id, graduate_id);
  }));
  if (!row || !InScope(scope, *row)) return GraduateNotFound();

  ASSIGN_OR_RETURN(ems::v1::GetGraduateResponse ems, FetchFromEms(ems_, info.deadline, *row));
  std::vector<v1::RosterFieldComparison> fields = CompareRecords(row->record, ems.graduate());
  response->set_school_id(request.school_id());
  response->set_graduate_id(request.graduate_id());
  const std::vector<std::string> refreshable = Labels(fields, true);
  const std::vector<std::string> blocking = Labels(fields, false);
  for (v1::RosterFieldComparison& field : fields) *response->add_fields() = std::move(field);
  response->set_refreshable_difference_count(static_cast<int32_t>(refreshable.size()));
  response->set_blocking_difference_count(static_cast<int32_t>(blocking.size()));
  response->set_removed_in_ems(ems.removed());
  response->set_etag(std::to_string(row->version));

  std::vector<std::string> advice;
  if (ems.removed()) advice.push_back("该毕业生已被就业管理系统移出毕业生名单，以下为其最后的生源信息。");
  if (!blocking.empty()) advice.push_back(BlockingAdvice(blocking));
  if (!refreshable.empty()) {
    advice.push_back(absl::StrCat("以下信息与就业管理系统不一致，可点击“获取最新学生信息”同步：",
                                  absl::StrJoin(refreshable, "、"), "。"));
  }
  response->set_message(absl::StrJoin(advice, ""));
  return absl::OkStatus();
}

absl::Status EmsComparison::RefreshGraduateFromEms(const RequestInfo& info,
                                                   const v1::RefreshGraduateFromEmsRequest& request,
                                                   v1::RefreshGraduateFromEmsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (!info.principal->IsSchoolStaff()) {
    return PermissionDenied("STAFF_ONLY", "只有学校和院系用户可以获取最新学生信息。");
  }
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeStaffRead(info, request.school_id()));
  RETURN_IF_ERROR(
      identity::RequireModuleAccess(*info.principal, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_WRITE));
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) return GraduateNotFound();
  int64_t expected_version = 0;
  if (!ParseId(request.etag(), &expected_version)) {
    return InvalidArgument("ETAG_REQUIRED", "请求缺少有效的版本号（etag），请重新打开比对结果后重试。",
                           {{"field", "etag"}});
  }

  // The EMS is read before the transaction, so that no row stays locked during the call. The
  // transaction then checks the version the reviewer saw, so a change in between gets ABORTED.
  ASSIGN_OR_RETURN(auto current, pool_.Read<std::optional<GraduateRow>>(info.deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduate(s, scope.school_id, graduate_id);
  }));
  if (!current || !InScope(scope, *current)) return GraduateNotFound();
  ASSIGN_OR_RETURN(ems::v1::GetGraduateResponse ems, FetchFromEms(ems_, info.deadline, *current));
  if (ems.removed()) {
    return FailedPrecondition("GRADUATE_REMOVED_IN_EMS",
                              "该毕业生已被就业管理系统移出毕业生名单，不能获取最新学生信息。请先审核不通过，"
                              "并在就业管理系统中核对该毕业生的生源信息。",
                              {{"graduate_id", request.graduate_id()}});
  }

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto graduate, GraduateRepository::FindGraduate(s, scope.school_id, graduate_id,
                                                                     /*for_update=*/true));
    if (!graduate || !InScope(scope, *graduate)) return GraduateNotFound();
    if (graduate->version != expected_version) return StaleVersion("graduate", request.graduate_id());
    if (graduate->state != kStateActive) {
      return FailedPrecondition("GRADUATE_INVALIDATED", "该毕业生已失效，不能获取最新学生信息。",
                                {{"graduate_id", request.graduate_id()}});
    }

    const std::vector<v1::RosterFieldComparison> before = CompareRecords(graduate->record, ems.graduate());
    const std::vector<std::string> refreshable = Labels(before, true);
    const std::vector<std::string> blocking = Labels(before, false);
    if (refreshable.empty() && !blocking.empty()) {
      return FailedPrecondition("EMS_DIFFERENCES_NOT_REFRESHABLE", BlockingAdvice(blocking),
                                {{"graduate_id", request.graduate_id()}, {"fields", absl::StrJoin(blocking, ",")}});
    }

    ems::v1::RosterGraduate merged = graduate->record;
    std::map<std::string, std::string> old_values;
    std::map<std::string, std::string> new_values;
    for (const ComparedField& compared : kComparedFields) {
      if (!compared.refreshable) continue;
      const std::string value = FieldValue(ems.graduate(), compared.field);
      if (FieldValue(merged, compared.field) == value) continue;
      old_values[compared.field] = FieldValue(merged, compared.field);
      new_values[compared.field] = value;
      SetFieldValue(merged, compared.field, value);
    }

    const absl::Time now = clock_.Now();
    if (!new_values.empty()) {
      // Student numbers are unique among active graduates, so a taken number gets its own message
      // instead of the roster rules' generic rejection.
      if (merged.student_number() != graduate->record.student_number()) {
        ASSIGN_OR_RETURN(auto holders, GraduateRepository::LockActiveStudentNumbers(s, scope.school_id,
                                                                                   {merged.student_number()}));
        auto holder = holders.find(merged.student_number());
        if (holder != holders.end() && holder->second != graduate->record.id_number()) {
          return FailedPrecondition("STUDENT_NUMBER_TAKEN",
                                    absl::StrCat("就业管理系统中的新学号“", merged.student_number(),
                                                 "”已被平台名单中另一名毕业生使用，无法同步。请在就业管理系统中核对学号。"),
                                    {{"graduate_id", request.graduate_id()}});
        }
      }
      ASSIGN_OR_RETURN(auto school, GraduateRepository::FindSchoolById(s, scope.school_id));
      if (!school) return GraduateNotFound();
      ASSIGN_OR_RETURN(auto column_limits, GraduateRepository::LoadColumnLimits(s));

      // The refresh is applied as a roster change of this graduate at its current sequence, so
      // that the statistics counters and the GraduateRosterChanged event follow as for the feed.
      ems::v1::RosterChange change;
      change.set_sequence(graduate->roster_sequence);
      change.set_school_code(school->school_code);
      change.set_class_year(graduate->class_year);
      change.set_type(ems::v1::ROSTER_CHANGE_TYPE_UPSERT);
      change.set_graduate_key(graduate->graduate_key);
      *change.mutable_graduate() = merged;
      RosterApplier applier(s, now, absl::ZeroDuration(), column_limits);
      RosterCounts counts;
      RETURN_IF_ERROR(applier.ApplySchool(*school, {&change}, &counts));
      if (counts.rejected > 0 || counts.updated != 1) {
        return FailedPrecondition("EMS_RECORD_NOT_APPLICABLE",
                                  "就业管理系统中的信息不符合平台名单的要求，无法同步。请在就业管理系统中核对该毕业生的生源信息。",
                                  {{"graduate_id", request.graduate_id()}});
      }
      RETURN_IF_ERROR(applier.Finish());

      AuditRecord entry;
      entry.occurred_at = now;
      entry.actor_user_id = info.principal->user_id();
      entry.actor_username = info.principal->username();
      entry.actor_kind = info.principal->kind();
      entry.school_id = scope.school_id;
      entry.action = "GRADUATE_REFRESHED_FROM_EMS";
      entry.target_type = kTargetType;
      entry.target_id = request.graduate_id();
      entry.before_json = ToJson(old_values);
      entry.after_json = ToJson(new_values);
      entry.request_id = request.request_id();
      entry.trace_id = info.trace_id;
      entry.peer = info.peer;
      RETURN_IF_ERROR(GraduateRepository::InsertAudit(s, entry));
    }

    ASSIGN_OR_RETURN(auto after, GraduateRepository::FindGraduate(s, scope.school_id, graduate_id));
    if (!after) return GraduateNotFound();
    *response->mutable_graduate() = GraduateOf(*after, /*reveal=*/false);
    for (const std::string& label : refreshable) response->add_refreshed_fields(label);
    for (const v1::RosterFieldComparison& field : CompareRecords(after->record, ems.graduate())) {
      if (field.differs()) *response->add_remaining_differences() = field;
    }
    std::string message = refreshable.empty()
                              ? "平台信息与就业管理系统一致，无需更新。"
                              : absl::StrCat("已从就业管理系统获取最新信息：", absl::StrJoin(refreshable, "、"), "。");
    if (!blocking.empty()) absl::StrAppend(&message, BlockingAdvice(blocking));
    response->set_message(message);
    return absl::OkStatus();
  });
}

}  // namespace quxiang::sync

#include "services/sync/statistics.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/codes/code_tables.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/authorization.h"
#include "services/sync/statistics_counters.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

// The placed categories of the 2021 and the 2024 definition of 毕业去向落实率.
const std::set<std::string>& PlacedCategories2021() {
  static const auto* const kCategories = new std::set<std::string>{"协议和合同就业", "灵活就业", "自主创业", "升学"};
  return *kCategories;
}

const std::set<std::string>& PlacedCategories2024() {
  static const auto* const kCategories = new std::set<std::string>{"单位就业", "自主创业", "自由职业", "升学"};
  return *kCategories;
}

absl::Status ValidateClassYear(int class_year) {
  if (class_year < 2000 || class_year > 2100) {
    return InvalidArgument("INVALID_CLASS_YEAR",
                           absl::StrCat("毕业年份（届）无效：", class_year, "。请填写 2000 到 2100 之间的年份，例如 2025。"),
                           {{"field", "class_year"}, {"value", std::to_string(class_year)}});
  }
  return absl::OkStatus();
}

// Sums of one group, before the rates.
struct GroupCounts {
  std::string name;
  int64_t graduates = 0;
  int64_t signed_count = 0;
  int64_t placed_2021 = 0;
  int64_t placed_2024 = 0;
};

double Rate(int64_t part, int64_t whole) { return whole == 0 ? 0 : static_cast<double>(part) / whole; }

void FillGroup(const std::string& key, const GroupCounts& counts, v1::StatisticsGroup* group) {
  group->set_key(key);
  group->set_name(counts.name);
  group->set_graduate_count(static_cast<int32_t>(counts.graduates));
  group->set_signed_count(static_cast<int32_t>(counts.signed_count));
  group->set_placed_count_2021(static_cast<int32_t>(counts.placed_2021));
  group->set_placed_count_2024(static_cast<int32_t>(counts.placed_2024));
  group->set_signing_rate(Rate(counts.signed_count, counts.graduates));
  group->set_placement_rate_2021(Rate(counts.placed_2021, counts.graduates));
  group->set_placement_rate_2024(Rate(counts.placed_2024, counts.graduates));
}

}  // namespace

absl::Status Statistics::GetStatistics(const RequestInfo& info, const v1::GetStatisticsRequest& request,
                                       v1::Statistics* response) {
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeStaffRead(info, request.school_id()));
  RETURN_IF_ERROR(ValidateClassYear(request.class_year()));
  if (!scope.department.empty() && !request.department().empty() && request.department() != scope.department) {
    return PermissionDenied("OUTSIDE_DEPARTMENT_SCOPE", "院系用户只能查看本院系的统计数据。",
                            {{"department", request.department()}});
  }
  const std::string department = scope.department.empty() ? request.department() : scope.department;

  using Counters = std::vector<CounterRow>;
  ASSIGN_OR_RETURN(Counters counters, pool_.Read<Counters>(info.deadline, [&](db::Session& s) {
    return StatisticsRepository::ListCounters(s, scope.school_id, request.class_year(), department);
  }));

  const codes::CodeTables& tables = codes::CodeTables::ForClass(request.class_year());
  GroupCounts total;
  std::map<std::string, int64_t> by_destination;
  std::map<std::string, int64_t> by_category_2021;
  std::map<std::string, int64_t> by_category_2024;
  std::map<int, std::map<std::string, GroupCounts>> by_dimension;
  for (const CounterRow& counter : counters) {
    const std::string& code = counter.key.destination_code;
    std::string category_2021 = tables.DestinationCategory2021(code);
    std::string category_2024 = tables.DestinationCategory2024(code);
    GroupCounts& group = by_dimension[counter.key.dimension][counter.key.value];
    group.name = counter.display_name;
    group.graduates += counter.graduates;
    if (counter.key.signed_agreement) group.signed_count += counter.graduates;
    if (PlacedCategories2021().count(category_2021) > 0) group.placed_2021 += counter.graduates;
    if (PlacedCategories2024().count(category_2024) > 0) group.placed_2024 += counter.graduates;

    // Every graduate has exactly one department counter, so the totals add those up.
    if (counter.key.dimension != static_cast<int>(Dimension::kDepartment)) continue;
    total.graduates += counter.graduates;
    if (counter.key.signed_agreement) total.signed_count += counter.graduates;
    if (PlacedCategories2021().count(category_2021) > 0) total.placed_2021 += counter.graduates;
    if (PlacedCategories2024().count(category_2024) > 0) total.placed_2024 += counter.graduates;
    by_destination[code] += counter.graduates;
    by_category_2021[category_2021] += counter.graduates;
    by_category_2024[category_2024] += counter.graduates;
  }

  response->Clear();
  response->set_school_id(request.school_id());
  response->set_class_year(request.class_year());
  response->set_department(department);
  FillGroup("", total, response->mutable_total());
  for (const auto& [code, count] : by_destination) {
    v1::DestinationCount* entry = response->add_by_destination();
    entry->set_destination_code(code);
    entry->set_name(tables.Name(codes::Table::kDestination, code));
    entry->set_category_2021(tables.DestinationCategory2021(code));
    entry->set_category_2024(tables.DestinationCategory2024(code));
    entry->set_graduate_count(static_cast<int32_t>(count));
  }
  for (const auto& [category, count] : by_category_2021) {
    v1::CategoryCount* entry = response->add_by_category_2021();
    entry->set_category(category);
    entry->set_graduate_count(static_cast<int32_t>(count));
  }
  for (const auto& [category, count] : by_category_2024) {
    v1::CategoryCount* entry = response->add_by_category_2024();
    entry->set_category(category);
    entry->set_graduate_count(static_cast<int32_t>(count));
  }
  const std::pair<Dimension, google::protobuf::RepeatedPtrField<v1::StatisticsGroup>*> groups[] = {
      {Dimension::kDepartment, response->mutable_by_department()},
      {Dimension::kMajor, response->mutable_by_major()},
      {Dimension::kEducationLevel, response->mutable_by_education_level()},
      {Dimension::kGender, response->mutable_by_gender()},
  };
  for (const auto& [dimension, out] : groups) {
    for (const auto& [key, counts] : by_dimension[static_cast<int>(dimension)]) {
      if (counts.graduates != 0) FillGroup(key, counts, out->Add());
    }
  }
  return absl::OkStatus();
}

absl::Status Statistics::RecountStatistics(const RequestInfo& info, const v1::RecountStatisticsRequest& request,
                                           v1::RecountStatisticsResponse* response) {
  ASSIGN_OR_RETURN(int64_t school_id, AuthorizeSchoolWriter(info, request.school_id()));
  RETURN_IF_ERROR(ValidateClassYear(request.class_year()));
  if (request.request_id().empty() || request.request_id().size() > 128) {
    return InvalidArgument("REQUEST_ID_REQUIRED", "请求缺少请求编号（request_id）或超过 128 个字符，请刷新页面后重新提交。",
                           {{"field", "request_id"}});
  }
  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request.request_id();
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    int64_t rows = 0;
    ASSIGN_OR_RETURN(int64_t corrected, StatisticsRepository::Recount(s, school_id, request.class_year(), &rows));
    if (corrected > 0) {
      spdlog::error("recount of the statistics of school {} class {} corrected {} of {} counters", school_id,
                    request.class_year(), corrected, rows);
    }
    response->set_counter_rows(static_cast<int32_t>(rows));
    response->set_corrected_rows(static_cast<int32_t>(corrected));
    return absl::OkStatus();
  });
}

}  // namespace quxiang::sync

#include "services/sync/eligibility.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/codes/code_tables.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/authorization.h"

namespace quxiang::sync {
namespace {

// Whether the training mode is directed (定向) or commissioned (委培), by the start of its name in
// the code table, so that the rule follows the data when the platform splits a base code. The
// start, because 非定向 contains 定向.
bool IsDirectedOrCommissioned(const codes::Code& mode) {
  return absl::StartsWith(mode.name, "定向") || absl::StartsWith(mode.name, "委培");
}

}  // namespace

absl::Time ClassClosesAt(int class_year) {
  return absl::FromCivil(absl::CivilSecond(class_year + 1, 2, 1, 0, 0, 0), BeijingTimeZone());
}

std::string FlowDisplayName(v1::Flow flow) {
  switch (flow) {
    case v1::FLOW_ONLINE_SIGNING:
      return "线上签约";
    case v1::FLOW_OFFLINE_AGREEMENT:
      return "电子就业协议线下签约";
    case v1::FLOW_PAPER_AGREEMENT:
      return "已签纸质就业协议登记";
    case v1::FLOW_DESTINATION_REGISTRATION:
      return "其他毕业去向信息登记";
    case v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT:
      return "定向/委培毕业去向补充登记";
    default:
      return "未知流程";
  }
}

absl::Status CheckEligibility(const GraduateRow& graduate, v1::Flow flow, absl::Time now) {
  if (flow == v1::FLOW_UNSPECIFIED || !v1::Flow_IsValid(flow)) {
    return InvalidArgument("INVALID_FLOW", "业务类型无效，请选择线上签约、线下签约、补登、去向登记或定向/委培补充登记。",
                           {{"field", "flow"}, {"value", std::to_string(static_cast<int>(flow))}});
  }
  ErrorMetadata metadata = {{"graduate_id", std::to_string(graduate.id)}, {"flow", v1::Flow_Name(flow)}};

  if (graduate.state == kStateInvalidated) {
    return FailedPrecondition("GRADUATE_INVALIDATED",
                              "该毕业生已从就业管理系统的毕业生名单中删除（失效），不能签约或登记毕业去向。"
                              "如信息有误，请学校在就业管理系统中重新上传该毕业生。",
                              metadata);
  }

  // A class may act until January 31 of the year after its graduation year, inclusive, in
  // Beijing time; from February 1 00:00 it is read-only.
  if (now >= ClassClosesAt(graduate.class_year)) {
    metadata["class_year"] = std::to_string(graduate.class_year);
    return FailedPrecondition("CLASS_CLOSED",
                              absl::StrCat(graduate.class_year, "届毕业生的办理期限已于", graduate.class_year + 1,
                                           "年1月31日结束，只能查看过往记录，不能再签约或登记毕业去向。"),
                              metadata);
  }

  const std::string& mode_code = graduate.record.training_mode_code();
  const codes::CodeTables& tables = codes::CodeTables::ForClass(graduate.class_year);
  const codes::Code* mode = tables.Find(codes::Table::kTrainingMode, mode_code);
  metadata["training_mode_code"] = mode_code;
  if (mode == nullptr) {
    return FailedPrecondition("TRAINING_MODE_UNKNOWN",
                              absl::StrCat("该毕业生的培养方式代码“", mode_code,
                                           "”不在代码表中，暂不能办理。请学校在就业管理系统中更正培养方式。"),
                              metadata);
  }
  if (flow == v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT) {
    if (!IsDirectedOrCommissioned(*mode)) {
      return FailedPrecondition("NOT_DIRECTED_TRAINING",
                                absl::StrCat("定向/委培毕业去向补充登记仅适用于定向或委培毕业生，该毕业生的培养方式为“",
                                             mode->name, "”。"),
                                metadata);
    }
    return absl::OkStatus();
  }
  if (!tables.AllowsOnlineSigning(mode_code)) {
    return FailedPrecondition("TRAINING_MODE_DIRECTED_ONLY",
                              absl::StrCat("培养方式为“", mode->name, "”的毕业生不能办理", FlowDisplayName(flow),
                                           "，只能填报“定向/委培毕业去向补充登记”。"),
                              metadata);
  }
  return absl::OkStatus();
}

absl::Status EligibilityChecks::CheckEligibility(const RequestInfo& info, const v1::CheckEligibilityRequest& request,
                                                 v1::Eligibility* response) {
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeGraduateRead(info, request.school_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) {
    return NotFound("GRADUATE_NOT_FOUND", "毕业生不存在或无权查看，请刷新名单后重试。");
  }
  if (scope.graduate_id != 0 && scope.graduate_id != graduate_id) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能查看本人的信息。");
  }
  ASSIGN_OR_RETURN(auto graduate, pool_.Read<std::optional<GraduateRow>>(info.deadline, [&](db::Session& s) {
    return GraduateRepository::FindGraduate(s, scope.school_id, graduate_id);
  }));
  if (!graduate || !InScope(scope, *graduate)) {
    return NotFound("GRADUATE_NOT_FOUND", "毕业生不存在或无权查看，请刷新名单后重试。");
  }

  absl::Status eligible = sync::CheckEligibility(*graduate, request.flow(), clock_.Now());
  if (eligible.code() == absl::StatusCode::kInvalidArgument) return eligible;
  response->Clear();
  response->set_graduate_id(request.graduate_id());
  response->set_flow(request.flow());
  response->set_eligible(eligible.ok());
  if (!eligible.ok()) {
    response->set_reason(ErrorReason(eligible));
    response->set_message(std::string(eligible.message()));
  }
  *response->mutable_class_closes_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(ClassClosesAt(graduate->class_year)));
  return absl::OkStatus();
}

}  // namespace quxiang::sync

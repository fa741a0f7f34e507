#include "services/sync/ledger.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/codes/code_tables.h"
#include "libs/db/idempotency.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/authorization.h"
#include "services/sync/eligibility.h"
#include "services/sync/outbox.h"
#include "services/sync/statistics_counters.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

// The width of idempotency_keys.request_id.
constexpr size_t kMaxRequestIdLength = 128;
// The destination code the EMS shows for a graduate without a destination (待就业).
constexpr char kUnemployedDestinationCode[] = "70";

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

absl::Status ValidateRecordId(const std::string& record_id) {
  bool printable = !record_id.empty() && record_id.size() <= kMaxRecordIdLength;
  for (char c : record_id) printable = printable && absl::ascii_isgraph(static_cast<unsigned char>(c));
  if (!printable) {
    return InvalidArgument("INVALID_RECORD_ID", "业务记录编号（record_id）必须是 1 到 64 个可见的 ASCII 字符。",
                           {{"field", "record_id"}});
  }
  return absl::OkStatus();
}

ems::v1::DestinationSource SourceOf(v1::Flow flow) {
  switch (flow) {
    case v1::FLOW_ONLINE_SIGNING:
      return ems::v1::DESTINATION_SOURCE_ONLINE_SIGNING;
    case v1::FLOW_OFFLINE_AGREEMENT:
      return ems::v1::DESTINATION_SOURCE_OFFLINE_AGREEMENT;
    case v1::FLOW_PAPER_AGREEMENT:
      return ems::v1::DESTINATION_SOURCE_PAPER_AGREEMENT;
    default:
      return ems::v1::DESTINATION_SOURCE_DESTINATION_REGISTRATION;
  }
}

bool HeldBy(const LedgerRow& ledger, v1::Flow flow, const std::string& record_id) {
  return ledger.holder_flow == flow && ledger.holder_record_id == record_id;
}

// The error of a claim refused because another flow's record has claimed the graduate.
absl::Status Held(const LedgerRow& ledger) {
  auto holder = static_cast<v1::Flow>(ledger.holder_flow);
  ErrorMetadata metadata = {{"graduate_id", std::to_string(ledger.graduate_id)},
                            {"holder_flow", v1::Flow_Name(holder)},
                            {"holder_record_id", ledger.holder_record_id}};
  if (ledger.state == kLedgerEffective) {
    return FailedPrecondition("GRADUATE_HELD",
                              absl::StrCat("该毕业生已有生效的", FlowDisplayName(holder), "（记录 ",
                                           ledger.holder_record_id,
                                           "）。如需办理新的签约或毕业去向登记，请先解约或作废原记录。"),
                              metadata);
  }
  return FailedPrecondition("GRADUATE_HELD",
                            absl::StrCat("该毕业生已有进行中的", FlowDisplayName(holder), "（记录 ",
                                         ledger.holder_record_id,
                                         "），同一时间只能办理一项签约或毕业去向登记，请等该记录结束后再办理。"),
                            metadata);
}

absl::Status NotHeldBy(const LedgerRow& ledger, v1::Flow flow, const std::string& record_id) {
  return FailedPrecondition("CLAIM_NOT_HELD",
                            absl::StrCat("该毕业生当前不由", FlowDisplayName(flow), "（记录 ", record_id,
                                         "）占用，无法执行此操作。请刷新后查看该毕业生当前的签约和去向状态。"),
                            {{"graduate_id", std::to_string(ledger.graduate_id)},
                             {"flow", v1::Flow_Name(flow)},
                             {"record_id", record_id}});
}

}  // namespace

v1::LedgerEntry LedgerEntryOf(const LedgerRow& row) {
  v1::LedgerEntry entry;
  entry.set_graduate_id(std::to_string(row.graduate_id));
  entry.set_state(static_cast<v1::LedgerState>(row.state));
  if (row.state != kLedgerNone) {
    entry.set_holder_flow(static_cast<v1::Flow>(row.holder_flow));
    entry.set_holder_record_id(row.holder_record_id);
  }
  if (row.claimed_at) *entry.mutable_claimed_at() = ToTimestamp(*row.claimed_at);
  if (row.destination) *entry.mutable_destination() = *row.destination;
  entry.set_ledger_version(row.ledger_version);
  *entry.mutable_updated_at() = ToTimestamp(row.updated_at);
  entry.set_etag(std::to_string(row.version));
  return entry;
}

Ledger::Ledger(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

absl::Status Ledger::GetLedgerEntry(const RequestInfo& info, const v1::GetLedgerEntryRequest& request,
                                    v1::LedgerEntry* response) {
  ASSIGN_OR_RETURN(GraduateScope scope, AuthorizeGraduateRead(info, request.school_id()));
  int64_t graduate_id = 0;
  if (!ParseId(request.graduate_id(), &graduate_id)) return GraduateNotFound();
  if (scope.graduate_id != 0 && scope.graduate_id != graduate_id) {
    return PermissionDenied("OWN_RECORD_ONLY", "毕业生只能查看本人的信息。");
  }
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto graduate, GraduateRepository::FindGraduate(s, scope.school_id, graduate_id));
    if (!graduate || !InScope(scope, *graduate)) return GraduateNotFound();
    ASSIGN_OR_RETURN(auto ledger, LedgerRepository::Find(s, graduate_id));
    if (!ledger) return Internal("LEDGER_ROW_MISSING", absl::StrCat("graduate ", graduate_id, " has no ledger row"));
    *response = LedgerEntryOf(*ledger);
    return absl::OkStatus();
  });
}

absl::Status Ledger::Write(
    const RequestInfo& info, const google::protobuf::Message& request, const std::string& request_id,
    const std::string& school_id, const std::string& graduate_id_text, v1::Flow flow, const std::string& record_id,
    v1::LedgerEntry* response,
    const std::function<absl::Status(db::Session&, const GraduateRow&, const LedgerRow&, absl::Time)>& change) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (!IsLedgerWriterService(*info.principal)) {
    return PermissionDenied("LEDGER_WRITERS_ONLY", "只有签约、解约和去向登记服务可以修改毕业生的去向台账。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(info.principal->kind())}});
  }
  int64_t school = 0;
  if (!ParseId(school_id, &school)) return PermissionDenied("OUTSIDE_SCHOOL_SCOPE", "无权访问该学校的数据。");
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  if (flow == v1::FLOW_UNSPECIFIED || !v1::Flow_IsValid(flow)) {
    return InvalidArgument("INVALID_FLOW", "业务类型无效，请选择线上签约、线下签约、补登、去向登记或定向/委培补充登记。",
                           {{"field", "flow"}, {"value", std::to_string(static_cast<int>(flow))}});
  }
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  int64_t graduate_id = 0;
  if (!ParseId(graduate_id_text, &graduate_id)) return GraduateNotFound();

  db::IdempotencyKey key;
  key.scope = info.principal->user_id();
  key.method = info.method;
  key.request_id = request_id;
  key.request_fingerprint = db::Fingerprint(request);
  return db::RunIdempotent(pool_, info.deadline, key, response, [&](db::Session& s) -> absl::Status {
    // The graduate first, then its ledger row: the roster feed and the restore lock graduates
    // before ledger rows too, so no two of them wait on each other in a cycle.
    ASSIGN_OR_RETURN(auto graduate, GraduateRepository::FindGraduate(s, school, graduate_id, /*for_update=*/true));
    if (!graduate) return GraduateNotFound();
    ASSIGN_OR_RETURN(auto ledger, LedgerRepository::Find(s, graduate_id, /*for_update=*/true));
    if (!ledger) return Internal("LEDGER_ROW_MISSING", absl::StrCat("graduate ", graduate_id, " has no ledger row"));
    absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
    RETURN_IF_ERROR(change(s, *graduate, *ledger, now));
    ASSIGN_OR_RETURN(auto after, LedgerRepository::Find(s, graduate_id));
    if (!after) return Internal("LEDGER_ROW_MISSING", absl::StrCat("graduate ", graduate_id, " has no ledger row"));
    // Commits and voids move the graduate to another destination counter; claims and releases
    // cancel out.
    CounterDelta delta;
    delta.Add(*graduate, *ledger, -1);
    delta.Add(*graduate, *after, +1);
    if (!delta.empty()) RETURN_IF_ERROR(delta.Apply(s));
    *response = LedgerEntryOf(*after);
    return absl::OkStatus();
  });
}

absl::Status Ledger::ClaimGraduate(const RequestInfo& info, const v1::ClaimGraduateRequest& request,
                                   v1::LedgerEntry* response) {
  const v1::Flow flow = request.flow();
  const std::string& record_id = request.record_id();
  return Write(info, request, request.request_id(), request.school_id(), request.graduate_id(), flow, record_id,
               response, [&](db::Session& s, const GraduateRow& graduate, const LedgerRow& ledger, absl::Time now) {
                 // A repeated claim of the holder changes nothing.
                 if (ledger.state != kLedgerNone && HeldBy(ledger, flow, record_id)) return absl::OkStatus();
                 RETURN_IF_ERROR(CheckEligibility(graduate, flow, now));
                 ASSIGN_OR_RETURN(bool claimed, LedgerRepository::Claim(s, graduate.id, flow, record_id, now));
                 if (claimed) return absl::OkStatus();
                 // The row is locked, so it is as read: held by another record.
                 return Held(ledger);
               });
}

absl::Status Ledger::ReleaseClaim(const RequestInfo& info, const v1::ReleaseClaimRequest& request,
                                  v1::LedgerEntry* response) {
  const v1::Flow flow = request.flow();
  const std::string& record_id = request.record_id();
  return Write(info, request, request.request_id(), request.school_id(), request.graduate_id(), flow, record_id,
               response, [&](db::Session& s, const GraduateRow& graduate, const LedgerRow& ledger, absl::Time now) {
                 if (ledger.state == kLedgerEffective && HeldBy(ledger, flow, record_id)) {
                   return FailedPrecondition("DESTINATION_EFFECTIVE",
                                             "该记录已审核通过并生效，不能撤销占用，请改为作废或解约。",
                                             {{"graduate_id", std::to_string(graduate.id)}, {"record_id", record_id}});
                 }
                 ASSIGN_OR_RETURN(bool released, LedgerRepository::Release(s, graduate.id, flow, record_id, now));
                 if (released) return absl::OkStatus();
                 // Nothing to release: already released, or another record holds the graduate,
                 // which this release must leave alone.
                 if (ledger.state != kLedgerNone) return NotHeldBy(ledger, flow, record_id);
                 return absl::OkStatus();
               });
}

absl::Status Ledger::CommitDestination(const RequestInfo& info, const v1::CommitDestinationRequest& request,
                                       v1::LedgerEntry* response) {
  const v1::Flow flow = request.flow();
  const std::string& record_id = request.record_id();
  if (request.destination().destination_code().empty()) {
    return InvalidArgument("DESTINATION_CODE_REQUIRED", "请填写毕业去向代码。", {{"field", "destination.destination_code"}});
  }
  return Write(
      info, request, request.request_id(), request.school_id(), request.graduate_id(), flow, record_id, response,
      [&](db::Session& s, const GraduateRow& graduate, const LedgerRow& ledger, absl::Time now) -> absl::Status {
        const codes::CodeTables& tables = codes::CodeTables::ForClass(graduate.class_year);
        const std::string& code = request.destination().destination_code();
        if (!tables.Contains(codes::Table::kDestination, code)) {
          return InvalidArgument("UNKNOWN_DESTINATION_CODE",
                                 absl::StrCat("毕业去向代码“", code, "”不在", graduate.class_year,
                                              "届的毕业去向代码表中，请按代码表选择。"),
                                 {{"field", "destination.destination_code"}, {"value", code}});
        }
        if (ledger.state == kLedgerNone || !HeldBy(ledger, flow, record_id)) {
          return ledger.state == kLedgerNone ? NotHeldBy(ledger, flow, record_id) : Held(ledger);
        }
        RETURN_IF_ERROR(CheckEligibility(graduate, flow, now));

        ems::v1::Destination destination = request.destination();
        destination.set_source_flow_type(SourceOf(flow));
        destination.set_source_flow_id(record_id);
        ASSIGN_OR_RETURN(bool committed, LedgerRepository::Commit(s, graduate.id, flow, record_id, destination, now));
        if (!committed) return NotHeldBy(ledger, flow, record_id);

        v1::DestinationCommitted event;
        event.set_graduate_id(std::to_string(graduate.id));
        event.set_school_id(std::to_string(graduate.school_id));
        event.set_class_year(graduate.class_year);
        event.set_ledger_version(ledger.ledger_version + 1);
        event.set_flow(flow);
        event.set_record_id(record_id);
        *event.mutable_destination() = destination;
        return Outbox::Write(s, {{event.graduate_id(), event.ledger_version(), &event}}, now);
      });
}

absl::Status Ledger::VoidDestination(const RequestInfo& info, const v1::VoidDestinationRequest& request,
                                     v1::LedgerEntry* response) {
  const v1::Flow flow = request.flow();
  const std::string& record_id = request.record_id();
  if (request.reason() == v1::VOID_REASON_UNSPECIFIED || !v1::VoidReason_IsValid(request.reason())) {
    return InvalidArgument("VOID_REASON_REQUIRED", "请说明原因：作废或解约。", {{"field", "reason"}});
  }
  return Write(
      info, request, request.request_id(), request.school_id(), request.graduate_id(), flow, record_id, response,
      [&](db::Session& s, const GraduateRow& graduate, const LedgerRow& ledger, absl::Time now) -> absl::Status {
        if (ledger.state != kLedgerEffective || !HeldBy(ledger, flow, record_id)) {
          // A repeated void with the same request id gets the stored response from the
          // idempotency key. With another request id, this record has nothing left to void.
          return NotHeldBy(ledger, flow, record_id);
        }
        RETURN_IF_ERROR(CheckEligibility(graduate, flow, now));

        ems::v1::Destination unemployed;
        unemployed.set_destination_code(kUnemployedDestinationCode);
        ASSIGN_OR_RETURN(bool voided, LedgerRepository::Void(s, graduate.id, flow, record_id, unemployed, now));
        if (!voided) return NotHeldBy(ledger, flow, record_id);

        v1::DestinationVoided event;
        event.set_graduate_id(std::to_string(graduate.id));
        event.set_school_id(std::to_string(graduate.school_id));
        event.set_class_year(graduate.class_year);
        event.set_ledger_version(ledger.ledger_version + 1);
        event.set_flow(flow);
        event.set_record_id(record_id);
        event.set_reason(request.reason());
        return Outbox::Write(s, {{event.graduate_id(), event.ledger_version(), &event}}, now);
      });
}

absl::StatusOr<int> Ledger::ReleaseStaleClaims(ClaimChecker& checker, absl::Duration min_age, int limit) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(auto claims, pool_.Read<std::vector<LedgerRow>>(deadline, [&](db::Session& s) {
    return LedgerRepository::ListClaimsBefore(s, now - min_age, limit);
  }));
  std::vector<ClaimHolder> holders;
  for (const LedgerRow& claim : claims) {
    holders.push_back({static_cast<v1::Flow>(claim.holder_flow), claim.holder_record_id});
  }
  if (!holders.empty()) RETURN_IF_ERROR(checker.Prefetch(holders, deadline));
  int released = 0;
  for (const LedgerRow& claim : claims) {
    auto flow = static_cast<v1::Flow>(claim.holder_flow);
    absl::StatusOr<bool> in_flight = checker.IsInFlight(flow, claim.holder_record_id, deadline);
    if (!in_flight.ok()) {
      spdlog::warn("checking the claim of graduate {} by {} record {} failed: {} {}; the claim stays",
                   claim.graduate_id, v1::Flow_Name(flow), claim.holder_record_id, ErrorReason(in_flight.status()),
                   std::string(in_flight.status().message()));
      continue;
    }
    if (*in_flight) continue;
    ASSIGN_OR_RETURN(bool done, pool_.InTransaction<bool>(deadline, [&](db::Session& s) {
      return LedgerRepository::ReleaseIfUnchanged(s, claim, clock_.Now());
    }));
    if (!done) continue;
    ++released;
    spdlog::warn("released the claim of graduate {} by {} record {} (claimed at {}): the record is no longer in flight",
                 claim.graduate_id, v1::Flow_Name(flow), claim.holder_record_id,
                 absl::FormatTime(*claim.claimed_at, absl::UTCTimeZone()));
  }
  return released;
}

}  // namespace quxiang::sync

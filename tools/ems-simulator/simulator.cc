#include "tools/ems-simulator/simulator.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/codes/code_tables.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "spdlog/spdlog.h"

namespace quxiang::ems_simulator {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxIdNumberLength = 32;
constexpr size_t kMaxIdempotencyKeyLength = 128;
constexpr size_t kGraduateKeyLength = 32;
constexpr int kMaxSkippedVersionsListed = 100;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1000000000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return timestamp;
}

absl::Status CheckSchoolCode(absl::string_view school_code) {
  return validation::ValidateSchoolCode(school_code, "school_code");
}

// ID numbers are not checked against the resident ID format: the roster also contains graduates
// with other identity documents, and a lookup of an unknown number is NOT_FOUND anyway.
absl::Status CheckIdNumber(absl::string_view id_number) {
  if (id_number.empty()) {
    return InvalidArgument("ID_NUMBER_MISSING", "请填写毕业生的身份证号。", {{"field", "id_number"}});
  }
  if (id_number.size() > kMaxIdNumberLength) {
    return InvalidArgument("INVALID_ID_NUMBER_FORMAT",
                           absl::StrCat("身份证号不能超过 ", kMaxIdNumberLength, " 个字符。"),
                           {{"field", "id_number"}, {"value", validation::MaskIdNumber(id_number)}});
  }
  return absl::OkStatus();
}

absl::Status CheckGraduateRequest(absl::string_view school_code, absl::string_view id_number) {
  RETURN_IF_ERROR(CheckSchoolCode(school_code));
  return CheckIdNumber(id_number);
}

absl::Status CheckPageSize(int size, const char* field) {
  if (size >= 0 && size <= kMaxPageSize) return absl::OkStatus();
  return InvalidArgument("INVALID_PAGE_SIZE",
                         absl::StrCat(field, " 必须在 1 到 ", kMaxPageSize, " 之间（0 表示默认值 ",
                                      kDefaultPageSize, "），当前为 ", size, "。"),
                         {{"field", field}, {"value", absl::StrCat(size)}});
}

absl::Status CheckWrite(absl::string_view school_code, absl::string_view id_number, int64_t ledger_version,
                        absl::string_view idempotency_key) {
  RETURN_IF_ERROR(CheckGraduateRequest(school_code, id_number));
  if (ledger_version <= 0) {
    return InvalidArgument("INVALID_LEDGER_VERSION",
                           absl::StrCat("ledger_version 必须是正整数，当前为 ", ledger_version, "。"),
                           {{"field", "ledger_version"}, {"value", absl::StrCat(ledger_version)}});
  }
  if (idempotency_key.empty() || idempotency_key.size() > kMaxIdempotencyKeyLength) {
    return InvalidArgument("INVALID_IDEMPOTENCY_KEY",
                           absl::StrCat("idempotency_key 必须有 1 到 ", kMaxIdempotencyKeyLength, " 个字符。"),
                           {{"field", "idempotency_key"}});
  }
  return absl::OkStatus();
}

// Checks the form of a destination before the graduate is looked up: 2 or 3 digits, because
// classes up to 2023 use 2-digit codes and later classes 3-digit sub-codes, and a valid credit
// code when one is given. CheckDestinationCodes then checks the graduate's class tables.
absl::Status CheckDestination(const v1::Destination& destination) {
  const std::string& code = destination.destination_code();
  bool digits = !code.empty() && std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || code.size() < 2 || code.size() > 3) {
    return InvalidArgument("INVALID_DESTINATION_CODE",
                           absl::StrCat("毕业去向代码“", code, "”无效，应为 2 位或 3 位数字。"),
                           {{"field", "destination.destination_code"}, {"value", code}});
  }
  if (!destination.employer_credit_code().empty()) {
    RETURN_IF_ERROR(
        validation::ValidateCreditCode(destination.employer_credit_code(), "destination.employer_credit_code"));
  }
  return absl::OkStatus();
}

// Checks the destination code, and the unit nature, industry and job category codes when given,
// against the code tables of graduating class `class_year`.
absl::Status CheckDestinationCodes(const v1::Destination& destination, int class_year) {
  struct Column {
    codes::Table table;
    const std::string& value;
    const char* field;
    const char* name;
  };
  const Column columns[] = {
      {codes::Table::kDestination, destination.destination_code(), "destination.destination_code", "毕业去向代码"},
      {codes::Table::kUnitNature, destination.unit_nature_code(), "destination.unit_nature_code", "单位性质代码"},
      {codes::Table::kIndustry, destination.industry_code(), "destination.industry_code", "单位行业代码"},
      {codes::Table::kJobCategory, destination.job_category_code(), "destination.job_category_code",
       "工作职位类别代码"},
  };
  const codes::CodeTables& tables = codes::CodeTables::ForClass(class_year);
  for (const Column& column : columns) {
    if (column.value.empty() || tables.Contains(column.table, column.value)) continue;
    return InvalidArgument("UNKNOWN_CODE",
                           absl::StrCat(column.name, "“", column.value, "”不在 ", class_year,
                                        " 届毕业生适用的代码表中，请使用该届的代码。"),
                           {{"field", column.field}, {"value", column.value}});
  }
  return absl::OkStatus();
}

absl::Status GraduateNotFound(absl::string_view school_code, absl::string_view id_number) {
  std::string masked = validation::MaskIdNumber(id_number);
  return NotFound("GRADUATE_NOT_IN_ROSTER",
                  absl::StrCat("就业管理系统中院校 ", school_code, " 的毕业生名单里没有身份证号为 ", masked,
                               " 的毕业生。"),
                  {{"school_code", std::string(school_code)}, {"id_number", masked}});
}

absl::Status InjectedUnavailable(absl::string_view fault) {
  return Unavailable("EMS_UNAVAILABLE", "就业管理系统暂时无法访问，请稍后重试。", {{"fault", std::string(fault)}});
}

bool IsGraduateKey(absl::string_view text) {
  return text.size() == kGraduateKeyLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool SameWrite(const v1::Destination& a, const v1::Destination& b) { return MessageDifferencer::Equals(a, b); }

}  // namespace

std::string GraduateKey(absl::string_view school_code, absl::string_view id_number) {
  std::string input = absl::StrCat(school_code, ":", id_number);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), kGraduateKeyLength / 2));
}

absl::Status CheckClassYear(int class_year) {
  if (class_year >= 2000 && class_year <= 2100) return absl::OkStatus();
  return InvalidArgument("INVALID_CLASS_YEAR",
                         absl::StrCat("毕业年份（届）应在 2000 到 2100 之间，当前为 ", class_year, "。"),
                         {{"field", "class_year"}, {"value", absl::StrCat(class_year)}});
}

EmsSimulator::EmsSimulator(const Clock& clock, uint64_t seed) : clock_(clock), faults_(seed) {}

absl::Status EmsSimulator::WithFaults(absl::Time deadline, const std::function<absl::Status(bool)>& body) {
  FaultPlan plan = faults_.PlanCall();

  if (plan.latency > absl::ZeroDuration()) {
    absl::Time now = absl::Now();
    if (now + plan.latency > deadline) {
      absl::SleepFor(std::max(deadline - now, absl::ZeroDuration()));
      return MakeError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED", "请求已超时，请稍后重试。");
    }
    absl::SleepFor(plan.latency);
  }

  if (plan.fail_before) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.injected_failures;
    return InjectedUnavailable("unavailable");
  }

  RETURN_IF_ERROR(body(plan.duplicate));

  if (plan.fail_after) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.injected_failures;
    return InjectedUnavailable("lost_ack");
  }
  return absl::OkStatus();
}

absl::Status EmsSimulator::ListRosterChanges(absl::Time deadline, const v1::ListRosterChangesRequest& request,
                                             v1::ListRosterChangesResponse* response) {
  return WithFaults(deadline, [&](bool duplicate) -> absl::Status {
    if (request.after_sequence() < 0) {
      return InvalidArgument("INVALID_SEQUENCE",
                             absl::StrCat("after_sequence 不能为负数，当前为 ", request.after_sequence(), "。"),
                             {{"field", "after_sequence"}, {"value", absl::StrCat(request.after_sequence())}});
    }
    RETURN_IF_ERROR(CheckPageSize(request.limit(), "limit"));
    if (!request.school_code().empty()) RETURN_IF_ERROR(CheckSchoolCode(request.school_code()));
    const int limit = request.limit() == 0 ? kDefaultPageSize : request.limit();

    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t last_sequence = static_cast<int64_t>(changes_.size());
    if (request.after_sequence() > last_sequence) {
      return FailedPrecondition(
          "ROSTER_CURSOR_AHEAD",
          absl::StrCat("after_sequence ", request.after_sequence(), " 超过了就业管理系统的最新变更序号 ",
                       last_sequence, "；就业管理系统的数据可能已被重置，请从 0 重新读取。"),
          {{"after_sequence", absl::StrCat(request.after_sequence())},
           {"last_sequence", absl::StrCat(last_sequence)}});
    }

    // Scans past the page by one matching change to learn whether more remain. When none do,
    // the cursor moves to the end of the log, so that the next poll skips the other schools'
    // changes scanned here.
    int listed = 0;
    int64_t next_sequence = last_sequence;
    bool has_more = false;
    for (int64_t index = request.after_sequence(); index < last_sequence; ++index) {
      const v1::RosterChange& change = changes_[index];
      if (!request.school_code().empty() && change.school_code() != request.school_code()) continue;
      if (listed == limit) {
        has_more = true;
        break;
      }
      *response->add_changes() = change;
      if (duplicate) *response->add_changes() = change;
      next_sequence = change.sequence();
      ++listed;
    }
    if (!has_more) next_sequence = last_sequence;
    response->set_next_sequence(next_sequence);
    response->set_has_more(has_more);

    counters_.roster_changes_delivered += response->changes_size();
    if (duplicate) counters_.duplicate_changes_delivered += listed;
    return absl::OkStatus();
  });
}

absl::Status EmsSimulator::GetGraduate(absl::Time deadline, const v1::GetGraduateRequest& request,
                                       v1::GetGraduateResponse* response) {
  return WithFaults(deadline, [&](bool /*duplicate*/) -> absl::Status {
    RETURN_IF_ERROR(CheckGraduateRequest(request.school_code(), request.id_number()));

    std::lock_guard<std::mutex> lock(mutex_);
    ASSIGN_OR_RETURN(Graduate * graduate, FindGraduateLocked(request.school_code(), request.id_number()));
    std::string key = GraduateKey(request.school_code(), graduate->id_number);
    response->set_graduate_key(key);
    response->set_class_year(graduate->class_year);
    *response->mutable_graduate() = graduate->record;
    response->set_removed(graduate->removed);
    FillRecordLocked(request.school_code(), key, *graduate, response->mutable_destination());
    return absl::OkStatus();
  });
}

absl::Status EmsSimulator::UpsertDestination(absl::Time deadline, const v1::UpsertDestinationRequest& request,
                                             v1::DestinationAck* ack) {
  return WithFaults(deadline, [&](bool duplicate) -> absl::Status {
    RETURN_IF_ERROR(CheckWrite(request.school_code(), request.id_number(), request.ledger_version(),
                               request.idempotency_key()));
    RETURN_IF_ERROR(CheckDestination(request.destination()));
    ReceivedWrite write{WriteOperation::kUpsert, request.destination()};
    return DeliverWrite(duplicate, request.school_code(), request.id_number(), request.ledger_version(), write,
                        request.idempotency_key(), ack);
  });
}

absl::Status EmsSimulator::VoidDestination(absl::Time deadline, const v1::VoidDestinationRequest& request,
                                           v1::DestinationAck* ack) {
  return WithFaults(deadline, [&](bool duplicate) -> absl::Status {
    RETURN_IF_ERROR(CheckWrite(request.school_code(), request.id_number(), request.ledger_version(),
                               request.idempotency_key()));
    ReceivedWrite write{WriteOperation::kVoid, {}};
    write.destination.set_destination_code(kUnemployedDestinationCode);
    return DeliverWrite(duplicate, request.school_code(), request.id_number(), request.ledger_version(), write,
                        request.idempotency_key(), ack);
  });
}

absl::Status EmsSimulator::DeliverWrite(bool duplicate, absl::string_view school_code, absl::string_view id_number,
                                        int64_t ledger_version, const ReceivedWrite& write,
                                        absl::string_view idempotency_key, v1::DestinationAck* ack) {
  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(*ack, ApplyWriteLocked(school_code, id_number, ledger_version, write, idempotency_key));
  if (duplicate) {
    // The transport delivered the same request twice, and the caller gets the first acknowledgement.
    absl::StatusOr<v1::DestinationAck> second =
        ApplyWriteLocked(school_code, id_number, ledger_version, write, idempotency_key);
    if (!second.ok()) spdlog::warn("duplicate delivery failed: {}", second.status().ToString());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DestinationAck> EmsSimulator::ApplyWriteLocked(absl::string_view school_code,
                                                                  absl::string_view id_number,
                                                                  int64_t ledger_version,
                                                                  const ReceivedWrite& write,
                                                                  absl::string_view idempotency_key) {
  if (write.operation == WriteOperation::kUpsert) {
    ++counters_.upserts_received;
  } else {
    ++counters_.voids_received;
  }

  const std::string normalized_id = validation::NormalizeIdNumber(id_number);
  const std::string graduate_key = GraduateKey(school_code, normalized_id);
  auto previous = writes_by_idempotency_key_.find(std::string(idempotency_key));
  if (previous != writes_by_idempotency_key_.end()) {
    const IdempotentWrite& first = previous->second;
    bool same = first.graduate_key == graduate_key && first.ledger_version == ledger_version &&
                first.write.operation == write.operation && SameWrite(first.write.destination, write.destination);
    if (!same) {
      return InvalidArgument("IDEMPOTENCY_KEY_REUSED",
                             "该幂等键已用于另一条毕业去向数据，请为每次不同的推送使用新的幂等键。",
                             {{"idempotency_key", std::string(idempotency_key)}});
    }
    ++counters_.duplicates_received;
    return first.ack;
  }

  ASSIGN_OR_RETURN(Graduate * graduate, FindGraduateLocked(school_code, normalized_id));
  if (graduate->removed) {
    std::string masked = validation::MaskIdNumber(normalized_id);
    return FailedPrecondition(
        "GRADUATE_REMOVED_FROM_ROSTER",
        absl::StrCat("身份证号为 ", masked, " 的毕业生已从就业管理系统的毕业生名单中删除，不能更新其毕业去向。"),
        {{"school_code", std::string(school_code)}, {"id_number", masked}});
  }
  RETURN_IF_ERROR(CheckDestinationCodes(write.destination, graduate->class_year));

  v1::DestinationAck ack;
  if (ledger_version > graduate->applied_version) {
    graduate->destination = write.destination;
    graduate->applied_version = ledger_version;
    graduate->platform_owned = true;
    graduate->last_writer = v1::DESTINATION_WRITER_PLATFORM;
    graduate->destination_updated_at = clock_.Now();
    ack.set_accepted(true);
    ack.set_outcome(v1::DESTINATION_ACK_OUTCOME_APPLIED);
  } else if (ledger_version == graduate->applied_version) {
    ack.set_accepted(true);
    ack.set_outcome(v1::DESTINATION_ACK_OUTCOME_DUPLICATE);
  } else {
    ack.set_accepted(false);
    ack.set_outcome(v1::DESTINATION_ACK_OUTCOME_STALE_IGNORED);
  }
  ack.set_applied_version(graduate->applied_version);

  auto received = graduate->received.find(ledger_version);
  if (received != graduate->received.end()) {
    ++counters_.duplicates_received;
    bool same = received->second.operation == write.operation &&
                SameWrite(received->second.destination, write.destination);
    if (!same) {
      ++counters_.conflicting_duplicates;
      spdlog::warn("conflicting resend school={} graduate_key={} ledger_version={}", std::string(school_code), graduate_key,
                   ledger_version);
    }
  } else {
    if (ledger_version < graduate->applied_version) ++counters_.out_of_order_versions;
    graduate->received.emplace(ledger_version, write);
  }

  writes_by_idempotency_key_[std::string(idempotency_key)] = IdempotentWrite{graduate_key, ledger_version, write, ack};
  return ack;
}

absl::Status EmsSimulator::ListDestinations(absl::Time deadline, const v1::ListDestinationsRequest& request,
                                            v1::ListDestinationsResponse* response) {
  return WithFaults(deadline, [&](bool /*duplicate*/) -> absl::Status {
    RETURN_IF_ERROR(CheckSchoolCode(request.school_code()));
    RETURN_IF_ERROR(CheckPageSize(request.page_size(), "page_size"));
    const std::string& token = request.page_token();
    if (!IsGraduateKey(token) && !token.empty()) {
      return InvalidArgument("INVALID_PAGE_TOKEN", "page_token 无效，请使用上一页返回的 next_page_token。",
                             {{"field", "page_token"}});
    }
    const int page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();

    std::lock_guard<std::mutex> lock(mutex_);
    auto school = schools_.find(request.school_code());
    if (school == schools_.end()) return absl::OkStatus();

    // The token is the last graduate key of the previous page, so a page never repeats or skips
    // a record when graduates are added between calls.
    auto it = token.empty() ? school->second.begin() : school->second.upper_bound(token);
    for (; it != school->second.end(); ++it) {
      if (it->second.last_writer == v1::DESTINATION_WRITER_NONE) continue;
      if (response->destinations_size() == page_size) {
        response->set_next_page_token(response->destinations(page_size - 1).graduate_key());
        break;
      }
      FillRecordLocked(request.school_code(), it->first, it->second, response->add_destinations());
    }
    return absl::OkStatus();
  });
}

absl::Status EmsSimulator::EditDestinationAsSchool(absl::Time deadline,
                                                   const v1::EditDestinationAsSchoolRequest& request,
                                                   v1::EmsDestinationRecord* record) {
  return WithFaults(deadline, [&](bool /*duplicate*/) -> absl::Status {
    RETURN_IF_ERROR(CheckGraduateRequest(request.school_code(), request.id_number()));
    RETURN_IF_ERROR(CheckDestination(request.destination()));

    std::lock_guard<std::mutex> lock(mutex_);
    ASSIGN_OR_RETURN(Graduate * graduate, FindGraduateLocked(request.school_code(), request.id_number()));
    std::string masked = validation::MaskIdNumber(graduate->id_number);
    if (graduate->removed) {
      return FailedPrecondition(
          "GRADUATE_REMOVED_FROM_ROSTER",
          absl::StrCat("身份证号为 ", masked, " 的毕业生已从毕业生名单中删除，不能修改其毕业去向。"),
          {{"school_code", request.school_code()}, {"id_number", masked}});
    }
    // Destinations that came from the platform are locked in the EMS: the school changes them
    // on the platform (modify or void), which sends the change here.
    if (graduate->platform_owned) {
      ++counters_.school_edits_rejected;
      return FailedPrecondition(
          "RECORD_OWNED_BY_PLATFORM",
          "该毕业去向数据来自登记平台，不能在就业管理系统中直接修改，请在登记平台中修改或作废该毕业生的签约或去向登记记录。",
          {{"school_code", request.school_code()}, {"id_number", masked}});
    }

    RETURN_IF_ERROR(CheckDestinationCodes(request.destination(), graduate->class_year));

    graduate->destination = request.destination();
    graduate->destination.clear_source_flow_type();
    graduate->destination.clear_source_flow_id();
    graduate->last_writer = v1::DESTINATION_WRITER_SCHOOL_IN_EMS;
    graduate->destination_updated_at = clock_.Now();
    FillRecordLocked(request.school_code(), GraduateKey(request.school_code(), graduate->id_number), *graduate,
                     record);
    return absl::OkStatus();
  });
}

absl::Status EmsSimulator::RemoveGraduate(const v1::RemoveGraduateRequest& request, v1::RosterChange* change) {
  RETURN_IF_ERROR(CheckGraduateRequest(request.school_code(), request.id_number()));

  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(Graduate * graduate, FindGraduateLocked(request.school_code(), request.id_number()));
  if (graduate->removed) {
    std::string masked = validation::MaskIdNumber(graduate->id_number);
    return FailedPrecondition("GRADUATE_ALREADY_REMOVED",
                              absl::StrCat("身份证号为 ", masked, " 的毕业生已经从毕业生名单中删除。"),
                              {{"school_code", request.school_code()}, {"id_number", masked}});
  }
  graduate->removed = true;
  *change = AppendChangeLocked(request.school_code(), GraduateKey(request.school_code(), graduate->id_number),
                               *graduate, v1::ROSTER_CHANGE_TYPE_REMOVE);
  return absl::OkStatus();
}

absl::Status EmsSimulator::ReAddGraduate(const v1::ReAddGraduateRequest& request, v1::RosterChange* change) {
  RETURN_IF_ERROR(CheckGraduateRequest(request.school_code(), request.id_number()));

  std::lock_guard<std::mutex> lock(mutex_);
  ASSIGN_OR_RETURN(Graduate * graduate, FindGraduateLocked(request.school_code(), request.id_number()));
  if (!graduate->removed) {
    std::string masked = validation::MaskIdNumber(graduate->id_number);
    return FailedPrecondition("GRADUATE_NOT_REMOVED",
                              absl::StrCat("身份证号为 ", masked, " 的毕业生仍在毕业生名单中，无需重新添加。"),
                              {{"school_code", request.school_code()}, {"id_number", masked}});
  }
  graduate->removed = false;
  *change = AppendChangeLocked(request.school_code(), GraduateKey(request.school_code(), graduate->id_number),
                               *graduate, v1::ROSTER_CHANGE_TYPE_UPSERT);
  return absl::OkStatus();
}

absl::Status EmsSimulator::SetFaults(const v1::Faults& faults, v1::Faults* applied) {
  RETURN_IF_ERROR(faults_.Set(faults));
  *applied = faults_.Get();
  spdlog::info("faults set down={} latency_ms={} failure_ratio={} lost_ack_ratio={} duplicate_delivery={}",
               applied->down(), applied->latency_ms(), applied->failure_ratio(), applied->lost_ack_ratio(),
               applied->duplicate_delivery());
  return absl::OkStatus();
}

void EmsSimulator::GetStats(v1::Stats* stats) const {
  std::lock_guard<std::mutex> lock(mutex_);
  stats->set_upserts_received(counters_.upserts_received);
  stats->set_voids_received(counters_.voids_received);
  stats->set_duplicates_received(counters_.duplicates_received);
  stats->set_conflicting_duplicates(counters_.conflicting_duplicates);
  stats->set_out_of_order_versions(counters_.out_of_order_versions);
  stats->set_injected_failures(counters_.injected_failures);
  stats->set_roster_changes_delivered(counters_.roster_changes_delivered);
  stats->set_duplicate_changes_delivered(counters_.duplicate_changes_delivered);
  stats->set_school_edits_rejected(counters_.school_edits_rejected);

  for (const auto& [school_code, graduates] : schools_) {
    for (const auto& [key, graduate] : graduates) {
      if (graduate.received.empty()) continue;
      v1::GraduateDeliveryStats* entry = stats->add_graduates();
      entry->set_school_code(school_code);
      entry->set_id_number(validation::MaskIdNumber(graduate.id_number));
      entry->set_graduate_key(key);
      entry->set_last_applied_version(graduate.applied_version);

      // Walks the gaps between received versions below the applied one.
      int64_t expected = 1;
      int64_t skipped = 0;
      auto note_gap = [&](int64_t from, int64_t to) {
        skipped += to - from;
        for (int64_t v = from; v < to && entry->skipped_versions_size() < kMaxSkippedVersionsListed; ++v) {
          entry->add_skipped_versions(v);
        }
      };
      for (const auto& received : graduate.received) {
        int64_t version = received.first;
        if (version >= graduate.applied_version) break;
        if (version > expected) note_gap(expected, version);
        expected = version + 1;
      }
      if (graduate.applied_version > expected) note_gap(expected, graduate.applied_version);
      entry->set_skipped_version_count(skipped);
    }
  }
}

void EmsSimulator::Reset() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    schools_.clear();
    changes_.clear();
    writes_by_idempotency_key_.clear();
    counters_ = Counters();
  }
  faults_.Reset();
  spdlog::info("simulator reset: rosters, changes, destinations, counters and faults cleared");
}

absl::StatusOr<EmsSimulator::Graduate*> EmsSimulator::FindGraduateLocked(absl::string_view school_code,
                                                                         absl::string_view id_number) {
  const std::string normalized = validation::NormalizeIdNumber(id_number);
  auto school = schools_.find(std::string(school_code));
  if (school != schools_.end()) {
    auto graduate = school->second.find(GraduateKey(school_code, normalized));
    if (graduate != school->second.end()) return &graduate->second;
  }
  return GraduateNotFound(school_code, normalized);
}

v1::RosterChange& EmsSimulator::AppendChangeLocked(absl::string_view school_code, const std::string& graduate_key,
                                                   const Graduate& graduate, v1::RosterChangeType type) {
  v1::RosterChange& change = changes_.emplace_back();
  change.set_sequence(static_cast<int64_t>(changes_.size()));
  change.set_school_code(std::string(school_code));
  change.set_class_year(graduate.class_year);
  change.set_type(type);
  change.set_graduate_key(graduate_key);
  *change.mutable_graduate() = graduate.record;
  *change.mutable_changed_at() = ToTimestamp(clock_.Now());
  return change;
}

void EmsSimulator::FillRecordLocked(absl::string_view school_code, const std::string& graduate_key,
                                    const Graduate& graduate, v1::EmsDestinationRecord* record) const {
  record->set_school_code(std::string(school_code));
  record->set_id_number(graduate.id_number);
  record->set_graduate_key(graduate_key);
  record->set_last_writer(graduate.last_writer);
  record->set_applied_version(graduate.applied_version);
  record->set_platform_owned(graduate.platform_owned);
  record->set_graduate_removed(graduate.removed);
  if (graduate.last_writer == v1::DESTINATION_WRITER_NONE) {
    record->mutable_destination()->set_destination_code(kUnemployedDestinationCode);
    return;
  }
  *record->mutable_destination() = graduate.destination;
  *record->mutable_updated_at() = ToTimestamp(graduate.destination_updated_at);
}

}  // namespace quxiang::ems_simulator

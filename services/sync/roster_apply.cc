#include "services/sync/roster_apply.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/ledger_repository.h"
#include "services/sync/outbox.h"
#include "services/sync/roster_record.h"
#include "services/sync/statistics_counters.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

// Roster fields without which a graduate cannot be listed, found, scoped to a department or
// signed in.
constexpr const char* kRequiredFields[] = {"id_number", "name", "student_number", "department"};

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

// The student number of an ACTIVE simulated graduate at this point of the page.
std::string CurrentStudentNumber(const std::optional<GraduateUpsert>& last_upsert,
                                 const std::optional<GraduateRow>& before) {
  if (last_upsert) return last_upsert->record.student_number();
  if (before) return before->record.student_number();
  return "";
}

}  // namespace

void RosterCounts::Add(const RosterCounts& other) {
  listed += other.listed;
  inserted += other.inserted;
  updated += other.updated;
  unchanged += other.unchanged;
  invalidated += other.invalidated;
  restores_scheduled += other.restores_scheduled;
  restores_cancelled += other.restores_cancelled;
  rejected += other.rejected;
  skipped += other.skipped;
}

RosterApplier::RosterApplier(db::Session& session, absl::Time now, absl::Duration restore_delay,
                             const std::map<std::string, int>& column_limits)
    : session_(session), now_(now), restore_delay_(restore_delay), column_limits_(column_limits) {}

std::optional<RosterRejection> RosterApplier::CheckRecord(const ems::v1::RosterChange& change,
                                                          const ems::v1::RosterGraduate& record) const {
  RosterRejection rejection;
  rejection.sequence = change.sequence();
  rejection.school_code = change.school_code();
  rejection.graduate_key = change.graduate_key();

  if (change.class_year() < 2000 || change.class_year() > 2100) {
    rejection.reason = "INVALID_CLASS_YEAR";
    rejection.detail = absl::StrCat("class year ", change.class_year(), " is outside 2000 to 2100");
    return rejection;
  }
  if (record.school_code() != change.school_code()) {
    rejection.reason = "SCHOOL_CODE_MISMATCH";
    rejection.detail = absl::StrCat("the record's school code ", record.school_code(), " differs from the change's ",
                                    change.school_code());
    return rejection;
  }
  const google::protobuf::Reflection* reflection = record.GetReflection();
  for (const char* name : kRequiredFields) {
    const auto* field = record.GetDescriptor()->FindFieldByName(name);
    if (reflection->GetString(record, field).empty()) {
      rejection.reason = "REQUIRED_FIELD_EMPTY";
      rejection.detail = absl::StrCat("field ", name, " is empty");
      return rejection;
    }
  }
  for (const auto* field : RosterRecordFields()) {
    auto limit = column_limits_.find(field->name());
    if (limit == column_limits_.end()) continue;
    int length = CountCharacters(reflection->GetString(record, field));
    if (length > limit->second) {
      rejection.reason = "FIELD_TOO_LONG";
      // The value is not quoted: it may be personal data.
      rejection.detail =
          absl::StrCat("field ", field->name(), " has ", length, " characters, at most ", limit->second, " fit");
      return rejection;
    }
  }
  return std::nullopt;
}

absl::Status RosterApplier::ApplySchool(const SchoolRow& school,
                                        const std::vector<const ems::v1::RosterChange*>& changes,
                                        RosterCounts* counts) {
  if (changes.empty()) return absl::OkStatus();

  // Normalized records, and the graduates and student numbers they touch.
  std::vector<ems::v1::RosterGraduate> records;
  records.reserve(changes.size());
  std::vector<std::string> id_numbers;
  std::vector<std::string> student_numbers;
  for (const ems::v1::RosterChange* change : changes) {
    ems::v1::RosterGraduate record = change->graduate();
    record.set_id_number(validation::NormalizeIdNumber(record.id_number()));
    if (record.school_code().empty()) record.set_school_code(change->school_code());
    if (!record.id_number().empty()) id_numbers.push_back(record.id_number());
    if (change->type() == ems::v1::ROSTER_CHANGE_TYPE_UPSERT && !record.student_number().empty()) {
      student_numbers.push_back(record.student_number());
    }
    records.push_back(std::move(record));
  }
  std::sort(id_numbers.begin(), id_numbers.end());
  id_numbers.erase(std::unique(id_numbers.begin(), id_numbers.end()), id_numbers.end());
  std::sort(student_numbers.begin(), student_numbers.end());
  student_numbers.erase(std::unique(student_numbers.begin(), student_numbers.end()), student_numbers.end());

  // Locks the graduates first, then the holders of the student numbers, in every transaction
  // that changes graduates, so that two of them cannot wait on each other.
  std::map<std::string, Simulated> graduates;
  if (!id_numbers.empty()) {
    ASSIGN_OR_RETURN(auto existing, GraduateRepository::LockByIdNumbers(session_, school.school_id, id_numbers));
    for (auto& row : existing) {
      Simulated& simulated = graduates[row.record.id_number()];
      simulated.exists = true;
      simulated.state = row.state;
      simulated.restore_due_at = row.restore_due_at;
      simulated.before = std::move(row);
    }
  }
  std::map<std::string, std::string> holders;
  if (!student_numbers.empty()) {
    ASSIGN_OR_RETURN(holders, GraduateRepository::LockActiveStudentNumbers(session_, school.school_id, student_numbers));
  }

  for (size_t i = 0; i < changes.size(); ++i) {
    const ems::v1::RosterChange& change = *changes[i];
    const ems::v1::RosterGraduate& record = records[i];
    if (record.id_number().empty()) {
      rejections_.push_back({change.sequence(), change.school_code(), change.graduate_key(), "REQUIRED_FIELD_EMPTY",
                             "field id_number is empty"});
      ++counts->rejected;
      continue;
    }
    Simulated& graduate = graduates[record.id_number()];

    if (change.type() == ems::v1::ROSTER_CHANGE_TYPE_REMOVE) {
      if (!graduate.exists) {
        ++counts->skipped;
        continue;
      }
      if (graduate.state == kStateActive) {
        std::string number = CurrentStudentNumber(graduate.last_upsert, graduate.before);
        auto holder = holders.find(number);
        if (holder != holders.end() && holder->second == record.id_number()) holders.erase(holder);
        graduate.state = kStateInvalidated;
      }
      graduate.restore_due_at.reset();
      continue;
    }

    if (change.type() != ems::v1::ROSTER_CHANGE_TYPE_UPSERT) {
      rejections_.push_back({change.sequence(), change.school_code(), change.graduate_key(), "UNKNOWN_CHANGE_TYPE",
                             absl::StrCat("change type ", static_cast<int>(change.type()))});
      ++counts->rejected;
      continue;
    }
    if (auto rejection = CheckRecord(change, record)) {
      rejections_.push_back(*std::move(rejection));
      ++counts->rejected;
      continue;
    }
    const std::string& number = record.student_number();
    auto holder = holders.find(number);
    if (holder != holders.end() && holder->second != record.id_number()) {
      rejections_.push_back({change.sequence(), change.school_code(), change.graduate_key(), "STUDENT_NUMBER_TAKEN",
                             "another active graduate of the school has this student number"});
      ++counts->rejected;
      continue;
    }

    if (!graduate.exists) {
      graduate.exists = true;
      graduate.state = kStateActive;
    } else if (graduate.state == kStateInvalidated && !graduate.restore_due_at) {
      graduate.restore_due_at = now_ + restore_delay_;
    }
    if (graduate.state == kStateActive) {
      std::string previous = CurrentStudentNumber(graduate.last_upsert, graduate.before);
      auto previous_holder = holders.find(previous);
      if (previous_holder != holders.end() && previous_holder->second == record.id_number()) {
        holders.erase(previous_holder);
      }
      holders[number] = record.id_number();
    }
    GraduateUpsert upsert;
    upsert.school_id = school.school_id;
    upsert.class_year = change.class_year();
    upsert.graduate_key = change.graduate_key();
    upsert.record = record;
    upsert.fingerprint = RowFingerprint(record, change.class_year());
    upsert.roster_sequence = change.sequence();
    graduate.last_upsert = std::move(upsert);
  }

  return WriteSchool(school, graduates, counts);
}

absl::Status RosterApplier::WriteSchool(const SchoolRow& school, std::map<std::string, Simulated>& graduates,
                                        RosterCounts* counts) {
  // Upserts in the order of their changes, so that the rows' versions follow the EMS.
  std::vector<const Simulated*> upserted;
  for (const auto& [id_number, graduate] : graduates) {
    if (graduate.last_upsert) upserted.push_back(&graduate);
  }
  std::sort(upserted.begin(), upserted.end(), [](const Simulated* a, const Simulated* b) {
    return a->last_upsert->roster_sequence < b->last_upsert->roster_sequence;
  });

  std::vector<GraduateUpsert> rows;
  int64_t inserted = 0;
  int64_t updated = 0;
  std::set<std::string> departments;
  for (const Simulated* graduate : upserted) {
    if (!graduate->before) {
      ++inserted;
    } else if (graduate->before->fingerprint != graduate->last_upsert->fingerprint) {
      ++updated;
    } else {
      // The row was read under lock with this fingerprint, so the upsert would change nothing:
      // it is not sent, which spares a re-import the server's work for each unchanged row.
      ++counts->unchanged;
      continue;
    }
    rows.push_back(*graduate->last_upsert);
    departments.insert(graduate->last_upsert->record.department());
  }
  if (!rows.empty()) {
    ASSIGN_OR_RETURN(int64_t affected, GraduateRepository::UpsertGraduates(session_, rows, now_));
    // The server counts 1 per inserted row and 2 per changed row; anything else means the
    // fingerprint guard and the rows read under lock disagree.
    if (affected != inserted + 2 * updated) {
      spdlog::warn("roster upsert of school {} affected {} rows, expected {} ({} inserted, {} changed)",
                   school.school_code, affected, inserted + 2 * updated, inserted, updated);
    }
  }
  counts->inserted += inserted;
  counts->updated += updated;

  // The rows as they are now, with the ids of the inserted ones.
  std::vector<std::string> id_numbers;
  for (const auto& [id_number, graduate] : graduates) {
    if (graduate.exists) id_numbers.push_back(id_number);
  }
  std::map<std::string, GraduateRow> after;
  if (!id_numbers.empty()) {
    ASSIGN_OR_RETURN(auto rows_after, GraduateRepository::LockByIdNumbers(session_, school.school_id, id_numbers));
    for (auto& row : rows_after) after[row.record.id_number()] = std::move(row);
  }

  // Every graduate has a ledger row from its insert on, so that claims only update rows.
  std::vector<int64_t> inserted_ids;
  for (const auto& [id_number, graduate] : graduates) {
    auto row = after.find(id_number);
    if (!graduate.before && row != after.end()) inserted_ids.push_back(row->second.id);
  }
  if (!inserted_ids.empty()) RETURN_IF_ERROR(LedgerRepository::InsertMissing(session_, inserted_ids, now_));

  std::vector<int64_t> invalidate;
  std::vector<int64_t> schedule_restore;
  std::vector<int64_t> cancel_restore;
  for (const auto& [id_number, graduate] : graduates) {
    auto row = after.find(id_number);
    if (!graduate.exists || row == after.end()) continue;
    const GraduateRow& current = row->second;
    bool was_active = !graduate.before || graduate.before->state == kStateActive;
    bool newly_invalidated = graduate.state == kStateInvalidated && was_active;
    if (newly_invalidated) invalidate.push_back(current.id);

    // Invalidate clears restore_due_at, so a graduate removed and sent again in one page gets
    // its restore time after that.
    std::optional<absl::Time> stored = newly_invalidated ? std::nullopt : current.restore_due_at;
    if (graduate.state != kStateInvalidated || graduate.restore_due_at.has_value() == stored.has_value()) continue;
    if (graduate.restore_due_at) {
      schedule_restore.push_back(current.id);
    } else {
      cancel_restore.push_back(current.id);
    }
  }
  if (!invalidate.empty()) RETURN_IF_ERROR(GraduateRepository::Invalidate(session_, invalidate, now_));
  if (!schedule_restore.empty()) {
    RETURN_IF_ERROR(GraduateRepository::SetRestoreDue(session_, schedule_restore, now_ + restore_delay_, now_));
  }
  if (!cancel_restore.empty()) {
    RETURN_IF_ERROR(GraduateRepository::SetRestoreDue(session_, cancel_restore, std::nullopt, now_));
  }
  RETURN_IF_ERROR(UpdateCounters(graduates, after));
  counts->invalidated += static_cast<int64_t>(invalidate.size());
  counts->restores_scheduled += static_cast<int64_t>(schedule_restore.size());
  counts->restores_cancelled += static_cast<int64_t>(cancel_restore.size());

  // Events, with the graduate's version after this page as their aggregate version: the row
  // read above plus one for each state update that followed.
  const std::set<int64_t> invalidated_ids(invalidate.begin(), invalidate.end());
  std::set<int64_t> restore_changed(schedule_restore.begin(), schedule_restore.end());
  restore_changed.insert(cancel_restore.begin(), cancel_restore.end());
  for (const auto& [id_number, graduate] : graduates) {
    auto row = after.find(id_number);
    if (!graduate.exists || row == after.end()) continue;
    const GraduateRow& current = row->second;
    const int64_t version =
        current.version + static_cast<int64_t>(invalidated_ids.count(current.id) + restore_changed.count(current.id));
    bool changed = graduate.last_upsert &&
                   (!graduate.before || graduate.before->fingerprint != graduate.last_upsert->fingerprint);
    if (changed) {
      auto payload = std::make_unique<v1::GraduateRosterChanged>();
      payload->set_graduate_id(std::to_string(current.id));
      payload->set_school_id(std::to_string(school.school_id));
      payload->set_class_year(current.class_year);
      payload->set_inserted(!graduate.before);
      aggregate_ids_.push_back(payload->graduate_id());
      aggregate_versions_.push_back(version);
      payloads_.push_back(std::move(payload));
    }
    if (invalidated_ids.count(current.id) > 0) {
      auto payload = std::make_unique<v1::GraduateInvalidated>();
      payload->set_graduate_id(std::to_string(current.id));
      payload->set_school_id(std::to_string(school.school_id));
      payload->set_class_year(current.class_year);
      *payload->mutable_invalidated_at() = ToTimestamp(now_);
      aggregate_ids_.push_back(payload->graduate_id());
      aggregate_versions_.push_back(version);
      payloads_.push_back(std::move(payload));
    }
  }
  if (!departments.empty()) {
    auto payload = std::make_unique<v1::RosterDepartmentsSeen>();
    payload->set_school_id(std::to_string(school.school_id));
    for (const auto& name : departments) payload->add_names(name);
    aggregate_ids_.push_back(absl::StrCat("school:", school.school_id));
    aggregate_versions_.push_back(upserted.back()->last_upsert->roster_sequence);
    payloads_.push_back(std::move(payload));
  }
  return absl::OkStatus();
}

absl::Status RosterApplier::UpdateCounters(const std::map<std::string, Simulated>& graduates,
                                           const std::map<std::string, GraduateRow>& after) {
  // The ledger rows of the page's graduates, under a shared lock: a ledger change of one of them
  // would need the graduate's row, which this transaction has locked.
  std::vector<int64_t> ids;
  for (const auto& [id_number, row] : after) ids.push_back(row.id);
  if (ids.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto ledgers, LedgerRepository::FindMany(session_, ids, /*lock_shared=*/true));
  std::map<int64_t, LedgerRow> ledger_by_graduate;
  for (auto& ledger : ledgers) ledger_by_graduate[ledger.graduate_id] = std::move(ledger);

  CounterDelta delta;
  for (const auto& [id_number, graduate] : graduates) {
    auto row = after.find(id_number);
    if (!graduate.exists || row == after.end()) continue;
    const LedgerRow& ledger = ledger_by_graduate[row->second.id];
    if (graduate.before) delta.Add(*graduate.before, ledger, -1);
    GraduateRow now = row->second;
    now.state = graduate.state;
    delta.Add(now, ledger, +1);
  }
  return delta.Apply(session_);
}

absl::Status RosterApplier::Finish() {
  if (!rejections_.empty()) RETURN_IF_ERROR(GraduateRepository::InsertRejections(session_, rejections_, now_));
  if (payloads_.empty()) return absl::OkStatus();
  std::vector<NewEvent> events;
  events.reserve(payloads_.size());
  for (size_t i = 0; i < payloads_.size(); ++i) {
    events.push_back({aggregate_ids_[i], aggregate_versions_[i], payloads_[i].get()});
  }
  return Outbox::Write(session_, events, now_);
}

}  // namespace quxiang::sync

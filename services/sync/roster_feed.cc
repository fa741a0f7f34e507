#include "services/sync/roster_feed.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::sync {
namespace {

using LimitsByColumn = std::map<std::string, int>;
using SchoolsByCode = std::map<std::string, SchoolRow>;

// The changes of a page in sequence order, each once: a transport may list a change twice.
std::vector<const ems::v1::RosterChange*> NewChanges(const ems::v1::ListRosterChangesResponse& page,
                                                     int64_t after_sequence, int64_t up_to_sequence) {
  std::vector<const ems::v1::RosterChange*> changes;
  for (const auto& change : page.changes()) {
    if (change.sequence() > after_sequence && change.sequence() <= up_to_sequence) changes.push_back(&change);
  }
  std::sort(changes.begin(), changes.end(),
            [](const auto* a, const auto* b) { return a->sequence() < b->sequence(); });
  changes.erase(std::unique(changes.begin(), changes.end(),
                            [](const auto* a, const auto* b) { return a->sequence() == b->sequence(); }),
                changes.end());
  return changes;
}

void LogCounts(const char* what, const RosterCounts& counts, int64_t cursor) {
  if (counts.listed == 0) return;
  spdlog::info(
      "{}: {} changes listed, {} applied ({} inserted, {} updated, {} invalidated, {} restores scheduled, {} restores "
      "cancelled), {} unchanged, {} rejected, {} skipped; cursor at sequence {}",
      what, counts.listed, counts.applied(), counts.inserted, counts.updated, counts.invalidated,
      counts.restores_scheduled, counts.restores_cancelled, counts.unchanged, counts.rejected, counts.skipped, cursor);
}

}  // namespace

RosterFeed::RosterFeed(db::Pool& pool, EmsClient& ems, AccountsClient& accounts, const Clock& clock,
                       RosterFeedOptions options)
    : pool_(pool), ems_(ems), accounts_(accounts), clock_(clock), options_(options) {}

absl::Time RosterFeed::Deadline() const { return absl::Now() + options_.call_timeout; }

absl::StatusOr<std::map<std::string, int>> RosterFeed::ColumnLimits() {
  std::lock_guard<std::mutex> lock(limits_mutex_);
  if (column_limits_.empty()) {
    ASSIGN_OR_RETURN(column_limits_, pool_.Read<LimitsByColumn>(
                                         Deadline(), [](db::Session& s) { return GraduateRepository::LoadColumnLimits(s); }));
  }
  return column_limits_;
}

absl::StatusOr<RosterCounts> RosterFeed::Run() {
  RosterCounts total;
  bool has_more = true;
  for (int page = 0; page < options_.max_pages_per_run && has_more; ++page) {
    ASSIGN_OR_RETURN(RosterCounts counts, PollPage(&has_more));
    total.Add(counts);
  }
  RETURN_IF_ERROR(CatchUpSchools(&total));
  return total;
}

absl::StatusOr<RosterCounts> RosterFeed::PollPage(bool* has_more) {
  *has_more = false;
  ASSIGN_OR_RETURN(LimitsByColumn limits, ColumnLimits());
  ASSIGN_OR_RETURN(int64_t cursor,
                   pool_.Read<int64_t>(Deadline(), [](db::Session& s) { return GraduateRepository::ReadCursor(s); }));

  ems::v1::ListRosterChangesRequest request;
  request.set_after_sequence(cursor);
  request.set_limit(options_.page_size);
  ems::v1::ListRosterChangesResponse page;
  absl::Status listed = ems_.ListRosterChanges(Deadline(), request, &page);
  if (ErrorReason(listed) == "ROSTER_CURSOR_AHEAD") {
    // The EMS has fewer changes than the cursor has read: its log was reset (the simulator's
    // Reset does that). Reading from 0 again is safe because unchanged records change nothing.
    spdlog::error("the EMS reports fewer roster changes than sequence {} already applied; reading from 0 again",
                  cursor);
    RETURN_IF_ERROR(pool_.Transaction(Deadline(), [&](db::Session& s) {
      ASSIGN_OR_RETURN(int64_t locked, GraduateRepository::LockCursor(s, clock_.Now()));
      if (locked != cursor) return absl::OkStatus();
      return GraduateRepository::SaveCursor(s, 0, clock_.Now());
    }));
    *has_more = true;
    return RosterCounts();
  }
  RETURN_IF_ERROR(listed);

  std::vector<const ems::v1::RosterChange*> changes =
      NewChanges(page, cursor, std::numeric_limits<int64_t>::max());
  std::map<std::string, int64_t> changes_per_school;
  for (const auto* change : changes) ++changes_per_school[change->school_code()];
  std::vector<std::string> codes;
  for (const auto& [code, count] : changes_per_school) codes.push_back(code);

  // Codes the platform has not seen yet are asked of accounts outside the transaction.
  ASSIGN_OR_RETURN(auto known, pool_.Read<SchoolsByCode>(
                                   Deadline(), [&](db::Session& s) { return GraduateRepository::FindSchools(s, codes); }));
  std::vector<std::string> new_codes;
  for (const auto& code : codes) {
    if (known.count(code) == 0) new_codes.push_back(code);
  }
  std::map<std::string, int64_t> resolved;
  if (!new_codes.empty()) {
    absl::StatusOr<std::map<std::string, int64_t>> found = accounts_.LookupSchools(Deadline(), new_codes);
    if (found.ok()) {
      resolved = *std::move(found);
    } else {
      // The codes are treated as unknown, so a backfill reads their changes again once accounts
      // is reachable.
      spdlog::warn("looking up {} school codes in accounts failed: {} {}", new_codes.size(),
                   ErrorReason(found.status()), std::string(found.status().message()));
    }
  }

  RosterCounts counts;
  counts.listed = static_cast<int64_t>(changes.size());
  const int64_t next_cursor = std::max(cursor, page.next_sequence());
  absl::Time now = clock_.Now();
  absl::Status applied = pool_.Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
    RosterCounts attempt;
    attempt.listed = counts.listed;
    ASSIGN_OR_RETURN(int64_t locked, GraduateRepository::LockCursor(s, now));
    // Another replica applied this page meanwhile; the next poll reads on from its cursor.
    if (locked != cursor) return absl::OkStatus();

    std::map<std::string, SchoolRow> schools = known;
    for (const auto& code : new_codes) {
      auto found = resolved.find(code);
      if (found == resolved.end()) {
        RETURN_IF_ERROR(GraduateRepository::RecordUnknownSchool(s, code, changes_per_school[code], now,
                                                                now + options_.unknown_school_recheck));
        continue;
      }
      // A code never skipped before has no earlier changes in the EMS (the cursor has read
      // every change since sequence 0), so its changes apply at once. A code that was skipped
      // needs its history read again first.
      ASSIGN_OR_RETURN(bool was_unknown, GraduateRepository::IsUnknownSchool(s, code));
      SchoolRow school{code, found->second, std::nullopt};
      if (was_unknown) {
        school.backfill_cursor = 0;
        RETURN_IF_ERROR(GraduateRepository::DeleteUnknownSchool(s, code));
      }
      ASSIGN_OR_RETURN(bool inserted, GraduateRepository::InsertSchool(s, school, now));
      if (!inserted) continue;
      spdlog::info("school {} (id {}) found in accounts{}", code, school.school_id,
                   was_unknown ? "; reading its earlier roster changes" : "");
      schools[code] = school;
    }

    RosterApplier applier(s, now, options_.restore_delay, limits);
    std::map<std::string, std::vector<const ems::v1::RosterChange*>> by_school;
    for (const auto* change : changes) by_school[change->school_code()].push_back(change);
    for (const auto& [code, school_changes] : by_school) {
      auto school = schools.find(code);
      if (school == schools.end() || school->second.backfill_cursor.has_value()) {
        attempt.skipped += static_cast<int64_t>(school_changes.size());
        continue;
      }
      RETURN_IF_ERROR(applier.ApplySchool(school->second, school_changes, &attempt));
    }
    RETURN_IF_ERROR(applier.Finish());
    RETURN_IF_ERROR(GraduateRepository::SaveCursor(s, next_cursor, now));
    counts = attempt;
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(applied);

  LogCounts(absl::StrCat("roster page after sequence ", cursor).c_str(), counts, next_cursor);
  *has_more = page.has_more();
  return counts;
}

absl::Status RosterFeed::CatchUpSchools(RosterCounts* counts) {
  absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(auto due, pool_.Read<std::vector<std::string>>(Deadline(), [&](db::Session& s) {
    return GraduateRepository::ListUnknownSchoolsDue(s, now, 100);
  }));
  if (!due.empty()) {
    absl::StatusOr<std::map<std::string, int64_t>> found = accounts_.LookupSchools(Deadline(), due);
    if (!found.ok()) {
      spdlog::warn("looking up {} unknown school codes in accounts failed: {} {}", due.size(),
                   ErrorReason(found.status()), std::string(found.status().message()));
    } else {
      RETURN_IF_ERROR(pool_.Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
        for (const auto& code : due) {
          auto school = found->find(code);
          if (school == found->end()) {
            RETURN_IF_ERROR(GraduateRepository::PostponeUnknownSchool(s, code, now + options_.unknown_school_recheck));
            continue;
          }
          RETURN_IF_ERROR(GraduateRepository::DeleteUnknownSchool(s, code));
          RETURN_IF_ERROR(GraduateRepository::InsertSchool(s, {code, school->second, int64_t{0}}, now).status());
          spdlog::info("school {} (id {}) found in accounts; reading its earlier roster changes", code,
                       school->second);
        }
        return absl::OkStatus();
      }));
    }
  }

  ASSIGN_OR_RETURN(auto backfilling, pool_.Read<std::vector<SchoolRow>>(Deadline(), [](db::Session& s) {
    return GraduateRepository::ListBackfillingSchools(s);
  }));
  for (const auto& school : backfilling) RETURN_IF_ERROR(Backfill(school.school_code, counts));
  return absl::OkStatus();
}

absl::Status RosterFeed::Backfill(const std::string& school_code, RosterCounts* counts) {
  ASSIGN_OR_RETURN(LimitsByColumn limits, ColumnLimits());
  RosterCounts total;
  for (int page_number = 0; page_number < options_.max_pages_per_run; ++page_number) {
    ASSIGN_OR_RETURN(int64_t main_cursor,
                     pool_.Read<int64_t>(Deadline(), [](db::Session& s) { return GraduateRepository::ReadCursor(s); }));
    ASSIGN_OR_RETURN(auto schools, pool_.Read<SchoolsByCode>(Deadline(), [&](db::Session& s) {
      return GraduateRepository::FindSchools(s, {school_code});
    }));
    auto school = schools.find(school_code);
    if (school == schools.end() || !school->second.backfill_cursor) break;
    const int64_t from = *school->second.backfill_cursor;

    ems::v1::ListRosterChangesRequest request;
    request.set_after_sequence(from);
    request.set_limit(options_.page_size);
    request.set_school_code(school_code);
    ems::v1::ListRosterChangesResponse page;
    RETURN_IF_ERROR(ems_.ListRosterChanges(Deadline(), request, &page));

    // Changes past the main cursor are the main feed's to apply.
    std::vector<const ems::v1::RosterChange*> changes = NewChanges(page, from, main_cursor);
    bool past_main_cursor = std::any_of(page.changes().begin(), page.changes().end(),
                                        [&](const auto& change) { return change.sequence() > main_cursor; });
    bool reached_main_cursor = !page.has_more() || page.next_sequence() >= main_cursor || past_main_cursor;
    std::optional<int64_t> next = reached_main_cursor ? std::nullopt : std::optional<int64_t>(page.next_sequence());

    RosterCounts counts_of_page;
    counts_of_page.listed = static_cast<int64_t>(changes.size());
    absl::Time now = clock_.Now();
    bool restart = false;
    RETURN_IF_ERROR(pool_.Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
      RosterCounts attempt;
      attempt.listed = counts_of_page.listed;
      // The main cursor's lock orders this with the main feed's pages.
      ASSIGN_OR_RETURN(int64_t locked, GraduateRepository::LockCursor(s, now));
      ASSIGN_OR_RETURN(auto current, GraduateRepository::FindSchools(s, {school_code}));
      restart = locked != main_cursor || current.count(school_code) == 0 ||
                current[school_code].backfill_cursor != std::optional<int64_t>(from);
      if (restart) return absl::OkStatus();
      RosterApplier applier(s, now, options_.restore_delay, limits);
      RETURN_IF_ERROR(applier.ApplySchool(school->second, changes, &attempt));
      RETURN_IF_ERROR(applier.Finish());
      RETURN_IF_ERROR(GraduateRepository::SetBackfillCursor(s, school_code, next, now));
      counts_of_page = attempt;
      return absl::OkStatus();
    }));
    if (restart) continue;
    total.Add(counts_of_page);
    if (!next) {
      spdlog::info("school {} caught up with the roster feed at sequence {}", school_code, main_cursor);
      break;
    }
  }
  LogCounts(absl::StrCat("roster backfill of school ", school_code).c_str(), total, 0);
  counts->Add(total);
  return absl::OkStatus();
}

}  // namespace quxiang::sync

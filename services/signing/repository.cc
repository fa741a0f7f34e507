#include "services/signing/repository.h"

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"

namespace quxiang::signing {
namespace {

using db::Param;
using db::Row;

constexpr char kSettingsColumns[] =
    "school_id, class_year, agreement_type, online_signing_enabled, paper_registration_enabled, "
    "destination_registration_enabled, review_mode, max_termination_applications, handler_scope, handler_name, "
    "handler_phone, handler_postal_address, handler_postal_code, postgraduate_handler_name, "
    "postgraduate_handler_phone, postgraduate_handler_postal_address, postgraduate_handler_postal_code, version, "
    "updated_by_user_id, updated_by, created_at, updated_at";

SettingsRecord SettingsFromRow(const Row& row) {
  SettingsRecord settings;
  settings.school_id = row.Int64(0);
  settings.class_year = static_cast<int>(row.Int64(1));
  settings.agreement_type = static_cast<int>(row.Int64(2));
  settings.online_signing_enabled = row.Int64(3) != 0;
  settings.paper_registration_enabled = row.Int64(4) != 0;
  settings.destination_registration_enabled = row.Int64(5) != 0;
  settings.review_mode = static_cast<int>(row.Int64(6));
  settings.max_termination_applications = static_cast<int>(row.Int64(7));
  settings.handler_scope = static_cast<int>(row.Int64(8));
  settings.handler = {row.String(9), row.String(10), row.String(11), row.String(12)};
  settings.postgraduate_handler = {row.String(13), row.String(14), row.String(15), row.String(16)};
  settings.version = row.Int64(17);
  settings.updated_by_user_id = row.String(18);
  settings.updated_by = row.String(19);
  settings.created_at = row.Time(20);
  settings.updated_at = row.Time(21);
  return settings;
}

// The values of every column after the key, in the order of kSettingsColumns.
std::vector<Param> ValueParams(const SettingsRecord& settings) {
  return {static_cast<int64_t>(settings.agreement_type),
          static_cast<int64_t>(settings.online_signing_enabled),
          static_cast<int64_t>(settings.paper_registration_enabled),
          static_cast<int64_t>(settings.destination_registration_enabled),
          static_cast<int64_t>(settings.review_mode),
          static_cast<int64_t>(settings.max_termination_applications),
          static_cast<int64_t>(settings.handler_scope),
          settings.handler.name,
          settings.handler.phone,
          settings.handler.postal_address,
          settings.handler.postal_code,
          settings.postgraduate_handler.name,
          settings.postgraduate_handler.phone,
          settings.postgraduate_handler.postal_address,
          settings.postgraduate_handler.postal_code};
}

}  // namespace

absl::StatusOr<std::optional<SettingsRecord>> Repository::FindSettings(db::Session& s, int64_t school_id,
                                                                     int class_year, bool for_update) {
  std::string sql =
      absl::StrCat("SELECT ", kSettingsColumns, " FROM signing_settings WHERE school_id = ? AND class_year = ?");
  if (for_update) sql += " FOR UPDATE";
  ASSIGN_OR_RETURN(auto row, s.QueryOne(sql, {school_id, static_cast<int64_t>(class_year)}));
  if (!row) return std::optional<SettingsRecord>();
  return SettingsFromRow(*row);
}

absl::Status Repository::InsertSettings(db::Session& s, const SettingsRecord& settings, absl::Time now) {
  std::vector<Param> params = {settings.school_id, static_cast<int64_t>(settings.class_year)};
  for (Param& value : ValueParams(settings)) params.push_back(std::move(value));
  params.push_back(settings.updated_by_user_id);
  params.push_back(settings.updated_by);
  params.push_back(now);
  params.push_back(now);
  return s
      .Execute("INSERT INTO signing_settings (school_id, class_year, agreement_type, online_signing_enabled, "
               "paper_registration_enabled, destination_registration_enabled, review_mode, "
               "max_termination_applications, handler_scope, handler_name, handler_phone, handler_postal_address, "
               "handler_postal_code, postgraduate_handler_name, postgraduate_handler_phone, "
               "postgraduate_handler_postal_address, postgraduate_handler_postal_code, version, updated_by_user_id, "
               "updated_by, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
               params)
      .status();
}

absl::StatusOr<bool> Repository::UpdateSettings(db::Session& s, const SettingsRecord& settings,
                                               int64_t expected_version, absl::Time now) {
  std::vector<Param> params = ValueParams(settings);
  params.push_back(settings.updated_by_user_id);
  params.push_back(settings.updated_by);
  params.push_back(now);
  params.push_back(settings.school_id);
  params.push_back(static_cast<int64_t>(settings.class_year));
  params.push_back(expected_version);
  ASSIGN_OR_RETURN(
      int64_t changed,
      s.Execute("UPDATE signing_settings SET agreement_type = ?, online_signing_enabled = ?, "
                "paper_registration_enabled = ?, destination_registration_enabled = ?, review_mode = ?, "
                "max_termination_applications = ?, handler_scope = ?, handler_name = ?, handler_phone = ?, "
                "handler_postal_address = ?, handler_postal_code = ?, postgraduate_handler_name = ?, "
                "postgraduate_handler_phone = ?, postgraduate_handler_postal_address = ?, "
                "postgraduate_handler_postal_code = ?, version = version + 1, updated_by_user_id = ?, "
                "updated_by = ?, updated_at = ? WHERE school_id = ? AND class_year = ? AND version = ?",
                params));
  return changed == 1;
}

absl::StatusOr<UsageRecord> Repository::LockUsage(db::Session& s, int64_t school_id, int class_year) {
  // ON DUPLICATE KEY UPDATE takes the row's exclusive lock at once. INSERT IGNORE would take a
  // shared lock on an existing row, and two callers upgrading theirs would deadlock.
  RETURN_IF_ERROR(s.Execute("INSERT INTO settings_usage (school_id, class_year) VALUES (?, ?) "
                            "ON DUPLICATE KEY UPDATE records_in_review = records_in_review",
                            {school_id, static_cast<int64_t>(class_year)})
                      .status());
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT first_acted_at IS NOT NULL, records_in_review FROM settings_usage "
                                        "WHERE school_id = ? AND class_year = ? FOR UPDATE",
                                        {school_id, static_cast<int64_t>(class_year)}));
  if (!row) return Internal("SETTINGS_USAGE_MISSING", "settings_usage row missing right after its upsert");
  return UsageRecord{row->Int64(0) != 0, row->Int64(1)};
}

absl::StatusOr<UsageRecord> Repository::ReadUsage(db::Session& s, int64_t school_id, int class_year) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT first_acted_at IS NOT NULL, records_in_review FROM settings_usage "
                                        "WHERE school_id = ? AND class_year = ?",
                                        {school_id, static_cast<int64_t>(class_year)}));
  if (!row) return UsageRecord{};
  return UsageRecord{row->Int64(0) != 0, row->Int64(1)};
}

absl::Status Repository::InsertAudit(db::Session& s, const AuditRecord& entry) {
  return s
      .Execute("INSERT INTO audit_log (occurred_at, actor_user_id, actor_username, actor_kind, school_id, action, "
               "target_type, target_id, before_json, after_json, request_id, trace_id, peer) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {entry.occurred_at, entry.actor_user_id, entry.actor_username,
                static_cast<int64_t>(entry.actor_kind), entry.school_id, entry.action, entry.target_type,
                entry.target_id, entry.before_json.empty() ? Param(nullptr) : Param(entry.before_json),
                entry.after_json.empty() ? Param(nullptr) : Param(entry.after_json), entry.request_id,
                entry.trace_id, entry.peer})
      .status();
}

absl::Status SettingsUsage::MarkActed(db::Session& s, int64_t school_id, int class_year, absl::Time now) {
  return s
      .Execute("INSERT INTO settings_usage (school_id, class_year, first_acted_at) VALUES (?, ?, ?) "
               "ON DUPLICATE KEY UPDATE first_acted_at = COALESCE(first_acted_at, VALUES(first_acted_at))",
               {school_id, static_cast<int64_t>(class_year), now})
      .status();
}

absl::Status SettingsUsage::EnterReview(db::Session& s, int64_t school_id, int class_year) {
  return s
      .Execute("INSERT INTO settings_usage (school_id, class_year, records_in_review) VALUES (?, ?, 1) "
               "ON DUPLICATE KEY UPDATE records_in_review = records_in_review + 1",
               {school_id, static_cast<int64_t>(class_year)})
      .status();
}

absl::Status SettingsUsage::LeaveReview(db::Session& s, int64_t school_id, int class_year) {
  ASSIGN_OR_RETURN(int64_t changed,
                   s.Execute("UPDATE settings_usage SET records_in_review = records_in_review - 1 "
                             "WHERE school_id = ? AND class_year = ? AND records_in_review > 0",
                             {school_id, static_cast<int64_t>(class_year)}));
  if (changed != 1) {
    return Internal("NO_RECORD_IN_REVIEW", absl::StrCat("LeaveReview for school ", school_id, " class ", class_year,
                                                        " with no record in review"));
  }
  return absl::OkStatus();
}

}  // namespace quxiang::signing

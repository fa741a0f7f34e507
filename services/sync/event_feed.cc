#include "services/sync/event_feed.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/authorization.h"
#include "services/sync/outbox.h"
#include "services/sync/sql_lists.h"

namespace quxiang::sync {
namespace {

using db::Param;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

const std::vector<std::string>& KnownTypes() {
  static const auto* types = new std::vector<std::string>{
      kGraduateRosterChanged, kGraduateInvalidated, kGraduateRestored,
      kRosterDepartmentsSeen, kDestinationCommitted, kDestinationVoided,
  };
  return *types;
}

absl::Status ValidateRequest(const v1::ListEventsRequest& request) {
  if (request.after_sequence() < 0) {
    return InvalidArgument("INVALID_EVENT_CURSOR", "事件序号不能为负数，从头读取请传 0。",
                           {{"after_sequence", std::to_string(request.after_sequence())}});
  }
  if (request.page_size() < 0) {
    return InvalidArgument("INVALID_PAGE", "每页条数不能为负数。", {{"field", "page_size"}});
  }
  if (request.types_size() > static_cast<int>(kMaxStatementRows)) {
    return InvalidArgument("TOO_MANY_EVENT_TYPES", "一次请求的事件类型过多，请去掉重复的类型。",
                           {{"types", std::to_string(request.types_size())}});
  }
  const auto& known = KnownTypes();
  for (const auto& type : request.types()) {
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      return InvalidArgument("UNKNOWN_EVENT_TYPE",
                             absl::StrCat("事件类型“", type.substr(0, 64),
                                          "”不存在，请使用完整的类型名，例如 quxiang.sync.v1.GraduateInvalidated。"),
                             {{"type", type.substr(0, 64)}});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> EventFeed::Sequence(absl::Time deadline) {
  return pool_.InTransaction<int64_t>(deadline, [&](db::Session& s) -> absl::StatusOr<int64_t> {
    // The lock on the counter row makes sequencing transactions run one at a time.
    ASSIGN_OR_RETURN(auto counter,
                     s.QueryOne("SELECT last_sequence FROM event_feed_counter WHERE id = 1 FOR UPDATE"));
    if (!counter) return Internal("EVENT_FEED_COUNTER_MISSING", "event_feed_counter has no row 1");
    const int64_t last = counter->Int64(0);
    // A plain (consistent) read: its read view starts now, after the lock was granted, so it returns
    // every event committed before, and it neither returns nor waits for uncommitted ones. A
    // locking read here would wait for every open transaction that wrote an event.
    ASSIGN_OR_RETURN(auto waiting, s.Query("SELECT id FROM outbox WHERE feed_sequence IS NULL ORDER BY id LIMIT ?",
                                           {static_cast<int64_t>(kSequenceBatch)}));
    std::vector<int64_t> ids;
    ids.reserve(waiting.size());
    for (const auto& row : waiting) ids.push_back(row.Int64(0));
    int64_t next = last;
    for (const auto& slice : Slices(ids)) {
      // CASE id WHEN ? THEN ? ... END, padded like the IN list, so that a repeated pair changes
      // nothing.
      size_t padded = PaddedCount(slice.size());
      std::vector<Param> params;
      params.reserve(padded * 3);
      std::string cases;
      for (size_t i = 0; i < padded; ++i) {
        size_t index = std::min(i, slice.size() - 1);
        params.push_back(slice[index]);
        params.push_back(next + 1 + static_cast<int64_t>(index));
        absl::StrAppend(&cases, " WHEN ? THEN ?");
      }
      AppendPaddedList(slice, params);
      RETURN_IF_ERROR(s.Execute(absl::StrCat("UPDATE outbox SET feed_sequence = CASE id", cases, " END WHERE id IN (",
                                             Placeholders(padded), ")"),
                                params)
                          .status());
      next += static_cast<int64_t>(slice.size());
    }
    if (next > last) {
      RETURN_IF_ERROR(s.Execute("UPDATE event_feed_counter SET last_sequence = ? WHERE id = 1", {next}).status());
    }
    return next - last;
  });
}

absl::Status EventFeed::ListEvents(const RequestInfo& info, const v1::ListEventsRequest& request,
                                   v1::ListEventsResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  if (!IsReaderService(*info.principal)) {
    return PermissionDenied("EVENT_FEED_SERVICES_ONLY", "只有签约、解约、去向登记和通知服务可以读取同步事件。",
                            {{"principal_kind", common::v1::PrincipalKind_Name(info.principal->kind())}});
  }
  RETURN_IF_ERROR(ValidateRequest(request));
  int page_size = request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);

  RETURN_IF_ERROR(Sequence(info.deadline).status());
  return pool_.Run(info.deadline, [&](db::Session& s) -> absl::Status {
    // Every event up to the counter's value committed with it, so the page below has no holes.
    ASSIGN_OR_RETURN(auto counter, s.QueryOne("SELECT last_sequence FROM event_feed_counter WHERE id = 1"));
    if (!counter) return Internal("EVENT_FEED_COUNTER_MISSING", "event_feed_counter has no row 1");
    int64_t highest = counter->Int64(0);
    if (request.after_sequence() > highest) {
      return FailedPrecondition("EVENT_CURSOR_AHEAD",
                                "事件序号超出了同步服务已有的事件，数据库可能已从备份恢复，请核对后从头读取。",
                                {{"after_sequence", std::to_string(request.after_sequence())},
                                 {"last_sequence", std::to_string(highest)}});
    }

    std::vector<Param> params = {request.after_sequence(), highest};
    std::string sql = "SELECT feed_sequence, payload FROM outbox WHERE feed_sequence > ? AND feed_sequence <= ?";
    if (request.types_size() > 0) {
      std::vector<std::string> types(request.types().begin(), request.types().end());
      AppendPaddedList(types, params);
      absl::StrAppend(&sql, " AND type IN (", Placeholders(params.size() - 2), ")");
    }
    absl::StrAppend(&sql, " ORDER BY feed_sequence LIMIT ?");
    params.push_back(static_cast<int64_t>(page_size));
    ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));

    response->Clear();
    for (const auto& row : rows) {
      v1::FeedEvent* event = response->add_events();
      event->set_sequence(row.Int64(0));
      if (!event->mutable_event()->ParseFromString(row.String(1))) {
        return Internal("OUTBOX_PAYLOAD_INVALID", absl::StrCat("outbox event ", row.Int64(0), " holds no valid envelope"));
      }
    }
    bool full_page = static_cast<int>(rows.size()) == page_size;
    response->set_next_after_sequence(full_page ? response->events().rbegin()->sequence() : highest);
    return absl::OkStatus();
  });
}

}  // namespace quxiang::sync

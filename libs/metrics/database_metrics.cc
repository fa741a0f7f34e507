#include "libs/metrics/database_metrics.h"

#include <mutex>
#include <optional>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace quxiang::metrics {
namespace {

constexpr absl::Duration kOutboxQueryDeadline = absl::Seconds(2);
// Scrapes closer together than this reuse the last result instead of querying again.
constexpr absl::Duration kOutboxResultMaxAge = absl::Seconds(1);
constexpr absl::Duration kWarningInterval = absl::Minutes(1);

}  // namespace

struct DatabaseMetrics::OutboxState {
  struct Result {
    int64_t backlog = 0;
    double oldest_age_seconds = 0;
  };

  db::Pool* pool = nullptr;
  std::string service;
  std::mutex mutex;
  absl::Time sampled_at = absl::InfinitePast();
  std::optional<Result> last;
  absl::Time last_warning = absl::InfinitePast();

  // The backlog and oldest age, queried at most once per kOutboxResultMaxAge; nullopt when the
  // query failed.
  std::optional<Result> Sample() {
    std::lock_guard<std::mutex> lock(mutex);
    absl::Time now = absl::Now();
    if (now - sampled_at < kOutboxResultMaxAge) return last;
    sampled_at = now;

    Result result;
    absl::Status status = pool->Run(now + kOutboxQueryDeadline, [&](db::Session& s) -> absl::Status {
      auto count = s.QueryOne("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL");
      if (!count.ok()) return count.status();
      result.backlog = (*count)->Int64(0);
      if (result.backlog == 0) return absl::OkStatus();
      // Ids grow with time, so the lowest unsent id is the oldest unsent row.
      auto oldest = s.QueryOne(
          "SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1");
      if (!oldest.ok()) return oldest.status();
      if (oldest->has_value()) {
        result.oldest_age_seconds =
            std::max(0.0, absl::ToDoubleSeconds(absl::Now() - (*oldest)->Time(0)));
      }
      return absl::OkStatus();
    });
    if (!status.ok()) {
      if (now - last_warning >= kWarningInterval) {
        last_warning = now;
        spdlog::warn("outbox metrics of {} unavailable: {} {}", service,
                     absl::StatusCodeToString(status.code()), std::string(status.message()));
      }
      last.reset();
      return last;
    }
    last = result;
    return last;
  }
};

DatabaseMetrics::~DatabaseMetrics() = default;

std::unique_ptr<DatabaseMetrics> DatabaseMetrics::Register(Registry& registry, db::Pool& pool,
                                                           const std::string& service) {
  std::unique_ptr<DatabaseMetrics> metrics(new DatabaseMetrics());
  const std::vector<std::string> labels = {"service"};

  auto pool_gauge = [&](MetricType type, const char* name, const char* help,
                        double (*read)(const db::PoolStats&)) {
    metrics->registrations_.push_back(registry.AddCallback(
        type, name, help, labels, [&pool, service, read]() -> std::vector<Sample> {
          return {{{service}, read(pool.Stats())}};
        }));
  };
  pool_gauge(MetricType::kGauge, "quxiang_db_pool_open_connections",
             "Database connections the pool holds open.",
             [](const db::PoolStats& s) { return static_cast<double>(s.open); });
  pool_gauge(MetricType::kGauge, "quxiang_db_pool_in_use_connections",
             "Database connections lent to a unit of work.",
             [](const db::PoolStats& s) { return static_cast<double>(s.in_use); });
  pool_gauge(MetricType::kGauge, "quxiang_db_pool_waiting_requests",
             "Units of work waiting for a free database connection.",
             [](const db::PoolStats& s) { return static_cast<double>(s.waiting); });
  pool_gauge(MetricType::kCounter, "quxiang_db_pool_discarded_connections_total",
             "Database connections discarded after a client error (lost or broken connection).",
             [](const db::PoolStats& s) { return static_cast<double>(s.discarded_broken); });

  metrics->outbox_ = std::make_shared<OutboxState>();
  metrics->outbox_->pool = &pool;
  metrics->outbox_->service = service;
  std::shared_ptr<OutboxState> outbox = metrics->outbox_;
  metrics->registrations_.push_back(registry.AddCallback(
      MetricType::kGauge, "quxiang_outbox_backlog",
      "Events in the outbox that the relay has not delivered yet (sent_at IS NULL).", labels,
      [outbox, service]() -> std::vector<Sample> {
        auto result = outbox->Sample();
        if (!result) return {};
        return {{{service}, static_cast<double>(result->backlog)}};
      }));
  metrics->registrations_.push_back(registry.AddCallback(
      MetricType::kGauge, "quxiang_outbox_oldest_unsent_age_seconds",
      "Age in seconds of the oldest undelivered outbox event; 0 when every event is delivered.",
      labels, [outbox, service]() -> std::vector<Sample> {
        auto result = outbox->Sample();
        if (!result) return {};
        return {{{service}, result->oldest_age_seconds}};
      }));
  return metrics;
}

}  // namespace quxiang::metrics

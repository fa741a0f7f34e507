// warning: warned-employer marks per school and the cross-school alert (预警单位管理).
#include "libs/config/config.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/logging/logging.h"
#include "libs/metrics/database_metrics.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "services/warning/grpc_service.h"
#include "services/warning/migrations.h"
#include "services/warning/warning.h"
#include "spdlog/spdlog.h"

namespace {

int Fail(const absl::Status& status, const char* step) {
  spdlog::critical("{} failed: {} {}", step, quxiang::ErrorReason(status), std::string(status.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  quxiang::server::BlockTerminationSignals();
  quxiang::config::ParseFlagsAndEnvironment(argc, argv, "warning: warned-employer marks and alerts");
  quxiang::logging::Init("warning");

  auto verifier = quxiang::server::VerifierFromFlags();
  if (!verifier.ok()) return Fail(verifier.status(), "loading the token public keys");

  quxiang::db::Options db_options = quxiang::db::OptionsFromFlags();
  if (db_options.database.empty()) db_options.database = "quxiang_warning";
  auto pool = quxiang::db::Pool::Create(db_options);
  if (!pool.ok()) return Fail(pool.status(), "connecting to the database");
  absl::Status migrated = quxiang::db::ApplyMigrations(**pool, quxiang::warning::Migrations());
  if (!migrated.ok()) return Fail(migrated, "applying migrations");
  auto database_metrics =
      quxiang::metrics::DatabaseMetrics::Register(quxiang::metrics::Registry::Default(), **pool, "warning");

  quxiang::warning::Warnings warnings(**pool, quxiang::Clock::Real());

  quxiang::server::RuntimeOptions runtime_options = quxiang::server::RuntimeOptionsFromFlags();
  runtime_options.verifier = verifier->get();
  quxiang::server::Runtime runtime(runtime_options);
  quxiang::warning::WarningGrpcService service(warnings, runtime);
  return quxiang::server::Serve(quxiang::server::ServeOptionsFromFlags(), {&service}, runtime);
}

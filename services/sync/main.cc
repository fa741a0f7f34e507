// sync: the platform's mirror of the national employment management system (EMS): the graduate
// roster, invalidated graduates and their restore, the destination ledger, the outbound queue
// to the EMS and the statistics.
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "libs/config/config.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/logging/logging.h"
#include "libs/metrics/database_metrics.h"
#include "libs/metrics/metrics.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/accounts_relay.h"
#include "services/sync/ems_relay.h"
#include "services/sync/background_job.h"
#include "services/sync/graduates.h"
#include "services/sync/grpc_clients.h"
#include "services/sync/grpc_service.h"
#include "services/sync/job_lock.h"
#include "services/sync/migrations.h"
#include "services/sync/reconciliation.h"
#include "services/sync/roster_feed.h"
#include "services/sync/statistics.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, ems_address, "", "host:port of the EMS (EmsService); required.");
ABSL_FLAG(std::string, accounts_address, "", "host:port of the accounts service; required.");
ABSL_FLAG(std::string, service_name, "sync", "The name this service gets SERVICE tokens for from accounts.");
ABSL_FLAG(std::string, service_secret_file, "",
          "File holding this service's secret for IssueServiceToken (its first line); required.");
ABSL_FLAG(absl::Duration, restore_delay, absl::Hours(1),
          "Time from the EMS sending an invalidated graduate again to its automatic restore, for example 1h.");
ABSL_FLAG(absl::Duration, roster_poll_interval, absl::Seconds(5), "Pause between polls of the EMS roster changes.");
ABSL_FLAG(absl::Duration, restore_interval, absl::Minutes(1), "Pause between runs of the restore job.");
ABSL_FLAG(absl::Duration, relay_interval, absl::Seconds(1), "Pause between runs of the outbox relays.");
ABSL_FLAG(absl::Duration, reconcile_interval, absl::Hours(24),
          "Pause between reconciliations of every school's ledger with the EMS.");
ABSL_FLAG(std::string, signing_address, "",
          "host:port of the signing service, for the stale-claim job; when empty, that job does not run.");
ABSL_FLAG(std::string, signing_port_file, "",
          "For scripts/run, which starts sync before signing: a file holding the port of signing on 127.0.0.1, "
          "read at every run of the stale-claim job; used only when --signing_address is empty.");
ABSL_FLAG(absl::Duration, claim_check_interval, absl::Minutes(5), "Pause between runs of the stale-claim job.");
ABSL_FLAG(absl::Duration, claim_min_age, absl::Minutes(10),
          "Minimum age of a ledger claim before the stale-claim job asks its flow service about it; it must "
          "exceed the longest request that claims, for example 10m.");
ABSL_FLAG(int32_t, claim_check_batch, 200, "Maximum number of claims one run of the stale-claim job checks.");

namespace {

int Fail(const absl::Status& status, const char* step) {
  spdlog::critical("{} failed: {} {}", step, quxiang::ErrorReason(status), std::string(status.message()));
  return 1;
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path);
  std::string secret;
  if (!in || !std::getline(in, secret) || absl::StripAsciiWhitespace(secret).empty()) {
    return quxiang::FailedPrecondition("SERVICE_SECRET_UNREADABLE",
                                       "无法读取服务密钥文件，请用 --service_secret_file 指定一个首行为密钥的文件。",
                                       {{"path", path}});
  }
  return std::string(absl::StripAsciiWhitespace(secret));
}

}  // namespace

int main(int argc, char** argv) {
  quxiang::server::BlockTerminationSignals();
  quxiang::config::ParseFlagsAndEnvironment(argc, argv, "sync: the platform's mirror of the EMS");
  quxiang::logging::Init("sync");

  if (absl::GetFlag(FLAGS_ems_address).empty() || absl::GetFlag(FLAGS_accounts_address).empty()) {
    spdlog::critical("--ems_address and --accounts_address are required");
    return 1;
  }
  if (absl::GetFlag(FLAGS_claim_check_batch) < 1 || absl::GetFlag(FLAGS_claim_check_batch) > 5000 ||
      absl::GetFlag(FLAGS_claim_min_age) < absl::Minutes(1) ||
      absl::GetFlag(FLAGS_claim_check_interval) <= absl::ZeroDuration()) {
    spdlog::critical("--claim_check_batch must be 1 to 5000, --claim_min_age at least 1m and "
                     "--claim_check_interval positive");
    return 1;
  }
  auto secret = ReadSecret(absl::GetFlag(FLAGS_service_secret_file));
  if (!secret.ok()) return Fail(secret.status(), "reading the service secret");
  auto verifier = quxiang::server::VerifierFromFlags();
  if (!verifier.ok()) return Fail(verifier.status(), "loading the token public keys");

  quxiang::db::Options db_options = quxiang::db::OptionsFromFlags();
  if (db_options.database.empty()) db_options.database = "quxiang_sync";
  auto pool = quxiang::db::Pool::Create(db_options);
  if (!pool.ok()) return Fail(pool.status(), "connecting to the database");
  absl::Status migrated = quxiang::db::ApplyMigrations(**pool, quxiang::sync::Migrations());
  if (!migrated.ok()) return Fail(migrated, "applying migrations");
  auto database_metrics =
      quxiang::metrics::DatabaseMetrics::Register(quxiang::metrics::Registry::Default(), **pool, "sync");
  quxiang::metrics::Gauge& ems_lag =
      quxiang::metrics::Registry::Default()
          .GetOrAddGauge("quxiang_ems_sync_lag_seconds",
                         "Seconds since the oldest ledger change that the EMS has not acknowledged; "
                         "0 when the EMS has every change.")
          .WithLabels({});

  const quxiang::Clock& clock = quxiang::Clock::Real();
  quxiang::sync::GrpcEmsClient ems(
      quxiang::sync::CreateRoundRobinChannel(absl::GetFlag(FLAGS_ems_address), /*health_check=*/false));
  quxiang::sync::GrpcAccountsClient accounts(
      quxiang::sync::CreateRoundRobinChannel(absl::GetFlag(FLAGS_accounts_address), /*health_check=*/true),
      absl::GetFlag(FLAGS_service_name), *secret, clock);

  quxiang::sync::RosterFeedOptions feed_options;
  feed_options.restore_delay = absl::GetFlag(FLAGS_restore_delay);
  quxiang::sync::RosterFeed feed(**pool, ems, accounts, clock, feed_options);
  quxiang::sync::Graduates graduates(**pool, clock);
  quxiang::sync::CodeTableCatalog code_tables(clock);
  quxiang::sync::EligibilityChecks eligibility(**pool, clock);
  quxiang::sync::Ledger ledger(**pool, clock);
  quxiang::sync::AccountsRelay accounts_relay(**pool, accounts, clock);
  quxiang::sync::EmsRelay ems_relay(**pool, ems, clock);
  quxiang::sync::Reconciliation reconciliation(**pool, ems, clock);
  quxiang::sync::Statistics statistics(**pool, clock);
  quxiang::sync::EventFeed events(**pool);

  // Every job that changes data takes its named lock, so that with several replicas each job
  // runs on one of them at a time (services/sync/job_lock.h). The locks live on connections of
  // their own, one per locked job, so a long run never takes a connection from the RPCs.
  constexpr int kLockedJobs = 6;
  quxiang::db::Options lock_options = db_options;
  lock_options.max_connections = kLockedJobs;
  auto lock_pool = quxiang::db::Pool::Create(lock_options);
  if (!lock_pool.ok()) return Fail(lock_pool.status(), "connecting to the database for the job locks");
  quxiang::sync::JobLocks locks(**lock_pool);

  quxiang::sync::BackgroundJob roster_job(
      "roster feed", absl::GetFlag(FLAGS_roster_poll_interval), [&] { return feed.Run().status(); }, &locks);
  quxiang::sync::BackgroundJob restore_job(
      "restore", absl::GetFlag(FLAGS_restore_interval),
      [&] { return graduates.RestoreDue(100, feed_options.restore_delay).status(); }, &locks);
  quxiang::sync::BackgroundJob accounts_relay_job(
      "accounts relay", absl::GetFlag(FLAGS_relay_interval), [&] { return accounts_relay.DeliverOnce().status(); },
      &locks);
  quxiang::sync::BackgroundJob ems_relay_job(
      "EMS relay", absl::GetFlag(FLAGS_relay_interval), [&] { return ems_relay.DeliverOnce().status(); }, &locks);
  quxiang::sync::BackgroundJob reconcile_job(
      "EMS reconciliation", absl::GetFlag(FLAGS_reconcile_interval),
      [&] { return reconciliation.ReconcileAllSchools(absl::Minutes(5)).status(); }, &locks);
  // Releases the claims that a flow service left when it failed between sync's claim and its
  // own commit (docs/decisions.md §23).
  const std::string signing_address = absl::GetFlag(FLAGS_signing_address);
  const std::string signing_port_file = absl::GetFlag(FLAGS_signing_port_file);
  std::unique_ptr<quxiang::sync::ClaimChecker> claim_checker;
  std::unique_ptr<quxiang::sync::BackgroundJob> claim_job;
  if (!signing_address.empty()) {
    claim_checker = std::make_unique<quxiang::sync::SigningClaimChecker>(
        quxiang::sync::CreateRoundRobinChannel(signing_address, /*health_check=*/true), accounts);
  } else if (!signing_port_file.empty()) {
    claim_checker = std::make_unique<quxiang::sync::PortFileSigningClaimChecker>(signing_port_file, accounts);
  } else {
    spdlog::warn("--signing_address and --signing_port_file are empty, so the stale-claim job does not run: "
                 "a claim left by a failed accept stays until its graduate accepts again");
  }
  if (claim_checker != nullptr) {
    claim_job = std::make_unique<quxiang::sync::BackgroundJob>(
        "stale claims", absl::GetFlag(FLAGS_claim_check_interval),
        [&] {
          return ledger
              .ReleaseStaleClaims(*claim_checker, absl::GetFlag(FLAGS_claim_min_age),
                                  absl::GetFlag(FLAGS_claim_check_batch))
              .status();
        },
        &locks);
  }
  // No lock: it only reads the outbox, and every replica exports the lag, whichever one runs
  // the EMS relay.
  quxiang::sync::BackgroundJob ems_lag_job("EMS lag", absl::GetFlag(FLAGS_relay_interval), [&]() -> absl::Status {
    ASSIGN_OR_RETURN(absl::Duration lag, ems_relay.Lag());
    ems_lag.Set(absl::ToDoubleSeconds(lag));
    return absl::OkStatus();
  });

  quxiang::server::RuntimeOptions runtime_options = quxiang::server::RuntimeOptionsFromFlags();
  runtime_options.verifier = verifier->get();
  quxiang::server::Runtime runtime(runtime_options);
  quxiang::sync::SyncDomain domain;
  domain.graduates = &graduates;
  domain.code_tables = &code_tables;
  domain.eligibility = &eligibility;
  domain.ledger = &ledger;
  domain.reconciliation = &reconciliation;
  domain.statistics = &statistics;
  domain.events = &events;
  quxiang::sync::EmsComparison ems_comparison(**pool, ems, clock);
  domain.ems_comparison = &ems_comparison;
  quxiang::sync::SyncGrpcService service(domain, runtime);
  int exit_code = quxiang::server::Serve(quxiang::server::ServeOptionsFromFlags(), {&service}, runtime, [&] {
    roster_job.Start();
    restore_job.Start();
    accounts_relay_job.Start();
    ems_relay_job.Start();
    reconcile_job.Start();
    ems_lag_job.Start();
    if (claim_job) claim_job->Start();
  });
  if (claim_job) claim_job->Stop();
  ems_lag_job.Stop();
  reconcile_job.Stop();
  ems_relay_job.Stop();
  accounts_relay_job.Stop();
  restore_job.Stop();
  roster_job.Stop();
  return exit_code;
}

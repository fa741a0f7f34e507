// accounts: provinces, schools, departments, employers, users, sessions and identity tokens.
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/flags/flag.h"
#include "libs/config/config.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/logging/logging.h"
#include "libs/metrics/database_metrics.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "services/accounts/accounts.h"
#include "services/accounts/graduate_accounts.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/migrations.h"
#include "services/accounts/service_identities.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, token_private_key_file, "", "Ed25519 private key (PEM) that signs identity tokens.");
ABSL_FLAG(std::string, operator_password_file, "",
          "File holding the password of the platform operator account created at first start; empty skips it.");
ABSL_FLAG(int, identity_token_lifetime_seconds, 300, "Lifetime in seconds of an identity token.");
ABSL_FLAG(std::string, graduate_identity_key_file, "",
          "File whose first line is the HMAC key for graduates' ID number digests (32+ characters); empty disables "
          "graduate accounts.");
ABSL_FLAG(std::string, service_secrets_file, "",
          "File of the services that may get SERVICE tokens, one name:sha256hex(secret) per line; empty for none.");

namespace {

int Fail(const absl::Status& status, const char* step) {
  spdlog::critical("{} failed: {} {}", step, quxiang::ErrorReason(status), std::string(status.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  quxiang::server::BlockTerminationSignals();
  quxiang::config::ParseFlagsAndEnvironment(argc, argv, "accounts: accounts, sessions and identity tokens");
  quxiang::logging::Init("accounts");

  auto verifier = quxiang::server::VerifierFromFlags();
  if (!verifier.ok()) return Fail(verifier.status(), "loading the token public keys");
  auto signer = quxiang::identity::TokenSigner::FromPemFile(absl::GetFlag(FLAGS_token_private_key_file));
  if (!signer.ok()) return Fail(signer.status(), "loading the token private key");

  quxiang::db::Options db_options = quxiang::db::OptionsFromFlags();
  if (db_options.database.empty()) db_options.database = "quxiang_accounts";
  auto pool = quxiang::db::Pool::Create(db_options);
  if (!pool.ok()) return Fail(pool.status(), "connecting to the database");
  absl::Status migrated = quxiang::db::ApplyMigrations(**pool, quxiang::accounts::Migrations());
  if (!migrated.ok()) return Fail(migrated, "applying migrations");
  auto database_metrics =
      quxiang::metrics::DatabaseMetrics::Register(quxiang::metrics::Registry::Default(), **pool, "accounts");

  quxiang::accounts::AccountsOptions options;
  options.identity_token_lifetime = absl::Seconds(absl::GetFlag(FLAGS_identity_token_lifetime_seconds));
  quxiang::accounts::Accounts accounts(**pool, **signer, quxiang::Clock::Real(), options);

  std::string password_file = absl::GetFlag(FLAGS_operator_password_file);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::string password;
    std::getline(in, password);
    absl::Status bootstrapped = accounts.BootstrapOperator(password);
    if (!bootstrapped.ok()) return Fail(bootstrapped, "creating the operator account");
  }

  quxiang::server::RuntimeOptions runtime_options = quxiang::server::RuntimeOptionsFromFlags();
  runtime_options.verifier = verifier->get();
  quxiang::server::Runtime runtime(runtime_options);
  auto service_secrets = quxiang::accounts::LoadServiceSecrets(absl::GetFlag(FLAGS_service_secrets_file));
  if (!service_secrets.ok()) return Fail(service_secrets.status(), "loading the service secrets");
  quxiang::accounts::ServiceIdentities service_identities(**pool, **signer, quxiang::Clock::Real(),
                                                          *std::move(service_secrets), options.identity_token_lifetime);
  std::unique_ptr<quxiang::accounts::GraduateAccounts> graduate_accounts;
  if (!absl::GetFlag(FLAGS_graduate_identity_key_file).empty()) {
    auto key = quxiang::accounts::LoadGraduateIdentityKey(absl::GetFlag(FLAGS_graduate_identity_key_file));
    if (!key.ok()) return Fail(key.status(), "loading the graduate identity key");
    graduate_accounts = std::make_unique<quxiang::accounts::GraduateAccounts>(**pool, quxiang::Clock::Real(),
                                                                              *std::move(key), options);
  }
  quxiang::accounts::AccountsGrpcService service(accounts, runtime, &service_identities, graduate_accounts.get());
  return quxiang::server::Serve(quxiang::server::ServeOptionsFromFlags(), {&service}, runtime);
}

// signing: the signing settings (签约设置) per school and graduating class, the online signing
// flow (线上签约) and the electronic agreements (电子就业协议书) with their public verification.
// The offline e-agreement and paper 补登 flows will join this process.
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/agreement_pdf/agreement_renderer.h"
#include "libs/agreement_pdf/verification.h"
#include "libs/config/config.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/export/audit_store.h"
#include "libs/filestore/file_store.h"
#include "libs/logging/logging.h"
#include "libs/metrics/database_metrics.h"
#include "libs/review/store.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "services/signing/agreements.h"
#include "services/signing/grpc_clients.h"
#include "services/signing/grpc_service.h"
#include "services/signing/migrations.h"
#include "services/signing/offline_grpc_service.h"
#include "services/signing/offline_signing.h"
#include "services/signing/online_signing.h"
#include "services/signing/paper_registration.h"
#include "services/signing/paper_registration_grpc.h"
#include "services/signing/settings.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, accounts_address, "", "host:port of the accounts service; required.");
ABSL_FLAG(std::string, sync_address, "", "host:port of the sync service; required.");
ABSL_FLAG(std::string, warning_address, "", "host:port of the warning service; required.");
ABSL_FLAG(std::string, service_secret_file, "",
          "File holding this service's secret for IssueServiceToken (its first line); required.");
ABSL_FLAG(std::string, agreement_key_file, "",
          "File (mode 0600) whose first line is the HMAC key of agreement verification codes, at least 32 "
          "bytes; required.");
ABSL_FLAG(std::string, public_base_url, "http://127.0.0.1:8080",
          "The web console's public address; the agreement QR code links to <this>/verify.");

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

absl::StatusOr<std::string> ReadAgreementKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (path.empty() || !in || !std::getline(in, key) || absl::StripAsciiWhitespace(key).empty()) {
    return quxiang::FailedPrecondition("AGREEMENT_KEY_UNREADABLE",
                                       "无法读取协议验证码密钥文件，请用 --agreement_key_file 指定一个首行为密钥的文件"
                                       "（可用 openssl rand -hex 32 生成）。",
                                       {{"path", path}});
  }
  return std::string(absl::StripAsciiWhitespace(key));
}

}  // namespace

int main(int argc, char** argv) {
  quxiang::server::BlockTerminationSignals();
  quxiang::config::ParseFlagsAndEnvironment(argc, argv, "signing: signing settings and online signing");
  quxiang::logging::Init("signing");

  if (absl::GetFlag(FLAGS_accounts_address).empty() || absl::GetFlag(FLAGS_sync_address).empty() ||
      absl::GetFlag(FLAGS_warning_address).empty()) {
    spdlog::critical("--accounts_address, --sync_address and --warning_address are required");
    return 1;
  }
  auto secret = ReadSecret(absl::GetFlag(FLAGS_service_secret_file));
  if (!secret.ok()) return Fail(secret.status(), "reading the service secret");
  auto agreement_secret = ReadAgreementKey(absl::GetFlag(FLAGS_agreement_key_file));
  if (!agreement_secret.ok()) return Fail(agreement_secret.status(), "reading the agreement key");
  auto agreement_key = quxiang::agreement_pdf::VerificationKey::Create(*agreement_secret);
  if (!agreement_key.ok()) return Fail(agreement_key.status(), "loading the agreement key");
  auto verification_url =
      quxiang::agreement_pdf::BuildVerificationLink(absl::StrCat(absl::GetFlag(FLAGS_public_base_url), "/verify"), "", "");
  if (!verification_url.ok()) return Fail(verification_url.status(), "checking --public_base_url");
  auto renderer = quxiang::agreement_pdf::AgreementRenderer::Create();
  if (!renderer.ok()) return Fail(renderer.status(), "loading the agreement fonts");
  auto verifier = quxiang::server::VerifierFromFlags();
  if (!verifier.ok()) return Fail(verifier.status(), "loading the token public keys");

  quxiang::db::Options db_options = quxiang::db::OptionsFromFlags();
  if (db_options.database.empty()) db_options.database = "quxiang_signing";
  auto pool = quxiang::db::Pool::Create(db_options);
  if (!pool.ok()) return Fail(pool.status(), "connecting to the database");
  absl::Status migrated = quxiang::db::ApplyMigrations(
      **pool, quxiang::exports::WithExportMigrations(quxiang::filestore::WithFileStoreMigrations(
                  quxiang::review::WithReviewMigrations(quxiang::signing::Migrations()))));
  if (!migrated.ok()) return Fail(migrated, "applying migrations");
  auto database_metrics =
      quxiang::metrics::DatabaseMetrics::Register(quxiang::metrics::Registry::Default(), **pool, "signing");

  quxiang::signing::GrpcSchoolDirectory directory(
      quxiang::signing::CreateRoundRobinChannel(absl::GetFlag(FLAGS_accounts_address)),
      quxiang::signing::CreateRoundRobinChannel(absl::GetFlag(FLAGS_sync_address)),
      quxiang::signing::CreateRoundRobinChannel(absl::GetFlag(FLAGS_warning_address)), *secret,
      quxiang::Clock::Real());
  quxiang::signing::Settings settings(**pool, directory, quxiang::Clock::Real());

  quxiang::server::RuntimeOptions runtime_options = quxiang::server::RuntimeOptionsFromFlags();
  runtime_options.verifier = verifier->get();
  quxiang::server::Runtime runtime(runtime_options);
  quxiang::filestore::MySqlFileStore files;
  quxiang::signing::Agreements agreements(**renderer, *std::move(agreement_key), files,
                                          {absl::StrCat(absl::GetFlag(FLAGS_public_base_url), "/verify")});
  quxiang::signing::OnlineSigning online_signing(**pool, directory, quxiang::Clock::Real(), agreements);
  quxiang::signing::AgreementDocuments documents(**pool, agreements, quxiang::Clock::Real());
  quxiang::signing::SigningGrpcService service(settings, online_signing, documents, runtime);
  quxiang::signing::PaperRegistrations paper_registrations(**pool, directory, files, quxiang::Clock::Real());
  quxiang::signing::PaperRegistrationGrpcService paper_service(paper_registrations, runtime);
  quxiang::signing::OfflineSigning offline_signing(**pool, directory, files, agreements, quxiang::Clock::Real());
  quxiang::signing::OfflineSigningGrpcService offline_service(offline_signing, runtime);
  documents.RegisterFlow(quxiang::signing::AgreementFlow::kOfflineSigning, quxiang::signing::OfflineAgreementParties);
  quxiang::server::ServeOptions serve_options = quxiang::server::ServeOptionsFromFlags();
  // An upload request carries the whole scan, up to the file store's 10 MiB limit, so requests
  // up to 16 MiB are accepted instead of gRPC's default of 4 MiB.
  serve_options.max_receive_message_bytes = 16 << 20;
  return quxiang::server::Serve(serve_options, {&service, &paper_service, &offline_service}, runtime);
}

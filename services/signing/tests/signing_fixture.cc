#include "services/signing/tests/signing_fixture.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "libs/export/audit_store.h"
#include "libs/filestore/file_store.h"
#include "libs/review/store.h"
#include "libs/testing/keys.h"
#include "libs/validation/validation.h"
#include "services/accounts/migrations.h"
#include "services/signing/migrations.h"
#include "services/sync/migrations.h"
#include "services/warning/migrations.h"

namespace quxiang::signing::testing {
namespace {

using ::quxiang::testing::GenerateKeyPair;
using ::quxiang::testing::KeyPair;

constexpr char kSigningSecret[] = "signing-test-secret";
constexpr char kSyncSecret[] = "sync-test-secret";
// The HMAC key of agreement verification codes, at least 32 bytes as the library requires.
constexpr char kAgreementKey[] = "signing-fixture-agreement-key-0123456789abcdef";
// A password that passes the policy, for department accounts nobody logs in with.
constexpr char kPassword[] = "Fixture-Passw0rd";

const std::vector<db::MigrationFile>& SigningMigrations() {
  static const auto* const kFiles = new std::vector<db::MigrationFile>(exports::WithExportMigrations(filestore::WithFileStoreMigrations(review::WithReviewMigrations(Migrations()))));
  return *kFiles;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

common::v1::IdentityClaims StaffClaims(common::v1::PrincipalKind kind, const std::string& school_id,
                                       const std::string& user_id, common::v1::Access employment) {
  common::v1::IdentityClaims claims;
  claims.set_kind(kind);
  claims.set_user_id(user_id);
  claims.set_username(user_id);
  claims.set_school_id(school_id);
  claims.set_province_code("41");
  if (kind == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    claims.set_department_id(absl::StrCat(school_id, "01"));
    claims.set_department_name("计算机学院");
  }
  auto* grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(employment);
  return claims;
}

// Starts the signing process's services on one server that, like the signing binary, accepts
// messages of up to 16 MiB, so that stamped scans up to the file store's limit arrive.
std::unique_ptr<grpc::Server> StartSigningServer(const std::vector<grpc::Service*>& services, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.SetMaxReceiveMessageSize(16 << 20);
  for (grpc::Service* service : services) builder.RegisterService(service);
  return builder.BuildAndStart();
}

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

std::string IdNumber(int serial) {
  std::string first17 = absl::StrFormat("110105%04d%02d%02d%03d", 2000 + (serial / 336000) % 5, 1 + (serial / 28) % 12,
                                        1 + serial % 28, (serial / 336) % 1000);
  return first17 + validation::IdNumberCheckDigit(first17);
}

}  // namespace

common::v1::IdentityClaims SchoolUser(const std::string& school_id, const std::string& user_id,
                                      common::v1::Access employment) {
  return StaffClaims(common::v1::PRINCIPAL_KIND_SCHOOL, school_id, user_id, employment);
}

common::v1::IdentityClaims DepartmentUser(const std::string& school_id, const std::string& user_id,
                                          common::v1::Access employment) {
  return StaffClaims(common::v1::PRINCIPAL_KIND_DEPARTMENT, school_id, user_id, employment);
}

common::v1::IdentityClaims PrincipalOfKind(common::v1::PrincipalKind kind, const std::string& user_id) {
  common::v1::IdentityClaims claims;
  claims.set_kind(kind);
  claims.set_user_id(user_id);
  claims.set_username(user_id);
  if (kind == common::v1::PRINCIPAL_KIND_SERVICE) claims.set_service_name(user_id);
  if (kind == common::v1::PRINCIPAL_KIND_EMPLOYER) claims.set_employer_id("7");
  return claims;
}

ems::v1::RosterGraduate RosterRecord(const std::string& school_code, int class_year, int serial,
                                     const std::string& department) {
  ems::v1::RosterGraduate record;
  record.set_candidate_number(absl::StrFormat("21410101%06d", serial));
  record.set_id_number(IdNumber(serial));
  record.set_name(absl::StrCat("测试", serial));
  record.set_gender_code(serial % 2 == 0 ? "2" : "1");
  record.set_gender(serial % 2 == 0 ? "女" : "男");
  record.set_ethnicity_code("01");
  record.set_ethnicity("汉族");
  record.set_political_status_code("03");
  record.set_political_status("共青团员");
  record.set_school_code(school_code);
  record.set_school_name("测试大学");
  record.set_education_level_code("31");
  record.set_education_level("本科生毕业");
  record.set_major_code("080901");
  record.set_major_name("计算机科学与技术");
  record.set_training_mode_code("1");
  record.set_training_mode("非定向");
  record.set_schooling_length("4");
  record.set_graduation_date(absl::StrCat(class_year, "0630"));
  record.set_department(department);
  record.set_student_number(absl::StrFormat("%d%06d", class_year, serial));
  record.set_phone(absl::StrFormat("138%08d", serial));
  return record;
}

ApiClient::ApiClient(int port, const std::string& token)
    : http_(port), headers_{{"Authorization", absl::StrCat("Bearer ", token)}} {}

quxiang::testing::HttpResponse ApiClient::Get(const std::string& target) {
  return http_.Send("GET", target, "", headers_);
}

quxiang::testing::HttpResponse ApiClient::Post(const std::string& target, const std::string& body) {
  return http_.Send("POST", target, body, headers_);
}

quxiang::testing::HttpResponse ApiClient::Put(const std::string& target, const std::string& body) {
  return http_.Send("PUT", target, body, headers_);
}

SigningStack::~SigningStack() {
  if (gateway_) {
    gateway_->Signal(SIGTERM);
    gateway_->WaitExit(absl::Seconds(10));
  }
  for (grpc::Server* server :
       {server_.get(), warning_server_.get(), sync_server_.get(), accounts_server_.get(), ems_server_.get()}) {
    if (server != nullptr) server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  }
  runtime_.reset();
  warning_runtime_.reset();
  sync_runtime_.reset();
  accounts_runtime_.reset();
  ems_runtime_.reset();
}

std::unique_ptr<SigningStack> SigningStack::Start(const std::string& name, std::string* skip_reason) {
  std::unique_ptr<SigningStack> stack(new SigningStack());
  stack->database_ = quxiang::testing::TestDatabase::Create(name);
  stack->accounts_database_ = quxiang::testing::TestDatabase::Create(name + "_accounts");
  stack->sync_database_ = quxiang::testing::TestDatabase::Create(name + "_sync");
  stack->warning_database_ = quxiang::testing::TestDatabase::Create(name + "_warning");
  if (!stack->database_ || !stack->accounts_database_ || !stack->sync_database_ || !stack->warning_database_) {
    *skip_reason = "MYSQL_HOST is not set; scripts/test starts a database";
    return nullptr;
  }
  auto pool = db::Pool::Create(stack->database_->options());
  auto accounts_pool = db::Pool::Create(stack->accounts_database_->options());
  auto sync_pool = db::Pool::Create(stack->sync_database_->options());
  auto warning_pool = db::Pool::Create(stack->warning_database_->options());
  EXPECT_TRUE(warning_pool.ok()) << warning_pool.status();
  if (!warning_pool.ok()) return nullptr;
  stack->warning_pool_ = *std::move(warning_pool);
  EXPECT_TRUE(pool.ok()) << pool.status();
  EXPECT_TRUE(accounts_pool.ok()) << accounts_pool.status();
  EXPECT_TRUE(sync_pool.ok()) << sync_pool.status();
  if (!pool.ok() || !accounts_pool.ok() || !sync_pool.ok()) return nullptr;
  stack->pool_ = *std::move(pool);
  stack->accounts_pool_ = *std::move(accounts_pool);
  stack->sync_pool_ = *std::move(sync_pool);
  for (auto [pool_ptr, migrations] : {std::make_pair(stack->pool_.get(), &SigningMigrations()),
                                      std::make_pair(stack->accounts_pool_.get(), &accounts::Migrations()),
                                      std::make_pair(stack->sync_pool_.get(), &sync::Migrations()),
                                      std::make_pair(stack->warning_pool_.get(), &warning::Migrations())}) {
    absl::Status migrated = db::ApplyMigrations(*pool_ptr, *migrations);
    EXPECT_TRUE(migrated.ok()) << migrated;
    if (!migrated.ok()) return nullptr;
  }

  KeyPair keys = GenerateKeyPair();
  stack->signer_ = *identity::TokenSigner::FromPem(keys.private_pem);
  stack->verifier_ = *identity::TokenVerifier::FromPems({keys.public_pem});

  // The EMS simulator, which needs no identity token.
  stack->simulator_ = std::make_unique<ems_simulator::EmsSimulator>(Clock::Real(), /*seed=*/7);
  server::RuntimeOptions ems_runtime_options;
  ems_runtime_options.worker_threads = 2;
  stack->ems_runtime_ = std::make_unique<server::Runtime>(ems_runtime_options);
  stack->ems_service_ = std::make_unique<ems_simulator::EmsGrpcService>(*stack->simulator_, *stack->ems_runtime_);
  int ems_port = 0;
  stack->ems_server_ = StartServer(stack->ems_service_.get(), &ems_port);

  // The accounts service, with the secrets of "sync" and "signing".
  stack->accounts_ = std::make_unique<accounts::Accounts>(*stack->accounts_pool_, *stack->signer_, Clock::Real());
  stack->service_identities_ = std::make_unique<accounts::ServiceIdentities>(
      *stack->accounts_pool_, *stack->signer_, Clock::Real(),
      accounts::ServiceSecretDigests{{"sync", Sha256Hex(kSyncSecret)}, {"signing", Sha256Hex(kSigningSecret)}},
      absl::Minutes(5));
  stack->graduate_accounts_ = std::make_unique<accounts::GraduateAccounts>(
      *stack->accounts_pool_, Clock::Real(), "fixture-graduate-identity-key-0123456789abcdef");
  server::RuntimeOptions accounts_runtime_options;
  accounts_runtime_options.worker_threads = 4;
  accounts_runtime_options.verifier = stack->verifier_.get();
  stack->accounts_runtime_ = std::make_unique<server::Runtime>(accounts_runtime_options);
  stack->accounts_service_ = std::make_unique<accounts::AccountsGrpcService>(
      *stack->accounts_, *stack->accounts_runtime_, stack->service_identities_.get(), stack->graduate_accounts_.get());
  int accounts_port = 0;
  stack->accounts_server_ = StartServer(stack->accounts_service_.get(), &accounts_port);

  // The sync service; only the roster feed and the statistics matter here.
  stack->ems_client_ = std::make_unique<sync::GrpcEmsClient>(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", ems_port), grpc::InsecureChannelCredentials()));
  stack->sync_accounts_client_ = std::make_unique<sync::GrpcAccountsClient>(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", accounts_port), grpc::InsecureChannelCredentials()), "sync",
      kSyncSecret, Clock::Real());
  sync::RosterFeedOptions feed_options;
  feed_options.page_size = 100;
  stack->feed_ = std::make_unique<sync::RosterFeed>(*stack->sync_pool_, *stack->ems_client_,
                                                    *stack->sync_accounts_client_, Clock::Real(), feed_options);
  stack->graduates_ = std::make_unique<sync::Graduates>(*stack->sync_pool_, Clock::Real());
  stack->code_tables_ = std::make_unique<sync::CodeTableCatalog>(Clock::Real());
  stack->eligibility_ = std::make_unique<sync::EligibilityChecks>(*stack->sync_pool_, Clock::Real());
  stack->ledger_ = std::make_unique<sync::Ledger>(*stack->sync_pool_, Clock::Real());
  stack->reconciliation_ = std::make_unique<sync::Reconciliation>(*stack->sync_pool_, *stack->ems_client_, Clock::Real());
  stack->statistics_ = std::make_unique<sync::Statistics>(*stack->sync_pool_, Clock::Real());
  stack->events_ = std::make_unique<sync::EventFeed>(*stack->sync_pool_);
  stack->ems_relay_ = std::make_unique<sync::EmsRelay>(*stack->sync_pool_, *stack->ems_client_, Clock::Real());
  server::RuntimeOptions sync_runtime_options;
  sync_runtime_options.worker_threads = 4;
  sync_runtime_options.verifier = stack->verifier_.get();
  stack->sync_runtime_ = std::make_unique<server::Runtime>(sync_runtime_options);
  sync::SyncDomain domain;
  domain.graduates = stack->graduates_.get();
  domain.code_tables = stack->code_tables_.get();
  domain.eligibility = stack->eligibility_.get();
  domain.ledger = stack->ledger_.get();
  domain.reconciliation = stack->reconciliation_.get();
  domain.statistics = stack->statistics_.get();
  domain.events = stack->events_.get();
  stack->sync_service_ = std::make_unique<sync::SyncGrpcService>(domain, *stack->sync_runtime_);
  int sync_port = 0;
  stack->sync_server_ = StartServer(stack->sync_service_.get(), &sync_port);

  // The warning service, for the warned-employer flags of online signing.
  stack->warnings_ = std::make_unique<warning::Warnings>(*stack->warning_pool_, Clock::Real());
  server::RuntimeOptions warning_runtime_options;
  warning_runtime_options.worker_threads = 2;
  warning_runtime_options.verifier = stack->verifier_.get();
  stack->warning_runtime_ = std::make_unique<server::Runtime>(warning_runtime_options);
  stack->warning_service_ = std::make_unique<warning::WarningGrpcService>(*stack->warnings_, *stack->warning_runtime_);
  int warning_port = 0;
  stack->warning_server_ = StartServer(stack->warning_service_.get(), &warning_port);

  // The signing service, over the same kind of channels as in production.
  stack->directory_ = std::make_unique<GrpcSchoolDirectory>(
      CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", accounts_port)),
      CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", sync_port)),
      CreateRoundRobinChannel(absl::StrCat("127.0.0.1:", warning_port)), kSigningSecret, Clock::Real());
  stack->settings_ = std::make_unique<Settings>(*stack->pool_, *stack->directory_, Clock::Real());
  server::RuntimeOptions runtime_options;
  runtime_options.worker_threads = 8;
  runtime_options.verifier = stack->verifier_.get();
  stack->runtime_ = std::make_unique<server::Runtime>(runtime_options);
  auto renderer = agreement_pdf::AgreementRenderer::Create();
  EXPECT_TRUE(renderer.ok()) << renderer.status();
  if (!renderer.ok()) return nullptr;
  stack->renderer_ = *std::move(renderer);
  auto agreement_key = agreement_pdf::VerificationKey::Create(kAgreementKey);
  EXPECT_TRUE(agreement_key.ok()) << agreement_key.status();
  if (!agreement_key.ok()) return nullptr;
  stack->files_ = std::make_unique<filestore::MySqlFileStore>();
  stack->agreements_ = std::make_unique<Agreements>(*stack->renderer_, *std::move(agreement_key), *stack->files_,
                                                    AgreementsOptions{std::string(kVerificationUrl)});
  stack->online_signing_ =
      std::make_unique<OnlineSigning>(*stack->pool_, *stack->directory_, stack->clock_, *stack->agreements_);
  stack->documents_ = std::make_unique<AgreementDocuments>(*stack->pool_, *stack->agreements_, stack->clock_);
  stack->service_ = std::make_unique<SigningGrpcService>(*stack->settings_, *stack->online_signing_,
                                                         *stack->documents_, *stack->runtime_);
  stack->paper_registrations_ =
      std::make_unique<PaperRegistrations>(*stack->pool_, *stack->directory_, *stack->files_, stack->clock_);
  stack->paper_service_ = std::make_unique<PaperRegistrationGrpcService>(*stack->paper_registrations_, *stack->runtime_);
  stack->offline_signing_ = std::make_unique<OfflineSigning>(*stack->pool_, *stack->directory_, *stack->files_,
                                                             *stack->agreements_, stack->clock_);
  stack->offline_service_ = std::make_unique<OfflineSigningGrpcService>(*stack->offline_signing_, *stack->runtime_);
  stack->documents_->RegisterFlow(AgreementFlow::kOfflineSigning, OfflineAgreementParties);
  int grpc_port = 0;
  stack->server_ = StartSigningServer(
      {stack->service_.get(), stack->offline_service_.get(), stack->paper_service_.get()}, &grpc_port);
  EXPECT_GT(ems_port, 0);
  EXPECT_GT(accounts_port, 0);
  EXPECT_GT(sync_port, 0);
  EXPECT_GT(grpc_port, 0);
  stack->grpc_port_ = grpc_port;

  std::string folder = quxiang::testing::MakeTempDir("qx-gateway");
  std::string port_file = folder + "/port";
  stack->gateway_ = std::make_unique<quxiang::testing::ChildProcess>(
      quxiang::testing::BuildDir() + "/services/gateway/gateway",
      std::vector<std::string>{
          "--http_port=0", "--port_file=" + port_file,
          absl::StrCat("--backends=quxiang.signing.v1.SigningService=127.0.0.1:", grpc_port,
                       ",quxiang.signing.v1.OfflineSigningService=127.0.0.1:", grpc_port,
                       ",quxiang.signing.v1.PaperRegistrationService=127.0.0.1:", grpc_port),
          "--web_root=" + quxiang::testing::SourceDir() + "/web/placeholder"},
      std::map<std::string, std::string>{}, folder + "/gateway.log");
  stack->http_port_ = quxiang::testing::WaitForPortFile(port_file, absl::Seconds(20), stack->gateway_.get());
  EXPECT_GT(stack->http_port_, 0) << stack->gateway_->Log();
  if (stack->http_port_ == 0) return nullptr;
  return stack;
}

std::string SigningStack::Sign(common::v1::IdentityClaims claims) const {
  absl::Time now = absl::Now();
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(now + absl::Hours(1)));
  return signer_->Sign(claims);
}

template <typename Request, typename Response>
void SigningStack::AsOperator(absl::Status (accounts::Accounts::*method)(const accounts::RequestInfo&, const Request&,
                                                                         Response*),
                              const std::string& name, const Request& request, Response* response) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  claims.set_user_id("1");
  claims.set_username("operator");
  identity::Principal principal(claims);
  accounts::RequestInfo info;
  info.principal = &principal;
  info.method = absl::StrCat("/quxiang.accounts.v1.AccountsService/", name);
  info.deadline = absl::Now() + absl::Seconds(30);
  absl::Status status = (accounts_.get()->*method)(info, request, response);
  EXPECT_TRUE(status.ok()) << name << ": " << status;
}

std::string SigningStack::CreateSchool(const std::string& province_code, accounts::v1::AgreementType agreement_type,
                                       const std::string& school_code) {
  if (std::find(provinces_.begin(), provinces_.end(), province_code) == provinces_.end()) {
    provinces_.push_back(province_code);
    accounts::v1::CreateProvinceRequest create;
    create.set_request_id(absl::StrCat("province-", province_code));
    create.mutable_province()->set_code(province_code);
    create.mutable_province()->set_name(absl::StrCat("省份", province_code));
    accounts::v1::Province province;
    AsOperator(&accounts::Accounts::CreateProvince, "CreateProvince", create, &province);
    if (agreement_type != accounts::v1::AGREEMENT_TYPE_UNSPECIFIED) {
      accounts::v1::ConfigureProvinceRequest configure;
      configure.set_request_id(absl::StrCat("configure-", province_code));
      configure.set_province_code(province_code);
      configure.add_enabled_modules(common::v1::MODULE_EMPLOYMENT);
      configure.set_agreement_type(agreement_type);
      AsOperator(&accounts::Accounts::ConfigureProvince, "ConfigureProvince", configure, &province);
    }
  }
  accounts::v1::CreateSchoolRequest request;
  request.set_request_id(absl::StrCat("school-", school_code));
  request.mutable_school()->set_code(school_code);
  request.mutable_school()->set_name(absl::StrCat("测试大学", school_code));
  request.mutable_school()->set_province_code(province_code);
  accounts::v1::School school;
  AsOperator(&accounts::Accounts::CreateSchool, "CreateSchool", request, &school);
  return school.id();
}

std::string SigningStack::CreateDepartmentAccount(const std::string& school_id, const std::string& username,
                                                  const std::string& department, common::v1::Access employment) {
  accounts::v1::UpsertDepartmentsRequest departments;
  departments.set_request_id(absl::StrCat("departments-", username));
  departments.set_school_id(school_id);
  departments.add_names(department);
  accounts::v1::UpsertDepartmentsResponse upserted;
  AsOperator(&accounts::Accounts::UpsertDepartments, "UpsertDepartments", departments, &upserted);

  accounts::v1::CreateUserRequest request;
  request.set_request_id(absl::StrCat("user-", username));
  request.set_school_id(school_id);
  request.set_username(username);
  request.set_display_name(username);
  request.set_kind(common::v1::PRINCIPAL_KIND_DEPARTMENT);
  request.set_department_name(department);
  request.set_password(kPassword);
  auto* grant = request.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(employment);
  accounts::v1::User user;
  AsOperator(&accounts::Accounts::CreateUser, "CreateUser", request, &user);
  return user.id();
}

void SigningStack::DisableAccount(const std::string& school_id, const std::string& user_id) {
  accounts::v1::DisableUserRequest request;
  request.set_request_id(absl::StrCat("disable-", user_id));
  request.set_school_id(school_id);
  request.set_user_id(user_id);
  accounts::v1::User user;
  AsOperator(&accounts::Accounts::DisableUser, "DisableUser", request, &user);
}

void SigningStack::LoadRoster(const std::string& school_code, int class_year,
                              const std::vector<ems::v1::RosterGraduate>& records) {
  ems::v1::UpsertGraduatesRequest request;
  request.set_school_code(school_code);
  request.set_class_year(class_year);
  for (const auto& record : records) *request.add_graduates() = record;
  ems::v1::UploadRosterResponse report;
  absl::Status stored = simulator_->UpsertGraduates(request, &report);
  ASSERT_TRUE(stored.ok()) << stored;
  ASSERT_EQ(report.row_errors_size(), 0) << report.DebugString();
  absl::StatusOr<sync::RosterCounts> counts = feed_->Run();
  ASSERT_TRUE(counts.ok()) << counts.status();
}

void SigningStack::RemoveFromRoster(const std::string& school_code, const std::string& id_number) {
  ems::v1::RemoveGraduateRequest request;
  request.set_school_code(school_code);
  request.set_id_number(id_number);
  ems::v1::RosterChange change;
  absl::Status removed = simulator_->RemoveGraduate(request, &change);
  ASSERT_TRUE(removed.ok()) << removed;
  absl::StatusOr<sync::RosterCounts> counts = feed_->Run();
  ASSERT_TRUE(counts.ok()) << counts.status();
}

std::string SigningStack::RegisterEmployer(const std::string& credit_code, const std::string& name) {
  accounts::v1::RegisterEmployerRequest request;
  request.set_request_id(absl::StrCat("employer-", credit_code));
  request.set_credit_code(credit_code);
  request.set_name(name);
  request.set_contact_name("王经理");
  request.set_contact_phone("13800138000");
  request.set_username(absl::StrCat("employer", credit_code.substr(credit_code.size() - 6)));
  request.set_password(kPassword);
  accounts::v1::Employer employer;
  accounts::RequestInfo info;
  info.method = "/quxiang.accounts.v1.AccountsService/RegisterEmployer";
  info.deadline = absl::Now() + absl::Seconds(30);
  absl::Status status = accounts_->RegisterEmployer(info, request, &employer);
  EXPECT_TRUE(status.ok()) << status;
  return employer.id();
}

void SigningStack::DeliverToEms() {
  for (int round = 0; round < 20; ++round) {
    absl::StatusOr<int> delivered = ems_relay_->DeliverOnce();
    ASSERT_TRUE(delivered.ok()) << delivered.status();
    if (*delivered == 0) return;
  }
  FAIL() << "the EMS relay still had events after 20 rounds";
}

std::string SigningStack::EmsDestinationCode(const std::string& school_code, const std::string& id_number) {
  ems::v1::ListDestinationsRequest request;
  request.set_school_code(school_code);
  request.set_page_size(1000);
  ems::v1::ListDestinationsResponse response;
  absl::Status status = simulator_->ListDestinations(absl::Now() + absl::Seconds(10), request, &response);
  EXPECT_TRUE(status.ok()) << status;
  for (const ems::v1::EmsDestinationRecord& record : response.destinations()) {
    if (record.id_number() == id_number) return record.destination().destination_code();
  }
  return "";
}

ems::v1::Destination SigningStack::EmsDestination(const std::string& school_code, const std::string& id_number) {
  ems::v1::ListDestinationsRequest request;
  request.set_school_code(school_code);
  request.set_page_size(1000);
  ems::v1::ListDestinationsResponse response;
  absl::Status status = simulator_->ListDestinations(absl::Now() + absl::Seconds(10), request, &response);
  EXPECT_TRUE(status.ok()) << status;
  for (const ems::v1::EmsDestinationRecord& record : response.destinations()) {
    if (record.id_number() == id_number) return record.destination();
  }
  return ems::v1::Destination();
}

void SigningStack::MarkEmployerWarned(const std::string& school_id, const std::string& credit_code) {
  common::v1::IdentityClaims claims = SchoolUser(school_id, "warning-marker-" + school_id);
  identity::Principal principal(claims);
  warning::RequestInfo info;
  info.principal = &principal;
  info.method = "/quxiang.warning.v1.WarningService/CreateWarningMark";
  info.deadline = absl::Now() + absl::Seconds(30);
  warning::v1::CreateWarningMarkRequest request;
  request.set_request_id(absl::StrCat("mark-", school_id, "-", credit_code));
  request.set_school_id(school_id);
  request.set_credit_code(credit_code);
  request.set_category(warning::v1::WARNING_CATEGORY_VIOLATION);
  warning::v1::WarningMark mark;
  absl::Status status = warnings_->CreateWarningMark(info, request, &mark);
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace quxiang::signing::testing

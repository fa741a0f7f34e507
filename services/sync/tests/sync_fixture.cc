#include "services/sync/tests/sync_fixture.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "libs/testing/keys.h"
#include "libs/validation/validation.h"
#include "services/accounts/migrations.h"
#include "services/sync/migrations.h"

namespace quxiang::sync::testing {
namespace {

using ::quxiang::testing::GenerateKeyPair;
using ::quxiang::testing::KeyPair;

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
  auto* grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(employment);
  return claims;
}

// The principal the fixture uses to create provinces and schools in accounts.
accounts::RequestInfo OperatorInfo(const identity::Principal& principal, const std::string& method) {
  accounts::RequestInfo info;
  info.principal = &principal;
  info.method = method;
  info.deadline = absl::Now() + absl::Seconds(30);
  return info;
}

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

}  // namespace

absl::Time StartTime() {
  return absl::FromCivil(absl::CivilSecond(2025, 3, 1, 10, 0, 0), BeijingTimeZone());
}

common::v1::IdentityClaims SchoolUser(const std::string& school_id, const std::string& user_id,
                                      common::v1::Access employment) {
  return StaffClaims(common::v1::PRINCIPAL_KIND_SCHOOL, school_id, user_id, employment);
}

common::v1::IdentityClaims DepartmentUser(const std::string& school_id, const std::string& user_id,
                                          const std::string& department_name, common::v1::Access employment) {
  common::v1::IdentityClaims claims = StaffClaims(common::v1::PRINCIPAL_KIND_DEPARTMENT, school_id, user_id, employment);
  claims.set_department_id(absl::StrCat(school_id, "-", department_name.size()));
  claims.set_department_name(department_name);
  return claims;
}

common::v1::IdentityClaims GraduateUser(const std::string& school_id, const std::string& graduate_id) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
  claims.set_user_id(absl::StrCat("graduate-user-", graduate_id));
  claims.set_username(claims.user_id());
  claims.set_school_id(school_id);
  claims.set_graduate_id(graduate_id);
  return claims;
}

common::v1::IdentityClaims ServicePrincipal(const std::string& service_name) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_SERVICE);
  claims.set_service_name(service_name);
  claims.set_user_id(absl::StrCat("service:", service_name));
  claims.set_username(service_name);
  return claims;
}

std::string IdNumber(int serial) {
  std::string first17 = absl::StrFormat("110105%04d%02d%02d%03d", 2000 + (serial / 336000) % 5, 1 + (serial / 28) % 12,
                                        1 + serial % 28, (serial / 336) % 1000);
  return first17 + validation::IdNumberCheckDigit(first17);
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

std::vector<google::protobuf::Struct> Items(const quxiang::testing::HttpResponse& response, const std::string& name) {
  std::vector<google::protobuf::Struct> items;
  google::protobuf::Struct json = response.Json();
  auto it = json.fields().find(name);
  if (it == json.fields().end()) return items;
  for (const auto& value : it->second.list_value().values()) items.push_back(value.struct_value());
  return items;
}

std::string Field(const google::protobuf::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end()) return "";
  if (it->second.has_string_value()) return it->second.string_value();
  if (it->second.has_number_value()) return std::to_string(static_cast<long long>(it->second.number_value()));
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  return "";
}

std::string UrlEncode(const std::string& text) {
  std::string encoded;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return encoded;
}

ApiClient::ApiClient(int port, const std::string& token)
    : http_(port), headers_{{"Authorization", absl::StrCat("Bearer ", token)}} {}

quxiang::testing::HttpResponse ApiClient::Get(const std::string& target) {
  return http_.Send("GET", target, "", headers_);
}

quxiang::testing::HttpResponse ApiClient::Post(const std::string& target, const std::string& body) {
  return http_.Send("POST", target, body, headers_);
}

SyncStack::SyncStack() : clock_(StartTime()) {}

SyncStack::~SyncStack() {
  if (gateway_) {
    gateway_->Signal(SIGTERM);
    gateway_->WaitExit(absl::Seconds(10));
  }
  for (grpc::Server* server : {server_.get(), accounts_server_.get(), ems_server_.get()}) {
    if (server != nullptr) server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  }
  runtime_.reset();
  accounts_runtime_.reset();
  ems_runtime_.reset();
}

std::unique_ptr<SyncStack> SyncStack::Start(const std::string& name, std::string* skip_reason) {
  std::unique_ptr<SyncStack> stack(new SyncStack());
  stack->database_ = quxiang::testing::TestDatabase::Create(name);
  stack->accounts_database_ = quxiang::testing::TestDatabase::Create(name + "_accounts");
  if (!stack->database_ || !stack->accounts_database_) {
    *skip_reason = "MYSQL_HOST is not set; scripts/test starts a database";
    return nullptr;
  }
  auto pool = db::Pool::Create(stack->database_->options());
  auto accounts_pool = db::Pool::Create(stack->accounts_database_->options());
  EXPECT_TRUE(pool.ok()) << pool.status();
  EXPECT_TRUE(accounts_pool.ok()) << accounts_pool.status();
  if (!pool.ok() || !accounts_pool.ok()) return nullptr;
  stack->pool_ = *std::move(pool);
  stack->accounts_pool_ = *std::move(accounts_pool);
  absl::Status migrated = db::ApplyMigrations(*stack->pool_, Migrations());
  EXPECT_TRUE(migrated.ok()) << migrated;
  absl::Status accounts_migrated = db::ApplyMigrations(*stack->accounts_pool_, accounts::Migrations());
  EXPECT_TRUE(accounts_migrated.ok()) << accounts_migrated;
  if (!migrated.ok() || !accounts_migrated.ok()) return nullptr;

  KeyPair keys = GenerateKeyPair();
  stack->signer_ = *identity::TokenSigner::FromPem(keys.private_pem);
  stack->verifier_ = *identity::TokenVerifier::FromPems({keys.public_pem});

  // The EMS simulator, which needs no identity token.
  stack->simulator_ = std::make_unique<ems_simulator::EmsSimulator>(Clock::Real(), /*seed=*/7);
  server::RuntimeOptions ems_runtime_options;
  ems_runtime_options.worker_threads = 4;
  stack->ems_runtime_ = std::make_unique<server::Runtime>(ems_runtime_options);
  stack->ems_service_ = std::make_unique<ems_simulator::EmsGrpcService>(*stack->simulator_, *stack->ems_runtime_);
  int ems_port = 0;
  stack->ems_server_ = StartServer(stack->ems_service_.get(), &ems_port);

  // The accounts service, with the secret of "sync" in its service secrets.
  stack->accounts_ = std::make_unique<accounts::Accounts>(*stack->accounts_pool_, *stack->signer_, Clock::Real());
  stack->service_identities_ = std::make_unique<accounts::ServiceIdentities>(
      *stack->accounts_pool_, *stack->signer_, Clock::Real(),
      accounts::ServiceSecretDigests{{"sync", Sha256Hex(kSyncSecret)}}, absl::Minutes(5));
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

  // The sync service on the fake clock.
  stack->ems_client_ = std::make_unique<GrpcEmsClient>(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", ems_port), grpc::InsecureChannelCredentials()));
  stack->accounts_client_ = std::make_unique<GrpcAccountsClient>(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", accounts_port), grpc::InsecureChannelCredentials()), "sync",
      kSyncSecret, Clock::Real());
  RosterFeedOptions feed_options;
  feed_options.page_size = 100;
  stack->feed_ = std::make_unique<RosterFeed>(*stack->pool_, *stack->ems_client_, *stack->accounts_client_,
                                              stack->clock_, feed_options);
  stack->graduates_ = std::make_unique<Graduates>(*stack->pool_, stack->clock_);
  stack->code_tables_ = std::make_unique<CodeTableCatalog>(stack->clock_);
  stack->eligibility_ = std::make_unique<EligibilityChecks>(*stack->pool_, stack->clock_);
  stack->ledger_ = std::make_unique<Ledger>(*stack->pool_, stack->clock_);
  stack->reconciliation_ = std::make_unique<Reconciliation>(*stack->pool_, *stack->ems_client_, stack->clock_);
  stack->statistics_ = std::make_unique<Statistics>(*stack->pool_, stack->clock_);
  stack->events_ = std::make_unique<EventFeed>(*stack->pool_);
  RelayOptions relay_options;
  relay_options.initial_backoff = absl::Seconds(1);
  relay_options.max_backoff = absl::Seconds(8);
  stack->accounts_relay_ =
      std::make_unique<AccountsRelay>(*stack->pool_, *stack->accounts_client_, stack->clock_, relay_options);
  stack->ems_relay_ = std::make_unique<EmsRelay>(*stack->pool_, *stack->ems_client_, stack->clock_, relay_options);

  server::RuntimeOptions runtime_options;
  runtime_options.worker_threads = 8;
  runtime_options.verifier = stack->verifier_.get();
  stack->runtime_ = std::make_unique<server::Runtime>(runtime_options);
  SyncDomain domain;
  domain.graduates = stack->graduates_.get();
  domain.code_tables = stack->code_tables_.get();
  domain.eligibility = stack->eligibility_.get();
  domain.ledger = stack->ledger_.get();
  domain.reconciliation = stack->reconciliation_.get();
  domain.statistics = stack->statistics_.get();
  domain.events = stack->events_.get();
  stack->ems_comparison_ = std::make_unique<EmsComparison>(*stack->pool_, *stack->ems_client_, stack->clock_);
  domain.ems_comparison = stack->ems_comparison_.get();
  stack->service_ = std::make_unique<SyncGrpcService>(domain, *stack->runtime_);
  int grpc_port = 0;
  stack->server_ = StartServer(stack->service_.get(), &grpc_port);
  EXPECT_GT(ems_port, 0);
  EXPECT_GT(accounts_port, 0);
  EXPECT_GT(grpc_port, 0);

  std::string folder = quxiang::testing::MakeTempDir("qx-gateway");
  std::string port_file = folder + "/port";
  stack->gateway_ = std::make_unique<quxiang::testing::ChildProcess>(
      quxiang::testing::BuildDir() + "/services/gateway/gateway",
      std::vector<std::string>{
          "--http_port=0", "--port_file=" + port_file,
          absl::StrCat("--backends=quxiang.sync.v1.SyncService=127.0.0.1:", grpc_port,
                       ",quxiang.accounts.v1.AccountsService=127.0.0.1:", accounts_port),
          "--web_root=" + quxiang::testing::SourceDir() + "/web/placeholder"},
      std::map<std::string, std::string>{}, folder + "/gateway.log");
  stack->http_port_ = quxiang::testing::WaitForPortFile(port_file, absl::Seconds(20), stack->gateway_.get());
  EXPECT_GT(stack->http_port_, 0) << stack->gateway_->Log();
  if (stack->http_port_ == 0) return nullptr;
  return stack;
}

std::string SyncStack::Sign(common::v1::IdentityClaims claims) const {
  absl::Time now = absl::Now();
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(now + absl::Hours(1)));
  return signer_->Sign(claims);
}

std::string SyncStack::CreateSchool(const std::string& code, const std::string& name) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  claims.set_user_id("1");
  claims.set_username("operator");
  identity::Principal principal(claims);
  if (!province_created_) {
    accounts::v1::CreateProvinceRequest request;
    request.set_request_id("province-41");
    request.mutable_province()->set_code("41");
    request.mutable_province()->set_name("河南省");
    accounts::v1::Province province;
    absl::Status created = accounts_->CreateProvince(
        OperatorInfo(principal, "/quxiang.accounts.v1.AccountsService/CreateProvince"), request, &province);
    EXPECT_TRUE(created.ok()) << created;
    province_created_ = true;
  }
  accounts::v1::CreateSchoolRequest request;
  request.set_request_id(absl::StrCat("school-", code));
  request.mutable_school()->set_code(code);
  request.mutable_school()->set_name(name);
  request.mutable_school()->set_province_code("41");
  accounts::v1::School school;
  absl::Status created = accounts_->CreateSchool(
      OperatorInfo(principal, "/quxiang.accounts.v1.AccountsService/CreateSchool"), request, &school);
  EXPECT_TRUE(created.ok()) << created;
  return school.id();
}

void SyncStack::UploadRoster(const std::string& school_code, int class_year,
                             const std::vector<ems::v1::RosterGraduate>& records) {
  ems::v1::UpsertGraduatesRequest request;
  request.set_school_code(school_code);
  request.set_class_year(class_year);
  for (const auto& record : records) *request.add_graduates() = record;
  ems::v1::UploadRosterResponse report;
  absl::Status stored = simulator_->UpsertGraduates(request, &report);
  ASSERT_TRUE(stored.ok()) << stored;
  ASSERT_EQ(report.row_errors_size(), 0) << report.DebugString();
}

RosterCounts SyncStack::RunRosterFeed() {
  absl::StatusOr<RosterCounts> counts = feed_->Run();
  EXPECT_TRUE(counts.ok()) << counts.status();
  return counts.ok() ? *counts : RosterCounts();
}

std::string SyncStack::GraduateIdOf(const std::string& school_id, const std::string& id_number) {
  auto row = pool_->Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
    return s.QueryOne("SELECT id FROM graduates WHERE school_id = ? AND id_number = ?",
                      {static_cast<int64_t>(std::stoll(school_id)), id_number});
  });
  EXPECT_TRUE(row.ok()) << row.status();
  if (!row.ok() || !*row) return "";
  return (*row)->String(0);
}

}  // namespace quxiang::sync::testing

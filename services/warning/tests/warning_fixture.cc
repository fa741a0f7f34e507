#include "services/warning/tests/warning_fixture.h"


#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "libs/validation/validation.h"
#include "services/warning/migrations.h"

namespace quxiang::warning::testing {
namespace {

common::v1::IdentityClaims StaffClaims(common::v1::PrincipalKind kind, const std::string& school_id,
                                       const std::string& user_id, common::v1::Access employment) {
  common::v1::IdentityClaims claims;
  claims.set_kind(kind);
  claims.set_user_id(user_id);
  claims.set_username(user_id);
  claims.set_school_id(school_id);
  claims.set_province_code("11");
  if (kind == common::v1::PRINCIPAL_KIND_DEPARTMENT) {
    claims.set_department_id(absl::StrCat(school_id, "01"));
    claims.set_department_name("计算机学院");
  }
  auto* grant = claims.add_grants();
  grant->set_module(common::v1::MODULE_EMPLOYMENT);
  grant->set_access(employment);
  return claims;
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

common::v1::IdentityClaims Graduate(const std::string& school_id, const std::string& user_id) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
  claims.set_user_id(user_id);
  claims.set_username(user_id);
  claims.set_school_id(school_id);
  claims.set_graduate_id(absl::StrCat("g-", user_id));
  return claims;
}

common::v1::IdentityClaims PrincipalOfKind(common::v1::PrincipalKind kind, const std::string& user_id) {
  common::v1::IdentityClaims claims;
  claims.set_kind(kind);
  claims.set_user_id(user_id);
  claims.set_username(user_id);
  if (kind == common::v1::PRINCIPAL_KIND_PROVINCE) claims.set_province_code("11");
  if (kind == common::v1::PRINCIPAL_KIND_EMPLOYER) claims.set_employer_id("7");
  return claims;
}

std::string CreditCode(int serial) {
  // 9 (registered by the market regulator), 1 (enterprise), 110108 (北京市海淀区), then a
  // 9-digit organisation code made of the serial, and the GB 32100 check character.
  std::string first17 = absl::StrFormat("91110108%09d", serial);
  return first17 + validation::CreditCodeCheckCharacter(first17);
}

ApiClient::ApiClient(int port, const std::string& token)
    : http_(port), headers_{{"Authorization", absl::StrCat("Bearer ", token)}} {}

quxiang::testing::HttpResponse ApiClient::Get(const std::string& target) {
  return http_.Send("GET", target, "", headers_);
}

quxiang::testing::HttpResponse ApiClient::Post(const std::string& target, const std::string& body) {
  return http_.Send("POST", target, body, headers_);
}

quxiang::testing::HttpResponse ApiClient::Patch(const std::string& target, const std::string& body) {
  return http_.Send("PATCH", target, body, headers_);
}

quxiang::testing::HttpResponse ApiClient::Delete(const std::string& target) {
  return http_.Send("DELETE", target, "", headers_);
}

WarningStack::~WarningStack() {
  if (gateway_) {
    gateway_->Signal(SIGTERM);
    gateway_->WaitExit(absl::Seconds(10));
  }
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  runtime_.reset();
}

std::unique_ptr<WarningStack> WarningStack::Start(const std::string& name, std::string* skip_reason) {
  std::unique_ptr<WarningStack> stack(new WarningStack());
  stack->database_ = quxiang::testing::TestDatabase::Create(name);
  if (!stack->database_) {
    *skip_reason = "MYSQL_HOST is not set; scripts/test starts a database";
    return nullptr;
  }
  auto pool = db::Pool::Create(stack->database_->options());
  EXPECT_TRUE(pool.ok()) << pool.status();
  if (!pool.ok()) return nullptr;
  stack->pool_ = *std::move(pool);
  absl::Status migrated = db::ApplyMigrations(*stack->pool_, Migrations());
  EXPECT_TRUE(migrated.ok()) << migrated;
  if (!migrated.ok()) return nullptr;

  stack->keys_ = GenerateKeyPair();
  stack->signer_ = *identity::TokenSigner::FromPem(stack->keys_.private_pem);
  stack->verifier_ = *identity::TokenVerifier::FromPems({stack->keys_.public_pem});
  stack->warnings_ = std::make_unique<Warnings>(*stack->pool_, Clock::Real());

  server::RuntimeOptions runtime_options;
  runtime_options.worker_threads = 8;
  runtime_options.verifier = stack->verifier_.get();
  stack->runtime_ = std::make_unique<server::Runtime>(runtime_options);
  stack->service_ = std::make_unique<WarningGrpcService>(*stack->warnings_, *stack->runtime_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &stack->grpc_port_);
  builder.RegisterService(stack->service_.get());
  stack->server_ = builder.BuildAndStart();
  EXPECT_GT(stack->grpc_port_, 0);

  std::string folder = quxiang::testing::MakeTempDir("qx-gateway");
  std::string port_file = folder + "/port";
  stack->gateway_ = std::make_unique<quxiang::testing::ChildProcess>(
      quxiang::testing::BuildDir() + "/services/gateway/gateway",
      std::vector<std::string>{
          "--http_port=0", "--port_file=" + port_file,
          absl::StrCat("--backends=quxiang.warning.v1.WarningService=127.0.0.1:", stack->grpc_port_),
          "--web_root=" + quxiang::testing::SourceDir() + "/web/placeholder"},
      std::map<std::string, std::string>{}, folder + "/gateway.log");
  stack->http_port_ = quxiang::testing::WaitForPortFile(port_file, absl::Seconds(20), stack->gateway_.get());
  EXPECT_GT(stack->http_port_, 0) << stack->gateway_->Log();
  if (stack->http_port_ == 0) return nullptr;
  return stack;
}

std::string WarningStack::Sign(common::v1::IdentityClaims claims) const {
  absl::Time now = absl::Now();
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(now + absl::Hours(1)));
  return signer_->Sign(claims);
}

}  // namespace quxiang::warning::testing

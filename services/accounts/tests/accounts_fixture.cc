#include "services/accounts/tests/accounts_fixture.h"


#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/migrations.h"
#include "services/accounts/migrations.h"

namespace quxiang::accounts::testing {

AccountsStack::AccountsStack() : clock_(absl::Now()) {}

AccountsStack::~AccountsStack() {
  if (gateway_) {
    gateway_->Signal(SIGTERM);
    gateway_->WaitExit(absl::Seconds(10));
  }
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  runtime_.reset();
}

std::unique_ptr<AccountsStack> AccountsStack::Start(const std::string& name, std::string* skip_reason) {
  std::unique_ptr<AccountsStack> stack(new AccountsStack());
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

  stack->keys_ = GenerateKeyPair();
  stack->signer_ = *identity::TokenSigner::FromPem(stack->keys_.private_pem);
  stack->verifier_ = *identity::TokenVerifier::FromPems({stack->keys_.public_pem});

  stack->accounts_ = std::make_unique<Accounts>(*stack->pool_, *stack->signer_, stack->clock_);
  absl::Status bootstrapped = stack->accounts_->BootstrapOperator(kOperatorPassword);
  EXPECT_TRUE(bootstrapped.ok()) << bootstrapped;

  server::RuntimeOptions runtime_options;
  runtime_options.worker_threads = 4;
  runtime_options.verifier = stack->verifier_.get();
  runtime_options.clock = &stack->clock_;
  stack->runtime_ = std::make_unique<server::Runtime>(runtime_options);
  stack->service_ = std::make_unique<AccountsGrpcService>(*stack->accounts_, *stack->runtime_);
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
          absl::StrCat("--backends=quxiang.accounts.v1.AccountsService=127.0.0.1:", stack->grpc_port_),
          "--web_root=" + quxiang::testing::SourceDir() + "/web/placeholder"},
      std::map<std::string, std::string>{}, folder + "/gateway.log");
  stack->http_port_ = quxiang::testing::WaitForPortFile(port_file, absl::Seconds(20), stack->gateway_.get());
  EXPECT_GT(stack->http_port_, 0) << stack->gateway_->Log();
  if (stack->http_port_ == 0) return nullptr;
  return stack;
}

std::shared_ptr<grpc::Channel> AccountsStack::channel() const {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_), grpc::InsecureChannelCredentials());
}

quxiang::testing::HttpClient AccountsStack::LoggedIn(const std::string& username, const std::string& password) const {
  quxiang::testing::HttpClient client = NewHttpClient();
  auto response = client.Login(username, password);
  EXPECT_EQ(response.status, 200) << username << ": " << response.body;
  return client;
}

}  // namespace quxiang::accounts::testing

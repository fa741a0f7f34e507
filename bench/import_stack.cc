#include "bench/import_stack.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/db/migrations.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/testing/keys.h"
#include "services/accounts/migrations.h"
#include "services/sync/migrations.h"

namespace quxiang::bench {
namespace {

// The secret with which the feed's accounts client gets its SERVICE token.
constexpr char kSyncSecret[] = "bench-sync-secret";

// A Session that forwards to another and reports the time of every statement to `pool`.
class TimedSession final : public db::Session {
 public:
  TimedSession(db::Session& inner, TimedPool& pool) : inner_(inner), pool_(pool) {}

  absl::StatusOr<std::vector<db::Row>> Query(absl::string_view sql, const std::vector<db::Param>& params) override {
    absl::Time start = absl::Now();
    auto rows = inner_.Query(sql, params);
    pool_.AddStatement(sql, absl::Now() - start);
    return rows;
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const std::vector<db::Param>& params) override {
    absl::Time start = absl::Now();
    auto affected = inner_.Execute(sql, params);
    pool_.AddStatement(sql, absl::Now() - start);
    return affected;
  }

  absl::StatusOr<int64_t> LastInsertId() override { return inner_.LastInsertId(); }

  absl::Status ExecuteRaw(absl::string_view sql) override {
    absl::Time start = absl::Now();
    absl::Status status = inner_.ExecuteRaw(sql);
    pool_.AddStatement(sql, absl::Now() - start);
    return status;
  }

 private:
  db::Session& inner_;
  TimedPool& pool_;
};

// The first 50 characters of `sql`, and of its FROM clause when it has one, so that SELECTs of
// the same columns from different tables differ.
std::string StatementKey(absl::string_view sql) {
  std::string key(sql.substr(0, 50));
  size_t from = sql.find(" FROM ");
  if (from != absl::string_view::npos && from >= 50) absl::StrAppend(&key, " ...", sql.substr(from, 50));
  return key;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::unique_ptr<grpc::Server> StartServer(const std::vector<grpc::Service*>& services, int max_receive_bytes,
                                          int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.SetMaxReceiveMessageSize(max_receive_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  return builder.BuildAndStart();
}

accounts::RequestInfo OperatorInfo(const identity::Principal& principal, const std::string& method) {
  accounts::RequestInfo info;
  info.principal = &principal;
  info.method = method;
  info.deadline = absl::Now() + absl::Seconds(30);
  return info;
}

}  // namespace

TimedPool::TimedPool(db::Pool& inner) : inner_(inner) { database_ = inner.database(); }

absl::Status TimedPool::Transaction(absl::Time deadline, const std::function<absl::Status(db::Session&)>& work) {
  absl::Duration in_work;
  absl::Time start = absl::Now();
  absl::Status status = inner_.Transaction(deadline, [&](db::Session& session) {
    absl::Time work_start = absl::Now();
    TimedSession timed(session, *this);
    absl::Status result = work(timed);
    in_work += absl::Now() - work_start;
    return result;
  });
  absl::Duration overhead = absl::Now() - start - in_work;
  std::lock_guard<std::mutex> lock(mutex_);
  transaction_overhead_.total += overhead;
  ++transaction_overhead_.calls;
  return status;
}

absl::Status TimedPool::Run(absl::Time deadline, const std::function<absl::Status(db::Session&)>& work) {
  return inner_.Run(deadline, [&](db::Session& session) {
    TimedSession timed(session, *this);
    return work(timed);
  });
}

void TimedPool::AddStatement(absl::string_view sql, absl::Duration elapsed) {
  std::lock_guard<std::mutex> lock(mutex_);
  statements_.total += elapsed;
  ++statements_.calls;
  CallTimes& same_text = by_text_[StatementKey(sql)];
  same_text.total += elapsed;
  ++same_text.calls;
}

std::vector<std::pair<std::string, CallTimes>> TimedPool::StatementsByText() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, CallTimes>> statements(by_text_.begin(), by_text_.end());
  std::sort(statements.begin(), statements.end(),
            [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
  return statements;
}

CallTimes TimedPool::statements() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return statements_;
}

CallTimes TimedPool::transaction_overhead() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return transaction_overhead_;
}

void TimedPool::ResetTimes() {
  std::lock_guard<std::mutex> lock(mutex_);
  statements_ = {};
  transaction_overhead_ = {};
  by_text_.clear();
}

absl::Status TimedEmsClient::ListRosterChanges(absl::Time deadline, const ems::v1::ListRosterChangesRequest& request,
                                               ems::v1::ListRosterChangesResponse* response) {
  absl::Time start = absl::Now();
  absl::Status status = inner_.ListRosterChanges(deadline, request, response);
  absl::Duration elapsed = absl::Now() - start;
  std::lock_guard<std::mutex> lock(mutex_);
  list_calls_.total += elapsed;
  ++list_calls_.calls;
  list_bytes_ += static_cast<int64_t>(response->ByteSizeLong());
  return status;
}

CallTimes TimedEmsClient::list_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return list_calls_;
}

int64_t TimedEmsClient::list_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return list_bytes_;
}

void TimedEmsClient::ResetTimes() {
  std::lock_guard<std::mutex> lock(mutex_);
  list_calls_ = {};
  list_bytes_ = 0;
}

absl::StatusOr<std::unique_ptr<ImportStack>> ImportStack::Start(const ImportStackOptions& options) {
  std::unique_ptr<ImportStack> stack(new ImportStack());
  stack->database_ = testing::TestDatabase::Create("bench_sync");
  stack->accounts_database_ = testing::TestDatabase::Create("bench_accounts");
  if (!stack->database_ || !stack->accounts_database_) {
    return absl::NotFoundError("MYSQL_HOST is not set; bench/roster-import starts a database");
  }
  ASSIGN_OR_RETURN(stack->pool_, db::Pool::Create(stack->database_->options()));
  ASSIGN_OR_RETURN(stack->accounts_pool_, db::Pool::Create(stack->accounts_database_->options()));
  RETURN_IF_ERROR(db::ApplyMigrations(*stack->pool_, sync::Migrations()));
  RETURN_IF_ERROR(db::ApplyMigrations(*stack->accounts_pool_, accounts::Migrations()));
  stack->timed_pool_ = std::make_unique<TimedPool>(*stack->pool_);

  testing::KeyPair keys = testing::GenerateKeyPair();
  ASSIGN_OR_RETURN(stack->signer_, identity::TokenSigner::FromPem(keys.private_pem));
  ASSIGN_OR_RETURN(stack->verifier_, identity::TokenVerifier::FromPems({keys.public_pem}));

  // The EMS simulator with its control service, which takes the roster file.
  stack->simulator_ = std::make_unique<ems_simulator::EmsSimulator>(Clock::Real(), /*seed=*/7);
  server::RuntimeOptions ems_runtime_options;
  ems_runtime_options.worker_threads = 4;
  ems_runtime_options.default_deadline = absl::Minutes(10);
  stack->ems_runtime_ = std::make_unique<server::Runtime>(ems_runtime_options);
  stack->ems_service_ = std::make_unique<ems_simulator::EmsGrpcService>(*stack->simulator_, *stack->ems_runtime_);
  stack->control_service_ =
      std::make_unique<ems_simulator::EmsSimulatorControlGrpcService>(*stack->simulator_, *stack->ems_runtime_);
  int ems_port = 0;
  stack->ems_server_ = StartServer({stack->ems_service_.get(), stack->control_service_.get()},
                                   options.max_receive_message_bytes, &ems_port);
  if (stack->ems_server_ == nullptr || ems_port == 0) return absl::InternalError("the EMS simulator's server did not start");
  auto ems_channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", ems_port), grpc::InsecureChannelCredentials());
  stack->control_ = ems::v1::EmsSimulatorControl::NewStub(ems_channel);

  // The accounts service, which knows the secret of "sync".
  stack->accounts_ = std::make_unique<accounts::Accounts>(*stack->accounts_pool_, *stack->signer_, Clock::Real());
  stack->service_identities_ = std::make_unique<accounts::ServiceIdentities>(
      *stack->accounts_pool_, *stack->signer_, Clock::Real(),
      accounts::ServiceSecretDigests{{"sync", Sha256Hex(kSyncSecret)}}, absl::Minutes(5));
  server::RuntimeOptions accounts_runtime_options;
  accounts_runtime_options.worker_threads = 4;
  accounts_runtime_options.verifier = stack->verifier_.get();
  stack->accounts_runtime_ = std::make_unique<server::Runtime>(accounts_runtime_options);
  stack->accounts_service_ = std::make_unique<accounts::AccountsGrpcService>(
      *stack->accounts_, *stack->accounts_runtime_, stack->service_identities_.get());
  int accounts_port = 0;
  stack->accounts_server_ = StartServer({stack->accounts_service_.get()}, 4 << 20, &accounts_port);
  if (stack->accounts_server_ == nullptr || accounts_port == 0) {
    return absl::InternalError("the accounts service's server did not start");
  }

  // The sync service's roster feed on the timed pool and EMS client.
  stack->ems_client_ = std::make_unique<sync::GrpcEmsClient>(ems_channel);
  stack->timed_ems_ = std::make_unique<TimedEmsClient>(*stack->ems_client_);
  stack->accounts_client_ = std::make_unique<sync::GrpcAccountsClient>(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", accounts_port), grpc::InsecureChannelCredentials()), "sync",
      kSyncSecret, Clock::Real());
  sync::RosterFeedOptions feed_options;
  feed_options.page_size = options.page_size;
  stack->feed_ = std::make_unique<sync::RosterFeed>(*stack->timed_pool_, *stack->timed_ems_, *stack->accounts_client_,
                                                    Clock::Real(), feed_options);
  return stack;
}

ImportStack::~ImportStack() {
  for (grpc::Server* server : {accounts_server_.get(), ems_server_.get()}) {
    if (server != nullptr) server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  }
  accounts_runtime_.reset();
  ems_runtime_.reset();
}

absl::StatusOr<int64_t> ImportStack::CreateSchool(const std::string& code, const std::string& name) {
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  claims.set_user_id("1");
  claims.set_username("operator");
  identity::Principal principal(claims);

  accounts::v1::CreateProvinceRequest province_request;
  province_request.set_request_id("bench-province-41");
  province_request.mutable_province()->set_code("41");
  province_request.mutable_province()->set_name("河南省");
  accounts::v1::Province province;
  RETURN_IF_ERROR(accounts_->CreateProvince(
      OperatorInfo(principal, "/quxiang.accounts.v1.AccountsService/CreateProvince"), province_request, &province));

  accounts::v1::CreateSchoolRequest school_request;
  school_request.set_request_id(absl::StrCat("bench-school-", code));
  school_request.mutable_school()->set_code(code);
  school_request.mutable_school()->set_name(name);
  school_request.mutable_school()->set_province_code("41");
  accounts::v1::School school;
  RETURN_IF_ERROR(accounts_->CreateSchool(OperatorInfo(principal, "/quxiang.accounts.v1.AccountsService/CreateSchool"),
                                          school_request, &school));
  int64_t id = 0;
  if (!absl::SimpleAtoi(school.id(), &id)) return absl::InternalError("accounts returned a school id that is not a number: " + school.id());
  return id;
}

absl::StatusOr<ems::v1::UploadRosterResponse> ImportStack::UploadRoster(const std::string& school_code,
                                                                        int class_year,
                                                                        const std::string& file_name,
                                                                        const std::string& content) {
  ems::v1::UploadRosterRequest request;
  request.set_school_code(school_code);
  request.set_class_year(class_year);
  request.set_file_name(file_name);
  request.set_content(content);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(10)));
  ems::v1::UploadRosterResponse report;
  grpc::Status status = control_->UploadRoster(&context, request, &report);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("UploadRoster failed: ", status.error_message()));
  }
  return report;
}

absl::StatusOr<sync::RosterCounts> ImportStack::RunFeedUntilIdle() {
  sync::RosterCounts total;
  while (true) {
    ASSIGN_OR_RETURN(sync::RosterCounts counts, feed_->Run());
    total.Add(counts);
    if (counts.listed == 0) return total;
  }
}

absl::StatusOr<int64_t> ImportStack::CountGraduates() {
  return pool_->Read<int64_t>(absl::Now() + absl::Minutes(1), [](db::Session& s) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*) FROM graduates"));
    return row ? row->Int64(0) : 0;
  });
}

absl::StatusOr<int64_t> ImportStack::CountGraduatesUpdatedSince(absl::Time since) {
  return pool_->Read<int64_t>(absl::Now() + absl::Minutes(1), [&](db::Session& s) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT COUNT(*) FROM graduates WHERE updated_at >= ?", {since}));
    return row ? row->Int64(0) : 0;
  });
}

absl::Status ImportStack::RewindFeedCursor() {
  return pool_->Run(absl::Now() + absl::Minutes(1), [](db::Session& s) {
    return s.Execute("UPDATE roster_cursor SET after_sequence = 0 WHERE id = 1").status();
  });
}

}  // namespace quxiang::bench

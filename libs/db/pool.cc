// The connection pool, the sessions it lends and the transaction loop.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/db/connection.h"
#include "libs/db/db.h"
#include "libs/db/pool_internal.h"
#include "libs/db/sql_error.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::db {
namespace internal {
namespace {

std::atomic<int64_t> idle_check_age_nanoseconds{absl::ToInt64Nanoseconds(absl::Seconds(30))};

absl::Duration IdleCheckAge() { return absl::Nanoseconds(idle_check_age_nanoseconds.load()); }

}  // namespace

void SetIdleCheckAgeForTesting(absl::Duration age) {
  idle_check_age_nanoseconds.store(absl::ToInt64Nanoseconds(age));
}

}  // namespace internal

namespace {

using internal::Connection;

// The server-side limit for a statement started at `now`: the time left until `deadline` in
// whole seconds, rounded up and at least 1; 0 (no limit) without a deadline.
int64_t StatementLimitSeconds(absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return 0;
  int64_t seconds = absl::ToInt64Seconds(absl::Ceil(deadline - now, absl::Seconds(1)));
  return std::max<int64_t>(1, seconds);
}

// The session lent to one callback. It checks the deadline before each statement, keeps the
// server's statement time limit in step with it, and remembers a failure that ends the unit of
// work whatever the callback does with the status it got.
class SessionImpl final : public Session {
 public:
  SessionImpl(Connection& connection, absl::Time deadline, bool in_transaction,
              std::atomic<int64_t>& statements)
      : connection_(connection),
        deadline_(deadline),
        in_transaction_(in_transaction),
        statements_(statements) {}

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                         const std::vector<Param>& params) override {
    RETURN_IF_ERROR(BeforeStatement());
    statements_.fetch_add(1, std::memory_order_relaxed);
    return AfterStatement(connection_.Query(sql, params));
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  const std::vector<Param>& params) override {
    RETURN_IF_ERROR(BeforeStatement());
    statements_.fetch_add(1, std::memory_order_relaxed);
    return AfterStatement(connection_.Execute(sql, params));
  }

  absl::StatusOr<int64_t> LastInsertId() override {
    RETURN_IF_ERROR(BeforeStatement());
    absl::StatusOr<std::vector<Row>> rows = connection_.QueryRaw("SELECT LAST_INSERT_ID()");
    RETURN_IF_ERROR(AfterStatement(rows).status());
    if (rows->empty()) return internal::StatusFromMySqlError(0, "LAST_INSERT_ID() returned no row");
    return rows->front().Int64(0);
  }

  absl::Status ExecuteRaw(absl::string_view sql) override {
    RETURN_IF_ERROR(BeforeStatement());
    return AfterStatement(connection_.ExecuteRaw(sql));
  }

  absl::Status Begin() { return ExecuteRaw("START TRANSACTION"); }

  absl::Status Commit() {
    RETURN_IF_ERROR(BeforeStatement());
    return Record(connection_.ExecuteRaw("COMMIT"));
  }

  // Rolls back regardless of the deadline, because a transaction left open would hold its
  // locks. A connection whose ROLLBACK failed is in an unknown state and gets discarded.
  void Rollback() {
    if (connection_.broken()) return;
    if (!connection_.ExecuteRaw("ROLLBACK").ok()) connection_.MarkBroken();
  }

  // A lost connection, or inside a transaction a deadlock or a lock wait timeout, after which
  // the transaction must not go on.
  const absl::Status& failure() const { return failure_; }
  bool saw_conflict() const { return saw_conflict_; }

 private:
  absl::Status BeforeStatement() {
    if (!failure_.ok()) return failure_;
    absl::Time now = absl::Now();
    if (now >= deadline_) return internal::DeadlinePassedError();
    return Record(connection_.SetStatementTimeLimit(StatementLimitSeconds(deadline_, now)));
  }

  absl::Status AfterStatement(absl::Status status) {
    RETURN_IF_ERROR(Record(std::move(status)));
    // The server limit is rounded up to whole seconds and MySQL's covers only SELECT, so a
    // statement can still end after the deadline. The caller has stopped waiting by then.
    if (absl::Now() > deadline_) return internal::DeadlinePassedError();
    return absl::OkStatus();
  }

  template <typename T>
  absl::StatusOr<T> AfterStatement(absl::StatusOr<T> result) {
    RETURN_IF_ERROR(AfterStatement(result.status()));
    return result;
  }

  absl::Status Record(absl::Status status) {
    if (status.ok()) return status;
    if (connection_.broken()) {
      failure_ = status;
    } else if (in_transaction_ && internal::IsTransactionConflict(internal::MySqlErrnoOf(status))) {
      // A deadlock rolls the whole transaction back; further statements would run in autocommit.
      failure_ = status;
      saw_conflict_ = true;
    }
    return status;
  }

  Connection& connection_;
  const absl::Time deadline_;
  const bool in_transaction_;
  // The pool's counter behind PoolStats::statements.
  std::atomic<int64_t>& statements_;
  absl::Status failure_;
  bool saw_conflict_ = false;
};

absl::Status InvalidOptions(absl::string_view field, absl::string_view value,
                            absl::string_view zh_message) {
  spdlog::error("invalid database option {}: {}", std::string(field), std::string(value));
  return InvalidArgument("DATABASE_OPTIONS_INVALID", zh_message,
                         {{"option", std::string(field)}, {"value", std::string(value)}});
}

absl::Status ValidateOptions(const Options& options) {
  if (options.max_connections < 1) {
    return InvalidOptions("max_connections", absl::StrCat(options.max_connections),
                          "数据库连接数上限必须至少为 1，请修改 mysql_max_connections 配置。");
  }
  if (options.port < 1 || options.port > 65535) {
    return InvalidOptions("port", absl::StrCat(options.port),
                          "数据库端口必须在 1 到 65535 之间，请修改 mysql_port 配置。");
  }
  // The name goes into CREATE DATABASE and USE, so it is limited to characters that need no
  // quoting; 64 is the server's limit for identifiers.
  bool valid_name = options.database.size() <= 64 &&
                    std::all_of(options.database.begin(), options.database.end(), [](char c) {
                      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
  if (!valid_name) {
    return InvalidOptions("database", options.database,
                          "数据库名只能包含英文字母、数字和下划线，且不超过 64 个字符，请修改 "
                          "mysql_database 配置。");
  }
  return absl::OkStatus();
}

class PoolImpl final : public Pool {
 public:
  explicit PoolImpl(const Options& options) : options_(options) { database_ = options.database; }

  ~PoolImpl() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_use_ > 0) {
      spdlog::error("database pool destroyed with {} connections still lent", in_use_);
    }
    idle_.clear();
  }

  // Opens the first connection, creates the schema when asked, and keeps the connection idle.
  absl::Status Start() {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                     Connection::Open(options_, /*select_database=*/false));
    if (!options_.database.empty()) {
      if (options_.create_database) {
        RETURN_IF_ERROR(connection->ExecuteRaw(
            absl::StrCat("CREATE DATABASE IF NOT EXISTS `", options_.database,
                         "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")));
      }
      RETURN_IF_ERROR(connection->ExecuteRaw(absl::StrCat("USE `", options_.database, "`")));
    }
    spdlog::info("connected to {} at {}:{} (database \"{}\", at most {} connections)",
                 connection->server_kind() == internal::ServerKind::kMariaDb ? "MariaDB" : "MySQL",
                 options_.host, options_.port, options_.database, options_.max_connections);

    std::lock_guard<std::mutex> lock(mutex_);
    ++open_;
    idle_.push_back(std::move(connection));
    return absl::OkStatus();
  }

  absl::Status Transaction(absl::Time deadline,
                           const std::function<absl::Status(Session&)>& work) override {
    const int max_attempts = std::max(1, options_.max_transaction_attempts);
    for (int attempt = 1;; ++attempt) {
      bool conflict = false;
      absl::Status status = TransactionAttempt(deadline, work, &conflict);
      if (status.ok() || !conflict) return status;

      int mysql_errno = internal::MySqlErrnoOf(status);
      if (attempt >= max_attempts) {
        spdlog::warn("transaction failed with MySQL error {} on all {} attempts", mysql_errno,
                     max_attempts);
        return status;
      }
      // Jitter keeps the two sides of a deadlock from colliding again in step.
      thread_local absl::BitGen bit_gen;
      absl::Duration backoff =
          absl::Milliseconds(10 * attempt) * absl::Uniform(bit_gen, 0.5, 1.5);
      if (absl::Now() + backoff >= deadline) return status;
      spdlog::warn("transaction failed with MySQL error {}; running it again (attempt {} of {})",
                   mysql_errno, attempt + 1, max_attempts);
      absl::SleepFor(backoff);
    }
  }

  absl::Status Run(absl::Time deadline,
                   const std::function<absl::Status(Session&)>& work) override {
    if (absl::Now() >= deadline) return internal::DeadlinePassedError();
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire(deadline));
    Lease lease(*this, std::move(connection));

    SessionImpl session(lease.connection(), deadline, /*in_transaction=*/false, statements_);
    absl::Status status = work(session);
    if (status.ok() && !session.failure().ok()) status = session.failure();
    return status;
  }

  PoolStats Stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    PoolStats stats;
    stats.open = open_;
    stats.in_use = in_use_;
    stats.waiting = waiting_;
    stats.discarded_broken = discarded_broken_;
    stats.statements = statements_.load(std::memory_order_relaxed);
    return stats;
  }

 private:
  // Returns its connection to the pool when it goes out of scope, even when the callback threw.
  class Lease {
   public:
    Lease(PoolImpl& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() {
      // Left inside a transaction (the callback threw): closing the session rolls it back.
      if (transaction_open_) connection_->MarkBroken();
      pool_.Release(std::move(connection_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Connection& connection() { return *connection_; }
    void set_transaction_open(bool open) { transaction_open_ = open; }

   private:
    PoolImpl& pool_;
    std::unique_ptr<Connection> connection_;
    bool transaction_open_ = false;
  };

  // Runs `work` once in a transaction. Sets `conflict` when a deadlock or a lock wait timeout
  // ended it, because then the caller may run it again.
  absl::Status TransactionAttempt(absl::Time deadline,
                                  const std::function<absl::Status(Session&)>& work,
                                  bool* conflict) {
    if (absl::Now() >= deadline) return internal::DeadlinePassedError();
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire(deadline));
    Lease lease(*this, std::move(connection));

    SessionImpl session(lease.connection(), deadline, /*in_transaction=*/true, statements_);
    RETURN_IF_ERROR(session.Begin());
    lease.set_transaction_open(true);

    absl::Status status = work(session);
    // A failure the callback swallowed still ends the transaction.
    if (status.ok() && !session.failure().ok()) status = session.failure();
    if (status.ok()) status = session.Commit();
    if (!status.ok()) session.Rollback();
    lease.set_transaction_open(false);

    *conflict = session.saw_conflict();
    if (*conflict && !session.failure().ok()) return session.failure();
    return status;
  }

  absl::StatusOr<std::unique_ptr<Connection>> Acquire(absl::Time deadline) {
    const absl::Time wait_until = std::min(absl::Now() + options_.acquire_timeout, deadline);
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        ++in_use_;
        if (absl::Now() - connection->last_used() < internal::IdleCheckAge()) return connection;

        // The server may have closed a connection idle this long (wait_timeout, a restart).
        lock.unlock();
        bool alive = connection->Ping();
        if (alive) return connection;
        spdlog::warn("discarding idle connection {}, which no longer answers", connection->id());
        connection.reset();
        lock.lock();
        --in_use_;
        --open_;
        ++discarded_broken_;
        continue;
      }

      if (open_ < options_.max_connections) {
        ++open_;
        ++in_use_;
        lock.unlock();
        absl::StatusOr<std::unique_ptr<Connection>> opened =
            Connection::Open(options_, /*select_database=*/true);
        if (opened.ok()) return opened;
        lock.lock();
        --open_;
        --in_use_;
        available_.notify_one();
        return opened.status();
      }

      absl::Time now = absl::Now();
      if (now >= wait_until) break;
      // Waits in slices of at most a minute, because an infinite acquire timeout would overflow
      // the clock arithmetic inside wait_for.
      ++waiting_;
      available_.wait_for(lock,
                          absl::ToChronoNanoseconds(std::min(wait_until - now, absl::Minutes(1))));
      --waiting_;
    }
    lock.unlock();

    if (absl::Now() >= deadline) return internal::DeadlinePassedError();
    int64_t suppressed = 0;
    if (internal::AdmitLogLine("pool_exhausted", &suppressed)) {
      spdlog::warn("no database connection became free within {}; all {} are in use ({} similar "
                   "warnings not logged)",
                   absl::FormatDuration(options_.acquire_timeout), options_.max_connections,
                   suppressed);
    }
    return internal::PoolExhaustedError(options_.max_connections);
  }

  void Release(std::unique_ptr<Connection> connection) {
    std::unique_ptr<Connection> discarded;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_use_;
      if (connection->broken()) {
        --open_;
        ++discarded_broken_;
        discarded = std::move(connection);
      } else {
        connection->set_last_used(absl::Now());
        idle_.push_back(std::move(connection));
      }
    }
    available_.notify_one();
    if (discarded != nullptr) {
      spdlog::warn("discarded database connection {}, which was lost or left in an unknown state",
                   discarded->id());
    }
  }

  const Options options_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  // Most recently returned last, so that the busiest connections stay warm.
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
  int in_use_ = 0;
  int waiting_ = 0;
  int64_t discarded_broken_ = 0;
  std::atomic<int64_t> statements_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(const Options& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  auto pool = std::make_unique<PoolImpl>(options);
  RETURN_IF_ERROR(pool->Start());
  return std::unique_ptr<Pool>(std::move(pool));
}

}  // namespace quxiang::db

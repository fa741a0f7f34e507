// Tests of the DB library. The tests of the fixture DbTest run against a real server named by
// MYSQL_HOST, MYSQL_PORT, MYSQL_USER and MYSQL_PASSWORD; each creates its own database and
// drops it at the end. Without MYSQL_HOST they are skipped.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "libs/db/idempotency.h"
#include "libs/db/migrations.h"
#include "libs/db/pool_internal.h"
#include "libs/db/sql_error.h"
#include "libs/db/sql_script.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "quxiang/testing/v1/echo.pb.h"

ABSL_DECLARE_FLAG(std::string, mysql_password);
ABSL_DECLARE_FLAG(std::string, mysql_password_file);
ABSL_DECLARE_FLAG(std::string, mysql_database);

namespace quxiang::db {
namespace testdata {
// Generated from libs/db/testdata/migrations by quxiang_embed_migrations().
const std::vector<MigrationFile>& Migrations();
}  // namespace testdata

namespace {

using ::quxiang::testing::v1::EchoRequest;
using ::quxiang::testing::v1::EchoResponse;

constexpr char kCreateNotes[] =
    "CREATE TABLE notes ("
    " id BIGINT NOT NULL AUTO_INCREMENT,"
    " body VARCHAR(64) NOT NULL,"
    " PRIMARY KEY (id),"
    " UNIQUE KEY uk_notes_body (body)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

absl::Time Deadline(absl::Duration timeout = absl::Seconds(10)) { return absl::Now() + timeout; }

// Blocks each of `count` threads in ArriveAndWait until all have arrived, or 10 seconds passed.
class Barrier {
 public:
  explicit Barrier(int count) : remaining_(count) {}

  bool ArriveAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--remaining_ <= 0) {
      arrived_.notify_all();
      return true;
    }
    return arrived_.wait_for(lock, std::chrono::seconds(10), [this] { return remaining_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  int remaining_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// ---------------------------------------------------------------------------------------------
// Tests without a server.

TEST(FormatDateTime, WritesMicrosecondsInUtc) {
  absl::Time time = absl::FromUnixMicros(1796371200123456);  // 2026-12-04 08:00:00.123456 UTC
  EXPECT_EQ(FormatDateTime(time), "2026-12-04 08:00:00.123456");
}

TEST(Row, ParsesTimeWithoutFraction) {
  Row row({std::string("2026-12-04 08:00:00")});
  EXPECT_EQ(row.Time(0), absl::FromUnixSeconds(1796371200));
}

TEST(Row, NullReadsAsZeroValues) {
  Row row({std::nullopt});
  EXPECT_TRUE(row.IsNull(0));
  EXPECT_EQ(row.String(0), "");
  EXPECT_EQ(row.Int64(0), 0);
  EXPECT_EQ(row.Double(0), 0);
  EXPECT_FALSE(row.Bool(0));
  EXPECT_EQ(row.Time(0), absl::InfinitePast());
}

TEST(Param, StringLiteralHoldsString) {
  Param param = "院系";
  EXPECT_TRUE(std::holds_alternative<std::string>(param));
}

TEST(ErrorMapping, MapsEachErrnoClass) {
  struct Case {
    int mysql_errno;
    absl::StatusCode code;
    const char* reason;
  };
  const Case cases[] = {
      {1062, absl::StatusCode::kAlreadyExists, "DUPLICATE_KEY"},
      {1213, absl::StatusCode::kAborted, "DATABASE_CONFLICT"},
      {1205, absl::StatusCode::kAborted, "DATABASE_CONFLICT"},
      {1969, absl::StatusCode::kDeadlineExceeded, "DATABASE_TIMEOUT"},
      {3024, absl::StatusCode::kDeadlineExceeded, "DATABASE_TIMEOUT"},
      {2006, absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE"},
      {2013, absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE"},
      {1146, absl::StatusCode::kInternal, "DATABASE_ERROR"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mysql_errno);
    absl::Status status = internal::StatusFromMySqlError(c.mysql_errno, "message");
    EXPECT_EQ(status.code(), c.code);
    EXPECT_EQ(ErrorReason(status), c.reason);
    EXPECT_EQ(ErrorMetadataOf(status)["mysql_errno"], absl::StrCat(c.mysql_errno));
    EXPECT_TRUE(ErrorZhMessage(status).has_value());
  }
}

TEST(ErrorMapping, DuplicateKeyNamesMySqlIndex) {
  absl::Status status = internal::StatusFromMySqlError(
      1062, "Duplicate entry '110105200001011234' for key 'students.uk_students_id_number'");
  EXPECT_EQ(ErrorMetadataOf(status)["mysql_key"], "uk_students_id_number");
}

TEST(RedactServerMessage, HidesDuplicateEntryValue) {
  std::string redacted = internal::RedactServerMessage(
      1062, "Duplicate entry 'O'Brien-110105200001011234' for key 'uk_students'");
  EXPECT_EQ(redacted, "Duplicate entry '?' for key 'uk_students'");
}

TEST(RedactServerMessage, KeepsMessageWithoutValue) {
  std::string message = "Table 'quxiang.students' doesn't exist";
  EXPECT_EQ(internal::RedactServerMessage(1146, message), message);
}

TEST(SplitSqlStatements, SkipsCommentOnlyLines) {
  std::vector<std::string> statements = internal::SplitSqlStatements(
      "-- header\n"
      "CREATE TABLE a (\n"
      "  -- a column\n"
      "  id INT\n"
      ");\n"
      "# between\n"
      "\n"
      "INSERT INTO a VALUES (1);  \n");
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (\n  id INT\n)");
  EXPECT_EQ(statements[1], "INSERT INTO a VALUES (1)");
}

TEST(SplitSqlStatements, KeepsSemicolonInsideLine) {
  std::vector<std::string> statements =
      internal::SplitSqlStatements("INSERT INTO a VALUES ('x;y'), ('z');\nSELECT 1");
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0], "INSERT INTO a VALUES ('x;y'), ('z')");
  EXPECT_EQ(statements[1], "SELECT 1");
}

TEST(Sha256Hex, MatchesKnownDigest) {
  EXPECT_EQ(internal::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EmbeddedMigrations, SharedFilesInNameOrder) {
  const std::vector<MigrationFile>& files = SharedMigrations();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "shared/0001_idempotency.sql");
  EXPECT_EQ(files[1].name, "shared/0002_outbox_inbox.sql");
}

TEST(EmbeddedMigrations, ContentsMatchFilesOnDisk) {
  const char* source_dir = std::getenv("QUXIANG_SOURCE_DIR");
  if (source_dir == nullptr) GTEST_SKIP() << "QUXIANG_SOURCE_DIR is not set; run through ctest";
  for (const MigrationFile& file : SharedMigrations()) {
    SCOPED_TRACE(file.name);
    ASSERT_EQ(file.name.substr(0, 7), "shared/");
    EXPECT_EQ(file.sql, ReadFile(absl::StrCat(source_dir, "/libs/db/shared_migrations/",
                                              file.name.substr(7))));
  }
  for (const MigrationFile& file : testdata::Migrations()) {
    SCOPED_TRACE(file.name);
    EXPECT_EQ(file.sql,
              ReadFile(absl::StrCat(source_dir, "/libs/db/testdata/migrations/", file.name)));
  }
}

TEST(EmbeddedMigrations, KeepRawStringTerminator) {
  ASSERT_FALSE(testdata::Migrations().empty());
  EXPECT_NE(testdata::Migrations()[0].sql.find(")sql\""), std::string::npos);
}

TEST(Fingerprint, EqualForEqualRequests) {
  EchoRequest first;
  first.set_message("签约");
  first.add_tags("a");
  EchoRequest second = first;
  EXPECT_EQ(Fingerprint(first), Fingerprint(second));
}

TEST(Fingerprint, DiffersForDifferentRequests) {
  EchoRequest first;
  first.set_message("签约");
  EchoRequest second;
  second.set_message("解约");
  EXPECT_NE(Fingerprint(first), Fingerprint(second));
}

TEST(Fingerprint, IsHexSha256) {
  EchoRequest request;
  request.set_big_number(7);
  EXPECT_EQ(Fingerprint(request).size(), 64u);
}

TEST(OptionsFromFlags, DefaultsPointAtLocalServer) {
  Options options = OptionsFromFlags();
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 3306);
  EXPECT_EQ(options.user, "root");
  EXPECT_EQ(options.max_connections, 8);
}

TEST(OptionsFromFlags, ReadsPasswordFile) {
  std::string path = absl::StrCat(::testing::TempDir(), "/mysql-password-", getpid());
  {
    std::ofstream file(path);
    file << "s3cret-密码\n";
  }
  absl::SetFlag(&FLAGS_mysql_password_file, path);
  absl::SetFlag(&FLAGS_mysql_database, "quxiang_accounts");
  Options options = OptionsFromFlags();
  absl::SetFlag(&FLAGS_mysql_password_file, "");
  absl::SetFlag(&FLAGS_mysql_database, "");
  std::remove(path.c_str());

  EXPECT_EQ(options.password, "s3cret-密码");
  EXPECT_EQ(options.database, "quxiang_accounts");
}

TEST(OptionsFromFlagsDeathTest, TwoPasswordSourcesExit) {
  absl::SetFlag(&FLAGS_mysql_password, "inline");
  absl::SetFlag(&FLAGS_mysql_password_file, "/nonexistent/password");
  EXPECT_EXIT(OptionsFromFlags(), ::testing::ExitedWithCode(2), "both set");
  absl::SetFlag(&FLAGS_mysql_password, "");
  absl::SetFlag(&FLAGS_mysql_password_file, "");
}

TEST(PoolCreate, RejectsUnsafeDatabaseName) {
  Options options;
  options.database = "quxiang`; DROP DATABASE mysql";
  absl::StatusOr<std::unique_ptr<Pool>> pool = Pool::Create(options);
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Tests against a server.

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* host = std::getenv("MYSQL_HOST");
    if (host == nullptr || *host == '\0') {
      GTEST_SKIP() << "MYSQL_HOST is not set. Export MYSQL_HOST, MYSQL_PORT, MYSQL_USER and "
                      "MYSQL_PASSWORD of a disposable test server (scripts/test does) to run the "
                      "database tests.";
    }
    server_.host = host;
    const char* port = std::getenv("MYSQL_PORT");
    if (port != nullptr && *port != '\0') {
      ASSERT_TRUE(absl::SimpleAtoi(port, &server_.port)) << "MYSQL_PORT is not a number: " << port;
    }
    const char* user = std::getenv("MYSQL_USER");
    server_.user = user != nullptr ? user : "root";
    const char* password = std::getenv("MYSQL_PASSWORD");
    server_.password = password != nullptr ? password : "";

    static std::atomic<int> sequence{0};
    database_ = absl::StrCat("qx_db_test_", getpid(), "_", sequence++, "_",
                             absl::ToUnixMicros(absl::Now()) % 1000000);

    Options admin_options = server_;
    admin_options.max_connections = 2;
    absl::StatusOr<std::unique_ptr<Pool>> admin = Pool::Create(admin_options);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::move(*admin);
  }

  void TearDown() override {
    internal::SetIdleCheckAgeForTesting(absl::Seconds(30));
    if (admin_ == nullptr) return;
    absl::Status dropped = admin_->Run(Deadline(), [&](Session& session) {
      return session.ExecuteRaw(absl::StrCat("DROP DATABASE IF EXISTS `", database_, "`"));
    });
    EXPECT_TRUE(dropped.ok()) << dropped;
  }

  Options PoolOptions() const {
    Options options = server_;
    options.database = database_;
    return options;
  }

  std::unique_ptr<Pool> MakePool(const Options& options) {
    absl::StatusOr<std::unique_ptr<Pool>> pool = Pool::Create(options);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::move(*pool) : nullptr;
  }

  std::unique_ptr<Pool> MakePool() { return MakePool(PoolOptions()); }

  static absl::Status Exec(Pool& pool, absl::string_view sql, const std::vector<Param>& params = {}) {
    return pool.Run(Deadline(),
                    [&](Session& session) { return session.Execute(sql, params).status(); });
  }

  static absl::Status ExecRaw(Pool& pool, absl::string_view sql) {
    return pool.Run(Deadline(), [&](Session& session) { return session.ExecuteRaw(sql); });
  }

  static absl::StatusOr<Row> QueryRow(Pool& pool, absl::string_view sql,
                                      const std::vector<Param>& params = {}) {
    return pool.Read<Row>(Deadline(), [&](Session& session) -> absl::StatusOr<Row> {
      ASSIGN_OR_RETURN(std::optional<Row> row, session.QueryOne(sql, params));
      if (!row.has_value()) return absl::NotFoundError("no row");
      return *row;
    });
  }

  static int64_t CountRows(Pool& pool, absl::string_view table) {
    absl::StatusOr<Row> row = QueryRow(pool, absl::StrCat("SELECT COUNT(*) FROM ", table));
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() ? row->Int64(0) : -1;
  }

  static int64_t ConnectionId(Pool& pool) {
    absl::StatusOr<Row> row = QueryRow(pool, "SELECT CONNECTION_ID()");
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() ? row->Int64(0) : -1;
  }

  absl::Status Kill(int64_t connection_id) { return ExecRaw(*admin_, absl::StrCat("KILL ", connection_id)); }

  Options server_;
  std::string database_;
  std::unique_ptr<Pool> admin_;
};

TEST_F(DbTest, FourByteNameRoundTrips) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, kCreateNotes).ok());

  const std::string name = "王𡐤";  // 𡐤 is U+21424, outside the BMP: 4 bytes in UTF-8.
  ASSERT_TRUE(Exec(*pool, "INSERT INTO notes (body) VALUES (?)", {name}).ok());

  absl::StatusOr<Row> row = QueryRow(*pool, "SELECT body, CHAR_LENGTH(body) FROM notes");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->String(0), name);
  EXPECT_EQ(row->Int64(1), 2);
}

TEST_F(DbTest, DateTimeStaysUtc) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, "CREATE TABLE events (at DATETIME(6) NOT NULL) ENGINE=InnoDB "
                             "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
                  .ok());

  absl::Time at = absl::FromUnixMicros(1796371200123456);  // 2026-12-04 08:00:00.123456 UTC
  ASSERT_TRUE(Exec(*pool, "INSERT INTO events (at) VALUES (?)", {at}).ok());

  absl::StatusOr<Row> row = QueryRow(*pool, "SELECT at, CAST(at AS CHAR) FROM events");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->Time(0), at);
  EXPECT_EQ(row->String(1), "2026-12-04 08:00:00.123456");
}

TEST_F(DbTest, SessionTimeZoneIsUtc) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<Row> row =
      QueryRow(*pool, "SELECT @@session.time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->String(0), "+00:00");
  EXPECT_EQ(row->Int64(1), 0);
}

TEST_F(DbTest, SessionCharsetIsUtf8mb4) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<Row> row = QueryRow(*pool, "SELECT @@character_set_client, @@character_set_results");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->String(0), "utf8mb4");
  EXPECT_EQ(row->String(1), "utf8mb4");
}

TEST_F(DbTest, BinaryBlobRoundTrips) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, "CREATE TABLE blobs (data LONGBLOB NOT NULL) ENGINE=InnoDB "
                             "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
                  .ok());
  const std::string data("\x00\x01\xff\x00zero\x00", 9);
  ASSERT_TRUE(Exec(*pool, "INSERT INTO blobs (data) VALUES (?)", {data}).ok());

  absl::StatusOr<Row> row = QueryRow(*pool, "SELECT data FROM blobs");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->String(0), data);
}

TEST_F(DbTest, ParamsBindEveryType) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<Row> row = QueryRow(*pool, "SELECT ?, ?, ?, ?, ? IS NULL",
                                     {int64_t{9007199254740993}, 2.5, true, "文本", nullptr});
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->Int64(0), 9007199254740993);
  EXPECT_EQ(row->Double(1), 2.5);
  EXPECT_TRUE(row->Bool(2));
  EXPECT_EQ(row->String(3), "文本");
  EXPECT_TRUE(row->Bool(4));
}

TEST_F(DbTest, LastInsertIdReturnsNewId) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, kCreateNotes).ok());
  absl::StatusOr<int64_t> id = pool->InTransaction<int64_t>(
      Deadline(), [](Session& session) -> absl::StatusOr<int64_t> {
        RETURN_IF_ERROR(session.Execute("INSERT INTO notes (body) VALUES (?)", {"一"}).status());
        RETURN_IF_ERROR(session.Execute("INSERT INTO notes (body) VALUES (?)", {"二"}).status());
        return session.LastInsertId();
      });
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2);
}

TEST_F(DbTest, QueryOneRejectsSecondRow) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::Status status = pool->Run(Deadline(), [](Session& session) {
    return session.QueryOne("SELECT 1 UNION ALL SELECT 2").status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
}

TEST_F(DbTest, WrongParameterCountKeepsConnection) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::Status status = pool->Run(Deadline(), [](Session& session) {
    return session.Query("SELECT ?, ?", {int64_t{1}}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(pool->Stats().discarded_broken, 0);
}

TEST_F(DbTest, DuplicateKeyMapsToAlreadyExists) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, kCreateNotes).ok());
  ASSERT_TRUE(Exec(*pool, "INSERT INTO notes (body) VALUES (?)", {"甲"}).ok());

  absl::Status status = Exec(*pool, "INSERT INTO notes (body) VALUES (?)", {"甲"});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(status), "DUPLICATE_KEY");
  EXPECT_TRUE(IsDuplicateKey(status));
  EXPECT_EQ(ErrorMetadataOf(status)["mysql_errno"], "1062");
  EXPECT_EQ(ErrorMetadataOf(status)["mysql_key"], "uk_notes_body");
}

TEST_F(DbTest, FailedTransactionWritesNothing) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, kCreateNotes).ok());

  absl::Status status = pool->Transaction(Deadline(), [](Session& session) -> absl::Status {
    RETURN_IF_ERROR(session.Execute("INSERT INTO notes (body) VALUES (?)", {"草稿"}).status());
    return InvalidArgument("TEST_REJECTED", "测试用的错误。");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountRows(*pool, "notes"), 0);
}

TEST_F(DbTest, FailedStatementRollsBackEarlierWrites) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, kCreateNotes).ok());

  absl::Status status = pool->Transaction(Deadline(), [](Session& session) -> absl::Status {
    RETURN_IF_ERROR(session.Execute("INSERT INTO notes (body) VALUES (?)", {"乙"}).status());
    return session.Execute("INSERT INTO notes (body) VALUES (?)", {"乙"}).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CountRows(*pool, "notes"), 0);
}

TEST_F(DbTest, DeadlockedTransactionsBothCommit) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ExecRaw(*pool, "CREATE TABLE counters (id BIGINT NOT NULL PRIMARY KEY, "
                             "value BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                             "COLLATE=utf8mb4_unicode_ci")
                  .ok());
  ASSERT_TRUE(ExecRaw(*pool, "INSERT INTO counters VALUES (1, 0), (2, 0)").ok());

  // Each transaction locks one row, waits until the other has locked the other row, and then
  // requests that row too. The server rolls one back as the deadlock victim, and the pool runs
  // it again.
  Barrier both_locked(2);
  auto increment_both = [&](int64_t first, int64_t second, std::atomic<int>* attempts) {
    return pool->Transaction(Deadline(absl::Seconds(30)), [&, first, second, attempts](
                                                              Session& session) -> absl::Status {
      int attempt = ++*attempts;
      RETURN_IF_ERROR(
          session.Execute("UPDATE counters SET value = value + 1 WHERE id = ?", {first}).status());
      if (attempt == 1) both_locked.ArriveAndWait();
      return session.Execute("UPDATE counters SET value = value + 1 WHERE id = ?", {second})
          .status();
    });
  };

  std::atomic<int> attempts_a{0};
  std::atomic<int> attempts_b{0};
  absl::Status status_a;
  absl::Status status_b;
  std::thread a([&] { status_a = increment_both(1, 2, &attempts_a); });
  std::thread b([&] { status_b = increment_both(2, 1, &attempts_b); });
  a.join();
  b.join();

  EXPECT_TRUE(status_a.ok()) << status_a;
  EXPECT_TRUE(status_b.ok()) << status_b;
  EXPECT_EQ(attempts_a + attempts_b, 3);
  absl::StatusOr<Row> values = QueryRow(
      *pool, "SELECT SUM(value = 2), COUNT(*) FROM counters");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->Int64(0), 2);
}

TEST_F(DbTest, KilledConnectionIsDiscarded) {
  Options options = PoolOptions();
  options.max_connections = 1;
  auto pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  int64_t id = ConnectionId(*pool);
  ASSERT_TRUE(Kill(id).ok());

  absl::Status status = pool->Run(Deadline(), [](Session& session) {
    return session.Query("SELECT 1").status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(status), "DATABASE_UNAVAILABLE");
  EXPECT_EQ(pool->Stats().discarded_broken, 1);
  EXPECT_EQ(pool->Stats().open, 0);

  int64_t new_id = ConnectionId(*pool);
  EXPECT_GT(new_id, 0);
  EXPECT_NE(new_id, id);
}

TEST_F(DbTest, KilledTransactionIsDiscarded) {
  Options options = PoolOptions();
  options.max_connections = 1;
  auto pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  int64_t id = ConnectionId(*pool);
  ASSERT_TRUE(Kill(id).ok());

  absl::Status status = pool->Transaction(Deadline(), [](Session&) { return absl::OkStatus(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool->Stats().discarded_broken, 1);
  EXPECT_GT(ConnectionId(*pool), 0);
}

TEST_F(DbTest, DeadIdleConnectionIsReplaced) {
  Options options = PoolOptions();
  options.max_connections = 1;
  auto pool = MakePool(options);
  ASSERT_NE(pool, nullptr);
  int64_t id = ConnectionId(*pool);
  ASSERT_TRUE(Kill(id).ok());
  internal::SetIdleCheckAgeForTesting(absl::ZeroDuration());

  int64_t new_id = ConnectionId(*pool);
  EXPECT_GT(new_id, 0);
  EXPECT_NE(new_id, id);
  EXPECT_EQ(pool->Stats().discarded_broken, 1);
}

TEST_F(DbTest, SlowStatementHitsDeadline) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::Time start = absl::Now();
  absl::Status status = pool->Run(Deadline(absl::Seconds(1)), [](Session& session) {
    return session.Query("SELECT SLEEP(5)").status();
  });
  absl::Duration elapsed = absl::Now() - start;

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorReason(status), "DATABASE_TIMEOUT");
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_EQ(pool->Stats().discarded_broken, 0);
}

TEST_F(DbTest, PassedDeadlineFailsFast) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  bool ran = false;
  absl::Status status = pool->Transaction(absl::Now() - absl::Seconds(1), [&](Session&) {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(ran);
}

TEST_F(DbTest, StatementLimitFollowsDeadline) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<Row> version = QueryRow(*pool, "SELECT VERSION()");
  ASSERT_TRUE(version.ok()) << version.status();
  bool mariadb = version->String(0).find("MariaDB") != std::string::npos;

  absl::StatusOr<Row> row =
      pool->Read<Row>(Deadline(absl::Seconds(20)), [&](Session& session) -> absl::StatusOr<Row> {
        ASSIGN_OR_RETURN(std::optional<Row> limit,
                         session.QueryOne(mariadb ? "SELECT @@max_statement_time"
                                                  : "SELECT @@max_execution_time / 1000"));
        if (!limit.has_value()) return absl::NotFoundError("no row");
        return *limit;
      });
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_GE(row->Double(0), 19);
  EXPECT_LE(row->Double(0), 20);
}

TEST_F(DbTest, ExhaustedPoolWaitsThenFails) {
  Options options = PoolOptions();
  options.max_connections = 1;
  options.acquire_timeout = absl::Milliseconds(500);
  auto pool = MakePool(options);
  ASSERT_NE(pool, nullptr);

  std::promise<void> connection_held;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    absl::Status status = pool->Run(Deadline(), [&](Session&) {
      connection_held.set_value();
      released.wait();
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  connection_held.get_future().wait();

  absl::Status waited_status;
  absl::Duration waited;
  std::thread waiter([&] {
    absl::Time start = absl::Now();
    waited_status = pool->Run(Deadline(), [](Session&) { return absl::OkStatus(); });
    waited = absl::Now() - start;
  });
  int max_waiting = 0;
  for (int i = 0; i < 40; ++i) {
    max_waiting = std::max(max_waiting, pool->Stats().waiting);
    absl::SleepFor(absl::Milliseconds(10));
  }
  waiter.join();
  release.set_value();
  holder.join();

  EXPECT_EQ(max_waiting, 1);
  EXPECT_EQ(waited_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(waited_status), "DATABASE_POOL_EXHAUSTED");
  EXPECT_GE(waited, absl::Milliseconds(450));
  EXPECT_EQ(pool->Stats().waiting, 0);
}

TEST_F(DbTest, WaiterGetsReleasedConnection) {
  Options options = PoolOptions();
  options.max_connections = 1;
  options.acquire_timeout = absl::Seconds(5);
  auto pool = MakePool(options);
  ASSERT_NE(pool, nullptr);

  std::promise<void> connection_held;
  std::thread holder([&] {
    absl::Status status = pool->Run(Deadline(), [&](Session&) {
      connection_held.set_value();
      absl::SleepFor(absl::Milliseconds(200));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  connection_held.get_future().wait();

  absl::Status status = pool->Run(Deadline(), [](Session& session) {
    return session.Query("SELECT 1").status();
  });
  holder.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(pool->Stats().open, 1);
}

// ---------------------------------------------------------------------------------------------
// Migrations.

TEST_F(DbTest, MigrationsApplyOnlyOnce) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  absl::Status first = ApplyMigrations(*pool, testdata::Migrations());
  ASSERT_TRUE(first.ok()) << first;
  absl::Status second = ApplyMigrations(*pool, testdata::Migrations());
  ASSERT_TRUE(second.ok()) << second;

  EXPECT_EQ(CountRows(*pool, "courses"), 2);
  EXPECT_EQ(CountRows(*pool, "schema_migrations"), 4);
}

TEST_F(DbTest, MigrationRecordsChecksum) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, testdata::Migrations()).ok());
  absl::StatusOr<Row> row = QueryRow(
      *pool, "SELECT checksum FROM schema_migrations WHERE name = ?", {"0001_create_courses.sql"});
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->String(0), internal::Sha256Hex(testdata::Migrations()[0].sql));
}

TEST_F(DbTest, SharedTablesUseUnicodeCollation) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, {}).ok());
  absl::StatusOr<Row> row = QueryRow(
      *pool,
      "SELECT COUNT(*), SUM(table_collation = 'utf8mb4_unicode_ci' AND engine = 'InnoDB') "
      "FROM information_schema.tables WHERE table_schema = ? "
      "AND table_name IN ('idempotency_keys', 'outbox', 'inbox')",
      {database_});
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->Int64(0), 3);
  EXPECT_EQ(row->Int64(1), 3);
}

TEST_F(DbTest, ChangedMigrationIsRefused) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, testdata::Migrations()).ok());

  std::vector<MigrationFile> changed = testdata::Migrations();
  changed[0].sql += "\n-- edited after it was applied\n";
  absl::Status status = ApplyMigrations(*pool, changed);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(status), "MIGRATION_CHANGED");
  EXPECT_EQ(ErrorMetadataOf(status)["migration"], "0001_create_courses.sql");
}

TEST_F(DbTest, RemovedMigrationFileIsAccepted) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, testdata::Migrations()).ok());
  std::vector<MigrationFile> first_only = {testdata::Migrations()[0]};
  absl::Status status = ApplyMigrations(*pool, first_only);
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(DbTest, RacingMigrationsApplyEachFileOnce) {
  auto pool_a = MakePool();
  auto pool_b = MakePool();
  ASSERT_NE(pool_a, nullptr);
  ASSERT_NE(pool_b, nullptr);

  Barrier start(2);
  absl::Status status_a;
  absl::Status status_b;
  std::thread a([&] {
    start.ArriveAndWait();
    status_a = ApplyMigrations(*pool_a, testdata::Migrations());
  });
  std::thread b([&] {
    start.ArriveAndWait();
    status_b = ApplyMigrations(*pool_b, testdata::Migrations());
  });
  a.join();
  b.join();

  EXPECT_TRUE(status_a.ok()) << status_a;
  EXPECT_TRUE(status_b.ok()) << status_b;
  EXPECT_EQ(CountRows(*pool_a, "courses"), 2);
  EXPECT_EQ(CountRows(*pool_a, "schema_migrations"), 4);
}

TEST_F(DbTest, HeldMigrationLockTimesOut) {
  auto pool = MakePool();
  ASSERT_NE(pool, nullptr);
  const std::string lock_name = absl::StrCat("quxiang_migrate:", database_);

  std::promise<void> locked;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    absl::Status status = admin_->Run(Deadline(), [&](Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<Row> row,
                       session.QueryOne("SELECT GET_LOCK(?, 0)", {lock_name}));
      EXPECT_EQ(row.value_or(Row({std::nullopt})).Int64(0), 1);
      locked.set_value();
      released.wait();
      return session.QueryOne("SELECT RELEASE_LOCK(?)", {lock_name}).status();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  locked.get_future().wait();

  absl::Status status = ApplyMigrations(*pool, testdata::Migrations(), absl::Seconds(1));
  release.set_value();
  holder.join();

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(status), "MIGRATION_LOCK_TIMEOUT");
}

// ---------------------------------------------------------------------------------------------
// Idempotency.

class IdempotencyTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    pool_ = MakePool();
    ASSERT_NE(pool_, nullptr);
    absl::Status migrated = ApplyMigrations(*pool_, {});
    ASSERT_TRUE(migrated.ok()) << migrated;
    ASSERT_TRUE(ExecRaw(*pool_, kCreateNotes).ok());
  }

  void TearDown() override {
    pool_.reset();
    DbTest::TearDown();
  }

  static IdempotencyKey KeyFor(const EchoRequest& request, const std::string& request_id) {
    return {"user-1001", "/quxiang.testing.v1.EchoService/Echo", request_id, Fingerprint(request)};
  }

  // Returns work that inserts a note and puts its id into `response`. Each run adds 1 to `runs_`.
  std::function<absl::Status(Session&)> SaveNote(const std::string& body, EchoResponse* response,
                                                 absl::Duration hold = absl::ZeroDuration()) {
    return [this, body, response, hold](Session& session) -> absl::Status {
      ++runs_;
      RETURN_IF_ERROR(session.Execute("INSERT INTO notes (body) VALUES (?)", {body}).status());
      ASSIGN_OR_RETURN(int64_t id, session.LastInsertId());
      absl::SleepFor(hold);
      response->set_big_number(id);
      response->set_message("已保存");
      return absl::OkStatus();
    };
  }

  std::unique_ptr<Pool> pool_;
  std::atomic<int> runs_{0};
};

TEST_F(IdempotencyTest, RepeatReturnsFirstResponse) {
  EchoRequest request;
  request.set_message("保存备注");
  IdempotencyKey key = KeyFor(request, "req-1");

  EchoResponse first;
  absl::Status status = RunIdempotent(*pool_, Deadline(), key, &first, SaveNote("备注", &first));
  ASSERT_TRUE(status.ok()) << status;
  EchoResponse second;
  status = RunIdempotent(*pool_, Deadline(), key, &second, SaveNote("备注", &second));
  ASSERT_TRUE(status.ok()) << status;

  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(second.big_number(), first.big_number());
  EXPECT_EQ(second.message(), "已保存");
  EXPECT_EQ(CountRows(*pool_, "notes"), 1);
}

TEST_F(IdempotencyTest, ConcurrentRepeatRunsWorkOnce) {
  EchoRequest request;
  request.set_message("并发保存");
  IdempotencyKey key = KeyFor(request, "req-concurrent");

  Barrier start(2);
  EchoResponse responses[2];
  absl::Status statuses[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      start.ArriveAndWait();
      statuses[i] = RunIdempotent(*pool_, Deadline(), key, &responses[i],
                                  SaveNote("并发", &responses[i], absl::Milliseconds(300)));
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(responses[0].big_number(), responses[1].big_number());
  EXPECT_EQ(CountRows(*pool_, "notes"), 1);
}

TEST_F(IdempotencyTest, ReusedKeyIsRejected) {
  EchoRequest request;
  request.set_message("第一次");
  EchoResponse first;
  ASSERT_TRUE(RunIdempotent(*pool_, Deadline(), KeyFor(request, "req-2"), &first,
                            SaveNote("第一次", &first))
                  .ok());

  EchoRequest other;
  other.set_message("另一次");
  EchoResponse second;
  absl::Status status = RunIdempotent(*pool_, Deadline(), KeyFor(other, "req-2"), &second,
                                      SaveNote("另一次", &second));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "IDEMPOTENCY_KEY_REUSED");
  EXPECT_EQ(runs_, 1);
}

TEST_F(IdempotencyTest, FailedWorkLeavesKeyFree) {
  EchoRequest request;
  request.set_message("先失败");
  IdempotencyKey key = KeyFor(request, "req-3");

  EchoResponse response;
  absl::Status failed = RunIdempotent(*pool_, Deadline(), key, &response, [&](Session&) {
    ++runs_;
    return FailedPrecondition("TEST_NOT_NOW", "测试用的错误。");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kFailedPrecondition);

  absl::Status retried =
      RunIdempotent(*pool_, Deadline(), key, &response, SaveNote("后成功", &response));
  EXPECT_TRUE(retried.ok()) << retried;
  EXPECT_EQ(runs_, 2);
  EXPECT_EQ(CountRows(*pool_, "notes"), 1);
}

TEST_F(IdempotencyTest, EmptyRequestIdRunsEveryTime) {
  EchoRequest request;
  IdempotencyKey key = KeyFor(request, "");
  EchoResponse response;
  ASSERT_TRUE(RunIdempotent(*pool_, Deadline(), key, &response, SaveNote("一", &response)).ok());
  ASSERT_TRUE(RunIdempotent(*pool_, Deadline(), key, &response, SaveNote("二", &response)).ok());
  EXPECT_EQ(runs_, 2);
  EXPECT_EQ(CountRows(*pool_, "idempotency_keys"), 0);
}

}  // namespace
}  // namespace quxiang::db

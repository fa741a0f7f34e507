// Tests of the MySQL file store against a real MariaDB or MySQL server named by the MYSQL_*
// environment. Each test creates its own database and drops it at the end; without MYSQL_HOST
// every test is skipped.
#include "libs/filestore/file_store.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/filestore/test_files.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/testing/test_database.h"

namespace quxiang::filestore {
namespace {

using testing::RandomPng;
using testing::TinyJpeg;
using testing::TinyPdf;

constexpr int64_t kSchool = 4111010001;
constexpr int64_t kOtherSchool = 4111010002;

// The owning service's record table, as a service would create it in its migrations.
constexpr char kRecordsMigration[] =
    "CREATE TABLE test_registrations (\n"
    "  id BIGINT NOT NULL PRIMARY KEY,\n"
    "  scan_file_id CHAR(32) NULL\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n";

absl::Time Deadline() { return absl::Now() + absl::Seconds(60); }

NewFile Upload(std::string content, std::string name = "协议.pdf", std::string record_id = "1") {
  NewFile file;
  file.school_id = kSchool;
  file.record_type = "test.paper_registration";
  file.record_id = std::move(record_id);
  file.file_name = std::move(name);
  file.content = std::move(content);
  file.created_by = "u-graduate-1";
  return file;
}

Downloader Reviewer() {
  Downloader downloader;
  downloader.user_id = "u-reviewer";
  downloader.username = "校级审核员";
  downloader.trace_id = "trace-1";
  downloader.peer = "127.0.0.1:5555";
  return downloader;
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("filestore");
    if (!database_.has_value()) GTEST_SKIP() << "MYSQL_HOST is not set";
    db::Options options = database_->options();
    options.max_connections = 8;
    absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    absl::Status migrated =
        db::ApplyMigrations(*pool_, WithFileStoreMigrations({{"0001_test_registrations.sql", kRecordsMigration}}));
    ASSERT_TRUE(migrated.ok()) << migrated;
  }

  absl::StatusOr<StoredFile> PutCommitted(FileStore& store, const NewFile& file) {
    return pool_->InTransaction<StoredFile>(
        Deadline(), [&](db::Session& s) -> absl::StatusOr<StoredFile> { return store.Put(s, file, absl::Now()); });
  }

  absl::StatusOr<FileContent> GetFile(FileStore& store, int64_t school_id, const std::string& id) {
    return pool_->Read<FileContent>(Deadline(), [&](db::Session& s) -> absl::StatusOr<FileContent> {
      return store.Get(s, school_id, id, Reviewer(), absl::Now());
    });
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<int64_t> count = pool_->Read<int64_t>(Deadline(), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(sql));
      return row->Int64(0);
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  int64_t CountAllRows() {
    return Count("SELECT (SELECT COUNT(*) FROM stored_files) + (SELECT COUNT(*) FROM stored_file_chunks) + "
                 "(SELECT COUNT(*) FROM stored_file_downloads) + (SELECT COUNT(*) FROM test_registrations)");
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(FileStoreTest, RoundTripsThreeMegabytesAcrossChunks) {
  MySqlFileStore store;
  // 1024 × 1024 random RGB pixels: a valid PNG of a little over 3 MiB.
  const std::string png = RandomPng(1024, 1024, 42);
  ASSERT_GT(png.size(), 3u * 1024 * 1024);

  absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(png, "报到证扫描件.png"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->id.size(), 32u);
  EXPECT_EQ(stored->type, FileType::kPng);
  EXPECT_EQ(stored->content_type(), "image/png");
  EXPECT_EQ(stored->size_bytes, static_cast<int64_t>(png.size()));
  EXPECT_EQ(stored->sha256, Sha256Hex(png));
  EXPECT_EQ(stored->original_name, "报到证扫描件.png");

  const int64_t expected_chunks = (static_cast<int64_t>(png.size()) + 256 * 1024 - 1) / (256 * 1024);
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM stored_file_chunks WHERE file_id = '", stored->id, "'")),
            expected_chunks);
  EXPECT_EQ(Count("SELECT MAX(LENGTH(data)) FROM stored_file_chunks"), 256 * 1024);

  absl::StatusOr<FileContent> read = GetFile(store, kSchool, stored->id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->content == png) << "content differs from the upload";
  EXPECT_EQ(read->file.sha256, Sha256Hex(png));
  EXPECT_EQ(read->file.created_at, stored->created_at);
  EXPECT_EQ(read->file.created_by, "u-graduate-1");
  EXPECT_EQ(read->file.record_type, "test.paper_registration");
  EXPECT_EQ(read->file.record_id, "1");

  // The download is recorded with who and which file.
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM stored_file_downloads WHERE file_id = '", stored->id,
                               "' AND actor_user_id = 'u-reviewer' AND school_id = ", kSchool,
                               " AND record_id = '1' AND trace_id = 'trace-1'")),
            1);
}

TEST_F(FileStoreTest, FailedTransactionLeavesNoRows) {
  MySqlFileStore store;
  absl::Status status = pool_->Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO test_registrations (id) VALUES (7)").status());
    ASSIGN_OR_RETURN(StoredFile stored, store.Put(s, Upload(RandomPng(300, 300, 1), "a.png", "7"), absl::Now()));
    RETURN_IF_ERROR(
        s.Execute("UPDATE test_registrations SET scan_file_id = ? WHERE id = 7", {stored.id}).status());
    // The owning service's rule fails after the file was written.
    return FailedPrecondition("TEST_RULE", "测试规则不允许提交。");
  });
  ASSERT_EQ(ErrorReason(status), "TEST_RULE") << status;
  EXPECT_EQ(CountAllRows(), 0);
}

TEST_F(FileStoreTest, CommitsWithReferencingRecord) {
  MySqlFileStore store;
  absl::Status status = pool_->Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO test_registrations (id) VALUES (8)").status());
    ASSIGN_OR_RETURN(StoredFile stored, store.Put(s, Upload(TinyPdf(), "a.pdf", "8"), absl::Now()));
    return s.Execute("UPDATE test_registrations SET scan_file_id = ? WHERE id = 8", {stored.id}).status();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM test_registrations r JOIN stored_files f ON f.id = r.scan_file_id "
                  "WHERE r.id = 8 AND f.record_id = '8'"),
            1);
}

TEST_F(FileStoreTest, ConcurrentPutsAreIndependent) {
  MySqlFileStore store;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 3;
  std::vector<std::vector<std::pair<std::string, std::string>>> results(kThreads);  // (id, content)
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string png = RandomPng(200 + t, 200 + i, static_cast<uint32_t>(t * 100 + i));
        absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(png, "并发.png", absl::StrCat(t, "-", i)));
        if (!stored.ok()) {
          ++failures;
          ADD_FAILURE() << "thread " << t << " put " << i << ": " << stored.status();
          continue;
        }
        results[t].emplace_back(stored->id, std::move(png));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);

  std::set<std::string> ids;
  for (const auto& thread_results : results) {
    for (const auto& [id, content] : thread_results) {
      ids.insert(id);
      absl::StatusOr<FileContent> read = GetFile(store, kSchool, id);
      ASSERT_TRUE(read.ok()) << read.status();
      EXPECT_TRUE(read->content == content) << "file " << id << " differs from its upload";
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stored_files"), kThreads * kPerThread);
}

TEST_F(FileStoreTest, RejectsBeforeAnyWrite) {
  FileStoreOptions options;
  options.max_file_bytes = 64 * 1024;
  MySqlFileStore store(options);

  struct Case {
    std::string name;
    std::string content;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"one byte over the limit", TinyPdf(64 * 1024 + 1), "FILE_TOO_LARGE"},
      {"html named .jpg", "<html><script>alert(1)</script></html>", "UNSUPPORTED_FILE_TYPE"},
      {"truncated jpeg", TinyJpeg().substr(0, 40), "FILE_DAMAGED"},
      {"empty", "", "EMPTY_FILE"},
  };
  for (const Case& c : cases) {
    int64_t statements = -1;
    absl::Status status = pool_->Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
      const int64_t before = pool_->Stats().statements;
      absl::Status put = store.Put(s, Upload(c.content, "scan.jpg"), absl::Now()).status();
      statements = pool_->Stats().statements - before;
      return put;
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(ErrorReason(status), c.reason) << c.name << ": " << status;
    EXPECT_EQ(statements, 0) << c.name;
  }
  EXPECT_EQ(CountAllRows(), 0);
}

TEST_F(FileStoreTest, RejectsInvalidCallerInput) {
  MySqlFileStore store;
  NewFile no_school = Upload(TinyPdf());
  no_school.school_id = 0;
  NewFile bad_record_type = Upload(TinyPdf());
  bad_record_type.record_type = "Signing; DROP TABLE";
  NewFile no_uploader = Upload(TinyPdf());
  no_uploader.created_by = "";
  for (const NewFile& file : {no_school, bad_record_type, no_uploader}) {
    absl::StatusOr<StoredFile> stored = PutCommitted(store, file);
    EXPECT_EQ(stored.status().code(), absl::StatusCode::kInternal) << stored.status();
  }
  EXPECT_EQ(CountAllRows(), 0);
}

TEST_F(FileStoreTest, StoresNamesOutsideBmp) {
  MySqlFileStore store;
  const std::string name = "\xF0\xA0\xAE\xB7野家😀就业协议.pdf";
  absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(TinyPdf(), "C:\\fakepath\\" + name));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->original_name, name);

  absl::StatusOr<StoredFile> stat = pool_->Read<StoredFile>(
      Deadline(), [&](db::Session& s) { return store.Stat(s, kSchool, stored->id); });
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->original_name, name);
  EXPECT_EQ(stat->download_name(), name);
}

TEST_F(FileStoreTest, OtherSchoolSeesNotFound) {
  MySqlFileStore store;
  absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(TinyJpeg(), "photo.jpg"));
  ASSERT_TRUE(stored.ok()) << stored.status();

  absl::StatusOr<FileContent> read = GetFile(store, kOtherSchool, stored->id);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(read.status()), "FILE_NOT_FOUND");
  absl::StatusOr<FileContent> unknown = GetFile(store, kSchool, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(ErrorReason(unknown.status()), "FILE_NOT_FOUND");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stored_file_downloads"), 0);
}

TEST_F(FileStoreTest, DeleteRemovesContentKeepsMetadata) {
  MySqlFileStore store;
  absl::StatusOr<StoredFile> kept = PutCommitted(store, Upload(TinyPdf(), "保留.pdf"));
  absl::StatusOr<StoredFile> removed = PutCommitted(store, Upload(RandomPng(600, 600, 3), "删除.png"));
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_TRUE(removed.ok()) << removed.status();

  auto remove = [&](int64_t school_id) {
    return pool_->Transaction(Deadline(), [&](db::Session& s) {
      return store.Delete(s, school_id, removed->id, "u-school-admin", absl::Now());
    });
  };
  EXPECT_EQ(ErrorReason(remove(kOtherSchool)), "FILE_NOT_FOUND");
  ASSERT_TRUE(remove(kSchool).ok());
  EXPECT_TRUE(remove(kSchool).ok()) << "deleting twice should change nothing";

  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM stored_file_chunks WHERE file_id = '", removed->id, "'")), 0);
  EXPECT_EQ(ErrorReason(GetFile(store, kSchool, removed->id).status()), "FILE_NOT_FOUND");

  absl::StatusOr<StoredFile> stat = pool_->Read<StoredFile>(
      Deadline(), [&](db::Session& s) { return store.Stat(s, kSchool, removed->id); });
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_TRUE(stat->deleted_at.has_value());
  EXPECT_EQ(stat->deleted_by, "u-school-admin");

  absl::StatusOr<std::vector<StoredFile>> listed = pool_->Read<std::vector<StoredFile>>(
      Deadline(), [&](db::Session& s) { return store.ListForRecord(s, kSchool, "test.paper_registration", "1"); });
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, kept->id);
}

TEST_F(FileStoreTest, DetectsCorruptedContent) {
  MySqlFileStore store;
  absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(RandomPng(400, 400, 9), "a.png"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  absl::Status changed = pool_->Run(Deadline(), [&](db::Session& s) {
    return s.Execute("UPDATE stored_file_chunks SET data = CONCAT('x', SUBSTRING(data, 2)) WHERE file_id = ? AND seq = 1",
                     {stored->id})
        .status();
  });
  ASSERT_TRUE(changed.ok()) << changed;

  absl::StatusOr<FileContent> read = GetFile(store, kSchool, stored->id);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReason(read.status()), "FILE_CORRUPTED");
}

TEST_F(FileStoreTest, DownloadHookRunsInCallerSession) {
  FileStoreOptions options;
  std::vector<std::string> seen;
  bool fail = false;
  options.on_download = [&](db::Session&, const StoredFile& file, const Downloader& downloader,
                            absl::Time) -> absl::Status {
    seen.push_back(absl::StrCat(file.id, "/", downloader.user_id));
    if (fail) return PermissionDenied("TEST_AUDIT_FAILED", "测试：审计写入失败。");
    return absl::OkStatus();
  };
  MySqlFileStore store(options);
  absl::StatusOr<StoredFile> stored = PutCommitted(store, Upload(TinyJpeg(), "a.jpg"));
  ASSERT_TRUE(stored.ok()) << stored.status();

  ASSERT_TRUE(GetFile(store, kSchool, stored->id).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], absl::StrCat(stored->id, "/u-reviewer"));

  // In a transaction, a failing hook rolls back the download row with the rest.
  fail = true;
  absl::StatusOr<FileContent> read = pool_->InTransaction<FileContent>(
      Deadline(), [&](db::Session& s) { return store.Get(s, kSchool, stored->id, Reviewer(), absl::Now()); });
  EXPECT_EQ(ErrorReason(read.status()), "TEST_AUDIT_FAILED");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stored_file_downloads"), 1);
}

TEST(FileStoreOptionsTest, ReplacesInvalidLimits) {
  FileStoreOptions options;
  options.max_file_bytes = 0;
  options.chunk_bytes = 1;
  MySqlFileStore store(options);
  EXPECT_EQ(store.options().max_file_bytes, kDefaultMaxFileBytes);
  EXPECT_EQ(store.options().chunk_bytes, 4 * 1024);
}

TEST(FileStoreMigrationsTest, PrecedeServiceFiles) {
  std::vector<db::MigrationFile> files = WithFileStoreMigrations({{"0001_init.sql", "SELECT 1;"}});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "filestore/0001_files.sql");
  EXPECT_NE(files[0].sql.find("CREATE TABLE stored_file_chunks"), std::string::npos);
  EXPECT_EQ(files[1].name, "0001_init.sql");
}

}  // namespace
}  // namespace quxiang::filestore

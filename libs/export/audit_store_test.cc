// The export_audit table on a real MariaDB or MySQL server: the audit of a complete and of a
// failed export, long texts cut to the columns, and invalid entries rejected.
#include "libs/export/audit_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/status/error.h"
#include "libs/testing/test_database.h"

namespace quxiang::exports {
namespace {

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

ExportSpec GraduateSpec() {
  ExportSpec spec;
  spec.kind = "sync.graduates.query";
  spec.title = "下载当前查询数据";
  spec.columns = {{"姓名", ColumnType::kText}, {"身份证件号", ColumnType::kIdNumber}};
  spec.actor_id = "staff-7";
  spec.actor_name = "李老师";
  spec.school_id = "10559";
  spec.request_id = "req-1";
  spec.filter_summary = "院系=计算机学院; 状态=退回修改";
  return spec;
}

class ExportAuditStoreTest : public ::testing::Test {
 protected:
  ExportAuditStoreTest() : clock_(absl::FromUnixSeconds(1'800'000'000)) {}

  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("export");
    if (!database_.has_value()) GTEST_SKIP() << "MYSQL_HOST is not set";
    absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(database_->options());
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    absl::Status migrated = db::ApplyMigrations(*pool_, WithExportMigrations({}));
    ASSERT_TRUE(migrated.ok()) << migrated;
  }

  absl::StatusOr<int64_t> Insert(const ExportAudit& audit) {
    return pool_->InTransaction<int64_t>(Deadline(),
                                         [&](db::Session& s) { return InsertExportAudit(s, audit); });
  }

  absl::StatusOr<std::vector<ExportAudit>> List(const std::string& school_id) {
    return pool_->Read<std::vector<ExportAudit>>(
        Deadline(), [&](db::Session& s) { return ListExportAudits(s, school_id, 10); });
  }

  FakeClock clock_;
  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(ExportAuditStoreTest, StoresCompleteExport) {
  absl::StatusOr<std::unique_ptr<TableWriter>> writer =
      NewCsvWriter(GraduateSpec(), [](absl::string_view) { return absl::OkStatus(); }, clock_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow({Cell::Text("𠀾明"), Cell::Text("110105199901011234")}).ok());
  clock_.Advance(absl::Milliseconds(1500));
  absl::StatusOr<ExportAudit> audit = (*writer)->Finish();
  ASSERT_TRUE(audit.ok()) << audit.status();

  absl::StatusOr<int64_t> id = Insert(*audit);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_GT(*id, 0);

  absl::StatusOr<std::vector<ExportAudit>> stored = List("10559");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  const ExportAudit& entry = stored->front();
  EXPECT_EQ(entry.kind, "sync.graduates.query");
  EXPECT_EQ(entry.title, "下载当前查询数据");
  EXPECT_EQ(entry.format, "CSV");
  EXPECT_EQ(entry.actor_id, "staff-7");
  EXPECT_EQ(entry.actor_name, "李老师");
  EXPECT_EQ(entry.school_id, "10559");
  EXPECT_EQ(entry.request_id, "req-1");
  EXPECT_EQ(entry.filter_summary, "院系=计算机学院; 状态=退回修改");
  EXPECT_EQ(entry.row_count, 1);
  EXPECT_EQ(entry.byte_count, audit->byte_count);
  EXPECT_TRUE(entry.masked);
  EXPECT_FALSE(entry.full_view);
  EXPECT_EQ(entry.started_at, absl::FromUnixSeconds(1'800'000'000));
  EXPECT_EQ(entry.finished_at, absl::FromUnixSeconds(1'800'000'000) + absl::Milliseconds(1500));

  absl::StatusOr<std::vector<ExportAudit>> other_school = List("10560");
  ASSERT_TRUE(other_school.ok()) << other_school.status();
  EXPECT_TRUE(other_school->empty());
}

TEST_F(ExportAuditStoreTest, StoresFailedExportWithoutFinish) {
  auto failing_sink = [](absl::string_view) { return absl::UnavailableError("client went away"); };
  ExportSpec spec = GraduateSpec();
  spec.full_view = true;
  absl::StatusOr<std::unique_ptr<TableWriter>> writer = NewXlsxWriter(spec, failing_sink, clock_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteRow({Cell::Text("张三"), Cell::Text("110105199901011234")}).ok());
  ASSERT_FALSE((*writer)->Finish().ok());

  absl::StatusOr<int64_t> id = Insert((*writer)->audit());
  ASSERT_TRUE(id.ok()) << id.status();

  absl::StatusOr<std::vector<ExportAudit>> stored = List("10559");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().format, "XLSX");
  EXPECT_EQ(stored->front().row_count, 1);
  EXPECT_EQ(stored->front().byte_count, 0);
  EXPECT_TRUE(stored->front().full_view);
  EXPECT_FALSE(stored->front().masked);
  EXPECT_EQ(stored->front().finished_at, absl::InfinitePast());
}

TEST_F(ExportAuditStoreTest, CutsLongTexts) {
  ExportAudit audit;
  audit.kind = "sync.graduates.query";
  audit.format = "CSV";
  audit.actor_id = "staff-7";
  audit.school_id = "10559";
  audit.title = std::string(200, 'x');
  std::string filter;
  for (int i = 0; i < 1200; ++i) filter.append("𠀾");
  audit.filter_summary = filter;
  audit.started_at = clock_.Now();
  ASSERT_TRUE(Insert(audit).ok());

  absl::StatusOr<std::vector<ExportAudit>> stored = List("10559");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().title, std::string(128, 'x'));
  EXPECT_EQ(stored->front().filter_summary.size(), 1000u * 4);
}

TEST_F(ExportAuditStoreTest, RejectsInvalidAudit) {
  ExportAudit no_actor;
  no_actor.kind = "sync.graduates.query";
  no_actor.started_at = clock_.Now();
  EXPECT_EQ(ErrorReason(Insert(no_actor).status()), "EXPORT_AUDIT_INVALID");

  ExportAudit chinese_kind = no_actor;
  chinese_kind.actor_id = "staff-7";
  chinese_kind.kind = "导出";
  EXPECT_EQ(ErrorReason(Insert(chinese_kind).status()), "EXPORT_AUDIT_INVALID");

  absl::StatusOr<std::vector<ExportAudit>> stored = List("");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->empty());
}

}  // namespace
}  // namespace quxiang::exports

// Acceptance tests of the roster feed: the EMS simulator's roster changes applied by the real
// feed to a real MariaDB, with the accounts service resolving schools and receiving departments,
// and restores driven by a fake clock.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "services/sync/outbox.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

constexpr int kClass = 2025;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

class RosterFeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_roster", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A school of its own for each test, so that tests do not see each other's graduates.
  std::string NewSchool(std::string* code) {
    static int serial = 0;
    *code = absl::StrFormat("41110%05d", ++serial);
    return stack_->CreateSchool(*code, absl::StrCat("测试大学", serial));
  }

  // One integer column of one graduate row.
  static int64_t GraduateColumn(const std::string& graduate_id, const std::string& column) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.QueryOne(absl::StrCat("SELECT ", column, " FROM graduates WHERE id = ?"),
                        {static_cast<int64_t>(std::stoll(graduate_id))});
    });
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) return -1;
    return (*row)->Int64(0);
  }

  static bool GraduateColumnIsNull(const std::string& graduate_id, const std::string& column) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.QueryOne(absl::StrCat("SELECT ", column, " FROM graduates WHERE id = ?"),
                        {static_cast<int64_t>(std::stoll(graduate_id))});
    });
    return row.ok() && *row && (*row)->IsNull(0);
  }

  static int64_t Cursor() {
    auto cursor = stack_->pool().Read<int64_t>(Deadline(), [](db::Session& s) { return GraduateRepository::ReadCursor(s); });
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    return cursor.ok() ? *cursor : -1;
  }

  static void SetCursor(int64_t after_sequence) {
    absl::Status saved = stack_->pool().Run(Deadline(), [&](db::Session& s) {
      return GraduateRepository::SaveCursor(s, after_sequence, stack_->clock().Now());
    });
    ASSERT_TRUE(saved.ok()) << saved;
  }

  // The number of outbox events of `type` for graduate `graduate_id`.
  static int64_t EventCount(const std::string& type, const std::string& graduate_id) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
      return s.QueryOne("SELECT COUNT(*) FROM outbox WHERE type = ? AND aggregate_id = ?", {type, graduate_id});
    });
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
};

SyncStack* RosterFeedTest::stack_ = nullptr;
std::string* RosterFeedTest::skip_reason_ = nullptr;

TEST_F(RosterFeedTest, ImportThenReimportChangesNothing) {
  std::string code;
  std::string school_id = NewSchool(&code);
  int64_t cursor_before = Cursor();
  std::vector<ems::v1::RosterGraduate> roster;
  for (int i = 0; i < 250; ++i) roster.push_back(RosterRecord(code, kClass, 1000 + i, i % 2 ? "计算机学院" : "文学院"));
  stack_->UploadRoster(code, kClass, roster);

  RosterCounts first = stack_->RunRosterFeed();
  EXPECT_EQ(first.inserted, 250);
  EXPECT_EQ(first.rejected, 0);
  std::string graduate_id = stack_->GraduateIdOf(school_id, roster[0].id_number());
  ASSERT_FALSE(graduate_id.empty());
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "version"), 1);
  int64_t events_after_import = EventCount(kGraduateRosterChanged, graduate_id);

  // Reads the same 250 changes again, as after the EMS sent its log once more.
  SetCursor(cursor_before);
  RosterCounts again = stack_->RunRosterFeed();

  EXPECT_EQ(again.listed, 250);
  EXPECT_EQ(again.inserted, 0);
  EXPECT_EQ(again.updated, 0);
  EXPECT_EQ(again.unchanged, 250);
  EXPECT_EQ(again.applied(), 0);
  EXPECT_EQ(GraduateColumn(graduate_id, "version"), 1);
  EXPECT_EQ(EventCount(kGraduateRosterChanged, graduate_id), events_after_import);
}

TEST_F(RosterFeedTest, ChangedRecordIsRewritten) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate record = RosterRecord(code, kClass, 2000, "文学院");
  stack_->UploadRoster(code, kClass, {record});
  stack_->RunRosterFeed();
  std::string graduate_id = stack_->GraduateIdOf(school_id, record.id_number());

  record.set_department("外国语学院");
  stack_->UploadRoster(code, kClass, {record});
  RosterCounts counts = stack_->RunRosterFeed();

  EXPECT_EQ(counts.updated, 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "version"), 2);
  EXPECT_EQ(EventCount(kGraduateRosterChanged, graduate_id), 2);
}

TEST_F(RosterFeedTest, RemovedGraduateIsInvalidatedAndRestoredAfterDelay) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate record = RosterRecord(code, kClass, 3000, "文学院");
  stack_->UploadRoster(code, kClass, {record, RosterRecord(code, kClass, 3001, "文学院")});
  stack_->RunRosterFeed();
  std::string graduate_id = stack_->GraduateIdOf(school_id, record.id_number());

  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(code);
  remove.set_id_number(record.id_number());
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  RosterCounts removed = stack_->RunRosterFeed();

  EXPECT_EQ(removed.invalidated, 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 2);
  EXPECT_FALSE(GraduateColumnIsNull(graduate_id, "invalidated_at"));
  EXPECT_TRUE(GraduateColumnIsNull(graduate_id, "restore_due_at"));
  EXPECT_EQ(EventCount(kGraduateInvalidated, graduate_id), 1);
  // Kept, not deleted.
  EXPECT_EQ(stack_->GraduateIdOf(school_id, record.id_number()), graduate_id);

  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(code);
  readd.set_id_number(record.id_number());
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  RosterCounts readded = stack_->RunRosterFeed();

  EXPECT_EQ(readded.restores_scheduled, 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 2);
  EXPECT_FALSE(GraduateColumnIsNull(graduate_id, "restore_due_at"));

  // Not before the restore delay (1 hour) has passed.
  stack_->clock().Advance(absl::Minutes(59));
  absl::StatusOr<int> early = stack_->graduates().RestoreDue(100, absl::Hours(1));
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(*early, 0);
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 2);

  stack_->clock().Advance(absl::Minutes(1));
  absl::StatusOr<int> due = stack_->graduates().RestoreDue(100, absl::Hours(1));
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 1);
  EXPECT_TRUE(GraduateColumnIsNull(graduate_id, "invalidated_at"));
  EXPECT_EQ(EventCount(kGraduateRestored, graduate_id), 1);
}

TEST_F(RosterFeedTest, RemoveOfReaddedGraduateCancelsRestore) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate record = RosterRecord(code, kClass, 3100, "文学院");
  stack_->UploadRoster(code, kClass, {record});
  stack_->RunRosterFeed();
  std::string graduate_id = stack_->GraduateIdOf(school_id, record.id_number());

  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(code);
  remove.set_id_number(record.id_number());
  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(code);
  readd.set_id_number(record.id_number());
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  RosterCounts counts = stack_->RunRosterFeed();

  // Removed, sent again and removed again in one page: invalidated without a restore time.
  EXPECT_EQ(counts.invalidated, 1);
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 2);
  EXPECT_TRUE(GraduateColumnIsNull(graduate_id, "restore_due_at"));
  stack_->clock().Advance(absl::Hours(2));
  absl::StatusOr<int> due = stack_->graduates().RestoreDue(100, absl::Hours(1));
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(GraduateColumn(graduate_id, "state"), 2);
}

TEST_F(RosterFeedTest, UnknownSchoolIsBackfilledOnceCreated) {
  const std::string code = "4119990001";
  std::vector<ems::v1::RosterGraduate> roster = {RosterRecord(code, kClass, 4000, "理学院"),
                                                 RosterRecord(code, kClass, 4001, "理学院")};
  stack_->UploadRoster(code, kClass, roster);
  RosterCounts skipped = stack_->RunRosterFeed();
  EXPECT_EQ(skipped.skipped, 2);
  EXPECT_EQ(skipped.inserted, 0);

  std::string school_id = stack_->CreateSchool(code, "后建大学");
  // Asked again only after the recheck interval.
  RosterCounts before_recheck = stack_->RunRosterFeed();
  EXPECT_EQ(before_recheck.inserted, 0);
  EXPECT_TRUE(stack_->GraduateIdOf(school_id, roster[0].id_number()).empty());

  stack_->clock().Advance(stack_->feed().options().unknown_school_recheck);
  RosterCounts backfilled = stack_->RunRosterFeed();
  EXPECT_EQ(backfilled.inserted, 2);
  EXPECT_FALSE(stack_->GraduateIdOf(school_id, roster[0].id_number()).empty());
  EXPECT_FALSE(stack_->GraduateIdOf(school_id, roster[1].id_number()).empty());

  // From now on the main cursor applies the school's changes.
  stack_->UploadRoster(code, kClass, {RosterRecord(code, kClass, 4002, "理学院")});
  RosterCounts later = stack_->RunRosterFeed();
  EXPECT_EQ(later.inserted, 1);
}

TEST_F(RosterFeedTest, RecordThatDoesNotFitIsRejected) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate too_long = RosterRecord(code, kClass, 5000, "文学院");
  too_long.set_home_address(std::string(300, 'a'));
  ems::v1::RosterGraduate fine = RosterRecord(code, kClass, 5001, "文学院");
  stack_->UploadRoster(code, kClass, {too_long, fine});

  RosterCounts counts = stack_->RunRosterFeed();

  EXPECT_EQ(counts.rejected, 1);
  EXPECT_EQ(counts.inserted, 1);
  EXPECT_TRUE(stack_->GraduateIdOf(school_id, too_long.id_number()).empty());
  EXPECT_FALSE(stack_->GraduateIdOf(school_id, fine.id_number()).empty());
  auto rejections = stack_->pool().Read<std::optional<db::Row>>(Deadline(), [&](db::Session& s) {
    return s.QueryOne("SELECT reason FROM roster_rejections WHERE school_code = ?", {code});
  });
  ASSERT_TRUE(rejections.ok());
  ASSERT_TRUE(rejections->has_value());
  EXPECT_EQ((*rejections)->String(0), "FIELD_TOO_LONG");
}

TEST_F(RosterFeedTest, CorrectedIdNumberKeepsStudentNumber) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate wrong = RosterRecord(code, kClass, 5100, "文学院");
  stack_->UploadRoster(code, kClass, {wrong});
  stack_->RunRosterFeed();
  std::string wrong_id = stack_->GraduateIdOf(school_id, wrong.id_number());

  // The school removes the row with the wrong ID number and uploads the graduate again with the
  // right one and the same student number, in one page.
  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(code);
  remove.set_id_number(wrong.id_number());
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  ems::v1::RosterGraduate corrected = wrong;
  corrected.set_id_number(IdNumber(5199));
  stack_->UploadRoster(code, kClass, {corrected});
  RosterCounts counts = stack_->RunRosterFeed();

  EXPECT_EQ(counts.invalidated, 1);
  EXPECT_EQ(counts.inserted, 1);
  EXPECT_EQ(counts.rejected, 0);
  std::string corrected_id = stack_->GraduateIdOf(school_id, corrected.id_number());
  ASSERT_FALSE(corrected_id.empty());
  EXPECT_NE(corrected_id, wrong_id);
  EXPECT_EQ(GraduateColumn(corrected_id, "state"), 1);
  EXPECT_EQ(GraduateColumn(wrong_id, "state"), 2);

  // Sent again, the wrong row would take a student number an active graduate holds: it stays
  // invalidated and its restore is postponed.
  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(code);
  readd.set_id_number(wrong.id_number());
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  RosterCounts readded = stack_->RunRosterFeed();
  EXPECT_EQ(readded.rejected, 1);
  EXPECT_EQ(GraduateColumn(wrong_id, "state"), 2);
}

TEST_F(RosterFeedTest, DuplicatedDeliveryAppliesOnce) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::Faults faults;
  faults.set_duplicate_delivery(true);
  ems::v1::Faults applied;
  ASSERT_TRUE(stack_->ems().SetFaults(faults, &applied).ok());
  std::vector<ems::v1::RosterGraduate> roster = {RosterRecord(code, kClass, 6000, "文学院"),
                                                 RosterRecord(code, kClass, 6001, "文学院")};
  stack_->UploadRoster(code, kClass, roster);

  RosterCounts counts = stack_->RunRosterFeed();
  ASSERT_TRUE(stack_->ems().SetFaults(ems::v1::Faults(), &applied).ok());

  EXPECT_EQ(counts.listed, 2);
  EXPECT_EQ(counts.inserted, 2);
  std::string graduate_id = stack_->GraduateIdOf(school_id, roster[0].id_number());
  EXPECT_EQ(EventCount(kGraduateRosterChanged, graduate_id), 1);
}

TEST_F(RosterFeedTest, DepartmentsReachAccounts) {
  std::string code;
  std::string school_id = NewSchool(&code);
  stack_->UploadRoster(code, kClass,
                       {RosterRecord(code, kClass, 7000, "马克思主义学院"), RosterRecord(code, kClass, 7001, "𠀀学院")});
  stack_->RunRosterFeed();

  // Delivers every pending department event, this school's among them.
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<int> delivered = stack_->accounts_relay().DeliverOnce();
    ASSERT_TRUE(delivered.ok()) << delivered.status();
    if (*delivered == 0) break;
  }

  auto names = stack_->accounts_pool().Read<std::vector<db::Row>>(Deadline(), [&](db::Session& s) {
    return s.Query("SELECT name FROM departments WHERE school_id = ? ORDER BY name",
                   {static_cast<int64_t>(std::stoll(school_id))});
  });
  ASSERT_TRUE(names.ok()) << names.status();
  ASSERT_EQ(names->size(), 2u);
  std::vector<std::string> got = {(*names)[0].String(0), (*names)[1].String(0)};
  EXPECT_NE(std::find(got.begin(), got.end(), "马克思主义学院"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "𠀀学院"), got.end());
}

}  // namespace
}  // namespace quxiang::sync::testing

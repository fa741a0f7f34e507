// Tests of the review engine's persistence against a real MariaDB or MySQL server named by the
// MYSQL_* environment. Each test creates its own database and drops it at the end; without
// MYSQL_HOST every test is skipped.
#include "libs/review/store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "libs/testing/test_database.h"

namespace quxiang::review {
namespace {

using identity::Access;

// The caller's own record table, as a service would create it in its migrations.
constexpr char kRecordsMigration[] =
    "CREATE TABLE test_records (\n"
    "  id BIGINT NOT NULL PRIMARY KEY,\n"
    "  school_id VARCHAR(16) NOT NULL,\n"
    "  department_id VARCHAR(16) NOT NULL,\n"
    "  applicant_id VARCHAR(16) NOT NULL,\n"
    "  review_state VARCHAR(16) NOT NULL,\n"
    "  review_stage VARCHAR(16) NOT NULL,\n"
    "  version BIGINT NOT NULL,\n"
    "  updated_at DATETIME(6) NOT NULL\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n"
    "-- A side effect of an applied record, written by the batch's AfterApply hook.\n"
    "CREATE TABLE test_effects (\n"
    "  record_id BIGINT NOT NULL PRIMARY KEY,\n"
    "  to_state VARCHAR(16) NOT NULL\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n";

absl::Time Deadline(absl::Duration timeout = absl::Seconds(30)) { return absl::Now() + timeout; }

FlowDefinition Flow() {
  FlowDefinition flow;
  flow.name = "test.paper_registration";
  flow.wording = Wording::kByAgreementType;
  flow.reject_reasons = DefaultRejectReasons();
  return flow;
}

RecordTable Table() {
  RecordTable table;
  table.table = "test_records";
  return table;
}

Actor School(const std::string& id = "u-school") {
  Actor actor;
  actor.kind = ActorKind::kSchool;
  actor.id = id;
  actor.name = "校级审核员";
  actor.school_id = "1";
  actor.access = Access::ACCESS_READ_WRITE;
  return actor;
}

Actor Department() {
  Actor actor;
  actor.kind = ActorKind::kDepartment;
  actor.id = "u-law";
  actor.name = "法学院审核员";
  actor.school_id = "1";
  actor.department_id = "d-law";
  actor.access = Access::ACCESS_READ_WRITE;
  return actor;
}

ActionRequest Approve(int64_t expected_version) {
  ActionRequest request;
  request.action = Action::kApprove;
  request.expected_version = expected_version;
  return request;
}

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

class ReviewStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = quxiang::testing::TestDatabase::Create("review");
    if (!database_.has_value()) GTEST_SKIP() << "MYSQL_HOST is not set";
    db::Options options = database_->options();
    options.max_connections = 8;
    absl::StatusOr<std::unique_ptr<db::Pool>> pool = db::Pool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    absl::Status migrated =
        db::ApplyMigrations(*pool_, WithReviewMigrations({{"0001_test_records.sql", kRecordsMigration}}));
    ASSERT_TRUE(migrated.ok()) << migrated;
  }

  void InsertRecord(int64_t id, State state, Stage stage, int64_t version,
                    const std::string& department_id = "d-law") {
    absl::Status inserted = pool_->Run(Deadline(), [&](db::Session& s) {
      return s
          .Execute("INSERT INTO test_records (id, school_id, department_id, applicant_id, review_state, "
                   "review_stage, version, updated_at) VALUES (?, '1', ?, 'g-1', ?, ?, ?, UTC_TIMESTAMP(6))",
                   {id, department_id, std::string(StateName(state)), std::string(StageName(stage)), version})
          .status();
    });
    ASSERT_TRUE(inserted.ok()) << inserted;
  }

  // The loader a service would write: the review columns of one record of school 1.
  static absl::StatusOr<RecordSnapshot> Load(db::Session& s, const std::string& record_id) {
    ASSIGN_OR_RETURN(std::optional<db::Row> row,
                     s.QueryOne("SELECT review_state, review_stage, version, school_id, department_id, applicant_id "
                                "FROM test_records WHERE id = ? AND school_id = '1'",
                                {record_id}));
    if (!row.has_value()) {
      return NotFound("RECORD_NOT_FOUND", "记录不存在，请刷新列表。", {{"record_id", record_id}});
    }
    RecordSnapshot snapshot;
    snapshot.record_id = record_id;
    ASSIGN_OR_RETURN(snapshot.state, ParseState(row->String(0)));
    ASSIGN_OR_RETURN(snapshot.stage, ParseStage(row->String(1)));
    snapshot.version = row->Int64(2);
    snapshot.school_id = row->String(3);
    snapshot.department_id = row->String(4);
    snapshot.applicant_id = row->String(5);
    return snapshot;
  }

  // Loads the record and applies `request` in one transaction, as a service's RPC would.
  absl::StatusOr<AppliedAction> Act(int64_t id, const Actor& actor, const ActionRequest& request,
                                    const std::string& request_id = "",
                                    ReviewMode mode = ReviewMode::kSchoolOnly) {
    return pool_->InTransaction<AppliedAction>(Deadline(), [&](db::Session& s) -> absl::StatusOr<AppliedAction> {
      ASSIGN_OR_RETURN(RecordSnapshot snapshot, Load(s, absl::StrCat(id)));
      return ApplyAction(s, Table(), Flow(), ReviewContext{mode, AgreementType::kThreeParty}, actor, snapshot,
                         request, request_id, absl::Now());
    });
  }

  RecordSnapshot Current(int64_t id) {
    absl::StatusOr<RecordSnapshot> snapshot = pool_->Read<RecordSnapshot>(
        Deadline(), [&](db::Session& s) { return Load(s, absl::StrCat(id)); });
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? *snapshot : RecordSnapshot();
  }

  std::vector<HistoryEntry> History(int64_t id) {
    absl::StatusOr<std::vector<HistoryEntry>> entries = pool_->Read<std::vector<HistoryEntry>>(
        Deadline(), [&](db::Session& s) { return ListHistory(s, Flow().name, absl::StrCat(id)); });
    EXPECT_TRUE(entries.ok()) << entries.status();
    return entries.ok() ? *entries : std::vector<HistoryEntry>();
  }

  int64_t CountRows(const std::string& sql) {
    absl::StatusOr<int64_t> count = pool_->Read<int64_t>(Deadline(), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      ASSIGN_OR_RETURN(std::optional<db::Row> row, s.QueryOne(sql));
      return row.has_value() ? row->Int64(0) : -1;
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  std::optional<quxiang::testing::TestDatabase> database_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(ReviewStoreTest, MigrationsAreNamedAndOrdered) {
  ASSERT_FALSE(Migrations().empty());
  EXPECT_EQ(Migrations().front().name, "review/0001_review_history.sql");
  std::vector<db::MigrationFile> files = WithReviewMigrations({{"0001_init.sql", "SELECT 1;"}});
  ASSERT_EQ(files.size(), Migrations().size() + 1);
  EXPECT_EQ(files.back().name, "0001_init.sql");
}

TEST_F(ReviewStoreTest, ApproveWritesRecordAndHistory) {
  InsertRecord(1, State::kPending, Stage::kSchool, 1);
  const absl::Time before = absl::Now();
  ActionRequest request = Approve(1);
  request.detail = "材料齐全";
  absl::StatusOr<AppliedAction> applied = Act(1, School(), request, "req-1");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->new_version, 2);
  EXPECT_FALSE(applied->replayed);
  EXPECT_TRUE(applied->transition.became_effective);

  RecordSnapshot current = Current(1);
  EXPECT_EQ(current.state, State::kApproved);
  EXPECT_EQ(current.stage, Stage::kNone);
  EXPECT_EQ(current.version, 2);

  std::vector<HistoryEntry> history = History(1);
  ASSERT_EQ(history.size(), 1u);
  const HistoryEntry& entry = history[0];
  EXPECT_EQ(entry.id, applied->history_id);
  EXPECT_EQ(entry.flow, "test.paper_registration");
  EXPECT_EQ(entry.record_id, "1");
  EXPECT_EQ(entry.version, 2);
  EXPECT_EQ(entry.action, Action::kApprove);
  EXPECT_EQ(entry.stage, Stage::kSchool);
  EXPECT_EQ(entry.from_state, State::kPending);
  EXPECT_EQ(entry.to_state, State::kApproved);
  EXPECT_EQ(entry.to_stage, Stage::kNone);
  EXPECT_EQ(entry.actor_kind, ActorKind::kSchool);
  EXPECT_EQ(entry.reviewer_id, "u-school");
  EXPECT_EQ(entry.reviewer_name, "校级审核员");
  EXPECT_EQ(entry.detail, "材料齐全");
  EXPECT_EQ(entry.request_id, "req-1");
  // Stored as UTC with microseconds.
  EXPECT_GE(entry.occurred_at, before - absl::Microseconds(1));
  EXPECT_LE(entry.occurred_at, absl::Now());
}

TEST_F(ReviewStoreTest, TwoLevelReviewKeepsFullHistory) {
  const ReviewMode mode = ReviewMode::kDepartmentThenSchool;
  const Transition submission = Submission(mode);
  InsertRecord(5, submission.to_state, submission.to_stage, 1);
  Actor graduate;
  graduate.kind = ActorKind::kGraduate;
  graduate.id = "g-1";
  graduate.name = "张三𠀀";  // a name outside the BMP
  absl::Status submitted = pool_->Run(Deadline(), [&](db::Session& s) {
    return RecordSubmission(s, Flow(), graduate, "5", submission, 1, "submit-1", absl::Now()).status();
  });
  ASSERT_TRUE(submitted.ok()) << submitted;

  ActionRequest returned;
  returned.action = Action::kReturn;
  returned.expected_version = 1;
  returned.detail = "请补充盖章页";
  ASSERT_TRUE(Act(5, Department(), returned, "", mode).ok());
  ActionRequest resubmit;
  resubmit.action = Action::kResubmit;
  resubmit.expected_version = 2;
  ASSERT_TRUE(Act(5, graduate, resubmit, "", mode).ok());
  ASSERT_TRUE(Act(5, Department(), Approve(3), "", mode).ok());
  absl::StatusOr<AppliedAction> final_approval = Act(5, School(), Approve(4), "", mode);
  ASSERT_TRUE(final_approval.ok()) << final_approval.status();
  EXPECT_TRUE(final_approval->transition.became_effective);

  std::vector<HistoryEntry> history = History(5);
  ASSERT_EQ(history.size(), 5u);
  const std::vector<std::tuple<Action, Stage, State, int64_t>> expected = {
      {Action::kSubmit, Stage::kNone, State::kPending, 1},
      {Action::kReturn, Stage::kDepartment, State::kReturned, 2},
      {Action::kResubmit, Stage::kNone, State::kPending, 3},
      {Action::kApprove, Stage::kDepartment, State::kPending, 4},
      {Action::kApprove, Stage::kSchool, State::kApproved, 5}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(history[i].action, std::get<0>(expected[i])) << i;
    EXPECT_EQ(history[i].stage, std::get<1>(expected[i])) << i;
    EXPECT_EQ(history[i].to_state, std::get<2>(expected[i])) << i;
    EXPECT_EQ(history[i].version, std::get<3>(expected[i])) << i;
  }
  EXPECT_EQ(history[0].reviewer_name, "张三𠀀");
  EXPECT_EQ(history[1].detail, "请补充盖章页");
  EXPECT_EQ(history[1].actor_kind, ActorKind::kDepartment);
  EXPECT_EQ(history[3].to_stage, Stage::kSchool);
  EXPECT_EQ(Current(5).state, State::kApproved);
}

TEST_F(ReviewStoreTest, ConcurrentApprovalsExactlyOneWins) {
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t id = 100 + round;
    InsertRecord(id, State::kPending, Stage::kSchool, 1);
    Barrier barrier(2);
    std::vector<absl::Status> outcomes(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        barrier.ArriveAndWait();
        outcomes[t] = Act(id, School(absl::StrCat("u-school-", t)), Approve(1)).status();
      });
    }
    for (std::thread& thread : threads) thread.join();

    int wins = 0;
    for (const absl::Status& outcome : outcomes) {
      if (outcome.ok()) {
        ++wins;
        continue;
      }
      EXPECT_EQ(outcome.code(), absl::StatusCode::kAborted) << "round " << round << ": " << outcome;
      EXPECT_EQ(ErrorReason(outcome), "STALE_VERSION") << "round " << round << ": " << outcome;
    }
    ASSERT_EQ(wins, 1) << "round " << round;
    ASSERT_EQ(History(id).size(), 1u) << "round " << round;
    RecordSnapshot current = Current(id);
    EXPECT_EQ(current.state, State::kApproved) << "round " << round;
    EXPECT_EQ(current.version, 2) << "round " << round;
  }
}

TEST_F(ReviewStoreTest, FailedActionWritesNothing) {
  InsertRecord(7, State::kPending, Stage::kSchool, 1);
  ActionRequest reject;
  reject.action = Action::kReject;
  reject.expected_version = 1;
  reject.reason_code = "OTHER";
  absl::StatusOr<AppliedAction> refused = Act(7, School(), reject);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorReason(refused.status()), "REVIEW_DETAIL_REQUIRED");

  absl::StatusOr<AppliedAction> stale = Act(7, School(), Approve(4));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(ErrorReason(stale.status()), "STALE_VERSION");

  Actor read_only = School();
  read_only.access = Access::ACCESS_READ_ONLY;
  absl::StatusOr<AppliedAction> denied = Act(7, read_only, Approve(1));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);

  RecordSnapshot current = Current(7);
  EXPECT_EQ(current.state, State::kPending);
  EXPECT_EQ(current.version, 1);
  EXPECT_TRUE(History(7).empty());
}

TEST_F(ReviewStoreTest, HistoryFailureRollsBackUpdate) {
  InsertRecord(8, State::kPending, Stage::kSchool, 1);
  // A history row that already claims version 2 makes the engine's insert fail after its update.
  absl::Status planted = pool_->Run(Deadline(), [&](db::Session& s) {
    return s
        .Execute("INSERT INTO review_history (flow, record_id, version, action, stage, from_state, to_state, "
                 "to_stage, actor_kind, reviewer_id, occurred_at) VALUES (?, '8', 2, 'MODIFY', '', 'APPROVED', "
                 "'APPROVED', '', 'SCHOOL', 'u-other', UTC_TIMESTAMP(6))",
                 {Flow().name})
        .status();
  });
  ASSERT_TRUE(planted.ok()) << planted;

  absl::StatusOr<AppliedAction> applied = Act(8, School(), Approve(1));
  ASSERT_FALSE(applied.ok());
  EXPECT_TRUE(db::IsDuplicateKey(applied.status())) << applied.status();
  RecordSnapshot current = Current(8);
  EXPECT_EQ(current.state, State::kPending);
  EXPECT_EQ(current.version, 1);
  EXPECT_EQ(History(8).size(), 1u);
}

TEST_F(ReviewStoreTest, RepeatedRequestIdReplays) {
  InsertRecord(9, State::kPending, Stage::kSchool, 1);
  absl::StatusOr<AppliedAction> first = Act(9, School(), Approve(1), "req-9");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<AppliedAction> again = Act(9, School(), Approve(1), "req-9");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->new_version, 2);
  EXPECT_EQ(again->history_id, first->history_id);
  EXPECT_EQ(again->transition.to_state, State::kApproved);

  ActionRequest modify;
  modify.action = Action::kModify;
  modify.expected_version = 2;
  absl::StatusOr<AppliedAction> reused = Act(9, School(), modify, "req-9");
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(ErrorReason(reused.status()), "REQUEST_ID_REUSED");
  absl::StatusOr<AppliedAction> other_actor = Act(9, School("u-other"), Approve(1), "req-9");
  ASSERT_FALSE(other_actor.ok());
  EXPECT_EQ(ErrorReason(other_actor.status()), "REQUEST_ID_REUSED");

  EXPECT_EQ(History(9).size(), 1u);
  EXPECT_EQ(Current(9).version, 2);
}

TEST_F(ReviewStoreTest, InvalidTableNamesRunNoSql) {
  InsertRecord(10, State::kPending, Stage::kSchool, 1);
  const std::vector<RecordTable> bad_tables = [] {
    std::vector<RecordTable> tables(6, Table());
    tables[0].table = "test_records; DROP TABLE review_history";
    tables[1].table = "";
    tables[2].id_column = "id`";
    tables[3].state_column = "Review_State";
    tables[4].updated_at_column = "updated at";
    tables[5].version_column = std::string(65, 'v');
    return tables;
  }();
  for (const RecordTable& table : bad_tables) {
    const int64_t statements_before = pool_->Stats().statements;
    absl::Status status = pool_->Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
      RecordSnapshot snapshot;
      snapshot.record_id = "10";
      snapshot.state = State::kPending;
      snapshot.stage = Stage::kSchool;
      snapshot.version = 1;
      snapshot.school_id = "1";
      return ApplyAction(s, table, Flow(), ReviewContext{}, School(), snapshot, Approve(1), "", absl::Now()).status();
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << table.table;
    EXPECT_EQ(ErrorReason(status), "REVIEW_TABLE_INVALID") << table.table;
    EXPECT_EQ(pool_->Stats().statements, statements_before) << table.table;
  }
  EXPECT_EQ(Current(10).version, 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM review_history"), 0);
}

TEST_F(ReviewStoreTest, BatchAppliesEachRecordAlone) {
  constexpr int kRecords = 200;
  // Records 1-200 wait at the department stage. Every 10th was changed by someone else (the
  // batch sends version 1, the row is at 2), every 7th belongs to another department, and the
  // after-hook fails for every 13th. The batch also names two missing records and one twice.
  for (int id = 1; id <= kRecords; ++id) {
    const std::string department = id % 7 == 0 ? "d-physics" : "d-law";
    InsertRecord(id, State::kPending, Stage::kDepartment, id % 10 == 0 ? 2 : 1, department);
  }

  BatchRequest batch;
  batch.table = Table();
  batch.flow = Flow();
  batch.context = ReviewContext{ReviewMode::kDepartmentThenSchool, AgreementType::kTwoParty};
  batch.actor = Department();
  batch.action.action = Action::kApprove;
  batch.request_id = "batch-1";
  for (int id = 1; id <= kRecords; ++id) batch.items.push_back({absl::StrCat(id), 1});
  batch.items.push_back({"9001", 1});
  batch.items.push_back({"9002", 1});
  batch.items.push_back({"3", 1});

  const auto after = [](db::Session& s, const RecordSnapshot& record, const AppliedAction& applied) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO test_effects (record_id, to_state) VALUES (?, ?)",
                              {record.record_id, std::string(StateName(applied.transition.to_state))})
                        .status());
    if (std::stoi(record.record_id) % 13 == 0) {
      return Unavailable("LEDGER_UNAVAILABLE", "毕业去向台账暂时不可用，请稍后重试。");
    }
    return absl::OkStatus();
  };

  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<BatchItemResult>> results =
      ApplyBatch(*pool_, Deadline(absl::Minutes(3)), Clock::Real(), batch, &ReviewStoreTest::Load, after);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), batch.items.size());
  std::cout << "batch of " << batch.items.size() << " records took " << absl::FormatDuration(absl::Now() - start)
            << std::endl;

  int expected_applied = 0;
  for (int id = 1; id <= kRecords; ++id) {
    const BatchItemResult& result = (*results)[id - 1];
    ASSERT_EQ(result.record_id, absl::StrCat(id));
    std::string expected_reason;
    if (id % 7 == 0) {
      expected_reason = "OUTSIDE_DEPARTMENT_SCOPE";
    } else if (id % 10 == 0) {
      expected_reason = "STALE_VERSION";
    } else if (id % 13 == 0) {
      expected_reason = "LEDGER_UNAVAILABLE";
    }
    const RecordSnapshot current = Current(id);
    if (expected_reason.empty()) {
      ++expected_applied;
      ASSERT_TRUE(result.status.ok()) << id << ": " << result.status;
      ASSERT_TRUE(result.applied.has_value()) << id;
      EXPECT_EQ(result.applied->new_version, 2) << id;
      EXPECT_EQ(current.state, State::kPending) << id;
      EXPECT_EQ(current.stage, Stage::kSchool) << id;
      EXPECT_EQ(current.version, 2) << id;
      EXPECT_EQ(History(id).size(), 1u) << id;
    } else {
      EXPECT_EQ(ErrorReason(result.status), expected_reason) << id << ": " << result.status;
      EXPECT_TRUE(ErrorZhMessage(result.status).has_value()) << id;
      EXPECT_FALSE(result.applied.has_value()) << id;
      EXPECT_EQ(current.stage, Stage::kDepartment) << id;
      EXPECT_EQ(current.version, id % 10 == 0 ? 2 : 1) << id;
      EXPECT_TRUE(History(id).empty()) << id;
    }
  }
  EXPECT_EQ((*results)[kRecords].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*results)[kRecords + 1].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason((*results)[kRecords + 2].status), "REVIEW_BATCH_DUPLICATE_RECORD");

  EXPECT_GT(expected_applied, 100);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM review_history"), expected_applied);
  // The effects of the records whose hook failed were rolled back with them.
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM test_effects"), expected_applied);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM test_effects WHERE record_id % 13 = 0"), 0);

  // The same batch again replays the applied records without calling the hook, and the others
  // fail as before.
  absl::StatusOr<std::vector<BatchItemResult>> repeated =
      ApplyBatch(*pool_, Deadline(absl::Minutes(3)), Clock::Real(), batch, &ReviewStoreTest::Load, after);
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  int replayed = 0;
  for (const BatchItemResult& result : *repeated) {
    if (result.status.ok() && result.applied->replayed) ++replayed;
  }
  EXPECT_EQ(replayed, expected_applied);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM review_history"), expected_applied);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM test_effects"), expected_applied);
}

TEST_F(ReviewStoreTest, BatchRejectsBadShape) {
  BatchRequest batch;
  batch.table = Table();
  batch.flow = Flow();
  batch.actor = School();
  const auto load = &ReviewStoreTest::Load;
  absl::StatusOr<std::vector<BatchItemResult>> empty = ApplyBatch(*pool_, Deadline(), Clock::Real(), batch, load);
  EXPECT_EQ(ErrorReason(empty.status()), "REVIEW_BATCH_EMPTY");

  for (size_t i = 0; i <= kMaxBatchRecords; ++i) batch.items.push_back({absl::StrCat(i + 1), 1});
  absl::StatusOr<std::vector<BatchItemResult>> too_large = ApplyBatch(*pool_, Deadline(), Clock::Real(), batch, load);
  EXPECT_EQ(ErrorReason(too_large.status()), "REVIEW_BATCH_TOO_LARGE");

  batch.items = {{"1", 0}};
  absl::StatusOr<std::vector<BatchItemResult>> no_version = ApplyBatch(*pool_, Deadline(), Clock::Real(), batch, load);
  ASSERT_TRUE(no_version.ok()) << no_version.status();
  EXPECT_EQ(ErrorReason((*no_version)[0].status), "REVIEW_VERSION_REQUIRED");
}

TEST_F(ReviewStoreTest, BatchStopsAtDeadline) {
  InsertRecord(1, State::kPending, Stage::kSchool, 1);
  InsertRecord(2, State::kPending, Stage::kSchool, 1);
  BatchRequest batch;
  batch.table = Table();
  batch.flow = Flow();
  batch.actor = School();
  batch.action.action = Action::kApprove;
  batch.items = {{"1", 1}, {"2", 1}};
  const absl::Time deadline = Deadline();
  FakeClock clock(deadline + absl::Seconds(1));
  absl::StatusOr<std::vector<BatchItemResult>> results =
      ApplyBatch(*pool_, deadline, clock, batch, &ReviewStoreTest::Load);
  ASSERT_TRUE(results.ok()) << results.status();
  for (const BatchItemResult& result : *results) {
    EXPECT_EQ(result.status.code(), absl::StatusCode::kDeadlineExceeded) << result.record_id;
    EXPECT_EQ(ErrorReason(result.status), "REVIEW_BATCH_TIMEOUT") << result.record_id;
  }
  EXPECT_EQ(Current(1).version, 1);
  EXPECT_EQ(Current(2).version, 1);
}

}  // namespace
}  // namespace quxiang::review

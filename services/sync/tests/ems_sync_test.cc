// Acceptance tests of the outbound sync with the EMS simulator. Ledger changes queued while the
// EMS is down arrive in order once it is back, and lost acknowledgements cause no conflict. An
// invalidated graduate's changes wait for its restore, and the reconciliation reports every
// difference.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/validation/validation.h"
#include "services/sync/outbox.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

constexpr int kClass = 2025;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

class EmsSyncTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_ems", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  void TearDown() override {
    if (stack_ == nullptr) return;
    ems::v1::Faults applied;
    EXPECT_TRUE(stack_->ems().SetFaults(ems::v1::Faults(), &applied).ok());
  }

  // A school of its own with `count` graduates from `first_serial` on; returns their ids.
  std::vector<std::string> NewSchoolWithGraduates(const std::string& code, int first_serial, int count,
                                                  std::string* school_id) {
    *school_id = stack_->CreateSchool(code, absl::StrCat("同步大学", code));
    std::vector<ems::v1::RosterGraduate> roster;
    for (int i = 0; i < count; ++i) roster.push_back(RosterRecord(code, kClass, first_serial + i, "文学院"));
    stack_->UploadRoster(code, kClass, roster);
    stack_->RunRosterFeed();
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) ids.push_back(stack_->GraduateIdOf(*school_id, IdNumber(first_serial + i)));
    return ids;
  }

  static void SetFaults(const ems::v1::Faults& faults) {
    ems::v1::Faults applied;
    ASSERT_TRUE(stack_->ems().SetFaults(faults, &applied).ok());
  }

  // Runs the ledger write `path` as the signing service; fails the test unless it succeeds.
  static void LedgerWrite(const std::string& school_id, const std::string& graduate_id, const std::string& action,
                          const std::string& body) {
    ApiClient signing = stack_->ClientFor(ServicePrincipal("signing"));
    HttpResponse response = signing.Post(
        absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, "/ledger", action), body);
    ASSERT_EQ(response.status, 200) << action << " " << response.body;
  }

  // Claims, commits 10, modifies to 11, voids, claims and commits 12: ledger versions 1 to 4.
  static void ChangeDestinations(const std::string& school_id, const std::string& graduate_id) {
    auto body = [&](const std::string& step, const std::string& record, const std::string& extra) {
      return absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat(graduate_id, "-", step)),
                          ",\"flow\":\"FLOW_ONLINE_SIGNING\",\"recordId\":", JsonQuote(record), extra, "}");
    };
    LedgerWrite(school_id, graduate_id, ":claim", body("claim-1", "first", ""));
    LedgerWrite(school_id, graduate_id, ":commit", body("commit-1", "first", ",\"destination\":{\"destinationCode\":\"10\"}"));
    LedgerWrite(school_id, graduate_id, ":commit", body("commit-2", "first", ",\"destination\":{\"destinationCode\":\"11\"}"));
    LedgerWrite(school_id, graduate_id, ":void", body("void-1", "first", ",\"reason\":\"VOID_REASON_TERMINATED\""));
    LedgerWrite(school_id, graduate_id, ":claim", body("claim-2", "second", ""));
    LedgerWrite(school_id, graduate_id, ":commit", body("commit-3", "second", ",\"destination\":{\"destinationCode\":\"12\"}"));
  }

  static int64_t Unsent() {
    auto count = stack_->pool().Read<int64_t>(Deadline(), [](db::Session& s) {
      return Outbox::CountUnsent(s, {kDestinationCommitted, kDestinationVoided});
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  // Runs the relay, moving the fake clock past each backoff, until nothing is left to send or
  // 50 rounds have passed.
  static void DrainRelay() {
    for (int round = 0; round < 50 && Unsent() > 0; ++round) {
      absl::StatusOr<int> delivered = stack_->ems_relay().DeliverOnce();
      ASSERT_TRUE(delivered.ok()) << delivered.status();
      stack_->clock().Advance(absl::Seconds(10));
    }
    EXPECT_EQ(Unsent(), 0);
  }

  // The EMS's delivery statistics of each graduate of `school_code`, by graduate key.
  static std::map<std::string, ems::v1::GraduateDeliveryStats> DeliveryStats(const std::string& school_code,
                                                                            ems::v1::Stats* stats) {
    stack_->ems().GetStats(stats);
    std::map<std::string, ems::v1::GraduateDeliveryStats> by_key;
    for (const auto& graduate : stats->graduates()) {
      if (graduate.school_code() == school_code) by_key[graduate.graduate_key()] = graduate;
    }
    return by_key;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
};

SyncStack* EmsSyncTest::stack_ = nullptr;
std::string* EmsSyncTest::skip_reason_ = nullptr;

TEST_F(EmsSyncTest, QueuedChangesArriveInOrderAfterOutage) {
  const std::string code = "4141040001";
  std::string school_id;
  std::vector<std::string> graduates = NewSchoolWithGraduates(code, 500, 5, &school_id);
  ems::v1::Stats before;
  stack_->ems().GetStats(&before);

  ems::v1::Faults down;
  down.set_down(true);
  SetFaults(down);
  for (const auto& graduate_id : graduates) ChangeDestinations(school_id, graduate_id);
  EXPECT_EQ(Unsent(), 20);

  // While the EMS is down, every attempt fails and is retried later.
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<int> delivered = stack_->ems_relay().DeliverOnce();
    ASSERT_TRUE(delivered.ok()) << delivered.status();
    EXPECT_EQ(*delivered, 0);
    stack_->clock().Advance(absl::Seconds(10));
  }
  ems::v1::Stats during;
  stack_->ems().GetStats(&during);
  EXPECT_EQ(during.upserts_received(), before.upserts_received());
  EXPECT_GT(during.injected_failures(), before.injected_failures());
  EXPECT_EQ(Unsent(), 20);
  // The lag counts from the oldest unacknowledged change: 3 rounds of 10 seconds.
  absl::StatusOr<absl::Duration> lag = stack_->ems_relay().Lag();
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_GE(*lag, absl::Seconds(30));

  SetFaults(ems::v1::Faults());
  DrainRelay();
  lag = stack_->ems_relay().Lag();
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, absl::ZeroDuration());

  ems::v1::Stats after;
  std::map<std::string, ems::v1::GraduateDeliveryStats> delivered = DeliveryStats(code, &after);
  EXPECT_EQ(after.upserts_received() - before.upserts_received(), 15);
  EXPECT_EQ(after.voids_received() - before.voids_received(), 5);
  EXPECT_EQ(after.duplicates_received() - before.duplicates_received(), 0);
  EXPECT_EQ(after.out_of_order_versions() - before.out_of_order_versions(), 0);
  EXPECT_EQ(after.conflicting_duplicates() - before.conflicting_duplicates(), 0);
  for (int i = 0; i < 5; ++i) {
    const std::string key = ems_simulator::GraduateKey(code, IdNumber(500 + i));
    ASSERT_EQ(delivered.count(key), 1u) << key;
    EXPECT_EQ(delivered[key].last_applied_version(), 4);
    EXPECT_EQ(delivered[key].skipped_version_count(), 0);
  }
}

TEST_F(EmsSyncTest, LostAcknowledgementsCauseNoConflict) {
  const std::string code = "4141040002";
  std::string school_id;
  std::vector<std::string> graduates = NewSchoolWithGraduates(code, 520, 4, &school_id);
  ems::v1::Stats before;
  stack_->ems().GetStats(&before);

  for (const auto& graduate_id : graduates) ChangeDestinations(school_id, graduate_id);
  ems::v1::Faults flaky;
  flaky.set_lost_ack_ratio(0.5);
  flaky.set_failure_ratio(0.2);
  SetFaults(flaky);
  DrainRelay();

  ems::v1::Stats after;
  std::map<std::string, ems::v1::GraduateDeliveryStats> delivered = DeliveryStats(code, &after);
  EXPECT_EQ(after.conflicting_duplicates() - before.conflicting_duplicates(), 0);
  EXPECT_EQ(after.out_of_order_versions() - before.out_of_order_versions(), 0);
  for (int i = 0; i < 4; ++i) {
    const std::string key = ems_simulator::GraduateKey(code, IdNumber(520 + i));
    EXPECT_EQ(delivered[key].last_applied_version(), 4) << key;
    EXPECT_EQ(delivered[key].skipped_version_count(), 0) << key;
  }
}

TEST_F(EmsSyncTest, InvalidatedGraduateWaitsForRestore) {
  const std::string code = "4141040003";
  std::string school_id;
  std::vector<std::string> graduates = NewSchoolWithGraduates(code, 540, 1, &school_id);
  const std::string& graduate_id = graduates[0];
  LedgerWrite(school_id, graduate_id, ":claim",
              R"({"requestId":"w-claim","flow":"FLOW_PAPER_AGREEMENT","recordId":"paper-540"})");
  LedgerWrite(school_id, graduate_id, ":commit",
              R"({"requestId":"w-commit","flow":"FLOW_PAPER_AGREEMENT","recordId":"paper-540","destination":{"destinationCode":"10"}})");

  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(code);
  remove.set_id_number(IdNumber(540));
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();
  absl::StatusOr<int> held = stack_->ems_relay().DeliverOnce();
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(Unsent(), 1);

  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(code);
  readd.set_id_number(IdNumber(540));
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  stack_->RunRosterFeed();
  HttpResponse restored = stack_->ClientFor(SchoolUser(school_id, "ems-school-user"))
                              .Post(absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, ":restore"),
                                    R"({"requestId":"restore-540"})");
  ASSERT_EQ(restored.status, 200) << restored.body;
  DrainRelay();

  // The held version 1 and the re-sync at version 2, in that order.
  ems::v1::Stats stats;
  std::map<std::string, ems::v1::GraduateDeliveryStats> delivered = DeliveryStats(code, &stats);
  const std::string key = ems_simulator::GraduateKey(code, IdNumber(540));
  EXPECT_EQ(delivered[key].last_applied_version(), 2);
  EXPECT_EQ(delivered[key].skipped_version_count(), 0);
  HttpResponse ledger = stack_->ClientFor(ServicePrincipal("signing"))
                            .Get(absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, "/ledger"));
  EXPECT_EQ(ledger.String("ledgerVersion"), "2");
  EXPECT_EQ(ledger.String("destination.destinationCode"), "10");
}

TEST_F(EmsSyncTest, ReconciliationReportsDifferences) {
  const std::string code = "4141040004";
  std::string school_id;
  std::vector<std::string> graduates = NewSchoolWithGraduates(code, 560, 4, &school_id);
  ApiClient school = stack_->ClientFor(SchoolUser(school_id, "reconcile-user"));
  const std::string runs = absl::StrCat("/v1/schools/", school_id, "/emsReconciliations");

  // Graduate 0 has version 1 in the EMS.
  LedgerWrite(school_id, graduates[0], ":claim", R"({"requestId":"r0-claim","flow":"FLOW_ONLINE_SIGNING","recordId":"s0"})");
  LedgerWrite(school_id, graduates[0], ":commit",
              R"({"requestId":"r0-commit","flow":"FLOW_ONLINE_SIGNING","recordId":"s0","destination":{"destinationCode":"10"}})");
  DrainRelay();
  HttpResponse clean = school.Post(runs, R"({"requestId":"run-1"})");
  ASSERT_EQ(clean.status, 200) << clean.body;
  EXPECT_EQ(clean.Number("differenceCount"), 0) << school.Get(absl::StrCat(runs, "/latest/differences")).body;
  EXPECT_EQ(clean.Number("graduatesCompared"), 4);
  EXPECT_EQ(clean.Number("emsRecords"), 1);

  // With the EMS down: graduate 0 gets version 2 and graduate 1 its first version; neither is
  // delivered yet.
  ems::v1::Faults down;
  down.set_down(true);
  SetFaults(down);
  LedgerWrite(school_id, graduates[0], ":commit",
              R"({"requestId":"r0-commit-2","flow":"FLOW_ONLINE_SIGNING","recordId":"s0","destination":{"destinationCode":"11"}})");
  LedgerWrite(school_id, graduates[1], ":claim", R"({"requestId":"r1-claim","flow":"FLOW_ONLINE_SIGNING","recordId":"s1"})");
  LedgerWrite(school_id, graduates[1], ":commit",
              R"({"requestId":"r1-commit","flow":"FLOW_ONLINE_SIGNING","recordId":"s1","destination":{"destinationCode":"10"}})");
  SetFaults(ems::v1::Faults());
  // A school enters a destination in the EMS for graduate 2, which the platform never wrote.
  ems::v1::EditDestinationAsSchoolRequest edit;
  edit.set_school_code(code);
  edit.set_id_number(IdNumber(562));
  edit.mutable_destination()->set_destination_code("801");
  ems::v1::EmsDestinationRecord record;
  absl::Status edited = stack_->ems().EditDestinationAsSchool(Deadline(), edit, &record);
  ASSERT_TRUE(edited.ok()) << edited;
  // And one for a graduate the platform does not have.
  ems::v1::RosterGraduate stranger = RosterRecord(code, kClass, 569, "文学院");
  stack_->UploadRoster(code, kClass, {stranger});
  edit.set_id_number(stranger.id_number());
  edited = stack_->ems().EditDestinationAsSchool(Deadline(), edit, &record);
  ASSERT_TRUE(edited.ok()) << edited;

  HttpResponse run = school.Post(runs, R"({"requestId":"run-2"})");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.Number("differenceCount"), 4);
  HttpResponse repeated = school.Post(runs, R"({"requestId":"run-2"})");
  EXPECT_EQ(repeated.String("id"), run.String("id"));

  HttpResponse listed = school.Get(absl::StrCat(runs, "/latest/differences"));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.String("run.id"), run.String("id"));
  std::map<std::string, google::protobuf::Struct> by_graduate;
  for (const auto& difference : Items(listed, "differences")) {
    by_graduate[Field(difference, "graduateId")] = difference;
  }
  ASSERT_EQ(by_graduate.size(), 4u);
  EXPECT_EQ(Field(by_graduate[graduates[0]], "kind"), "DIFFERENCE_KIND_VERSION_MISMATCH");
  EXPECT_EQ(Field(by_graduate[graduates[0]], "pendingDelivery"), "true");
  EXPECT_EQ(Field(by_graduate[graduates[0]], "ledgerVersion"), "2");
  EXPECT_EQ(Field(by_graduate[graduates[0]], "emsVersion"), "1");
  EXPECT_EQ(Field(by_graduate[graduates[1]], "kind"), "DIFFERENCE_KIND_MISSING_IN_EMS");
  EXPECT_EQ(Field(by_graduate[graduates[1]], "pendingDelivery"), "true");
  EXPECT_EQ(Field(by_graduate[graduates[2]], "kind"), "DIFFERENCE_KIND_DESTINATION_MISMATCH");
  EXPECT_EQ(Field(by_graduate[graduates[2]], "emsDestinationCode"), "801");
  EXPECT_EQ(Field(by_graduate[""], "kind"), "DIFFERENCE_KIND_NOT_IN_PLATFORM");
  EXPECT_EQ(Field(by_graduate[""], "idNumber"), validation::MaskIdNumber(stranger.id_number()));

  // Once delivered, the ledger's differences close.
  DrainRelay();
  HttpResponse after = school.Post(runs, R"({"requestId":"run-3"})");
  EXPECT_EQ(after.Number("differenceCount"), 2);
}

TEST_F(EmsSyncTest, ReconciliationIsForSchoolUsers) {
  const std::string code = "4141040005";
  std::string school_id;
  NewSchoolWithGraduates(code, 580, 1, &school_id);
  const std::string runs = absl::StrCat("/v1/schools/", school_id, "/emsReconciliations");

  EXPECT_EQ(stack_->ClientFor(DepartmentUser(school_id, "reconcile-department", "文学院"))
                .Post(runs, R"({"requestId":"d-1"})")
                .status,
            403);
  ApiClient read_only = stack_->ClientFor(SchoolUser(school_id, "reconcile-reader", common::v1::ACCESS_READ_ONLY));
  EXPECT_EQ(read_only.Post(runs, R"({"requestId":"ro-1"})").status, 403);
  EXPECT_EQ(read_only.Get(absl::StrCat(runs, "/latest/differences")).status, 404);
  ApiClient writer = stack_->ClientFor(SchoolUser(school_id, "reconcile-writer"));
  EXPECT_EQ(writer.Post(runs, "{}").status, 400);
  ASSERT_EQ(writer.Post(runs, R"({"requestId":"w-1"})").status, 200);
  EXPECT_EQ(read_only.Get(absl::StrCat(runs, "/latest/differences")).status, 200);
  EXPECT_EQ(read_only.Get(absl::StrCat(runs, "/abc/differences")).status, 404);

  ems::v1::Faults down;
  down.set_down(true);
  SetFaults(down);
  HttpResponse unavailable = writer.Post(runs, R"({"requestId":"w-2"})");
  EXPECT_EQ(unavailable.status, 503) << unavailable.body;
}

}  // namespace
}  // namespace quxiang::sync::testing

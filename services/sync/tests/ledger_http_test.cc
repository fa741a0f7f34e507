// Acceptance tests of the destination ledger over HTTP: the flow services' claims, releases,
// commits and voids through the real gateway on a real MariaDB, including simultaneous claims
// of one graduate.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "services/sync/outbox.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

constexpr int kClass = 2025;
constexpr char kSchoolCode[] = "4141030001";

std::string ClaimBody(const std::string& request_id, const std::string& flow, const std::string& record_id) {
  return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"flow\":", JsonQuote(flow),
                      ",\"recordId\":", JsonQuote(record_id), "}");
}

std::string CommitBody(const std::string& request_id, const std::string& flow, const std::string& record_id,
                       const std::string& destination_code) {
  return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"flow\":", JsonQuote(flow),
                      ",\"recordId\":", JsonQuote(record_id), ",\"destination\":{\"destinationCode\":",
                      JsonQuote(destination_code), ",\"employerName\":\"河南某科技有限公司\"}}");
}

std::string VoidBody(const std::string& request_id, const std::string& flow, const std::string& record_id,
                     const std::string& reason = "VOID_REASON_VOIDED") {
  return absl::StrCat("{\"requestId\":", JsonQuote(request_id), ",\"flow\":", JsonQuote(flow),
                      ",\"recordId\":", JsonQuote(record_id), ",\"reason\":", JsonQuote(reason), "}");
}

// A checker that returns what the test set for each record, and an error for other records.
class FakeClaimChecker : public ClaimChecker {
 public:
  absl::StatusOr<bool> IsInFlight(v1::Flow flow, const std::string& record_id, absl::Time deadline) override {
    auto answer = answers_.find(record_id);
    if (answer == answers_.end()) return Unavailable("FLOW_SERVICE_UNAVAILABLE", "业务服务暂不可用。");
    return answer->second;
  }
  std::map<std::string, bool> answers_;
};

class LedgerHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_ledger", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_id_ = new std::string(stack_->CreateSchool(kSchoolCode, "台账大学"));
    std::vector<ems::v1::RosterGraduate> roster;
    for (int serial = 400; serial < 420; ++serial) {
      ems::v1::RosterGraduate record = RosterRecord(kSchoolCode, kClass, serial, serial < 410 ? "文学院" : "理学院");
      if (serial == 419) {
        record.set_training_mode_code("41");
        record.set_training_mode("委培（不可网签）");
      }
      roster.push_back(record);
    }
    stack_->UploadRoster(kSchoolCode, kClass, roster);
    stack_->RunRosterFeed();
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  static std::string IdOf(int serial) { return stack_->GraduateIdOf(*school_id_, IdNumber(serial)); }

  static std::string Path(int serial, const std::string& action = "") {
    return absl::StrCat("/v1/schools/", *school_id_, "/graduates/", IdOf(serial), "/ledger", action);
  }

  static ApiClient Signing() { return stack_->ClientFor(ServicePrincipal("signing")); }
  static ApiClient Destination() { return stack_->ClientFor(ServicePrincipal("destination")); }

  static int64_t Events(const std::string& type, const std::string& graduate_id) {
    auto row = stack_->pool().Read<std::optional<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s.QueryOne("SELECT COUNT(*) FROM outbox WHERE type = ? AND aggregate_id = ?", {type, graduate_id});
    });
    return row.ok() && *row ? (*row)->Int64(0) : -1;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
};

SyncStack* LedgerHttpTest::stack_ = nullptr;
std::string* LedgerHttpTest::skip_reason_ = nullptr;
std::string* LedgerHttpTest::school_id_ = nullptr;

TEST_F(LedgerHttpTest, ClaimCommitAndVoid) {
  ApiClient signing = Signing();
  HttpResponse fresh = signing.Get(Path(400));
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(fresh.String("state"), "LEDGER_STATE_NONE");
  EXPECT_EQ(fresh.String("ledgerVersion"), "0");

  HttpResponse claimed = signing.Post(Path(400, ":claim"), ClaimBody("c-400", "FLOW_ONLINE_SIGNING", "sig-400"));
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(claimed.String("state"), "LEDGER_STATE_CLAIMED");
  EXPECT_EQ(claimed.String("holderFlow"), "FLOW_ONLINE_SIGNING");
  EXPECT_EQ(claimed.String("holderRecordId"), "sig-400");

  HttpResponse committed =
      signing.Post(Path(400, ":commit"), CommitBody("m-400", "FLOW_ONLINE_SIGNING", "sig-400", "10"));
  ASSERT_EQ(committed.status, 200) << committed.body;
  EXPECT_EQ(committed.String("state"), "LEDGER_STATE_EFFECTIVE");
  EXPECT_EQ(committed.String("ledgerVersion"), "1");
  EXPECT_EQ(committed.String("destination.destinationCode"), "10");
  EXPECT_EQ(committed.String("destination.sourceFlowType"), "DESTINATION_SOURCE_ONLINE_SIGNING");
  EXPECT_EQ(committed.String("destination.sourceFlowId"), "sig-400");
  EXPECT_EQ(Events(kDestinationCommitted, IdOf(400)), 1);

  // A modification of the approved record is another commit by the same holder.
  HttpResponse modified =
      signing.Post(Path(400, ":commit"), CommitBody("m-400-b", "FLOW_ONLINE_SIGNING", "sig-400", "11"));
  ASSERT_EQ(modified.status, 200) << modified.body;
  EXPECT_EQ(modified.String("ledgerVersion"), "2");
  EXPECT_EQ(modified.String("destination.destinationCode"), "11");

  HttpResponse effective_release =
      signing.Post(Path(400, ":release"), ClaimBody("r-400", "FLOW_ONLINE_SIGNING", "sig-400"));
  EXPECT_EQ(effective_release.status, 400) << effective_release.body;
  EXPECT_EQ(effective_release.String("reason"), "DESTINATION_EFFECTIVE");

  HttpResponse voided =
      signing.Post(Path(400, ":void"), VoidBody("v-400", "FLOW_ONLINE_SIGNING", "sig-400", "VOID_REASON_TERMINATED"));
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.String("state"), "LEDGER_STATE_NONE");
  EXPECT_EQ(voided.String("ledgerVersion"), "3");
  EXPECT_EQ(voided.String("destination.destinationCode"), "70");
  EXPECT_EQ(Events(kDestinationVoided, IdOf(400)), 1);

  // The graduate is free for another flow.
  HttpResponse next = Destination().Post(Path(400, ":claim"), ClaimBody("c-400-b", "FLOW_DESTINATION_REGISTRATION", "reg-1"));
  EXPECT_EQ(next.status, 200) << next.body;
}

TEST_F(LedgerHttpTest, SimultaneousClaimsOneWins) {
  ApiClient signing = Signing();
  ApiClient destination = Destination();
  const std::string path = Path(401, ":claim");
  for (int round = 0; round < 100; ++round) {
    SCOPED_TRACE(round);
    HttpResponse responses[2];
    absl::Barrier* start = new absl::Barrier(2);
    std::thread first([&] {
      if (start->Block()) delete start;
      responses[0] = signing.Post(path, ClaimBody(absl::StrCat("race-a-", round), "FLOW_ONLINE_SIGNING",
                                                  absl::StrCat("sig-", round)));
    });
    std::thread second([&] {
      if (start->Block()) delete start;
      responses[1] = destination.Post(path, ClaimBody(absl::StrCat("race-b-", round), "FLOW_DESTINATION_REGISTRATION",
                                                      absl::StrCat("reg-", round)));
    });
    first.join();
    second.join();

    int winners = (responses[0].status == 200) + (responses[1].status == 200);
    ASSERT_EQ(winners, 1) << responses[0].body << " / " << responses[1].body;
    int winner = responses[0].status == 200 ? 0 : 1;
    const HttpResponse& loser = responses[1 - winner];
    EXPECT_EQ(loser.status, 400) << loser.body;
    EXPECT_EQ(loser.String("reason"), "GRADUATE_HELD");
    const char* holding_flow = winner == 0 ? "线上签约" : "其他毕业去向信息登记";
    EXPECT_NE(loser.String("message").find(holding_flow), std::string::npos) << loser.String("message");

    std::string flow = winner == 0 ? "FLOW_ONLINE_SIGNING" : "FLOW_DESTINATION_REGISTRATION";
    std::string record = winner == 0 ? absl::StrCat("sig-", round) : absl::StrCat("reg-", round);
    ApiClient& holder = winner == 0 ? signing : destination;
    HttpResponse released = holder.Post(Path(401, ":release"), ClaimBody(absl::StrCat("rel-", round), flow, record));
    ASSERT_EQ(released.status, 200) << released.body;
    EXPECT_EQ(released.String("state"), "LEDGER_STATE_NONE");
  }
}

TEST_F(LedgerHttpTest, WritesAreIdempotent) {
  ApiClient signing = Signing();
  HttpResponse first = signing.Post(Path(402, ":claim"), ClaimBody("idem-402", "FLOW_ONLINE_SIGNING", "sig-402"));
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResponse repeat = signing.Post(Path(402, ":claim"), ClaimBody("idem-402", "FLOW_ONLINE_SIGNING", "sig-402"));
  ASSERT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.String("etag"), first.String("etag"));

  HttpResponse reused = signing.Post(Path(402, ":claim"), ClaimBody("idem-402", "FLOW_ONLINE_SIGNING", "sig-other"));
  EXPECT_EQ(reused.status, 400) << reused.body;

  HttpResponse commit = signing.Post(Path(402, ":commit"), CommitBody("idem-402-c", "FLOW_ONLINE_SIGNING", "sig-402", "10"));
  ASSERT_EQ(commit.status, 200) << commit.body;
  HttpResponse commit_again =
      signing.Post(Path(402, ":commit"), CommitBody("idem-402-c", "FLOW_ONLINE_SIGNING", "sig-402", "10"));
  ASSERT_EQ(commit_again.status, 200) << commit_again.body;
  EXPECT_EQ(commit_again.String("ledgerVersion"), "1");
  EXPECT_EQ(Events(kDestinationCommitted, IdOf(402)), 1);
}

TEST_F(LedgerHttpTest, RefusedChangesLeaveLedgerAlone) {
  ApiClient signing = Signing();
  struct Case {
    std::string name;
    std::string path;
    std::string body;
    std::string reason;
  };
  ASSERT_EQ(signing.Post(Path(403, ":claim"), ClaimBody("c-403", "FLOW_ONLINE_SIGNING", "sig-403")).status, 200);
  const Case cases[] = {
      {"commit without claim", Path(404, ":commit"), CommitBody("x1", "FLOW_ONLINE_SIGNING", "sig-404", "10"),
       "CLAIM_NOT_HELD"},
      {"commit by another record", Path(403, ":commit"), CommitBody("x2", "FLOW_PAPER_AGREEMENT", "pap-1", "10"),
       "GRADUATE_HELD"},
      {"unknown destination code", Path(403, ":commit"), CommitBody("x3", "FLOW_ONLINE_SIGNING", "sig-403", "999"),
       "UNKNOWN_DESTINATION_CODE"},
      {"void without effective", Path(403, ":void"), VoidBody("x4", "FLOW_ONLINE_SIGNING", "sig-403"),
       "CLAIM_NOT_HELD"},
      {"void without reason", Path(403, ":void"), VoidBody("x5", "FLOW_ONLINE_SIGNING", "sig-403", "VOID_REASON_UNSPECIFIED"),
       "VOID_REASON_REQUIRED"},
      {"release by another record", Path(403, ":release"), ClaimBody("x6", "FLOW_PAPER_AGREEMENT", "pap-1"),
       "CLAIM_NOT_HELD"},
      {"second claim", Path(403, ":claim"), ClaimBody("x7", "FLOW_PAPER_AGREEMENT", "pap-1"), "GRADUATE_HELD"},
      {"no flow", Path(405, ":claim"), ClaimBody("x8", "FLOW_UNSPECIFIED", "r-1"), "INVALID_FLOW"},
      {"long record id", Path(405, ":claim"), ClaimBody("x9", "FLOW_ONLINE_SIGNING", std::string(65, 'r')),
       "INVALID_RECORD_ID"},
      {"no request id", Path(405, ":claim"), ClaimBody("", "FLOW_ONLINE_SIGNING", "r-1"), "REQUEST_ID_REQUIRED"},
      {"directed graduate signing", Path(419, ":claim"), ClaimBody("x10", "FLOW_ONLINE_SIGNING", "sig-419"),
       "TRAINING_MODE_DIRECTED_ONLY"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpResponse response = signing.Post(c.path, c.body);
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(response.String("reason"), c.reason);
  }
  HttpResponse entry = signing.Get(Path(403));
  EXPECT_EQ(entry.String("state"), "LEDGER_STATE_CLAIMED");
  EXPECT_EQ(entry.String("holderRecordId"), "sig-403");
  EXPECT_EQ(entry.String("ledgerVersion"), "0");

  // The directed graduate may claim for the supplement.
  HttpResponse supplement =
      Destination().Post(Path(419, ":claim"), ClaimBody("c-419", "FLOW_DIRECTED_TRAINING_SUPPLEMENT", "sup-419"));
  EXPECT_EQ(supplement.status, 200) << supplement.body;
}

TEST_F(LedgerHttpTest, InvalidatedGraduateCannotBeClaimed) {
  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchoolCode);
  remove.set_id_number(IdNumber(406));
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();

  HttpResponse claim = Signing().Post(Path(406, ":claim"), ClaimBody("c-406", "FLOW_ONLINE_SIGNING", "sig-406"));
  EXPECT_EQ(claim.status, 400) << claim.body;
  EXPECT_EQ(claim.String("reason"), "GRADUATE_INVALIDATED");
}

TEST_F(LedgerHttpTest, OnlyFlowServicesWrite) {
  std::string graduate_id = IdOf(407);
  const common::v1::IdentityClaims callers[] = {SchoolUser(*school_id_, "ledger-school-user"),
                                                GraduateUser(*school_id_, graduate_id), ServicePrincipal("warning"),
                                                ServicePrincipal("notify")};
  for (const auto& caller : callers) {
    SCOPED_TRACE(caller.user_id());
    HttpResponse claim = stack_->ClientFor(caller).Post(Path(407, ":claim"),
                                                        ClaimBody("c-407", "FLOW_ONLINE_SIGNING", "sig-407"));
    EXPECT_EQ(claim.status, 403) << claim.body;
  }

  // Reads follow the graduate scopes.
  EXPECT_EQ(stack_->ClientFor(SchoolUser(*school_id_, "ledger-school-user")).Get(Path(407)).status, 200);
  EXPECT_EQ(stack_->ClientFor(GraduateUser(*school_id_, graduate_id)).Get(Path(407)).status, 200);
  EXPECT_EQ(stack_->ClientFor(GraduateUser(*school_id_, graduate_id)).Get(Path(408)).status, 403);
  EXPECT_EQ(stack_->ClientFor(DepartmentUser(*school_id_, "ledger-department", "理学院")).Get(Path(407)).status, 404);
  EXPECT_EQ(stack_->ClientFor(ServicePrincipal("notify")).Get(Path(407)).status, 200);
}

TEST_F(LedgerHttpTest, StaleClaimsAreReleased) {
  ApiClient signing = Signing();
  ASSERT_EQ(signing.Post(Path(410, ":claim"), ClaimBody("c-410", "FLOW_ONLINE_SIGNING", "gone-410")).status, 200);
  ASSERT_EQ(signing.Post(Path(411, ":claim"), ClaimBody("c-411", "FLOW_ONLINE_SIGNING", "alive-411")).status, 200);
  ASSERT_EQ(signing.Post(Path(412, ":claim"), ClaimBody("c-412", "FLOW_ONLINE_SIGNING", "unknown-412")).status, 200);
  FakeClaimChecker checker;
  checker.answers_ = {{"gone-410", false}, {"alive-411", true}};

  // Young claims are not checked yet.
  absl::StatusOr<int> young = stack_->ledger().ReleaseStaleClaims(checker, absl::Minutes(10), 100);
  ASSERT_TRUE(young.ok()) << young.status();
  EXPECT_EQ(*young, 0);

  stack_->clock().Advance(absl::Minutes(11));
  absl::StatusOr<int> released = stack_->ledger().ReleaseStaleClaims(checker, absl::Minutes(10), 100);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 1);
  EXPECT_EQ(signing.Get(Path(410)).String("state"), "LEDGER_STATE_NONE");
  EXPECT_EQ(signing.Get(Path(411)).String("state"), "LEDGER_STATE_CLAIMED");
  // The checker failed for this one, so the claim stays.
  EXPECT_EQ(signing.Get(Path(412)).String("state"), "LEDGER_STATE_CLAIMED");
}

}  // namespace
}  // namespace quxiang::sync::testing

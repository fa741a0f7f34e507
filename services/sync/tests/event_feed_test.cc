// Tests of the event feed (ListEvents) through the real gateway: flow services learn of
// invalidations and restores by polling it, a page read twice is the same, and an event whose
// transaction commits after a later one is still delivered, which paging by outbox id would miss.
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/sync/outbox.h"
#include "services/sync/tests/sync_fixture.h"

namespace quxiang::sync::testing {
namespace {

using quxiang::testing::HttpResponse;

constexpr int kClass = 2025;

absl::Time Deadline() { return absl::Now() + absl::Seconds(30); }

class EventFeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SyncStack::Start("sync_event_feed", &skip_reason).release();
    if (stack_ == nullptr) skip_reason_ = new std::string(skip_reason);
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  std::string NewSchool(std::string* code) {
    static int serial = 0;
    *code = absl::StrFormat("41120%05d", ++serial);
    return stack_->CreateSchool(*code, absl::StrCat("事件测试大学", serial));
  }

  static ApiClient Signing() { return stack_->ClientFor(ServicePrincipal("signing")); }

  // One page of the feed as the signing service reads it; fails the test unless it is 200.
  static v1::ListEventsResponse Page(int64_t after_sequence, const std::vector<std::string>& types = {},
                                     int page_size = 0) {
    std::string target = absl::StrCat("/v1/syncEvents?afterSequence=", after_sequence);
    for (const auto& type : types) absl::StrAppend(&target, "&types=", UrlEncode(type));
    if (page_size > 0) absl::StrAppend(&target, "&pageSize=", page_size);
    HttpResponse response = Signing().Get(target);
    v1::ListEventsResponse page;
    EXPECT_EQ(response.status, 200) << response.body;
    if (response.status != 200) return page;
    auto parsed = google::protobuf::util::JsonStringToMessage(response.body, &page);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString() << " in " << response.body;
    return page;
  }

  // Reads the feed after `*cursor` to its end and moves the cursor past what it read.
  static std::vector<v1::FeedEvent> ReadToEnd(int64_t* cursor, const std::vector<std::string>& types = {}) {
    std::vector<v1::FeedEvent> events;
    for (int i = 0; i < 1000; ++i) {
      v1::ListEventsResponse page = Page(*cursor, types, 50);
      for (const auto& event : page.events()) events.push_back(event);
      bool advanced = page.next_after_sequence() > *cursor;
      *cursor = page.next_after_sequence();
      if (page.events().empty() || !advanced) break;
    }
    return events;
  }

  static SyncStack* stack_;
  static std::string* skip_reason_;
};

SyncStack* EventFeedTest::stack_ = nullptr;
std::string* EventFeedTest::skip_reason_ = nullptr;

TEST_F(EventFeedTest, FlowsLearnOfInvalidationAndRestore) {
  std::string code;
  std::string school_id = NewSchool(&code);
  ems::v1::RosterGraduate record = RosterRecord(code, kClass, 7000, "文学院");
  stack_->UploadRoster(code, kClass, {record, RosterRecord(code, kClass, 7001, "文学院")});
  stack_->RunRosterFeed();
  std::string graduate_id = stack_->GraduateIdOf(school_id, record.id_number());
  ASSERT_FALSE(graduate_id.empty());
  const std::vector<std::string> types = {kGraduateInvalidated, kGraduateRestored};
  int64_t cursor = 0;
  ReadToEnd(&cursor, types);

  ems::v1::RemoveGraduateRequest remove;
  remove.set_school_code(code);
  remove.set_id_number(record.id_number());
  ems::v1::RosterChange change;
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();

  std::vector<v1::FeedEvent> invalidated = ReadToEnd(&cursor, types);
  ASSERT_EQ(invalidated.size(), 1u);
  EXPECT_EQ(invalidated[0].event().type(), kGraduateInvalidated);
  EXPECT_EQ(invalidated[0].event().aggregate_id(), graduate_id);
  EXPECT_EQ(invalidated[0].event().source(), "sync");
  v1::GraduateInvalidated invalidation;
  ASSERT_TRUE(invalidated[0].event().payload().UnpackTo(&invalidation));
  EXPECT_EQ(invalidation.graduate_id(), graduate_id);
  EXPECT_EQ(invalidation.school_id(), school_id);
  EXPECT_EQ(invalidation.class_year(), kClass);

  // Sent again by the EMS: restored after the delay, announced as not immediate.
  ems::v1::ReAddGraduateRequest readd;
  readd.set_school_code(code);
  readd.set_id_number(record.id_number());
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  stack_->RunRosterFeed();
  EXPECT_TRUE(ReadToEnd(&cursor, types).empty());
  stack_->clock().Advance(absl::Hours(1));
  absl::StatusOr<int> due = stack_->graduates().RestoreDue(100, absl::Hours(1));
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_EQ(*due, 1);

  std::vector<v1::FeedEvent> restored = ReadToEnd(&cursor, types);
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].event().type(), kGraduateRestored);
  EXPECT_GT(restored[0].sequence(), invalidated[0].sequence());
  v1::GraduateRestored restore;
  ASSERT_TRUE(restored[0].event().payload().UnpackTo(&restore));
  EXPECT_EQ(restore.graduate_id(), graduate_id);
  EXPECT_FALSE(restore.immediate());

  // Removed and sent again once more, then restored at once by a school user.
  ASSERT_TRUE(stack_->ems().RemoveGraduate(remove, &change).ok());
  stack_->RunRosterFeed();
  ASSERT_TRUE(stack_->ems().ReAddGraduate(readd, &change).ok());
  stack_->RunRosterFeed();
  HttpResponse instant = stack_->ClientFor(SchoolUser(school_id, "event-feed-admin"))
                             .Post(absl::StrCat("/v1/schools/", school_id, "/graduates/", graduate_id, ":restore"),
                                   R"({"requestId":"event-feed-restore-1"})");
  ASSERT_EQ(instant.status, 200) << instant.body;

  std::vector<v1::FeedEvent> again = ReadToEnd(&cursor, types);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].event().type(), kGraduateInvalidated);
  EXPECT_EQ(again[1].event().type(), kGraduateRestored);
  ASSERT_TRUE(again[1].event().payload().UnpackTo(&restore));
  EXPECT_TRUE(restore.immediate());
  EXPECT_LT(again[0].event().aggregate_version(), again[1].event().aggregate_version());
}

TEST_F(EventFeedTest, RepeatedPageIsIdentical) {
  std::string code;
  NewSchool(&code);
  stack_->UploadRoster(code, kClass, {RosterRecord(code, kClass, 7100, "文学院"), RosterRecord(code, kClass, 7101, "文学院")});
  stack_->RunRosterFeed();

  v1::ListEventsResponse first = Page(0, {}, 5);
  v1::ListEventsResponse second = Page(0, {}, 5);
  ASSERT_EQ(first.events_size(), 5);
  ASSERT_EQ(second.events_size(), first.events_size());
  for (int i = 0; i < first.events_size(); ++i) {
    EXPECT_EQ(second.events(i).sequence(), first.events(i).sequence());
    EXPECT_EQ(second.events(i).event().event_id(), first.events(i).event().event_id());
    if (i > 0) {
      EXPECT_EQ(first.events(i).sequence(), first.events(i - 1).sequence() + 1);
    }
  }
  EXPECT_EQ(first.next_after_sequence(), first.events(4).sequence());
}

// An event inserted first (lower outbox id) whose transaction commits after a later event is
// numbered after it, so a reader whose cursor passed the later event still receives it.
TEST_F(EventFeedTest, LateCommitIsNotSkipped) {
  int64_t cursor = 0;
  ReadToEnd(&cursor);

  std::promise<void> written;
  std::promise<void> release;
  std::shared_future<void> release_signal = release.get_future().share();
  v1::GraduateRosterChanged early_payload;
  early_payload.set_graduate_id("late-commit-early");
  std::thread early([&] {
    absl::Status status = stack_->pool().Transaction(Deadline(), [&](db::Session& s) -> absl::Status {
      absl::Status wrote = Outbox::Write(s, {{"late-commit-early", 1, &early_payload}}, absl::Now());
      written.set_value();
      release_signal.wait();
      return wrote;
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  written.get_future().wait();

  v1::GraduateRosterChanged late_payload;
  late_payload.set_graduate_id("late-commit-late");
  absl::Status late = stack_->pool().Transaction(Deadline(), [&](db::Session& s) {
    return Outbox::Write(s, {{"late-commit-late", 1, &late_payload}}, absl::Now());
  });
  ASSERT_TRUE(late.ok()) << late;

  std::vector<v1::FeedEvent> before = ReadToEnd(&cursor);
  release.set_value();
  early.join();
  std::vector<v1::FeedEvent> after = ReadToEnd(&cursor);

  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].event().aggregate_id(), "late-commit-late");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].event().aggregate_id(), "late-commit-early");
  EXPECT_EQ(after[0].sequence(), before[0].sequence() + 1);
}

TEST_F(EventFeedTest, FilteredTypesAdvanceCursor) {
  std::string code;
  NewSchool(&code);
  stack_->UploadRoster(code, kClass, {RosterRecord(code, kClass, 7200, "文学院")});
  stack_->RunRosterFeed();
  int64_t cursor = 0;
  std::vector<v1::FeedEvent> all = ReadToEnd(&cursor);
  ASSERT_FALSE(all.empty());

  // Nothing of this type exists, so the cursor moves to the end at once.
  v1::ListEventsResponse none = Page(0, {kDestinationVoided});
  EXPECT_EQ(none.events_size(), 0);
  EXPECT_EQ(none.next_after_sequence(), cursor);

  std::set<std::string> seen_types;
  for (const auto& event : all) seen_types.insert(event.event().type());
  EXPECT_TRUE(seen_types.count(kGraduateRosterChanged));
  v1::ListEventsResponse changed = Page(0, {kGraduateRosterChanged, kGraduateInvalidated}, 1000);
  for (const auto& event : changed.events()) {
    EXPECT_TRUE(event.event().type() == kGraduateRosterChanged || event.event().type() == kGraduateInvalidated)
        << event.event().type();
  }
}

TEST_F(EventFeedTest, BadRequestsAreRejected) {
  std::string code;
  std::string school_id = NewSchool(&code);

  HttpResponse staff = stack_->ClientFor(SchoolUser(school_id, "event-feed-staff")).Get("/v1/syncEvents");
  EXPECT_EQ(staff.status, 403) << staff.body;
  EXPECT_EQ(staff.String("reason"), "EVENT_FEED_SERVICES_ONLY");
  HttpResponse warning = stack_->ClientFor(ServicePrincipal("warning")).Get("/v1/syncEvents");
  EXPECT_EQ(warning.status, 403) << warning.body;

  HttpResponse unknown = Signing().Get("/v1/syncEvents?types=GraduateInvalidated");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(unknown.String("reason"), "UNKNOWN_EVENT_TYPE");
  HttpResponse negative = Signing().Get("/v1/syncEvents?afterSequence=-1");
  EXPECT_EQ(negative.status, 400) << negative.body;
  EXPECT_EQ(negative.String("reason"), "INVALID_EVENT_CURSOR");
  HttpResponse ahead = Signing().Get("/v1/syncEvents?afterSequence=999999999");
  EXPECT_EQ(ahead.status, 400) << ahead.body;
  EXPECT_EQ(ahead.String("reason"), "EVENT_CURSOR_AHEAD");

  quxiang::testing::HttpClient anonymous(stack_->http_port());
  HttpResponse no_token = anonymous.Get("/v1/syncEvents");
  EXPECT_EQ(no_token.status, 401) << no_token.body;
}

}  // namespace
}  // namespace quxiang::sync::testing

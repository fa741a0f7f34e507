// The EMS simulator served in-process on an unused loopback port and driven through gRPC.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/clock/clock.h"
#include "libs/roster/graduate_record.h"
#include "libs/roster/test_files.h"
#include "libs/server/server.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "libs/validation/validation.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"
#include "tools/ems-simulator/grpc_service.h"
#include "tools/ems-simulator/roster_conversion.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::ems_simulator {
namespace {

constexpr char kSchool[] = "4111010001";
constexpr char kOtherSchool[] = "4144010002";
constexpr int kClassYear = 2025;
constexpr uint64_t kSeed = 20250601;

// A resident ID number with a correct check digit; `sequence` picks the 3-digit sequence part.
std::string IdNumber(int sequence) {
  std::string first17 = absl::StrCat("11010520030101", absl::Dec(sequence, absl::kZeroPad3));
  return first17 + validation::IdNumberCheckDigit(first17);
}

// A graduate of class 2025 with every required roster column filled; the school code is left for
// UpsertGraduates to fill in.
v1::RosterGraduate Graduate(const std::string& id_number, const std::string& name) {
  v1::RosterGraduate graduate;
  graduate.set_id_number(id_number);
  graduate.set_name(name);
  graduate.set_gender_code("1");
  graduate.set_ethnicity_code("01");
  graduate.set_political_status_code("03");
  graduate.set_education_level_code("31");
  graduate.set_major_code("080901");
  graduate.set_major_name("计算机科学与技术");
  graduate.set_training_mode_code("1");
  graduate.set_department("计算机学院");
  graduate.set_student_number(absl::StrCat("2021", id_number.size() == 18 ? id_number.substr(14, 3) : "999"));
  graduate.set_graduation_date("2025-06-30");
  return graduate;
}

v1::Destination Employment(const std::string& employer_name) {
  v1::Destination destination;
  destination.set_destination_code("10");
  destination.set_employer_name(employer_name);
  destination.set_employer_credit_code("914403001922038216");
  destination.set_unit_nature_code("39");
  destination.set_signed_date("2025-05-20");
  destination.set_source_flow_type(v1::DESTINATION_SOURCE_ONLINE_SIGNING);
  destination.set_source_flow_id("signing-1");
  return destination;
}

std::string Reason(const grpc::Status& status) { return ErrorReason(FromGrpcStatus(status)); }

class EmsSimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    simulator_ = std::make_unique<EmsSimulator>(Clock::Real(), kSeed);
    runtime_ = std::make_unique<server::Runtime>(server::RuntimeOptions{});
    ems_service_ = std::make_unique<EmsGrpcService>(*simulator_, *runtime_);
    control_service_ = std::make_unique<EmsSimulatorControlGrpcService>(*simulator_, *runtime_);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(ems_service_.get());
    builder.RegisterService(control_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);

    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    ems_ = v1::EmsService::NewStub(channel);
    control_ = v1::EmsSimulatorControl::NewStub(channel);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    runtime_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + timeout);
    return context;
  }

  v1::UploadRosterResponse Store(const std::string& school, const std::vector<v1::RosterGraduate>& graduates,
                                 int class_year = kClassYear) {
    v1::UpsertGraduatesRequest request;
    request.set_school_code(school);
    request.set_class_year(class_year);
    for (const auto& graduate : graduates) *request.add_graduates() = graduate;
    v1::UploadRosterResponse report;
    grpc::Status status = control_->UpsertGraduates(Context().get(), request, &report);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return report;
  }

  grpc::Status ListChanges(int64_t after, v1::ListRosterChangesResponse* response, int limit = 0,
                           const std::string& school = "") {
    v1::ListRosterChangesRequest request;
    request.set_after_sequence(after);
    request.set_limit(limit);
    request.set_school_code(school);
    return ems_->ListRosterChanges(Context().get(), request, response);
  }

  grpc::Status Upsert(const std::string& id_number, int64_t version, const v1::Destination& destination,
                      const std::string& key, v1::DestinationAck* ack, const std::string& school = kSchool) {
    v1::UpsertDestinationRequest request;
    request.set_school_code(school);
    request.set_id_number(id_number);
    request.set_ledger_version(version);
    *request.mutable_destination() = destination;
    request.set_idempotency_key(key);
    return ems_->UpsertDestination(Context().get(), request, ack);
  }

  grpc::Status Void(const std::string& id_number, int64_t version, const std::string& key, v1::DestinationAck* ack) {
    v1::VoidDestinationRequest request;
    request.set_school_code(kSchool);
    request.set_id_number(id_number);
    request.set_ledger_version(version);
    request.set_idempotency_key(key);
    return ems_->VoidDestination(Context().get(), request, ack);
  }

  grpc::Status Get(const std::string& id_number, v1::GetGraduateResponse* response,
                   const std::string& school = kSchool) {
    v1::GetGraduateRequest request;
    request.set_school_code(school);
    request.set_id_number(id_number);
    return ems_->GetGraduate(Context().get(), request, response);
  }

  grpc::Status EditAsSchool(const std::string& id_number, const v1::Destination& destination,
                            v1::EmsDestinationRecord* record) {
    v1::EditDestinationAsSchoolRequest request;
    request.set_school_code(kSchool);
    request.set_id_number(id_number);
    *request.mutable_destination() = destination;
    return ems_->EditDestinationAsSchool(Context().get(), request, record);
  }

  void SetFaults(const v1::Faults& faults) {
    v1::Faults applied;
    grpc::Status status = control_->SetFaults(Context().get(), faults, &applied);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::Stats Stats() {
    v1::Stats stats;
    grpc::Status status = control_->GetStats(Context().get(), v1::GetStatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats;
  }

  std::unique_ptr<EmsSimulator> simulator_;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<EmsGrpcService> ems_service_;
  std::unique_ptr<EmsSimulatorControlGrpcService> control_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::EmsService::Stub> ems_;
  std::unique_ptr<v1::EmsSimulatorControl::Stub> control_;
};

TEST_F(EmsSimulatorTest, StoredGraduatesAppendUpserts) {
  v1::UploadRosterResponse report = Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});
  EXPECT_EQ(report.rows_read(), 2);
  EXPECT_EQ(report.inserted(), 2);
  EXPECT_EQ(report.row_errors_size(), 0);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).sequence(), 1);
  EXPECT_EQ(changes.changes(1).sequence(), 2);
  EXPECT_EQ(changes.changes(0).type(), v1::ROSTER_CHANGE_TYPE_UPSERT);
  EXPECT_EQ(changes.changes(0).school_code(), kSchool);
  EXPECT_EQ(changes.changes(0).class_year(), kClassYear);
  EXPECT_EQ(changes.changes(0).graduate_key(), GraduateKey(kSchool, IdNumber(1)));
  EXPECT_EQ(changes.changes(0).graduate().name(), "张三");
  EXPECT_EQ(changes.changes(0).graduate().school_code(), kSchool);
  EXPECT_TRUE(changes.changes(0).has_changed_at());
  EXPECT_EQ(changes.next_sequence(), 2);
  EXPECT_FALSE(changes.has_more());
}

TEST_F(EmsSimulatorTest, SameRosterAgainAppendsNothing) {
  std::vector<v1::RosterGraduate> roster = {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")};
  Store(kSchool, roster);

  v1::UploadRosterResponse again = Store(kSchool, roster);
  EXPECT_EQ(again.unchanged(), 2);
  EXPECT_EQ(again.inserted(), 0);
  EXPECT_EQ(again.updated(), 0);
  v1::ListRosterChangesResponse none;
  ASSERT_TRUE(ListChanges(2, &none).ok());
  EXPECT_EQ(none.changes_size(), 0);
  EXPECT_EQ(none.next_sequence(), 2);

  roster[1].set_department("软件学院");
  v1::UploadRosterResponse changed = Store(kSchool, roster);
  EXPECT_EQ(changed.updated(), 1);
  EXPECT_EQ(changed.unchanged(), 1);
  v1::ListRosterChangesResponse after_change;
  ASSERT_TRUE(ListChanges(2, &after_change).ok());
  ASSERT_EQ(after_change.changes_size(), 1);
  EXPECT_EQ(after_change.changes(0).sequence(), 3);
  EXPECT_EQ(after_change.changes(0).graduate().department(), "软件学院");
}

TEST_F(EmsSimulatorTest, ClassChangeCountsAsUpdate) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")}, 2025);
  // A graduate who graduates a year later moves to the next class.
  v1::RosterGraduate delayed = Graduate(IdNumber(1), "张三");
  delayed.set_graduation_date("2026-06-30");
  v1::UploadRosterResponse report = Store(kSchool, {delayed}, 2026);
  EXPECT_EQ(report.updated(), 1);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(1, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).class_year(), 2026);
}

TEST_F(EmsSimulatorTest, RemoveAndReAddAppendInOrder) {
  Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});

  v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchool);
  remove.set_id_number(IdNumber(2));
  v1::RosterChange removed;
  ASSERT_TRUE(control_->RemoveGraduate(Context().get(), remove, &removed).ok());
  EXPECT_EQ(removed.sequence(), 3);
  EXPECT_EQ(removed.type(), v1::ROSTER_CHANGE_TYPE_REMOVE);

  v1::ReAddGraduateRequest readd;
  readd.set_school_code(kSchool);
  readd.set_id_number(IdNumber(2));
  v1::RosterChange readded;
  ASSERT_TRUE(control_->ReAddGraduate(Context().get(), readd, &readded).ok());
  EXPECT_EQ(readded.sequence(), 4);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(2, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).type(), v1::ROSTER_CHANGE_TYPE_REMOVE);
  EXPECT_EQ(changes.changes(0).graduate().name(), "李四");
  EXPECT_EQ(changes.changes(1).type(), v1::ROSTER_CHANGE_TYPE_UPSERT);
  EXPECT_EQ(changes.changes(1).graduate().name(), "李四");
  EXPECT_EQ(changes.changes(1).graduate_key(), changes.changes(0).graduate_key());
}

TEST_F(EmsSimulatorTest, RemoveAndReAddRejectWrongState) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});

  v1::ReAddGraduateRequest readd;
  readd.set_school_code(kSchool);
  readd.set_id_number(IdNumber(1));
  v1::RosterChange change;
  grpc::Status present = control_->ReAddGraduate(Context().get(), readd, &change);
  EXPECT_EQ(present.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(present), "GRADUATE_NOT_REMOVED");

  v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchool);
  remove.set_id_number(IdNumber(1));
  ASSERT_TRUE(control_->RemoveGraduate(Context().get(), remove, &change).ok());
  grpc::Status twice = control_->RemoveGraduate(Context().get(), remove, &change);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(twice), "GRADUATE_ALREADY_REMOVED");

  remove.set_id_number(IdNumber(9));
  grpc::Status unknown = control_->RemoveGraduate(Context().get(), remove, &change);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(unknown), "GRADUATE_NOT_IN_ROSTER");
}

TEST_F(EmsSimulatorTest, UploadOfRemovedGraduateRestores) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchool);
  remove.set_id_number(IdNumber(1));
  v1::RosterChange change;
  ASSERT_TRUE(control_->RemoveGraduate(Context().get(), remove, &change).ok());

  v1::UploadRosterResponse report = Store(kSchool, {Graduate(IdNumber(1), "张三")});
  EXPECT_EQ(report.restored(), 1);
  EXPECT_EQ(report.unchanged(), 0);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(2, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).type(), v1::ROSTER_CHANGE_TYPE_UPSERT);
  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_FALSE(graduate.removed());
}

TEST_F(EmsSimulatorTest, ChangesPageBySchool) {
  // Sequences 1-5: A1 B1 A2 B2 A3.
  Store(kSchool, {Graduate(IdNumber(1), "甲")});
  Store(kOtherSchool, {Graduate(IdNumber(2), "乙")});
  Store(kSchool, {Graduate(IdNumber(3), "丙")});
  Store(kOtherSchool, {Graduate(IdNumber(4), "丁")});
  Store(kSchool, {Graduate(IdNumber(5), "戊")});

  v1::ListRosterChangesResponse first;
  ASSERT_TRUE(ListChanges(0, &first, 2, kSchool).ok());
  ASSERT_EQ(first.changes_size(), 2);
  EXPECT_EQ(first.changes(0).sequence(), 1);
  EXPECT_EQ(first.changes(1).sequence(), 3);
  EXPECT_EQ(first.next_sequence(), 3);
  EXPECT_TRUE(first.has_more());

  v1::ListRosterChangesResponse second;
  ASSERT_TRUE(ListChanges(first.next_sequence(), &second, 2, kSchool).ok());
  ASSERT_EQ(second.changes_size(), 1);
  EXPECT_EQ(second.changes(0).sequence(), 5);
  EXPECT_EQ(second.next_sequence(), 5);
  EXPECT_FALSE(second.has_more());

  // A school whose last change is not the log's last: the cursor still moves to the end.
  v1::ListRosterChangesResponse other;
  ASSERT_TRUE(ListChanges(0, &other, 0, kOtherSchool).ok());
  ASSERT_EQ(other.changes_size(), 2);
  EXPECT_EQ(other.next_sequence(), 5);
  EXPECT_FALSE(other.has_more());
}

TEST_F(EmsSimulatorTest, ChangesRejectBadCursors) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::ListRosterChangesResponse response;

  grpc::Status ahead = ListChanges(2, &response);
  EXPECT_EQ(ahead.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(ahead), "ROSTER_CURSOR_AHEAD");

  grpc::Status negative = ListChanges(-1, &response);
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(negative), "INVALID_SEQUENCE");

  grpc::Status too_many = ListChanges(0, &response, 1001);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(too_many), "INVALID_PAGE_SIZE");

  grpc::Status bad_school = ListChanges(0, &response, 0, "41110");
  EXPECT_EQ(bad_school.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(bad_school), "INVALID_SCHOOL_CODE");
}

TEST_F(EmsSimulatorTest, BadRosterRowsAreReported) {
  v1::RosterGraduate other_school = Graduate(IdNumber(3), "王五");
  other_school.set_school_code(kOtherSchool);
  v1::RosterGraduate bad_gender = Graduate(IdNumber(5), "钱七");
  bad_gender.set_gender_code("7");
  v1::UploadRosterResponse report =
      Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate("", "无证"), Graduate(IdNumber(4), ""), other_school,
                      Graduate(IdNumber(1), "张三重复"), bad_gender});

  EXPECT_EQ(report.rows_read(), 6);
  EXPECT_EQ(report.inserted(), 1);
  struct Expected {
    int row;
    const char* column;
    const char* reason;
  };
  const std::vector<Expected> expected = {
      {2, "身份证号", "REQUIRED_FIELD_MISSING"}, {3, "姓名", "REQUIRED_FIELD_MISSING"},
      {4, "院校代码", "SCHOOL_CODE_MISMATCH"},   {5, "身份证号", "DUPLICATE_ID_NUMBER"},
      {6, "性别代码", "UNKNOWN_CODE"},
  };
  for (const Expected& want : expected) {
    SCOPED_TRACE(absl::StrCat("row ", want.row, " ", want.reason));
    bool found = false;
    for (const v1::RosterRowError& error : report.row_errors()) {
      if (error.row() == want.row && error.column() == want.column && error.reason() == want.reason) {
        found = true;
        EXPECT_FALSE(error.message().empty());
      }
    }
    EXPECT_TRUE(found);
  }
  for (const v1::RosterRowError& error : report.row_errors()) {
    EXPECT_NE(error.row(), 1) << error.reason();
    // ID numbers appear masked, never whole.
    EXPECT_EQ(error.value().find(IdNumber(1)), std::string::npos);
    EXPECT_EQ(error.message().find(IdNumber(1)), std::string::npos);
  }

  v1::GetGraduateResponse stored;
  ASSERT_TRUE(Get(IdNumber(1), &stored).ok());
  EXPECT_EQ(stored.graduate().name(), "张三");
  EXPECT_EQ(Get(IdNumber(5), &stored).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmsSimulatorTest, RosterRejectsBadSchoolAndClass) {
  v1::UpsertGraduatesRequest request;
  request.set_school_code("41110100");
  request.set_class_year(kClassYear);
  *request.add_graduates() = Graduate(IdNumber(1), "张三");
  v1::UploadRosterResponse report;
  grpc::Status bad_school = control_->UpsertGraduates(Context().get(), request, &report);
  EXPECT_EQ(bad_school.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(bad_school), "INVALID_SCHOOL_CODE");

  request.set_school_code(kSchool);
  request.set_class_year(1999);
  grpc::Status bad_class = control_->UpsertGraduates(Context().get(), request, &report);
  EXPECT_EQ(bad_class.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(bad_class), "INVALID_CLASS_YEAR");
}

TEST_F(EmsSimulatorTest, GetGraduateReturnsRecordAndDefault) {
  std::string id_number = IdNumber(19);
  ASSERT_EQ(id_number.back(), 'X') << "pick a sequence whose check character is X";
  Store(kSchool, {Graduate(id_number, "赵六")});

  v1::GetGraduateResponse response;
  // A lowercase x finds the same graduate.
  std::string lowercase = id_number.substr(0, 17) + "x";
  ASSERT_TRUE(Get(lowercase, &response).ok());
  EXPECT_EQ(response.graduate().name(), "赵六");
  EXPECT_EQ(response.graduate().id_number(), id_number);
  EXPECT_EQ(response.graduate_key(), GraduateKey(kSchool, id_number));
  EXPECT_EQ(response.class_year(), kClassYear);
  EXPECT_FALSE(response.removed());
  EXPECT_EQ(response.destination().destination().destination_code(), "70");
  EXPECT_EQ(response.destination().last_writer(), v1::DESTINATION_WRITER_NONE);
  EXPECT_EQ(response.destination().applied_version(), 0);
  EXPECT_FALSE(response.destination().platform_owned());

  grpc::Status unknown = Get(IdNumber(11), &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(unknown), "GRADUATE_NOT_IN_ROSTER");
  // The message names the graduate only by its masked ID number.
  EXPECT_EQ(unknown.error_message().find(IdNumber(11)), std::string::npos);

  grpc::Status other_school = Get(id_number, &response, kOtherSchool);
  EXPECT_EQ(other_school.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmsSimulatorTest, UpsertIdempotentPerVersion) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});

  v1::DestinationAck first;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &first).ok());
  EXPECT_TRUE(first.accepted());
  EXPECT_EQ(first.applied_version(), 1);
  EXPECT_EQ(first.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);

  v1::DestinationAck repeat;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &repeat).ok());
  EXPECT_EQ(repeat.SerializeAsString(), first.SerializeAsString());

  v1::DestinationAck resent;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1-retry", &resent).ok());
  EXPECT_TRUE(resent.accepted());
  EXPECT_EQ(resent.outcome(), v1::DESTINATION_ACK_OUTCOME_DUPLICATE);
  EXPECT_EQ(resent.applied_version(), 1);

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().destination().employer_name(), "甲公司");
  EXPECT_EQ(graduate.destination().applied_version(), 1);
  EXPECT_TRUE(graduate.destination().platform_owned());
  EXPECT_EQ(graduate.destination().last_writer(), v1::DESTINATION_WRITER_PLATFORM);

  v1::Stats stats = Stats();
  EXPECT_EQ(stats.upserts_received(), 3);
  EXPECT_EQ(stats.duplicates_received(), 2);
  EXPECT_EQ(stats.conflicting_duplicates(), 0);
  ASSERT_EQ(stats.graduates_size(), 1);
  EXPECT_EQ(stats.graduates(0).last_applied_version(), 1);
  EXPECT_EQ(stats.graduates(0).id_number(), validation::MaskIdNumber(IdNumber(1)));
}

TEST_F(EmsSimulatorTest, OlderVersionIsIgnored) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});

  v1::DestinationAck newer;
  ASSERT_TRUE(Upsert(IdNumber(1), 2, Employment("乙公司"), "event-2", &newer).ok());
  v1::Stats gap = Stats();
  ASSERT_EQ(gap.graduates_size(), 1);
  EXPECT_EQ(gap.graduates(0).skipped_version_count(), 1);
  ASSERT_EQ(gap.graduates(0).skipped_versions_size(), 1);
  EXPECT_EQ(gap.graduates(0).skipped_versions(0), 1);

  v1::DestinationAck older;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &older).ok());
  EXPECT_FALSE(older.accepted());
  EXPECT_EQ(older.outcome(), v1::DESTINATION_ACK_OUTCOME_STALE_IGNORED);
  EXPECT_EQ(older.applied_version(), 2);

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().destination().employer_name(), "乙公司");
  v1::Stats stats = Stats();
  EXPECT_EQ(stats.out_of_order_versions(), 1);
  ASSERT_EQ(stats.graduates_size(), 1);
  EXPECT_EQ(stats.graduates(0).skipped_version_count(), 0);
}

TEST_F(EmsSimulatorTest, SkippedVersionsAreListed) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 2, Employment("甲公司"), "event-2", &ack).ok());
  ASSERT_TRUE(Upsert(IdNumber(1), 5, Employment("乙公司"), "event-5", &ack).ok());
  ASSERT_TRUE(Upsert(IdNumber(1), 500, Employment("丙公司"), "event-500", &ack).ok());

  v1::Stats stats = Stats();
  ASSERT_EQ(stats.graduates_size(), 1);
  const v1::GraduateDeliveryStats& graduate = stats.graduates(0);
  EXPECT_EQ(graduate.last_applied_version(), 500);
  // 1, 3, 4 and 6-499.
  EXPECT_EQ(graduate.skipped_version_count(), 3 + 494);
  ASSERT_EQ(graduate.skipped_versions_size(), 100);
  EXPECT_EQ(graduate.skipped_versions(0), 1);
  EXPECT_EQ(graduate.skipped_versions(1), 3);
  EXPECT_EQ(graduate.skipped_versions(2), 4);
  EXPECT_EQ(graduate.skipped_versions(3), 6);
}

TEST_F(EmsSimulatorTest, ConflictingResendIsCounted) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());

  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("乙公司"), "event-1b", &ack).ok());
  EXPECT_EQ(ack.outcome(), v1::DESTINATION_ACK_OUTCOME_DUPLICATE);

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().destination().employer_name(), "甲公司");
  EXPECT_EQ(Stats().conflicting_duplicates(), 1);
}

TEST_F(EmsSimulatorTest, ReusedIdempotencyKeyIsRejected) {
  Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});
  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());

  grpc::Status other_version = Upsert(IdNumber(1), 2, Employment("甲公司"), "event-1", &ack);
  EXPECT_EQ(other_version.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(other_version), "IDEMPOTENCY_KEY_REUSED");

  grpc::Status other_graduate = Upsert(IdNumber(2), 1, Employment("甲公司"), "event-1", &ack);
  EXPECT_EQ(other_graduate.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(other_graduate), "IDEMPOTENCY_KEY_REUSED");

  grpc::Status as_void = Void(IdNumber(1), 1, "event-1", &ack);
  EXPECT_EQ(as_void.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(as_void), "IDEMPOTENCY_KEY_REUSED");

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(2), &graduate).ok());
  EXPECT_EQ(graduate.destination().last_writer(), v1::DESTINATION_WRITER_NONE);
}

TEST_F(EmsSimulatorTest, CodesFollowTheClassTables) {
  v1::RosterGraduate class_of_2023 = Graduate(IdNumber(2), "李四");
  class_of_2023.set_graduation_date("2023-06-30");
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  Store(kSchool, {class_of_2023}, 2023);

  v1::Destination sub_code = Employment("三支一扶");
  sub_code.set_destination_code("502");
  v1::Destination two_digit = Employment("三支一扶");
  two_digit.set_destination_code("50");
  v1::DestinationAck ack;
  EXPECT_TRUE(Upsert(IdNumber(1), 1, sub_code, "event-1", &ack).ok());
  EXPECT_TRUE(Upsert(IdNumber(2), 1, two_digit, "event-2", &ack).ok());

  grpc::Status sub_code_for_2023 = Upsert(IdNumber(2), 2, sub_code, "event-3", &ack);
  EXPECT_EQ(sub_code_for_2023.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(sub_code_for_2023), "UNKNOWN_CODE");
}

TEST_F(EmsSimulatorTest, VoidSetsUnemployed) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());

  ASSERT_TRUE(Void(IdNumber(1), 2, "event-2", &ack).ok());
  EXPECT_TRUE(ack.accepted());
  EXPECT_EQ(ack.applied_version(), 2);
  EXPECT_EQ(ack.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().destination().destination_code(), "70");
  EXPECT_EQ(graduate.destination().destination().employer_name(), "");
  EXPECT_EQ(graduate.destination().applied_version(), 2);
  EXPECT_TRUE(graduate.destination().platform_owned());
  EXPECT_EQ(Stats().voids_received(), 1);
}

TEST_F(EmsSimulatorTest, PlatformRecordRejectsSchoolEdit) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});

  v1::Destination school_entry = Employment("学校录入公司");
  v1::EmsDestinationRecord record;
  ASSERT_TRUE(EditAsSchool(IdNumber(1), school_entry, &record).ok());
  EXPECT_EQ(record.last_writer(), v1::DESTINATION_WRITER_SCHOOL_IN_EMS);
  EXPECT_FALSE(record.platform_owned());
  EXPECT_EQ(record.destination().source_flow_type(), v1::DESTINATION_SOURCE_UNSPECIFIED);
  EXPECT_EQ(record.destination().source_flow_id(), "");

  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());
  grpc::Status locked = EditAsSchool(IdNumber(1), school_entry, &record);
  EXPECT_EQ(locked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(locked), "RECORD_OWNED_BY_PLATFORM");
  EXPECT_EQ(locked.error_message().rfind("该毕业去向数据来自登记平台，不能在就业管理系统中直接修改", 0), 0u);

  // A void keeps the lock: 待就业 came from the platform too.
  ASSERT_TRUE(Void(IdNumber(1), 2, "event-2", &ack).ok());
  grpc::Status after_void = EditAsSchool(IdNumber(1), school_entry, &record);
  EXPECT_EQ(after_void.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().destination().destination_code(), "70");
  EXPECT_EQ(Stats().school_edits_rejected(), 2);
}

TEST_F(EmsSimulatorTest, WritesRejectBadInput) {
  Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});
  v1::RemoveGraduateRequest remove;
  remove.set_school_code(kSchool);
  remove.set_id_number(IdNumber(2));
  v1::RosterChange change;
  ASSERT_TRUE(control_->RemoveGraduate(Context().get(), remove, &change).ok());

  v1::Destination bad_code = Employment("甲公司");
  bad_code.set_destination_code("1a");
  v1::Destination bad_credit_code = Employment("甲公司");
  bad_credit_code.set_employer_credit_code("914403001922038217");
  v1::Destination no_code = Employment("甲公司");
  no_code.clear_destination_code();
  v1::Destination unknown_code = Employment("甲公司");
  unknown_code.set_destination_code("99");
  // 50 (国家基层项目) is a 2-digit code; the class of 2025 uses its 3-digit sub-codes.
  v1::Destination old_generation = Employment("甲公司");
  old_generation.set_destination_code("50");
  v1::Destination unknown_unit_nature = Employment("甲公司");
  unknown_unit_nature.set_unit_nature_code("38");

  struct Case {
    const char* name;
    std::string school;
    std::string id_number;
    int64_t version;
    v1::Destination destination;
    std::string key;
    grpc::StatusCode code;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"version zero", kSchool, IdNumber(1), 0, Employment("甲公司"), "k1", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_LEDGER_VERSION"},
      {"negative version", kSchool, IdNumber(1), -3, Employment("甲公司"), "k2", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_LEDGER_VERSION"},
      {"no key", kSchool, IdNumber(1), 1, Employment("甲公司"), "", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_IDEMPOTENCY_KEY"},
      {"long key", kSchool, IdNumber(1), 1, Employment("甲公司"), std::string(129, 'k'),
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_IDEMPOTENCY_KEY"},
      {"bad school", "123", IdNumber(1), 1, Employment("甲公司"), "k3", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_SCHOOL_CODE"},
      {"no id number", kSchool, "", 1, Employment("甲公司"), "k4", grpc::StatusCode::INVALID_ARGUMENT,
       "ID_NUMBER_MISSING"},
      {"letters in code", kSchool, IdNumber(1), 1, bad_code, "k5", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_DESTINATION_CODE"},
      {"no code", kSchool, IdNumber(1), 1, no_code, "k6", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_DESTINATION_CODE"},
      {"bad credit code", kSchool, IdNumber(1), 1, bad_credit_code, "k7", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_CREDIT_CODE"},
      {"code in no table", kSchool, IdNumber(1), 1, unknown_code, "k10", grpc::StatusCode::INVALID_ARGUMENT,
       "UNKNOWN_CODE"},
      {"code of older classes", kSchool, IdNumber(1), 1, old_generation, "k11", grpc::StatusCode::INVALID_ARGUMENT,
       "UNKNOWN_CODE"},
      {"unknown unit nature", kSchool, IdNumber(1), 1, unknown_unit_nature, "k12",
       grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_CODE"},
      {"unknown graduate", kSchool, IdNumber(3), 1, Employment("甲公司"), "k8", grpc::StatusCode::NOT_FOUND,
       "GRADUATE_NOT_IN_ROSTER"},
      {"removed graduate", kSchool, IdNumber(2), 1, Employment("甲公司"), "k9",
       grpc::StatusCode::FAILED_PRECONDITION, "GRADUATE_REMOVED_FROM_ROSTER"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    v1::DestinationAck ack;
    grpc::Status status =
        Upsert(test_case.id_number, test_case.version, test_case.destination, test_case.key, &ack, test_case.school);
    EXPECT_EQ(status.error_code(), test_case.code);
    EXPECT_EQ(Reason(status), test_case.reason);
  }

  // None of them changed the graduate.
  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().applied_version(), 0);
}

TEST_F(EmsSimulatorTest, DestinationsPageByKey) {
  std::vector<v1::RosterGraduate> roster;
  for (int i = 1; i <= 6; ++i) roster.push_back(Graduate(IdNumber(i), absl::StrCat("毕业生", i)));
  Store(kSchool, roster);
  v1::DestinationAck ack;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(Upsert(IdNumber(i), 1, Employment("甲公司"), absl::StrCat("event-", i), &ack).ok());
  }

  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    v1::ListDestinationsRequest request;
    request.set_school_code(kSchool);
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListDestinationsResponse page;
    ASSERT_TRUE(ems_->ListDestinations(Context().get(), request, &page).ok());
    for (const v1::EmsDestinationRecord& record : page.destinations()) {
      keys.push_back(record.graduate_key());
      EXPECT_EQ(record.applied_version(), 1);
      EXPECT_TRUE(record.platform_owned());
    }
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);

  EXPECT_EQ(pages, 3);
  ASSERT_EQ(keys.size(), 5u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  std::set<std::string> expected;
  for (int i = 1; i <= 5; ++i) expected.insert(GraduateKey(kSchool, IdNumber(i)));
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()), expected);
}

TEST_F(EmsSimulatorTest, DestinationsRejectBadPageToken) {
  v1::ListDestinationsRequest request;
  request.set_school_code(kSchool);
  request.set_page_token("not-a-token");
  v1::ListDestinationsResponse page;
  grpc::Status status = ems_->ListDestinations(Context().get(), request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "INVALID_PAGE_TOKEN");
}

TEST_F(EmsSimulatorTest, DownMakesEveryCallUnavailable) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::Faults down;
  down.set_down(true);
  SetFaults(down);

  v1::ListRosterChangesResponse changes;
  v1::GetGraduateResponse graduate;
  v1::DestinationAck ack;
  v1::EmsDestinationRecord record;
  v1::ListDestinationsRequest list_request;
  list_request.set_school_code(kSchool);
  v1::ListDestinationsResponse list;
  const std::vector<std::pair<const char*, grpc::Status>> calls = {
      {"ListRosterChanges", ListChanges(0, &changes)},
      {"GetGraduate", Get(IdNumber(1), &graduate)},
      {"UpsertDestination", Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack)},
      {"VoidDestination", Void(IdNumber(1), 1, "event-void", &ack)},
      {"ListDestinations", ems_->ListDestinations(Context().get(), list_request, &list)},
      {"EditDestinationAsSchool", EditAsSchool(IdNumber(1), Employment("甲公司"), &record)},
  };
  for (const auto& [name, status] : calls) {
    SCOPED_TRACE(name);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(Reason(status), "EMS_UNAVAILABLE");
  }

  // The control service keeps working, and nothing was applied.
  v1::Stats stats = Stats();
  EXPECT_EQ(stats.injected_failures(), 6);
  EXPECT_EQ(stats.upserts_received(), 0);

  SetFaults(v1::Faults());
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().applied_version(), 0);
}

TEST_F(EmsSimulatorTest, FailureRatioFailsThatShare) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::Faults faults;
  faults.set_failure_ratio(0.3);
  SetFaults(faults);

  constexpr int kCalls = 1000;
  int unavailable = 0;
  for (int i = 0; i < kCalls; ++i) {
    v1::GetGraduateResponse graduate;
    grpc::Status status = Get(IdNumber(1), &graduate);
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      ++unavailable;
    } else {
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  // 300 expected; the bounds are about 5 standard deviations (sqrt(1000 * 0.3 * 0.7) = 14.5).
  EXPECT_GE(unavailable, 230);
  EXPECT_LE(unavailable, 370);
  EXPECT_EQ(Stats().injected_failures(), unavailable);
}

TEST_F(EmsSimulatorTest, SameSeedRepeatsFailures) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  auto run = [&] {
    v1::ResetResponse reset;
    EXPECT_TRUE(control_->Reset(Context().get(), v1::ResetRequest(), &reset).ok());
    Store(kSchool, {Graduate(IdNumber(1), "张三")});
    v1::Faults faults;
    faults.set_failure_ratio(0.5);
    SetFaults(faults);
    std::string pattern;
    for (int i = 0; i < 64; ++i) {
      v1::GetGraduateResponse graduate;
      pattern += Get(IdNumber(1), &graduate).ok() ? '.' : 'x';
    }
    return pattern;
  };
  std::string first = run();
  EXPECT_EQ(run(), first);
  EXPECT_NE(first.find('x'), std::string::npos);
  EXPECT_NE(first.find('.'), std::string::npos);
}

TEST_F(EmsSimulatorTest, LostAckStillApplies) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::Faults faults;
  faults.set_lost_ack_ratio(1.0);
  SetFaults(faults);

  v1::DestinationAck ack;
  grpc::Status lost = Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack);
  EXPECT_EQ(lost.error_code(), grpc::StatusCode::UNAVAILABLE);

  SetFaults(v1::Faults());
  v1::DestinationAck retried;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &retried).ok());
  EXPECT_EQ(retried.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);
  EXPECT_EQ(retried.applied_version(), 1);
  v1::Stats stats = Stats();
  EXPECT_EQ(stats.duplicates_received(), 1);
  EXPECT_EQ(stats.injected_failures(), 1);
}

TEST_F(EmsSimulatorTest, DuplicateDeliveryIsCounted) {
  Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});
  v1::Faults faults;
  faults.set_duplicate_delivery(true);
  SetFaults(faults);

  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());
  EXPECT_EQ(ack.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);
  ASSERT_TRUE(Void(IdNumber(1), 2, "event-2", &ack).ok());
  EXPECT_EQ(ack.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 4);
  EXPECT_EQ(changes.changes(0).sequence(), 1);
  EXPECT_EQ(changes.changes(1).sequence(), 1);
  EXPECT_EQ(changes.changes(2).sequence(), 2);
  EXPECT_EQ(changes.changes(3).sequence(), 2);
  EXPECT_EQ(changes.next_sequence(), 2);

  v1::Stats stats = Stats();
  EXPECT_EQ(stats.upserts_received(), 2);
  EXPECT_EQ(stats.voids_received(), 2);
  EXPECT_EQ(stats.duplicates_received(), 2);
  EXPECT_EQ(stats.conflicting_duplicates(), 0);
  EXPECT_EQ(stats.roster_changes_delivered(), 4);
  EXPECT_EQ(stats.duplicate_changes_delivered(), 2);
}

TEST_F(EmsSimulatorTest, LatencyDelaysAndHonoursDeadline) {
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  v1::Faults faults;
  faults.set_latency_ms(300);
  SetFaults(faults);

  absl::Time start = absl::Now();
  v1::GetGraduateResponse graduate;
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));

  v1::UpsertDestinationRequest request;
  request.set_school_code(kSchool);
  request.set_id_number(IdNumber(1));
  request.set_ledger_version(1);
  *request.mutable_destination() = Employment("甲公司");
  request.set_idempotency_key("event-1");
  v1::DestinationAck ack;
  grpc::Status late = ems_->UpsertDestination(Context(std::chrono::milliseconds(100)).get(), request, &ack);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // The call gave up before running, so nothing was applied.
  SetFaults(v1::Faults());
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(Get(IdNumber(1), &graduate).ok());
  EXPECT_EQ(graduate.destination().applied_version(), 0);
  EXPECT_EQ(Stats().upserts_received(), 0);
}

TEST_F(EmsSimulatorTest, FaultSettingsAreValidated) {
  struct Case {
    const char* name;
    int latency_ms;
    double failure_ratio;
    double lost_ack_ratio;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"negative latency", -1, 0, 0, "INVALID_FAULT_LATENCY"},
      {"latency over a minute", 60001, 0, 0, "INVALID_FAULT_LATENCY"},
      {"failure ratio over one", 0, 1.5, 0, "INVALID_FAULT_RATIO"},
      {"negative failure ratio", 0, -0.1, 0, "INVALID_FAULT_RATIO"},
      {"lost ack ratio over one", 0, 0, 2, "INVALID_FAULT_RATIO"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    v1::Faults faults;
    faults.set_latency_ms(test_case.latency_ms);
    faults.set_failure_ratio(test_case.failure_ratio);
    faults.set_lost_ack_ratio(test_case.lost_ack_ratio);
    v1::Faults applied;
    grpc::Status status = control_->SetFaults(Context().get(), faults, &applied);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Reason(status), test_case.reason);
  }

  v1::Faults valid;
  valid.set_failure_ratio(0.25);
  v1::Faults applied;
  ASSERT_TRUE(control_->SetFaults(Context().get(), valid, &applied).ok());
  EXPECT_DOUBLE_EQ(applied.failure_ratio(), 0.25);
}

TEST_F(EmsSimulatorTest, ResetForgetsEverything) {
  Store(kSchool, {Graduate(IdNumber(1), "张三"), Graduate(IdNumber(2), "李四")});
  v1::DestinationAck ack;
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("甲公司"), "event-1", &ack).ok());
  v1::Faults faults;
  faults.set_latency_ms(5);
  SetFaults(faults);

  v1::ResetResponse reset;
  ASSERT_TRUE(control_->Reset(Context().get(), v1::ResetRequest(), &reset).ok());

  v1::ListRosterChangesResponse changes;
  grpc::Status ahead = ListChanges(2, &changes);
  EXPECT_EQ(ahead.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(ahead), "ROSTER_CURSOR_AHEAD");
  v1::GetGraduateResponse graduate;
  EXPECT_EQ(Get(IdNumber(1), &graduate).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::Stats stats = Stats();
  EXPECT_EQ(stats.upserts_received(), 0);
  EXPECT_EQ(stats.graduates_size(), 0);

  // Sequences start again at 1, and the old idempotency key is free again.
  Store(kSchool, {Graduate(IdNumber(1), "张三")});
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).sequence(), 1);
  ASSERT_TRUE(Upsert(IdNumber(1), 1, Employment("乙公司"), "event-1", &ack).ok());
  EXPECT_EQ(ack.outcome(), v1::DESTINATION_ACK_OUTCOME_APPLIED);
}

// The required columns of a roster file and three rows: two valid graduates and one with a
// gender code that is in no code table.
std::string TinyRosterCsv(const std::string& second_department = "计算机学院") {
  return absl::StrCat(
      "身份证号,姓名,性别代码,民族代码,政治面貌代码,院校代码,学历代码,专业代码,专业,培养方式代码,所在院系,学号,毕业时间\r\n",
      IdNumber(1), ",张三,1,01,03,", kSchool, ",31,080901,计算机科学与技术,1,计算机学院,2021001,20250630\r\n",
      IdNumber(2), ",李四,2,01,01,", kSchool, ",31,080901,计算机科学与技术,1,", second_department,
      ",2021002,20250630\r\n",
      IdNumber(3), ",王五,7,01,03,", kSchool, ",31,080901,计算机科学与技术,1,计算机学院,2021003,20250630\r\n");
}

TEST_F(EmsSimulatorTest, UploadRosterStoresValidRows) {
  v1::UploadRosterRequest request;
  request.set_school_code(kSchool);
  request.set_class_year(kClassYear);
  request.set_file_name("2025届毕业生.csv");
  request.set_content(TinyRosterCsv());
  v1::UploadRosterResponse report;
  grpc::Status status = control_->UploadRoster(Context().get(), request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(report.rows_read(), 3);
  EXPECT_EQ(report.inserted(), 2);
  ASSERT_EQ(report.row_errors_size(), 1);
  // The header is row 1, as a spreadsheet shows it.
  EXPECT_EQ(report.row_errors(0).row(), 4);
  EXPECT_EQ(report.row_errors(0).column(), "性别代码");
  EXPECT_EQ(report.row_errors(0).value(), "7");
  EXPECT_EQ(report.row_errors(0).reason(), "UNKNOWN_CODE");

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).graduate().name(), "张三");
  EXPECT_EQ(changes.changes(0).graduate().school_code(), kSchool);
  EXPECT_EQ(changes.changes(0).graduate().graduation_date(), "20250630");
  EXPECT_EQ(changes.changes(1).graduate().gender_code(), "2");
}

TEST_F(EmsSimulatorTest, UploadSameFileAppendsNothing) {
  v1::UploadRosterRequest request;
  request.set_school_code(kSchool);
  request.set_class_year(kClassYear);
  request.set_file_name("roster.csv");
  request.set_content(TinyRosterCsv());
  v1::UploadRosterResponse report;
  ASSERT_TRUE(control_->UploadRoster(Context().get(), request, &report).ok());

  v1::UploadRosterResponse again;
  ASSERT_TRUE(control_->UploadRoster(Context().get(), request, &again).ok());
  EXPECT_EQ(again.unchanged(), 2);
  EXPECT_EQ(again.inserted(), 0);
  v1::ListRosterChangesResponse none;
  ASSERT_TRUE(ListChanges(2, &none).ok());
  EXPECT_EQ(none.changes_size(), 0);

  request.set_content(TinyRosterCsv("软件学院"));
  v1::UploadRosterResponse changed;
  ASSERT_TRUE(control_->UploadRoster(Context().get(), request, &changed).ok());
  EXPECT_EQ(changed.updated(), 1);
  EXPECT_EQ(changed.unchanged(), 1);
  v1::ListRosterChangesResponse after_change;
  ASSERT_TRUE(ListChanges(2, &after_change).ok());
  ASSERT_EQ(after_change.changes_size(), 1);
  EXPECT_EQ(after_change.changes(0).graduate().name(), "李四");
  EXPECT_EQ(after_change.changes(0).graduate().department(), "软件学院");
}

TEST_F(EmsSimulatorTest, UploadOfFullRosterRoundTrips) {
  const std::vector<roster::GraduateRecord> records = roster::testing::TwentyGraduates();
  v1::UploadRosterRequest request;
  request.set_school_code(roster::testing::kSchoolCode);
  request.set_class_year(roster::testing::kClassYear);
  request.set_file_name("roster.csv");
  request.set_content(roster::testing::ToCsv(roster::testing::RecordsTable(roster::testing::AllHeaders(), records)));
  v1::UploadRosterResponse report;
  ASSERT_TRUE(control_->UploadRoster(Context().get(), request, &report).ok());
  ASSERT_EQ(report.row_errors_size(), 0) << report.row_errors(0).message();
  EXPECT_EQ(report.inserted(), 20);

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 20);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(records[i].name);
    EXPECT_TRUE(ToGraduateRecord(changes.changes(i).graduate()) == records[i]);
  }
}

TEST_F(EmsSimulatorTest, UnreadableRosterStoresNothing) {
  struct Case {
    const char* name;
    std::string content;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"missing columns", "身份证号,姓名\r\n" + IdNumber(1) + ",张三\r\n", "ROSTER_COLUMNS_MISSING"},
      {"legacy xls", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0'),
       "ROSTER_FORMAT_UNSUPPORTED"},
      {"empty", "", "ROSTER_EMPTY"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    v1::UploadRosterRequest request;
    request.set_school_code(kSchool);
    request.set_class_year(kClassYear);
    request.set_file_name("roster.xls");
    request.set_content(test_case.content);
    v1::UploadRosterResponse report;
    grpc::Status status = control_->UploadRoster(Context().get(), request, &report);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Reason(status), test_case.reason);
  }

  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ListChanges(0, &changes).ok());
  EXPECT_EQ(changes.changes_size(), 0);
}

TEST(RosterConversionTest, CoversEveryField) {
  EXPECT_EQ(ConvertedRosterFieldCount(), v1::RosterGraduate::descriptor()->field_count());
  EXPECT_EQ(ConvertedRosterFieldCount(), static_cast<int>(roster::RosterFields().size()));

  for (const roster::GraduateRecord& record : roster::testing::TwentyGraduates()) {
    SCOPED_TRACE(record.name);
    EXPECT_TRUE(ToGraduateRecord(ToRosterGraduate(record)) == record);
  }
}

}  // namespace
}  // namespace quxiang::ems_simulator

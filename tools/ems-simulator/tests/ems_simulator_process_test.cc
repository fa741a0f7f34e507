// The ems-simulator binary as scripts/run starts it: port file, health, calls without a token,
// SIGTERM drain, and the upload size limit.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/roster/test_files.h"
#include "libs/testing/process.h"
#include "quxiang/ems/v1/ems.grpc.pb.h"

namespace quxiang::ems_simulator {
namespace {

namespace v1 = ::quxiang::ems::v1;
using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class EmsSimulatorProcessTest : public ::testing::Test {
 protected:
  // Starts the binary with `extra_flags` after the common ones.
  void StartSimulator(const std::vector<std::string>& extra_flags = {}) {
    folder_ = quxiang::testing::MakeTempDir("qx-ems-simulator");
    std::vector<std::string> flags = {"--grpc_port=0", "--port_file=" + folder_ + "/port", "--drain_delay_ms=1500",
                                      "--seed=7"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    process_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/tools/ems-simulator/ems-simulator", flags,
        std::map<std::string, std::string>{}, folder_ + "/ems-simulator.log");
    port_ = quxiang::testing::WaitForPortFile(folder_ + "/port", absl::Seconds(30), process_.get());
    ASSERT_GT(port_, 0) << process_->Log();
    grpc::ChannelArguments arguments;
    arguments.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials(),
                                         arguments);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return context;
  }

  HealthCheckResponse::ServingStatus Health() {
    auto stub = Health::NewStub(channel_);
    HealthCheckResponse response;
    grpc::Status status = stub->Check(Context().get(), HealthCheckRequest(), &response);
    if (!status.ok()) return HealthCheckResponse::UNKNOWN;
    return response.status();
  }

  std::string folder_;
  std::unique_ptr<quxiang::testing::ChildProcess> process_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(EmsSimulatorProcessTest, ServesWithoutTokenAndDrains) {
  StartSimulator();
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);

  auto control = v1::EmsSimulatorControl::NewStub(channel_);
  v1::UpsertGraduatesRequest roster;
  roster.set_school_code("4111010001");
  roster.set_class_year(2025);
  v1::RosterGraduate* graduate = roster.add_graduates();
  graduate->set_id_number("110105200301010018");
  graduate->set_name("张三");
  graduate->set_gender_code("1");
  graduate->set_ethnicity_code("01");
  graduate->set_political_status_code("03");
  graduate->set_education_level_code("31");
  graduate->set_major_code("080901");
  graduate->set_major_name("计算机科学与技术");
  graduate->set_training_mode_code("1");
  graduate->set_department("计算机学院");
  graduate->set_student_number("2021001");
  graduate->set_graduation_date("2025-06-30");
  v1::UploadRosterResponse report;
  grpc::Status stored = control->UpsertGraduates(Context().get(), roster, &report);
  ASSERT_TRUE(stored.ok()) << stored.error_message() << process_->Log();
  ASSERT_EQ(report.inserted(), 1) << (report.row_errors_size() > 0 ? report.row_errors(0).message() : "");

  auto ems = v1::EmsService::NewStub(channel_);
  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(ems->ListRosterChanges(Context().get(), v1::ListRosterChangesRequest(), &changes).ok());
  EXPECT_EQ(changes.changes_size(), 1);

  // Without --token_public_key_files no token can be verified, so one that is sent is rejected.
  auto with_token = Context();
  with_token->AddMetadata("authorization", "Bearer forged");
  grpc::Status forged = ems->ListRosterChanges(with_token.get(), v1::ListRosterChangesRequest(), &changes);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  process_->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);
  std::optional<int> exit_status = process_->WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << process_->Log();
  EXPECT_EQ(*exit_status, 0) << process_->Log();
}

// A CSV roster of `count` valid graduates: copies of the 20 fixture graduates, each with an ID
// number and a student number of its own.
std::string LargeRosterCsv(int count) {
  std::vector<roster::GraduateRecord> templates = roster::testing::TwentyGraduates();
  std::vector<roster::GraduateRecord> records;
  std::set<std::string> ids;
  for (int sequence = 0; sequence < 1000 && static_cast<int>(records.size()) < count; ++sequence) {
    for (const auto& record : templates) {
      if (static_cast<int>(records.size()) == count) break;
      roster::GraduateRecord copy = record;
      copy.id_number = roster::testing::IdNumber(record.id_number.substr(0, 6), record.id_number.substr(6, 8), sequence);
      if (!ids.insert(copy.id_number).second) continue;
      copy.student_number = absl::StrCat("L", 100000 + records.size());
      records.push_back(std::move(copy));
    }
  }
  return roster::testing::ToCsv(roster::testing::RecordsTable(roster::testing::AllHeaders(), records));
}

// A roster file above gRPC's default 4 MiB message limit goes through in one call, and
// --max_upload_bytes bounds it.
TEST_F(EmsSimulatorProcessTest, LargeRosterFitsUploadLimit) {
  constexpr int kCount = 12000;
  std::string csv = LargeRosterCsv(kCount);
  ASSERT_GT(csv.size(), 4u << 20);

  v1::UploadRosterRequest upload;
  upload.set_school_code(roster::testing::kSchoolCode);
  upload.set_class_year(roster::testing::kClassYear);
  upload.set_file_name("large-roster.csv");
  upload.set_content(csv);

  StartSimulator();
  auto control = v1::EmsSimulatorControl::NewStub(channel_);
  auto context = Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::UploadRosterResponse report;
  grpc::Status uploaded = control->UploadRoster(context.get(), upload, &report);
  ASSERT_TRUE(uploaded.ok()) << uploaded.error_message() << process_->Log();
  EXPECT_EQ(report.rows_read(), kCount);
  EXPECT_EQ(report.inserted(), kCount);
  EXPECT_EQ(report.row_errors_size(), 0) << report.row_errors(0).message();
  process_->Signal(SIGTERM);
  ASSERT_TRUE(process_->WaitExit(absl::Seconds(20)).has_value()) << process_->Log();

  StartSimulator({"--max_upload_bytes=1048576"});
  auto limited = v1::EmsSimulatorControl::NewStub(channel_);
  grpc::Status refused = limited->UploadRoster(Context().get(), upload, &report);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  v1::ListRosterChangesResponse changes;
  ASSERT_TRUE(v1::EmsService::NewStub(channel_)->ListRosterChanges(Context().get(), v1::ListRosterChangesRequest(), &changes).ok());
  EXPECT_EQ(changes.changes_size(), 0);
}

TEST_F(EmsSimulatorProcessTest, InvalidUploadLimitStopsStart) {
  std::string folder = quxiang::testing::MakeTempDir("qx-ems-simulator-limit");
  quxiang::testing::ChildProcess process(
      quxiang::testing::BuildDir() + "/tools/ems-simulator/ems-simulator",
      {"--grpc_port=0", "--port_file=" + folder + "/port", "--max_upload_bytes=0"},
      std::map<std::string, std::string>{}, folder + "/ems-simulator.log");
  std::optional<int> exit_status = process.WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << process.Log();
  EXPECT_NE(*exit_status, 0);
  EXPECT_NE(process.Log().find("max_upload_bytes"), std::string::npos) << process.Log();
}

}  // namespace
}  // namespace quxiang::ems_simulator

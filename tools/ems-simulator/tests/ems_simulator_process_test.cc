// The ems-simulator binary as scripts/run starts it: port file, health, calls without a token,
// SIGTERM drain.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
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
  void SetUp() override {
    folder_ = quxiang::testing::MakeTempDir("qx-ems-simulator");
    process_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/tools/ems-simulator/ems-simulator",
        std::vector<std::string>{"--grpc_port=0", "--port_file=" + folder_ + "/port", "--drain_delay_ms=1500",
                                 "--seed=7"},
        std::map<std::string, std::string>{}, folder_ + "/ems-simulator.log");
    port_ = quxiang::testing::WaitForPortFile(folder_ + "/port", absl::Seconds(30), process_.get());
    ASSERT_GT(port_, 0) << process_->Log();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
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

}  // namespace
}  // namespace quxiang::ems_simulator

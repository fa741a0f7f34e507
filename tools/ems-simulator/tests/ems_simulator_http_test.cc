// The simulator's control routes through the real gateway, as scripts/run wires them: the
// ems-simulator and gateway binaries, driven over HTTP/JSON.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/testing/http_client.h"
#include "libs/testing/process.h"

namespace quxiang::ems_simulator {
namespace {

constexpr char kSchool[] = "4111010001";
// A resident ID number with a correct check digit.
constexpr char kIdNumber[] = "110105200301010018";

class EmsSimulatorHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string folder = quxiang::testing::MakeTempDir("qx-ems-http");
    simulator_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/tools/ems-simulator/ems-simulator",
        std::vector<std::string>{"--grpc_port=0", "--port_file=" + folder + "/simulator.port",
                                 "--drain_delay_ms=0"},
        std::map<std::string, std::string>{}, folder + "/ems-simulator.log");
    int grpc_port = quxiang::testing::WaitForPortFile(folder + "/simulator.port", absl::Seconds(30), simulator_.get());
    ASSERT_GT(grpc_port, 0) << simulator_->Log();

    gateway_ = std::make_unique<quxiang::testing::ChildProcess>(
        quxiang::testing::BuildDir() + "/services/gateway/gateway",
        std::vector<std::string>{
            "--http_port=0", "--port_file=" + folder + "/gateway.port",
            absl::StrCat("--backends=quxiang.ems.v1.EmsSimulatorControl=127.0.0.1:", grpc_port)},
        std::map<std::string, std::string>{}, folder + "/gateway.log");
    int http_port = quxiang::testing::WaitForPortFile(folder + "/gateway.port", absl::Seconds(30), gateway_.get());
    ASSERT_GT(http_port, 0) << gateway_->Log();
    http_ = std::make_unique<quxiang::testing::HttpClient>(http_port);
  }

  void TearDown() override {
    for (auto* process : {gateway_.get(), simulator_.get()}) {
      if (process == nullptr) continue;
      process->Signal(SIGTERM);
      process->WaitExit(absl::Seconds(15));
    }
  }

  std::unique_ptr<quxiang::testing::ChildProcess> simulator_;
  std::unique_ptr<quxiang::testing::ChildProcess> gateway_;
  std::unique_ptr<quxiang::testing::HttpClient> http_;
};

TEST_F(EmsSimulatorHttpTest, ControlRoutesWork) {
  quxiang::testing::HttpResponse stored = http_->Post(
      "/v1/ems-simulator/graduates:upsert",
      absl::StrCat(R"({"schoolCode":")", kSchool, R"(","classYear":2025,"graduates":[{"idNumber":")", kIdNumber,
                   R"(","name":"张三","genderCode":"1","ethnicityCode":"01","politicalStatusCode":"03",)",
                   R"("educationLevelCode":"31","majorCode":"080901","majorName":"计算机科学与技术",)",
                   R"("trainingModeCode":"1","department":"计算机学院","studentNumber":"2021001",)",
                   R"("graduationDate":"2025-06-30"}]})"));
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(stored.Number("inserted"), 1) << stored.body;

  // The same graduate as a roster file, base64 in JSON: unchanged, so no change is appended.
  std::string csv = absl::StrCat(
      "身份证号,姓名,性别代码,民族代码,政治面貌代码,院校代码,学历代码,专业代码,专业,培养方式代码,所在院系,学号,毕业时间\n",
      kIdNumber, ",张三,1,01,03,", kSchool, ",31,080901,计算机科学与技术,1,计算机学院,2021001,2025-06-30\n");
  quxiang::testing::HttpResponse uploaded = http_->Post(
      "/v1/ems-simulator/rosters:upload",
      absl::StrCat(R"({"schoolCode":")", kSchool, R"(","classYear":2025,"fileName":"roster.csv","content":")",
                   absl::Base64Escape(csv), R"("})"));
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(uploaded.Number("rowsRead"), 1) << uploaded.body;
  EXPECT_EQ(uploaded.Number("unchanged"), 1) << uploaded.body;

  quxiang::testing::HttpResponse faults =
      http_->Post("/v1/ems-simulator/faults", R"({"failureRatio":0.5,"duplicateDelivery":true})");
  ASSERT_EQ(faults.status, 200) << faults.body;
  EXPECT_EQ(faults.Number("failureRatio"), 0.5);

  quxiang::testing::HttpResponse removed =
      http_->Post(absl::StrCat("/v1/ems-simulator/schools/", kSchool, "/graduates/", kIdNumber, ":remove"), "");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.String("type"), "ROSTER_CHANGE_TYPE_REMOVE");

  quxiang::testing::HttpResponse readded =
      http_->Post(absl::StrCat("/v1/ems-simulator/schools/", kSchool, "/graduates/", kIdNumber, ":readd"), "");
  ASSERT_EQ(readded.status, 200) << readded.body;
  EXPECT_EQ(readded.String("type"), "ROSTER_CHANGE_TYPE_UPSERT");

  quxiang::testing::HttpResponse stats = http_->Get("/v1/ems-simulator/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;

  quxiang::testing::HttpResponse reset = http_->Post("/v1/ems-simulator:reset", "");
  ASSERT_EQ(reset.status, 200) << reset.body;
  quxiang::testing::HttpResponse gone =
      http_->Post(absl::StrCat("/v1/ems-simulator/schools/", kSchool, "/graduates/", kIdNumber, ":remove"), "");
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(gone.String("reason"), "GRADUATE_NOT_IN_ROSTER");
}

TEST_F(EmsSimulatorHttpTest, BadFaultsGet400) {
  quxiang::testing::HttpResponse response = http_->Post("/v1/ems-simulator/faults", R"({"failureRatio":2})");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(response.String("reason"), "INVALID_FAULT_RATIO");
  EXPECT_FALSE(response.String("message").empty());
}

}  // namespace
}  // namespace quxiang::ems_simulator

// Unit tests of the eligibility rules: the class deadline in Beijing time, invalidated
// graduates and the training-mode rule, table-driven.
#include "services/sync/eligibility.h"

#include "gtest/gtest.h"
#include "libs/status/error.h"

namespace quxiang::sync {
namespace {

absl::Time Beijing(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), BeijingTimeZone());
}

GraduateRow Graduate(int class_year, const std::string& training_mode_code, int state = kStateActive) {
  GraduateRow row;
  row.id = 42;
  row.class_year = class_year;
  row.state = state;
  row.record.set_training_mode_code(training_mode_code);
  return row;
}

TEST(ClassClosesAt, IsFebruaryFirstInBeijing) {
  EXPECT_EQ(ClassClosesAt(2022), Beijing(2023, 2, 1, 0, 0, 0));
  // 16:00 UTC on January 31 is midnight in Beijing.
  EXPECT_EQ(ClassClosesAt(2022), absl::FromCivil(absl::CivilSecond(2023, 1, 31, 16, 0, 0), absl::UTCTimeZone()));
}

TEST(CheckEligibility, ClassRuleAtTheBoundary) {
  GraduateRow graduate = Graduate(2022, "1");

  absl::Status last_second = CheckEligibility(graduate, v1::FLOW_ONLINE_SIGNING, Beijing(2023, 1, 31, 23, 59, 59));
  EXPECT_TRUE(last_second.ok()) << last_second;

  absl::Status closed = CheckEligibility(graduate, v1::FLOW_ONLINE_SIGNING, Beijing(2023, 2, 1, 0, 0, 0));
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(closed), "CLASS_CLOSED");
  EXPECT_NE(std::string(closed.message()).find("2022届"), std::string::npos) << closed.message();

  // Before its graduation year a class may act too.
  EXPECT_TRUE(CheckEligibility(graduate, v1::FLOW_ONLINE_SIGNING, Beijing(2021, 9, 1, 8, 0, 0)).ok());
}

TEST(CheckEligibility, InvalidatedGraduateMayNotAct) {
  GraduateRow graduate = Graduate(2025, "1", kStateInvalidated);
  for (v1::Flow flow : {v1::FLOW_ONLINE_SIGNING, v1::FLOW_DESTINATION_REGISTRATION,
                        v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT}) {
    absl::Status status = CheckEligibility(graduate, flow, Beijing(2025, 5, 1, 9, 0, 0));
    EXPECT_EQ(ErrorReason(status), "GRADUATE_INVALIDATED") << v1::Flow_Name(flow);
  }
}

TEST(CheckEligibility, TrainingModeRule) {
  struct Case {
    std::string mode;
    v1::Flow flow;
    std::string reason;  // empty when eligible
  };
  const Case cases[] = {
      {"1", v1::FLOW_ONLINE_SIGNING, ""},
      {"1", v1::FLOW_PAPER_AGREEMENT, ""},
      {"1", v1::FLOW_DESTINATION_REGISTRATION, ""},
      {"1", v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT, "NOT_DIRECTED_TRAINING"},
      {"21", v1::FLOW_ONLINE_SIGNING, "TRAINING_MODE_DIRECTED_ONLY"},
      {"21", v1::FLOW_OFFLINE_AGREEMENT, "TRAINING_MODE_DIRECTED_ONLY"},
      {"21", v1::FLOW_PAPER_AGREEMENT, "TRAINING_MODE_DIRECTED_ONLY"},
      {"21", v1::FLOW_DESTINATION_REGISTRATION, "TRAINING_MODE_DIRECTED_ONLY"},
      {"21", v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT, ""},
      {"41", v1::FLOW_ONLINE_SIGNING, "TRAINING_MODE_DIRECTED_ONLY"},
      {"41", v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT, ""},
      {"22", v1::FLOW_ONLINE_SIGNING, ""},
      {"22", v1::FLOW_DIRECTED_TRAINING_SUPPLEMENT, ""},
      {"42", v1::FLOW_OFFLINE_AGREEMENT, ""},
      {"99", v1::FLOW_ONLINE_SIGNING, "TRAINING_MODE_UNKNOWN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode + " " + v1::Flow_Name(c.flow));
    absl::Status status = CheckEligibility(Graduate(2025, c.mode), c.flow, Beijing(2025, 5, 1, 9, 0, 0));
    if (c.reason.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(ErrorReason(status), c.reason);
    }
  }
}

TEST(CheckEligibility, UnknownFlowIsInvalid) {
  absl::Status status = CheckEligibility(Graduate(2025, "1"), v1::FLOW_UNSPECIFIED, Beijing(2025, 5, 1, 9, 0, 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  status = CheckEligibility(Graduate(2025, "1"), static_cast<v1::Flow>(99), Beijing(2025, 5, 1, 9, 0, 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quxiang::sync

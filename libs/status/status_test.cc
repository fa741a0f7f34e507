#include <tuple>

#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "libs/status/status_macros.h"

namespace quxiang {
namespace {

absl::StatusOr<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgument("ODD_VALUE", "数值必须是偶数。", {{"value", "3"}});
  return value / 2;
}

absl::StatusOr<int> Quarter(int value) {
  ASSIGN_OR_RETURN(int half, Half(value));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int value) {
  RETURN_IF_ERROR(Half(value).status());
  return absl::OkStatus();
}

TEST(StatusMacros, AssignOrReturnPassesValue) {
  auto result = Quarter(8);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 2);
}

TEST(StatusMacros, AssignOrReturnStopsAtError) {
  auto result = Quarter(6);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(result.status()), "ODD_VALUE");
}

TEST(StatusMacros, ReturnIfErrorReturnsError) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), absl::StatusCode::kInvalidArgument);
}

TEST(GrpcStatus, CarriesErrorInfoAndLocalizedMessage) {
  absl::Status error = InvalidArgument("DEPARTMENT_NOT_IN_SCHOOL", "院系“文学院 ”不在本校院系名单中。",
                                       {{"department_name", "文学院 "}});
  grpc::Status converted = ToGrpcStatus(error);
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(converted.error_message(), "院系“文学院 ”不在本校院系名单中。");

  absl::Status back = FromGrpcStatus(converted);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(back), "DEPARTMENT_NOT_IN_SCHOOL");
  EXPECT_EQ(ErrorZhMessage(back).value_or(""), "院系“文学院 ”不在本校院系名单中。");
  EXPECT_EQ(ErrorMetadataOf(back).at("department_name"), "文学院 ");
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacter) {
  EXPECT_EQ(ToValidUtf8("文学院 abc"), "文学院 abc");
  EXPECT_EQ(ToValidUtf8("a\xff\xfe" "b"), "a\uFFFD\uFFFD" "b");
  // Truncated sequence, overlong form, surrogate and a code point above U+10FFFF.
  EXPECT_EQ(ToValidUtf8("\xe6\x96"), "\uFFFD\uFFFD");
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), "\uFFFD\uFFFD");
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(ToValidUtf8("\xf4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(ToValidUtf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

TEST(GrpcStatus, InvalidUtf8InMetadataKeepsTheError) {
  absl::Status error = InvalidArgument("NOTE_REJECTED", "备注“\xff\xfe”无法保存。",
                                       {{"note", "x\xff\xfey"}});
  grpc::Status converted = ToGrpcStatus(error);
  absl::Status back = FromGrpcStatus(converted);
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(back), "NOTE_REJECTED");
  EXPECT_EQ(ErrorZhMessage(back).value_or(""), "备注“\uFFFD\uFFFD”无法保存。");
  EXPECT_EQ(ErrorMetadataOf(back).at("note"), "x\uFFFD\uFFFDy");
  EXPECT_EQ(ErrorMetadataOf(error).at("note"), "x\uFFFD\uFFFDy");
}

TEST(GrpcStatus, PlainStatusGetsDefaults) {
  grpc::Status converted = ToGrpcStatus(absl::NotFoundError("row 17 missing"));
  absl::Status back = FromGrpcStatus(converted);
  EXPECT_EQ(ErrorReason(back), "NOT_FOUND");
  EXPECT_EQ(ErrorZhMessage(back).value_or(""), "记录不存在或无权查看。");
  // The English detail of a plain status never reaches the caller.
  EXPECT_EQ(converted.error_message().find("row 17"), std::string::npos);
}

TEST(GrpcStatus, InternalHidesDetail) {
  grpc::Status converted = ToGrpcStatus(Internal("DB_FAILED", "table users is corrupt"));
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(converted.error_message().find("corrupt"), std::string::npos);
  EXPECT_EQ(converted.error_details().find("corrupt"), std::string::npos);
}

TEST(HttpMapping, EveryGrpcCode) {
  const std::tuple<grpc::StatusCode, int> kCases[] = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 499},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 400},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const auto& [code, http] : kCases) {
    SCOPED_TRACE(static_cast<int>(code));
    EXPECT_EQ(HttpStatusForGrpcCode(code), http);
  }
}

}  // namespace
}  // namespace quxiang

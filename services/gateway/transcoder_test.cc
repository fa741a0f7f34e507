#include <memory>
#include <string>

#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "quxiang/testing/v1/echo.pb.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"

namespace quxiang::gateway {
namespace {

using quxiang::testing::v1::EchoRequest;
using quxiang::testing::v1::EchoResponse;
using quxiang::testing::v1::GetItemRequest;
using quxiang::testing::v1::UpdateItemRequest;

class TranscoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "quxiang.testing.v1.EchoService");
    ASSERT_NE(service, nullptr);
    ASSERT_TRUE(table_.AddService(*service).ok());
  }

  // Transcodes and returns the message, or nullptr with the error's reason in `reason`.
  template <typename T>
  std::unique_ptr<T> Build(const std::string& method, const std::string& target,
                           const std::string& body, std::string* reason = nullptr) {
    size_t mark = target.find('?');
    std::string path = target.substr(0, mark);
    std::string query = mark == std::string::npos ? "" : target.substr(mark + 1);
    RouteMatch match = table_.Match(method, path);
    EXPECT_EQ(match.outcome, RouteMatch::Outcome::kMatched) << target;
    if (match.route == nullptr) return nullptr;

    HttpError error;
    std::unique_ptr<google::protobuf::Message> message =
        BuildRequestMessage(*match.route, match.bindings, query, body, &error);
    if (message == nullptr) {
      if (reason != nullptr) *reason = ErrorReason(error.status);
      return nullptr;
    }
    auto typed = std::make_unique<T>();
    typed->CopyFrom(*message);
    return typed;
  }

  RouteTable table_;
};

TEST_F(TranscoderTest, QueryParametersFillRemainingFields) {
  auto request = Build<GetItemRequest>(
      "GET", "/v1/shelves/s1/items/i1?page_size=20&tags=a&tags=b%20c&tags=d+e&color=COLOR_RED",
      "");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->shelf_id(), "s1");
  EXPECT_EQ(request->item_id(), "i1");
  EXPECT_EQ(request->page_size(), 20);
  ASSERT_EQ(request->tags_size(), 3);
  EXPECT_EQ(request->tags(0), "a");
  EXPECT_EQ(request->tags(1), "b c");
  EXPECT_EQ(request->tags(2), "d e");
  EXPECT_EQ(request->color(), quxiang::testing::v1::COLOR_RED);
}

TEST_F(TranscoderTest, QueryAcceptsCamelCaseAndEnumNumber) {
  auto request = Build<GetItemRequest>("GET", "/v1/shelves/s/items/i?pageSize=7&color=2", "");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->page_size(), 7);
  EXPECT_EQ(request->color(), quxiang::testing::v1::COLOR_GREEN);
}

TEST_F(TranscoderTest, RejectsBadQueryParameters) {
  struct Case {
    const char* target;
    const char* reason;
  };
  const Case kCases[] = {
      {"/v1/shelves/s/items/i?nope=1", "UNKNOWN_QUERY_PARAMETER"},
      {"/v1/shelves/s/items/i?shelf_id=other", "UNKNOWN_QUERY_PARAMETER"},
      {"/v1/shelves/s/items/i?page_size=many", "INVALID_PARAMETER_VALUE"},
      {"/v1/shelves/s/items/i?page_size=99999999999", "INVALID_PARAMETER_VALUE"},
      {"/v1/shelves/s/items/i?color=PURPLE", "INVALID_PARAMETER_VALUE"},
      {"/v1/shelves/s/items/i?tags=%zz", "INVALID_PARAMETER_VALUE"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.target);
    std::string reason;
    EXPECT_EQ(Build<GetItemRequest>("GET", c.target, "", &reason), nullptr);
    EXPECT_EQ(reason, c.reason);
  }
}

TEST_F(TranscoderTest, BodyFieldWithNestedPathVariable) {
  auto request = Build<UpdateItemRequest>("PATCH", "/v1/shelves/s1/items/it9?shelf_id=x",
                                          R"({"title":"新标题"})");
  // shelf_id is bound by the path, so the query may not set it again.
  EXPECT_EQ(request, nullptr);

  request = Build<UpdateItemRequest>("PATCH", "/v1/shelves/s1/items/it9",
                                     R"({"id":"ignored","title":"新标题"})");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->shelf_id(), "s1");
  // The path variable item.id is set after the body and wins.
  EXPECT_EQ(request->item().id(), "it9");
  EXPECT_EQ(request->item().title(), "新标题");
}

TEST_F(TranscoderTest, QueryMayNotReachIntoBodyField) {
  std::string reason;
  EXPECT_EQ(Build<UpdateItemRequest>("PATCH", "/v1/shelves/s1/items/it9?item.title=x", "{}",
                                     &reason),
            nullptr);
  EXPECT_EQ(reason, "UNKNOWN_QUERY_PARAMETER");
}

TEST_F(TranscoderTest, WholeBodyAndStrictJson) {
  auto request = Build<EchoRequest>(
      "POST", "/v1/echo", R"({"message":"你好","big_number":"9007199254740993","tags":["x"]})");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->message(), "你好");
  EXPECT_EQ(request->big_number(), 9007199254740993);

  std::string reason;
  EXPECT_EQ(Build<EchoRequest>("POST", "/v1/echo", R"({"mesage":"typo"})", &reason), nullptr);
  EXPECT_EQ(reason, "INVALID_JSON");
  EXPECT_EQ(Build<EchoRequest>("POST", "/v1/echo", R"({"color":"PURPLE"})", &reason), nullptr);
  EXPECT_EQ(reason, "INVALID_JSON");
  EXPECT_EQ(Build<EchoRequest>("POST", "/v1/echo", "{not json", &reason), nullptr);
  EXPECT_EQ(reason, "INVALID_JSON");
  EXPECT_EQ(Build<EchoRequest>("POST", "/v1/echo", "{\"message\":\"\xff\xfe\"}", &reason), nullptr);
  EXPECT_EQ(reason, "INVALID_UTF8");
  // With body "*" every field is in the body, so no query parameter is accepted.
  EXPECT_EQ(Build<EchoRequest>("POST", "/v1/echo?message=x", "{}", &reason), nullptr);
  EXPECT_EQ(reason, "UNKNOWN_QUERY_PARAMETER");
}

TEST_F(TranscoderTest, NestedQueryParameters) {
  // A rule without a body leaves the message field item to the query string.
  google::api::HttpRule rule;
  rule.set_get("/v9/shelves/{shelf_id}");
  const auto* method = quxiang::testing::v1::EchoRequest::descriptor()->file()->service(0)
                           ->FindMethodByName("UpdateItem");
  ASSERT_TRUE(table_.AddRule(*method, rule).ok());

  auto request = Build<UpdateItemRequest>("GET", "/v9/shelves/s1?item.id=i7&item.title=%E6%A0%87", "");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->shelf_id(), "s1");
  EXPECT_EQ(request->item().id(), "i7");
  EXPECT_EQ(request->item().title(), "标");

  std::string reason;
  // A message field itself is not a query parameter.
  EXPECT_EQ(Build<UpdateItemRequest>("GET", "/v9/shelves/s1?item=x", "", &reason), nullptr);
  EXPECT_EQ(reason, "UNKNOWN_QUERY_PARAMETER");
}

TEST_F(TranscoderTest, EmptyBodyIsEmptyMessage) {
  auto request = Build<EchoRequest>("POST", "/v1/echo", "");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->ByteSizeLong(), 0u);
}

TEST_F(TranscoderTest, GetRejectsBody) {
  std::string reason;
  EXPECT_EQ(Build<GetItemRequest>("GET", "/v1/shelves/s/items/i", "{}", &reason), nullptr);
  EXPECT_EQ(reason, "BODY_NOT_ALLOWED");
}

TEST(RenderResponseJson, DefaultsInt64AndEnumNames) {
  EchoResponse response;
  response.set_big_number(9007199254740993);
  response.set_color(quxiang::testing::v1::COLOR_GREEN);
  auto json = RenderResponseJson(response);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find(R"("bigNumber":"9007199254740993")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("color":"COLOR_GREEN")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("message":"")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("pageSize":0)"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("tags":[])"), std::string::npos) << *json;
}

TEST(ParseQueryString, DecodesPairs) {
  auto pairs = ParseQueryString("a=1&b=x%20y&c&&d=p+q");
  ASSERT_TRUE(pairs.has_value());
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[1].second, "x y");
  EXPECT_EQ((*pairs)[2].first, "c");
  EXPECT_EQ((*pairs)[2].second, "");
  EXPECT_EQ((*pairs)[3].second, "p q");
}

}  // namespace
}  // namespace quxiang::gateway

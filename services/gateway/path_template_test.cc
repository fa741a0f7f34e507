#include <string>
#include <vector>

#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "quxiang/testing/v1/echo.pb.h"
#include "services/gateway/path_template.h"
#include "services/gateway/route_table.h"

namespace quxiang::gateway {
namespace {

using Outcome = RouteMatch::Outcome;

PathTemplate ParseOrDie(const std::string& text) {
  auto parsed = PathTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : PathTemplate();
}

TEST(PathTemplate, LiteralOnly) {
  PathTemplate path = ParseOrDie("/v1/echo");
  EXPECT_TRUE(path.Match("/v1/echo").has_value());
  EXPECT_FALSE(path.Match("/v1/echo/").has_value());
  EXPECT_FALSE(path.Match("/v1/echoes").has_value());
  EXPECT_FALSE(path.Match("/v1/echo:fail").has_value());
  EXPECT_EQ(path.literal_count(), 2);
}

TEST(PathTemplate, SingleSegmentVariables) {
  PathTemplate path = ParseOrDie("/v1/shelves/{shelf_id}/items/{item_id}");
  auto bindings = path.Match("/v1/shelves/s%201/items/i%2F2");
  ASSERT_TRUE(bindings.has_value());
  ASSERT_EQ(bindings->size(), 2u);
  EXPECT_EQ((*bindings)[0].field_path, std::vector<std::string>{"shelf_id"});
  EXPECT_EQ((*bindings)[0].value, "s 1");
  EXPECT_EQ((*bindings)[1].value, "i/2");
  EXPECT_FALSE(path.Match("/v1/shelves/s1/items").has_value());
  EXPECT_FALSE(path.Match("/v1/shelves//items/x").has_value());
  EXPECT_FALSE(path.Match("/v1/shelves/s1/items/a/b").has_value());
}

TEST(PathTemplate, NestedFieldPath) {
  PathTemplate path = ParseOrDie("/v1/shelves/{shelf_id}/items/{item.id}");
  auto bindings = path.Match("/v1/shelves/s1/items/it9");
  ASSERT_TRUE(bindings.has_value());
  EXPECT_EQ((*bindings)[1].field_path, (std::vector<std::string>{"item", "id"}));
  EXPECT_EQ((*bindings)[1].value, "it9");
}

TEST(PathTemplate, ExplicitSingleWildcard) {
  PathTemplate path = ParseOrDie("/v1/{name=shelves/*}/books");
  auto bindings = path.Match("/v1/shelves/s1/books");
  ASSERT_TRUE(bindings.has_value());
  EXPECT_EQ((*bindings)[0].value, "shelves/s1");
  EXPECT_FALSE(path.Match("/v1/shelves/s1/s2/books").has_value());
}

TEST(PathTemplate, MultiSegmentWildcard) {
  PathTemplate path = ParseOrDie("/v1/files/{path=**}");
  auto bindings = path.Match("/v1/files/a/b%2Fc/d.txt");
  ASSERT_TRUE(bindings.has_value());
  // A multi-segment variable keeps an encoded slash encoded, as google.api.http specifies.
  EXPECT_EQ((*bindings)[0].value, "a/b%2Fc/d.txt");
  EXPECT_TRUE(path.ends_with_multi_segment_wildcard());
  EXPECT_TRUE(path.Match("/v1/files").has_value());
}

TEST(PathTemplate, VerbSuffix) {
  PathTemplate path = ParseOrDie("/v1/provinces/{province_code}:configure");
  EXPECT_EQ(path.verb(), "configure");
  auto bindings = path.Match("/v1/provinces/11:configure");
  ASSERT_TRUE(bindings.has_value());
  EXPECT_EQ((*bindings)[0].value, "11");
  EXPECT_FALSE(path.Match("/v1/provinces/11").has_value());
  EXPECT_FALSE(path.Match("/v1/provinces/11:other").has_value());
}

TEST(PathTemplate, VerbOnLiteralPath) {
  PathTemplate path = ParseOrDie("/v1/sessions:login");
  EXPECT_TRUE(path.Match("/v1/sessions:login").has_value());
  EXPECT_FALSE(path.Match("/v1/sessions").has_value());
}

TEST(PathTemplate, RejectsMalformedTemplates) {
  for (const char* text : {"v1/echo", "/v1/{id", "/v1/{}", "/v1/{a={b}}", "/v1/**/x", "/v1/echo:",
                           "/v1//x", "/v1/{a.}"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(PathTemplate::Parse(text).ok());
  }
}

TEST(PercentDecode, RejectsBadEscape) {
  EXPECT_EQ(PercentDecode("a%41b").value_or("?"), "aAb");
  EXPECT_FALSE(PercentDecode("a%4").has_value());
  EXPECT_FALSE(PercentDecode("a%zz").has_value());
  EXPECT_EQ(PercentDecode("a%2fb", /*keep_encoded_slash=*/true).value_or("?"), "a%2fb");
}

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "quxiang.testing.v1.EchoService");
    ASSERT_NE(service, nullptr);
    ASSERT_TRUE(table_.AddService(*service).ok());
  }

  const google::protobuf::MethodDescriptor& Method(const std::string& name) {
    return *quxiang::testing::v1::EchoRequest::descriptor()->file()->service(0)->FindMethodByName(
        name);
  }

  RouteTable table_;
};

TEST_F(RouteTableTest, MatchesEveryEchoRoute) {
  struct Case {
    const char* method;
    const char* path;
    const char* grpc_method;
  };
  const Case kCases[] = {
      {"POST", "/v1/echo", "/quxiang.testing.v1.EchoService/Echo"},
      {"POST", "/v1/echo:fail", "/quxiang.testing.v1.EchoService/Fail"},
      {"GET", "/v1/shelves/s/items/i", "/quxiang.testing.v1.EchoService/GetItem"},
      {"PATCH", "/v1/shelves/s/items/i", "/quxiang.testing.v1.EchoService/UpdateItem"},
      {"POST", "/v1/folders/f/files:upload", "/quxiang.testing.v1.EchoService/UploadFile"},
      {"GET", "/v1/files/f", "/quxiang.testing.v1.EchoService/DownloadFile"},
      {"GET", "/v1/files/f:stream", "/quxiang.testing.v1.EchoService/StreamFile"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.path);
    RouteMatch match = table_.Match(c.method, c.path);
    ASSERT_EQ(match.outcome, Outcome::kMatched);
    EXPECT_EQ(match.route->grpc_method, c.grpc_method);
  }
}

TEST_F(RouteTableTest, UnknownPathIsNotFound) {
  EXPECT_EQ(table_.Match("GET", "/v1/nothing").outcome, Outcome::kNotFound);
}

TEST_F(RouteTableTest, OtherMethodIsNotAllowed) {
  RouteMatch match = table_.Match("DELETE", "/v1/shelves/s/items/i");
  EXPECT_EQ(match.outcome, Outcome::kMethodNotAllowed);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"GET", "PATCH"}));
}

TEST_F(RouteTableTest, AdditionalBindingsAndCustomMethod) {
  google::api::HttpRule rule;
  rule.set_get("/v2/shelves/{shelf_id}/items/{item_id}");
  google::api::HttpRule* extra = rule.add_additional_bindings();
  extra->mutable_custom()->set_kind("HEAD");
  extra->mutable_custom()->set_path("/v2/items/{item_id}");
  ASSERT_TRUE(table_.AddRule(Method("GetItem"), rule).ok());

  EXPECT_EQ(table_.Match("GET", "/v2/shelves/a/items/b").outcome, Outcome::kMatched);
  RouteMatch custom = table_.Match("HEAD", "/v2/items/b");
  ASSERT_EQ(custom.outcome, Outcome::kMatched);
  EXPECT_EQ(custom.route->grpc_method, "/quxiang.testing.v1.EchoService/GetItem");
}

TEST_F(RouteTableTest, PrefersMoreSpecificTemplate) {
  google::api::HttpRule wildcard;
  wildcard.set_post("/v1/{message}");
  wildcard.set_body("*");
  ASSERT_TRUE(table_.AddRule(Method("Echo"), wildcard).ok());
  google::api::HttpRule fail_wildcard;
  fail_wildcard.set_post("/v1/{reason}:fail");
  fail_wildcard.set_body("*");
  ASSERT_TRUE(table_.AddRule(Method("Fail"), fail_wildcard).ok());

  // "/v1/echo" has two literals, "/v1/{message}" one.
  RouteMatch literal = table_.Match("POST", "/v1/echo");
  ASSERT_EQ(literal.outcome, Outcome::kMatched);
  EXPECT_TRUE(literal.bindings.empty());
  // A template with a verb wins over one that takes "x:fail" as a variable value.
  RouteMatch verb = table_.Match("POST", "/v1/x:fail");
  ASSERT_EQ(verb.outcome, Outcome::kMatched);
  EXPECT_EQ(verb.route->grpc_method, "/quxiang.testing.v1.EchoService/Fail");
}

TEST_F(RouteTableTest, RejectsInvalidRules) {
  struct Case {
    const char* method;
    const char* path;
    const char* body;
  };
  const Case kCases[] = {
      {"GetItem", "/v3/{no_such_field}", ""},
      {"GetItem", "/v3/{tags}", ""},               // repeated
      {"UpdateItem", "/v3/{item}", ""},            // message
      {"UpdateItem", "/v3/x", "no_such_field"},    // unknown body field
      {"GetItem", "/v3/x", "tags"},                // repeated body field
      {"GetItem", "/v3/{shelf_id", ""},            // syntax
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.path);
    google::api::HttpRule rule;
    rule.set_post(c.path);
    rule.set_body(c.body);
    EXPECT_FALSE(table_.AddRule(Method(c.method), rule).ok());
  }
}

TEST_F(RouteTableTest, MarksFileRoutes) {
  RouteMatch upload = table_.Match("POST", "/v1/folders/f/files:upload");
  ASSERT_EQ(upload.outcome, Outcome::kMatched);
  ASSERT_NE(upload.route->upload_field, nullptr);
  EXPECT_EQ(upload.route->upload_field->name(), "file");
  EXPECT_FALSE(upload.route->file_response);

  RouteMatch download = table_.Match("GET", "/v1/files/f");
  ASSERT_EQ(download.outcome, Outcome::kMatched);
  EXPECT_EQ(download.route->upload_field, nullptr);
  EXPECT_TRUE(download.route->file_response);
  EXPECT_FALSE(download.route->server_streaming);

  RouteMatch stream = table_.Match("GET", "/v1/files/f:stream");
  ASSERT_EQ(stream.outcome, Outcome::kMatched);
  EXPECT_TRUE(stream.route->file_response);
  EXPECT_TRUE(stream.route->server_streaming);

  RouteMatch json = table_.Match("PATCH", "/v1/shelves/s/items/i");
  ASSERT_EQ(json.outcome, Outcome::kMatched);
  EXPECT_EQ(json.route->upload_field, nullptr);
  EXPECT_FALSE(json.route->file_response);
}

// A service built at run time, over the generated pool, with streaming methods that no
// checked-in proto may have, because the gateway would not start with them.
class StreamingRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    google::protobuf::FileDescriptorProto file;
    file.set_name("quxiang/testing/v1/streaming_rules.proto");
    file.set_package("quxiang.testing.v1.streaming");
    file.set_syntax("proto3");
    file.add_dependency("quxiang/common/v1/files.proto");
    file.add_dependency("quxiang/testing/v1/echo.proto");
    google::protobuf::ServiceDescriptorProto* service = file.add_service();
    service->set_name("StreamingService");
    AddMethod(*service, "StreamEcho", ".quxiang.testing.v1.EchoRequest",
              ".quxiang.testing.v1.EchoResponse", false, true);
    AddMethod(*service, "UploadChunks", ".quxiang.common.v1.HttpFile",
              ".quxiang.testing.v1.EchoResponse", true, false);
    AddMethod(*service, "StreamFile", ".quxiang.testing.v1.EchoRequest",
              ".quxiang.common.v1.HttpFile", false, true);
    service_ = pool_.BuildFile(file) == nullptr
                   ? nullptr
                   : pool_.FindServiceByName("quxiang.testing.v1.streaming.StreamingService");
    ASSERT_NE(service_, nullptr);
  }

  static void AddMethod(google::protobuf::ServiceDescriptorProto& service, const std::string& name,
                        const std::string& input, const std::string& output,
                        bool client_streaming, bool server_streaming) {
    google::protobuf::MethodDescriptorProto* method = service.add_method();
    method->set_name(name);
    method->set_input_type(input);
    method->set_output_type(output);
    method->set_client_streaming(client_streaming);
    method->set_server_streaming(server_streaming);
  }

  static google::api::HttpRule PostRule(const std::string& path) {
    google::api::HttpRule rule;
    rule.set_post(path);
    rule.set_body("*");
    return rule;
  }

  google::protobuf::DescriptorPool pool_{google::protobuf::DescriptorPool::generated_pool()};
  const google::protobuf::ServiceDescriptor* service_ = nullptr;
  RouteTable table_;
};

TEST_F(StreamingRuleTest, RejectsStreamOfOtherMessage) {
  absl::Status status =
      table_.AddRule(*service_->FindMethodByName("StreamEcho"), PostRule("/v1/stream-echo"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("quxiang.common.v1.HttpFile"), absl::string_view::npos)
      << status.message();
}

TEST_F(StreamingRuleTest, RejectsClientStream) {
  absl::Status status =
      table_.AddRule(*service_->FindMethodByName("UploadChunks"), PostRule("/v1/chunks"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StreamingRuleTest, AcceptsStreamOfHttpFile) {
  ASSERT_TRUE(
      table_.AddRule(*service_->FindMethodByName("StreamFile"), PostRule("/v1/file-stream")).ok());
  RouteMatch match = table_.Match("POST", "/v1/file-stream");
  ASSERT_EQ(match.outcome, Outcome::kMatched);
  EXPECT_TRUE(match.route->server_streaming);
  EXPECT_TRUE(match.route->file_response);
}

TEST(ResolveFieldPath, AcceptsProtoAndCamelCaseNames) {
  const auto& descriptor = *quxiang::testing::v1::GetItemRequest::descriptor();
  EXPECT_EQ(ResolveFieldPath(descriptor, {"page_size"}).size(), 1u);
  EXPECT_EQ(ResolveFieldPath(descriptor, {"pageSize"}).size(), 1u);
  EXPECT_TRUE(ResolveFieldPath(descriptor, {"page_size", "x"}).empty());
  const auto& update = *quxiang::testing::v1::UpdateItemRequest::descriptor();
  EXPECT_EQ(ResolveFieldPath(update, {"item", "title"}).size(), 2u);
}

}  // namespace
}  // namespace quxiang::gateway

// The real gateway over HTTP, in front of a real in-process EchoService and a test double of
// AccountsService, both on gRPC servers bound to 127.0.0.1 port 0.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "quxiang/accounts/v1/accounts.grpc.pb.h"
#include "services/gateway/gateway.h"
#include "services/gateway/testing/echo_service.h"
#include "services/gateway/testing/http_test_client.h"

extern char** environ;

namespace quxiang::gateway {
namespace {

namespace fs = std::filesystem;
namespace accounts = quxiang::accounts::v1;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kLoginUsername[] = "admin";
constexpr char kLoginPassword[] = "Correct-horse-9";
constexpr char kSlowUsername[] = "slow";
constexpr std::chrono::milliseconds kSlowLoginDelay{400};

// A stand-in for AccountsService with fixed tokens. Login with kLoginUsername/kLoginPassword
// opens "session-login", and login as kSlowUsername fails after kSlowLoginDelay, for deadline
// and shutdown tests. RefreshIdentityToken accepts any session token that is not revoked and
// does not start with "revoked", returning "identity-for-<session>" and "csrf-for-<session>";
// Logout revokes the session of the caller's identity token.
class FakeAccountsService final : public accounts::AccountsService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const accounts::LoginRequest* request,
                                  accounts::LoginResponse* response) override {
    if (request->username() == kSlowUsername) {
      ++slow_logins_started;
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      std::lock_guard<std::mutex> lock(mutex_);
      delayed_.emplace_back([reactor] {
        std::this_thread::sleep_for(kSlowLoginDelay);
        reactor->Finish(ToGrpcStatus(Unauthenticated("LOGIN_FAILED", "用户名或密码错误。")));
      });
      return reactor;
    }
    if (request->username() != kLoginUsername || request->password() != kLoginPassword) {
      return Finish(context, ToGrpcStatus(Unauthenticated(
                                 "LOGIN_FAILED", "用户名或密码错误，请重新输入。")));
    }
    response->set_session_token("session-login");
    response->set_csrf_token("csrf-login");
    response->set_identity_token("identity-login");
    response->mutable_identity_token_expires_at()->set_seconds(FutureSeconds());
    response->mutable_session_expires_at()->set_seconds(FutureSeconds());
    response->mutable_user()->set_username(kLoginUsername);
    response->mutable_user()->set_display_name("管理员");
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RefreshIdentityToken(
      grpc::CallbackServerContext* context, const accounts::RefreshIdentityTokenRequest* request,
      accounts::RefreshIdentityTokenResponse* response) override {
    ++refresh_calls;
    const std::string& session = request->session_token();
    if (absl::StartsWith(session, "revoked") || IsRevoked(session)) {
      return Finish(context, ToGrpcStatus(Unauthenticated("SESSION_EXPIRED",
                                                          "登录已过期，请重新登录。")));
    }
    response->set_identity_token(absl::StrCat("identity-for-", session));
    response->set_csrf_token(absl::StrCat("csrf-for-", session));
    response->mutable_identity_token_expires_at()->set_seconds(FutureSeconds());
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* context,
                                   const accounts::LogoutRequest* request,
                                   accounts::LogoutResponse* response) override {
    auto authorization = context->client_metadata().find("authorization");
    std::string bearer = authorization == context->client_metadata().end()
                             ? ""
                             : std::string(authorization->second.data(),
                                           authorization->second.size());
    std::string prefix = "Bearer identity-for-";
    if (!absl::StartsWith(bearer, prefix)) {
      return Finish(context, ToGrpcStatus(Unauthenticated("IDENTITY_MISSING", "请先登录。")));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    revoked_.insert(bearer.substr(prefix.size()));
    return Finish(context, grpc::Status::OK);
  }

  ~FakeAccountsService() override {
    for (std::thread& thread : delayed_) thread.join();
  }

  std::atomic<int> refresh_calls{0};
  std::atomic<int> slow_logins_started{0};

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                          const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  static int64_t FutureSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           600;
  }

  bool IsRevoked(const std::string& session) {
    std::lock_guard<std::mutex> lock(mutex_);
    return revoked_.count(session) > 0;
  }

  std::mutex mutex_;
  std::set<std::string> revoked_;
  std::vector<std::thread> delayed_;
};

google::protobuf::Struct ParseJson(const std::string& body) {
  google::protobuf::Struct json;
  auto status = google::protobuf::util::JsonStringToMessage(body, &json);
  EXPECT_TRUE(status.ok()) << "not JSON: " << body;
  return json;
}

// The string at a dotted path of a JSON object, or "<missing>".
std::string JsonString(const google::protobuf::Struct& json, const std::string& dotted_path) {
  const google::protobuf::Struct* current = &json;
  std::vector<std::string> names = absl::StrSplit(dotted_path, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = current->fields().find(names[i]);
    if (it == current->fields().end()) return "<missing>";
    if (i + 1 == names.size()) {
      if (it->second.has_number_value()) return absl::StrCat(it->second.number_value());
      return it->second.string_value();
    }
    current = &it->second.struct_value();
  }
  return "<missing>";
}

bool HasField(const google::protobuf::Struct& json, const std::string& name) {
  return json.fields().count(name) > 0;
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

fs::path MakeWebRoot(const std::string& name) {
  fs::path base = fs::temp_directory_path() / absl::StrCat("quxiang-", name, "-", ::getpid());
  fs::remove_all(base);
  WriteFile(base / "dist" / "index.html", "<!doctype html><title>去向</title>");
  WriteFile(base / "dist" / "app.js", "console.log('app');");
  WriteFile(base / "secret.txt", "outside the web root");
  return base;
}

class GatewayTest : public ::testing::Test {
 protected:
  static constexpr size_t kMaxBodyBytes = 4096;
  static constexpr size_t kMaxHeaderBytes = 4096;

  static void SetUpTestSuite() {
    echo_ = new EchoServiceImpl();
    accounts_ = new FakeAccountsService();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port_);
    builder.RegisterService(echo_);
    builder.RegisterService(accounts_);
    grpc_server_ = builder.BuildAndStart().release();
    ASSERT_NE(grpc_server_, nullptr);
    ASSERT_NE(grpc_port_, 0);

    web_base_ = new fs::path(MakeWebRoot("gateway-test"));
    GatewayOptions options;
    options.http.port = 0;
    options.http.max_body_bytes = kMaxBodyBytes;
    options.http.max_header_bytes = kMaxHeaderBytes;
    std::string target = absl::StrCat("127.0.0.1:", grpc_port_);
    options.backends = absl::StrCat("quxiang.accounts.v1.AccountsService=", target,
                                    ",quxiang.testing.v1.EchoService=dns:///", target);
    options.web_root = (*web_base_ / "dist").string();
    auto gateway = Gateway::Start(options);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = gateway->release();
  }

  static void TearDownTestSuite() {
    delete gateway_;
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    delete grpc_server_;
    delete accounts_;
    delete echo_;
    fs::remove_all(*web_base_);
    delete web_base_;
  }

  static ClientResponse Send(const std::string& method, const std::string& target,
                             const std::string& body = "", const Headers& headers = {}) {
    return SendHttp(gateway_->port(), method, target, body, headers);
  }

  static inline EchoServiceImpl* echo_ = nullptr;
  static inline FakeAccountsService* accounts_ = nullptr;
  static inline grpc::Server* grpc_server_ = nullptr;
  static inline int grpc_port_ = 0;
  static inline fs::path* web_base_ = nullptr;
  static inline Gateway* gateway_ = nullptr;
};

TEST_F(GatewayTest, EchoRoundTripsJson) {
  ClientResponse response =
      Send("POST", "/v1/echo",
           R"({"message":"你好","bigNumber":"9007199254740993","color":"COLOR_RED","tags":["a","b"]})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/json; charset=utf-8");
  // 64-bit integers are JSON strings, because JSON parsers hold numbers as doubles.
  EXPECT_NE(response.body.find(R"("bigNumber":"9007199254740993")"), std::string::npos);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "message"), "你好");
  EXPECT_EQ(JsonString(json, "color"), "COLOR_RED");
  EXPECT_EQ(json.fields().at("tags").list_value().values_size(), 2);
  // Fields with default values are printed too.
  EXPECT_EQ(JsonString(json, "padding"), "");
  EXPECT_EQ(JsonString(json, "pageSize"), "0");
}

TEST_F(GatewayTest, PathVariablesAndQueryParameters) {
  ClientResponse response =
      Send("GET", "/v1/shelves/s1/items/i%2F2?pageSize=5&tags=x&tags=y&color=COLOR_GREEN");
  ASSERT_EQ(response.status, 200) << response.body;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "shelfId"), "s1");
  EXPECT_EQ(JsonString(json, "itemId"), "i/2");
  EXPECT_EQ(JsonString(json, "pageSize"), "5");
  EXPECT_EQ(JsonString(json, "color"), "COLOR_GREEN");
  const auto& tags = json.fields().at("tags").list_value();
  ASSERT_EQ(tags.values_size(), 2);
  EXPECT_EQ(tags.values(0).string_value(), "x");
  EXPECT_EQ(tags.values(1).string_value(), "y");
}

TEST_F(GatewayTest, NestedPathVariableWithBodyField) {
  ClientResponse response = Send("PATCH", "/v1/shelves/s1/items/it9", R"({"title":"新标题"})");
  ASSERT_EQ(response.status, 200) << response.body;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "shelfId"), "s1");
  EXPECT_EQ(JsonString(json, "item.id"), "it9");
  EXPECT_EQ(JsonString(json, "item.title"), "新标题");
}

TEST_F(GatewayTest, UnknownJsonFieldIsBadRequest) {
  ClientResponse response = Send("POST", "/v1/echo", R"({"mesage":"typo"})");
  ASSERT_EQ(response.status, 400);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "INVALID_ARGUMENT");
  EXPECT_EQ(JsonString(json, "reason"), "INVALID_JSON");
  EXPECT_TRUE(absl::StrContains(JsonString(json, "message"), "JSON"));
  EXPECT_NE(JsonString(json, "details.parse_error"), "<missing>");
}

TEST_F(GatewayTest, InvalidUtf8BodyRejected) {
  std::string body = absl::StrCat(R"({"message":")", std::string(300, 'a'), "\xff\xfe",
                                   std::string(300, 'b'), R"("})");
  ClientResponse response = Send("POST", "/v1/echo", body);
  ASSERT_EQ(response.status, 400) << response.body;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "INVALID_ARGUMENT");
  EXPECT_EQ(JsonString(json, "reason"), "INVALID_UTF8");
  EXPECT_TRUE(absl::StrContains(JsonString(json, "message"), "UTF-8"));
  EXPECT_EQ(JsonString(json, "details.byte_offset"), "312");
  std::string excerpt = JsonString(json, "details.excerpt");
  EXPECT_TRUE(absl::StrContains(excerpt, "aaa\uFFFD\uFFFDbbb")) << excerpt;
  EXPECT_LE(excerpt.size(), 130u);
}

TEST_F(GatewayTest, UnknownQueryParameterIsBadRequest) {
  ClientResponse response = Send("GET", "/v1/shelves/s1/items/i1?pageSiz=5");
  ASSERT_EQ(response.status, 400);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "reason"), "UNKNOWN_QUERY_PARAMETER");
  EXPECT_EQ(JsonString(json, "details.parameter"), "pageSiz");
}

TEST_F(GatewayTest, UnknownRouteIsNotFound) {
  ClientResponse response = Send("GET", "/v1/nothing/here");
  ASSERT_EQ(response.status, 404);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "NOT_FOUND");
  EXPECT_EQ(JsonString(json, "reason"), "ROUTE_NOT_FOUND");
  EXPECT_EQ(JsonString(json, "request_id"), response.Header("x-request-id"));
}

TEST_F(GatewayTest, OtherMethodIsNotAllowed) {
  ClientResponse response = Send("DELETE", "/v1/shelves/s1/items/i1");
  ASSERT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("allow"), "GET, PATCH");
  EXPECT_EQ(JsonString(ParseJson(response.body), "reason"), "METHOD_NOT_ALLOWED");
}

TEST_F(GatewayTest, FailMapsEveryGrpcCode) {
  struct Case {
    int grpc_code;
    const char* code_name;
    int http_status;
  };
  // The grpc-gateway and Envoy mapping of gRPC codes to HTTP statuses.
  const Case kCases[] = {
      {1, "CANCELLED", 499},          {2, "UNKNOWN", 500},
      {3, "INVALID_ARGUMENT", 400},   {4, "DEADLINE_EXCEEDED", 504},
      {5, "NOT_FOUND", 404},          {6, "ALREADY_EXISTS", 409},
      {7, "PERMISSION_DENIED", 403},  {8, "RESOURCE_EXHAUSTED", 429},
      {9, "FAILED_PRECONDITION", 400}, {10, "ABORTED", 409},
      {11, "OUT_OF_RANGE", 400},      {12, "UNIMPLEMENTED", 501},
      {13, "INTERNAL", 500},          {14, "UNAVAILABLE", 503},
      {15, "DATA_LOSS", 500},         {16, "UNAUTHENTICATED", 401},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.code_name);
    std::string reason = absl::StrCat("TEST_REASON_", c.grpc_code);
    ClientResponse response = Send(
        "POST", "/v1/echo:fail", absl::StrCat(R"({"code":)", c.grpc_code, R"(,"reason":")", reason,
                                              R"("})"));
    EXPECT_EQ(response.status, c.http_status);
    google::protobuf::Struct json = ParseJson(response.body);
    EXPECT_EQ(JsonString(json, "code"), c.code_name);
    EXPECT_EQ(JsonString(json, "reason"), reason);
    EXPECT_EQ(JsonString(json, "message"), absl::StrCat("测试服务按请求返回状态码 ", c.grpc_code, "。"));
    EXPECT_EQ(JsonString(json, "details.code"), std::to_string(c.grpc_code));
    EXPECT_EQ(JsonString(json, "request_id"), response.Header("x-request-id"));
  }

  ClientResponse ok = Send("POST", "/v1/echo:fail", R"({"code":0})");
  EXPECT_EQ(ok.status, 200);
}

TEST_F(GatewayTest, BodyTooLargeIs413) {
  std::string body = absl::StrCat(R"({"message":")", std::string(kMaxBodyBytes + 100, 'x'), "\"}");
  ClientResponse response = Send("POST", "/v1/echo", body);
  ASSERT_EQ(response.status, 413) << response.transport_error;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "reason"), "BODY_TOO_LARGE");
  EXPECT_EQ(JsonString(json, "details.max_body_bytes"), std::to_string(kMaxBodyBytes));
}

TEST_F(GatewayTest, HeadersTooLargeIs431) {
  ClientResponse response =
      Send("GET", "/healthz", "", {{"X-Padding", std::string(kMaxHeaderBytes + 100, 'p')}});
  ASSERT_EQ(response.status, 431) << response.transport_error;
  EXPECT_EQ(JsonString(ParseJson(response.body), "reason"), "HEADERS_TOO_LARGE");
}

TEST_F(GatewayTest, ExpectContinueGetsInterimResponse) {
  auto [interim, response] =
      SendHttpExpectContinue(gateway_->port(), "/v1/echo", R"({"message":"after 100"})");
  EXPECT_EQ(interim, 100) << response.transport_error;
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(JsonString(ParseJson(response.body), "message"), "after 100");
}

TEST_F(GatewayTest, KeepAliveServesSeveralRequests) {
  std::vector<ClientResponse> responses = SendHttpKeepAlive(
      gateway_->port(), {"/healthz", "/v1/shelves/a/items/b", "/", "/v1/nothing"});
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(responses[2].status, 200);
  EXPECT_EQ(responses[3].status, 404);
}

TEST_F(GatewayTest, ConnectionCloseIsHonoured) {
  // SendHttp sends "Connection: close", so the gateway must not offer keep-alive.
  ClientResponse response = Send("POST", "/v1/echo", "{}");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("connection"), "close");
}

TEST_F(GatewayTest, ConcurrentRequestsAllSucceed) {
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 25;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([t, &succeeded] {
      std::string session = absl::StrCat("session-concurrent-", t);
      Headers headers = {{"Cookie", absl::StrCat("qx_session=", session)},
                         {"X-CSRF-Token", absl::StrCat("csrf-for-", session)}};
      for (int i = 0; i < kRequestsPerThread; ++i) {
        ClientResponse response =
            i % 3 == 0 ? Send("GET", "/")
                       : Send("POST", "/v1/echo", absl::StrCat(R"({"message":")", i, "\"}"),
                              headers);
        if (response.status == 200) ++succeeded;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(succeeded.load(), kThreads * kRequestsPerThread);
}

TEST_F(GatewayTest, ServesStaticIndex) {
  ClientResponse response = Send("GET", "/");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<!doctype html><title>去向</title>");
  EXPECT_EQ(response.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response.Header("cache-control"), "no-cache");

  ClientResponse script = Send("GET", "/app.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("content-type"), "text/javascript; charset=utf-8");
}

TEST_F(GatewayTest, HeadOmitsBody) {
  ClientResponse response = Send("HEAD", "/app.js");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-length"), "19");
  EXPECT_EQ(response.body, "");
}

TEST_F(GatewayTest, SpaFallbackServesIndex) {
  ClientResponse response = Send("GET", "/students/42/agreements");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<!doctype html><title>去向</title>");
  EXPECT_EQ(Send("GET", "/missing.css").status, 404);
}

TEST_F(GatewayTest, TraversalIsRejected) {
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                             "/x/%2e%2e/%2e%2e/secret.txt", "/%5c..%5csecret.txt"}) {
    SCOPED_TRACE(target);
    ClientResponse response = Send("GET", target);
    EXPECT_EQ(response.status, 404);
    EXPECT_FALSE(absl::StrContains(response.body, "outside the web root"));
  }
}

TEST_F(GatewayTest, StaticWriteIsNotAllowed) {
  ClientResponse response = Send("POST", "/index.html", "{}");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.Header("allow"), "GET, HEAD");
}

TEST_F(GatewayTest, HealthAndReadiness) {
  ClientResponse health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  // Channels connect in the background; give them a moment on a loaded machine.
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    status = Send("GET", "/readyz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(GatewayTest, ClientRequestIdIsEchoedAndForwarded) {
  ClientResponse response =
      Send("POST", "/v1/echo", "{}", {{"X-Request-Id", "client-id_1.2"}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("x-request-id"), "client-id_1.2");
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "metadata.x-request-id"), "client-id_1.2");
  EXPECT_EQ(JsonString(json, "metadata.x-forwarded-for"), "127.0.0.1");

  ClientResponse error = Send("GET", "/v1/nothing", "", {{"X-Request-Id", "client-id-2"}});
  EXPECT_EQ(JsonString(ParseJson(error.body), "request_id"), "client-id-2");
}

TEST_F(GatewayTest, InvalidRequestIdIsReplaced) {
  ClientResponse response = Send("POST", "/v1/echo", "{}", {{"X-Request-Id", "bad id!"}});
  ASSERT_EQ(response.status, 200);
  std::string id = response.Header("x-request-id");
  EXPECT_EQ(id.size(), 36u);
  EXPECT_NE(id, "bad id!");
  EXPECT_EQ(JsonString(ParseJson(response.body), "metadata.x-request-id"), id);
}

TEST_F(GatewayTest, TimeoutHeader) {
  EXPECT_EQ(Send("POST", "/v1/echo", "{}", {{"X-Timeout-Ms", "5000"}}).status, 200);
  ClientResponse invalid = Send("POST", "/v1/echo", "{}", {{"X-Timeout-Ms", "soon"}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(JsonString(ParseJson(invalid.body), "reason"), "INVALID_TIMEOUT");
}

TEST_F(GatewayTest, LoginSetsCookiesAndHidesTokens) {
  ClientResponse response =
      Send("POST", "/v1/sessions:login",
           absl::StrCat(R"({"username":")", kLoginUsername, R"(","password":")", kLoginPassword,
                        R"("})"));
  ASSERT_EQ(response.status, 200) << response.body;
  std::vector<std::string> cookies = response.Headers("set-cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0], "qx_session=session-login; HttpOnly; SameSite=Strict; Path=/");
  EXPECT_EQ(cookies[1], "qx_csrf=csrf-login; SameSite=Strict; Path=/");

  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_FALSE(HasField(json, "sessionToken"));
  EXPECT_FALSE(HasField(json, "identityToken"));
  EXPECT_FALSE(absl::StrContains(response.body, "session-login"));
  EXPECT_FALSE(absl::StrContains(response.body, "identity-login"));
  EXPECT_EQ(JsonString(json, "csrfToken"), "csrf-login");
  EXPECT_EQ(JsonString(json, "user.displayName"), "管理员");

  // The login put the identity in the cache, so this write needs no refresh call.
  int refreshes = accounts_->refresh_calls.load();
  ClientResponse write =
      Send("POST", "/v1/echo", "{}",
           {{"Cookie", "qx_session=session-login; qx_csrf=csrf-login"},
            {"X-CSRF-Token", "csrf-login"}});
  ASSERT_EQ(write.status, 200) << write.body;
  EXPECT_EQ(JsonString(ParseJson(write.body), "metadata.authorization"), "Bearer identity-login");
  EXPECT_EQ(accounts_->refresh_calls.load(), refreshes);
}

TEST_F(GatewayTest, LoginFailureIsUnauthorized) {
  ClientResponse response =
      Send("POST", "/v1/sessions:login", R"({"username":"admin","password":"wrong"})");
  ASSERT_EQ(response.status, 401);
  EXPECT_TRUE(response.Headers("set-cookie").empty());
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "UNAUTHENTICATED");
  EXPECT_EQ(JsonString(json, "reason"), "LOGIN_FAILED");
  EXPECT_EQ(JsonString(json, "message"), "用户名或密码错误，请重新输入。");
}

TEST_F(GatewayTest, CookieWriteWithoutCsrfIsForbidden) {
  Headers cookie = {{"Cookie", "qx_session=session-nocsrf"}};
  ClientResponse missing = Send("POST", "/v1/echo", "{}", cookie);
  ASSERT_EQ(missing.status, 403);
  EXPECT_EQ(JsonString(ParseJson(missing.body), "reason"), "CSRF_TOKEN_INVALID");

  cookie.emplace_back("X-CSRF-Token", "csrf-for-someone-else");
  ClientResponse wrong = Send("POST", "/v1/echo", "{}", cookie);
  ASSERT_EQ(wrong.status, 403);
  EXPECT_EQ(JsonString(ParseJson(wrong.body), "reason"), "CSRF_TOKEN_INVALID");
}

TEST_F(GatewayTest, CookieWriteWithCsrfForwardsIdentity) {
  Headers headers = {{"Cookie", "theme=dark; qx_session=session-abc"},
                     {"X-CSRF-Token", "csrf-for-session-abc"}};
  int refreshes = accounts_->refresh_calls.load();
  ClientResponse first = Send("POST", "/v1/echo", "{}", headers);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(JsonString(ParseJson(first.body), "metadata.authorization"),
            "Bearer identity-for-session-abc");
  EXPECT_EQ(accounts_->refresh_calls.load(), refreshes + 1);

  // The second request is served from the identity cache.
  ClientResponse second = Send("POST", "/v1/echo", "{}", headers);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(accounts_->refresh_calls.load(), refreshes + 1);
}

TEST_F(GatewayTest, CookieReadNeedsNoCsrf) {
  ClientResponse response =
      Send("GET", "/v1/shelves/a/items/b", "", {{"Cookie", "qx_session=session-read"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(JsonString(ParseJson(response.body), "metadata.authorization"),
            "Bearer identity-for-session-read");
}

TEST_F(GatewayTest, BearerHeaderIsForwardedWithoutCsrf) {
  ClientResponse response =
      Send("POST", "/v1/echo", "{}",
           {{"Authorization", "Bearer machine-token"}, {"Cookie", "qx_session=session-ignored"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(JsonString(ParseJson(response.body), "metadata.authorization"),
            "Bearer machine-token");
}

TEST_F(GatewayTest, AnonymousRequestHasNoIdentity) {
  ClientResponse response = Send("POST", "/v1/echo", "{}");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(JsonString(ParseJson(response.body), "metadata.authorization"), "<missing>");
}

TEST_F(GatewayTest, RefusedRefreshIsUnauthorizedAndClearsCookies) {
  ClientResponse response =
      Send("GET", "/v1/shelves/a/items/b", "", {{"Cookie", "qx_session=revoked-1"}});
  ASSERT_EQ(response.status, 401);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "reason"), "SESSION_EXPIRED");
  EXPECT_EQ(JsonString(json, "message"), "登录已过期，请重新登录。");
  std::vector<std::string> cookies = response.Headers("set-cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0], "qx_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
  EXPECT_EQ(cookies[1], "qx_csrf=; SameSite=Strict; Path=/; Max-Age=0");
}

TEST_F(GatewayTest, LogoutClearsCookiesAndSession) {
  Headers headers = {{"Cookie", "qx_session=session-out"},
                     {"X-CSRF-Token", "csrf-for-session-out"}};
  ClientResponse logout = Send("POST", "/v1/sessions:logout", "{}", headers);
  ASSERT_EQ(logout.status, 200) << logout.body;
  std::vector<std::string> cookies = logout.Headers("set-cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(cookies[0], "qx_session=;"));
  EXPECT_TRUE(absl::EndsWith(cookies[0], "Max-Age=0"));
  EXPECT_TRUE(absl::StartsWith(cookies[1], "qx_csrf=;"));

  // Logout dropped the cache entry, so the next request calls RefreshIdentityToken again.
  ClientResponse after = Send("GET", "/v1/shelves/a/items/b", "", {{"Cookie", "qx_session=session-out"}});
  EXPECT_EQ(after.status, 401);
}

TEST_F(GatewayTest, ClientTimeoutShortensDeadline) {
  ClientResponse response = Send("POST", "/v1/sessions:login", R"({"username":"slow"})",
                                 {{"X-Timeout-Ms", "50"}});
  ASSERT_EQ(response.status, 504) << response.body;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "DEADLINE_EXCEEDED");
  EXPECT_EQ(JsonString(json, "reason"), "DEADLINE_EXCEEDED");
}

TEST_F(GatewayTest, ShutdownFinishesRequestsInFlight) {
  GatewayOptions options;
  options.http.port = 0;
  options.backends = absl::StrCat("quxiang.accounts.v1.AccountsService=127.0.0.1:", grpc_port_);
  options.web_root = (*web_base_ / "dist").string();
  auto draining = Gateway::Start(options);
  ASSERT_TRUE(draining.ok()) << draining.status();
  int port = (*draining)->port();

  int started = accounts_->slow_logins_started.load();
  ClientResponse in_flight;
  std::thread client([&] {
    in_flight = SendHttp(port, "POST", "/v1/sessions:login", R"({"username":"slow"})");
  });
  // Shut down while the slow login is running at the backend.
  for (int attempt = 0; attempt < 500 && accounts_->slow_logins_started.load() == started;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*draining)->Shutdown(absl::Seconds(5));
  client.join();

  EXPECT_EQ(in_flight.status, 401) << in_flight.transport_error;
  EXPECT_EQ(JsonString(ParseJson(in_flight.body), "reason"), "LOGIN_FAILED");
  ClientResponse after = SendHttp(port, "GET", "/healthz");
  EXPECT_EQ(after.status, 0);
  EXPECT_FALSE(after.transport_error.empty());
}

// A gateway whose echo backend listens nowhere.
TEST(GatewayUnreachableBackend, AnswersServiceUnavailable) {
  int dead_port = 0;
  {
    // Bind and release a port, so that nothing listens on it afterwards.
    EchoServiceImpl echo;
    grpc::ServerBuilder builder;
    builder.RegisterService(&echo);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &dead_port);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    server->Shutdown();
  }
  fs::path web = MakeWebRoot("gateway-unreachable");
  GatewayOptions options;
  options.http.port = 0;
  options.backends = absl::StrCat("quxiang.testing.v1.EchoService=127.0.0.1:", dead_port);
  options.web_root = (web / "dist").string();
  options.default_deadline = absl::Seconds(5);
  auto gateway = Gateway::Start(options);
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  ClientResponse response = SendHttp((*gateway)->port(), "POST", "/v1/echo", "{}");
  EXPECT_EQ(response.status, 503);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonString(json, "code"), "UNAVAILABLE");
  EXPECT_EQ(JsonString(json, "reason"), "BACKEND_UNAVAILABLE");
  EXPECT_EQ(SendHttp((*gateway)->port(), "GET", "/readyz").status, 503);
  fs::remove_all(web);
}

TEST(GatewayReadTimeout, ClosesIdleConnection) {
  fs::path web = MakeWebRoot("gateway-idle");
  GatewayOptions options;
  options.http.port = 0;
  options.http.read_timeout = absl::Milliseconds(200);
  options.web_root = (web / "dist").string();
  auto gateway = Gateway::Start(options);
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  EXPECT_TRUE(ServerClosesIdleConnection((*gateway)->port(), 3000));
  fs::remove_all(web);
}

TEST(GatewayStart, RejectsUnknownService) {
  GatewayOptions options;
  options.http.port = 0;
  options.backends = "quxiang.nothing.v1.NoService=127.0.0.1:1";
  auto gateway = Gateway::Start(options);
  EXPECT_EQ(gateway.status().code(), absl::StatusCode::kInvalidArgument);
}

// The built binary: flags, --port_file, and exit status 0 after SIGTERM.
TEST(GatewayBinary, ServesAndStopsOnSigterm) {
  EchoServiceImpl echo;
  int grpc_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port);
  builder.RegisterService(&echo);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  fs::path web = MakeWebRoot("gateway-binary");
  fs::path port_file = web / "gateway.port";
  std::vector<std::string> arguments = {
      QUXIANG_GATEWAY_BINARY,
      "--http_port=0",
      absl::StrCat("--port_file=", port_file.string()),
      absl::StrCat("--backends=quxiang.testing.v1.EchoService=127.0.0.1:", grpc_port),
      absl::StrCat("--web_root=", (web / "dist").string()),
  };
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  int port = 0;
  for (int attempt = 0; attempt < 100 && port == 0; ++attempt) {
    std::ifstream(port_file) >> port;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(port, 0) << "the gateway wrote no --port_file";

  EXPECT_EQ(SendHttp(port, "GET", "/healthz").status, 200);
  ClientResponse echo_response = SendHttp(port, "POST", "/v1/echo", R"({"message":"hi"})");
  EXPECT_EQ(echo_response.status, 200);
  EXPECT_EQ(JsonString(ParseJson(echo_response.body), "message"), "hi");

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  EXPECT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);

  server->Shutdown();
  fs::remove_all(web);
}

}  // namespace
}  // namespace quxiang::gateway

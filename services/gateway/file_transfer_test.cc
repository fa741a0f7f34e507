// Raw file uploads and downloads through the real gateway over HTTP, in front of a real
// in-process EchoService on a gRPC server bound to 127.0.0.1 port 0, plus unit tests of the
// header values.
#include "services/gateway/file_transfer.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/gateway/gateway.h"
#include "services/gateway/testing/echo_service.h"
#include "services/gateway/testing/http_test_client.h"

extern char** environ;

namespace quxiang::gateway {
namespace {

namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

// 在线签约名单.xlsx, percent-encoded as UTF-8.
constexpr char kChineseXlsxEncoded[] =
    "%E5%9C%A8%E7%BA%BF%E7%AD%BE%E7%BA%A6%E5%90%8D%E5%8D%95.xlsx";
constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::string Sha256Hex(absl::string_view data) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), hash, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(hash), size));
}

// The SHA-256 of the first `size` bytes of the echo service's test pattern.
std::string PatternSha256(uint64_t size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> digest(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr);
  constexpr uint64_t kBlock = 1 << 20;
  std::string block;
  for (uint64_t offset = 0; offset < size; offset += kBlock) {
    block.clear();
    AppendTestPattern(offset, static_cast<size_t>(std::min(kBlock, size - offset)), block);
    EVP_DigestUpdate(digest.get(), block.data(), block.size());
  }
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_size = 0;
  EVP_DigestFinal_ex(digest.get(), hash, &hash_size);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(hash), hash_size));
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(generator() & 0xFF);
  return bytes;
}

google::protobuf::Struct ParseJson(const std::string& body) {
  google::protobuf::Struct json;
  auto status = google::protobuf::util::JsonStringToMessage(body, &json);
  EXPECT_TRUE(status.ok()) << "not JSON: " << body.substr(0, 300);
  return json;
}

std::string JsonField(const google::protobuf::Struct& json, const std::string& name) {
  auto it = json.fields().find(name);
  if (it == json.fields().end()) return "<missing>";
  if (it->second.has_number_value()) return absl::StrCat(it->second.number_value());
  return it->second.string_value();
}

std::string JsonDetail(const google::protobuf::Struct& json, const std::string& name) {
  auto details = json.fields().find("details");
  if (details == json.fields().end()) return "<missing>";
  return JsonField(details->second.struct_value(), name);
}

TEST(ContentDisposition, KeepsChineseNameInExtendedParameter) {
  EXPECT_EQ(ContentDisposition("在线签约名单.xlsx"),
            absl::StrCat("attachment; filename=\"______.xlsx\"; filename*=UTF-8''",
                         kChineseXlsxEncoded));
}

TEST(ContentDisposition, AsciiNameStaysReadable) {
  EXPECT_EQ(ContentDisposition("report-2026.csv"),
            "attachment; filename=\"report-2026.csv\"; filename*=UTF-8''report-2026.csv");
}

TEST(ContentDisposition, QuotesAndLineBreaksCannotEscape) {
  std::string value = ContentDisposition("a\"b\\c\r\nSet-Cookie: x=1%2F/d");
  EXPECT_EQ(value,
            "attachment; filename=\"a_b_c__Set-Cookie: x=1_2F_d\"; "
            "filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1%252F%2Fd");
  EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos);
}

TEST(ContentDisposition, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(ContentDisposition("x\xff.pdf"),
            "attachment; filename=\"x_.pdf\"; filename*=UTF-8''x%EF%BF%BD.pdf");
}

TEST(FileResponseHeaders, FallsBackToOctetStream) {
  for (const char* bad : {"", "text/html\r\nSet-Cookie: a=b", "image/\xE5\x9B\xBE"}) {
    SCOPED_TRACE(absl::CHexEscape(bad));
    Headers headers = FileResponseHeaders(bad, "");
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers[0].first, "Content-Type");
    EXPECT_EQ(headers[0].second, "application/octet-stream");
    EXPECT_EQ(headers[1].first, "Cache-Control");
    EXPECT_EQ(headers[1].second, "no-store");
  }
}

TEST(FileResponseHeaders, NamedFileIsAttachment) {
  Headers headers = FileResponseHeaders("application/pdf", "协议书.pdf");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].second, "application/pdf");
  EXPECT_EQ(headers[1].first, "Content-Disposition");
  EXPECT_TRUE(absl::StartsWith(headers[1].second, "attachment; filename=\"___.pdf\""));
  EXPECT_EQ(headers[2].second, "no-store");
}

class FileTransferTest : public ::testing::Test {
 protected:
  static constexpr size_t kMaxBodyBytes = 4096;
  static constexpr size_t kMaxUploadBytes = (10 << 20) + (64 << 10);

  static void SetUpTestSuite() {
    echo_ = new EchoServiceImpl();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &grpc_port_);
    builder.RegisterService(echo_);
    // As a backend of upload routes must, the server accepts messages over 10 MiB.
    builder.SetMaxReceiveMessageSize(32 << 20);
    grpc_server_ = builder.BuildAndStart().release();
    ASSERT_NE(grpc_server_, nullptr);

    GatewayOptions options;
    options.http.port = 0;
    options.http.max_body_bytes = kMaxBodyBytes;
    options.http.max_upload_bytes = kMaxUploadBytes;
    options.backends = absl::StrCat("quxiang.testing.v1.EchoService=127.0.0.1:", grpc_port_);
    options.web_root = fs::temp_directory_path().string();
    auto gateway = Gateway::Start(options);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = gateway->release();
  }

  static void TearDownTestSuite() {
    delete gateway_;
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    delete grpc_server_;
    delete echo_;
  }

  static ClientResponse Send(const std::string& method, const std::string& target,
                             const std::string& body = "", const Headers& headers = {}) {
    return SendHttp(gateway_->port(), method, target, body, headers);
  }

  static inline EchoServiceImpl* echo_ = nullptr;
  static inline grpc::Server* grpc_server_ = nullptr;
  static inline int grpc_port_ = 0;
  static inline Gateway* gateway_ = nullptr;
};

TEST_F(FileTransferTest, UploadRoundTripsBinaryBytes) {
  std::string file = RandomBytes(10'000'000, 7);
  ClientResponse response =
      Send("POST", "/v1/folders/scans/files:upload", file,
           {{"Content-Type", "image/png"}, {"X-File-Name", "%E6%89%AB%E6%8F%8F%E4%BB%B6 1.png"}});
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body.substr(0, 300);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "folder"), "scans");
  EXPECT_EQ(JsonField(json, "sizeBytes"), "10000000");
  EXPECT_EQ(JsonField(json, "sha256"), Sha256Hex(file));
  EXPECT_EQ(JsonField(json, "contentType"), "image/png");
  EXPECT_EQ(JsonField(json, "fileName"), "扫描件 1.png");
}

TEST_F(FileTransferTest, UploadAtLimitIsAccepted) {
  std::string file = RandomBytes(kMaxUploadBytes, 8);
  ClientResponse response = Send("POST", "/v1/folders/a/files:upload", file,
                                 {{"Content-Type", "application/pdf"}});
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body.substr(0, 300);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "sizeBytes"), std::to_string(kMaxUploadBytes));
  EXPECT_EQ(JsonField(json, "sha256"), Sha256Hex(file));
  EXPECT_EQ(JsonField(json, "fileName"), "");
}

TEST_F(FileTransferTest, UploadOverLimitIs413) {
  ClientResponse response = Send("POST", "/v1/folders/a/files:upload",
                                 std::string(kMaxUploadBytes + 1, 'x'),
                                 {{"Content-Type", "application/pdf"}});
  ASSERT_EQ(response.status, 413) << response.transport_error;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "reason"), "BODY_TOO_LARGE");
  EXPECT_EQ(JsonDetail(json, "max_body_bytes"), std::to_string(kMaxUploadBytes));
  EXPECT_TRUE(absl::StrContains(JsonField(json, "message"), std::to_string(kMaxUploadBytes)));
}

TEST_F(FileTransferTest, JsonRouteKeepsBodyLimit) {
  std::string body = absl::StrCat(R"({"message":")", std::string(2 * kMaxBodyBytes, 'x'), "\"}");
  ClientResponse response = Send("POST", "/v1/echo", body);
  ASSERT_EQ(response.status, 413) << response.transport_error;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "reason"), "BODY_TOO_LARGE");
  EXPECT_EQ(JsonDetail(json, "max_body_bytes"), std::to_string(kMaxBodyBytes));
}

// A request with a chunked body made of `chunks`.
std::string ChunkedRequest(const std::string& target, const std::string& content_type,
                           const std::vector<std::string>& chunks) {
  std::string raw = absl::StrCat("POST ", target,
                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                 "Content-Type: ",
                                 content_type, "\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (const std::string& chunk : chunks) {
    absl::StrAppend(&raw, absl::Hex(chunk.size()), "\r\n", chunk, "\r\n");
  }
  absl::StrAppend(&raw, "0\r\n\r\n");
  return raw;
}

TEST_F(FileTransferTest, ChunkedUploadRoundTrips) {
  std::vector<std::string> chunks = {RandomBytes(300'000, 1), RandomBytes(5, 2),
                                     RandomBytes(700'000, 3)};
  ClientResponse response = SendRawHttp(
      gateway_->port(), ChunkedRequest("/v1/folders/c/files:upload", "image/jpeg", chunks));
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body.substr(0, 300);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "sizeBytes"), "1000005");
  EXPECT_EQ(JsonField(json, "sha256"), Sha256Hex(absl::StrCat(chunks[0], chunks[1], chunks[2])));
  EXPECT_EQ(JsonField(json, "contentType"), "image/jpeg");
}

TEST_F(FileTransferTest, ChunkedUploadOverLimitIs413) {
  std::vector<std::string> chunks(11, std::string(1 << 20, 'u'));
  ClientResponse response = SendRawHttp(
      gateway_->port(), ChunkedRequest("/v1/folders/c/files:upload", "image/jpeg", chunks));
  ASSERT_EQ(response.status, 413) << response.transport_error;
  EXPECT_EQ(JsonDetail(ParseJson(response.body), "max_body_bytes"),
            std::to_string(kMaxUploadBytes));
}

TEST_F(FileTransferTest, ChunkedJsonOverBodyLimitIs413) {
  std::string json_body =
      absl::StrCat(R"({"message":")", std::string(2 * kMaxBodyBytes, 'j'), "\"}");
  ClientResponse response = SendRawHttp(
      gateway_->port(), ChunkedRequest("/v1/echo", "application/json", {json_body}));
  ASSERT_EQ(response.status, 413) << response.transport_error;
  EXPECT_EQ(JsonDetail(ParseJson(response.body), "max_body_bytes"),
            std::to_string(kMaxBodyBytes));
}

TEST_F(FileTransferTest, OversizedUploadRejectedBeforeBody) {
  // Only the header is sent: the declared length alone must produce the 413, in place of the
  // "100 Continue" that would make the client send 20 MiB.
  ClientResponse response = SendRawHttp(
      gateway_->port(),
      "POST /v1/folders/a/files:upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/pdf\r\nContent-Length: 20971520\r\n"
      "Expect: 100-continue\r\n\r\n");
  ASSERT_EQ(response.status, 413) << response.transport_error;
  EXPECT_EQ(JsonDetail(ParseJson(response.body), "max_body_bytes"),
            std::to_string(kMaxUploadBytes));
}

TEST_F(FileTransferTest, ExpectContinueUploadGetsInterimResponse) {
  std::string file = RandomBytes(2'000'000, 9);
  auto [interim, response] =
      SendHttpExpectContinue(gateway_->port(), "/v1/folders/e/files:upload", file);
  EXPECT_EQ(interim, 100) << response.transport_error;
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body.substr(0, 300);
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "sizeBytes"), "2000000");
  EXPECT_EQ(JsonField(json, "sha256"), Sha256Hex(file));
}

TEST_F(FileTransferTest, EmptyUploadIs400) {
  ClientResponse response = Send("POST", "/v1/folders/a/files:upload", "",
                                 {{"Content-Type", "image/jpeg"}});
  ASSERT_EQ(response.status, 400) << response.transport_error;
  google::protobuf::Struct json = ParseJson(response.body);
  EXPECT_EQ(JsonField(json, "reason"), "EMPTY_FILE");
  EXPECT_TRUE(absl::StrContains(JsonField(json, "message"), "空"));
}

TEST_F(FileTransferTest, BadFileNameHeaderIs400) {
  struct Case {
    const char* header;
    const char* reason;
  };
  const Case kCases[] = {
      {"bad%zzname.pdf", "INVALID_FILE_NAME"},
      {"truncated%E5%9C", "INVALID_UTF8"},
      {"%FF%FE.pdf", "INVALID_UTF8"},
      {"line%0D%0ASet-Cookie: a=b", "INVALID_FILE_NAME"},
      {"nul%00.pdf", "INVALID_FILE_NAME"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.header);
    ClientResponse response = Send("POST", "/v1/folders/a/files:upload", "data",
                                   {{"Content-Type", "image/png"}, {"X-File-Name", c.header}});
    ASSERT_EQ(response.status, 400) << response.transport_error;
    google::protobuf::Struct json = ParseJson(response.body);
    EXPECT_EQ(JsonField(json, "reason"), c.reason);
    EXPECT_TRUE(absl::StrContains(JsonField(json, "message"), "X-File-Name"));
    EXPECT_EQ(JsonDetail(json, "header"), "X-File-Name");
  }
}

TEST_F(FileTransferTest, UploadQueryCannotSetFileFields) {
  ClientResponse response = Send("POST", "/v1/folders/a/files:upload?file.fileName=x.pdf", "data",
                                 {{"Content-Type", "image/png"}});
  ASSERT_EQ(response.status, 400) << response.transport_error;
  EXPECT_EQ(JsonField(ParseJson(response.body), "reason"), "UNKNOWN_QUERY_PARAMETER");
}

TEST_F(FileTransferTest, UnaryDownloadIsRawWithChineseName) {
  // Over gRPC's default 4 MiB receive limit, which the gateway's channels raise.
  constexpr int kSize = 12'000'000;
  ClientResponse response = Send(
      "GET", absl::StrCat("/v1/files/report?sizeBytes=", kSize, "&fileName=", kChineseXlsxEncoded,
                          "&contentType=", kXlsxType));
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body.substr(0, 300);
  EXPECT_EQ(response.Header("content-type"), kXlsxType);
  EXPECT_EQ(response.Header("content-disposition"),
            absl::StrCat("attachment; filename=\"______.xlsx\"; filename*=UTF-8''",
                         kChineseXlsxEncoded));
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(response.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(response.Header("content-length"), std::to_string(kSize));
  ASSERT_EQ(response.body.size(), static_cast<size_t>(kSize));
  EXPECT_EQ(Sha256Hex(response.body), PatternSha256(kSize));
}

TEST_F(FileTransferTest, UnnamedDownloadIsInline) {
  ClientResponse response = Send("GET", "/v1/files/scan?sizeBytes=100");
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.Header("content-type"), "application/octet-stream");
  EXPECT_EQ(response.Header("content-disposition"), "");
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(response.body.size(), 100u);
}

TEST_F(FileTransferTest, DownloadNameCannotInjectHeaders) {
  // a"b<CR><LF>Set-Cookie: x=1 as the file name, and a content type with a line break.
  ClientResponse response =
      Send("GET",
           "/v1/files/x?sizeBytes=10&fileName=a%22b%0D%0ASet-Cookie%3A%20x%3D1"
           "&contentType=text%2Fhtml%0D%0ASet-Cookie%3A%20y%3D2");
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_TRUE(response.Headers("set-cookie").empty());
  EXPECT_EQ(response.Header("content-type"), "application/octet-stream");
  EXPECT_EQ(response.Header("content-disposition"),
            "attachment; filename=\"a_b__Set-Cookie: x=1\"; "
            "filename*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1");
  EXPECT_EQ(response.body.size(), 10u);
}

TEST_F(FileTransferTest, DownloadErrorIsJson) {
  ClientResponse response = Send("GET", "/v1/files/x?sizeBytes=-1");
  ASSERT_EQ(response.status, 400) << response.transport_error;
  EXPECT_EQ(response.Header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(JsonField(ParseJson(response.body), "reason"), "VALUE_OUT_OF_RANGE");
}

TEST_F(FileTransferTest, StreamedDownloadIsChunked) {
  constexpr int kChunks = 20;
  constexpr int kChunkBytes = 100'000;
  StreamedDownload download = DownloadHttp(
      gateway_->port(),
      absl::StrCat("/v1/files/export:stream?chunkCount=", kChunks, "&chunkBytes=", kChunkBytes,
                   "&fileName=", kChineseXlsxEncoded, "&contentType=text%2Fcsv"));
  ASSERT_EQ(download.status, 200) << download.transport_error << download.body_prefix;
  EXPECT_EQ(download.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(download.Header("content-length"), "");
  EXPECT_EQ(download.Header("content-type"), "text/csv");
  EXPECT_EQ(download.Header("content-disposition"),
            absl::StrCat("attachment; filename=\"______.xlsx\"; filename*=UTF-8''",
                         kChineseXlsxEncoded));
  EXPECT_EQ(download.Header("cache-control"), "no-store");
  EXPECT_EQ(download.Header("x-content-type-options"), "nosniff");
  EXPECT_TRUE(download.complete) << download.transport_error;
  EXPECT_EQ(download.size, static_cast<uint64_t>(kChunks) * kChunkBytes);
  EXPECT_EQ(download.sha256, PatternSha256(static_cast<uint64_t>(kChunks) * kChunkBytes));
}

TEST_F(FileTransferTest, EmptyStreamIsEmptyFile) {
  StreamedDownload download = DownloadHttp(gateway_->port(), "/v1/files/none:stream");
  ASSERT_EQ(download.status, 200) << download.transport_error;
  EXPECT_TRUE(download.complete) << download.transport_error;
  EXPECT_EQ(download.size, 0u);
  EXPECT_EQ(download.Header("content-type"), "application/octet-stream");
}

TEST_F(FileTransferTest, StreamErrorBeforeFirstChunkIsJson) {
  StreamedDownload download = DownloadHttp(
      gateway_->port(), "/v1/files/x:stream?chunkCount=5&chunkBytes=1000&fail=true");
  ASSERT_EQ(download.status, 500) << download.transport_error;
  EXPECT_EQ(download.Header("content-type"), "application/json; charset=utf-8");
  EXPECT_TRUE(download.complete) << download.transport_error;
  google::protobuf::Struct json = ParseJson(download.body_prefix);
  EXPECT_EQ(JsonField(json, "code"), "INTERNAL");
  EXPECT_EQ(JsonField(json, "reason"), "ECHO_STREAM_FAILED");
  EXPECT_EQ(JsonField(json, "message"), "测试服务按请求在传输中途失败。");
}

TEST_F(FileTransferTest, StreamFailureTruncatesDownload) {
  constexpr int kChunkBytes = 50'000;
  StreamedDownload download = DownloadHttp(
      gateway_->port(), absl::StrCat("/v1/files/x:stream?chunkCount=10&chunkBytes=", kChunkBytes,
                                     "&fail=true&failAfterChunks=3"));
  ASSERT_EQ(download.status, 200) << download.transport_error;
  EXPECT_FALSE(download.complete);
  EXPECT_FALSE(download.transport_error.empty());
  EXPECT_EQ(download.size, 3u * kChunkBytes);
  EXPECT_EQ(download.sha256, PatternSha256(3u * kChunkBytes));
}

TEST_F(FileTransferTest, StreamRouteRejectsBadQueryBeforeCall) {
  StreamedDownload download = DownloadHttp(gateway_->port(), "/v1/files/x:stream?chunkCount=abc");
  ASSERT_EQ(download.status, 400) << download.transport_error;
  EXPECT_EQ(JsonField(ParseJson(download.body_prefix), "reason"), "INVALID_PARAMETER_VALUE");
}

TEST_F(FileTransferTest, KeepAliveContinuesAfterStream) {
  std::vector<ClientResponse> responses = SendHttpKeepAlive(
      gateway_->port(), {"/v1/files/x:stream?chunkCount=3&chunkBytes=10", "/healthz",
                         "/v1/files/y:stream?chunkCount=2&chunkBytes=7"});
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].status, 200) << responses[0].transport_error;
  EXPECT_EQ(responses[0].body.size(), 30u);
  EXPECT_EQ(responses[1].status, 200) << responses[1].transport_error;
  EXPECT_EQ(responses[2].status, 200) << responses[2].transport_error;
  EXPECT_EQ(responses[2].body.size(), 14u);
}

// Returns true once `counter` exceeds `start`, false when it has not after `timeout`.
bool WaitForIncrease(const std::atomic<int>& counter, int start, std::chrono::seconds timeout) {
  auto give_up = std::chrono::steady_clock::now() + timeout;
  while (counter.load() <= start) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// About 6.5 GB, far more than any test reads.
constexpr char kEndlessStream[] = "/v1/files/endless:stream?chunkCount=100000&chunkBytes=65536";

TEST_F(FileTransferTest, ClientDisconnectCancelsStream) {
  int cancelled_before = echo_->streams_cancelled.load();
  StalledDownload download(gateway_->port(), kEndlessStream);
  ASSERT_EQ(download.status(), 200);

  download.Close();
  EXPECT_TRUE(WaitForIncrease(echo_->streams_cancelled, cancelled_before, std::chrono::seconds(10)))
      << "the backend stream was not cancelled after the client went away";
}

TEST_F(FileTransferTest, ShutdownEndsStalledStream) {
  GatewayOptions options;
  options.http.port = 0;
  options.backends = absl::StrCat("quxiang.testing.v1.EchoService=127.0.0.1:", grpc_port_);
  options.web_root = fs::temp_directory_path().string();
  auto gateway = Gateway::Start(options);
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  int cancelled_before = echo_->streams_cancelled.load();
  StalledDownload download((*gateway)->port(), kEndlessStream);
  ASSERT_EQ(download.status(), 200);

  auto started = std::chrono::steady_clock::now();
  (*gateway)->Shutdown(absl::Milliseconds(200));
  gateway->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_TRUE(WaitForIncrease(echo_->streams_cancelled, cancelled_before, std::chrono::seconds(10)))
      << "the backend stream was not cancelled when the gateway stopped";
}

// The peak resident memory of process `pid` in bytes, from /proc/<pid>/status VmHWM.
uint64_t PeakResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmHWM:")) continue;
    uint64_t kilobytes = 0;
    std::string digits;
    for (char c : line) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
    }
    if (absl::SimpleAtoi(digits, &kilobytes)) return kilobytes * 1024;
  }
  return 0;
}

// The built gateway binary streams a file far larger than its memory growth, to a client
// that starts reading late.
TEST_F(FileTransferTest, LargeStreamKeepsGatewayMemoryBounded) {
  fs::path port_file = fs::temp_directory_path() / absl::StrCat("quxiang-file-stream-", getpid());
  fs::remove(port_file);
  std::vector<std::string> arguments = {
      QUXIANG_GATEWAY_BINARY,
      "--http_port=0",
      absl::StrCat("--port_file=", port_file.string()),
      absl::StrCat("--backends=quxiang.testing.v1.EchoService=127.0.0.1:", grpc_port_),
      absl::StrCat("--web_root=", fs::temp_directory_path().string()),
      "--metrics_port=0",
  };
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);

  int port = 0;
  for (int attempt = 0; attempt < 200 && port == 0; ++attempt) {
    std::ifstream(port_file) >> port;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(port, 0) << "the gateway wrote no --port_file";

  // A small stream first, so the baseline includes the channel and the code paths.
  StreamedDownload warm_up = DownloadHttp(port, "/v1/files/w:stream?chunkCount=4&chunkBytes=65536");
  EXPECT_TRUE(warm_up.complete) << warm_up.transport_error;
  uint64_t before = PeakResidentBytes(pid);
  ASSERT_GT(before, 0u);

  constexpr uint64_t kChunks = 200;
  constexpr uint64_t kChunkBytes = 256 << 10;
  constexpr uint64_t kFileBytes = kChunks * kChunkBytes;  // 50 MiB
  StreamedDownload download = DownloadHttp(
      port,
      absl::StrCat("/v1/files/big:stream?chunkCount=", kChunks, "&chunkBytes=", kChunkBytes),
      std::chrono::milliseconds(500));
  uint64_t after = PeakResidentBytes(pid);

  ASSERT_EQ(download.status, 200) << download.transport_error;
  EXPECT_TRUE(download.complete) << download.transport_error;
  EXPECT_EQ(download.size, kFileBytes);
  EXPECT_EQ(download.sha256, PatternSha256(kFileBytes));
  // Buffering the file would grow the peak by about its size. This test measured about 2 MiB
  // on a 2-core machine.
  EXPECT_LT(after - before, kFileBytes / 5)
      << "VmHWM before " << before << " after " << after;
  std::cerr << "gateway VmHWM grew by " << (after - before) / 1024 << " KiB for a "
            << kFileBytes / 1024 << " KiB stream\n";

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  EXPECT_TRUE(WIFEXITED(wait_status));
  fs::remove(port_file);
}

}  // namespace
}  // namespace quxiang::gateway

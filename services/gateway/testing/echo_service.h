// quxiang.testing.v1.EchoService: the baseline of the benchmarks and the backend of the
// gateway's tests. It returns what it received, including the request metadata, and fails on
// request with any gRPC code and a full ErrorInfo and LocalizedMessage.
#ifndef QUXIANG_SERVICES_GATEWAY_TESTING_ECHO_SERVICE_H_
#define QUXIANG_SERVICES_GATEWAY_TESTING_ECHO_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "quxiang/testing/v1/echo.grpc.pb.h"

namespace quxiang::gateway {

// Appends `size` bytes of the test pattern of DownloadFileRequest, starting at file offset
// `offset`, to `out`.
void AppendTestPattern(uint64_t offset, size_t size, std::string& out);

class EchoServiceImpl final : public quxiang::testing::v1::EchoService::CallbackService {
 public:
  // Upper bound of EchoRequest.response_bytes, so that one request cannot make the server
  // allocate without limit.
  static constexpr int kMaxResponseBytes = 4 << 20;
  // Upper bounds of DownloadFileRequest.size_bytes and StreamFileRequest.chunk_bytes.
  static constexpr int kMaxDownloadBytes = 32 << 20;
  static constexpr int kMaxChunkBytes = 4 << 20;

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const quxiang::testing::v1::EchoRequest* request,
                                 quxiang::testing::v1::EchoResponse* response) override;
  grpc::ServerUnaryReactor* GetItem(grpc::CallbackServerContext* context,
                                    const quxiang::testing::v1::GetItemRequest* request,
                                    quxiang::testing::v1::EchoResponse* response) override;
  grpc::ServerUnaryReactor* UpdateItem(grpc::CallbackServerContext* context,
                                       const quxiang::testing::v1::UpdateItemRequest* request,
                                       quxiang::testing::v1::EchoResponse* response) override;
  // Fails with FailRequest.code and ErrorInfo reason FailRequest.reason, or ECHO_FAILURE when
  // the reason is empty. Code 0 (OK) returns an empty response.
  grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* context,
                                 const quxiang::testing::v1::FailRequest* request,
                                 quxiang::testing::v1::EchoResponse* response) override;
  grpc::ServerUnaryReactor* UploadFile(grpc::CallbackServerContext* context,
                                       const quxiang::testing::v1::UploadFileRequest* request,
                                       quxiang::testing::v1::UploadFileResponse* response) override;
  grpc::ServerUnaryReactor* DownloadFile(grpc::CallbackServerContext* context,
                                         const quxiang::testing::v1::DownloadFileRequest* request,
                                         quxiang::common::v1::HttpFile* response) override;
  // Generates each chunk only after the previous one is written, so the server keeps one chunk
  // at a time whatever the file size.
  grpc::ServerWriteReactor<quxiang::common::v1::HttpFile>* StreamFile(
      grpc::CallbackServerContext* context,
      const quxiang::testing::v1::StreamFileRequest* request) override;

  // StreamFile calls that ended because the client cancelled them or went away.
  std::atomic<int> streams_cancelled{0};
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_TESTING_ECHO_SERVICE_H_

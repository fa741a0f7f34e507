#include "services/gateway/testing/echo_service.h"

#include <memory>
#include <string>

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"

namespace quxiang::gateway {
namespace {

using quxiang::common::v1::HttpFile;
using quxiang::testing::v1::EchoResponse;

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

grpc::Status OutOfRange(absl::string_view field, int value, int max) {
  return ToGrpcStatus(InvalidArgument(
      "VALUE_OUT_OF_RANGE", absl::StrCat(field, " 必须在 0 到 ", max, " 之间。"),
      {{std::string(field), std::to_string(value)}}));
}

// Writes the chunks of one StreamFile call and deletes itself in OnDone.
class PatternStreamReactor final : public grpc::ServerWriteReactor<HttpFile> {
 public:
  PatternStreamReactor(const quxiang::testing::v1::StreamFileRequest& request,
                       std::atomic<int>& streams_cancelled)
      : request_(request), streams_cancelled_(streams_cancelled) {}

  void Start() { WriteNext(); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      ++streams_cancelled_;
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client is gone"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (request_.fail() && chunks_written_ == request_.fail_after_chunks()) {
      Finish(ToGrpcStatus(MakeError(absl::StatusCode::kInternal, "ECHO_STREAM_FAILED",
                                    "测试服务按请求在传输中途失败。",
                                    {{"chunks_written", std::to_string(chunks_written_)}})));
      return;
    }
    if (chunks_written_ == request_.chunk_count()) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    if (chunks_written_ == 0) {
      chunk_.set_content_type(request_.content_type());
      chunk_.set_file_name(request_.file_name());
    }
    size_t size = static_cast<size_t>(request_.chunk_bytes());
    AppendTestPattern(static_cast<uint64_t>(chunks_written_) * size, size,
                      *chunk_.mutable_data());
    ++chunks_written_;
    StartWrite(&chunk_);
  }

  const quxiang::testing::v1::StreamFileRequest request_;
  std::atomic<int>& streams_cancelled_;
  HttpFile chunk_;
  int chunks_written_ = 0;
};

// Copies the client metadata into the response; binary headers ("-bin") are skipped.
void CopyMetadata(const grpc::CallbackServerContext& context, EchoResponse& response) {
  for (const auto& [key, value] : context.client_metadata()) {
    std::string name(key.data(), key.size());
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "-bin") == 0) continue;
    (*response.mutable_metadata())[name] = std::string(value.data(), value.size());
  }
}

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace

void AppendTestPattern(uint64_t offset, size_t size, std::string& out) {
  out.reserve(out.size() + size);
  for (uint64_t i = offset; i < offset + size; ++i) {
    out.push_back(static_cast<char>((i * 7 + 3) % 251));
  }
}

grpc::ServerUnaryReactor* EchoServiceImpl::Echo(grpc::CallbackServerContext* context,
                                                const quxiang::testing::v1::EchoRequest* request,
                                                EchoResponse* response) {
  if (request->response_bytes() < 0 || request->response_bytes() > kMaxResponseBytes) {
    absl::Status error = InvalidArgument(
        "RESPONSE_BYTES_OUT_OF_RANGE",
        absl::StrCat("response_bytes 必须在 0 到 ", kMaxResponseBytes, " 之间。"),
        {{"response_bytes", std::to_string(request->response_bytes())}});
    return FinishWith(context, ToGrpcStatus(error));
  }
  response->set_message(request->message());
  response->set_big_number(request->big_number());
  response->set_color(request->color());
  *response->mutable_tags() = request->tags();
  response->set_padding(std::string(static_cast<size_t>(request->response_bytes()), 'x'));
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::GetItem(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::GetItemRequest* request,
    EchoResponse* response) {
  response->set_shelf_id(request->shelf_id());
  response->set_item_id(request->item_id());
  response->set_page_size(request->page_size());
  *response->mutable_tags() = request->tags();
  response->set_color(request->color());
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::UpdateItem(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::UpdateItemRequest* request,
    EchoResponse* response) {
  response->set_shelf_id(request->shelf_id());
  *response->mutable_item() = request->item();
  CopyMetadata(*context, *response);
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::Fail(grpc::CallbackServerContext* context,
                                                const quxiang::testing::v1::FailRequest* request,
                                                EchoResponse* response) {
  if (request->code() == 0) return FinishWith(context, grpc::Status::OK);
  if (request->code() < 0 || request->code() > 16) {
    absl::Status error = InvalidArgument("CODE_OUT_OF_RANGE", "code 必须是 0 到 16 之间的 gRPC 状态码。",
                                         {{"code", std::to_string(request->code())}});
    return FinishWith(context, ToGrpcStatus(error));
  }
  std::string reason = request->reason().empty() ? "ECHO_FAILURE" : request->reason();
  absl::Status error = MakeError(static_cast<absl::StatusCode>(request->code()), reason,
                                 absl::StrCat("测试服务按请求返回状态码 ", request->code(), "。"),
                                 {{"code", std::to_string(request->code())}});
  return FinishWith(context, ToGrpcStatus(error));
}

grpc::ServerUnaryReactor* EchoServiceImpl::UploadFile(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::UploadFileRequest* request,
    quxiang::testing::v1::UploadFileResponse* response) {
  response->set_folder(request->folder());
  response->set_size_bytes(static_cast<int64_t>(request->file().data().size()));
  response->set_sha256(Sha256Hex(request->file().data()));
  response->set_content_type(request->file().content_type());
  response->set_file_name(request->file().file_name());
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* EchoServiceImpl::DownloadFile(
    grpc::CallbackServerContext* context, const quxiang::testing::v1::DownloadFileRequest* request,
    HttpFile* response) {
  if (request->size_bytes() < 0 || request->size_bytes() > kMaxDownloadBytes) {
    return FinishWith(context, OutOfRange("size_bytes", request->size_bytes(), kMaxDownloadBytes));
  }
  response->set_content_type(request->content_type());
  response->set_file_name(request->file_name());
  AppendTestPattern(0, static_cast<size_t>(request->size_bytes()), *response->mutable_data());
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerWriteReactor<HttpFile>* EchoServiceImpl::StreamFile(
    grpc::CallbackServerContext* context,
    const quxiang::testing::v1::StreamFileRequest* request) {
  if (request->chunk_bytes() < 0 || request->chunk_bytes() > kMaxChunkBytes ||
      request->chunk_count() < 0) {
    auto* reactor =
        new PatternStreamReactor(quxiang::testing::v1::StreamFileRequest(), streams_cancelled);
    reactor->Finish(OutOfRange("chunk_bytes", request->chunk_bytes(), kMaxChunkBytes));
    return reactor;
  }
  auto* reactor = new PatternStreamReactor(*request, streams_cancelled);
  reactor->Start();
  return reactor;
}

}  // namespace quxiang::gateway

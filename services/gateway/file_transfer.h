// Raw files through the gateway, as quxiang.common.v1.HttpFile on the gRPC side.
//
// Upload: on a route whose body field is an HttpFile, the request body is the file's bytes, the
// Content-Type header its type and the optional X-File-Name header its percent-encoded UTF-8
// name. Download: a response of HttpFile, or each message of a server stream of it, becomes the
// raw body. The first message sets Content-Type, and Content-Disposition when it has a name.
#ifndef QUXIANG_SERVICES_GATEWAY_FILE_TRANSFER_H_
#define QUXIANG_SERVICES_GATEWAY_FILE_TRANSFER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "quxiang/common/v1/files.pb.h"
#include "services/gateway/backends.h"
#include "services/gateway/http_types.h"
#include "services/gateway/route_table.h"

namespace quxiang::gateway {

// The request header with the uploaded file's name, percent-encoded UTF-8.
inline constexpr char kFileNameHeader[] = "x-file-name";

// Sets the HttpFile field `route.upload_field` of `message` from the body and headers of
// `request`, moving the body out of `request`. Returns false and sets `error`, leaving
// `request` as it was, for an empty body or a bad X-File-Name header.
bool SetUploadedFile(const Route& route, HttpRequest& request,
                     google::protobuf::Message& message, HttpError* error);

// The headers of a file response: Content-Type (application/octet-stream when `content_type` is
// empty or not a valid header value), Content-Disposition when `file_name` is not empty, and
// Cache-Control: no-store.
std::vector<std::pair<std::string, std::string>> FileResponseHeaders(absl::string_view content_type,
                                                                     absl::string_view file_name);

// The Content-Disposition value "attachment" with `filename`, an ASCII fallback in which every
// other character is "_", and `filename*`, the UTF-8 name percent-encoded as in RFC 8187.
std::string ContentDisposition(absl::string_view file_name);

// A call to a method that returns a server stream of HttpFile. The call reads the next message
// only when the HTTP server requests it with Read. So memory stays bounded by one message plus
// the HTTP/2 flow-control window whatever the file size, and a slow client slows the backend.
class BackendFileStream final
    : public grpc::ClientBidiReactor<google::protobuf::Message, google::protobuf::Message>,
      public BodyStream,
      public std::enable_shared_from_this<BackendFileStream> {
 public:
  // Runs once, with the first message, with OK and nullptr for a stream without messages, or
  // with the error that ended the stream before its first message.
  using FirstMessageCallback =
      std::function<void(const grpc::Status& status, quxiang::common::v1::HttpFile* first)>;

  // `grpc_method` and `request_id` are for the log.
  BackendFileStream(std::string grpc_method, std::string request_id);

  // Set deadline and metadata here before Start.
  grpc::ClientContext& context() { return context_; }

  // Sends `request` and reads the first message. The stream keeps itself alive until gRPC
  // calls OnDone, which then runs `on_done`.
  void Start(MessageStub& stub, std::unique_ptr<google::protobuf::Message> request,
             FirstMessageCallback on_first, std::function<void()> on_done);

  void Read(std::function<void(BodyChunk)> deliver) override;
  // Cancels the gRPC call. Also used by ApiHandler::CancelAll.
  void Cancel() override;

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Returns true, and clears hold_, when the hold must be released now: no read is
  // outstanding and the stream has ended or is cancelled. Requires mutex_.
  bool TakeHoldToRelease();

  const std::string grpc_method_;
  const std::string request_id_;
  grpc::ClientContext context_;
  std::unique_ptr<google::protobuf::Message> request_;
  quxiang::common::v1::HttpFile message_;
  std::function<void()> on_done_;
  // Keeps the stream alive until OnDone.
  std::shared_ptr<BackendFileStream> self_;

  std::mutex mutex_;
  // The pending reader of the next message: the first-message callback, then the HTTP server.
  FirstMessageCallback on_first_;
  std::function<void(BodyChunk)> deliver_;
  // A StartRead is outstanding.
  bool reading_ = false;
  // The hold that delays OnDone until the stream is read to its end or cancelled, so the
  // status cannot arrive while messages are still unread.
  bool hold_ = true;
  bool ended_ = false;
  bool cancelled_ = false;
  bool done_ = false;
  grpc::Status status_;
  uint64_t bytes_read_ = 0;
};

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_FILE_TRANSFER_H_

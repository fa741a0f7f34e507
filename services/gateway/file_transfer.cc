#include "services/gateway/file_transfer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/status/error.h"
#include "services/gateway/path_template.h"
#include "spdlog/spdlog.h"

namespace quxiang::gateway {
namespace {

using quxiang::common::v1::HttpFile;

constexpr char kDefaultContentType[] = "application/octet-stream";

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// A Content-Type from a service is used only when it is printable ASCII, so it can neither
// split the header nor carry bytes a browser misreads.
bool IsValidHeaderValue(absl::string_view value) {
  if (value.empty()) return false;
  for (unsigned char c : value) {
    if (IsControl(c) || c >= 0x80) return false;
  }
  return true;
}

// The attr-char set of RFC 8187, which `filename*` may contain unencoded.
bool IsAttrChar(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '!' || c == '#' || c == '$' || c == '&' || c == '+' ||
         c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~';
}

// The length of the UTF-8 sequence that starts with `lead`, in valid UTF-8.
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

bool SetUploadedFile(const Route& route, HttpRequest& request,
                     google::protobuf::Message& message, HttpError* error) {
  if (request.body.empty()) {
    *error = EmptyUpload(request.path());
    return false;
  }

  std::string file_name;
  if (const std::string* header = request.FindHeader(kFileNameHeader)) {
    std::optional<std::string> decoded = PercentDecode(*header);
    if (!decoded.has_value()) {
      *error = InvalidFileNameHeader(*header);
      return false;
    }
    if (ToValidUtf8(*decoded) != *decoded) {
      *error = InvalidUtf8FileName(*decoded);
      return false;
    }
    for (unsigned char c : *decoded) {
      if (IsControl(c)) {
        *error = InvalidFileNameHeader(*header);
        return false;
      }
    }
    file_name = *std::move(decoded);
  }

  auto* file = static_cast<HttpFile*>(
      message.GetReflection()->MutableMessage(&message, route.upload_field));
  const std::string* content_type = request.FindHeader("content-type");
  file->set_content_type(content_type == nullptr ? "" : *content_type);
  file->set_file_name(std::move(file_name));
  // NOTE: gRPC serializes the message into a buffer of its own, so an upload still briefly takes
  // twice its size in gateway memory.
  file->set_data(std::move(request.body));
  return true;
}

std::vector<std::pair<std::string, std::string>> FileResponseHeaders(absl::string_view content_type,
                                                                     absl::string_view file_name) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (IsValidHeaderValue(content_type)) {
    headers.emplace_back("Content-Type", std::string(content_type));
  } else {
    if (!content_type.empty()) {
      spdlog::warn("file response has an invalid content type \"{}\"; sending {}",
                   absl::CHexEscape(content_type), kDefaultContentType);
    }
    headers.emplace_back("Content-Type", kDefaultContentType);
  }
  if (!file_name.empty()) headers.emplace_back("Content-Disposition", ContentDisposition(file_name));
  headers.emplace_back("Cache-Control", "no-store");
  return headers;
}

std::string ContentDisposition(absl::string_view file_name) {
  // Invalid bytes become U+FFFD first, so the fallback replaces whole characters.
  const std::string name = ToValidUtf8(file_name);

  // Quotes and backslashes would end or escape the quoted string, control characters would
  // split the header, "%" makes some browsers decode the fallback and "/" and "\" are path
  // separators.
  std::string fallback;
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    size_t length = Utf8SequenceLength(c);
    bool plain = length == 1 && !IsControl(c) && c != '"' && c != '\\' && c != '%' && c != '/';
    fallback.push_back(plain ? static_cast<char>(c) : '_');
    i += length;
  }

  std::string encoded;
  for (unsigned char c : name) {
    if (IsAttrChar(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&encoded, "%%%02X", c);
    }
  }
  return absl::StrCat("attachment; filename=\"", fallback, "\"; filename*=UTF-8''", encoded);
}

BackendFileStream::BackendFileStream(std::string grpc_method, std::string request_id)
    : grpc_method_(std::move(grpc_method)), request_id_(std::move(request_id)) {}

void BackendFileStream::Start(MessageStub& stub, std::unique_ptr<google::protobuf::Message> request,
                              FirstMessageCallback on_first, std::function<void()> on_done) {
  request_ = std::move(request);
  on_first_ = std::move(on_first);
  on_done_ = std::move(on_done);
  self_ = shared_from_this();
  reading_ = true;

  // A server-streaming method is called as a bidirectional one that writes a single message,
  // because the generic stub has no server-streaming callback call. The wire format is the same.
  stub.PrepareBidiStreamingCall(&context_, grpc_method_, grpc::StubOptions(), this);
  AddHold();
  StartWriteLast(request_.get(), grpc::WriteOptions());
  StartRead(&message_);
  StartCall();
}

void BackendFileStream::Read(std::function<void(BodyChunk)> deliver) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (done_) {
    BodyChunk last;
    last.kind = status_.ok() ? BodyChunk::Kind::kEnd : BodyChunk::Kind::kFailed;
    lock.unlock();
    deliver(std::move(last));
    return;
  }
  deliver_ = std::move(deliver);
  if (ended_ || cancelled_) {
    // OnDone delivers the outcome once the status is known.
    bool release_hold = TakeHoldToRelease();
    lock.unlock();
    if (release_hold) RemoveHold();
    return;
  }
  reading_ = true;
  lock.unlock();
  StartRead(&message_);
}

void BackendFileStream::Cancel() {
  bool release_hold = false;
  uint64_t bytes_read = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (done_ || cancelled_) return;
    cancelled_ = true;
    release_hold = TakeHoldToRelease();
    bytes_read = bytes_read_;
  }
  spdlog::info("streamed response of {} cancelled after {} bytes request_id={}", grpc_method_,
               bytes_read, request_id_);
  context_.TryCancel();
  if (release_hold) RemoveHold();
}

bool BackendFileStream::TakeHoldToRelease() {
  if (!hold_ || reading_ || !(ended_ || cancelled_)) return false;
  hold_ = false;
  return true;
}

void BackendFileStream::OnReadDone(bool ok) {
  FirstMessageCallback on_first;
  std::function<void(BodyChunk)> deliver;
  bool release_hold = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reading_ = false;
    if (ok) {
      bytes_read_ += message_.data().size();
      on_first = std::move(on_first_);
      on_first_ = nullptr;
      deliver = std::move(deliver_);
      deliver_ = nullptr;
    } else {
      ended_ = true;
    }
    release_hold = TakeHoldToRelease();
  }
  if (release_hold) RemoveHold();
  if (!ok) return;

  if (on_first) {
    on_first(grpc::Status::OK, &message_);
  } else if (deliver) {
    BodyChunk chunk;
    chunk.data = std::move(*message_.mutable_data());
    deliver(std::move(chunk));
  }
}

void BackendFileStream::OnDone(const grpc::Status& status) {
  FirstMessageCallback on_first;
  std::function<void(BodyChunk)> deliver;
  bool delivered_first;
  bool cancelled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    cancelled = cancelled_;
    status_ = status;
    delivered_first = !on_first_;
    on_first = std::move(on_first_);
    on_first_ = nullptr;
    deliver = std::move(deliver_);
    deliver_ = nullptr;
  }

  if (!status.ok() && delivered_first && !cancelled) {
    spdlog::warn("streamed response of {} failed after {} bytes, the client gets a truncated "
                 "body: code={} message={} request_id={}",
                 grpc_method_, bytes_read_, static_cast<int>(status.error_code()),
                 status.error_message(), request_id_);
  }
  if (on_first) {
    on_first(status, nullptr);
  } else if (deliver) {
    BodyChunk last;
    last.kind = status.ok() ? BodyChunk::Kind::kEnd : BodyChunk::Kind::kFailed;
    deliver(std::move(last));
  }

  if (on_done_) on_done_();
  // May destroy this object, so it comes last.
  std::shared_ptr<BackendFileStream> self = std::move(self_);
}

}  // namespace quxiang::gateway

#include "libs/db/idempotency.h"

#include <optional>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/db/sql_error.h"
#include "libs/db/sql_script.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::db {
namespace {

// Map entries and unknown fields serialize in a fixed order, so equal messages give equal bytes.
std::string SerializeDeterministically(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    message.SerializePartialToCodedStream(&coded);
  }
  return bytes;
}

absl::Status KeyReused(const IdempotencyKey& key) {
  spdlog::warn("request_id {} of {} was reused for a different request by {}", key.request_id,
               key.method, key.scope);
  return InvalidArgument(
      "IDEMPOTENCY_KEY_REUSED",
      "该请求编号已用于另一项内容不同的操作，本次操作未执行。请刷新页面后重新提交。",
      {{"request_id", key.request_id}, {"method", key.method}});
}

// Reads the response the first call stored, after inserting the key found it taken.
absl::Status ReturnStoredResponse(Session& session, const IdempotencyKey& key,
                                  google::protobuf::Message* response) {
  // A locking read returns the latest committed row, whatever the transaction's snapshot.
  ASSIGN_OR_RETURN(std::optional<Row> row,
                   session.QueryOne("SELECT fingerprint, response FROM idempotency_keys "
                                    "WHERE scope = ? AND method = ? AND request_id = ? FOR UPDATE",
                                    {key.scope, key.method, key.request_id}));
  if (!row.has_value() || row->IsNull(1)) {
    // The first call's transaction always stores a response (possibly empty) before it
    // commits, so only a manual change or a clean-up job racing this call gets here.
    spdlog::warn("idempotency key {} of {} vanished or has no stored response", key.request_id,
                 key.method);
    return Aborted("IDEMPOTENCY_KEY_CHANGED", "该请求的处理记录刚被其他操作改动，请稍后重试。",
                   {{"request_id", key.request_id}, {"method", key.method}});
  }
  if (row->String(0) != key.request_fingerprint) return KeyReused(key);
  if (response != nullptr && !response->ParseFromString(row->String(1))) {
    spdlog::error("stored response of request_id {} of {} does not parse as {}", key.request_id,
                  key.method, response->GetTypeName());
    return internal::StatusFromMySqlError(0, "stored response does not parse");
  }
  spdlog::info("request_id {} of {} is a repeat; returning the stored response", key.request_id,
               key.method);
  return absl::OkStatus();
}

}  // namespace

std::string Fingerprint(const google::protobuf::Message& request) {
  return internal::Sha256Hex(SerializeDeterministically(request));
}

absl::Status RunIdempotent(Pool& pool, absl::Time deadline, const IdempotencyKey& key,
                           google::protobuf::Message* response,
                           const std::function<absl::Status(Session&)>& work) {
  if (key.request_id.empty()) return pool.Transaction(deadline, work);

  return pool.Transaction(deadline, [&](Session& session) -> absl::Status {
    // The key row goes in first: a concurrent call with the same key blocks on its lock until
    // this transaction ends, and then either finds the stored response or, after a rollback,
    // runs the work itself.
    absl::Status inserted =
        session
            .Execute("INSERT INTO idempotency_keys "
                     "(scope, method, request_id, fingerprint, created_at) "
                     "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))",
                     {key.scope, key.method, key.request_id, key.request_fingerprint})
            .status();
    if (IsDuplicateKey(inserted)) return ReturnStoredResponse(session, key, response);
    RETURN_IF_ERROR(inserted);

    // A retried attempt starts from an empty response.
    if (response != nullptr) response->Clear();
    RETURN_IF_ERROR(work(session));

    std::string serialized;
    if (response != nullptr) {
      serialized = SerializeDeterministically(*response);
    }
    return session
        .Execute("UPDATE idempotency_keys SET response = ? "
                 "WHERE scope = ? AND method = ? AND request_id = ?",
                 {serialized, key.scope, key.method, key.request_id})
        .status();
  });
}

}  // namespace quxiang::db

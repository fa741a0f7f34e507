#include "libs/filestore/file_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::filestore {

namespace embedded {
const std::vector<db::MigrationFile>& Migrations();
}  // namespace embedded

namespace {

constexpr int64_t kMinChunkBytes = 4 * 1024;
constexpr int64_t kMaxChunkBytes = 8 * 1024 * 1024;
constexpr size_t kMaxColumnBytes = 64;

constexpr char kSelectColumns[] =
    "SELECT id, school_id, record_type, record_id, content_type, size_bytes, sha256, chunk_count, "
    "original_name, created_by, created_at, deleted_at, deleted_by FROM stored_files ";

// A file's metadata and the number of chunk rows that hold its content.
struct FileRow {
  StoredFile file;
  int64_t chunk_count = 0;
};

absl::StatusOr<FileRow> ParseFileRow(const db::Row& row) {
  FileRow parsed;
  StoredFile& file = parsed.file;
  file.id = row.String(0);
  file.school_id = row.Int64(1);
  file.record_type = row.String(2);
  file.record_id = row.String(3);
  ASSIGN_OR_RETURN(file.type, FileTypeFromContentType(row.String(4)));
  file.size_bytes = row.Int64(5);
  file.sha256 = row.String(6);
  parsed.chunk_count = row.Int64(7);
  file.original_name = row.String(8);
  file.created_by = row.String(9);
  file.created_at = row.Time(10);
  if (!row.IsNull(11)) file.deleted_at = row.Time(11);
  file.deleted_by = row.String(12);
  return parsed;
}

absl::Status FileNotFound(absl::string_view file_id) {
  return NotFound("FILE_NOT_FOUND", "找不到该文件，它可能已被删除。请刷新页面后重试。",
                  {{"file_id", std::string(file_id)}});
}

// Record types are constants of the calling service: lowercase ASCII letters, digits, '_' and
// '.', at most 64 characters.
bool IsValidRecordType(absl::string_view record_type) {
  if (record_type.empty() || record_type.size() > kMaxColumnBytes) return false;
  return std::all_of(record_type.begin(), record_type.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
           c == '_' || c == '.';
  });
}

// The columns are VARCHAR(64) in characters, so limiting bytes is stricter and needs no decoding.
// The values come from the calling service (record ids, user ids), never from a form field.
absl::Status ValidateNewFile(const NewFile& file) {
  if (file.school_id <= 0) {
    return Internal("FILE_STORE_INVALID_CALL", absl::StrCat("file store Put without a school (school_id ", file.school_id,
                                                             ")"));
  }
  if (!IsValidRecordType(file.record_type)) {
    return Internal("FILE_STORE_INVALID_CALL",
                    absl::StrCat("file store record type \"", file.record_type,
                                 "\" must be 1-64 characters of a-z, 0-9, '_' and '.'"));
  }
  if (file.record_id.empty() || file.record_id.size() > kMaxColumnBytes) {
    return Internal("FILE_STORE_INVALID_CALL",
                    absl::StrCat("file store record id must be 1-64 bytes, got ", file.record_id.size()));
  }
  if (file.created_by.empty() || file.created_by.size() > kMaxColumnBytes) {
    return Internal("FILE_STORE_INVALID_CALL",
                    absl::StrCat("file store uploader id must be 1-64 bytes, got ", file.created_by.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NewFileId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Internal("FILE_ID_RANDOM_FAILED", "RAND_bytes failed to produce a file id");
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// DATETIME(6) keeps microseconds, so the returned metadata matches what Stat reads back.
absl::Time TruncateToMicros(absl::Time time) { return absl::FromUnixMicros(absl::ToUnixMicros(time)); }

absl::StatusOr<FileRow> LoadFile(db::Session& s, int64_t school_id, absl::string_view file_id) {
  ASSIGN_OR_RETURN(std::optional<db::Row> row,
                   s.QueryOne(absl::StrCat(kSelectColumns, "WHERE id = ? AND school_id = ?"),
                              {std::string(file_id), school_id}));
  if (!row.has_value()) return FileNotFound(file_id);
  return ParseFileRow(*row);
}

}  // namespace

const std::vector<db::MigrationFile>& Migrations() {
  static const auto* const kMigrations = [] {
    auto* files = new std::vector<db::MigrationFile>();
    for (const db::MigrationFile& file : embedded::Migrations()) {
      files->push_back({absl::StrCat("filestore/", file.name), file.sql});
    }
    return files;
  }();
  return *kMigrations;
}

std::vector<db::MigrationFile> WithFileStoreMigrations(const std::vector<db::MigrationFile>& service_files) {
  std::vector<db::MigrationFile> files = Migrations();
  files.insert(files.end(), service_files.begin(), service_files.end());
  return files;
}

std::string Sha256Hex(absl::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_Digest(content.data(), content.size(), digest, &digest_length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), digest_length));
}

MySqlFileStore::MySqlFileStore(FileStoreOptions options) : options_(std::move(options)) {
  if (options_.max_file_bytes <= 0) {
    spdlog::warn("file store size limit {} bytes is not positive; using {}", options_.max_file_bytes,
                 kDefaultMaxFileBytes);
    options_.max_file_bytes = kDefaultMaxFileBytes;
  }
  const int64_t requested = options_.chunk_bytes;
  options_.chunk_bytes = std::clamp(requested, kMinChunkBytes, kMaxChunkBytes);
  if (options_.chunk_bytes != requested) {
    spdlog::warn("file store chunk size {} bytes is outside [{}, {}]; using {}", requested, kMinChunkBytes,
                 kMaxChunkBytes, options_.chunk_bytes);
  }
}

absl::StatusOr<StoredFile> MySqlFileStore::Put(db::Session& s, const NewFile& file, absl::Time now) {
  // Every check runs before the first statement, so a rejected upload writes nothing.
  const int64_t size = static_cast<int64_t>(file.content.size());
  if (size > options_.max_file_bytes) return FileTooLarge(size, options_.max_file_bytes);
  RETURN_IF_ERROR(ValidateNewFile(file));
  StoredFile stored;
  stored.original_name = SanitizeFileName(file.file_name);
  ASSIGN_OR_RETURN(stored.type, DetectFileType(file.content, stored.original_name, options_.max_file_bytes));
  ASSIGN_OR_RETURN(stored.id, NewFileId());
  stored.school_id = file.school_id;
  stored.record_type = file.record_type;
  stored.record_id = file.record_id;
  stored.size_bytes = size;
  stored.sha256 = Sha256Hex(file.content);
  stored.created_by = file.created_by;
  stored.created_at = TruncateToMicros(now);

  const int64_t chunk_count = (size + options_.chunk_bytes - 1) / options_.chunk_bytes;
  RETURN_IF_ERROR(s.Execute("INSERT INTO stored_files (id, school_id, record_type, record_id, content_type, "
                            "size_bytes, sha256, chunk_count, original_name, created_by, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            {stored.id, stored.school_id, stored.record_type, stored.record_id, stored.content_type(),
                             size, stored.sha256, chunk_count, stored.original_name, stored.created_by,
                             stored.created_at})
                      .status());
  for (int64_t seq = 0; seq < chunk_count; ++seq) {
    std::string chunk = file.content.substr(static_cast<size_t>(seq * options_.chunk_bytes),
                                            static_cast<size_t>(options_.chunk_bytes));
    RETURN_IF_ERROR(s.Execute("INSERT INTO stored_file_chunks (file_id, seq, data) VALUES (?, ?, ?)",
                              {stored.id, seq, std::move(chunk)})
                        .status());
  }
  return stored;
}

absl::StatusOr<StoredFile> MySqlFileStore::Stat(db::Session& s, int64_t school_id, absl::string_view file_id) {
  ASSIGN_OR_RETURN(FileRow row, LoadFile(s, school_id, file_id));
  return row.file;
}

absl::StatusOr<std::vector<StoredFile>> MySqlFileStore::ListForRecord(db::Session& s, int64_t school_id,
                                                                      absl::string_view record_type,
                                                                      absl::string_view record_id) {
  ASSIGN_OR_RETURN(std::vector<db::Row> rows,
                   s.Query(absl::StrCat(kSelectColumns,
                                        "WHERE school_id = ? AND record_type = ? AND record_id = ? "
                                        "AND deleted_at IS NULL ORDER BY created_at, id"),
                           {school_id, std::string(record_type), std::string(record_id)}));
  std::vector<StoredFile> files;
  files.reserve(rows.size());
  for (const db::Row& row : rows) {
    ASSIGN_OR_RETURN(FileRow parsed, ParseFileRow(row));
    files.push_back(std::move(parsed.file));
  }
  return files;
}

absl::StatusOr<FileContent> MySqlFileStore::Get(db::Session& s, int64_t school_id, absl::string_view file_id,
                                                const Downloader& downloader, absl::Time now) {
  ASSIGN_OR_RETURN(FileRow row, LoadFile(s, school_id, file_id));
  if (row.file.deleted_at.has_value()) return FileNotFound(file_id);

  // One chunk per statement, so that no result row is larger than a chunk.
  FileContent result;
  result.content.reserve(static_cast<size_t>(row.file.size_bytes));
  for (int64_t seq = 0; seq < row.chunk_count; ++seq) {
    ASSIGN_OR_RETURN(std::optional<db::Row> chunk,
                     s.QueryOne("SELECT data FROM stored_file_chunks WHERE file_id = ? AND seq = ?",
                                {row.file.id, seq}));
    if (!chunk.has_value()) {
      spdlog::error("stored file {} of school {} is missing chunk {} of {}", row.file.id, school_id, seq,
                    row.chunk_count);
      return Internal("FILE_CORRUPTED", absl::StrCat("stored file ", row.file.id, " is missing chunk ", seq));
    }
    result.content += chunk->String(0);
  }
  const std::string actual_sha256 = Sha256Hex(result.content);
  if (static_cast<int64_t>(result.content.size()) != row.file.size_bytes || actual_sha256 != row.file.sha256) {
    spdlog::error("stored file {} of school {} reads as {} bytes with SHA-256 {}, but its metadata records {} bytes "
                  "with SHA-256 {}",
                  row.file.id, school_id, result.content.size(), actual_sha256, row.file.size_bytes, row.file.sha256);
    return Internal("FILE_CORRUPTED",
                    absl::StrCat("stored file ", row.file.id, " does not match its recorded size or SHA-256"));
  }

  const absl::Time downloaded_at = TruncateToMicros(now);
  RETURN_IF_ERROR(s.Execute("INSERT INTO stored_file_downloads (file_id, school_id, record_type, record_id, "
                            "actor_user_id, actor_username, trace_id, peer, downloaded_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            {row.file.id, row.file.school_id, row.file.record_type, row.file.record_id,
                             downloader.user_id, downloader.username, downloader.trace_id, downloader.peer,
                             downloaded_at})
                      .status());
  if (options_.on_download) {
    RETURN_IF_ERROR(options_.on_download(s, row.file, downloader, downloaded_at));
  }
  result.file = std::move(row.file);
  return result;
}

absl::Status MySqlFileStore::Delete(db::Session& s, int64_t school_id, absl::string_view file_id,
                                    absl::string_view deleted_by, absl::Time now) {
  ASSIGN_OR_RETURN(int64_t marked,
                   s.Execute("UPDATE stored_files SET deleted_at = ?, deleted_by = ? "
                             "WHERE id = ? AND school_id = ? AND deleted_at IS NULL",
                             {TruncateToMicros(now), std::string(deleted_by), std::string(file_id), school_id}));
  if (marked == 0) {
    // Either no such file in this school, or it was already deleted.
    return LoadFile(s, school_id, file_id).status();
  }
  return s.Execute("DELETE FROM stored_file_chunks WHERE file_id = ?", {std::string(file_id)}).status();
}

}  // namespace quxiang::filestore

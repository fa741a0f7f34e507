// Storage of uploaded files (agreement scans, termination letters, destination evidence) for
// the service that owns the record they support.
//
// FileStore is the interface, and MySqlFileStore keeps metadata and content in the service's own
// schema. Every call takes the caller's db::Session, so Put commits or rolls back together with
// the record that references the file. An object-store backend would keep the same metadata
// and download tables in MySQL and write the content to the object store inside Put. A
// rolled-back transaction then leaves an orphan object for a sweeper, never a dangling row.
//
// Authorization is the caller's: the owning service decides who may see the record, then calls
// Get. The store only scopes every lookup by school, so an id from another school reads as
// NOT_FOUND, and records every download (stored_file_downloads, plus an optional hook for the
// service's own audit log).
//
// A service creates the tables by applying WithFileStoreMigrations(its own migrations).
//
// Example, in a service's transaction:
//   filestore::NewFile file{school_id, "signing.paper_registration", record_id, request.file_name(),
//                           request.content(), principal.user_id};
//   ASSIGN_OR_RETURN(filestore::StoredFile stored, store.Put(s, file, clock.Now()));
//   RETURN_IF_ERROR(s.Execute("UPDATE paper_registrations SET scan_file_id = ? WHERE id = ?",
//                             {stored.id, record_id}).status());
#ifndef QUXIANG_LIBS_FILESTORE_FILE_STORE_H_
#define QUXIANG_LIBS_FILESTORE_FILE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/filestore/content.h"
#include "libs/filestore/file_name.h"

namespace quxiang::filestore {

// The file store migrations, named "filestore/NNNN_name.sql".
const std::vector<db::MigrationFile>& Migrations();

// The file store migrations followed by `service_files`, for db::ApplyMigrations. Composes with
// review::WithReviewMigrations.
std::vector<db::MigrationFile> WithFileStoreMigrations(const std::vector<db::MigrationFile>& service_files);

// An upload to store.
struct NewFile {
  int64_t school_id = 0;
  // The owning record: a constant of the service such as "signing.paper_registration" (ASCII,
  // at most 64 characters) and the record's id (at most 64 characters).
  std::string record_type;
  std::string record_id;
  // The name the client sent. Put stores SanitizeFileName of it.
  std::string file_name;
  std::string content;
  // The user id of the uploader.
  std::string created_by;
};

// The metadata of a stored file.
struct StoredFile {
  std::string id;
  int64_t school_id = 0;
  std::string record_type;
  std::string record_id;
  FileType type = FileType::kPdf;
  int64_t size_bytes = 0;
  // SHA-256 of the content, 64 lowercase hex digits.
  std::string sha256;
  std::string original_name;
  std::string created_by;
  absl::Time created_at;
  std::optional<absl::Time> deleted_at;
  std::string deleted_by;

  std::string content_type() const { return std::string(ContentTypeOf(type)); }
  // The name to put in Content-Disposition, see DownloadFileName.
  std::string download_name() const { return DownloadFileName(original_name, type); }
};

// A file's metadata and its content.
struct FileContent {
  StoredFile file;
  std::string content;
};

// The user who downloads a file, as written to the download log.
struct Downloader {
  std::string user_id;
  std::string username;
  // The x-request-id of the call.
  std::string trace_id;
  // The client address.
  std::string peer;
};

// Called by Get in the caller's session after the download row is written, for a service that
// also keeps the download in its own audit log. An error fails the Get. In a transaction it also
// rolls back the download row, but in autocommit mode that row is already committed.
using DownloadHook =
    std::function<absl::Status(db::Session&, const StoredFile&, const Downloader&, absl::Time downloaded_at)>;

struct FileStoreOptions {
  // Uploads larger than this fail with FILE_TOO_LARGE before anything is written. A value of 0
  // or less means kDefaultMaxFileBytes.
  int64_t max_file_bytes = kDefaultMaxFileBytes;
  // Content is stored in rows of at most this many bytes, clamped to 4 KiB - 8 MiB. 256 KiB keeps each INSERT far below
  // the default max_allowed_packet (16 MiB on MariaDB 10.2+ and 64 MiB on MySQL 8.0).
  int64_t chunk_bytes = 256 * 1024;
  DownloadHook on_download;
};

class FileStore {
 public:
  virtual ~FileStore() = default;

  // Checks the file (size limit first, then DetectFileType) and stores it with a new random id.
  // Errors: the INVALID_ARGUMENT errors of DetectFileType, returned before any statement runs.
  // INTERNAL for a NewFile without school, record or uploader. The database errors of libs/db.
  virtual absl::StatusOr<StoredFile> Put(db::Session& s, const NewFile& file, absl::Time now) = 0;

  // The metadata of a file of `school_id`, deleted or not. NOT_FOUND (FILE_NOT_FOUND) when no
  // such file exists in that school.
  virtual absl::StatusOr<StoredFile> Stat(db::Session& s, int64_t school_id, absl::string_view file_id) = 0;

  // The files of one record that are not deleted, oldest first.
  virtual absl::StatusOr<std::vector<StoredFile>> ListForRecord(db::Session& s, int64_t school_id,
                                                                absl::string_view record_type,
                                                                absl::string_view record_id) = 0;

  // Reads a file's content after the caller has authorized `downloader` for the record, and
  // records the download. NOT_FOUND (FILE_NOT_FOUND) for a missing or deleted file, INTERNAL
  // (FILE_CORRUPTED) when the stored content no longer matches its size or SHA-256. Run it in
  // a transaction or in autocommit mode: either way the download row is committed when the
  // content is returned.
  virtual absl::StatusOr<FileContent> Get(db::Session& s, int64_t school_id, absl::string_view file_id,
                                          const Downloader& downloader, absl::Time now) = 0;

  // Marks a file deleted and removes its content, but keeps the metadata row. Deleting a deleted
  // file changes nothing and returns OK. NOT_FOUND (FILE_NOT_FOUND) when no such file exists.
  virtual absl::Status Delete(db::Session& s, int64_t school_id, absl::string_view file_id,
                              absl::string_view deleted_by, absl::Time now) = 0;
};

// Metadata, content and the download log in the service's MySQL schema.
class MySqlFileStore : public FileStore {
 public:
  explicit MySqlFileStore(FileStoreOptions options = {});

  const FileStoreOptions& options() const { return options_; }

  absl::StatusOr<StoredFile> Put(db::Session& s, const NewFile& file, absl::Time now) override;
  absl::StatusOr<StoredFile> Stat(db::Session& s, int64_t school_id, absl::string_view file_id) override;
  absl::StatusOr<std::vector<StoredFile>> ListForRecord(db::Session& s, int64_t school_id,
                                                        absl::string_view record_type,
                                                        absl::string_view record_id) override;
  absl::StatusOr<FileContent> Get(db::Session& s, int64_t school_id, absl::string_view file_id,
                                  const Downloader& downloader, absl::Time now) override;
  absl::Status Delete(db::Session& s, int64_t school_id, absl::string_view file_id,
                      absl::string_view deleted_by, absl::Time now) override;

 private:
  FileStoreOptions options_;
};

// SHA-256 of `content` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view content);

}  // namespace quxiang::filestore

#endif  // QUXIANG_LIBS_FILESTORE_FILE_STORE_H_

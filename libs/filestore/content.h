// Checks of an uploaded file before it is stored: its type recognised from its bytes, its size
// limit, and a file name that is safe to store and show.
//
// The type comes only from the content (magic numbers plus a structural check), never from the
// file name or the Content-Type the client declared, so an HTML page or a script renamed to
// "scan.jpg" is rejected. Only JPEG, PNG and PDF are accepted: the formats of agreement scans,
// termination letters and destination evidence.
#ifndef QUXIANG_LIBS_FILESTORE_CONTENT_H_
#define QUXIANG_LIBS_FILESTORE_CONTENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::filestore {

enum class FileType { kJpeg, kPng, kPdf };

// The MIME type to store and to serve the file with: "image/jpeg", "image/png" or
// "application/pdf".
absl::string_view ContentTypeOf(FileType type);
// The file name extension with its dot: ".jpg", ".png" or ".pdf".
absl::string_view ExtensionOf(FileType type);
// The inverse of ContentTypeOf. Any other string is INTERNAL.
absl::StatusOr<FileType> FileTypeFromContentType(absl::string_view content_type);

// The default upload limit, 10 MiB. A phone photo of an A4 page is 2-6 MB as JPEG and a
// four-page agreement scanned to PDF at 300 dpi stays under 10 MB, so the limit leaves room for
// real scans while a service never holds more than 10 MiB of one upload in memory.
inline constexpr int64_t kDefaultMaxFileBytes = 10 * 1024 * 1024;

// Recognises `content` as JPEG, PNG or PDF. Errors, all INVALID_ARGUMENT with a zh-CN message
// that names `file_name` (already sanitised, used only in messages):
//   EMPTY_FILE             no bytes.
//   FILE_TOO_LARGE         more than `max_bytes` bytes (checked first, metadata max_bytes).
//   UNSUPPORTED_FILE_TYPE  no JPEG, PNG or PDF signature at the start.
//   FILE_DAMAGED           the signature of a supported type, but its structure is broken or
//                          cut off (metadata detected_type).
absl::StatusOr<FileType> DetectFileType(absl::string_view content, absl::string_view file_name,
                                        int64_t max_bytes = kDefaultMaxFileBytes);

// The FILE_TOO_LARGE error for a file of `size_bytes`, for callers that know the size before
// they have the content (an HTTP Content-Length, for example).
absl::Status FileTooLarge(int64_t size_bytes, int64_t max_bytes);

// The longest file name kept, in Unicode code points.
inline constexpr int kMaxFileNameCodePoints = 120;

// A file name that is safe to store and show: only the part after the last '/' or '\',
// invalid UTF-8 replaced by U+FFFD, control characters (C0, DEL, C1), bidirectional overrides
// and zero-width characters removed, surrounding spaces and dots trimmed, and at most
// kMaxFileNameCodePoints code points, keeping a short extension when the stem is cut.
// Returns "" when nothing is left.
std::string SanitizeFileName(absl::string_view name);

// The name to offer for a download: `stored_name`, or "未命名" when it is empty, with the
// extension of `type` appended unless the name already ends with it (case-insensitive, and
// ".jpeg" counts for JPEG). So a PNG stored as "page.html" downloads as "page.html.png".
std::string DownloadFileName(absl::string_view stored_name, FileType type);

}  // namespace quxiang::filestore

#endif  // QUXIANG_LIBS_FILESTORE_CONTENT_H_

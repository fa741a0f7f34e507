// Checks of an uploaded file's content before it is stored: its type recognised from its bytes
// and its size limit. file_name.h makes the client's file name safe to store.
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

// The default upload limit, 10 MiB. By estimate (not measured here), a phone photo of an A4
// page is 2-6 MB as JPEG and a four-page agreement scanned to PDF stays under 10 MB, so the
// limit leaves room for real scans while bounding the memory one upload takes in a service.
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

}  // namespace quxiang::filestore

#endif  // QUXIANG_LIBS_FILESTORE_CONTENT_H_

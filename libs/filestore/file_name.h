// The client's file name of an upload, made safe to store and show, and the name offered when
// the file is downloaded. The name is only a label: the store never uses it as a path, and the
// type comes from the content (content.h).
#ifndef QUXIANG_LIBS_FILESTORE_FILE_NAME_H_
#define QUXIANG_LIBS_FILESTORE_FILE_NAME_H_

#include <string>

#include "absl/strings/string_view.h"
#include "libs/filestore/content.h"

namespace quxiang::filestore {

// The maximum length of a stored file name, in Unicode code points.
inline constexpr int kMaxFileNameCodePoints = 120;

// Returns a file name that is safe to store and show. It keeps only the part after the last '/'
// or '\' and replaces invalid UTF-8 by U+FFFD. It removes control characters (C0, DEL, C1),
// bidirectional overrides and zero-width characters, and trims surrounding spaces and dots. A
// name longer than kMaxFileNameCodePoints is cut, keeping a short extension. Returns "" when
// nothing is left.
std::string SanitizeFileName(absl::string_view name);

// The name to offer for a download: `stored_name`, or "未命名" when it is empty, with the
// extension of `type` appended unless the name already ends with it (case-insensitive, and
// ".jpeg" counts for JPEG). So a PNG stored as "page.html" downloads as "page.html.png".
std::string DownloadFileName(absl::string_view stored_name, FileType type);

}  // namespace quxiang::filestore

#endif  // QUXIANG_LIBS_FILESTORE_FILE_NAME_H_

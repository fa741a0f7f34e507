// Files of the built web console, served for GET and HEAD of every path outside /v1.
#ifndef QUXIANG_SERVICES_GATEWAY_STATIC_FILES_H_
#define QUXIANG_SERVICES_GATEWAY_STATIC_FILES_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::gateway {

struct StaticFile {
  std::string content;
  std::string content_type;
  std::string cache_control;
};

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // Finds the file for a request path (no query string). "/" and paths ending in "/" serve
  // index.html of that folder. A path whose last segment has no extension and names no file
  // serves the root index.html, so that the console's client-side routes survive a reload.
  // Returns NOT_FOUND for missing files and for paths that try to leave the root: "..", "."
  // and hidden segments, backslashes and NUL, in plain or percent-encoded form.
  //
  // NOTE: files are read with blocking I/O on the calling thread, which is fine for the small
  // files of a built console on a local disk but not for large downloads.
  absl::StatusOr<StaticFile> Find(absl::string_view path) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  absl::StatusOr<StaticFile> Read(const std::filesystem::path& file) const;

  std::filesystem::path root_;
};

// The Content-Type for a file name by its extension; application/octet-stream when unknown.
std::string ContentTypeFor(absl::string_view file_name);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_STATIC_FILES_H_

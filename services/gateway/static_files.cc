#include "services/gateway/static_files.h"

#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/gateway/path_template.h"

namespace quxiang::gateway {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexFile[] = "index.html";

bool IsUnder(const fs::path& file, const fs::path& root) {
  auto [root_end, file_it] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return root_end == root.end();
}

}  // namespace

std::string ContentTypeFor(absl::string_view file_name) {
  size_t dot = file_name.rfind('.');
  std::string extension =
      dot == absl::string_view::npos ? "" : absl::AsciiStrToLower(file_name.substr(dot + 1));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json; charset=utf-8"},
      {"map", "application/json; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
      {"pdf", "application/pdf"},
  };
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root) : root_(std::move(root)) {
  std::error_code error;
  fs::path canonical = fs::canonical(root_, error);
  if (!error) root_ = canonical;
}

absl::StatusOr<StaticFile> StaticFiles::Find(absl::string_view path) const {
  absl::Status not_found = absl::NotFoundError(absl::StrCat("no file for ", path));
  std::optional<std::string> decoded = PercentDecode(path);
  if (!decoded.has_value() || decoded->empty() || decoded->front() != '/') return not_found;
  if (absl::StrContains(*decoded, '\\') || absl::StrContains(*decoded, '\0')) return not_found;

  std::vector<std::string> segments =
      absl::StrSplit(absl::string_view(*decoded).substr(1), '/', absl::SkipEmpty());
  for (const std::string& segment : segments) {
    if (segment.front() == '.') return not_found;
  }

  fs::path file = root_;
  for (const std::string& segment : segments) file /= segment;
  bool names_folder = decoded->back() == '/';
  if (names_folder || segments.empty()) file /= kIndexFile;

  std::error_code error;
  if (fs::is_regular_file(file, error)) {
    // A symbolic link inside the root may still point outside it.
    fs::path canonical = fs::canonical(file, error);
    if (error || !IsUnder(canonical, root_)) return not_found;
    return Read(canonical);
  }

  bool has_extension = !segments.empty() && absl::StrContains(segments.back(), '.');
  if (names_folder || has_extension) return not_found;
  return Read(root_ / kIndexFile);
}

absl::StatusOr<StaticFile> StaticFiles::Read(const fs::path& file) const {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return absl::NotFoundError(absl::StrCat("cannot open ", file.string()));
  std::ostringstream content;
  content << stream.rdbuf();

  StaticFile result;
  result.content = content.str();
  result.content_type = ContentTypeFor(file.filename().string());
  // NOTE: files under assets/ are taken to be bundler output with a content hash in the name,
  // so they are cached for a year. Everything else, index.html included, is revalidated on
  // each use, because index.html names the asset files of the current build.
  bool hashed_asset = IsUnder(file, root_ / "assets");
  result.cache_control = hashed_asset ? "public, max-age=31536000, immutable" : "no-cache";
  return result;
}

}  // namespace quxiang::gateway

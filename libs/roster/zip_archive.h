// A small reader of ZIP archives (the container of XLSX files) over an in-memory copy of the file.
// It reads the central directory and stored or deflated entries (inflated with zlib), checks
// CRC-32, and applies limits that stop a zip bomb before it uses memory or time.
//
// It rejects, with a zh-CN error for a school employee, ZIP64 archives and archives split over
// several disks, because a roster workbook needs neither. It also rejects encrypted entries,
// compression methods other than stored and deflate, and archives whose declared or actual
// uncompressed size or entry count exceeds the limits.
#ifndef QUXIANG_LIBS_ROSTER_ZIP_ARCHIVE_H_
#define QUXIANG_LIBS_ROSTER_ZIP_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::roster::internal {

struct ZipLimits {
  // The maximum number of entries in the central directory.
  std::size_t max_entries = 0;
  // The maximum sum of the uncompressed sizes, applied both to the sizes the central directory
  // declares for all entries and to the bytes actually inflated, because a declared size can lie.
  std::uint64_t max_uncompressed_bytes = 0;
};

struct ZipEntry {
  std::string name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint64_t local_header_offset = 0;
};

// The ROSTER_XLSX_INVALID error: the workbook is damaged or uses a feature the reader lacks.
// `detail` (English) goes into the metadata for logs, and the message explains how to re-save.
absl::Status XlsxInvalidError(absl::string_view detail);

class ZipArchive;

// The uncompressed bytes of one entry, produced a chunk at a time.
class ZipEntryReader {
 public:
  ~ZipEntryReader();
  ZipEntryReader(const ZipEntryReader&) = delete;
  ZipEntryReader& operator=(const ZipEntryReader&) = delete;

  // Appends the next chunk (at most 64 KiB) to `out` and returns true, or returns false at the
  // end of the entry after checking its size and CRC-32.
  absl::StatusOr<bool> ReadMore(std::string* out);

 private:
  friend class ZipArchive;
  struct Inflater;

  ZipEntryReader(ZipArchive* archive, const ZipEntry* entry, absl::string_view compressed);

  absl::Status Finish();

  ZipArchive* archive_;
  const ZipEntry* entry_;
  absl::string_view compressed_;
  std::unique_ptr<Inflater> inflater_;
  std::uint64_t produced_ = 0;
  std::uint32_t crc_ = 0;
  bool done_ = false;
};

class ZipArchive {
 public:
  // Reads the central directory of `data`, which must outlive the archive and its readers.
  static absl::StatusOr<std::unique_ptr<ZipArchive>> Open(absl::string_view data, const ZipLimits& limits);

  // The entry named `name` (exact, case-sensitive), or nullptr.
  const ZipEntry* Find(absl::string_view name) const;

  // Starts reading `entry`, which must come from Find or entries() of this archive.
  absl::StatusOr<std::unique_ptr<ZipEntryReader>> OpenEntry(const ZipEntry& entry);

  // Reads all of `entry` into a string.
  absl::StatusOr<std::string> ReadEntry(const ZipEntry& entry);

  const std::vector<ZipEntry>& entries() const { return entries_; }

 private:
  friend class ZipEntryReader;

  ZipArchive(absl::string_view data, const ZipLimits& limits) : data_(data), limits_(limits) {}

  absl::Status ReadCentralDirectory();

  absl::string_view data_;
  ZipLimits limits_;
  std::vector<ZipEntry> entries_;
  // Bytes inflated so far from all entries, bounded by limits_.max_uncompressed_bytes.
  std::uint64_t inflated_bytes_ = 0;
};

}  // namespace quxiang::roster::internal

#endif  // QUXIANG_LIBS_ROSTER_ZIP_ARCHIVE_H_

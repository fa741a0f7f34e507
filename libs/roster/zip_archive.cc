#include "libs/roster/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/roster/roster_errors.h"
#include "libs/status/error.h"

namespace quxiang::roster::internal {
namespace {

constexpr std::uint32_t kEndOfCentralDirectorySignature = 0x06054b50;
constexpr std::uint32_t kCentralDirectorySignature = 0x02014b50;
constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::size_t kEndOfCentralDirectorySize = 22;
constexpr std::size_t kCentralDirectoryEntrySize = 46;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kMaxCommentSize = 0xFFFF;

constexpr std::uint16_t kMethodStored = 0;
constexpr std::uint16_t kMethodDeflated = 8;
constexpr std::uint16_t kFlagEncrypted = 0x0001;

constexpr std::size_t kChunkSize = 64 * 1024;

std::uint16_t ReadU16(absl::string_view data, std::size_t pos) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(data[pos]) |
                                    (static_cast<unsigned char>(data[pos + 1]) << 8));
}

std::uint32_t ReadU32(absl::string_view data, std::size_t pos) {
  return static_cast<std::uint32_t>(ReadU16(data, pos)) | (static_cast<std::uint32_t>(ReadU16(data, pos + 2)) << 16);
}

std::uint64_t ToMegabytes(std::uint64_t bytes) { return bytes / (1024 * 1024); }

absl::Status TooLargeError(absl::string_view problem_zh, absl::string_view detail) {
  return InvalidArgument(
      kRosterXlsxTooLarge,
      absl::StrCat("该 xlsx 文件", problem_zh,
                   "，超出名单导入的上限，为防止恶意压缩文件已拒绝读取。请删除名单以外的工作表、图片等内容后另存，"
                   "或另存为 CSV 格式后再上传。"),
      {{"detail", std::string(detail)}});
}

}  // namespace

absl::Status XlsxInvalidError(absl::string_view detail) {
  return InvalidArgument(kRosterXlsxInvalid,
                         "无法读取该 xlsx 文件：文件已损坏，或不是 Excel 保存的工作簿格式。请用 Excel 打开后另存为"
                         "“Excel 工作簿 (*.xlsx)”或“CSV UTF-8 (逗号分隔)”再上传。",
                         {{"detail", std::string(detail)}});
}

struct ZipEntryReader::Inflater {
  z_stream stream{};
  bool initialized = false;

  ~Inflater() {
    if (initialized) inflateEnd(&stream);
  }
};

absl::StatusOr<std::unique_ptr<ZipArchive>> ZipArchive::Open(absl::string_view data, const ZipLimits& limits) {
  std::unique_ptr<ZipArchive> archive(new ZipArchive(data, limits));
  absl::Status status = archive->ReadCentralDirectory();
  if (!status.ok()) return status;
  return archive;
}

absl::Status ZipArchive::ReadCentralDirectory() {
  if (data_.size() < kEndOfCentralDirectorySize) return XlsxInvalidError("shorter than a ZIP end record");

  // The end record sits at the very end, followed only by an archive comment of up to 64 KiB.
  std::size_t end_record = absl::string_view::npos;
  const std::size_t last_start = data_.size() - kEndOfCentralDirectorySize;
  const std::size_t first_start = last_start > kMaxCommentSize ? last_start - kMaxCommentSize : 0;
  for (std::size_t pos = last_start + 1; pos-- > first_start;) {
    if (ReadU32(data_, pos) == kEndOfCentralDirectorySignature) {
      end_record = pos;
      break;
    }
  }
  if (end_record == absl::string_view::npos) return XlsxInvalidError("no ZIP end of central directory record");

  const std::uint16_t disk = ReadU16(data_, end_record + 4);
  const std::uint16_t directory_disk = ReadU16(data_, end_record + 6);
  const std::uint16_t entries_on_disk = ReadU16(data_, end_record + 8);
  const std::uint16_t entry_count = ReadU16(data_, end_record + 10);
  const std::uint32_t directory_size = ReadU32(data_, end_record + 12);
  const std::uint32_t directory_offset = ReadU32(data_, end_record + 16);
  if (entry_count == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF) {
    return TooLargeError("使用了 ZIP64 大文件格式", "ZIP64 archives are not supported");
  }
  if (disk != 0 || directory_disk != 0 || entries_on_disk != entry_count) {
    return XlsxInvalidError("the archive spans several disks");
  }
  if (entry_count > limits_.max_entries) {
    return TooLargeError(absl::StrCat("包含 ", entry_count, " 个内部文件（上限 ", limits_.max_entries, " 个）"),
                         absl::StrCat(entry_count, " entries, limit ", limits_.max_entries));
  }
  if (static_cast<std::uint64_t>(directory_offset) + directory_size > end_record) {
    return XlsxInvalidError("the central directory lies outside the file");
  }

  std::uint64_t declared_total = 0;
  std::size_t pos = directory_offset;
  for (std::uint16_t i = 0; i < entry_count; ++i) {
    if (pos + kCentralDirectoryEntrySize > end_record || ReadU32(data_, pos) != kCentralDirectorySignature) {
      return XlsxInvalidError(absl::StrCat("central directory entry ", i, " is damaged"));
    }
    ZipEntry entry;
    entry.flags = ReadU16(data_, pos + 8);
    entry.method = ReadU16(data_, pos + 10);
    entry.crc32 = ReadU32(data_, pos + 16);
    entry.compressed_size = ReadU32(data_, pos + 20);
    entry.uncompressed_size = ReadU32(data_, pos + 24);
    const std::uint16_t name_length = ReadU16(data_, pos + 28);
    const std::uint16_t extra_length = ReadU16(data_, pos + 30);
    const std::uint16_t comment_length = ReadU16(data_, pos + 32);
    entry.local_header_offset = ReadU32(data_, pos + 42);
    const std::size_t next = pos + kCentralDirectoryEntrySize + name_length + extra_length + comment_length;
    if (next > end_record) return XlsxInvalidError(absl::StrCat("central directory entry ", i, " is cut off"));
    entry.name = std::string(data_.substr(pos + kCentralDirectoryEntrySize, name_length));

    if (entry.compressed_size == 0xFFFFFFFF || entry.uncompressed_size == 0xFFFFFFFF ||
        entry.local_header_offset == 0xFFFFFFFF) {
      return TooLargeError("使用了 ZIP64 大文件格式", absl::StrCat("entry ", entry.name, " has ZIP64 sizes"));
    }
    declared_total += entry.uncompressed_size;
    if (declared_total > limits_.max_uncompressed_bytes) {
      return TooLargeError(
          absl::StrCat("解压后超过 ", ToMegabytes(limits_.max_uncompressed_bytes), " MB"),
          absl::StrCat("declared uncompressed size exceeds ", limits_.max_uncompressed_bytes, " bytes at entry ",
                       entry.name));
    }
    entries_.push_back(std::move(entry));
    pos = next;
  }
  return absl::OkStatus();
}

const ZipEntry* ZipArchive::Find(absl::string_view name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<ZipEntryReader>> ZipArchive::OpenEntry(const ZipEntry& entry) {
  if ((entry.flags & kFlagEncrypted) != 0) {
    return InvalidArgument(kRosterXlsxInvalid,
                           "该 xlsx 文件设置了打开密码，无法读取。请在 Excel 中取消密码后另存，再上传。",
                           {{"detail", absl::StrCat("entry ", entry.name, " is encrypted")}});
  }
  if (entry.method != kMethodStored && entry.method != kMethodDeflated) {
    return XlsxInvalidError(absl::StrCat("entry ", entry.name, " uses compression method ", entry.method));
  }

  const std::uint64_t header = entry.local_header_offset;
  if (header + kLocalHeaderSize > data_.size() || ReadU32(data_, header) != kLocalHeaderSignature) {
    return XlsxInvalidError(absl::StrCat("the local header of entry ", entry.name, " is damaged"));
  }
  const std::uint64_t data_start =
      header + kLocalHeaderSize + ReadU16(data_, header + 26) + ReadU16(data_, header + 28);
  if (data_start + entry.compressed_size > data_.size()) {
    return XlsxInvalidError(absl::StrCat("the data of entry ", entry.name, " lies outside the file"));
  }
  if (entry.method == kMethodStored && entry.compressed_size != entry.uncompressed_size) {
    return XlsxInvalidError(absl::StrCat("stored entry ", entry.name, " has different sizes"));
  }

  std::unique_ptr<ZipEntryReader> reader(
      new ZipEntryReader(this, &entry, data_.substr(data_start, entry.compressed_size)));
  if (entry.method == kMethodDeflated) {
    reader->inflater_ = std::make_unique<ZipEntryReader::Inflater>();
    z_stream& stream = reader->inflater_->stream;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(reader->compressed_.data()));
    stream.avail_in = static_cast<uInt>(reader->compressed_.size());
    // Negative window bits: raw deflate data, as ZIP stores it, without a zlib header.
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit2 failed");
    reader->inflater_->initialized = true;
  }
  return reader;
}

absl::StatusOr<std::string> ZipArchive::ReadEntry(const ZipEntry& entry) {
  absl::StatusOr<std::unique_ptr<ZipEntryReader>> reader = OpenEntry(entry);
  if (!reader.ok()) return reader.status();
  std::string contents;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->ReadMore(&contents);
    if (!more.ok()) return more.status();
    if (!*more) return contents;
  }
}

ZipEntryReader::ZipEntryReader(ZipArchive* archive, const ZipEntry* entry, absl::string_view compressed)
    : archive_(archive), entry_(entry), compressed_(compressed), crc_(static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0))) {}

ZipEntryReader::~ZipEntryReader() = default;

absl::StatusOr<bool> ZipEntryReader::ReadMore(std::string* out) {
  if (done_) return false;

  const std::size_t old_size = out->size();
  std::size_t chunk = 0;
  bool stream_end = false;
  if (inflater_ == nullptr) {
    chunk = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkSize, compressed_.size() - produced_));
    out->append(compressed_.data() + produced_, chunk);
    stream_end = produced_ + chunk == compressed_.size();
  } else {
    out->resize(old_size + kChunkSize);
    z_stream& stream = inflater_->stream;
    stream.next_out = reinterpret_cast<Bytef*>(out->data() + old_size);
    stream.avail_out = static_cast<uInt>(kChunkSize);
    const int result = inflate(&stream, Z_NO_FLUSH);
    chunk = kChunkSize - stream.avail_out;
    out->resize(old_size + chunk);
    if (result == Z_STREAM_END) {
      stream_end = true;
    } else if (result != Z_OK && !(result == Z_BUF_ERROR && chunk > 0)) {
      return XlsxInvalidError(absl::StrCat("entry ", entry_->name, " does not inflate (zlib error ", result, ")"));
    } else if (chunk == 0 && stream.avail_in == 0) {
      return XlsxInvalidError(absl::StrCat("the deflate data of entry ", entry_->name, " is cut off"));
    }
  }

  produced_ += chunk;
  archive_->inflated_bytes_ += chunk;
  if (produced_ > entry_->uncompressed_size) {
    // The data is larger than its declared size: a zip bomb, or a damaged archive.
    return TooLargeError("中的内容比声明的大小更大",
                         absl::StrCat("entry ", entry_->name, " inflates past its declared size ",
                                      entry_->uncompressed_size));
  }
  if (archive_->inflated_bytes_ > archive_->limits_.max_uncompressed_bytes) {
    return TooLargeError(absl::StrCat("解压后超过 ", ToMegabytes(archive_->limits_.max_uncompressed_bytes), " MB"),
                         absl::StrCat("inflated bytes exceed ", archive_->limits_.max_uncompressed_bytes));
  }
  crc_ = static_cast<std::uint32_t>(
      crc32(crc_, reinterpret_cast<const Bytef*>(out->data() + old_size), static_cast<uInt>(chunk)));

  if (stream_end) {
    absl::Status finished = Finish();
    if (!finished.ok()) return finished;
  }
  return chunk > 0 || !done_;
}

absl::Status ZipEntryReader::Finish() {
  done_ = true;
  if (produced_ != entry_->uncompressed_size) {
    return XlsxInvalidError(absl::StrCat("entry ", entry_->name, " has ", produced_, " bytes, but its declared size is ",
                                         entry_->uncompressed_size));
  }
  if (crc_ != entry_->crc32) return XlsxInvalidError(absl::StrCat("entry ", entry_->name, " fails its CRC-32 check"));
  return absl::OkStatus();
}

}  // namespace quxiang::roster::internal

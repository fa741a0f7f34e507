#include "libs/filestore/content.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "libs/status/error.h"
#include "zlib.h"

namespace quxiang::filestore {
namespace {

constexpr char kFileTypeHelp[] = "只能上传 JPG、PNG 或 PDF 文件，请重新选择文件。";

uint8_t ByteAt(absl::string_view data, size_t index) { return static_cast<uint8_t>(data[index]); }

uint32_t BigEndian16(absl::string_view data, size_t index) {
  return (static_cast<uint32_t>(ByteAt(data, index)) << 8) | ByteAt(data, index + 1);
}

uint32_t BigEndian32(absl::string_view data, size_t index) {
  return (BigEndian16(data, index) << 16) | BigEndian16(data, index + 2);
}

// --- JPEG -------------------------------------------------------------------------------------

// Start-of-frame markers: SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool IsStartOfFrame(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the marker segments from SOI to the first start of scan (SOS), checking that each
// segment fits in the file and that a frame header with a width and 1-4 components comes first,
// then requires EOI at the end. Bytes 0x00 after EOI are allowed because some cameras pad files.
// NOTE: other data after EOI is rejected as FILE_DAMAGED, which includes phone "motion photos"
// that append a video to the JPEG. The user has to export the photo as a plain JPEG first.
bool IsCompleteJpeg(absl::string_view data) {
  const size_t size = data.size();
  size_t pos = 2;  // after SOI
  bool frame_seen = false;
  while (true) {
    if (pos >= size || ByteAt(data, pos) != 0xFF) return false;
    while (pos < size && ByteAt(data, pos) == 0xFF) ++pos;  // fill bytes
    if (pos >= size) return false;
    const uint8_t marker = ByteAt(data, pos++);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    // 0x00 is not a marker, and a second SOI or an EOI before any scan means a broken file.
    if (marker == 0x00 || marker == 0xD8 || marker == 0xD9) return false;
    if (pos + 2 > size) return false;
    const size_t length = BigEndian16(data, pos);
    if (length < 2 || pos + length > size) return false;
    if (IsStartOfFrame(marker)) {
      if (length < 8) return false;
      const uint32_t width = BigEndian16(data, pos + 5);
      const uint32_t components = ByteAt(data, pos + 7);
      if (width == 0 || components == 0 || components > 4 || length != 8 + 3 * components) return false;
      frame_seen = true;
    }
    pos += length;
    if (marker == 0xDA) {
      if (!frame_seen) return false;
      break;
    }
  }

  size_t end = size;
  while (end > pos && ByteAt(data, end - 1) == 0x00) --end;
  // At least one byte of entropy-coded data, then EOI.
  return end >= pos + 3 && ByteAt(data, end - 2) == 0xFF && ByteAt(data, end - 1) == 0xD9;
}

// --- PNG --------------------------------------------------------------------------------------

constexpr char kPngSignature[] = "\x89PNG\r\n\x1a\n";

bool IsValidPngHeader(absl::string_view ihdr) {
  const uint32_t width = BigEndian32(ihdr, 0);
  const uint32_t height = BigEndian32(ihdr, 4);
  const uint8_t bit_depth = ByteAt(ihdr, 8);
  const uint8_t color_type = ByteAt(ihdr, 9);
  if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu) return false;
  // Compression method, filter method and interlace method: 0, 0 and 0 (none) or 1 (Adam7).
  if (ByteAt(ihdr, 10) != 0 || ByteAt(ihdr, 11) != 0 || ByteAt(ihdr, 12) > 1) return false;
  switch (color_type) {
    case 0:  // greyscale
      return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8 || bit_depth == 16;
    case 3:  // palette
      return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8;
    case 2:  // truecolour
    case 4:  // greyscale with alpha
    case 6:  // truecolour with alpha
      return bit_depth == 8 || bit_depth == 16;
    default:
      return false;
  }
}

// Walks every chunk after the signature: IHDR first, each chunk's length within the file, its
// type four ASCII letters and its CRC-32 correct, no unknown critical chunk, PLTE before the
// image data of a palette image, at least one IDAT, and nothing after IEND.
bool IsCompletePng(absl::string_view data) {
  const size_t size = data.size();
  size_t pos = 8;
  bool first = true;
  bool palette_image = false;
  bool palette_seen = false;
  bool image_data_seen = false;
  while (true) {
    if (pos + 12 > size) return false;
    const uint32_t length = BigEndian32(data, pos);
    if (length > 0x7FFFFFFFu || length > size - pos - 12) return false;
    const absl::string_view type = data.substr(pos + 4, 4);
    for (char c : type) {
      if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
    }
    const absl::string_view body = data.substr(pos + 8, length);
    const uint32_t stored_crc = BigEndian32(data, pos + 8 + length);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(type.data()), 4);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    if (static_cast<uint32_t>(crc) != stored_crc) return false;
    pos += 12 + length;

    if (first) {
      if (type != "IHDR" || length != 13 || !IsValidPngHeader(body)) return false;
      palette_image = ByteAt(body, 9) == 3;
      first = false;
    } else if (type == "IHDR") {
      return false;
    } else if (type == "PLTE") {
      if (image_data_seen || length == 0 || length % 3 != 0) return false;
      palette_seen = true;
    } else if (type == "IDAT") {
      if (palette_image && !palette_seen) return false;
      image_data_seen = true;
    } else if (type == "IEND") {
      return length == 0 && image_data_seen && pos == size;
    } else if (absl::ascii_isupper(static_cast<unsigned char>(type[0]))) {
      return false;  // an unknown critical chunk, which a decoder must reject
    }
  }
}

// --- PDF --------------------------------------------------------------------------------------

// How far from the end the trailer ("startxref", an offset and "%%EOF") is looked for. The trailer
// is the last lines of a PDF, so this leaves room for trailing whitespace after "%%EOF".
constexpr size_t kPdfTrailerWindow = 1024;

bool IsPdfWhitespace(char c) {
  return c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == '\0';
}

// Requires "%PDF-d.d" at the start and, at the end, "startxref", a byte offset inside the file
// and "%%EOF", followed only by whitespace.
bool IsCompletePdf(absl::string_view data) {
  if (data.size() < 16 || !absl::ascii_isdigit(static_cast<unsigned char>(data[5])) || data[6] != '.' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(data[7]))) {
    return false;
  }
  const size_t tail_start = data.size() > kPdfTrailerWindow ? data.size() - kPdfTrailerWindow : 8;
  absl::string_view tail = data.substr(tail_start);

  size_t end = tail.size();
  while (end > 0 && IsPdfWhitespace(tail[end - 1])) --end;
  tail = tail.substr(0, end);
  if (!absl::EndsWith(tail, "%%EOF")) return false;
  tail.remove_suffix(5);

  end = tail.size();
  while (end > 0 && IsPdfWhitespace(tail[end - 1])) --end;
  size_t digits_start = end;
  while (digits_start > 0 && absl::ascii_isdigit(static_cast<unsigned char>(tail[digits_start - 1]))) {
    --digits_start;
  }
  const size_t digit_count = end - digits_start;
  if (digit_count == 0 || digit_count > 15) return false;
  const uint64_t xref_offset = std::stoull(std::string(tail.substr(digits_start, digit_count)));
  if (xref_offset >= data.size()) return false;

  size_t keyword_end = digits_start;
  while (keyword_end > 0 && IsPdfWhitespace(tail[keyword_end - 1])) --keyword_end;
  if (keyword_end == digits_start) return false;  // no whitespace between keyword and offset
  return absl::EndsWith(tail.substr(0, keyword_end), "startxref");
}

// --- Messages ---------------------------------------------------------------------------------

// A size as the console shows it: KB below 1 MB, else MB with one decimal, where 1 MB is
// 1024 × 1024 bytes as Windows Explorer counts. `round_up` for a file's size, so that a file
// just over the limit never reads as equal to it. The limit itself is rounded down.
std::string FormatSize(int64_t bytes, bool round_up) {
  constexpr int64_t kKiB = 1024;
  constexpr int64_t kMiB = 1024 * 1024;
  if (bytes < kMiB) {
    const int64_t kib = round_up ? (bytes + kKiB - 1) / kKiB : bytes / kKiB;
    return absl::StrCat(kib, " KB");
  }
  const int64_t tenths = round_up ? (bytes * 10 + kMiB - 1) / kMiB : bytes * 10 / kMiB;
  if (tenths % 10 == 0) return absl::StrCat(tenths / 10, " MB");
  return absl::StrFormat("%d.%d MB", tenths / 10, tenths % 10);
}

absl::string_view DisplayTypeName(FileType type) {
  switch (type) {
    case FileType::kJpeg:
      return "JPG 图片";
    case FileType::kPng:
      return "PNG 图片";
    case FileType::kPdf:
      return "PDF 文件";
  }
  return "";
}

absl::Status FileDamaged(FileType type, absl::string_view file_name) {
  return InvalidArgument(
      "FILE_DAMAGED",
      absl::StrCat("文件“", file_name, "”看起来是", DisplayTypeName(type),
                   "，但内容不完整或已损坏（可能没有传完）。请重新导出或重新拍摄后上传。"),
      {{"file_name", std::string(file_name)}, {"detected_type", std::string(ContentTypeOf(type))}});
}

}  // namespace

absl::string_view ContentTypeOf(FileType type) {
  switch (type) {
    case FileType::kJpeg:
      return "image/jpeg";
    case FileType::kPng:
      return "image/png";
    case FileType::kPdf:
      return "application/pdf";
  }
  return "";
}

absl::string_view ExtensionOf(FileType type) {
  switch (type) {
    case FileType::kJpeg:
      return ".jpg";
    case FileType::kPng:
      return ".png";
    case FileType::kPdf:
      return ".pdf";
  }
  return "";
}

absl::StatusOr<FileType> FileTypeFromContentType(absl::string_view content_type) {
  for (FileType type : {FileType::kJpeg, FileType::kPng, FileType::kPdf}) {
    if (content_type == ContentTypeOf(type)) return type;
  }
  return Internal("FILE_CONTENT_TYPE_UNKNOWN",
                  absl::StrCat("stored content type \"", content_type, "\" is not one the file store accepts"));
}

absl::Status FileTooLarge(int64_t size_bytes, int64_t max_bytes) {
  return InvalidArgument("FILE_TOO_LARGE",
                         absl::StrCat("文件大小为 ", FormatSize(size_bytes, /*round_up=*/true), "，超过了 ",
                                      FormatSize(max_bytes, /*round_up=*/false),
                                      " 的上限。请压缩图片或把 PDF 拆分成几个文件后重新上传。"),
                         {{"size_bytes", absl::StrCat(size_bytes)}, {"max_bytes", absl::StrCat(max_bytes)}});
}

absl::StatusOr<FileType> DetectFileType(absl::string_view content, absl::string_view file_name,
                                        int64_t max_bytes) {
  if (static_cast<int64_t>(content.size()) > max_bytes) {
    return FileTooLarge(static_cast<int64_t>(content.size()), max_bytes);
  }
  if (content.empty()) {
    return InvalidArgument("EMPTY_FILE",
                           absl::StrCat("文件“", file_name, "”是空的（0 字节）。", kFileTypeHelp),
                           {{"file_name", std::string(file_name)}});
  }

  if (content.size() >= 3 && ByteAt(content, 0) == 0xFF && ByteAt(content, 1) == 0xD8 &&
      ByteAt(content, 2) == 0xFF) {
    if (!IsCompleteJpeg(content)) return FileDamaged(FileType::kJpeg, file_name);
    return FileType::kJpeg;
  }
  if (absl::StartsWith(content, absl::string_view(kPngSignature, 8))) {
    if (!IsCompletePng(content)) return FileDamaged(FileType::kPng, file_name);
    return FileType::kPng;
  }
  if (absl::StartsWith(content, "%PDF-")) {
    if (!IsCompletePdf(content)) return FileDamaged(FileType::kPdf, file_name);
    return FileType::kPdf;
  }
  return InvalidArgument("UNSUPPORTED_FILE_TYPE",
                         absl::StrCat("文件“", file_name, "”不是 JPG、PNG 或 PDF 格式（系统按文件内容判断，"
                                      "与扩展名无关）。", kFileTypeHelp),
                         {{"file_name", std::string(file_name)}});
}

}  // namespace quxiang::filestore

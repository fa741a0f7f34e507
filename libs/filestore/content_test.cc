// Table tests of content sniffing, the size limit and file name sanitising, on small files built
// from bytes in test_files.cc and on disguised, truncated and damaged variants of them.
#include "libs/filestore/content.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/filestore/file_name.h"
#include "libs/filestore/test_files.h"
#include "libs/status/error.h"

namespace quxiang::filestore {
namespace {

using testing::PngChunk;
using testing::RandomPng;
using testing::TinyJpeg;
using testing::TinyPdf;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Cut(const std::string& data, size_t remove_from_end) {
  return data.substr(0, data.size() - remove_from_end);
}

std::string ReplaceFirst(std::string data, const std::string& from, const std::string& to) {
  const size_t at = data.find(from);
  if (at != std::string::npos) data.replace(at, from.size(), to);
  return data;
}

std::string SmallPng() { return RandomPng(3, 2, 7); }

// A PNG with `chunk` inserted just before IEND.
std::string PngWithChunkBeforeEnd(const std::string& chunk) {
  std::string png = SmallPng();
  png.insert(png.size() - 12, chunk);
  return png;
}

TEST(DetectFileTypeTest, AcceptsValidFiles) {
  struct Case {
    std::string name;
    std::string content;
    FileType expected;
  };
  std::string padded_jpeg = TinyJpeg() + std::string(16, '\0');
  std::string pdf_without_final_newline = TinyPdf();
  pdf_without_final_newline.pop_back();
  const std::vector<Case> cases = {
      {"tiny jpeg", TinyJpeg(), FileType::kJpeg},
      {"jpeg padded with zero bytes", padded_jpeg, FileType::kJpeg},
      {"small png", SmallPng(), FileType::kPng},
      {"png with an ancillary text chunk", PngWithChunkBeforeEnd(PngChunk("tEXt", std::string("Title\0scan", 10))),
       FileType::kPng},
      {"tiny pdf", TinyPdf(), FileType::kPdf},
      {"pdf without final newline", pdf_without_final_newline, FileType::kPdf},
      {"pdf with CRLF after %%EOF", TinyPdf() + "\r\n", FileType::kPdf},
      {"pdf with a 5000-byte comment", TinyPdf(5000), FileType::kPdf},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FileType> type = DetectFileType(c.content, "文件");
    ASSERT_TRUE(type.ok()) << c.name << ": " << type.status();
    EXPECT_EQ(*type, c.expected) << c.name;
  }
}

TEST(DetectFileTypeTest, RejectsOtherTypes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"html named .jpg", "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"},
      {"svg with script", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)"
                          "</script></svg>"},
      {"shell script", "#!/bin/sh\nrm -rf /\n"},
      {"zip or xlsx", Bytes({'P', 'K', 0x03, 0x04, 0x14, 0x00, 0x06, 0x00}) + "[Content_Types].xml"},
      {"gif", "GIF89a" + std::string(20, '\0')},
      {"bmp", "BM" + std::string(60, '\0')},
      {"utf-8 bom before pdf header", "\xEF\xBB\xBF" + TinyPdf()},
      {"space before pdf header", " " + TinyPdf()},
      {"html with a pdf header later", "<html>" + TinyPdf()},
      {"jpeg signature without third byte", Bytes({0xFF, 0xD8})},
      {"png signature cut to 7 bytes", std::string("\x89PNG\r\n\x1a", 7)},
      {"text that says %PDF", "This is not a %PDF-1.4 file %%EOF"},
      {"single byte", "x"},
  };
  for (const auto& [name, content] : cases) {
    absl::StatusOr<FileType> type = DetectFileType(content, "scan.jpg");
    if (type.ok()) {
      ADD_FAILURE() << name << ": accepted";
      continue;
    }
    EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(ErrorReason(type.status()), "UNSUPPORTED_FILE_TYPE") << name;
    EXPECT_NE(ErrorZhMessage(type.status()).value_or("").find("只能上传 JPG、PNG 或 PDF 文件"), std::string::npos)
        << name;
  }
}

TEST(DetectFileTypeTest, RejectsDamagedFiles) {
  const std::string jpeg = TinyJpeg();
  const std::string png = SmallPng();
  const std::string pdf = TinyPdf();

  std::string jpeg_overlong_segment = jpeg;
  jpeg_overlong_segment[4] = '\xFF';  // APP0 length 0xFFFF runs past the end of the file
  jpeg_overlong_segment[5] = '\xFF';
  std::string jpeg_zero_width = ReplaceFirst(jpeg, Bytes({0x00, 0x08, 0x00, 0x08, 0x01}),
                                             Bytes({0x00, 0x08, 0x00, 0x00, 0x01}));
  std::string jpeg_without_frame = jpeg;
  const size_t sof = jpeg.find(Bytes({0xFF, 0xC0}));
  jpeg_without_frame.erase(sof, 13);
  std::string png_bad_crc = png;
  png_bad_crc[png.find("IDAT") + 6] ^= 0x01;
  std::string png_zero_width = png.substr(0, 8) + PngChunk("IHDR", Bytes({0, 0, 0, 0, 0, 0, 0, 2, 8, 2, 0, 0, 0})) +
                               png.substr(8 + 25);
  std::string png_bad_depth = png.substr(0, 8) + PngChunk("IHDR", Bytes({0, 0, 0, 3, 0, 0, 0, 2, 3, 2, 0, 0, 0})) +
                              png.substr(8 + 25);
  std::string png_without_image_data = png.substr(0, 8 + 25) + PngChunk("IEND", "");
  std::string pdf_offset_past_end = ReplaceFirst(pdf, "startxref\n", "startxref\n99999");

  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"jpeg cut in half", jpeg.substr(0, jpeg.size() / 2), "image/jpeg"},
      {"jpeg without EOI", Cut(jpeg, 2), "image/jpeg"},
      {"jpeg signature only", Bytes({0xFF, 0xD8, 0xFF}), "image/jpeg"},
      {"jpeg segment past end", jpeg_overlong_segment, "image/jpeg"},
      {"jpeg frame of zero width", jpeg_zero_width, "image/jpeg"},
      {"jpeg scan without frame", jpeg_without_frame, "image/jpeg"},
      {"jpeg followed by html", jpeg + "<script>alert(1)</script>", "image/jpeg"},
      {"jpeg header then html", Bytes({0xFF, 0xD8, 0xFF, 0xE0}) + "<html><script>x</script></html>", "image/jpeg"},
      {"png signature only", png.substr(0, 8), "image/png"},
      {"png without IEND", Cut(png, 12), "image/png"},
      {"png cut inside IDAT", png.substr(0, png.find("IDAT") + 10), "image/png"},
      {"png with bad CRC", png_bad_crc, "image/png"},
      {"png of zero width", png_zero_width, "image/png"},
      {"png with invalid bit depth", png_bad_depth, "image/png"},
      {"png without image data", png_without_image_data, "image/png"},
      {"png with data after IEND", png + "<html></html>", "image/png"},
      {"png with unknown critical chunk", PngWithChunkBeforeEnd(PngChunk("EVIL", "x")), "image/png"},
      {"png with second IHDR", PngWithChunkBeforeEnd(png.substr(8, 25)), "image/png"},
      {"pdf header only", "%PDF-1.4\n", "application/pdf"},
      {"pdf cut before %%EOF", Cut(pdf, 7), "application/pdf"},
      {"pdf cut in half", pdf.substr(0, pdf.size() / 2), "application/pdf"},
      {"pdf without startxref", ReplaceFirst(pdf, "startxref", "startxrex"), "application/pdf"},
      {"pdf with offset past end", pdf_offset_past_end, "application/pdf"},
      {"pdf followed by html", pdf + "<html><script>alert(1)</script></html>", "application/pdf"},
      {"pdf header without version", "%PDF-x.y\n" + pdf.substr(9), "application/pdf"},
  };
  for (const auto& [name, content, detected] : cases) {
    absl::StatusOr<FileType> type = DetectFileType(content, "协议.pdf");
    if (type.ok()) {
      ADD_FAILURE() << name << ": accepted";
      continue;
    }
    EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(ErrorReason(type.status()), "FILE_DAMAGED") << name << ": " << type.status();
    EXPECT_EQ(ErrorMetadataOf(type.status())["detected_type"], detected) << name;
  }
}

TEST(DetectFileTypeTest, RejectsEmptyFile) {
  absl::StatusOr<FileType> type = DetectFileType("", "空文件.pdf");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(type.status()), "EMPTY_FILE");
  EXPECT_NE(ErrorZhMessage(type.status()).value_or("").find("空文件.pdf"), std::string::npos);
}

TEST(DetectFileTypeTest, EnforcesSizeLimit) {
  const int64_t limit = 64 * 1024;
  // The xref offset gains digits as the padding grows, so shrink the padding by the difference.
  int64_t padding = limit - static_cast<int64_t>(TinyPdf().size());
  std::string exact;
  for (int attempt = 0; attempt < 3; ++attempt) {
    exact = TinyPdf(padding);
    padding -= static_cast<int64_t>(exact.size()) - limit;
  }
  ASSERT_EQ(static_cast<int64_t>(exact.size()), limit);
  EXPECT_TRUE(DetectFileType(exact, "a.pdf", limit).ok());

  const std::string over = TinyPdf(limit);
  absl::StatusOr<FileType> type = DetectFileType(over, "a.pdf", limit);
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(type.status()), "FILE_TOO_LARGE");
  EXPECT_EQ(ErrorMetadataOf(type.status())["max_bytes"], "65536");
  EXPECT_NE(ErrorZhMessage(type.status()).value_or("").find("64 KB 的上限"), std::string::npos)
      << type.status();

  // Even bytes of no known type report the size first, so the user learns the real problem.
  absl::StatusOr<FileType> big_html = DetectFileType(std::string(limit + 1, '<'), "a.html", limit);
  EXPECT_EQ(ErrorReason(big_html.status()), "FILE_TOO_LARGE");
}

TEST(FileTooLargeTest, MessageNamesLimitInMegabytes) {
  absl::Status status = FileTooLarge(kDefaultMaxFileBytes + 1, kDefaultMaxFileBytes);
  EXPECT_EQ(ErrorZhMessage(status).value_or(""),
            "文件大小为 10.1 MB，超过了 10 MB 的上限。请压缩图片或把 PDF 拆分成几个文件后重新上传。");
  EXPECT_EQ(ErrorMetadataOf(status)["size_bytes"], "10485761");
}

TEST(SanitizeFileNameTest, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"协议.pdf", "协议.pdf"},
      {"C:\\Users\\张三\\Desktop\\就业协议.pdf", "就业协议.pdf"},
      {"../../etc/passwd", "passwd"},
      {"/var/www/index.html", "index.html"},
      {std::string("a\0b\r\n\t.jpg", 10), "ab.jpg"},
      {"scan\xE2\x80\xAEgpj.exe", "scangpj.exe"},            // U+202E right-to-left override
      {"\xEF\xBB\xBFname\xE2\x80\x8B.png", "name.png"},      // BOM and zero-width space
      {"a\xC2\x85" "b.pdf", "ab.pdf"},                       // C1 control NEL
      {"\xFF\xFE\xE5\x90\x8D.png", "\xEF\xBF\xBD\xEF\xBF\xBD\xE5\x90\x8D.png"},  // invalid bytes
      {"\xC0\xAF.pdf", "\xEF\xBF\xBD\xEF\xBF\xBD.pdf"},      // overlong '/'
      {"\xED\xA0\x80.pdf", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.pdf"},  // UTF-16 surrogate
      {"\xE5\x90", "\xEF\xBF\xBD\xEF\xBF\xBD"},              // cut sequence
      {"  ..hidden.  ", "hidden"},
      {"\xF0\xA0\xAE\xB7野家😀协议.pdf", "\xF0\xA0\xAE\xB7野家😀协议.pdf"},  // outside the BMP
      {"..", ""},
      {"dir/", ""},
      {"", ""},
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(SanitizeFileName(input), expected) << "input: " << input;
  }
}

int CountCodePoints(const std::string& text) {
  int count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

TEST(SanitizeFileNameTest, CutsLongNamesKeepingExtension) {
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "长";
  std::string with_extension = SanitizeFileName(long_name + ".pdf");
  EXPECT_EQ(CountCodePoints(with_extension), kMaxFileNameCodePoints);
  EXPECT_EQ(with_extension.substr(with_extension.size() - 4), ".pdf");

  std::string without_extension = SanitizeFileName(std::string(130, 'a'));
  EXPECT_EQ(without_extension, std::string(kMaxFileNameCodePoints, 'a'));

  std::string emoji_name;
  for (int i = 0; i < 150; ++i) emoji_name += "😀";
  EXPECT_EQ(CountCodePoints(SanitizeFileName(emoji_name)), kMaxFileNameCodePoints);
}

TEST(DownloadFileNameTest, AppendsDetectedExtension) {
  EXPECT_EQ(DownloadFileName("page.html", FileType::kPng), "page.html.png");
  EXPECT_EQ(DownloadFileName("照片.JPEG", FileType::kJpeg), "照片.JPEG");
  EXPECT_EQ(DownloadFileName("scan.jpg", FileType::kJpeg), "scan.jpg");
  EXPECT_EQ(DownloadFileName("协议.pdf", FileType::kPdf), "协议.pdf");
  EXPECT_EQ(DownloadFileName("", FileType::kPdf), "未命名.pdf");
}

TEST(ContentTypeTest, RoundTrips) {
  for (FileType type : {FileType::kJpeg, FileType::kPng, FileType::kPdf}) {
    absl::StatusOr<FileType> parsed = FileTypeFromContentType(ContentTypeOf(type));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_FALSE(FileTypeFromContentType("text/html").ok());
}

}  // namespace
}  // namespace quxiang::filestore

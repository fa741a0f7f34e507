#include "libs/filestore/test_files.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "zlib.h"

namespace quxiang::filestore::testing {
namespace {

void AppendBigEndian32(uint32_t value, std::string& out) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

}  // namespace

std::string TinyJpeg() {
  std::string jpeg = Bytes({0xFF, 0xD8});
  // APP0 JFIF 1.01, no thumbnail.
  jpeg += Bytes({0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
                 0x00});
  // DQT: table 0, 8-bit, every coefficient 1.
  jpeg += Bytes({0xFF, 0xDB, 0x00, 0x43, 0x00});
  jpeg += std::string(64, '\x01');
  // SOF0: 8-bit, 8×8, one component (id 1, sampling 1×1, quantisation table 0).
  jpeg += Bytes({0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00});
  // DHT: DC table 0 and AC table 0, each with a single 1-bit code: DC category 0 and AC EOB.
  for (int table_class : {0x00, 0x10}) {
    jpeg += Bytes({0xFF, 0xC4, 0x00, 0x14, table_class, 0x01});
    jpeg += std::string(15, '\0');
    jpeg += Bytes({0x00});
  }
  // SOS: one component using tables 0/0, spectral selection 0-63.
  jpeg += Bytes({0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00});
  // The one block: DC difference "0", EOB "0", padded with 1-bits.
  jpeg += Bytes({0x3F});
  jpeg += Bytes({0xFF, 0xD9});
  return jpeg;
}

std::string PngChunk(const std::string& type, const std::string& data) {
  std::string chunk;
  AppendBigEndian32(static_cast<uint32_t>(data.size()), chunk);
  chunk += type;
  chunk += data;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(type.data()), static_cast<uInt>(type.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  AppendBigEndian32(static_cast<uint32_t>(crc), chunk);
  return chunk;
}

std::string RandomPng(int width, int height, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string raw;
  raw.reserve(static_cast<size_t>(height) * (1 + static_cast<size_t>(width) * 3));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');  // filter type None
    for (int x = 0; x < width * 3; ++x) raw.push_back(static_cast<char>(generator() & 0xFF));
  }
  std::vector<Bytef> compressed(compressBound(static_cast<uLong>(raw.size())));
  uLongf compressed_size = static_cast<uLongf>(compressed.size());
  compress2(compressed.data(), &compressed_size, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), Z_BEST_SPEED);

  std::string header;
  AppendBigEndian32(static_cast<uint32_t>(width), header);
  AppendBigEndian32(static_cast<uint32_t>(height), header);
  header += Bytes({8, 2, 0, 0, 0});  // 8-bit truecolour, no interlace

  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += PngChunk("IHDR", header);
  png += PngChunk("IDAT", std::string(reinterpret_cast<const char*>(compressed.data()), compressed_size));
  png += PngChunk("IEND", "");
  return png;
}

std::string TinyPdf(int64_t padding_bytes) {
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  if (padding_bytes > 0) {
    // A comment line: '%', filler, '\n'.
    const int64_t filler = padding_bytes >= 2 ? padding_bytes - 2 : 0;
    pdf += "%" + std::string(static_cast<size_t>(filler), 'x') + "\n";
  }
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
      "<< /Length 0 >>\nstream\n\nendstream",
  };
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += absl::StrCat(i + 1, " 0 obj\n", objects[i], "\nendobj\n");
  }
  const size_t xref_offset = pdf.size();
  pdf += absl::StrCat("xref\n0 ", objects.size() + 1, "\n0000000000 65535 f \n");
  for (size_t offset : offsets) pdf += absl::StrFormat("%010d 00000 n \n", offset);
  pdf += absl::StrCat("trailer\n<< /Size ", objects.size() + 1, " /Root 1 0 R >>\nstartxref\n", xref_offset,
                      "\n%%EOF\n");
  return pdf;
}

}  // namespace quxiang::filestore::testing

// Small, structurally valid JPEG, PNG and PDF files built from bytes, for the file store tests.
#ifndef QUXIANG_LIBS_FILESTORE_TEST_FILES_H_
#define QUXIANG_LIBS_FILESTORE_TEST_FILES_H_

#include <cstdint>
#include <string>

namespace quxiang::filestore::testing {

// An 8×8 greyscale baseline JPEG (JFIF): one DQT, a frame header, one-code Huffman tables and a
// single scan byte that decodes to a flat grey block, then EOI.
std::string TinyJpeg();

// A truecolour PNG of `width`×`height` whose pixel bytes come from a generator seeded with
// `seed` (random pixels barely compress, so the file is about width × height × 3 bytes).
std::string RandomPng(int width, int height, uint32_t seed);

// A one-page PDF 1.4 with a correct cross-reference table. `padding_bytes` adds a comment line
// of that many bytes after the header, to reach an exact file size.
std::string TinyPdf(int64_t padding_bytes = 0);

// The bytes of a PNG chunk: length, type, data and CRC-32.
std::string PngChunk(const std::string& type, const std::string& data);

}  // namespace quxiang::filestore::testing

#endif  // QUXIANG_LIBS_FILESTORE_TEST_FILES_H_

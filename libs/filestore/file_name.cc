#include "libs/filestore/file_name.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace quxiang::filestore {
namespace {

uint8_t ByteAt(absl::string_view data, size_t index) { return static_cast<uint8_t>(data[index]); }

constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes `text` into code points. Each byte that does not start a valid, shortest-form UTF-8
// sequence of a scalar value becomes U+FFFD.
std::vector<char32_t> DecodeUtf8(absl::string_view text) {
  std::vector<char32_t> code_points;
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t lead = ByteAt(text, i);
    int continuation = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
      code_points.push_back(lead);
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
      value = lead & 0x1F;
      minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      value = lead & 0x0F;
      minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      value = lead & 0x07;
      minimum = 0x10000;
    } else {
      code_points.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    bool valid = i + continuation < text.size();
    for (int k = 1; valid && k <= continuation; ++k) {
      const uint8_t next = ByteAt(text, i + k);
      if ((next & 0xC0) != 0x80) {
        valid = false;
      } else {
        value = (value << 6) | (next & 0x3F);
      }
    }
    if (valid && (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))) valid = false;
    if (!valid) {
      code_points.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    code_points.push_back(value);
    i += continuation + 1;
  }
  return code_points;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Control characters, and invisible characters that can make a name read differently from
// what it is: bidirectional embeddings, overrides and isolates (as in "scan\u202Egpj.exe"),
// zero-width characters and the byte order mark.
bool IsRemovedCharacter(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

bool IsTrimmedCharacter(char32_t c) { return c == ' ' || c == '.' || c == 0x3000; }

std::string EncodeUtf8(const std::vector<char32_t>& code_points, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) AppendUtf8(code_points[i], out);
  return out;
}

}  // namespace

std::string SanitizeFileName(absl::string_view name) {
  std::vector<char32_t> decoded = DecodeUtf8(name);

  std::vector<char32_t> name_characters;
  for (char32_t c : decoded) {
    if (c == '/' || c == '\\') {
      name_characters.clear();  // keep only the last path component
    } else if (!IsRemovedCharacter(c)) {
      name_characters.push_back(c);
    }
  }

  size_t begin = 0;
  size_t end = name_characters.size();
  while (begin < end && IsTrimmedCharacter(name_characters[begin])) ++begin;
  while (end > begin && IsTrimmedCharacter(name_characters[end - 1])) --end;
  if (end - begin <= static_cast<size_t>(kMaxFileNameCodePoints)) return EncodeUtf8(name_characters, begin, end);

  // Too long: cut the stem and keep an extension of up to 10 code points after the last dot.
  size_t dot = end;
  for (size_t i = end; i > begin; --i) {
    if (name_characters[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  }
  size_t extension_length = end - dot;
  if (dot == end || extension_length > 10) extension_length = 0;
  const size_t stem_end = begin + kMaxFileNameCodePoints - extension_length;
  std::string result = EncodeUtf8(name_characters, begin, stem_end);
  if (extension_length > 0) result += EncodeUtf8(name_characters, end - extension_length, end);
  return result;
}

std::string DownloadFileName(absl::string_view stored_name, FileType type) {
  std::string name = stored_name.empty() ? std::string("未命名") : std::string(stored_name);
  const std::string lower = absl::AsciiStrToLower(name);
  if (absl::EndsWith(lower, ExtensionOf(type))) return name;
  if (type == FileType::kJpeg && absl::EndsWith(lower, ".jpeg")) return name;
  return absl::StrCat(name, ExtensionOf(type));
}

}  // namespace quxiang::filestore

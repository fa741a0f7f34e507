#include "libs/validation/messages.h"

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "libs/status/error.h"

namespace quxiang::validation::internal {
namespace {

constexpr char kReplacementCharacter[] = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t kMaxDisplayCharacters = 32;

bool IsContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence that starts at text[pos], or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t Utf8SequenceLength(absl::string_view text, std::size_t pos) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (byte < 0x80) {
    return 1;
  } else if (byte >= 0xC2 && byte <= 0xDF) {
    length = 2;
  } else if (byte >= 0xE0 && byte <= 0xEF) {
    length = 3;
    if (byte == 0xE0) second_min = 0xA0;
    if (byte == 0xED) second_max = 0x9F;
  } else if (byte >= 0xF0 && byte <= 0xF4) {
    length = 4;
    if (byte == 0xF0) second_min = 0x90;
    if (byte == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }

  if (pos + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[pos + 1]);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!IsContinuationByte(static_cast<unsigned char>(text[pos + i]))) return 0;
  }
  return length;
}

}  // namespace

std::vector<std::string> SplitCharacters(absl::string_view text) {
  std::vector<std::string> characters;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = Utf8SequenceLength(text, pos);
    if (length == 0) {
      characters.emplace_back(kReplacementCharacter);
      ++pos;
      continue;
    }

    if (length == 1 && absl::ascii_iscntrl(static_cast<unsigned char>(text[pos]))) {
      characters.emplace_back(kReplacementCharacter);
    } else {
      characters.emplace_back(text.substr(pos, length));
    }
    pos += length;
  }
  return characters;
}

std::string DisplayValue(absl::string_view text) {
  std::vector<std::string> characters = SplitCharacters(text);
  if (characters.size() <= kMaxDisplayCharacters) return absl::StrJoin(characters, "");

  characters.resize(kMaxDisplayCharacters);
  return absl::StrJoin(characters, "") + "…";
}

absl::Status InvalidValue(absl::string_view reason, absl::string_view field,
                          absl::string_view shown_value, absl::string_view zh_message) {
  return quxiang::InvalidArgument(reason, zh_message,
                                  {{"field", std::string(field)}, {"value", std::string(shown_value)}});
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace quxiang::validation::internal

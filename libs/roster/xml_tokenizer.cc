#include "libs/roster/xml_tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace quxiang::roster::internal {
namespace {

// Consumed input is dropped from the buffer once it exceeds this many bytes.
constexpr std::size_t kCompactThreshold = 1024 * 1024;

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

absl::string_view LocalName(absl::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == absl::string_view::npos ? name : name.substr(colon + 1);
}

void AppendUtf8(std::uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Appends the character of reference `name` (the text between & and ;); false when unknown.
bool AppendReference(absl::string_view name, std::string* out) {
  static constexpr std::pair<absl::string_view, char> kPredefinedEntities[] = {
      {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [entity, character] : kPredefinedEntities) {
    if (name == entity) {
      out->push_back(character);
      return true;
    }
  }
  if (name.size() < 2 || name[0] != '#') return false;

  std::uint32_t code_point = 0;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  const absl::string_view digits = name.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return false;
  for (char c : digits) {
    const bool valid = hex ? absl::ascii_isxdigit(static_cast<unsigned char>(c))
                           : absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!valid) return false;
    const std::uint32_t value =
        absl::ascii_isdigit(static_cast<unsigned char>(c)) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
    code_point = code_point * (hex ? 16 : 10) + value;
  }
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return false;
  AppendUtf8(code_point, out);
  return true;
}

}  // namespace

absl::StatusOr<bool> StringByteSource::ReadMore(std::string* buffer) {
  if (read_) return false;
  read_ = true;
  buffer->append(text_);
  text_.clear();
  return true;
}

void AppendXmlDecoded(absl::string_view raw, std::string* out) {
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t amp = raw.find('&', pos);
    if (amp == absl::string_view::npos) {
      out->append(raw.data() + pos, raw.size() - pos);
      return;
    }
    out->append(raw.data() + pos, amp - pos);
    const std::size_t semicolon = raw.find(';', amp + 1);
    // References are short; a far-away semicolon belongs to other text.
    if (semicolon != absl::string_view::npos && semicolon - amp <= 12 &&
        AppendReference(raw.substr(amp + 1, semicolon - amp - 1), out)) {
      pos = semicolon + 1;
    } else {
      out->push_back('&');
      pos = amp + 1;
    }
  }
}

const std::string* XmlTokenizer::Token::Attribute(absl::string_view local_name) const {
  for (const auto& [name, value] : attributes) {
    if (name == local_name) return &value;
  }
  return nullptr;
}

absl::StatusOr<bool> XmlTokenizer::Ensure(std::size_t count) {
  while (buffer_.size() - pos_ < count) {
    if (source_done_) return false;
    absl::StatusOr<bool> more = source_->ReadMore(&buffer_);
    if (!more.ok()) return more.status();
    if (!*more) source_done_ = true;
  }
  return true;
}

absl::StatusOr<std::size_t> XmlTokenizer::Find(absl::string_view needle, std::size_t from) {
  std::size_t searched_to = from;
  while (true) {
    const std::size_t found = buffer_.find(needle.data(), searched_to, needle.size());
    if (found != std::string::npos) return found;
    // The needle may straddle the end of the buffer, so the next search starts a little earlier.
    if (buffer_.size() >= needle.size()) searched_to = std::max(searched_to, buffer_.size() - needle.size() + 1);
    if (source_done_) return std::string::npos;
    absl::StatusOr<bool> more = source_->ReadMore(&buffer_);
    if (!more.ok()) return more.status();
    if (!*more) source_done_ = true;
  }
}

absl::Status XmlTokenizer::SkipPast(absl::string_view terminator, absl::string_view construct) {
  absl::StatusOr<std::size_t> end = Find(terminator, pos_);
  if (!end.ok()) return end.status();
  if (*end == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the document ends inside ", construct));
  }
  pos_ = *end + terminator.size();
  return absl::OkStatus();
}

absl::Status XmlTokenizer::ReadStartElement(Token* token) {
  // Find the closing '>' outside quoted attribute values, where '>' is allowed.
  std::size_t end = pos_ + 1;
  char quote = '\0';
  while (true) {
    absl::StatusOr<bool> available = Ensure(end - pos_ + 1);
    if (!available.ok()) return available.status();
    if (!*available) return absl::InvalidArgumentError("the document ends inside a start tag");
    const char c = buffer_[end];
    if (quote != '\0') {
      if (c == quote) quote = '\0';
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      break;
    }
    ++end;
  }

  absl::string_view tag(buffer_.data() + pos_ + 1, end - pos_ - 1);
  pos_ = end + 1;
  bool self_closing = false;
  if (!tag.empty() && tag.back() == '/') {
    self_closing = true;
    tag.remove_suffix(1);
  }

  std::size_t i = 0;
  while (i < tag.size() && !IsXmlSpace(tag[i])) ++i;
  if (i == 0) return absl::InvalidArgumentError("a start tag has no name");
  token->kind = Kind::kStartElement;
  token->name = std::string(LocalName(tag.substr(0, i)));

  while (true) {
    while (i < tag.size() && IsXmlSpace(tag[i])) ++i;
    if (i >= tag.size()) break;
    const std::size_t name_start = i;
    while (i < tag.size() && tag[i] != '=' && !IsXmlSpace(tag[i])) ++i;
    const absl::string_view name = tag.substr(name_start, i - name_start);
    while (i < tag.size() && IsXmlSpace(tag[i])) ++i;
    if (i >= tag.size() || tag[i] != '=') {
      return absl::InvalidArgumentError(absl::StrCat("attribute ", name, " of <", token->name, "> has no value"));
    }
    ++i;
    while (i < tag.size() && IsXmlSpace(tag[i])) ++i;
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) {
      return absl::InvalidArgumentError(absl::StrCat("attribute ", name, " of <", token->name, "> is not quoted"));
    }
    const char value_quote = tag[i];
    const std::size_t value_end = tag.find(value_quote, i + 1);
    if (value_end == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("attribute ", name, " of <", token->name, "> is not closed"));
    }
    std::string value;
    AppendXmlDecoded(tag.substr(i + 1, value_end - i - 1), &value);
    token->attributes.emplace_back(std::string(LocalName(name)), std::move(value));
    i = value_end + 1;
  }

  if (self_closing) {
    pending_end_ = true;
    pending_end_name_ = token->name;
  }
  return absl::OkStatus();
}

absl::Status XmlTokenizer::Next(Token* token) {
  token->name.clear();
  token->attributes.clear();
  token->text.clear();
  if (pending_end_) {
    pending_end_ = false;
    token->kind = Kind::kEndElement;
    token->name = pending_end_name_;
    return absl::OkStatus();
  }
  if (pos_ > kCompactThreshold) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }

  while (true) {
    absl::StatusOr<bool> available = Ensure(1);
    if (!available.ok()) return available.status();
    if (!*available) {
      token->kind = Kind::kEndOfDocument;
      return absl::OkStatus();
    }

    if (buffer_[pos_] != '<') {
      absl::StatusOr<std::size_t> next_tag = Find("<", pos_);
      if (!next_tag.ok()) return next_tag.status();
      const std::size_t end = *next_tag == std::string::npos ? buffer_.size() : *next_tag;
      token->kind = Kind::kText;
      AppendXmlDecoded(absl::string_view(buffer_.data() + pos_, end - pos_), &token->text);
      pos_ = end;
      return absl::OkStatus();
    }

    absl::StatusOr<bool> has_two = Ensure(2);
    if (!has_two.ok()) return has_two.status();
    if (!*has_two) return absl::InvalidArgumentError("the document ends with '<'");
    const char second = buffer_[pos_ + 1];

    if (second == '?') {
      absl::Status skipped = SkipPast("?>", "a processing instruction");
      if (!skipped.ok()) return skipped;
      continue;
    }

    if (second == '!') {
      absl::StatusOr<bool> has_nine = Ensure(9);
      if (!has_nine.ok()) return has_nine.status();
      const absl::string_view start(buffer_.data() + pos_, std::min<std::size_t>(9, buffer_.size() - pos_));
      if (start.substr(0, 4) == "<!--") {
        absl::Status skipped = SkipPast("-->", "a comment");
        if (!skipped.ok()) return skipped;
        continue;
      }
      if (start == "<![CDATA[") {
        absl::StatusOr<std::size_t> end = Find("]]>", pos_ + 9);
        if (!end.ok()) return end.status();
        if (*end == std::string::npos) return absl::InvalidArgumentError("the document ends inside a CDATA section");
        token->kind = Kind::kText;
        token->text.assign(buffer_.data() + pos_ + 9, *end - pos_ - 9);
        pos_ = *end + 3;
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError("document type declarations are not accepted");
    }

    if (second == '/') {
      absl::StatusOr<std::size_t> end = Find(">", pos_);
      if (!end.ok()) return end.status();
      if (*end == std::string::npos) return absl::InvalidArgumentError("the document ends inside an end tag");
      absl::string_view name(buffer_.data() + pos_ + 2, *end - pos_ - 2);
      while (!name.empty() && IsXmlSpace(name.back())) name.remove_suffix(1);
      token->kind = Kind::kEndElement;
      token->name = std::string(LocalName(name));
      pos_ = *end + 1;
      return absl::OkStatus();
    }

    return ReadStartElement(token);
  }
}

}  // namespace quxiang::roster::internal

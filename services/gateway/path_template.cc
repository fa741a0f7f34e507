#include "services/gateway/path_template.h"

#include <cctype>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/status/error.h"

namespace quxiang::gateway {
namespace {

bool IsIdentifierChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Characters allowed in a literal segment or verb: RFC 3986 pchar without ':' and the template
// punctuation. Percent escapes are allowed and compared after decoding.
bool IsLiteralChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("-._~%!$&'()+,;=@").find(c) != absl::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(absl::string_view text, bool keep_encoded_slash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = HexValue(text[i + 1]);
    int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    char decoded = static_cast<char>(high * 16 + low);
    if (keep_encoded_slash && decoded == '/') {
      out.append(text.substr(i, 3).data(), 3);
    } else {
      out.push_back(decoded);
    }
    i += 2;
  }
  return out;
}

// A recursive-descent parser over the template text; see the grammar in path_template.h.
class PathTemplateParser {
 public:
  explicit PathTemplateParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<PathTemplate> Parse() {
    PathTemplate result;
    result.text_ = std::string(text_);
    if (!Consume('/')) return Error("a path template starts with '/'");

    if (absl::Status status = ParseSegments(result, /*inside_variable=*/false); !status.ok()) {
      return status;
    }
    if (Consume(':')) {
      size_t start = position_;
      while (position_ < text_.size() && IsLiteralChar(text_[position_])) ++position_;
      if (position_ == start) return Error("the verb after ':' is empty");
      result.verb_ = std::string(text_.substr(start, position_ - start));
    }
    if (position_ != text_.size()) return Error("unexpected character");

    for (size_t i = 0; i + 1 < result.segments_.size(); ++i) {
      if (result.segments_[i].kind == PathTemplate::SegmentKind::kMultiWildcard) {
        return Error("'**' is allowed only as the last segment");
      }
    }
    return result;
  }

 private:
  absl::Status ParseSegments(PathTemplate& result, bool inside_variable) {
    while (true) {
      if (absl::Status status = ParseSegment(result, inside_variable); !status.ok()) return status;
      if (!Consume('/')) return absl::OkStatus();
    }
  }

  absl::Status ParseSegment(PathTemplate& result, bool inside_variable) {
    using Kind = PathTemplate::SegmentKind;
    if (Peek() == '{') {
      if (inside_variable) return Error("variables cannot nest");
      return ParseVariable(result);
    }
    if (Consume('*')) {
      Kind kind = Consume('*') ? Kind::kMultiWildcard : Kind::kSingleWildcard;
      result.segments_.push_back({kind, ""});
      return absl::OkStatus();
    }
    size_t start = position_;
    while (position_ < text_.size() && IsLiteralChar(text_[position_])) ++position_;
    if (position_ == start) return Error("empty segment");
    std::optional<std::string> literal = PercentDecode(text_.substr(start, position_ - start));
    if (!literal.has_value()) return Error("malformed percent escape");
    result.segments_.push_back({Kind::kLiteral, *literal});
    return absl::OkStatus();
  }

  absl::Status ParseVariable(PathTemplate& result) {
    Consume('{');
    PathTemplate::Variable variable;
    while (true) {
      size_t start = position_;
      while (position_ < text_.size() && IsIdentifierChar(text_[position_])) ++position_;
      if (position_ == start) return Error("empty field name in variable");
      variable.field_path.emplace_back(text_.substr(start, position_ - start));
      if (!Consume('.')) break;
    }

    variable.first_segment = result.segments_.size();
    if (Consume('=')) {
      if (absl::Status status = ParseSegments(result, /*inside_variable=*/true); !status.ok()) {
        return status;
      }
    } else {
      result.segments_.push_back({PathTemplate::SegmentKind::kSingleWildcard, ""});
    }
    variable.end_segment = result.segments_.size();

    if (!Consume('}')) return Error("missing '}'");
    result.variables_.push_back(std::move(variable));
    return absl::OkStatus();
  }

  char Peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++position_;
    return true;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid path template \"", text_, "\" at offset ",
                                                   position_, ": ", what));
  }

  absl::string_view text_;
  size_t position_ = 0;
};

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  return PathTemplateParser(text).Parse();
}

int PathTemplate::literal_count() const {
  int count = 0;
  for (const Segment& segment : segments_) {
    if (segment.kind == SegmentKind::kLiteral) ++count;
  }
  return count;
}

bool PathTemplate::ends_with_multi_segment_wildcard() const {
  return !segments_.empty() && segments_.back().kind == SegmentKind::kMultiWildcard;
}

std::vector<std::vector<std::string>> PathTemplate::variable_field_paths() const {
  std::vector<std::vector<std::string>> paths;
  for (const Variable& variable : variables_) paths.push_back(variable.field_path);
  return paths;
}

std::optional<std::vector<PathBinding>> PathTemplate::Match(absl::string_view path) const {
  if (!verb_.empty()) {
    std::string suffix = absl::StrCat(":", verb_);
    if (!absl::EndsWith(path, suffix)) return std::nullopt;
    path.remove_suffix(suffix.size());
  }
  if (!absl::ConsumePrefix(&path, "/")) return std::nullopt;

  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  bool multi = ends_with_multi_segment_wildcard();
  // "/" alone splits into one empty part, which is zero segments for a "**" template.
  if (multi && parts.size() == 1 && parts[0].empty()) parts.clear();
  if (multi ? parts.size() < segments_.size() - 1 : parts.size() != segments_.size()) {
    return std::nullopt;
  }

  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == SegmentKind::kMultiWildcard) break;
    if (parts[i].empty()) return std::nullopt;
    if (segment.kind == SegmentKind::kLiteral) {
      std::optional<std::string> decoded = PercentDecode(parts[i]);
      if (!decoded.has_value() || *decoded != segment.literal) return std::nullopt;
    }
  }

  std::vector<PathBinding> bindings;
  for (const Variable& variable : variables_) {
    bool to_end = variable.end_segment == segments_.size() && multi;
    size_t end = to_end ? parts.size() : variable.end_segment;
    std::vector<absl::string_view> covered(parts.begin() + variable.first_segment,
                                           parts.begin() + end);
    bool single = covered.size() == 1 && !to_end;
    std::optional<std::string> value =
        PercentDecode(absl::StrJoin(covered, "/"), /*keep_encoded_slash=*/!single);
    if (!value.has_value()) return std::nullopt;
    bindings.push_back({variable.field_path, std::move(*value)});
  }
  return bindings;
}

}  // namespace quxiang::gateway

// Path templates of google.api.http rules, parsed and matched as grpc-gateway and Envoy do.
//
// Grammar (google/api/http.proto):
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
// A variable without "=" matches one segment. "**" matches zero or more segments and is accepted
// only as the last segment, as Envoy's path matcher requires.
#ifndef QUXIANG_SERVICES_GATEWAY_PATH_TEMPLATE_H_
#define QUXIANG_SERVICES_GATEWAY_PATH_TEMPLATE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::gateway {

// A value captured by a template variable, already percent-decoded.
struct PathBinding {
  // Field names from the request message down to the bound field, for example {"item", "id"}.
  std::vector<std::string> field_path;
  std::string value;
};

class PathTemplate {
 public:
  // Parses `text`; returns INVALID_ARGUMENT naming the position of the first syntax error.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // Matches the path part of a request target (no query string). Returns the variable bindings,
  // or nullopt when the path does not match.
  std::optional<std::vector<PathBinding>> Match(absl::string_view path) const;

  const std::string& text() const { return text_; }
  const std::string& verb() const { return verb_; }
  // Number of literal segments; more literals make a template more specific.
  int literal_count() const;
  bool ends_with_multi_segment_wildcard() const;
  // Field paths of every variable, in template order.
  std::vector<std::vector<std::string>> variable_field_paths() const;

 private:
  enum class SegmentKind { kLiteral, kSingleWildcard, kMultiWildcard };
  struct Segment {
    SegmentKind kind;
    std::string literal;
  };
  struct Variable {
    std::vector<std::string> field_path;
    // Half-open range [first_segment, end_segment) of segments the variable covers.
    size_t first_segment;
    size_t end_segment;
  };
  friend class PathTemplateParser;

  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

// Decodes %XX escapes. Returns nullopt on a malformed escape. With `keep_encoded_slash`, "%2F"
// stays encoded, as multi-segment variables require.
std::optional<std::string> PercentDecode(absl::string_view text, bool keep_encoded_slash = false);

}  // namespace quxiang::gateway

#endif  // QUXIANG_SERVICES_GATEWAY_PATH_TEMPLATE_H_

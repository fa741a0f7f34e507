// A small pull tokenizer for the XML parts of an XLSX workbook. It reads its input a chunk at a
// time from a ByteSource and keeps only the unread part in memory, so a worksheet of any size is
// read row by row without building a tree of the whole document.
//
// It covers what SpreadsheetML parts use: elements with attributes, self-closing elements,
// character data, CDATA sections, the five predefined entities and numeric character references.
// It skips the XML declaration, processing instructions and comments. A document type declaration
// is rejected, because no XLSX part has one and its entity definitions could expand without bound.
// Namespace prefixes are dropped from element and attribute names ("x:row" reads as "row"), which
// is enough to find the SpreadsheetML elements whatever prefix a writer chose. The tokenizer does
// not check that elements nest correctly.
#ifndef QUXIANG_LIBS_ROSTER_XML_TOKENIZER_H_
#define QUXIANG_LIBS_ROSTER_XML_TOKENIZER_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quxiang::roster::internal {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Appends the next bytes of the input to `buffer` and returns true, or returns false at the end.
  virtual absl::StatusOr<bool> ReadMore(std::string* buffer) = 0;
};

// A ByteSource over a string that it owns.
class StringByteSource : public ByteSource {
 public:
  explicit StringByteSource(std::string text) : text_(std::move(text)) {}
  absl::StatusOr<bool> ReadMore(std::string* buffer) override;

 private:
  std::string text_;
  bool read_ = false;
};

class XmlTokenizer {
 public:
  enum class Kind { kStartElement, kEndElement, kText, kEndOfDocument };

  struct Token {
    Kind kind = Kind::kEndOfDocument;
    // The local name of the element (kStartElement, kEndElement).
    std::string name;
    // Local attribute names and decoded values (kStartElement).
    std::vector<std::pair<std::string, std::string>> attributes;
    // Decoded character data (kText). One run of text may arrive as several tokens.
    std::string text;

    // The value of attribute `local_name`, or nullptr.
    const std::string* Attribute(absl::string_view local_name) const;
  };

  // `source` must outlive the tokenizer.
  explicit XmlTokenizer(ByteSource* source) : source_(source) {}

  // Reads the next token. A self-closing element arrives as a kStartElement token followed by a
  // kEndElement token. Returns kEndOfDocument at the end of the input, and INVALID_ARGUMENT with an
  // English message for malformed markup.
  absl::Status Next(Token* token);

 private:
  // Makes at least `count` bytes from pos_ available; false when the input ends first.
  absl::StatusOr<bool> Ensure(std::size_t count);
  // The position of `needle` at or after `from`, reading more input as needed; npos if absent.
  absl::StatusOr<std::size_t> Find(absl::string_view needle, std::size_t from);
  // Skips past `terminator`; an error naming `construct` when the input ends first.
  absl::Status SkipPast(absl::string_view terminator, absl::string_view construct);
  absl::Status ReadStartElement(Token* token);

  ByteSource* source_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool source_done_ = false;
  bool pending_end_ = false;
  std::string pending_end_name_;
};

// Appends `raw` to `out` with entity and character references replaced. An unknown or malformed
// reference is kept as written.
void AppendXmlDecoded(absl::string_view raw, std::string* out);

}  // namespace quxiang::roster::internal

#endif  // QUXIANG_LIBS_ROSTER_XML_TOKENIZER_H_

#include "libs/roster/xml_tokenizer.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/roster/encoding.h"

namespace quxiang::roster::internal {
namespace {

using Kind = XmlTokenizer::Kind;

// Hands out its text `chunk_size` bytes at a time, to put token boundaries at every offset.
class ChunkedSource : public ByteSource {
 public:
  ChunkedSource(std::string text, std::size_t chunk_size) : text_(std::move(text)), chunk_size_(chunk_size) {}

  absl::StatusOr<bool> ReadMore(std::string* buffer) override {
    if (pos_ >= text_.size()) return false;
    buffer->append(text_, pos_, chunk_size_);
    pos_ += chunk_size_;
    return true;
  }

 private:
  std::string text_;
  std::size_t chunk_size_;
  std::size_t pos_ = 0;
};

// The tokens of `source` written out one per line; text tokens of one run are joined.
std::string Describe(ByteSource* source) {
  XmlTokenizer tokenizer(source);
  XmlTokenizer::Token token;
  std::string description;
  bool in_text = false;
  while (true) {
    const absl::Status status = tokenizer.Next(&token);
    if (!status.ok()) return absl::StrCat(description, "error: ", status.message());
    if (token.kind != Kind::kText && in_text) {
      description += "\n";
      in_text = false;
    }
    switch (token.kind) {
      case Kind::kEndOfDocument:
        return description;
      case Kind::kStartElement:
        absl::StrAppend(&description, "<", token.name);
        for (const auto& [name, value] : token.attributes) absl::StrAppend(&description, " ", name, "=[", value, "]");
        description += ">\n";
        break;
      case Kind::kEndElement:
        absl::StrAppend(&description, "</", token.name, ">\n");
        break;
      case Kind::kText:
        if (!in_text) description += "text:";
        description += token.text;
        in_text = true;
        break;
    }
  }
}

constexpr char kDocument[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<x:sst xmlns:x=\"urn:x\" count='2'><!-- a > comment -->"
    "<x:si><x:t a=\"1 &gt; 0\" b='say \"hi\"'>A &amp; B &#x21424;&#20013;&unknown; &#xD800;</x:t></x:si>"
    "<x:si><x:t><![CDATA[<raw> & ]]>tail</x:t><empty/></x:si><?pi data?></x:sst>";

// The line break after the declaration is text, and prefixes are dropped from attribute names too.
constexpr char kExpected[] =
    "text:\n\n"
    "<sst x=[urn:x] count=[2]>\n"
    "<si>\n"
    "<t a=[1 > 0] b=[say \"hi\"]>\n"
    "text:A & B \xF0\xA1\x90\xA4中&unknown; &#xD800;\n"
    "</t>\n"
    "</si>\n"
    "<si>\n"
    "<t>\n"
    "text:<raw> & tail\n"
    "</t>\n"
    "<empty>\n"
    "</empty>\n"
    "</si>\n"
    "</sst>\n";

TEST(XmlTokenizer, ReadsWholeDocument) {
  StringByteSource source(kDocument);
  EXPECT_EQ(Describe(&source), kExpected);
}

TEST(XmlTokenizer, TokensSpanChunks) {
  for (std::size_t chunk_size : {1, 2, 3, 5, 8, 13}) {
    SCOPED_TRACE(chunk_size);
    ChunkedSource source(kDocument, chunk_size);
    EXPECT_EQ(Describe(&source), kExpected);
  }
}

TEST(XmlTokenizer, RejectsMalformedMarkup) {
  const std::pair<std::string, std::string> cases[] = {
      {"<!DOCTYPE x><x/>", "document type declarations are not accepted"},
      {"<x a=1/>", "attribute a of <x> is not quoted"},
      {"<x a/>", "attribute a of <x> has no value"},
      {"<x a=\"1/>", "the document ends inside a start tag"},
      {"<x><!-- open", "the document ends inside a comment"},
      {"<x><![CDATA[ open", "the document ends inside a CDATA section"},
      {"<x></x", "the document ends inside an end tag"},
      {"<x><", "the document ends with '<'"},
      {"< x/>", "a start tag has no name"},
  };
  for (const auto& [xml, error] : cases) {
    SCOPED_TRACE(xml);
    StringByteSource source(xml);
    EXPECT_TRUE(absl::StrContains(Describe(&source), error)) << Describe(&source);
  }
}

TEST(Encoding, Gb18030OutsideBmp) {
  // 𡐤 (U+21424) and 𠀾 (U+2003E) take four bytes in GB18030.
  std::size_t error_offset = 0;
  const absl::StatusOr<std::string> text = Gb18030ToUtf8("\x95\x36\x8e\x32\x95\x32\x88\x38 \xd5\xc5", &error_offset);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "\xF0\xA1\x90\xA4\xF0\xA0\x80\xBE 张");
}

TEST(Encoding, Gb18030ReportsOffset) {
  std::size_t error_offset = 0;
  const absl::StatusOr<std::string> text = Gb18030ToUtf8("ab\xd5\xc5\xff", &error_offset);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(error_offset, 4u);

  const absl::StatusOr<std::string> cut = Gb18030ToUtf8("ab\x95\x36", &error_offset);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(error_offset, 2u);
}

TEST(Encoding, ScanUtf8Counts) {
  const Utf8Scan valid = ScanUtf8("a张\xF0\xA1\x90\xA4" "b");
  EXPECT_EQ(valid.multibyte_sequences, 2u);
  EXPECT_EQ(valid.invalid_bytes, 0u);
  EXPECT_EQ(valid.first_invalid, std::string::npos);

  // An overlong form, a surrogate and a code point above U+10FFFF are invalid.
  const Utf8Scan invalid = ScanUtf8("ok\xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80");
  EXPECT_EQ(invalid.multibyte_sequences, 0u);
  EXPECT_EQ(invalid.first_invalid, 2u);
  EXPECT_EQ(invalid.invalid_bytes, 9u);
  EXPECT_EQ(FindInvalidUtf8("ok\xC0\xAF"), 2u);
  EXPECT_EQ(FindInvalidUtf8("张"), absl::string_view::npos);
}

}  // namespace
}  // namespace quxiang::roster::internal

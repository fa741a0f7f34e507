#include "libs/codes/csv.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace quxiang::codes {
namespace {

using ::testing::ElementsAre;

// Parses all of `text`; fails the test on a parse error.
std::vector<std::vector<std::string>> ParseAll(const std::string& text) {
  CsvParser parser(text);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> has_record = parser.Next(&fields);
    EXPECT_TRUE(has_record.ok()) << has_record.status();
    if (!has_record.ok() || !*has_record) break;
    records.push_back(fields);
  }
  return records;
}

TEST(CsvParser, SplitsPlainFields) {
  const auto records = ParseAll("a,b,c\n1,2,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0], ElementsAre("a", "b", "c"));
  EXPECT_THAT(records[1], ElementsAre("1", "2", "3"));
}

TEST(CsvParser, KeepsEmptyFields) {
  const auto records = ParseAll(",x,\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0], ElementsAre("", "x", ""));
}

TEST(CsvParser, ReadsLastRecordWithoutLineBreak) {
  const auto records = ParseAll("a,b\nc,d");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[1], ElementsAre("c", "d"));
}

TEST(CsvParser, UnquotesCommasQuotesAndNewlines) {
  const auto records = ParseAll("\"北京市, 海淀区\",\"他说\"\"你好\"\"\",\"第一行\r\n第二行\"\r\nnext,row\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0], ElementsAre("北京市, 海淀区", "他说\"你好\"", "第一行\n第二行"));
  EXPECT_THAT(records[1], ElementsAre("next", "row"));
}

TEST(CsvParser, AcceptsEveryLineEnding) {
  const auto records = ParseAll("a\r\nb\rc\nd");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[1], ElementsAre("b"));
  EXPECT_THAT(records[2], ElementsAre("c"));
}

TEST(CsvParser, KeepsStrayQuotesLikeSpreadsheets) {
  const auto records = ParseAll("5\"3,\"ab\"cd\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(records[0], ElementsAre("5\"3", "abcd"));
}

TEST(CsvParser, CountsRecordsAndLines) {
  CsvParser parser("h1,h2\n\n\"multi\nline\",x\nlast,y\n");
  std::vector<std::string> fields;

  ASSERT_TRUE(*parser.Next(&fields));
  EXPECT_EQ(parser.record_number(), 1);

  ASSERT_TRUE(*parser.Next(&fields));  // the blank line
  EXPECT_THAT(fields, ElementsAre(""));
  EXPECT_EQ(parser.record_number(), 2);

  ASSERT_TRUE(*parser.Next(&fields));
  EXPECT_EQ(parser.record_number(), 3);
  EXPECT_EQ(parser.line_number(), 3);

  ASSERT_TRUE(*parser.Next(&fields));
  EXPECT_THAT(fields, ElementsAre("last", "y"));
  EXPECT_EQ(parser.record_number(), 4);
  EXPECT_EQ(parser.line_number(), 5);

  EXPECT_FALSE(*parser.Next(&fields));
}

TEST(CsvParser, RejectsUnclosedQuote) {
  CsvParser parser("a,b\nc,\"open\nmore text\n");
  std::vector<std::string> fields;
  ASSERT_TRUE(*parser.Next(&fields));

  absl::StatusOr<bool> result = parser.Next(&fields);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "line 2")) << result.status();
  EXPECT_EQ(parser.record_number(), 2);
}

TEST(CsvParser, EmptyTextHasNoRecords) {
  CsvParser parser("");
  std::vector<std::string> fields;
  absl::StatusOr<bool> result = parser.Next(&fields);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(*result);
}

}  // namespace
}  // namespace quxiang::codes

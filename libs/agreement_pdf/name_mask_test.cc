#include "libs/agreement_pdf/name_mask.h"

#include <gtest/gtest.h>

#include <string>

namespace quxiang::agreement_pdf {
namespace {

struct MaskCase {
  std::string name;
  std::string expected;
};

TEST(MaskPersonNameTest, Table) {
  const MaskCase cases[] = {
      {"", ""},
      {"张", "*"},
      {"张三", "张*"},
      {"张小三", "张*三"},
      {"欧阳娜娜", "欧**娜"},
      {"司马相如如", "司***如"},
      // Characters outside the BMP count as one character each.
      {"王𠀾", "王*"},
      {"𡐤𠀾明", "𡐤*明"},
      {"李𡐤", "李*"},
      // Separators of transcribed names stay and are not counted.
      {"阿依古丽·买买提", "阿***·**提"},
      {"玛丽・居里", "玛*・*里"},
      {"John Smith", "J*** ****h"},
      // Spaces at either end are trimmed first.
      {"  张三 ", "张*"},
      {"\u3000李四\u3000", "李*"},
      {"·", "·"},
      // Invalid UTF-8 bytes never pass through.
      {"\xff\xfe", "**"},
      {"张\xff三", "张*三"},
      {"\xe5\xbc", "**"},
  };
  for (const MaskCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    EXPECT_EQ(MaskPersonName(test_case.name), test_case.expected);
  }
}

}  // namespace
}  // namespace quxiang::agreement_pdf

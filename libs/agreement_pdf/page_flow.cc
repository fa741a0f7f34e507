#include "libs/agreement_pdf/page_flow.h"

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::agreement_pdf {

absl::StatusOr<std::vector<std::vector<PlacedBlock>>> FlowBlocks(const std::vector<FlowBlock>& blocks) {
  constexpr double kTop = kPageMargin;
  constexpr double kBottom = kPageHeight - kPageMargin - kFooterReserve;

  std::vector<std::vector<PlacedBlock>> pages(1);
  double y = kTop;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const FlowBlock& block = blocks[i];
    if (block.height > kBottom - kTop) {
      return Internal("AGREEMENT_BLOCK_TOO_TALL",
                      absl::StrCat("block ", i, " is ", block.height, " pt, taller than a page"));
    }

    const bool at_page_top = pages.back().empty();
    double top = at_page_top ? y : y + block.space_before;
    double needed = block.height;
    if (block.keep_with_next && i + 1 < blocks.size()) {
      needed += blocks[i + 1].space_before + blocks[i + 1].height;
    }
    if (!at_page_top && top + needed > kBottom) {
      pages.emplace_back();
      top = kTop;
    }
    pages.back().push_back({i, top});
    y = top + block.height;
  }
  return pages;
}

}  // namespace quxiang::agreement_pdf

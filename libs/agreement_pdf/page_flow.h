// Flows blocks of fixed height down A4 pages, breaking to a new page when a block does not fit.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_PAGE_FLOW_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_PAGE_FLOW_H_

#include <cairo.h>

#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace quxiang::agreement_pdf {

// A4 in PostScript points (1/72 inch), the unit of cairo's PDF surface.
inline constexpr double kPageWidth = 595.276;
inline constexpr double kPageHeight = 841.89;
inline constexpr double kPageMargin = 56.693;  // 20 mm.
inline constexpr double kContentWidth = kPageWidth - 2 * kPageMargin;
// The body ends this far above the bottom margin, which leaves room for the footer line.
inline constexpr double kFooterReserve = 14;

// One block: a row of fields, one line of a paragraph, a heading. Blocks never split.
struct FlowBlock {
  double height = 0;
  // Space above the block; dropped when the block starts a page.
  double space_before = 0;
  // Moves the block to the next page together with the following one when that one does not
  // fit, so a heading never ends a page.
  bool keep_with_next = false;
  // Draws the block with its top edge at `top`.
  std::function<void(cairo_t*, double top)> draw;
};

struct PlacedBlock {
  size_t block = 0;
  double top = 0;
};

// The blocks of each page with their positions. INTERNAL when a block is taller than a page.
absl::StatusOr<std::vector<std::vector<PlacedBlock>>> FlowBlocks(const std::vector<FlowBlock>& blocks);

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_PAGE_FLOW_H_

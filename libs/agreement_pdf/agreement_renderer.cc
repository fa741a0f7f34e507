#include "libs/agreement_pdf/agreement_renderer.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/agreement_pdf/document_check.h"
#include "libs/agreement_pdf/fonts.h"
#include "libs/agreement_pdf/page_flow.h"
#include "libs/agreement_pdf/verification.h"
#include "libs/logging/logging.h"
#include "libs/status/error.h"

namespace quxiang::agreement_pdf {

namespace {

// Font sizes in points.
constexpr double kTitleSize = 20;
constexpr double kHeadingSize = 12.5;
constexpr double kBodySize = 10.5;
constexpr double kSmallSize = 8.5;

// The QR code on page 1, including its quiet zone of 4 modules.
constexpr double kQrSize = 96;
// Field rows: label and value widths. Two pairs fit on a row.
constexpr double kLabelWidth = 100;
constexpr double kPairWidth = kContentWidth / 2;

struct GObjectUnref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectUnref>;

struct CairoDestroy {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
  void operator()(cairo_font_options_t* options) const { cairo_font_options_destroy(options); }
};

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

struct FontDescriptionFree {
  void operator()(PangoFontDescription* description) const { pango_font_description_free(description); }
};
using FontDescriptionPtr = std::unique_ptr<PangoFontDescription, FontDescriptionFree>;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string FormatDay(const std::optional<absl::CivilDay>& day) {
  if (!day.has_value()) return "　　　　年　　月　　日";
  return absl::StrCat(day->year(), "年", day->month(), "月", day->day(), "日");
}

// Builds the blocks of one document. Layouts stay alive in `layouts_` until the PDF is drawn,
// because line blocks point into them.
class DocumentBuilder {
 public:
  DocumentBuilder(PangoContext* context, const std::string& family)
      : context_(context), family_(family) {}

  std::vector<FlowBlock>& blocks() { return blocks_; }

  // Counts the unknown glyphs, which Pango draws as boxes, over every layout made so far.
  int UnknownGlyphs() const {
    int count = 0;
    for (const LayoutPtr& layout : layouts_) count += pango_layout_get_unknown_glyphs_count(layout.get());
    return count;
  }

  PangoLayout* MakeLayout(const std::string& text, double size, bool bold, double width) {
    FontDescriptionPtr description(pango_font_description_new());
    pango_font_description_set_family(description.get(), family_.c_str());
    pango_font_description_set_absolute_size(description.get(), size * PANGO_SCALE);
    pango_font_description_set_weight(description.get(),
                                      bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);

    LayoutPtr layout(pango_layout_new(context_));
    pango_layout_set_font_description(layout.get(), description.get());
    pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_line_spacing(layout.get(), 1.35f);
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
    layouts_.push_back(std::move(layout));
    return layouts_.back().get();
  }

  static double Height(PangoLayout* layout) {
    PangoRectangle logical;
    pango_layout_get_extents(layout, nullptr, &logical);
    return static_cast<double>(logical.height) / PANGO_SCALE;
  }

  // Adds `layout` line by line, so a long paragraph continues on the next page.
  void AddParagraph(PangoLayout* layout, double x, double space_before) {
    PangoLayoutIter* iter = pango_layout_get_iter(layout);
    bool first = true;
    do {
      int y0 = 0;
      int y1 = 0;
      pango_layout_iter_get_line_yrange(iter, &y0, &y1);
      const double baseline = static_cast<double>(pango_layout_iter_get_baseline(iter) - y0) / PANGO_SCALE;
      PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter);
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(iter, nullptr, &logical);
      const double line_x = x + static_cast<double>(logical.x) / PANGO_SCALE;

      FlowBlock block;
      block.height = static_cast<double>(y1 - y0) / PANGO_SCALE;
      block.space_before = first ? space_before : 0;
      block.draw = [line, line_x, baseline](cairo_t* cr, double top) {
        cairo_move_to(cr, line_x, top + baseline);
        pango_cairo_show_layout_line(cr, line);
      };
      blocks_.push_back(std::move(block));
      first = false;
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
  }

  void AddText(const std::string& text, double size, bool bold, double space_before,
               double first_line_indent = 0) {
    PangoLayout* layout = MakeLayout(text, size, bold, kContentWidth);
    pango_layout_set_indent(layout, static_cast<int>(first_line_indent * PANGO_SCALE));
    AddParagraph(layout, kPageMargin, space_before);
  }

  // Adds a section heading with a rule under it, kept on the page of the block that follows.
  void AddHeading(const std::string& text) {
    PangoLayout* layout = MakeLayout(text, kHeadingSize, true, kContentWidth);
    FlowBlock block;
    block.height = Height(layout) + 6;
    block.space_before = 16;
    block.keep_with_next = true;
    block.draw = [layout](cairo_t* cr, double top) {
      cairo_move_to(cr, kPageMargin, top);
      pango_cairo_show_layout(cr, layout);
      const double rule_y = top + Height(layout) + 3;
      cairo_set_line_width(cr, 0.6);
      cairo_move_to(cr, kPageMargin, rule_y);
      cairo_line_to(cr, kPageMargin + kContentWidth, rule_y);
      cairo_stroke(cr);
    };
    blocks_.push_back(std::move(block));
  }

  struct Pair {
    std::string label;
    std::string value;
  };

  // Adds a row of one or two label-value pairs. A single pair takes the whole width.
  void AddFieldRow(const std::vector<Pair>& pairs) {
    struct Cell {
      PangoLayout* label;
      PangoLayout* value;
      double x;
    };
    std::vector<Cell> cells;
    double height = 0;
    const double pair_width = pairs.size() == 1 ? kContentWidth : kPairWidth;
    for (size_t i = 0; i < pairs.size(); ++i) {
      const double x = kPageMargin + static_cast<double>(i) * kPairWidth;
      Cell cell{MakeLayout(pairs[i].label + "：", kBodySize, false, kLabelWidth),
                MakeLayout(pairs[i].value, kBodySize, false, pair_width - kLabelWidth - 8), x};
      height = std::max({height, Height(cell.label), Height(cell.value)});
      cells.push_back(cell);
    }
    FlowBlock block;
    block.height = height;
    block.space_before = 3;
    block.draw = [cells](cairo_t* cr, double top) {
      for (const Cell& cell : cells) {
        cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
        cairo_move_to(cr, cell.x, top);
        pango_cairo_show_layout(cr, cell.label);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, cell.x + kLabelWidth, top);
        pango_cairo_show_layout(cr, cell.value);
      }
    };
    blocks_.push_back(std::move(block));
  }

  // Adds the title, agreement type, number, version and code on the left and the QR code on
  // the right.
  void AddHeader(const AgreementDocument& document, const QRcode* qr) {
    const double text_width = kContentWidth - kQrSize - 16;
    const std::string type_name = document.type == AgreementType::kThreeParty
                                      ? "三方协议（用人单位、毕业生、学校）"
                                      : "两方协议（用人单位、毕业生，学校鉴证）";
    PangoLayout* title = MakeLayout("高校毕业生电子就业协议书", kTitleSize, true, text_width);
    PangoLayout* details = MakeLayout(
        absl::StrCat(type_name, "\n协议编号：", document.agreement_number, "\n协议版本：第 ",
                     document.version, " 版\n验证码：", FormatVerificationCode(document.verification_code)),
        kBodySize, false, text_width);
    PangoLayout* caption = MakeLayout("扫码验证协议真伪", kSmallSize, false, kQrSize);
    pango_layout_set_alignment(caption, PANGO_ALIGN_CENTER);

    const double title_height = Height(title);
    FlowBlock block;
    block.height = std::max(title_height + 10 + Height(details), kQrSize + Height(caption));
    block.draw = [title, details, caption, qr, title_height](cairo_t* cr, double top) {
      cairo_move_to(cr, kPageMargin, top);
      pango_cairo_show_layout(cr, title);
      cairo_move_to(cr, kPageMargin, top + title_height + 10);
      pango_cairo_show_layout(cr, details);

      const double qr_x = kPageMargin + kContentWidth - kQrSize;
      DrawQrCode(cr, qr, qr_x, top);
      cairo_move_to(cr, qr_x, top + kQrSize);
      pango_cairo_show_layout(cr, caption);
    };
    blocks_.push_back(std::move(block));
  }

  // Draws the code's modules as filled squares on a white square of kQrSize points.
  static void DrawQrCode(cairo_t* cr, const QRcode* qr, double x, double y) {
    const int modules = qr->width;
    const double module_size = kQrSize / (modules + 8);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, kQrSize, kQrSize);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int row = 0; row < modules; ++row) {
      for (int column = 0; column < modules; ++column) {
        if ((qr->data[row * modules + column] & 1) == 0) continue;
        cairo_rectangle(cr, x + (column + 4) * module_size, y + (row + 4) * module_size,
                        module_size, module_size);
      }
    }
    cairo_fill(cr);
    cairo_restore(cr);
  }

  PangoLayout* MakeFooter(const std::string& agreement_number, size_t page, size_t pages) {
    PangoLayout* layout = MakeLayout(
        absl::StrCat("协议编号：", agreement_number, "　　第 ", page, " 页　共 ", pages, " 页"),
        kSmallSize, false, kContentWidth);
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
    return layout;
  }

 private:
  PangoContext* context_;
  std::string family_;
  std::vector<LayoutPtr> layouts_;
  std::vector<FlowBlock> blocks_;
};

void AddParties(DocumentBuilder& builder, const AgreementDocument& document) {
  const EmployerParty& employer = document.employer;
  builder.AddHeading("甲方（用人单位）");
  builder.AddFieldRow({{"单位名称", employer.name}});
  builder.AddFieldRow({{"统一社会信用代码", employer.unified_social_credit_code}});
  builder.AddFieldRow({{"单位地址", employer.address}});
  builder.AddFieldRow({{"联系人", employer.contact_name}, {"联系电话", employer.contact_phone}});

  const GraduateParty& graduate = document.graduate;
  const std::string id_number = document.show_full_id_number
                                    ? graduate.id_number
                                    : logging::MaskIdNumber(graduate.id_number);
  builder.AddHeading("乙方（毕业生）");
  builder.AddFieldRow({{"姓名", graduate.name}, {"性别", graduate.gender}});
  builder.AddFieldRow({{"身份证件号", id_number}, {"学号", graduate.student_number}});
  builder.AddFieldRow({{"学校", graduate.school}, {"院系", graduate.department}});
  builder.AddFieldRow({{"专业", graduate.major}, {"学历层次", graduate.education_level}});
  builder.AddFieldRow({{"联系电话", graduate.phone}});

  const AgreementHandler& handler = document.handler;
  builder.AddHeading(document.type == AgreementType::kThreeParty ? "丙方（学校）"
                                                                  : "鉴证方（学校）");
  builder.AddFieldRow({{"学校名称", graduate.school}});
  builder.AddFieldRow({{"协议经办人", handler.name}, {"联系电话", handler.phone}});
  builder.AddFieldRow({{"通讯地址", handler.address}, {"邮政编码", handler.postal_code}});
}

void AddTerms(DocumentBuilder& builder, const AgreementDocument& document) {
  builder.AddHeading("协议条款");
  for (const AgreementTerm& term : document.terms) {
    PangoLayout* title = builder.MakeLayout(term.title, kBodySize, true, kContentWidth);
    builder.AddParagraph(title, kPageMargin, 10);
    // The title line must not end a page without the text after it.
    builder.blocks().back().keep_with_next = true;
    for (absl::string_view paragraph : absl::StrSplit(term.text, '\n', absl::SkipWhitespace())) {
      builder.AddText(std::string(paragraph), kBodySize, false, 4, 2 * kBodySize);
    }
  }
}

void AddSignatures(DocumentBuilder& builder, const AgreementDocument& document) {
  builder.AddHeading("签署");
  const bool three_party = document.type == AgreementType::kThreeParty;
  const std::vector<std::pair<std::string, std::string>> signers = {
      {"甲方（用人单位盖章）", FormatDay(document.sign_dates.employer)},
      {"乙方（毕业生签名）", FormatDay(document.sign_dates.graduate)},
      {three_party ? "丙方（学校盖章）" : "鉴证方（学校鉴证章）", FormatDay(document.sign_dates.school)},
  };
  for (const auto& [signer, day] : signers) {
    builder.AddText(signer + "：", kBodySize, false, 14);
    // The signer and the date line below it stay on one page.
    builder.blocks().back().keep_with_next = true;
    builder.AddText(absl::StrCat("日期：", day), kBodySize, false, 22);
  }
}

void AddVerification(DocumentBuilder& builder, const AgreementDocument& document,
                     const std::string& link) {
  builder.AddHeading("协议验证");
  builder.AddText(
      absl::StrCat("本协议验证码为 ", FormatVerificationCode(document.verification_code),
                   "。扫描第 1 页右上角的二维码，或访问 ", document.verification_url,
                   " 并输入协议编号和验证码，可核验本协议的真伪和版本。仅最新版本的协议验证有效。"),
      kBodySize, false, 6, 2 * kBodySize);
  builder.AddText(absl::StrCat("验证链接：", link), kSmallSize, false, 4);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgreementRenderer>> AgreementRenderer::Create(
    const AgreementRendererOptions& options) {
  absl::StatusOr<std::unique_ptr<Fonts>> fonts = Fonts::Load(options);
  if (!fonts.ok()) return fonts.status();
  return std::unique_ptr<AgreementRenderer>(new AgreementRenderer(*std::move(fonts)));
}

AgreementRenderer::AgreementRenderer(std::unique_ptr<Fonts> fonts) : fonts_(std::move(fonts)) {}

AgreementRenderer::~AgreementRenderer() = default;

absl::Status AgreementRenderer::Check(const AgreementDocument& document) const {
  if (absl::Status status = CheckDocument(document, *fonts_); !status.ok()) return status;
  return BuildVerificationLink(document.verification_url, document.agreement_number, document.verification_code)
      .status();
}

absl::StatusOr<std::string> AgreementRenderer::Render(const AgreementDocument& document) const {
  if (absl::Status status = CheckDocument(document, *fonts_); !status.ok()) return status;
  absl::StatusOr<std::string> link = BuildVerificationLink(
      document.verification_url, document.agreement_number, document.verification_code);
  if (!link.ok()) return link.status();

  std::unique_ptr<QRcode, QrFree> qr(QRcode_encodeString(link->c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (qr == nullptr) {
    return Internal("AGREEMENT_QR_FAILED", absl::StrCat("QRcode_encodeString failed for ", *link));
  }

  std::lock_guard<std::mutex> lock(fonts_->mutex());
  std::string pdf;
  std::unique_ptr<cairo_surface_t, CairoDestroy> surface(
      cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kPageWidth, kPageHeight));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                 absl::StrCat("高校毕业生电子就业协议书 ", document.agreement_number).c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Quxiang");
  std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));

  // Outlines and metrics stay unhinted because a PDF viewer scales the page, and hinting for
  // one size would only distort the others.
  ContextPtr context(pango_font_map_create_context(fonts_->font_map()));
  std::unique_ptr<cairo_font_options_t, CairoDestroy> font_options(cairo_font_options_create());
  cairo_font_options_set_hint_style(font_options.get(), CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(font_options.get(), CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context.get(), font_options.get());
  pango_cairo_context_set_resolution(context.get(), 72);
  pango_cairo_update_context(cr.get(), context.get());

  DocumentBuilder builder(context.get(), fonts_->family());
  builder.AddHeader(document, qr.get());
  AddParties(builder, document);
  AddTerms(builder, document);
  AddSignatures(builder, document);
  AddVerification(builder, document, *link);
  if (const int unknown = builder.UnknownGlyphs(); unknown > 0) {
    return Internal("AGREEMENT_GLYPH_MISSING",
                    absl::StrCat(unknown, " glyphs of agreement ", document.agreement_number,
                                 " are missing from the fonts after the character check passed"));
  }

  absl::StatusOr<std::vector<std::vector<PlacedBlock>>> pages = FlowBlocks(builder.blocks());
  if (!pages.ok()) return pages.status();
  for (size_t page = 0; page < pages->size(); ++page) {
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    for (const PlacedBlock& placed : (*pages)[page]) {
      builder.blocks()[placed.block].draw(cr.get(), placed.top);
    }
    PangoLayout* footer = builder.MakeFooter(document.agreement_number, page + 1, pages->size());
    cairo_set_source_rgb(cr.get(), 0.3, 0.3, 0.3);
    cairo_move_to(cr.get(), kPageMargin, kPageHeight - kPageMargin);
    pango_cairo_show_layout(cr.get(), footer);
    cairo_show_page(cr.get());
  }

  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_status_t status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return Internal("AGREEMENT_PDF_FAILED",
                    absl::StrCat("cairo failed to write agreement ", document.agreement_number, ": ",
                                 cairo_status_to_string(status)));
  }
  return pdf;
}

}  // namespace quxiang::agreement_pdf

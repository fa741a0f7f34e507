// The fonts of an AgreementRenderer: a Pango font map over a private fontconfig configuration
// that contains only the configured font files, the fallback files included.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_FONTS_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_FONTS_H_

#include <fontconfig/fontconfig.h>
#include <pango/pango.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "libs/agreement_pdf/agreement_renderer.h"

namespace quxiang::agreement_pdf {

class AgreementRenderer::Fonts {
 public:
  // FAILED_PRECONDITION (AGREEMENT_FONT_MISSING) when a file does not load, lacks the family or
  // the family has no Chinese glyphs.
  static absl::StatusOr<std::unique_ptr<Fonts>> Load(const AgreementRendererOptions& options);

  ~Fonts();
  Fonts(const Fonts&) = delete;
  Fonts& operator=(const Fonts&) = delete;

  PangoFontMap* font_map() const { return font_map_; }
  const std::string& family() const { return family_; }

  // True when some loaded face has a glyph for `code_point`, so Pango can draw it.
  bool Covers(char32_t code_point) const;

  // Pango font maps are not safe for concurrent use, so renders take this lock.
  std::mutex& mutex() const { return mutex_; }

 private:
  Fonts() = default;

  PangoFontMap* font_map_ = nullptr;
  FcCharSet* coverage_ = nullptr;
  std::string family_;
  mutable std::mutex mutex_;
};

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_FONTS_H_

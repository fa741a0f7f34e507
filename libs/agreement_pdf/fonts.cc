#include "libs/agreement_pdf/fonts.h"

#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/status/error.h"

namespace quxiang::agreement_pdf {

namespace {

// A character every Chinese font has: 中 (U+4E2D).
constexpr FcChar32 kChineseProbe = 0x4E2D;

absl::Status FontMissing(const std::string& file, const std::string& problem_zh) {
  return FailedPrecondition(
      "AGREEMENT_FONT_MISSING",
      absl::StrCat("协议书字体文件“", file, "”", problem_zh,
                   "，无法生成电子就业协议书。请安装 fonts-noto-cjk 软件包或配置正确的中文字体文件。"),
      {{"font_file", file}});
}

bool HasFamily(FcPattern* pattern, const std::string& family) {
  FcChar8* value = nullptr;
  for (int i = 0; FcPatternGetString(pattern, FC_FAMILY, i, &value) == FcResultMatch; ++i) {
    if (family == reinterpret_cast<const char*>(value)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgreementRenderer::Fonts>> AgreementRenderer::Fonts::Load(
    const AgreementRendererOptions& options) {
  std::unique_ptr<Fonts> fonts(new Fonts());
  fonts->family_ = options.font_family;

  // An empty configuration: no system fonts, so Pango can only pick faces of these files.
  FcConfig* config = FcConfigCreate();
  if (config == nullptr) return Internal("AGREEMENT_FONT_CONFIG_FAILED", "FcConfigCreate failed");
  fonts->coverage_ = FcCharSetCreate();

  std::vector<std::string> files = {options.regular_font_file, options.bold_font_file};
  files.insert(files.end(), options.fallback_font_files.begin(), options.fallback_font_files.end());
  for (const std::string& file : files) {
    if (!FcConfigAppFontAddFile(config, reinterpret_cast<const FcChar8*>(file.c_str()))) {
      FcConfigDestroy(config);
      return FontMissing(file, "不存在或不是字体文件");
    }
  }

  FcFontSet* faces = FcConfigGetFonts(config, FcSetApplication);
  for (int i = 0; faces != nullptr && i < faces->nfont; ++i) {
    FcCharSet* charset = nullptr;
    if (FcPatternGetCharSet(faces->fonts[i], FC_CHARSET, 0, &charset) == FcResultMatch) {
      FcCharSetMerge(fonts->coverage_, charset, nullptr);
    }
  }
  for (const std::string& file : {options.regular_font_file, options.bold_font_file}) {
    bool family_found = false;
    bool has_chinese = false;
    for (int i = 0; faces != nullptr && i < faces->nfont; ++i) {
      FcPattern* face = faces->fonts[i];
      FcChar8* face_file = nullptr;
      FcCharSet* charset = nullptr;
      if (FcPatternGetString(face, FC_FILE, 0, &face_file) != FcResultMatch ||
          file != reinterpret_cast<const char*>(face_file) ||
          FcPatternGetCharSet(face, FC_CHARSET, 0, &charset) != FcResultMatch) {
        continue;
      }
      if (HasFamily(face, options.font_family)) {
        family_found = true;
        has_chinese = has_chinese || FcCharSetHasChar(charset, kChineseProbe);
      }
    }
    if (!family_found) {
      FcConfigDestroy(config);
      return FontMissing(file, absl::StrCat("中没有字体族“", options.font_family, "”"));
    }
    if (!has_chinese) {
      FcConfigDestroy(config);
      return FontMissing(file, "不含中文字形");
    }
  }

  fonts->font_map_ = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
  if (fonts->font_map_ == nullptr) {
    FcConfigDestroy(config);
    return Internal("AGREEMENT_FONT_CONFIG_FAILED", "cairo has no FreeType font backend");
  }
  // The font map keeps its own reference to the configuration.
  pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(fonts->font_map_), config);
  FcConfigDestroy(config);
  return fonts;
}

AgreementRenderer::Fonts::~Fonts() {
  if (font_map_ != nullptr) g_object_unref(font_map_);
  if (coverage_ != nullptr) FcCharSetDestroy(coverage_);
}

bool AgreementRenderer::Fonts::Covers(char32_t code_point) const {
  return FcCharSetHasChar(coverage_, static_cast<FcChar32>(code_point));
}

}  // namespace quxiang::agreement_pdf

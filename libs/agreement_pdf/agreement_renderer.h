// Renders the electronic employment agreement (电子就业协议书) as a PDF.
//
// The document is A4 with 20 mm margins. Page 1 starts with the title, the agreement type,
// number, version and verification code, and a QR code that links to the verification page.
// Then follow the employer (甲方), the graduate (乙方) and the school with its agreement handler
// (丙方 in a three-party agreement, the attesting school in a two-party one). The terms, the
// signature lines with their dates and the verification instructions close the document. Long terms wrap and flow onto further pages, and every page has a
// footer with the agreement number and "第 n 页 共 m 页".
//
// Text is laid out by Pango with HarfBuzz shaping and drawn by cairo, which embeds a subset of
// the font in the PDF. The renderer loads only the font files named in its options into a
// private fontconfig configuration, so a missing file or family is an error at Create and the
// output never falls back to a system font without Chinese glyphs. Render rejects a character
// that the loaded fonts lack, naming its field and code point, so no character is ever printed
// as an empty box.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_AGREEMENT_RENDERER_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_AGREEMENT_RENDERER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace quxiang::agreement_pdf {

// The two templates a province can choose. Two-party agreements are between the employer and
// the graduate and attested by the school; three-party agreements make the school a party.
enum class AgreementType { kTwoParty, kThreeParty };

struct GraduateParty {
  std::string name;
  std::string gender;  // As displayed, such as 男 or 女.
  std::string id_number;
  std::string school;
  std::string department;
  std::string major;
  std::string education_level;  // Such as 本科 or 硕士研究生.
  std::string student_number;
  std::string phone;
};

struct EmployerParty {
  std::string name;
  std::string unified_social_credit_code;
  std::string address;
  std::string contact_name;
  std::string contact_phone;
};

// The school's agreement handler (就业协议经办人) from the school's signing settings.
struct AgreementHandler {
  std::string name;
  std::string phone;
  std::string address;
  std::string postal_code;
};

// One clause: a title such as "一、工作岗位" and its text. A '\n' in `text` starts a new paragraph.
struct AgreementTerm {
  std::string title;
  std::string text;
};

// Dates each side signed or the school approved; an absent date prints as a blank to fill in.
struct SignDates {
  std::optional<absl::CivilDay> employer;
  std::optional<absl::CivilDay> graduate;
  std::optional<absl::CivilDay> school;
};

struct AgreementDocument {
  std::string agreement_number;
  int64_t version = 0;
  AgreementType type = AgreementType::kThreeParty;
  GraduateParty graduate;
  EmployerParty employer;
  AgreementHandler handler;
  std::vector<AgreementTerm> terms;
  SignDates sign_dates;
  // From VerificationKey::Derive for this number and version; printed as XXXX-XXXX.
  std::string verification_code;
  // The verification page; the QR code encodes BuildVerificationLink of it.
  std::string verification_url;
  // Prints the full ID number; otherwise it is masked as 110105********1234.
  bool show_full_id_number = false;
};

// Maximum lengths in Unicode code points: of a single-line field or term title, and of a term
// text. kMaxTerms is the maximum number of terms.
inline constexpr size_t kMaxFieldChars = 200;
inline constexpr size_t kMaxTermTextChars = 20000;
inline constexpr size_t kMaxTerms = 100;

// NOTE: cairo 1.16 (Debian 12) embeds every CFF subroutine of a font subset when its charstring
// parser gives up, which some Latin letter pairs next to Chinese text trigger (measured: "中KF").
// A typical agreement with Noto Sans CJK is therefore about 1 MB.
struct AgreementRendererOptions {
  // Font collections of Debian's fonts-noto-cjk package (scripts/packages.txt).
  std::string regular_font_file = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
  std::string bold_font_file = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
  // The family in those files to use. Other faces of the same files (the TC and HK faces of
  // Noto Sans CJK, for instance) serve characters this family lacks.
  std::string font_family = "Noto Sans CJK SC";
  // Further font files for characters that the two files above lack, such as a font with the
  // rest of CJK Extension B. They need not contain `font_family`.
  std::vector<std::string> fallback_font_files;
};

class AgreementRenderer {
 public:
  // Loads the fonts. FAILED_PRECONDITION with reason AGREEMENT_FONT_MISSING when a file cannot
  // be loaded, or the regular or bold file lacks the family or its Chinese glyphs.
  static absl::StatusOr<std::unique_ptr<AgreementRenderer>> Create(
      const AgreementRendererOptions& options = {});

  ~AgreementRenderer();
  AgreementRenderer(const AgreementRenderer&) = delete;
  AgreementRenderer& operator=(const AgreementRenderer&) = delete;

  // Returns the PDF bytes of `document`. Safe to call from several threads; calls run one at a
  // time. INVALID_ARGUMENT for a missing or too long field, text that is not UTF-8 or has
  // control characters, or an invalid verification code or URL. FAILED_PRECONDITION with reason
  // AGREEMENT_CHARACTER_NOT_IN_FONT when a character is in none of the loaded fonts.
  absl::StatusOr<std::string> Render(const AgreementDocument& document) const;

  // Runs the input checks of Render without drawing, so it returns Render's INVALID_ARGUMENT and
  // FAILED_PRECONDITION errors for the same document. It does not wait for a Render in progress.
  absl::Status Check(const AgreementDocument& document) const;

  class Fonts;

 private:
  explicit AgreementRenderer(std::unique_ptr<Fonts> fonts);
  std::unique_ptr<Fonts> fonts_;
};

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_AGREEMENT_RENDERER_H_

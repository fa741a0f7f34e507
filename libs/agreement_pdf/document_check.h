// Input checks that Render runs before it lays out an agreement.
#ifndef QUXIANG_LIBS_AGREEMENT_PDF_DOCUMENT_CHECK_H_
#define QUXIANG_LIBS_AGREEMENT_PDF_DOCUMENT_CHECK_H_

#include "absl/status/status.h"
#include "libs/agreement_pdf/agreement_renderer.h"
#include "libs/agreement_pdf/fonts.h"

namespace quxiang::agreement_pdf {

// Checks that every field is present, valid UTF-8 without control characters (term texts may
// contain '\n'), within its length limit and drawable with `fonts`, and that the agreement
// number, version, verification code and URL are well formed.
absl::Status CheckDocument(const AgreementDocument& document, const AgreementRenderer::Fonts& fonts);

}  // namespace quxiang::agreement_pdf

#endif  // QUXIANG_LIBS_AGREEMENT_PDF_DOCUMENT_CHECK_H_

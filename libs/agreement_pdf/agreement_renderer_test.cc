#include "libs/agreement_pdf/agreement_renderer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "libs/agreement_pdf/verification.h"
#include "libs/status/error.h"
#include "libs/testing/process.h"

namespace quxiang::agreement_pdf {
namespace {

constexpr char kKey[] = "agreement-renderer-test-key-0123456789abcdef";

// A name with two characters outside the BMP, which Noto Sans CJK covers.
constexpr char kGraduateName[] = "王𡐤𠀾";
constexpr char kEmployerName[] = "北京曲香数据科技有限公司";
constexpr char kHandlerName[] = "欧阳明";
constexpr char kIdNumber[] = "110105200001011234";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

// Runs a poppler or zbar tool and returns its stdout and stderr. The test fails when the tool
// exits non-zero or runs longer than 20 seconds.
std::string RunTool(const std::string& path, const std::vector<std::string>& args) {
  testing::ChildProcess process(path, args);
  std::optional<int> exit_status = process.WaitExit(absl::Seconds(20));
  EXPECT_EQ(exit_status, std::optional<int>(0))
      << path << " failed (is it installed? see scripts/packages.txt): " << process.Log();
  return process.Log();
}

// The text of `pdf` as pdftotext extracts it.
std::string ExtractText(const std::string& pdf) {
  const std::string dir = testing::MakeTempDir("qx-agreement-text");
  WriteFile(dir + "/agreement.pdf", pdf);
  RunTool("/usr/bin/pdftotext", {"-enc", "UTF-8", dir + "/agreement.pdf", dir + "/agreement.txt"});
  return ReadFile(dir + "/agreement.txt");
}

// `text` without ASCII whitespace and U+3000, because pdftotext guesses the spaces it prints
// from glyph positions.
std::string WithoutSpaces(const std::string& text) {
  std::string out = absl::StrReplaceAll(text, {{"\u3000", ""}});
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }),
            out.end());
  return out;
}

int PageCount(const std::string& pdf) {
  const std::string dir = testing::MakeTempDir("qx-agreement-info");
  WriteFile(dir + "/agreement.pdf", pdf);
  const std::string info = RunTool("/usr/bin/pdfinfo", {dir + "/agreement.pdf"});
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    int pages = 0;
    if (absl::ConsumePrefix(&line, "Pages:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &pages)) {
      return pages;
    }
  }
  ADD_FAILURE() << "pdfinfo printed no page count: " << info;
  return 0;
}

AgreementDocument MakeDocument() {
  absl::StatusOr<VerificationKey> key = VerificationKey::Create(kKey);
  EXPECT_TRUE(key.ok()) << key.status();

  AgreementDocument document;
  document.agreement_number = "QX2026-0001234";
  document.version = 2;
  document.type = AgreementType::kThreeParty;
  document.graduate = {kGraduateName, "男", kIdNumber, "曲香大学", "计算机学院", "软件工程",
                       "本科", "2022012345", "13800001234"};
  document.employer = {kEmployerName, "91110105MA01ABCD3X", "北京市朝阳区望京街道 10 号院 3 号楼",
                       "李经理", "010-64001234"};
  document.handler = {kHandlerName, "0571-88001234", "浙江省杭州市西湖区曲香路 1 号", "310000"};
  document.terms = {
      {"一、工作岗位", "甲方聘用乙方从事软件开发工作，工作地点为北京市。"},
      {"二、服务期与报到", "乙方应于毕业后按甲方通知报到。\n报到时乙方应携带报到证明材料。"},
  };
  document.sign_dates.employer = absl::CivilDay(2026, 5, 20);
  document.sign_dates.graduate = absl::CivilDay(2026, 5, 21);
  document.verification_code = *key->Derive(document.agreement_number, document.version);
  document.verification_url = "https://qx.example.cn/agreements/verify";
  return document;
}

class AgreementRendererTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create();
    ASSERT_TRUE(renderer.ok()) << renderer.status();
    renderer_ = std::move(*renderer).release();
  }
  static void TearDownTestSuite() {
    delete renderer_;
    renderer_ = nullptr;
  }

  static std::string RenderOrFail(const AgreementDocument& document) {
    absl::StatusOr<std::string> pdf = renderer_->Render(document);
    EXPECT_TRUE(pdf.ok()) << pdf.status();
    return pdf.ok() ? *pdf : std::string();
  }

  static AgreementRenderer* renderer_;
};

AgreementRenderer* AgreementRendererTest::renderer_ = nullptr;

TEST_F(AgreementRendererTest, PdfIsCompleteWithEmbeddedFont) {
  const std::string pdf = RenderOrFail(MakeDocument());
  ASSERT_FALSE(pdf.empty());
  EXPECT_TRUE(absl::StartsWith(pdf, "%PDF-"));
  EXPECT_TRUE(absl::EndsWith(absl::StripTrailingAsciiWhitespace(pdf), "%%EOF"));
  // cairo embeds the CFF outlines of Noto Sans CJK as FontFile3 (FontFile2 for TrueType).
  EXPECT_TRUE(absl::StrContains(pdf, "/FontFile3") || absl::StrContains(pdf, "/FontFile2"));
  // Type 3 fonts are cairo's fallback when it cannot embed a font.
  EXPECT_FALSE(absl::StrContains(pdf, "/Type3"));
  EXPECT_GE(PageCount(pdf), 1);
  // NotoSansCJK-Regular.ttc is 19 MB, so a PDF this small embeds subsets only. The bound leaves
  // room for cairo 1.16, which keeps all CFF subroutines of a subset (about 0.9 MB) when it
  // cannot parse one of its charstrings.
  EXPECT_LT(pdf.size(), 3u * 1024 * 1024);
}

TEST_F(AgreementRendererTest, TextContainsPartiesAndNumber) {
  const AgreementDocument document = MakeDocument();
  const std::string text = ExtractText(RenderOrFail(document));
  EXPECT_TRUE(absl::StrContains(text, kGraduateName)) << text;
  EXPECT_TRUE(absl::StrContains(text, kEmployerName)) << text;
  EXPECT_TRUE(absl::StrContains(text, kHandlerName)) << text;
  EXPECT_TRUE(absl::StrContains(text, "QX2026-0001234")) << text;
  EXPECT_TRUE(absl::StrContains(text, FormatVerificationCode(document.verification_code))) << text;
  EXPECT_TRUE(absl::StrContains(text, "310000")) << text;
  EXPECT_TRUE(absl::StrContains(text, "丙方（学校）")) << text;
  EXPECT_TRUE(absl::StrContains(text, "2026年5月21日")) << text;
  EXPECT_TRUE(absl::StrContains(WithoutSpaces(text), "第1页共")) << text;
  EXPECT_TRUE(absl::StrContains(text, "报到时乙方应携带报到证明材料")) << text;
}

TEST_F(AgreementRendererTest, IdNumberMaskedUnlessFullView) {
  AgreementDocument document = MakeDocument();
  std::string text = ExtractText(RenderOrFail(document));
  EXPECT_TRUE(absl::StrContains(text, "110105********1234")) << text;
  EXPECT_FALSE(absl::StrContains(text, kIdNumber)) << text;

  document.show_full_id_number = true;
  text = ExtractText(RenderOrFail(document));
  EXPECT_TRUE(absl::StrContains(text, kIdNumber)) << text;
}

TEST_F(AgreementRendererTest, TwoPartyAgreementNamesAttestingSchool) {
  AgreementDocument document = MakeDocument();
  document.type = AgreementType::kTwoParty;
  const std::string text = ExtractText(RenderOrFail(document));
  EXPECT_TRUE(absl::StrContains(text, "鉴证方（学校）")) << text;
  EXPECT_TRUE(absl::StrContains(text, "两方协议")) << text;
  EXPECT_FALSE(absl::StrContains(text, "丙方")) << text;
}

TEST_F(AgreementRendererTest, QrCodeDecodesToVerificationLink) {
  AgreementDocument longest = MakeDocument();
  // A link of the maximum length the checks accept: a 200-byte URL and a 64-character number.
  longest.verification_url = "https://qx.example.cn/" + std::string(178, 'v');
  longest.agreement_number = std::string(64, 'Q');
  absl::StatusOr<VerificationKey> key = VerificationKey::Create(kKey);
  ASSERT_TRUE(key.ok()) << key.status();
  longest.verification_code = *key->Derive(longest.agreement_number, longest.version);

  for (const AgreementDocument& document : {MakeDocument(), longest}) {
    SCOPED_TRACE(document.verification_url);
    const std::string dir = testing::MakeTempDir("qx-agreement-qr");
    WriteFile(dir + "/agreement.pdf", RenderOrFail(document));
    RunTool("/usr/bin/pdftoppm", {"-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                                  dir + "/agreement.pdf", dir + "/page1"});
    const std::string decoded =
        RunTool("/usr/bin/zbarimg", {"--raw", "-q", "--nodbus", dir + "/page1.png"});

    const std::string expected = *BuildVerificationLink(
        document.verification_url, document.agreement_number, document.verification_code);
    EXPECT_EQ(absl::StripTrailingAsciiWhitespace(decoded), expected);
  }
}

TEST_F(AgreementRendererTest, LongTermsFlowOntoMorePages) {
  AgreementDocument document = MakeDocument();
  document.terms.clear();
  for (int i = 1; i <= 12; ++i) {
    std::string text;
    for (int sentence = 0; sentence < 25; ++sentence) {
      text += "双方应遵守国家有关毕业生就业的法律法规和政策规定，本条款内容用于测试长文本换行与分页。";
    }
    text += absl::StrCat("\n第", i, "条结束标记");
    document.terms.push_back({absl::StrCat("第 ", i, " 条 长条款"), text});
  }
  const std::string pdf = RenderOrFail(document);
  const int pages = PageCount(pdf);
  EXPECT_GE(pages, 4);

  const std::string text = ExtractText(pdf);
  for (int i = 1; i <= 12; ++i) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("第", i, "条结束标记"))) << "term " << i;
  }
  const std::string footer = absl::StrCat("第", pages, "页共", pages, "页");
  EXPECT_TRUE(absl::StrContains(WithoutSpaces(text), footer)) << text;
  EXPECT_TRUE(absl::StrContains(text, "协议验证")) << text;
}

TEST_F(AgreementRendererTest, RendersFromSeveralThreads) {
  const AgreementDocument document = MakeDocument();
  std::vector<absl::StatusOr<std::string>> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, &document, i] { results[i] = renderer_->Render(document); });
  }
  for (std::thread& thread : threads) thread.join();

  for (const absl::StatusOr<std::string>& pdf : results) {
    ASSERT_TRUE(pdf.ok()) << pdf.status();
    EXPECT_TRUE(absl::StartsWith(*pdf, "%PDF-"));
    EXPECT_TRUE(absl::StrContains(ExtractText(*pdf), kGraduateName));
  }
}

TEST_F(AgreementRendererTest, CharacterOutsideFontIsRejected) {
  AgreementDocument document = MakeDocument();
  // U+20000 is in CJK Extension B but not in Noto Sans CJK 2.004 (fonts-noto-cjk 20220127).
  document.graduate.name = "李\U00020000";
  absl::StatusOr<std::string> pdf = renderer_->Render(document);
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(pdf.status()), "AGREEMENT_CHARACTER_NOT_IN_FONT");
  EXPECT_EQ(ErrorMetadataOf(pdf.status())["code_point"], "U+20000");
  EXPECT_EQ(ErrorMetadataOf(pdf.status())["field"], "graduate.name");
}

TEST_F(AgreementRendererTest, BadFieldsAreRejected) {
  struct BadCase {
    std::string description;
    std::function<void(AgreementDocument&)> change;
    std::string reason;
    std::string field;
  };
  const std::vector<BadCase> cases = {
      {"missing name", [](AgreementDocument& d) { d.graduate.name = "  "; },
       "AGREEMENT_FIELD_MISSING", "graduate.name"},
      {"missing handler", [](AgreementDocument& d) { d.handler.postal_code.clear(); },
       "AGREEMENT_FIELD_MISSING", "handler.postal_code"},
      {"not UTF-8", [](AgreementDocument& d) { d.employer.name = "北京\xff公司"; },
       "AGREEMENT_FIELD_NOT_UTF8", "employer.name"},
      {"control character", [](AgreementDocument& d) { d.employer.address = "北京\n朝阳"; },
       "AGREEMENT_FIELD_CONTROL_CHARACTER", "employer.address"},
      {"too long", [](AgreementDocument& d) { d.employer.address = std::string(201, 'a'); },
       "AGREEMENT_FIELD_TOO_LONG", "employer.address"},
      {"term text too long",
       [](AgreementDocument& d) { d.terms[1].text = std::string(kMaxTermTextChars + 1, 'a'); },
       "AGREEMENT_FIELD_TOO_LONG", "terms[1].text"},
      {"no terms", [](AgreementDocument& d) { d.terms.clear(); }, "AGREEMENT_TERMS_INVALID", ""},
      {"bad number", [](AgreementDocument& d) { d.agreement_number = "QX 1/2"; },
       "AGREEMENT_NUMBER_INVALID", ""},
      {"bad version", [](AgreementDocument& d) { d.version = 0; }, "AGREEMENT_VERSION_INVALID", ""},
      {"bad code", [](AgreementDocument& d) { d.verification_code = "ABCD-EFG"; },
       "VERIFICATION_CODE_INVALID", ""},
      {"bad url", [](AgreementDocument& d) { d.verification_url = "qx.example.cn/verify"; },
       "VERIFICATION_URL_INVALID", ""},
      {"long url",
       [](AgreementDocument& d) { d.verification_url = "https://qx.example.cn/" + std::string(200, 'v'); },
       "VERIFICATION_URL_INVALID", ""},
  };
  for (const BadCase& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    AgreementDocument document = MakeDocument();
    test_case.change(document);
    absl::StatusOr<std::string> pdf = renderer_->Render(document);
    ASSERT_FALSE(pdf.ok());
    EXPECT_EQ(pdf.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(pdf.status()), test_case.reason);
    if (!test_case.field.empty()) {
      EXPECT_EQ(ErrorMetadataOf(pdf.status())["field"], test_case.field);
    }
    EXPECT_TRUE(ErrorZhMessage(pdf.status()).has_value());
  }
}

TEST(AgreementRendererFontTest, FallbackFontDrawsMissingCharacter) {
  // DejaVu Sans has U+1E0D (ḍ, used in transliterations), which Noto Sans CJK lacks.
  const std::string dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (!std::ifstream(dejavu).good()) GTEST_SKIP() << dejavu << " is not installed";
  AgreementDocument document = MakeDocument();
  document.employer.contact_name = "Ḍaḍa Rao";

  absl::StatusOr<std::unique_ptr<AgreementRenderer>> plain = AgreementRenderer::Create();
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<std::string> rejected = (*plain)->Render(document);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(ErrorReason(rejected.status()), "AGREEMENT_CHARACTER_NOT_IN_FONT");
  EXPECT_EQ(ErrorMetadataOf(rejected.status())["code_point"], "U+1E0C");

  AgreementRendererOptions options;
  options.fallback_font_files = {dejavu};
  absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create(options);
  ASSERT_TRUE(renderer.ok()) << renderer.status();
  absl::StatusOr<std::string> pdf = (*renderer)->Render(document);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_FALSE(absl::StrContains(*pdf, "/Type3"));
  EXPECT_TRUE(absl::StrContains(*pdf, "DejaVuSans"));
  EXPECT_TRUE(absl::StrContains(ExtractText(*pdf), "Ḍaḍa Rao"));
}

TEST(AgreementRendererFontTest, MissingFontFailsClearly) {
  AgreementRendererOptions options;
  options.regular_font_file = "/nonexistent/NotoSansCJK-Regular.ttc";
  absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create(options);
  ASSERT_FALSE(renderer.ok());
  EXPECT_EQ(renderer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(renderer.status()), "AGREEMENT_FONT_MISSING");
  EXPECT_EQ(ErrorMetadataOf(renderer.status())["font_file"], options.regular_font_file);
}

TEST(AgreementRendererFontTest, UnknownFamilyFailsClearly) {
  AgreementRendererOptions options;
  options.font_family = "DejaVu Sans";
  absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create(options);
  ASSERT_FALSE(renderer.ok());
  EXPECT_EQ(ErrorReason(renderer.status()), "AGREEMENT_FONT_MISSING");
}

TEST(AgreementRendererFontTest, FontWithoutChineseFailsClearly) {
  // DejaVu comes with fontconfig on Debian (fonts-dejavu-core) and has no Chinese glyphs.
  const std::string dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (!std::ifstream(dejavu).good()) GTEST_SKIP() << dejavu << " is not installed";
  AgreementRendererOptions options;
  options.regular_font_file = dejavu;
  options.bold_font_file = dejavu;
  options.font_family = "DejaVu Sans";
  absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create(options);
  ASSERT_FALSE(renderer.ok());
  EXPECT_EQ(ErrorReason(renderer.status()), "AGREEMENT_FONT_MISSING");
  EXPECT_TRUE(absl::StrContains(*ErrorZhMessage(renderer.status()), "不含中文字形"));
}

TEST(AgreementRendererFontTest, NonFontFileFailsClearly) {
  const std::string dir = testing::MakeTempDir("qx-agreement-font");
  WriteFile(dir + "/not-a-font.ttf", "this is not a font");
  AgreementRendererOptions options;
  options.bold_font_file = dir + "/not-a-font.ttf";
  absl::StatusOr<std::unique_ptr<AgreementRenderer>> renderer = AgreementRenderer::Create(options);
  ASSERT_FALSE(renderer.ok());
  EXPECT_EQ(ErrorReason(renderer.status()), "AGREEMENT_FONT_MISSING");
  EXPECT_EQ(ErrorMetadataOf(renderer.status())["font_file"], options.bold_font_file);
}

}  // namespace
}  // namespace quxiang::agreement_pdf

// Acceptance tests of the electronic agreements (电子就业协议书) of online signing over HTTP: the
// real gateway binary in front of the signing service on a real MariaDB. The PDFs are read back
// with poppler-utils (pdffonts, pdftotext, pdftoppm) and the QR code with zbarimg.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/agreement_pdf/name_mask.h"
#include "libs/testing/http_client.h"
#include "libs/testing/process.h"
#include "services/signing/tests/signing_fixture.h"

namespace quxiang::signing::testing {
namespace {

using quxiang::testing::HttpResponse;
using quxiang::testing::JsonQuote;

int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

constexpr char kDepartment[] = "计算机学院";
constexpr char kOtherDepartment[] = "外国语学院";
constexpr int kGraduatesPerSchool = 6;
constexpr char kPosition[] = "软件开发工程师";
constexpr char kNewPosition[] = "数据分析工程师";

std::string RfcTime(absl::Time time) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()); }

// Percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ for a query string.
std::string UrlEncode(const std::string& text) {
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return encoded;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Runs a poppler or zbar tool on `pdf` written to a fresh folder and returns its output. The
// test fails when the tool exits non-zero or runs longer than 30 seconds.
std::string RunTool(const std::string& tool, const std::vector<std::string>& args_after_pdf, const std::string& pdf,
                    const std::string& output_name = "") {
  const std::string dir = quxiang::testing::MakeTempDir("qx-agreement-http");
  std::ofstream(dir + "/agreement.pdf", std::ios::binary) << pdf;
  std::vector<std::string> args = args_after_pdf;
  args.push_back(dir + "/agreement.pdf");
  if (!output_name.empty()) args.push_back(dir + "/" + output_name);
  quxiang::testing::ChildProcess process(tool, args);
  std::optional<int> exit_status = process.WaitExit(absl::Seconds(30));
  EXPECT_EQ(exit_status, std::optional<int>(0)) << tool << " failed (see scripts/packages.txt): " << process.Log();
  if (output_name.empty()) return process.Log();
  return ReadFile(dir + "/" + output_name);
}

std::string PdfText(const std::string& pdf) {
  return RunTool("/usr/bin/pdftotext", {"-enc", "UTF-8"}, pdf, "agreement.txt");
}

// The rows of `pdffonts`: each font with whether it is embedded ("yes" or "no").
std::vector<std::pair<std::string, std::string>> PdfFonts(const std::string& pdf) {
  const std::string output = RunTool("/usr/bin/pdffonts", {}, pdf);
  std::vector<std::string> lines = absl::StrSplit(output, '\n');
  std::vector<std::pair<std::string, std::string>> fonts;
  // The line of dashes gives the column widths: name, type, encoding, emb, ...
  auto dashes = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return absl::StartsWith(l, "---"); });
  if (dashes == lines.end()) {
    ADD_FAILURE() << "pdffonts printed no table: " << output;
    return fonts;
  }
  std::vector<size_t> starts;
  for (size_t i = 0; i < dashes->size(); ++i) {
    if ((*dashes)[i] == '-' && (i == 0 || (*dashes)[i - 1] == ' ')) starts.push_back(i);
  }
  if (starts.size() < 4) {
    ADD_FAILURE() << "unexpected pdffonts header: " << *dashes;
    return fonts;
  }
  for (auto it = dashes + 1; it != lines.end(); ++it) {
    if (it->size() <= starts[3]) continue;
    fonts.emplace_back(std::string(absl::StripAsciiWhitespace(it->substr(0, starts[1]))),
                       std::string(absl::StripAsciiWhitespace(it->substr(starts[3], 3))));
  }
  return fonts;
}

// The box of the first word of page 1 that contains `text`, in PDF points, from
// `pdftotext -bbox-layout`; all zero when there is none.
struct WordBox {
  double x_min = 0, y_min = 0, x_max = 0, y_max = 0;
};
WordBox FindWord(const std::string& pdf, const std::string& text) {
  const std::string layout = RunTool("/usr/bin/pdftotext", {"-bbox-layout", "-enc", "UTF-8", "-f", "1", "-l", "1"}, pdf,
                                     "agreement.html");
  for (absl::string_view line : absl::StrSplit(layout, '\n')) {
    if (!absl::StrContains(line, "<word ") || !absl::StrContains(line, absl::StrCat(">", text, "<"))) continue;
    WordBox box;
    double* fields[] = {&box.x_min, &box.y_min, &box.x_max, &box.y_max};
    const char* names[] = {"xMin=\"", "yMin=\"", "xMax=\"", "yMax=\""};
    bool parsed = true;
    for (int i = 0; i < 4; ++i) {
      size_t at = line.find(names[i]);
      parsed = parsed && at != absl::string_view::npos &&
               absl::SimpleAtod(line.substr(at + strlen(names[i]), line.find('"', at + strlen(names[i])) -
                                                                        (at + strlen(names[i]))),
                                fields[i]);
    }
    if (parsed) return box;
  }
  return WordBox();
}

// Checks that page 1 of `pdf`, rasterised by pdftoppm, shows the CJK characters of `name` as
// real glyphs: the name's word is located with pdftotext, `em` (the width of one CJK character)
// comes from `cjk_word`, a word of only CJK characters on the page, and the first two character
// cells of the name must both carry ink and differ from each other at every small shift. A
// missing glyph draws the same box for every character, so its cells would match.
void ExpectRasterShowsName(const std::string& pdf, const std::string& name, const std::string& cjk_word,
                           int cjk_word_characters) {
  const WordBox word = FindWord(pdf, name);
  const WordBox reference = FindWord(pdf, cjk_word);
  ASSERT_GT(word.x_max, word.x_min) << "no word " << name << " on page 1";
  ASSERT_GT(reference.x_max, reference.x_min) << "no word " << cjk_word << " on page 1";
  // pdftoppm appends .pgm to its output root, so the PGM is read here rather than by RunTool.
  const std::string dir = quxiang::testing::MakeTempDir("qx-agreement-raster");
  std::ofstream(dir + "/agreement.pdf", std::ios::binary) << pdf;
  quxiang::testing::ChildProcess run("/usr/bin/pdftoppm", {"-gray", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                                                           dir + "/agreement.pdf", dir + "/page1"});
  ASSERT_EQ(run.WaitExit(absl::Seconds(30)), std::optional<int>(0)) << run.Log();
  const std::string pgm = ReadFile(dir + "/page1.pgm");
  // A binary PGM: "P5", width, height, maximum value, one whitespace byte, then the pixels.
  std::istringstream header(pgm);
  std::string magic;
  int width = 0, height = 0, max_value = 0;
  header >> magic >> width >> height >> max_value;
  ASSERT_EQ(magic, "P5");
  const size_t pixels_at = static_cast<size_t>(header.tellg()) + 1;
  ASSERT_EQ(pgm.size(), pixels_at + static_cast<size_t>(width) * height);
  auto dark = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < width && y < height &&
           static_cast<unsigned char>(pgm[pixels_at + static_cast<size_t>(y) * width + x]) < 128;
  };
  const double scale = 150.0 / 72.0;
  const double em = (reference.x_max - reference.x_min) / cjk_word_characters;
  const int x0 = static_cast<int>(word.x_min * scale);
  const int y0 = static_cast<int>(word.y_min * scale);
  const int rows = static_cast<int>((word.y_max - word.y_min) * scale);
  const int cell = static_cast<int>(em * scale);
  ASSERT_GT(cell, 5);
  int ink_first = 0, ink_second = 0;
  for (int i = 0; i < cell; ++i) {
    for (int j = 0; j < rows; ++j) {
      ink_first += dark(x0 + i, y0 + j);
      ink_second += dark(x0 + cell + i, y0 + j);
    }
  }
  EXPECT_GT(ink_first, cell) << "the first character of " << name << " left no ink";
  EXPECT_GT(ink_second, cell) << "the second character of " << name << " left no ink";
  int least_difference = rows * cell;
  for (int dx = -2; dx <= 2; ++dx) {
    for (int dy = -2; dy <= 2; ++dy) {
      int difference = 0;
      for (int i = 0; i < cell; ++i) {
        for (int j = 0; j < rows; ++j) difference += dark(x0 + i, y0 + j) != dark(x0 + cell + i + dx, y0 + j + dy);
      }
      least_difference = std::min(least_difference, difference);
    }
  }
  EXPECT_GT(least_difference, std::min(ink_first, ink_second) / 2)
      << "the first two characters of " << name << " rasterise alike, as missing glyphs do";
}

// The QR code of page 1, rasterised at 150 dpi by pdftoppm and decoded by zbarimg.
std::string QrLink(const std::string& pdf) {
  const std::string dir = quxiang::testing::MakeTempDir("qx-agreement-qr");
  std::ofstream(dir + "/agreement.pdf", std::ios::binary) << pdf;
  quxiang::testing::ChildProcess raster("/usr/bin/pdftoppm", {"-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                                                              dir + "/agreement.pdf", dir + "/page1"});
  EXPECT_EQ(raster.WaitExit(absl::Seconds(30)), std::optional<int>(0)) << raster.Log();
  quxiang::testing::ChildProcess zbar("/usr/bin/zbarimg", {"--raw", "-q", "--nodbus", dir + "/page1.png"});
  EXPECT_EQ(zbar.WaitExit(absl::Seconds(30)), std::optional<int>(0)) << zbar.Log();
  return std::string(absl::StripAsciiWhitespace(zbar.Log()));
}

struct School {
  std::string id;
  std::string code;
};

class AgreementHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_agreement_http", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    employer_a_ = new std::string(stack_->RegisterEmployer("91110000600037341L", "北京远航科技有限公司"));
    employer_b_ = new std::string(stack_->RegisterEmployer("91310000132200821H", "上海星河信息有限公司"));
  }

  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
  }

  // A school with kGraduatesPerSchool graduates, half in each department, and submitted
  // settings with `review_mode`.
  static School NewSchool(int serial, const std::string& review_mode,
                          accounts::v1::AgreementType agreement_type = accounts::v1::AGREEMENT_TYPE_THREE_PARTY) {
    School school;
    const std::string province = agreement_type == accounts::v1::AGREEMENT_TYPE_TWO_PARTY ? "42" : "41";
    school.code = absl::StrCat(province, "430", 10000 + serial);
    school.id = stack_->CreateSchool(province, agreement_type, school.code);
    std::vector<ems::v1::RosterGraduate> roster;
    for (int i = 1; i <= kGraduatesPerSchool; ++i) {
      roster.push_back(RosterRecord(school.code, ClassYear(), serial * 1000 + i,
                                    i <= kGraduatesPerSchool / 2 ? kDepartment : kOtherDepartment));
    }
    stack_->LoadRoster(school.code, ClassYear(), roster);
    if (review_mode == "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL") {
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("acs", serial), kDepartment, common::v1::ACCESS_READ_WRITE);
      stack_->CreateDepartmentAccount(school.id, absl::StrCat("afl", serial), kOtherDepartment,
                                      common::v1::ACCESS_READ_WRITE);
    }
    std::string body = absl::StrCat(
        "{\"requestId\":", JsonQuote("agreement-settings-" + school.id),
        ",\"etag\":\"\",\"onlineSigningEnabled\":true,\"reviewMode\":", JsonQuote(review_mode),
        ",\"maxTerminationApplications\":3,\"handlerScope\":\"HANDLER_SCOPE_WHOLE_SCHOOL\","
        "\"schoolHandler\":{\"name\":\"欧阳老师\",\"phone\":\"010-67410355\",\"postalAddress\":\"北京市海淀区学院路 1 号\","
        "\"postalCode\":\"100083\"}}");
    HttpResponse submitted = Staff(school.id).Put(
        absl::StrCat("/v1/schools/", school.id, "/classes/", ClassYear(), "/signingSettings"), body);
    EXPECT_EQ(submitted.status, 200) << submitted.body;
    return school;
  }

  static std::string StudentNumber(int school_serial, int index) {
    return absl::StrFormat("%d%06d", ClassYear(), school_serial * 1000 + index);
  }

  static ApiClient Staff(const std::string& school_id, common::v1::Access access = common::v1::ACCESS_READ_WRITE) {
    return stack_->ClientFor(SchoolUser(school_id, absl::StrCat("as", school_id, "-", access), access));
  }

  static ApiClient Department(const std::string& school_id, const std::string& department) {
    common::v1::IdentityClaims claims = DepartmentUser(school_id, absl::StrCat("ad", school_id, department));
    claims.set_department_name(department);
    return stack_->ClientFor(claims);
  }

  static ApiClient Employer(const std::string& employer_id) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_EMPLOYER);
    claims.set_user_id("ae" + employer_id);
    claims.set_username("ae" + employer_id);
    claims.set_employer_id(employer_id);
    return stack_->ClientFor(claims);
  }

  static ApiClient Graduate(const std::string& school_id, const std::string& graduate_id) {
    common::v1::IdentityClaims claims;
    claims.set_kind(common::v1::PRINCIPAL_KIND_GRADUATE);
    claims.set_user_id("ag" + graduate_id);
    claims.set_username("ag" + graduate_id);
    claims.set_school_id(school_id);
    claims.set_graduate_id(graduate_id);
    return stack_->ClientFor(claims);
  }

  static std::string TermsJson(const std::string& position) {
    return absl::StrCat("{\"position\":", JsonQuote(position),
                        ",\"workLocation\":\"北京市朝阳区\",\"salary\":\"月薪 12000 元\","
                        "\"otherTerms\":\"试用期三个月。\\n试用期工资不低于转正工资的百分之八十。\","
                        "\"employerAddress\":\"北京市朝阳区望京街道 10 号\"}");
  }

  // Invites graduate `index` of the school, accepts and approves it in the school's review mode;
  // returns the approved signing.
  static HttpResponse SignedAgreement(const School& school, int serial, int index, bool two_level) {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("agreement-invite-", ++request_serial_)),
                                    ",\"schoolId\":", JsonQuote(school.id),
                                    ",\"studentNumber\":", JsonQuote(StudentNumber(serial, index)),
                                    ",\"classYear\":", ClassYear(), ",\"answerDeadline\":",
                                    JsonQuote(RfcTime(stack_->clock().Now() + absl::Hours(72))),
                                    ",\"terms\":", TermsJson(kPosition), "}");
    HttpResponse invitation =
        Employer(*employer_a_).Post(absl::StrCat("/v1/employers/", *employer_a_, "/invitations"), body);
    EXPECT_EQ(invitation.status, 200) << invitation.body;
    HttpResponse accepted = Graduate(school.id, invitation.String("graduateId"))
                                .Post(absl::StrCat("/v1/invitations/", invitation.String("id"), ":accept"),
                                      ActionBody(invitation.String("etag")));
    EXPECT_EQ(accepted.status, 200) << accepted.body;
    HttpResponse current = accepted;
    if (two_level) {
      current = Review(Department(school.id, kDepartment), current);
      EXPECT_EQ(current.status, 200) << current.body;
      EXPECT_EQ(current.String("agreementNumber"), "") << "no agreement before the school's approval";
    }
    HttpResponse approved = Review(Staff(school.id), current);
    EXPECT_EQ(approved.status, 200) << approved.body;
    return approved;
  }

  static std::string ActionBody(const std::string& etag) {
    return absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("agreement-action-", ++request_serial_)),
                        ",\"etag\":", JsonQuote(etag), "}");
  }

  static HttpResponse Review(ApiClient client, const HttpResponse& signing) {
    std::string body = absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("agreement-review-", ++request_serial_)),
                                    ",\"etag\":", JsonQuote(signing.String("etag")),
                                    ",\"decision\":\"REVIEW_DECISION_APPROVE\"}");
    return client.Post(absl::StrCat("/v1/schools/", signing.String("schoolId"), "/onlineSignings/", signing.String("id"),
                                    ":review"),
                       body);
  }

  static std::string SigningPath(const HttpResponse& signing, const std::string& verb) {
    return absl::StrCat("/v1/schools/", signing.String("schoolId"), "/onlineSignings/", signing.String("id"), verb);
  }

  static std::string ModifyBody(const std::string& etag, const std::string& position, const std::string& detail) {
    return absl::StrCat("{\"requestId\":", JsonQuote(absl::StrCat("agreement-modify-", ++request_serial_)),
                        ",\"etag\":", JsonQuote(etag), ",\"terms\":", TermsJson(position),
                        ",\"detail\":", JsonQuote(detail), "}");
  }

  static std::string PdfPath(const std::string& number, int version = 0) {
    return absl::StrCat("/v1/agreements/", number, "/pdf", version > 0 ? absl::StrCat("?version=", version) : "");
  }

  // The public verification, sent without any token as a visitor's browser does.
  static HttpResponse Verify(const std::string& number, const std::string& code) {
    quxiang::testing::HttpClient visitor(stack_->http_port());
    return visitor.Get(absl::StrCat("/v1/agreements/", UrlEncode(number), ":verify?code=", UrlEncode(code)));
  }

  // The verification code in a QR link.
  static std::string CodeOf(const std::string& link) {
    const size_t at = link.find("&code=");
    return at == std::string::npos ? "" : link.substr(at + 6);
  }

  static int64_t AuditCount(const std::string& school_id, const std::string& action, const std::string& target_id) {
    auto count = stack_->pool().Read<int64_t>(absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<int64_t> {
      auto row = s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE school_id = ? AND action = ? AND target_id = ?",
                            {std::stoll(school_id), action, target_id});
      if (!row.ok()) return row.status();
      return *row ? (*row)->Int64(0) : -1;
    });
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? *count : -1;
  }

  // A row of agreement_versions joined with its agreement, by agreement number and version.
  struct StoredVersion {
    std::optional<std::string> file_id;
    std::string code;
  };

  static StoredVersion StoredVersionOf(const std::string& number, int version) {
    auto stored = stack_->pool().Read<StoredVersion>(
        absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<StoredVersion> {
          auto row = s.QueryOne("SELECT v.file_id, v.verification_code FROM agreement_versions v JOIN agreements a ON "
                                "a.id = v.agreement_id WHERE a.agreement_number = ? AND v.version = ?",
                                {number, static_cast<int64_t>(version)});
          if (!row.ok()) return row.status();
          if (!*row) return absl::NotFoundError(absl::StrCat("no version ", version, " of agreement ", number));
          StoredVersion out;
          if (!(*row)->IsNull(0)) out.file_id = (*row)->String(0);
          out.code = (*row)->String(1);
          return out;
        });
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : StoredVersion{};
  }

  // The ids of the agreement PDFs that the file store holds for `number`.
  static std::vector<std::string> StoredPdfIds(const std::string& number) {
    auto ids = stack_->pool().Read<std::vector<std::string>>(
        absl::Now() + absl::Seconds(10), [&](db::Session& s) -> absl::StatusOr<std::vector<std::string>> {
          auto rows = s.Query("SELECT id FROM stored_files WHERE record_type = 'signing.agreement' AND record_id = ?",
                              {number});
          if (!rows.ok()) return rows.status();
          std::vector<std::string> out;
          for (const db::Row& row : *rows) out.push_back(row.String(0));
          return out;
        });
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  static std::string GraduateName(int serial, int index) { return absl::StrCat("测试", serial * 1000 + index); }

  static SigningStack* stack_;
  static std::string* skip_reason_;
  static std::string* employer_a_;
  static std::string* employer_b_;
  static std::atomic<int> request_serial_;
};

SigningStack* AgreementHttpTest::stack_ = nullptr;
std::string* AgreementHttpTest::skip_reason_ = nullptr;
std::string* AgreementHttpTest::employer_a_ = nullptr;
std::string* AgreementHttpTest::employer_b_ = nullptr;
std::atomic<int> AgreementHttpTest::request_serial_{0};

TEST_F(AgreementHttpTest, SchoolApprovalIssuesVerifiablePdf) {
  School school = NewSchool(1, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse approved = SignedAgreement(school, 1, 1, /*two_level=*/false);
  const std::string number = approved.String("agreementNumber");
  EXPECT_TRUE(absl::StartsWith(number, absl::StrCat(school.code, "-", ClassYear(), "-"))) << approved.body;
  EXPECT_EQ(approved.Number("agreementVersion"), 1);
  EXPECT_EQ(approved.String("terms.position"), kPosition);

  HttpResponse pdf = Graduate(school.id, approved.String("graduateId")).Get(PdfPath(number));
  ASSERT_EQ(pdf.status, 200) << pdf.body.substr(0, 500);
  EXPECT_EQ(pdf.Header("content-type"), "application/pdf");
  // 就业协议书-<number>.pdf, percent-encoded as RFC 8187 prescribes.
  EXPECT_TRUE(absl::StrContains(pdf.Header("content-disposition"),
                                absl::StrCat("filename*=UTF-8''%E5%B0%B1%E4%B8%9A%E5%8D%8F%E8%AE%AE%E4%B9%A6-", number,
                                             ".pdf")))
      << pdf.Header("content-disposition");
  ASSERT_TRUE(absl::StartsWith(pdf.body, "%PDF-"));

  const auto fonts = PdfFonts(pdf.body);
  ASSERT_FALSE(fonts.empty());
  for (const auto& [name, embedded] : fonts) EXPECT_EQ(embedded, "yes") << name;

  const std::string text = PdfText(pdf.body);
  EXPECT_TRUE(absl::StrContains(text, GraduateName(1, 1))) << text;
  ExpectRasterShowsName(pdf.body, GraduateName(1, 1), "测试大学", 4);
  EXPECT_TRUE(absl::StrContains(text, "北京远航科技有限公司")) << text;
  EXPECT_TRUE(absl::StrContains(text, number)) << text;
  EXPECT_TRUE(absl::StrContains(text, kPosition)) << text;
  EXPECT_TRUE(absl::StrContains(text, "欧阳老师")) << text;
  EXPECT_TRUE(absl::StrContains(text, "丙方（学校）")) << text;

  const std::string link = QrLink(pdf.body);
  EXPECT_TRUE(absl::StartsWith(link, absl::StrCat(kVerificationUrl, "?no=", number, "&code="))) << link;
  const std::string code = CodeOf(link);
  ASSERT_EQ(code.size(), 8u) << link;
  EXPECT_EQ(AuditCount(school.id, "agreement.download", number), 1);

  HttpResponse valid = Verify(number, code.substr(0, 4) + "-" + code.substr(4));
  ASSERT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(valid.Json().fields().at("valid").bool_value(), true) << valid.body;
  EXPECT_EQ(valid.Number("version"), 1);
  EXPECT_EQ(valid.String("status"), "AGREEMENT_STATUS_VALID");
  EXPECT_EQ(valid.String("statusText"), "有效");
  EXPECT_EQ(valid.String("graduateName"), agreement_pdf::MaskPersonName(GraduateName(1, 1)));
  EXPECT_NE(valid.String("graduateName"), GraduateName(1, 1));
  EXPECT_EQ(valid.String("schoolName"), "测试大学");
  EXPECT_EQ(valid.String("agreementTypeText"), "三方协议");
  EXPECT_FALSE(absl::StrContains(valid.body, "北京远航科技有限公司")) << valid.body;

  // A wrong code and an unknown number get the same response.
  std::string wrong_code = code;
  wrong_code[0] = wrong_code[0] == 'A' ? 'B' : 'A';
  HttpResponse wrong = Verify(number, wrong_code);
  HttpResponse unknown = Verify(absl::StrCat(school.code, "-", ClassYear(), "-999999"), code);
  ASSERT_EQ(wrong.status, 200) << wrong.body;
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_FALSE(absl::StrContains(wrong.body, "\"valid\":true")) << wrong.body;
  EXPECT_EQ(wrong.String("graduateName"), "");
}

TEST_F(AgreementHttpTest, TwoLevelApprovalIssuesTwoPartyPdf) {
  School school = NewSchool(2, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL", accounts::v1::AGREEMENT_TYPE_TWO_PARTY);
  HttpResponse approved = SignedAgreement(school, 2, 1, /*two_level=*/true);
  const std::string number = approved.String("agreementNumber");
  ASSERT_FALSE(number.empty()) << approved.body;

  HttpResponse pdf = Department(school.id, kDepartment).Get(PdfPath(number));
  ASSERT_EQ(pdf.status, 200) << pdf.body.substr(0, 500);
  for (const auto& [name, embedded] : PdfFonts(pdf.body)) EXPECT_EQ(embedded, "yes") << name;
  const std::string text = PdfText(pdf.body);
  EXPECT_TRUE(absl::StrContains(text, GraduateName(2, 1))) << text;
  EXPECT_TRUE(absl::StrContains(text, "两方协议")) << text;
  EXPECT_TRUE(absl::StrContains(text, "鉴证方（学校）")) << text;

  HttpResponse valid = Verify(number, CodeOf(QrLink(pdf.body)));
  EXPECT_EQ(valid.String("statusText"), "有效") << valid.body;
  EXPECT_EQ(valid.String("agreementTypeText"), "两方协议");
}

TEST_F(AgreementHttpTest, ModifyIssuesNextVersion) {
  School school = NewSchool(3, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  HttpResponse approved = SignedAgreement(school, 3, 1, /*two_level=*/true);
  const std::string number = approved.String("agreementNumber");
  HttpResponse first_pdf = Staff(school.id).Get(PdfPath(number));
  ASSERT_EQ(first_pdf.status, 200);
  const std::string first_code = CodeOf(QrLink(first_pdf.body));
  const std::string modify_path = SigningPath(approved, ":modify");

  HttpResponse by_department =
      Department(school.id, kDepartment).Post(modify_path, ModifyBody(approved.String("etag"), kNewPosition, "岗位调整"));
  EXPECT_EQ(by_department.status, 403) << by_department.body;
  HttpResponse read_only = Staff(school.id, common::v1::ACCESS_READ_ONLY)
                               .Post(modify_path, ModifyBody(approved.String("etag"), kNewPosition, "岗位调整"));
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse no_reason = Staff(school.id).Post(modify_path, ModifyBody(approved.String("etag"), kNewPosition, " "));
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_EQ(no_reason.String("reason"), "MODIFY_DETAIL_REQUIRED");
  HttpResponse too_long =
      Staff(school.id).Post(modify_path, ModifyBody(approved.String("etag"), std::string(101, 'x'), "岗位调整"));
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_EQ(too_long.String("reason"), "AGREEMENT_TERM_TOO_LONG");
  HttpResponse stale = Staff(school.id).Post(modify_path, ModifyBody("1", kNewPosition, "岗位调整"));
  EXPECT_EQ(stale.status, 409) << stale.body;

  HttpResponse modified = Staff(school.id).Post(modify_path, ModifyBody(approved.String("etag"), kNewPosition, "岗位调整"));
  ASSERT_EQ(modified.status, 200) << modified.body;
  EXPECT_EQ(modified.String("agreementNumber"), number);
  EXPECT_EQ(modified.Number("agreementVersion"), 2);
  EXPECT_EQ(modified.String("terms.position"), kNewPosition);
  EXPECT_EQ(modified.String("statusText"), "签约完成");
  EXPECT_EQ(AuditCount(school.id, "online_signing.modify", approved.String("id")), 1);

  HttpResponse detail = Staff(school.id).Get(SigningPath(approved, ""));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_TRUE(absl::StrContains(detail.body, "\"action\":\"MODIFY\"")) << detail.body;
  EXPECT_TRUE(absl::StrContains(detail.body, "岗位调整")) << detail.body;

  HttpResponse second_pdf = Employer(*employer_a_).Get(PdfPath(number));
  ASSERT_EQ(second_pdf.status, 200);
  const std::string second_text = PdfText(second_pdf.body);
  EXPECT_TRUE(absl::StrContains(second_text, kNewPosition)) << second_text;
  EXPECT_FALSE(absl::StrContains(second_text, kPosition)) << second_text;
  const std::string second_code = CodeOf(QrLink(second_pdf.body));
  EXPECT_NE(second_code, first_code);

  HttpResponse old_version = Employer(*employer_a_).Get(PdfPath(number, 1));
  ASSERT_EQ(old_version.status, 200);
  EXPECT_TRUE(absl::StrContains(PdfText(old_version.body), kPosition));

  HttpResponse superseded = Verify(number, first_code);
  EXPECT_EQ(superseded.String("status"), "AGREEMENT_STATUS_SUPERSEDED") << superseded.body;
  EXPECT_EQ(superseded.String("statusText"), "已被新版本替代");
  EXPECT_EQ(superseded.Number("version"), 1);
  EXPECT_EQ(superseded.Number("latestVersion"), 2);
  HttpResponse current = Verify(number, second_code);
  EXPECT_EQ(current.String("statusText"), "有效") << current.body;
  EXPECT_EQ(current.Number("version"), 2);

  // The EMS keeps the graduate's agreement destination after the modification.
  stack_->DeliverToEms();
  const std::string destination =
      stack_->EmsDestinationCode(school.code, RosterRecord(school.code, ClassYear(), 3001, kDepartment).id_number());
  EXPECT_FALSE(destination.empty());
  EXPECT_NE(destination, "70");
}

TEST_F(AgreementHttpTest, VoidMarksAgreementVoided) {
  School school = NewSchool(4, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  HttpResponse approved = SignedAgreement(school, 4, 1, /*two_level=*/true);
  const std::string number = approved.String("agreementNumber");
  HttpResponse pdf = Graduate(school.id, approved.String("graduateId")).Get(PdfPath(number));
  ASSERT_EQ(pdf.status, 200);
  const std::string code = CodeOf(QrLink(pdf.body));

  const std::string void_path = SigningPath(approved, ":void");
  const std::string void_body = absl::StrCat("{\"requestId\":\"agreement-void-", school.id,
                                             "\",\"etag\":", JsonQuote(approved.String("etag")),
                                             ",\"detail\":\"双方协商一致解除\"}");
  HttpResponse by_department = Department(school.id, kDepartment).Post(void_path, void_body);
  EXPECT_EQ(by_department.status, 403) << by_department.body;
  HttpResponse read_only = Staff(school.id, common::v1::ACCESS_READ_ONLY).Post(void_path, void_body);
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  HttpResponse voided = Staff(school.id).Post(void_path, void_body);
  ASSERT_EQ(voided.status, 200) << voided.body;
  EXPECT_EQ(voided.String("statusText"), "已作废");

  HttpResponse verification = Verify(number, code);
  EXPECT_EQ(verification.String("status"), "AGREEMENT_STATUS_VOIDED") << verification.body;
  EXPECT_EQ(verification.String("statusText"), "已作废");
  stack_->DeliverToEms();
  EXPECT_EQ(stack_->EmsDestinationCode(school.code, RosterRecord(school.code, ClassYear(), 4001, kDepartment).id_number()),
            "70");

  HttpResponse modify_voided =
      Staff(school.id).Post(SigningPath(approved, ":modify"), ModifyBody(voided.String("etag"), kNewPosition, "岗位调整"));
  EXPECT_EQ(modify_voided.status, 400) << modify_voided.body;
  EXPECT_EQ(modify_voided.String("reason"), "RECORD_NOT_APPROVED");
}

TEST_F(AgreementHttpTest, DownloadLimitedToPartiesAndScope) {
  School school = NewSchool(5, "REVIEW_MODE_DEPARTMENT_THEN_SCHOOL");
  School other_school = NewSchool(6, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse approved = SignedAgreement(school, 5, 1, /*two_level=*/true);
  const std::string number = approved.String("agreementNumber");
  const std::string path = PdfPath(number);

  EXPECT_EQ(Graduate(school.id, approved.String("graduateId")).Get(path).status, 200);
  EXPECT_EQ(Employer(*employer_a_).Get(path).status, 200);
  EXPECT_EQ(Staff(school.id, common::v1::ACCESS_READ_ONLY).Get(path).status, 200);
  EXPECT_EQ(Department(school.id, kDepartment).Get(path).status, 200);

  HttpResponse other_employer = Employer(*employer_b_).Get(path);
  EXPECT_EQ(other_employer.status, 404) << other_employer.body;
  EXPECT_EQ(other_employer.String("reason"), "AGREEMENT_NOT_FOUND");
  HttpResponse other_graduate_id = Graduate(school.id, std::to_string(std::stoll(approved.String("graduateId")) + 1)).Get(path);
  EXPECT_EQ(other_graduate_id.status, 404) << other_graduate_id.body;
  EXPECT_EQ(Department(school.id, kOtherDepartment).Get(path).status, 404);
  EXPECT_EQ(Staff(other_school.id).Get(path).status, 404);
  EXPECT_EQ(Staff(school.id, common::v1::ACCESS_NONE).Get(path).status, 404);
  HttpResponse province = stack_->ClientFor(PrincipalOfKind(common::v1::PRINCIPAL_KIND_PROVINCE, "ap1")).Get(path);
  EXPECT_EQ(province.status, 403) << province.body;
  quxiang::testing::HttpClient anonymous(stack_->http_port());
  EXPECT_EQ(anonymous.Get(path).status, 401);

  EXPECT_EQ(Staff(school.id).Get(PdfPath(absl::StrCat(school.code, "-", ClassYear(), "-999999"))).status, 404);
  EXPECT_EQ(Staff(school.id).Get(PdfPath(number, 7)).status, 404);
  HttpResponse negative = Staff(school.id).Get(absl::StrCat(path, "?version=-1"));
  EXPECT_EQ(negative.status, 400) << negative.body;

  // Only the downloads that returned the PDF are in the audit: graduate, employer, read-only
  // school user and department user.
  EXPECT_EQ(AuditCount(school.id, "agreement.download", number), 4);
}

TEST_F(AgreementHttpTest, VerifyRejectsMalformedInputAlike) {
  School school = NewSchool(7, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse approved = SignedAgreement(school, 7, 1, /*two_level=*/false);
  const std::string number = approved.String("agreementNumber");
  HttpResponse reference = Verify(number, "ZZZZ-ZZZZ");
  ASSERT_EQ(reference.status, 200) << reference.body;

  const std::vector<std::pair<std::string, std::string>> cases = {
      {number, std::string(1000, 'A')},
      {number, ""},
      {number, "不是验证码"},
      {number, "ABCD-EFG"},
      {std::string(65, '1'), "ABCD-EFGH"},
      {"编号", "ABCD-EFGH"},
  };
  for (const auto& [agreement_number, code] : cases) {
    SCOPED_TRACE(agreement_number + " / " + code.substr(0, 20));
    HttpResponse response = Verify(agreement_number, code);
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.body, reference.body);
  }
}

TEST_F(AgreementHttpTest, VerificationsPerNumberAreLimited) {
  const std::string number = "4143010099-2026-000001";
  for (int i = 1; i <= kMaxVerificationsPerMinute; ++i) {
    HttpResponse response = Verify(number, "ABCD-EFGH");
    ASSERT_EQ(response.status, 200) << i << ": " << response.body;
  }
  HttpResponse limited = Verify(number, "ABCD-EFGH");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.String("reason"), "TOO_MANY_VERIFICATIONS");

  // Another number has its own count, and the limit ends with the minute.
  EXPECT_EQ(Verify("4143010099-2026-000002", "ABCD-EFGH").status, 200);
  stack_->clock().Advance(absl::Seconds(61));
  EXPECT_EQ(Verify(number, "ABCD-EFGH").status, 200);
}

TEST_F(AgreementHttpTest, FirstDownloadsRenderOnePdf) {
  School school = NewSchool(8, "REVIEW_MODE_SCHOOL_ONLY");
  HttpResponse approved = SignedAgreement(school, 8, 1, /*two_level=*/false);
  const std::string number = approved.String("agreementNumber");
  ASSERT_FALSE(number.empty()) << approved.body;

  // The approval stores the version without a PDF.
  const StoredVersion issued = StoredVersionOf(number, 1);
  EXPECT_FALSE(issued.file_id.has_value()) << *issued.file_id;
  ASSERT_EQ(issued.code.size(), 8u);
  EXPECT_TRUE(StoredPdfIds(number).empty());

  // Verification reads the stored code, so it works before any download.
  HttpResponse valid = Verify(number, issued.code);
  ASSERT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(valid.Json().fields().at("valid").bool_value(), true) << valid.body;
  EXPECT_EQ(valid.String("status"), "AGREEMENT_STATUS_VALID");

  // Two first downloads at once, by the graduate and by the school.
  HttpResponse by_graduate;
  HttpResponse by_school;
  {
    ApiClient graduate = Graduate(school.id, approved.String("graduateId"));
    ApiClient staff = Staff(school.id);
    std::thread first([&] { by_graduate = graduate.Get(PdfPath(number)); });
    std::thread second([&] { by_school = staff.Get(PdfPath(number)); });
    first.join();
    second.join();
  }
  ASSERT_EQ(by_graduate.status, 200) << by_graduate.body.substr(0, 500);
  ASSERT_EQ(by_school.status, 200) << by_school.body.substr(0, 500);
  ASSERT_TRUE(absl::StartsWith(by_graduate.body, "%PDF-"));
  EXPECT_TRUE(by_graduate.body == by_school.body) << "the two first downloads returned different PDFs";

  const std::vector<std::string> files = StoredPdfIds(number);
  ASSERT_EQ(files.size(), 1u);
  const StoredVersion rendered = StoredVersionOf(number, 1);
  ASSERT_TRUE(rendered.file_id.has_value());
  EXPECT_EQ(*rendered.file_id, files[0]);

  // The PDF prints the version's number, code and link.
  const std::string link = QrLink(by_graduate.body);
  EXPECT_EQ(link, absl::StrCat(kVerificationUrl, "?no=", number, "&code=", issued.code));
  const std::string text = PdfText(by_graduate.body);
  EXPECT_TRUE(absl::StrContains(text, number)) << text;
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat(issued.code.substr(0, 4), "-", issued.code.substr(4)))) << text;

  // Later downloads read the stored file.
  HttpResponse again = Employer(*employer_a_).Get(PdfPath(number));
  ASSERT_EQ(again.status, 200) << again.body.substr(0, 500);
  EXPECT_TRUE(again.body == by_graduate.body) << "a later download returned another PDF";
  EXPECT_EQ(StoredPdfIds(number).size(), 1u);
  EXPECT_EQ(AuditCount(school.id, "agreement.download", number), 3);
}

}  // namespace
}  // namespace quxiang::signing::testing

// Acceptance tests of 下载当前查询数据 of 在线签约管理 (ExportOnlineSignings): the signing service on a
// real MariaDB with in-process accounts and sync services, called over gRPC with the tokens of
// school and department users, as the gateway forwards the call. The records are inserted into
// online_signings directly, because the export reads that table whatever flow wrote it, and
// 30,000 records made through invitations would take minutes. Their graduates are real graduates
// of sync's roster, so that the ID numbers and phones come from sync as in production.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/export/audit_store.h"
#include "libs/roster/xlsx_workbook.h"
#include "libs/status/status_macros.h"
#include "quxiang/signing/v1/offline_signing.grpc.pb.h"
#include "quxiang/signing/v1/signing.grpc.pb.h"
#include "services/signing/tests/signing_fixture.h"

namespace quxiang::signing::testing {
namespace {

using roster::internal::SourceCell;
using roster::internal::XlsxWorkbook;
using roster::internal::ZipLimits;

constexpr char kDepartment[] = "计算机学院";
constexpr char kOtherDepartment[] = "外国语学院";
constexpr int kGraduates = 20;
constexpr char kFormulaEmployer[] = "=HYPERLINK(\"http://127.0.0.1/\",\"点击\")";
// The export's chunk size (libs/export kDefaultChunkBytes).
constexpr size_t kChunkBytes = 64 * 1024;

int ClassYear() { return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year()); }

// The messages of one export call and its status.
struct ExportResult {
  grpc::Status status;
  std::vector<common::v1::HttpFile> messages;
  // The largest data of one message.
  size_t max_data_bytes = 0;

  std::string File() const {
    std::string file;
    for (const auto& message : messages) file += message.data();
    return file;
  }
};

struct Graduate {
  int64_t id = 0;
  std::string name;
  std::string id_number;
  std::string phone;
  std::string department;
};

using Sheet = std::vector<std::vector<std::string>>;

// The cell texts of the first sheet of `content`.
absl::StatusOr<Sheet> ReadXlsx(std::string content) {
  ZipLimits limits;
  limits.max_entries = 100;
  limits.max_uncompressed_bytes = 256 * 1024 * 1024;
  absl::StatusOr<std::unique_ptr<XlsxWorkbook>> workbook = XlsxWorkbook::Open(std::move(content), limits);
  if (!workbook.ok()) return workbook.status();
  Sheet sheet;
  std::vector<SourceCell> cells;
  int row = 0;
  while (true) {
    absl::StatusOr<bool> has_row = (*workbook)->NextRow(&cells, &row);
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) return sheet;
    std::vector<std::string> texts;
    for (const SourceCell& cell : cells) texts.push_back(cell.text);
    sheet.push_back(std::move(texts));
  }
}

// The rows of a CSV file without its byte order mark. The test data has no quotes, commas or line
// breaks inside fields except where a test checks them itself.
Sheet ReadCsv(const std::string& file) {
  Sheet sheet;
  std::string body = file.substr(0, 3) == "\xEF\xBB\xBF" ? file.substr(3) : file;
  for (absl::string_view line : absl::StrSplit(body, "\r\n", absl::SkipEmpty())) {
    sheet.push_back(absl::StrSplit(line, ','));
  }
  return sheet;
}

// The column index of `title` in the header row, or -1.
int ColumnOf(const Sheet& sheet, const std::string& title) {
  if (sheet.empty()) return -1;
  for (size_t i = 0; i < sheet[0].size(); ++i) {
    if (sheet[0][i] == title) return static_cast<int>(i);
  }
  return -1;
}

class ListExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip_reason;
    stack_ = SigningStack::Start("signing_list_export", &skip_reason).release();
    if (stack_ == nullptr) {
      skip_reason_ = new std::string(skip_reason);
      return;
    }
    school_code_ = new std::string("4142099001");
    school_id_ = new std::string(
        stack_->CreateSchool("41", accounts::v1::AGREEMENT_TYPE_THREE_PARTY, *school_code_));
    std::vector<ems::v1::RosterGraduate> roster;
    for (int i = 1; i <= kGraduates; ++i) {
      roster.push_back(RosterRecord(*school_code_, ClassYear(), 990000 + i, i % 2 == 1 ? kDepartment : kOtherDepartment));
    }
    stack_->LoadRoster(*school_code_, ClassYear(), roster);
    graduates_ = new std::vector<Graduate>(LoadGraduates());
    stub_ = v1::SigningService::NewStub(
                grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_->grpc_port()), grpc::InsecureChannelCredentials()))
                .release();
  }

  static void TearDownTestSuite() {
    delete stub_;
    stub_ = nullptr;
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    if (stack_ == nullptr) GTEST_SKIP() << (skip_reason_ ? *skip_reason_ : "stack did not start");
    ASSERT_EQ(graduates_->size(), static_cast<size_t>(kGraduates));
    ClearSignings();
  }

  // The graduates of the school as sync stores them, in id order.
  static std::vector<Graduate> LoadGraduates() {
    std::vector<Graduate> graduates;
    auto rows = stack_->sync_pool().Read<std::vector<db::Row>>(absl::Now() + absl::Seconds(10), [&](db::Session& s) {
      return s.Query("SELECT id, name, id_number, phone, department FROM graduates WHERE school_id = ? ORDER BY id",
                     {static_cast<int64_t>(std::stoll(*school_id_))});
    });
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return graduates;
    for (const db::Row& row : *rows) {
      graduates.push_back({row.Int64(0), row.String(1), row.String(2), row.String(3), row.String(4)});
    }
    return graduates;
  }

  static void ClearSignings() {
    absl::Status cleared = stack_->pool().Run(absl::Now() + absl::Seconds(30), [](db::Session& s) {
      return s.Execute("DELETE FROM online_signings").status();
    });
    ASSERT_TRUE(cleared.ok()) << cleared;
  }

  // Inserts `count` signings pending school review, the i-th for graduate i modulo the roster,
  // with `employer_name`, in batches of 1,000 rows.
  static void InsertSignings(int count, const std::string& employer_name = "北京远航科技有限公司",
                             const std::string& review_state = "PENDING") {
    const absl::Time now = absl::Now();
    for (int start = 0; start < count; start += 1000) {
      std::string sql =
          "INSERT INTO online_signings (school_id, class_year, graduate_id, graduate_name, student_number, "
          "department, employer_id, employer_name, employer_credit_code, invitation_state, review_state, "
          "review_stage, answer_deadline, version, created_at, updated_at) VALUES ";
      std::vector<db::Param> params;
      for (int i = start; i < std::min(count, start + 1000); ++i) {
        const Graduate& graduate = (*graduates_)[i % graduates_->size()];
        absl::StrAppend(&sql, i == start ? "" : ", ", "(?, ?, ?, ?, ?, ?, 1, ?, '91110000600037341L', 'ACCEPTED', ?, ",
                        "'SCHOOL', ?, 1, ?, ?)");
        params.insert(params.end(), {static_cast<int64_t>(std::stoll(*school_id_)), static_cast<int64_t>(ClassYear()),
                                     graduate.id, graduate.name, absl::StrFormat("S%08d", i), graduate.department,
                                     employer_name, review_state, now + absl::Hours(24), now, now});
      }
      absl::Status inserted = stack_->pool().Run(absl::Now() + absl::Seconds(60), [&](db::Session& s) {
        return s.Execute(sql, params).status();
      });
      ASSERT_TRUE(inserted.ok()) << inserted;
    }
  }

  // Calls ExportOnlineSignings with the token of `claims` and reads every message. With
  // `keep_data` false the file's bytes are counted and dropped, as a browser saving it would.
  static ExportResult Export(const common::v1::IdentityClaims& claims, v1::ExportOnlineSigningsRequest request,
                             bool keep_data = true, int64_t* byte_count = nullptr) {
    if (request.school_id().empty()) request.set_school_id(*school_id_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", stack_->Sign(claims)));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    std::unique_ptr<grpc::ClientReader<common::v1::HttpFile>> reader = stub_->ExportOnlineSignings(&context, request);
    ExportResult result;
    common::v1::HttpFile message;
    while (reader->Read(&message)) {
      if (byte_count != nullptr) *byte_count += static_cast<int64_t>(message.data().size());
      result.max_data_bytes = std::max(result.max_data_bytes, message.data().size());
      if (!keep_data) message.clear_data();
      result.messages.push_back(message);
    }
    result.status = reader->Finish();
    return result;
  }

  static std::vector<exports::ExportAudit> Audits() {
    auto audits = stack_->pool().Read<std::vector<exports::ExportAudit>>(
        absl::Now() + absl::Seconds(10),
        [](db::Session& s) { return exports::ListExportAudits(s, *school_id_, exports::kMaxListedExportAudits); });
    EXPECT_TRUE(audits.ok()) << audits.status();
    return audits.ok() ? *audits : std::vector<exports::ExportAudit>();
  }

  static common::v1::IdentityClaims Staff(common::v1::Access access, const std::string& user) {
    return SchoolUser(*school_id_, user, access);
  }

  static SigningStack* stack_;
  static std::string* skip_reason_;
  static std::string* school_id_;
  static std::string* school_code_;
  static std::vector<Graduate>* graduates_;
  static v1::SigningService::Stub* stub_;
};

SigningStack* ListExportTest::stack_ = nullptr;
std::string* ListExportTest::skip_reason_ = nullptr;
std::string* ListExportTest::school_id_ = nullptr;
std::string* ListExportTest::school_code_ = nullptr;
std::vector<Graduate>* ListExportTest::graduates_ = nullptr;
v1::SigningService::Stub* ListExportTest::stub_ = nullptr;

TEST_F(ListExportTest, XlsxOpensWithEveryRow) {
  InsertSignings(kGraduates);
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-xlsx"), {});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_FALSE(result.messages.empty());
  EXPECT_EQ(result.messages[0].content_type(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::FixedTimeZone(8 * 3600));
  EXPECT_EQ(result.messages[0].file_name(), absl::StrCat("在线签约管理-", today, ".xlsx"));
  const std::string file = result.File();
  EXPECT_EQ(file.substr(0, 4), std::string("PK\x03\x04", 4));

  absl::StatusOr<Sheet> sheet = ReadXlsx(file);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->size(), static_cast<size_t>(kGraduates) + 1);
  EXPECT_EQ((*sheet)[0][0], "姓名");
  EXPECT_EQ((*sheet)[0][1], "身份证件号");
  const int state = ColumnOf(*sheet, "签约状态");
  ASSERT_GE(state, 0);
  EXPECT_EQ((*sheet)[1][state], "学生已同意签约，等待学校审核");
  // Highest id first, as the list sorts: the last inserted record is the first row.
  EXPECT_EQ((*sheet)[1][ColumnOf(*sheet, "学号")], absl::StrFormat("S%08d", kGraduates - 1));
}

TEST_F(ListExportTest, CsvStartsWithByteOrderMark) {
  InsertSignings(3);
  v1::ExportOnlineSigningsRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-csv"), request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_FALSE(result.messages.empty());
  EXPECT_EQ(result.messages[0].content_type(), "text/csv; charset=utf-8");
  EXPECT_NE(result.messages[0].file_name().find(".csv"), std::string::npos);
  const std::string file = result.File();
  EXPECT_EQ(file.substr(0, 3), "\xEF\xBB\xBF");
  Sheet sheet = ReadCsv(file);
  ASSERT_EQ(sheet.size(), 4u);
  EXPECT_EQ(sheet[0][0], "姓名");
}

TEST_F(ListExportTest, ReadOnlyUserGetsMaskedNumbers) {
  InsertSignings(kGraduates);
  v1::ExportOnlineSigningsRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_ONLY, "export-read-only"), request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  const std::string file = result.File();
  Sheet sheet = ReadCsv(file);
  ASSERT_EQ(sheet.size(), static_cast<size_t>(kGraduates) + 1);
  const int id_column = ColumnOf(sheet, "身份证件号");
  const int phone_column = ColumnOf(sheet, "手机号码");
  ASSERT_GE(id_column, 0);
  ASSERT_GE(phone_column, 0);
  for (size_t row = 1; row < sheet.size(); ++row) {
    EXPECT_EQ(sheet[row][id_column].substr(6, 8), "********") << sheet[row][id_column];
    EXPECT_EQ(sheet[row][phone_column].substr(3, 4), "****") << sheet[row][phone_column];
  }
  for (const Graduate& graduate : *graduates_) {
    EXPECT_EQ(file.find(graduate.id_number), std::string::npos);
    EXPECT_EQ(file.find(graduate.phone), std::string::npos);
  }

  // A read-only user cannot ask for the full numbers.
  request.set_reveal_personal_data(true);
  ExportResult refused = Export(Staff(common::v1::ACCESS_READ_ONLY, "export-read-only"), request);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(refused.messages.empty());
}

TEST_F(ListExportTest, ReadWriteUserRevealsOnRequest) {
  InsertSignings(kGraduates);
  v1::ExportOnlineSigningsRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  const std::string masked = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-reveal"), request).File();
  for (const Graduate& graduate : *graduates_) EXPECT_EQ(masked.find(graduate.id_number), std::string::npos);

  request.set_reveal_personal_data(true);
  ExportResult revealed = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-reveal"), request);
  ASSERT_TRUE(revealed.status.ok()) << revealed.status.error_message();
  const std::string file = revealed.File();
  for (const Graduate& graduate : *graduates_) {
    EXPECT_NE(file.find(graduate.id_number), std::string::npos) << graduate.id;
    EXPECT_NE(file.find(graduate.phone), std::string::npos) << graduate.id;
  }
  std::vector<exports::ExportAudit> audits = Audits();
  ASSERT_FALSE(audits.empty());
  EXPECT_TRUE(audits[0].full_view);
  EXPECT_FALSE(audits[0].masked);
}

TEST_F(ListExportTest, FormulaCellIsNeutralized) {
  InsertSignings(1, kFormulaEmployer);
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-formula"), {});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  absl::StatusOr<Sheet> sheet = ReadXlsx(result.File());
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->size(), 2u);
  const int employer = ColumnOf(*sheet, "签约单位");
  ASSERT_GE(employer, 0);
  EXPECT_EQ((*sheet)[1][employer], absl::StrCat("'", kFormulaEmployer));
}

TEST_F(ListExportTest, AuditRecordsWhoAndWhat) {
  InsertSignings(5);
  InsertSignings(2, "上海星河信息有限公司", "APPROVED");
  const size_t before = Audits().size();
  v1::ExportOnlineSigningsRequest request;
  request.set_status(v1::STATUS_FILTER_SIGNED);
  request.set_initiator("上海");
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_ONLY, "export-auditor"), request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();

  std::vector<exports::ExportAudit> audits = Audits();
  ASSERT_EQ(audits.size(), before + 1);
  const exports::ExportAudit& audit = audits[0];
  EXPECT_EQ(audit.kind, "signing.online.query");
  EXPECT_EQ(audit.format, "XLSX");
  EXPECT_EQ(audit.actor_id, "export-auditor");
  EXPECT_EQ(audit.school_id, *school_id_);
  EXPECT_EQ(audit.row_count, 2);
  EXPECT_TRUE(audit.masked);
  EXPECT_FALSE(audit.full_view);
  EXPECT_NE(audit.filter_summary.find("状态=签约完成"), std::string::npos) << audit.filter_summary;
  EXPECT_NE(audit.filter_summary.find("发起单位=上海"), std::string::npos) << audit.filter_summary;
  EXPECT_NE(audit.finished_at, absl::InfinitePast());
  EXPECT_GT(audit.byte_count, 0);
}

TEST_F(ListExportTest, DepartmentGetsOnlyItsRecords) {
  InsertSignings(kGraduates);
  v1::ExportOnlineSigningsRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  ExportResult result = Export(DepartmentUser(*school_id_, "export-department"), request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  Sheet sheet = ReadCsv(result.File());
  ASSERT_EQ(sheet.size(), static_cast<size_t>(kGraduates / 2) + 1);
  const int department = ColumnOf(sheet, "院系");
  ASSERT_GE(department, 0);
  for (size_t row = 1; row < sheet.size(); ++row) EXPECT_EQ(sheet[row][department], kDepartment);

  // Another department's filter is rejected, and an unknown format is invalid.
  request.set_department(kOtherDepartment);
  EXPECT_EQ(Export(DepartmentUser(*school_id_, "export-department"), request).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ExportOnlineSigningsRequest invalid;
  invalid.set_format(static_cast<v1::ExportFormat>(9));
  EXPECT_EQ(Export(Staff(common::v1::ACCESS_READ_WRITE, "export-invalid"), invalid).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Another school's user and a graduate are rejected before any data.
  common::v1::IdentityClaims other_school = SchoolUser("999999", "export-other-school");
  EXPECT_EQ(Export(other_school, {}).status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  common::v1::IdentityClaims graduate = PrincipalOfKind(common::v1::PRINCIPAL_KIND_GRADUATE, "export-graduate");
  EXPECT_EQ(Export(graduate, {}).status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ListExportTest, LargeExportStreamsInChunks) {
  constexpr int kRows = 30000;
  InsertSignings(kRows);
  v1::ExportOnlineSigningsRequest request;
  request.set_format(v1::EXPORT_FORMAT_CSV);
  int64_t bytes = 0;
  const absl::Time started = absl::Now();
  ExportResult result = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-large"), request, false, &bytes);
  const absl::Duration took = absl::Now() - started;
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();

  // Every row arrives, in messages of at most one chunk, so the service never held the file.
  std::vector<exports::ExportAudit> audits = Audits();
  ASSERT_FALSE(audits.empty());
  EXPECT_EQ(audits[0].row_count, kRows);
  EXPECT_EQ(audits[0].byte_count, bytes);
  EXPECT_GT(bytes, static_cast<int64_t>(kRows) * 50);
  EXPECT_GE(result.messages.size(), static_cast<size_t>(bytes / kChunkBytes));
  EXPECT_LE(result.max_data_bytes, kChunkBytes);
  std::printf("exported %d rows, %lld bytes in %zu messages in %s\n", kRows, static_cast<long long>(bytes),
              result.messages.size(), absl::FormatDuration(took).c_str());

  // The XLSX of the same rows opens and contains every row.
  ExportResult xlsx = Export(Staff(common::v1::ACCESS_READ_WRITE, "export-large"), {});
  ASSERT_TRUE(xlsx.status.ok()) << xlsx.status.error_message();
  absl::StatusOr<Sheet> sheet = ReadXlsx(xlsx.File());
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_EQ(sheet->size(), static_cast<size_t>(kRows) + 1);
}

// Inserts offline agreements of graduates 0, 1, 2 ... with the given phase and review state.
void InsertOfflineAgreements(db::Pool& pool, const std::string& school_id, const std::vector<Graduate>& graduates,
                             const std::vector<std::pair<std::string, std::string>>& phases_and_states) {
  const absl::Time now = absl::Now();
  absl::Status inserted = pool.Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) -> absl::Status {
    for (size_t i = 0; i < phases_and_states.size(); ++i) {
      const Graduate& graduate = graduates[i % graduates.size()];
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO offline_agreements (school_id, class_year, graduate_id, graduate_name, "
                    "student_number, department, employer_name, employer_credit_code, employer_nature_code, "
                    "employer_industry_code, employer_location_code, employer_address, contact_name, contact_phone, "
                    "position, work_location, phase, review_state, reason_detail, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, '郑州启明软件有限公司', '91410100MA44XXXX1Q', '390', 'I65', '410100', "
                    "'郑州市金水区', '王经理', '0371-12345678', '软件工程师', '郑州', ?, ?, ?, ?, ?)",
                    {static_cast<int64_t>(std::stoll(school_id)), static_cast<int64_t>(ClassYear()), graduate.id,
                     graduate.name, absl::StrFormat("F%06d", i), graduate.department, phases_and_states[i].first,
                     phases_and_states[i].second,
                     phases_and_states[i].second == "RETURNED" ? "工作岗位填写不完整" : "", now, now})
              .status());
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(inserted.ok()) << inserted;
}

TEST_F(ListExportTest, OfflineExportsQueryAndReturnedList) {
  absl::Status cleared = stack_->pool().Run(absl::Now() + absl::Seconds(30), [](db::Session& s) {
    return s.Execute("DELETE FROM offline_agreements").status();
  });
  ASSERT_TRUE(cleared.ok()) << cleared;
  InsertOfflineAgreements(stack_->pool(), *school_id_, *graduates_,
                          {{"AGREEMENT", "RETURNED"}, {"AGREEMENT", "PENDING"}, {"SIGNING", "RETURNED"},
                           {"AGREEMENT", "WITHDRAWN"}, {"SIGNING", "APPROVED"}, {"AGREEMENT", "RETURNED"}});
  ApiClient client = stack_->ClientFor(Staff(common::v1::ACCESS_READ_ONLY, "offline-export"));
  const std::string base = absl::StrCat("/v1/schools/", *school_id_, "/offlineAgreements");

  // 下载当前查询数据 with every status.
  quxiang::testing::HttpResponse all =
      client.Get(base + ":export?format=EXPORT_FORMAT_CSV&status=OFFLINE_STATUS_FILTER_ALL");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.Header("Content-Disposition").find("filename*=UTF-8''%E7%BA%BF%E4%B8%8B"), std::string::npos)
      << all.Header("Content-Disposition");
  EXPECT_EQ(all.body.substr(0, 3), "\xEF\xBB\xBF");
  Sheet rows = ReadCsv(all.body);
  ASSERT_EQ(rows.size(), 7u);
  const int id_column = ColumnOf(rows, "身份证件号");
  ASSERT_GE(id_column, 0);
  for (size_t row = 1; row < rows.size(); ++row) EXPECT_EQ(rows[row][id_column].substr(6, 8), "********");

  // 导出退回修改学生名单: the returned records only, with the reason, whatever the status filter is.
  quxiang::testing::HttpResponse returned =
      client.Get(base + ":exportReturned?format=EXPORT_FORMAT_CSV&status=OFFLINE_STATUS_FILTER_SIGNED");
  ASSERT_EQ(returned.status, 200) << returned.body;
  EXPECT_NE(returned.Header("Content-Disposition").find("%E9%80%80%E5%9B%9E%E4%BF%AE%E6%94%B9"), std::string::npos)
      << returned.Header("Content-Disposition");
  Sheet returned_rows = ReadCsv(returned.body);
  ASSERT_EQ(returned_rows.size(), 4u);
  const int state = ColumnOf(returned_rows, "签约状态");
  const int reason = ColumnOf(returned_rows, "退回修改原因");
  ASSERT_GE(state, 0);
  ASSERT_GE(reason, 0);
  for (size_t row = 1; row < returned_rows.size(); ++row) {
    EXPECT_NE(returned_rows[row][state].find("退回修改"), std::string::npos) << returned_rows[row][state];
    EXPECT_EQ(returned_rows[row][reason], "工作岗位填写不完整");
  }

  // The department's user gets its department only, and the audit names both exports.
  ApiClient department = stack_->ClientFor(DepartmentUser(*school_id_, "offline-export-department"));
  quxiang::testing::HttpResponse scoped = department.Get(base + ":exportReturned?format=EXPORT_FORMAT_CSV");
  ASSERT_EQ(scoped.status, 200) << scoped.body;
  Sheet scoped_rows = ReadCsv(scoped.body);
  const int department_column = ColumnOf(scoped_rows, "院系");
  ASSERT_GE(department_column, 0);
  EXPECT_LT(scoped_rows.size(), returned_rows.size());
  for (size_t row = 1; row < scoped_rows.size(); ++row) EXPECT_EQ(scoped_rows[row][department_column], kDepartment);
  std::vector<exports::ExportAudit> audits = Audits();
  ASSERT_GE(audits.size(), 3u);
  EXPECT_EQ(audits[0].kind, "signing.offline.returned");
  EXPECT_EQ(audits[2].kind, "signing.offline.query");
  EXPECT_EQ(audits[1].row_count, 3);
}

TEST_F(ListExportTest, PaperExportsQueryAndReturnedList) {
  const std::vector<std::string> states = {"RETURNED", "PENDING", "RETURNED", "APPROVED", "", "RETURNED"};
  const absl::Time now = absl::Now();
  absl::Status inserted = stack_->pool().Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("DELETE FROM paper_registrations").status());
    for (size_t i = 0; i < states.size(); ++i) {
      const Graduate& graduate = (*graduates_)[i];
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO paper_registrations (school_id, class_year, graduate_id, graduate_name, "
                    "student_number, department, employer_name, employer_credit_code, agreement_number, signed_date, "
                    "review_state, review_detail, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, '@SUM(A1)有限公司', '91110000600037341L', ?, '2026-05-20', ?, ?, ?, ?)",
                    {static_cast<int64_t>(std::stoll(*school_id_)), static_cast<int64_t>(ClassYear()), graduate.id,
                     graduate.name, absl::StrFormat("P%06d", i), graduate.department, absl::StrFormat("0%07d", i),
                     states[i], states[i] == "RETURNED" ? "协议书扫描件不清晰" : "", now, now})
              .status());
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(inserted.ok()) << inserted;
  ApiClient client = stack_->ClientFor(Staff(common::v1::ACCESS_READ_WRITE, "paper-export"));
  const std::string base = absl::StrCat("/v1/schools/", *school_id_, "/paperRegistrations");

  // 下载当前查询数据 of every submitted registration; the draft is not listed.
  quxiang::testing::HttpResponse all =
      client.Get(base + ":export?format=EXPORT_FORMAT_CSV&status=PAPER_STATUS_FILTER_ALL&revealPersonalData=true");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.Header("Content-Disposition").find("filename*=UTF-8''%E8%A1%A5%E7%99%BB"), std::string::npos)
      << all.Header("Content-Disposition");
  Sheet rows = ReadCsv(all.body);
  ASSERT_EQ(rows.size(), 6u);
  const int employer = ColumnOf(rows, "签约单位");
  const int number = ColumnOf(rows, "就业协议书编号");
  ASSERT_GE(employer, 0);
  ASSERT_GE(number, 0);
  EXPECT_EQ(rows[1][employer], "'@SUM(A1)有限公司");
  EXPECT_EQ(rows[1][number], "00000005");
  EXPECT_NE(all.body.find((*graduates_)[0].id_number), std::string::npos);

  // 导出退回修改学生名单 as XLSX: the three returned registrations with their reason.
  quxiang::testing::HttpResponse returned = client.Get(base + ":exportReturned");
  ASSERT_EQ(returned.status, 200) << returned.body;
  absl::StatusOr<Sheet> sheet = ReadXlsx(returned.body);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->size(), 4u);
  const int state = ColumnOf(*sheet, "登记状态");
  const int reason = ColumnOf(*sheet, "退回修改原因");
  ASSERT_GE(state, 0);
  ASSERT_GE(reason, 0);
  for (size_t row = 1; row < sheet->size(); ++row) {
    EXPECT_EQ((*sheet)[row][state], "退回修改");
    EXPECT_EQ((*sheet)[row][reason], "协议书扫描件不清晰");
  }

  // A read-only user cannot reveal, and the audit has both exports.
  quxiang::testing::HttpResponse refused = stack_->ClientFor(Staff(common::v1::ACCESS_READ_ONLY, "paper-export-ro"))
                                               .Get(base + ":exportReturned?revealPersonalData=true");
  EXPECT_EQ(refused.status, 403) << refused.body;
  std::vector<exports::ExportAudit> audits = Audits();
  ASSERT_GE(audits.size(), 2u);
  EXPECT_EQ(audits[0].kind, "signing.paper.returned");
  EXPECT_EQ(audits[0].row_count, 3);
  EXPECT_EQ(audits[1].kind, "signing.paper.query");
  EXPECT_TRUE(audits[1].full_view);
}

TEST_F(ListExportTest, HttpDownloadNamesFileInChinese) {
  InsertSignings(kGraduates);
  ApiClient client = stack_->ClientFor(Staff(common::v1::ACCESS_READ_ONLY, "export-http"));
  const std::string path = absl::StrCat("/v1/schools/", *school_id_, "/onlineSignings:export");

  quxiang::testing::HttpResponse csv = client.Get(path + "?format=EXPORT_FORMAT_CSV&status=STATUS_FILTER_ALL");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  // 在线签约管理 percent-encoded as UTF-8.
  EXPECT_NE(csv.Header("Content-Disposition")
                .find("filename*=UTF-8''%E5%9C%A8%E7%BA%BF%E7%AD%BE%E7%BA%A6%E7%AE%A1%E7%90%86-"),
            std::string::npos)
      << csv.Header("Content-Disposition");
  EXPECT_EQ(csv.body.substr(0, 3), "\xEF\xBB\xBF");
  Sheet rows = ReadCsv(csv.body);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kGraduates) + 1);
  const int id_column = ColumnOf(rows, "身份证件号");
  ASSERT_GE(id_column, 0);
  EXPECT_EQ(rows[1][id_column].substr(6, 8), "********");

  quxiang::testing::HttpResponse xlsx = client.Get(path);
  ASSERT_EQ(xlsx.status, 200) << xlsx.body;
  absl::StatusOr<Sheet> sheet = ReadXlsx(xlsx.body);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  EXPECT_EQ(sheet->size(), static_cast<size_t>(kGraduates) + 1);

  // An error before the first chunk is the usual JSON error.
  quxiang::testing::HttpResponse refused = client.Get(path + "?revealPersonalData=true");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.String("reason"), "PERSONAL_DATA_REVEAL_NOT_ALLOWED");
}

}  // namespace
}  // namespace quxiang::signing::testing

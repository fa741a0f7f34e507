#include "services/signing/agreements.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/agreement_pdf/name_mask.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/signing/repository.h"

namespace quxiang::signing {
namespace {

// The maximum lengths of the agreement number and the entered code that Verify reads. Longer
// input is not valid, without a database lookup. Codes are 8 characters, printed with one hyphen.
constexpr size_t kMaxNumberLength = 64;
constexpr size_t kMaxEnteredCodeLength = 32;

// Every column that RowToVersion reads, from agreements a joined with agreement_versions v.
constexpr char kVersionColumns[] =
    "a.id, a.agreement_number, a.school_id, a.class_year, a.flow, a.record_id, a.latest_version, a.voided_at, "
    "v.version, v.file_id, v.content_sha256, v.verification_code, v.content_json, v.issued_by, v.issued_at, "
    "v.verification_url";

const char* FlowName(AgreementFlow flow) {
  switch (flow) {
    case AgreementFlow::kOnlineSigning:
      return "ONLINE";
    case AgreementFlow::kOfflineSigning:
      return "OFFLINE";
    case AgreementFlow::kPaperRegistration:
      return "PAPER";
  }
  return "ONLINE";
}

AgreementFlow ParseFlow(const std::string& name) {
  if (name == "OFFLINE") return AgreementFlow::kOfflineSigning;
  if (name == "PAPER") return AgreementFlow::kPaperRegistration;
  return AgreementFlow::kOnlineSigning;
}

std::string DayText(const std::optional<absl::CivilDay>& day) {
  return day ? absl::FormatCivilTime(*day) : std::string();
}

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  absl::CivilDay day;
  if (text.empty() || !absl::ParseCivilTime(text, &day)) return std::nullopt;
  return day;
}

v1::StoredAgreementContent ToStored(const AgreementContent& content) {
  v1::StoredAgreementContent out;
  out.set_two_party(content.type == agreement_pdf::AgreementType::kTwoParty);
  out.set_school_code(content.school_code);
  out.set_class_year(content.class_year);

  const agreement_pdf::GraduateParty& g = content.graduate;
  v1::StoredAgreementContent::Party* graduate = out.mutable_graduate();
  graduate->set_name(g.name);
  graduate->set_gender(g.gender);
  graduate->set_id_number(g.id_number);
  graduate->set_school(g.school);
  graduate->set_department(g.department);
  graduate->set_major(g.major);
  graduate->set_education_level(g.education_level);
  graduate->set_student_number(g.student_number);
  graduate->set_phone(g.phone);

  const agreement_pdf::EmployerParty& e = content.employer;
  v1::StoredAgreementContent::Party* employer = out.mutable_employer();
  employer->set_name(e.name);
  employer->set_credit_code(e.unified_social_credit_code);
  employer->set_address(e.address);
  employer->set_contact_name(e.contact_name);
  employer->set_contact_phone(e.contact_phone);

  const agreement_pdf::AgreementHandler& h = content.handler;
  v1::StoredAgreementContent::Party* handler = out.mutable_handler();
  handler->set_name(h.name);
  handler->set_phone(h.phone);
  handler->set_address(h.address);
  handler->set_postal_code(h.postal_code);

  for (const agreement_pdf::AgreementTerm& term : content.terms) {
    v1::StoredAgreementContent::Term* stored = out.add_terms();
    stored->set_title(term.title);
    stored->set_text(term.text);
  }
  out.set_employer_signed_on(DayText(content.sign_dates.employer));
  out.set_graduate_signed_on(DayText(content.sign_dates.graduate));
  out.set_school_signed_on(DayText(content.sign_dates.school));
  return out;
}

AgreementContent FromStored(const v1::StoredAgreementContent& stored) {
  AgreementContent content;
  content.type = stored.two_party() ? agreement_pdf::AgreementType::kTwoParty : agreement_pdf::AgreementType::kThreeParty;
  content.school_code = stored.school_code();
  content.class_year = stored.class_year();
  const auto& g = stored.graduate();
  content.graduate = {g.name(),  g.gender(),          g.id_number(),      g.school(), g.department(),
                      g.major(), g.education_level(), g.student_number(), g.phone()};
  const auto& e = stored.employer();
  content.employer = {e.name(), e.credit_code(), e.address(), e.contact_name(), e.contact_phone()};
  const auto& h = stored.handler();
  content.handler = {h.name(), h.phone(), h.address(), h.postal_code()};
  for (const auto& term : stored.terms()) content.terms.push_back({term.title(), term.text()});
  content.sign_dates.employer = ParseDay(stored.employer_signed_on());
  content.sign_dates.graduate = ParseDay(stored.graduate_signed_on());
  content.sign_dates.school = ParseDay(stored.school_signed_on());
  return content;
}

// SHA-256 of the deterministic protobuf encoding of the content.
std::string ContentDigest(const v1::StoredAgreementContent& stored) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    stored.SerializeToCodedStream(&coded);
  }
  return filestore::Sha256Hex(bytes);
}

absl::StatusOr<AgreementVersion> RowToVersion(const db::Row& row) {
  AgreementVersion v;
  v.agreement_id = row.Int64(0);
  v.number = row.String(1);
  v.record.school_id = row.Int64(2);
  v.class_year = static_cast<int>(row.Int64(3));
  v.record.flow = ParseFlow(row.String(4));
  v.record.record_id = row.Int64(5);
  v.latest_version = row.Int64(6);
  if (!row.IsNull(7)) v.voided_at = row.Time(7);
  v.version = row.Int64(8);
  if (!row.IsNull(9)) v.file_id = row.String(9);
  v.content_sha256 = row.String(10);
  v.verification_code = row.String(11);
  v1::StoredAgreementContent stored;
  if (!google::protobuf::util::JsonStringToMessage(row.String(12), &stored).ok()) {
    return Internal("AGREEMENT_CONTENT_UNREADABLE",
                    absl::StrCat("agreement ", v.number, " version ", v.version, " has unreadable content_json"));
  }
  v.content = FromStored(stored);
  v.issued_by = row.String(13);
  v.issued_at = row.Time(14);
  v.verification_url = row.String(15);
  return v;
}

absl::StatusOr<std::optional<AgreementVersion>> QueryVersion(db::Session& s, const std::string& where,
                                                             const std::vector<db::Param>& params) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT ", kVersionColumns,
                                                     " FROM agreements a JOIN agreement_versions v ON "
                                                     "v.agreement_id = a.id WHERE ",
                                                     where),
                                        params));
  if (!row) return std::optional<AgreementVersion>();
  ASSIGN_OR_RETURN(AgreementVersion version, RowToVersion(*row));
  return std::optional<AgreementVersion>(std::move(version));
}

// The typed code in the alphabet of libs/agreement_pdf: spaces and hyphens dropped, letters
// upper-cased, O read as 0 and I or L as 1. Empty when a character is outside the alphabet.
std::string NormalizeCode(const std::string& entered) {
  static constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out;
  for (char raw : entered) {
    if (raw == ' ' || raw == '-') continue;
    char c = absl::ascii_toupper(static_cast<unsigned char>(raw));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (kAlphabet.find(c) == absl::string_view::npos) return "";
    out.push_back(c);
  }
  return out;
}

bool ValidNumberSyntax(const std::string& number) {
  if (number.empty() || number.size() > kMaxNumberLength) return false;
  for (char c : number) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

const char* StatusText(VersionStatus status) {
  switch (status) {
    case VersionStatus::kValid:
      return "有效";
    case VersionStatus::kSuperseded:
      return "已被新版本替代";
    case VersionStatus::kVoided:
      return "已作废";
  }
  return "";
}

v1::AgreementStatus StatusToProto(VersionStatus status) {
  switch (status) {
    case VersionStatus::kValid:
      return v1::AGREEMENT_STATUS_VALID;
    case VersionStatus::kSuperseded:
      return v1::AGREEMENT_STATUS_SUPERSEDED;
    case VersionStatus::kVoided:
      return v1::AGREEMENT_STATUS_VOIDED;
  }
  return v1::AGREEMENT_STATUS_UNSPECIFIED;
}

v1::AgreementVerification NotValid() {
  v1::AgreementVerification out;
  out.set_valid(false);
  out.set_status_text("验证失败：协议编号或验证码不正确");
  return out;
}

// The document that the PDF of version `version` of agreement `number` prints.
agreement_pdf::AgreementDocument DocumentOf(const std::string& number, int64_t version, const std::string& code,
                                            const std::string& verification_url, const AgreementContent& content) {
  agreement_pdf::AgreementDocument document;
  document.agreement_number = number;
  document.version = version;
  document.type = content.type;
  document.graduate = content.graduate;
  document.employer = content.employer;
  document.handler = content.handler;
  document.terms = content.terms;
  document.sign_dates = content.sign_dates;
  document.verification_code = code;
  document.verification_url = verification_url;
  return document;
}

// The agreement number prefix: the 10-digit 院校代码, or S<school id> when the roster gave none.
std::string NumberPrefix(const AgreementContent& content, int64_t school_id) {
  bool usable = !content.school_code.empty() && content.school_code.size() <= 20;
  for (char c : content.school_code) usable = usable && absl::ascii_isalnum(static_cast<unsigned char>(c));
  return usable ? content.school_code : absl::StrCat("S", school_id);
}

}  // namespace

VersionStatus AgreementVersion::status() const {
  if (voided_at) return VersionStatus::kVoided;
  if (version < latest_version) return VersionStatus::kSuperseded;
  return VersionStatus::kValid;
}

std::string AgreementFileName(const std::string& number) { return absl::StrCat("就业协议书-", number, ".pdf"); }

Agreements::Agreements(const agreement_pdf::AgreementRenderer& renderer, agreement_pdf::VerificationKey key,
                       filestore::FileStore& files, AgreementsOptions options)
    : renderer_(renderer), key_(std::move(key)), files_(files), options_(std::move(options)) {}

absl::StatusOr<IssuedAgreement> Agreements::IssueAgreement(db::Session& tx, const RecordRef& record,
                                                           const AgreementContent& content,
                                                           const std::string& issued_by, absl::Time now) {
  const std::string flow = FlowName(record.flow);
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT id, agreement_number, latest_version, voided_at FROM agreements "
                                              "WHERE flow = ? AND record_id = ? FOR UPDATE",
                                              {flow, record.record_id}));
  int64_t agreement_id = 0;
  std::string number;
  int64_t version = 1;
  if (existing) {
    if (!existing->IsNull(3)) {
      return FailedPrecondition("AGREEMENT_VOIDED", "该协议已作废，不能再生成新版本的协议书。",
                                {{"agreement_number", existing->String(1)}});
    }
    agreement_id = existing->Int64(0);
    number = existing->String(1);
    version = existing->Int64(2) + 1;
  } else {
    // The upsert locks the sequence row until the transaction ends, so two approvals of one
    // school and class never read the same value.
    RETURN_IF_ERROR(tx.Execute("INSERT INTO agreement_sequences (school_id, class_year, last_value) VALUES (?, ?, 1) "
                               "ON DUPLICATE KEY UPDATE last_value = last_value + 1",
                               {record.school_id, static_cast<int64_t>(content.class_year)})
                        .status());
    ASSIGN_OR_RETURN(auto sequence, tx.QueryOne("SELECT last_value FROM agreement_sequences WHERE school_id = ? AND "
                                                "class_year = ?",
                                                {record.school_id, static_cast<int64_t>(content.class_year)}));
    if (!sequence) return Internal("AGREEMENT_SEQUENCE_MISSING", "the upserted agreement sequence row was not found");
    number = absl::StrFormat("%s-%d-%06d", NumberPrefix(content, record.school_id), content.class_year,
                             sequence->Int64(0));
    RETURN_IF_ERROR(tx.Execute("INSERT INTO agreements (agreement_number, school_id, class_year, flow, record_id, "
                               "latest_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                               {number, record.school_id, static_cast<int64_t>(content.class_year), flow,
                                record.record_id, now, now})
                        .status());
    ASSIGN_OR_RETURN(agreement_id, tx.LastInsertId());
  }

  const v1::StoredAgreementContent stored = ToStored(content);
  const std::string digest = ContentDigest(stored);
  ASSIGN_OR_RETURN(std::string code, key_.Derive(number, version, digest));

  // Only the checks run here: the PDF is rendered at the first download (EnsurePdf).
  RETURN_IF_ERROR(renderer_.Check(DocumentOf(number, version, code, options_.verification_url, content)));

  std::string content_json;
  if (!google::protobuf::util::MessageToJsonString(stored, &content_json).ok()) {
    return Internal("AGREEMENT_CONTENT_UNWRITABLE", absl::StrCat("cannot write the content of agreement ", number));
  }
  RETURN_IF_ERROR(tx.Execute("INSERT INTO agreement_versions (agreement_id, version, file_id, content_sha256, "
                             "verification_code, content_json, verification_url, issued_by, issued_at) "
                             "VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                             {agreement_id, version, digest, code, content_json, options_.verification_url, issued_by,
                              now})
                      .status());
  RETURN_IF_ERROR(tx.Execute("UPDATE agreements SET latest_version = ?, updated_at = ? WHERE id = ?",
                             {version, now, agreement_id})
                      .status());
  return IssuedAgreement{number, version, code, now};
}

absl::Status Agreements::MarkVoided(db::Session& tx, const RecordRef& record, absl::Time now) {
  return tx
      .Execute("UPDATE agreements SET voided_at = ?, updated_at = ? WHERE flow = ? AND record_id = ? AND "
               "voided_at IS NULL",
               {now, now, std::string(FlowName(record.flow)), record.record_id})
      .status();
}

absl::StatusOr<std::optional<AgreementVersion>> Agreements::LatestAgreement(db::Session& s, const RecordRef& record) {
  return QueryVersion(s, "a.flow = ? AND a.record_id = ? AND v.version = a.latest_version",
                      {std::string(FlowName(record.flow)), record.record_id});
}

absl::StatusOr<std::optional<AgreementVersion>> Agreements::FindByNumber(db::Session& s, const std::string& number,
                                                                         int64_t version) {
  if (!ValidNumberSyntax(number)) return std::optional<AgreementVersion>();
  if (version <= 0) return QueryVersion(s, "a.agreement_number = ? AND v.version = a.latest_version", {number});
  return QueryVersion(s, "a.agreement_number = ? AND v.version = ?", {number, version});
}

absl::StatusOr<std::string> Agreements::EnsurePdf(db::Pool& pool, const AgreementVersion& version,
                                                  absl::Time deadline, absl::Time now) {
  if (!version.file_id.empty()) return version.file_id;

  // Versions issued before the link was stored have a file, so the fallback only guards rows
  // written by hand.
  const std::string& url = version.verification_url.empty() ? options_.verification_url : version.verification_url;
  ASSIGN_OR_RETURN(std::string pdf, renderer_.Render(DocumentOf(version.number, version.version,
                                                                version.verification_code, url, version.content)));

  return pool.InTransaction<std::string>(deadline, [&](db::Session& tx) -> absl::StatusOr<std::string> {
    // The row lock makes a concurrent first download wait here and then find this one's file.
    ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT file_id FROM agreement_versions WHERE agreement_id = ? AND "
                                           "version = ? FOR UPDATE",
                                           {version.agreement_id, version.version}));
    if (!row) {
      return Internal("AGREEMENT_VERSION_MISSING",
                      absl::StrCat("agreement ", version.number, " version ", version.version, " was not found"));
    }
    if (!row->IsNull(0)) return row->String(0);

    filestore::NewFile file;
    file.school_id = version.record.school_id;
    file.record_type = kAgreementRecordType;
    file.record_id = version.number;
    file.file_name = AgreementFileName(version.number);
    file.content = std::move(pdf);
    file.created_by = version.issued_by.empty() ? "signing" : version.issued_by;
    ASSIGN_OR_RETURN(filestore::StoredFile stored, files_.Put(tx, file, now));
    ASSIGN_OR_RETURN(int64_t updated, tx.Execute("UPDATE agreement_versions SET file_id = ? WHERE agreement_id = ? AND "
                                                 "version = ? AND file_id IS NULL",
                                                 {stored.id, version.agreement_id, version.version}));
    if (updated != 1) {
      // Rolls back the Put, so no file is left without a version.
      return Internal("AGREEMENT_PDF_CONFLICT",
                      absl::StrCat("the file id of agreement ", version.number, " version ", version.version,
                                   " was set while its row was locked"));
    }
    return stored.id;
  });
}

absl::StatusOr<std::string> Agreements::ReadPdf(db::Session& s, const AgreementVersion& version,
                                                const filestore::Downloader& downloader, int principal_kind,
                                                absl::Time now) {
  if (version.file_id.empty()) {
    return Internal("AGREEMENT_PDF_NOT_RENDERED",
                    absl::StrCat("agreement ", version.number, " version ", version.version, " has no PDF yet"));
  }
  ASSIGN_OR_RETURN(filestore::FileContent file, files_.Get(s, version.record.school_id, version.file_id, downloader, now));
  AuditRecord entry;
  entry.occurred_at = now;
  entry.actor_user_id = downloader.user_id;
  entry.actor_username = downloader.username;
  entry.actor_kind = principal_kind;
  entry.school_id = version.record.school_id;
  entry.action = "agreement.download";
  entry.target_type = "agreement";
  entry.target_id = version.number;
  entry.after_json = absl::StrFormat(R"({"agreementNumber":"%s","version":%d,"fileId":"%s"})", version.number,
                                     version.version, version.file_id);
  entry.trace_id = downloader.trace_id;
  entry.peer = downloader.peer;
  RETURN_IF_ERROR(Repository::InsertAudit(s, entry));
  return std::move(file.content);
}

absl::StatusOr<v1::AgreementVerification> Agreements::Verify(db::Session& s, const std::string& number,
                                                             const std::string& entered_code) {
  if (!ValidNumberSyntax(number) || entered_code.size() > kMaxEnteredCodeLength) return NotValid();
  const std::string code = NormalizeCode(entered_code);
  if (code.size() != agreement_pdf::kVerificationCodeLength) return NotValid();

  ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kVersionColumns,
                                                   " FROM agreements a JOIN agreement_versions v ON "
                                                   "v.agreement_id = a.id WHERE a.agreement_number = ? "
                                                   "ORDER BY v.version"),
                                      {number}));
  // Every stored code is compared in full, so the time does not depend on which one matches.
  std::optional<size_t> match;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string stored = rows[i].String(11);
    if (stored.size() == code.size() && CRYPTO_memcmp(stored.data(), code.data(), code.size()) == 0) match = i;
  }
  if (!match) return NotValid();

  ASSIGN_OR_RETURN(AgreementVersion version, RowToVersion(rows[*match]));
  v1::AgreementVerification out;
  out.set_valid(true);
  out.set_agreement_number(version.number);
  out.set_version(static_cast<int32_t>(version.version));
  out.set_latest_version(static_cast<int32_t>(version.latest_version));
  *out.mutable_issued_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(version.issued_at));
  out.set_status(StatusToProto(version.status()));
  out.set_status_text(StatusText(version.status()));
  out.set_graduate_name(agreement_pdf::MaskPersonName(version.content.graduate.name));
  out.set_employer_name(agreement_pdf::MaskPersonName(version.content.employer.name));
  out.set_school_name(version.content.graduate.school);
  out.set_agreement_type_text(version.content.type == agreement_pdf::AgreementType::kTwoParty ? "两方协议" : "三方协议");
  return out;
}

}  // namespace quxiang::signing

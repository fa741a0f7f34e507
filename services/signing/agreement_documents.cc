#include "services/signing/agreement_documents.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/identity/principal.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "spdlog/spdlog.h"

namespace quxiang::signing {
namespace {

absl::Status AgreementNotFound() {
  return NotFound("AGREEMENT_NOT_FOUND", "协议书不存在或无权下载，请核对协议编号和版本。");
}

absl::StatusOr<std::optional<RecordParties>> OnlineSigningParties(db::Session& s, int64_t record_id) {
  ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT school_id, graduate_id, employer_id, department FROM online_signings "
                                        "WHERE id = ?",
                                        {record_id}));
  if (!row) return std::optional<RecordParties>();
  return std::optional<RecordParties>(RecordParties{row->Int64(0), row->Int64(1), row->Int64(2), row->String(3)});
}

// Whether `caller` may download an agreement whose record has `parties`.
bool MayDownload(const identity::Principal& caller, const RecordParties& parties) {
  const std::string school_id = std::to_string(parties.school_id);
  switch (caller.kind()) {
    case common::v1::PRINCIPAL_KIND_GRADUATE:
      return caller.school_id() == school_id && caller.graduate_id() == std::to_string(parties.graduate_id);
    case common::v1::PRINCIPAL_KIND_EMPLOYER:
      return parties.employer_id > 0 && caller.employer_id() == std::to_string(parties.employer_id);
    case common::v1::PRINCIPAL_KIND_SCHOOL:
    case common::v1::PRINCIPAL_KIND_DEPARTMENT:
      if (!identity::RequireSchool(caller, school_id).ok()) return false;
      if (!identity::RequireModuleAccess(caller, common::v1::MODULE_EMPLOYMENT, common::v1::ACCESS_READ_ONLY).ok()) {
        return false;
      }
      // Records carry the roster's department name, which department accounts carry too.
      return caller.kind() == common::v1::PRINCIPAL_KIND_SCHOOL ||
             (!caller.department_name().empty() && caller.department_name() == parties.department);
    default:
      return false;
  }
}

}  // namespace

AgreementDocuments::AgreementDocuments(db::Pool& pool, Agreements& agreements, const Clock& clock)
    : pool_(pool), agreements_(agreements), clock_(clock) {
  lookups_[AgreementFlow::kOnlineSigning] = OnlineSigningParties;
}

void AgreementDocuments::RegisterFlow(AgreementFlow flow, PartiesLookup lookup) { lookups_[flow] = std::move(lookup); }

absl::Status AgreementDocuments::GetAgreementPdf(const RequestInfo& info, const v1::GetAgreementPdfRequest& request,
                                                 common::v1::HttpFile* response) {
  if (info.principal == nullptr) return Unauthenticated("MISSING_TOKEN", "请先登录。");
  const identity::Principal& caller = *info.principal;
  switch (caller.kind()) {
    case common::v1::PRINCIPAL_KIND_GRADUATE:
    case common::v1::PRINCIPAL_KIND_EMPLOYER:
    case common::v1::PRINCIPAL_KIND_SCHOOL:
    case common::v1::PRINCIPAL_KIND_DEPARTMENT:
      break;
    default:
      return PermissionDenied("AGREEMENT_PARTIES_ONLY", "只有协议双方和本校学校、院系用户可以下载协议书。",
                              {{"principal_kind", common::v1::PrincipalKind_Name(caller.kind())}});
  }
  if (request.version() < 0) {
    return InvalidArgument("AGREEMENT_VERSION_INVALID", "协议版本号不能为负数；不填或填 0 表示最新版本。",
                           {{"field", "version"}});
  }

  filestore::Downloader downloader;
  downloader.user_id = caller.user_id();
  downloader.username = caller.username();
  downloader.trace_id = info.trace_id;
  downloader.peer = info.peer;
  const absl::Time now = clock_.Now();
  AgreementVersion version;
  std::string pdf;
  RETURN_IF_ERROR(pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, agreements_.FindByNumber(s, request.agreement_number(), request.version()));
    if (!found) return AgreementNotFound();
    auto lookup = lookups_.find(found->record.flow);
    if (lookup == lookups_.end()) {
      return Internal("AGREEMENT_FLOW_UNREGISTERED",
                      absl::StrCat("no parties lookup for the flow of agreement ", found->number));
    }
    ASSIGN_OR_RETURN(std::optional<RecordParties> parties, lookup->second(s, found->record.record_id));
    if (!parties || !MayDownload(caller, *parties)) return AgreementNotFound();
    version = *std::move(found);
    if (version.file_id.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(pdf, agreements_.ReadPdf(s, version, downloader, caller.kind(), now));
    return absl::OkStatus();
  }));

  if (version.file_id.empty()) {
    // The first download of this version renders and stores its PDF outside the transaction
    // above, then reads it in a new one, whose snapshot contains the stored file.
    ASSIGN_OR_RETURN(version.file_id, agreements_.EnsurePdf(pool_, version, info.deadline, now));
    RETURN_IF_ERROR(pool_.Transaction(info.deadline, [&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(pdf, agreements_.ReadPdf(s, version, downloader, caller.kind(), now));
      return absl::OkStatus();
    }));
  }
  const std::string& number = version.number;
  response->set_content_type("application/pdf");
  response->set_file_name(AgreementFileName(number));
  response->set_data(std::move(pdf));
  return absl::OkStatus();
}

int AgreementDocuments::CountVerification(const std::string& number, absl::Time now) {
  // Numbers over 64 characters are never valid, so their first 64 count as one key.
  constexpr size_t kMaxKeyLength = 64;
  // Once this many windows are kept, those of numbers unchecked for a minute are dropped.
  constexpr size_t kMaxWindows = 10000;
  const std::string key = number.substr(0, kMaxKeyLength);
  std::lock_guard<std::mutex> lock(verification_mutex_);
  if (verification_windows_.size() >= kMaxWindows) {
    for (auto it = verification_windows_.begin(); it != verification_windows_.end();) {
      it = now - it->second.started >= absl::Minutes(1) ? verification_windows_.erase(it) : std::next(it);
    }
    // NOTE: more active numbers than kMaxWindows reset every count, which bounds the memory but
    // lets a flood of distinct numbers lift the limit for that minute.
    if (verification_windows_.size() >= kMaxWindows) verification_windows_.clear();
  }
  VerificationWindow& window = verification_windows_[key];
  if (window.calls == 0 || now - window.started >= absl::Minutes(1)) window = {now, 0};
  return ++window.calls;
}

absl::Status AgreementDocuments::VerifyAgreement(const RequestInfo& info, const v1::VerifyAgreementRequest& request,
                                                 v1::AgreementVerification* response) {
  const int calls = CountVerification(request.agreement_number(), clock_.Now());
  if (calls > kMaxVerificationsPerMinute) {
    // One line per number and minute, at the first rejected call.
    if (calls == kMaxVerificationsPerMinute + 1) {
      spdlog::warn("agreement verifications of {} rejected for the rest of the minute: over {} calls (peer {})",
                   request.agreement_number().substr(0, 64), kMaxVerificationsPerMinute, info.peer);
    }
    return ResourceExhausted("TOO_MANY_VERIFICATIONS", "该协议编号的验证次数过多，请一分钟后再试。",
                             {{"limit_per_minute", std::to_string(kMaxVerificationsPerMinute)}});
  }
  ASSIGN_OR_RETURN(*response, pool_.Read<v1::AgreementVerification>(info.deadline, [&](db::Session& s) {
    return agreements_.Verify(s, request.agreement_number(), request.code());
  }));
  return absl::OkStatus();
}

}  // namespace quxiang::signing

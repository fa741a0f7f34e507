#include "services/accounts/service_identities.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/accounts/graduate_accounts_repository.h"
#include "spdlog/spdlog.h"

namespace quxiang::accounts {
namespace {

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool IsServiceName(absl::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) && !absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        c != '-') {
      return false;
    }
  }
  return true;
}

bool IsSha256Hex(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status InvalidServiceCredentials() {
  return Unauthenticated("INVALID_SERVICE_CREDENTIALS", "服务名称或服务密钥错误。");
}

}  // namespace

absl::StatusOr<ServiceSecretDigests> LoadServiceSecrets(const std::string& path) {
  ServiceSecretDigests secrets;
  if (path.empty()) return secrets;
  std::ifstream in(path);
  if (!in) {
    return FailedPrecondition("SERVICE_SECRETS_FILE_UNREADABLE", absl::StrCat("无法读取服务密钥文件 ", path, "。"),
                              {{"path", path}});
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
    if (!IsServiceName(parts.first) || !IsSha256Hex(parts.second)) {
      return InvalidArgument("INVALID_SERVICE_SECRETS_FILE",
                             absl::StrCat("服务密钥文件 ", path, " 第 ", number,
                                          " 行格式错误，应为“服务名称:密钥的 SHA-256 十六进制值”。"),
                             {{"path", path}, {"line", std::to_string(number)}});
    }
    secrets[parts.first] = absl::AsciiStrToLower(parts.second);
  }
  return secrets;
}

ServiceIdentities::ServiceIdentities(db::Pool& pool, const identity::TokenSigner& signer, const Clock& clock,
                                     ServiceSecretDigests secrets, absl::Duration token_lifetime)
    : pool_(pool), signer_(signer), clock_(clock), secrets_(std::move(secrets)), token_lifetime_(token_lifetime) {}

absl::Status ServiceIdentities::IssueServiceToken(const RequestInfo& info, const v1::IssueServiceTokenRequest& request,
                                                  v1::IssueServiceTokenResponse* response) {
  auto expected = secrets_.find(request.service_name());
  std::string digest = Sha256Hex(request.secret());
  // The digests are compared in constant time, and an unknown name costs the same comparison.
  const std::string& against = expected != secrets_.end() ? expected->second : digest;
  bool matches = CRYPTO_memcmp(digest.data(), against.data(), digest.size()) == 0;
  if (expected == secrets_.end() || request.secret().empty() || !matches) {
    spdlog::warn("service token rejected: invalid credentials for service name \"{}\" from {}", request.service_name().substr(0, 32),
                 info.peer);
    return InvalidServiceCredentials();
  }

  absl::Time now = clock_.Now();
  common::v1::IdentityClaims claims;
  claims.set_kind(common::v1::PRINCIPAL_KIND_SERVICE);
  claims.set_service_name(request.service_name());
  claims.set_user_id(absl::StrCat("service:", request.service_name()));
  claims.set_username(request.service_name());
  claims.set_issued_at(absl::ToUnixSeconds(now));
  claims.set_expires_at(absl::ToUnixSeconds(now + token_lifetime_));
  response->set_identity_token(signer_.Sign(claims));
  *response->mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(claims.expires_at());
  return absl::OkStatus();
}

absl::Status ServiceIdentities::LookupSchools(const RequestInfo& info, const v1::LookupSchoolsRequest& request,
                                              v1::LookupSchoolsResponse* response) {
  if (info.principal == nullptr) return Unauthenticated("MISSING_TOKEN", "请先登录。");
  RETURN_IF_ERROR(identity::RequireKind(*info.principal,
                                        {common::v1::PRINCIPAL_KIND_SERVICE, common::v1::PRINCIPAL_KIND_OPERATOR}));
  if (request.codes_size() > kMaxLookupSchoolCodes) {
    return InvalidArgument("TOO_MANY_SCHOOL_CODES",
                           absl::StrCat("一次最多查询 ", kMaxLookupSchoolCodes, " 个院校代码，本次为 ",
                                        request.codes_size(), " 个。"),
                           {{"field", "codes"}, {"count", std::to_string(request.codes_size())}});
  }
  std::vector<std::string> codes(request.codes().begin(), request.codes().end());
  response->Clear();
  if (codes.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto schools, pool_.Read<std::vector<SchoolRecord>>(info.deadline, [&](db::Session& s) {
    return GraduateAccountsRepository::FindSchoolsByCode(s, codes);
  }));
  for (const auto& school : schools) {
    v1::School* out = response->add_schools();
    out->set_id(std::to_string(school.id));
    out->set_code(school.code);
    out->set_name(school.name);
    out->set_province_code(school.province_code);
  }
  return absl::OkStatus();
}

}  // namespace quxiang::accounts

#include "services/signing/grpc_clients.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"

namespace quxiang::signing {
namespace {

// ListUsers returns at most this many users per page (kMaxPageSize in services/accounts).
constexpr int kUsersPageSize = 100;
// A bound on the pages of department accounts, so that a misbehaving callee cannot loop us.
constexpr int kMaxUserPages = 1000;

void SetDeadline(grpc::ClientContext& context, absl::Time deadline) {
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
}

}  // namespace

std::shared_ptr<grpc::Channel> CreateRoundRobinChannel(const std::string& target) {
  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(
      R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":""}})");
  // TODO: TLS between the services; every channel is plaintext for now.
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

GrpcSchoolDirectory::GrpcSchoolDirectory(std::shared_ptr<grpc::Channel> accounts_channel,
                                         std::shared_ptr<grpc::Channel> sync_channel,
                                         std::shared_ptr<grpc::Channel> warning_channel, std::string service_secret,
                                         const Clock& clock)
    : accounts_(accounts::v1::AccountsService::NewStub(std::move(accounts_channel))),
      sync_(sync::v1::SyncService::NewStub(std::move(sync_channel))),
      warning_(warning::v1::WarningService::NewStub(std::move(warning_channel))),
      tokens_(
          [this, secret = std::move(service_secret)](absl::Time deadline) -> absl::StatusOr<identity::IssuedToken> {
            grpc::ClientContext context;
            SetDeadline(context, deadline);
            accounts::v1::IssueServiceTokenRequest request;
            request.set_service_name(kServiceName);
            request.set_secret(secret);
            accounts::v1::IssueServiceTokenResponse response;
            absl::Status status = FromGrpcStatus(accounts_->IssueServiceToken(&context, request, &response));
            if (!status.ok()) return status;
            return identity::IssuedToken{response.identity_token(),
                                         absl::FromUnixSeconds(response.expires_at().seconds())};
          },
          clock) {}

absl::Status GrpcSchoolDirectory::CallWithToken(absl::Time deadline,
                                                const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> token = tokens_.Token(deadline);
    if (!token.ok()) return token.status();
    grpc::ClientContext context;
    SetDeadline(context, deadline);
    context.AddMetadata("authorization", "Bearer " + *token);
    absl::Status status = FromGrpcStatus(call(context));
    if (status.code() != absl::StatusCode::kUnauthenticated || attempt == 1) return status;
    tokens_.Invalidate();
  }
  return absl::OkStatus();
}

absl::StatusOr<accounts::v1::AgreementType> GrpcSchoolDirectory::AgreementType(absl::Time deadline,
                                                                                int64_t school_id) {
  accounts::v1::GetSchoolRequest request;
  request.set_school_id(std::to_string(school_id));
  accounts::v1::School school;
  absl::Status status =
      CallWithToken(deadline, [&](grpc::ClientContext& context) { return accounts_->GetSchool(&context, request, &school); });
  if (!status.ok()) return status;
  return school.agreement_type();
}

absl::StatusOr<std::vector<std::string>> GrpcSchoolDirectory::DepartmentsWithGraduates(absl::Time deadline,
                                                                                       int64_t school_id,
                                                                                       int class_year) {
  sync::v1::GetStatisticsRequest request;
  request.set_school_id(std::to_string(school_id));
  request.set_class_year(class_year);
  sync::v1::Statistics statistics;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->GetStatistics(&context, request, &statistics); });
  if (!status.ok()) return status;
  std::vector<std::string> departments;
  for (const sync::v1::StatisticsGroup& group : statistics.by_department()) {
    if (group.graduate_count() > 0) departments.push_back(group.key());
  }
  return departments;
}

absl::StatusOr<std::vector<accounts::v1::User>> GrpcSchoolDirectory::DepartmentAccounts(absl::Time deadline,
                                                                                        int64_t school_id) {
  std::vector<accounts::v1::User> users;
  for (int page = 1; page <= kMaxUserPages; ++page) {
    accounts::v1::ListUsersRequest request;
    request.set_school_id(std::to_string(school_id));
    request.set_kind(common::v1::PRINCIPAL_KIND_DEPARTMENT);
    request.set_page_size(kUsersPageSize);
    request.set_page(page);
    accounts::v1::ListUsersResponse response;
    absl::Status status = CallWithToken(
        deadline, [&](grpc::ClientContext& context) { return accounts_->ListUsers(&context, request, &response); });
    if (!status.ok()) return status;
    for (const accounts::v1::User& user : response.users()) users.push_back(user);
    if (response.users_size() == 0 || static_cast<int>(users.size()) >= response.total_size()) return users;
  }
  return Internal("TOO_MANY_DEPARTMENT_ACCOUNT_PAGES", "ListUsers returned more pages than kMaxUserPages");
}

namespace {

// The name of 签就业协议形式就业 in the destination code table.
constexpr char kAgreementDestinationName[] = "签就业协议形式就业";

sync::v1::Flow ToSyncFlow(LedgerFlow flow) {
  switch (flow) {
    case LedgerFlow::kOnlineSigning:
      return sync::v1::FLOW_ONLINE_SIGNING;
    case LedgerFlow::kOfflineAgreement:
      return sync::v1::FLOW_OFFLINE_AGREEMENT;
    case LedgerFlow::kPaperAgreement:
      return sync::v1::FLOW_PAPER_AGREEMENT;
  }
  return sync::v1::FLOW_UNSPECIFIED;
}

template <typename Request>
void FillLedgerRequest(const LedgerCall& call, Request* request) {
  request->set_request_id(call.request_id);
  request->set_school_id(std::to_string(call.school_id));
  request->set_graduate_id(std::to_string(call.graduate_id));
  request->set_flow(ToSyncFlow(call.flow));
  request->set_record_id(call.record_id);
}

}  // namespace

absl::StatusOr<GraduateInfo> GrpcSchoolDirectory::GetGraduate(absl::Time deadline, int64_t school_id,
                                                              int64_t graduate_id) {
  sync::v1::GetGraduateRequest request;
  request.set_school_id(std::to_string(school_id));
  request.set_graduate_id(std::to_string(graduate_id));
  sync::v1::Graduate graduate;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->GetGraduate(&context, request, &graduate); });
  if (!status.ok()) return status;
  GraduateInfo info;
  info.id = graduate_id;
  info.class_year = graduate.class_year();
  info.name = graduate.record().name();
  info.student_number = graduate.record().student_number();
  info.department = graduate.record().department();
  info.gender = graduate.record().gender();
  info.id_number = graduate.record().id_number();
  info.school_code = graduate.record().school_code();
  info.school_name = graduate.record().school_name();
  info.major = graduate.record().major_name();
  info.education_level = graduate.record().education_level();
  info.phone = graduate.record().phone();
  return info;
}

absl::StatusOr<GraduateInfo> GrpcSchoolDirectory::FindGraduateByStudentNumber(absl::Time deadline, int64_t school_id,
                                                                              int class_year,
                                                                              const std::string& student_number) {
  sync::v1::ListGraduatesRequest request;
  request.set_school_id(std::to_string(school_id));
  request.set_class_year(class_year);
  request.set_query(student_number);
  request.set_page_size(100);
  sync::v1::ListGraduatesResponse response;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->ListGraduates(&context, request, &response); });
  if (!status.ok()) return status;
  // The query also matches the beginning of names, so only an exact student number counts.
  for (const sync::v1::GraduateSummary& graduate : response.graduates()) {
    if (graduate.student_number() != student_number) continue;
    GraduateInfo info;
    if (!absl::SimpleAtoi(graduate.id(), &info.id)) break;
    info.class_year = graduate.class_year();
    info.name = graduate.name();
    info.student_number = graduate.student_number();
    info.department = graduate.department();
    return info;
  }
  return NotFound("GRADUATE_NOT_FOUND", "该学校本届毕业生中没有这个学号，请核对学校和学号。",
                  {{"student_number", student_number}});
}

absl::StatusOr<EligibilityInfo> GrpcSchoolDirectory::CheckOnlineSigningEligibility(absl::Time deadline,
                                                                                   int64_t school_id,
                                                                                   int64_t graduate_id) {
  return CheckEligibility(deadline, school_id, graduate_id, LedgerFlow::kOnlineSigning);
}

absl::StatusOr<EligibilityInfo> GrpcSchoolDirectory::CheckEligibility(absl::Time deadline, int64_t school_id,
                                                                      int64_t graduate_id, LedgerFlow flow) {
  sync::v1::CheckEligibilityRequest request;
  request.set_school_id(std::to_string(school_id));
  request.set_graduate_id(std::to_string(graduate_id));
  request.set_flow(ToSyncFlow(flow));
  sync::v1::Eligibility eligibility;
  absl::Status status = CallWithToken(deadline, [&](grpc::ClientContext& context) {
    return sync_->CheckEligibility(&context, request, &eligibility);
  });
  if (!status.ok()) return status;
  return EligibilityInfo{eligibility.eligible(), eligibility.reason(), eligibility.message()};
}

absl::StatusOr<EmployerInfo> GrpcSchoolDirectory::GetEmployer(absl::Time deadline, const std::string& employer_id) {
  accounts::v1::GetEmployerRequest request;
  request.set_employer_id(employer_id);
  accounts::v1::Employer employer;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return accounts_->GetEmployer(&context, request, &employer); });
  if (!status.ok()) return status;
  return EmployerInfo{employer.name(), employer.credit_code(), employer.contact_name(), employer.contact_phone()};
}

absl::StatusOr<std::set<std::string>> GrpcSchoolDirectory::CodeTableCodes(absl::Time deadline,
                                                                          const std::string& table, int class_year) {
  sync::v1::GetCodeTableRequest request;
  request.set_table(table);
  request.set_class_year(class_year);
  sync::v1::CodeTable response;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->GetCodeTable(&context, request, &response); });
  if (!status.ok()) return status;
  std::set<std::string> codes;
  for (const sync::v1::Code& code : response.codes()) codes.insert(code.code());
  return codes;
}

absl::StatusOr<std::string> GrpcSchoolDirectory::AgreementDestinationCode(absl::Time deadline, int class_year) {
  sync::v1::GetCodeTableRequest request;
  request.set_table("destination-codes");
  request.set_class_year(class_year);
  sync::v1::CodeTable table;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->GetCodeTable(&context, request, &table); });
  if (!status.ok()) return status;
  for (const sync::v1::Code& code : table.codes()) {
    if (code.name() == kAgreementDestinationName) return code.code();
  }
  return Internal("AGREEMENT_DESTINATION_CODE_MISSING",
                  absl::StrCat("the destination code table of class ", class_year, " has no ", kAgreementDestinationName));
}

absl::Status GrpcSchoolDirectory::ClaimGraduate(absl::Time deadline, const LedgerCall& call) {
  sync::v1::ClaimGraduateRequest request;
  FillLedgerRequest(call, &request);
  sync::v1::LedgerEntry entry;
  return CallWithToken(deadline,
                       [&](grpc::ClientContext& context) { return sync_->ClaimGraduate(&context, request, &entry); });
}

absl::Status GrpcSchoolDirectory::ReleaseClaim(absl::Time deadline, const LedgerCall& call) {
  sync::v1::ReleaseClaimRequest request;
  FillLedgerRequest(call, &request);
  sync::v1::LedgerEntry entry;
  return CallWithToken(deadline,
                       [&](grpc::ClientContext& context) { return sync_->ReleaseClaim(&context, request, &entry); });
}

absl::Status GrpcSchoolDirectory::CommitDestination(absl::Time deadline, const LedgerCall& call,
                                                    const ems::v1::Destination& destination) {
  sync::v1::CommitDestinationRequest request;
  FillLedgerRequest(call, &request);
  *request.mutable_destination() = destination;
  sync::v1::LedgerEntry entry;
  return CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->CommitDestination(&context, request, &entry); });
}

absl::Status GrpcSchoolDirectory::VoidDestination(absl::Time deadline, const LedgerCall& call) {
  sync::v1::VoidDestinationRequest request;
  FillLedgerRequest(call, &request);
  request.set_reason(sync::v1::VOID_REASON_VOIDED);
  sync::v1::LedgerEntry entry;
  return CallWithToken(deadline,
                       [&](grpc::ClientContext& context) { return sync_->VoidDestination(&context, request, &entry); });
}

absl::StatusOr<std::set<std::string>> GrpcSchoolDirectory::WarnedEmployers(
    absl::Time deadline, int64_t school_id, const std::vector<std::string>& credit_codes) {
  std::set<std::string> warned;
  if (credit_codes.empty()) return warned;
  warning::v1::LookupWarningsRequest request;
  request.set_school_id(std::to_string(school_id));
  for (const std::string& code : credit_codes) request.add_credit_codes(code);
  warning::v1::LookupWarningsResponse response;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return warning_->LookupWarnings(&context, request, &response); });
  if (!status.ok()) return status;
  for (const warning::v1::EmployerWarning& entry : response.warnings()) warned.insert(entry.credit_code());
  return warned;
}

absl::StatusOr<std::map<int64_t, GraduateContact>> GrpcSchoolDirectory::GraduateContacts(
    absl::Time deadline, int64_t school_id, const std::vector<int64_t>& graduate_ids, bool reveal) {
  std::map<int64_t, GraduateContact> contacts;
  if (graduate_ids.empty()) return contacts;
  sync::v1::BatchGetGraduatesRequest request;
  request.set_school_id(std::to_string(school_id));
  for (int64_t id : graduate_ids) request.add_graduate_ids(std::to_string(id));
  request.set_reveal_id_number(reveal);
  sync::v1::BatchGetGraduatesResponse response;
  absl::Status status = CallWithToken(
      deadline, [&](grpc::ClientContext& context) { return sync_->BatchGetGraduates(&context, request, &response); });
  if (!status.ok()) return status;
  for (const sync::v1::Graduate& graduate : response.graduates()) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(graduate.id(), &id)) continue;
    contacts[id] = GraduateContact{graduate.record().id_number(), graduate.record().phone()};
  }
  return contacts;
}

}  // namespace quxiang::signing

#include "tests/ops/ops_stack.h"

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/testing/http_client.h"

namespace quxiang::ops {
namespace {

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

std::unique_ptr<OpsStack> OpsStack::Create(const std::string& name) {
  std::unique_ptr<OpsStack> stack(new OpsStack());
  stack->database_ = quxiang::testing::TestDatabase::Create(name);
  if (!stack->database_) return nullptr;
  stack->folder_ = quxiang::testing::MakeTempDir("qx-ops");
  stack->keys_ = accounts::testing::GenerateKeyPair();
  std::ofstream(stack->folder_ + "/private.pem") << stack->keys_.private_pem;
  std::ofstream(stack->folder_ + "/public.pem") << stack->keys_.public_pem;
  std::ofstream(stack->folder_ + "/operator") << kOperatorPassword << "\n";
  // accounts stores the SHA-256 of each service's secret, one name:hex line per service.
  std::ofstream(stack->folder_ + "/sync-secret") << kSyncSecret << "\n";
  std::ofstream(stack->folder_ + "/signing-secret") << kSigningSecret << "\n";
  std::ofstream(stack->folder_ + "/service-secrets") << "sync:" << Sha256Hex(kSyncSecret) << "\n"
                                                     << "signing:" << Sha256Hex(kSigningSecret) << "\n";
  std::ofstream(stack->folder_ + "/graduate-identity-key") << "ops-test-graduate-identity-key-0123456789abcdef\n";
  std::ofstream(stack->folder_ + "/agreement-key") << "ops-test-agreement-key-0123456789abcdef0123456789\n";
  return stack;
}

OpsStack::~OpsStack() {
  // The gateway first, then the services, each with SIGTERM so that it drains as in production.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    if ((*it)->child && (*it)->child->Running()) (*it)->child->Signal(SIGTERM);
  }
  for (auto& process : processes_) {
    if (process->child && !process->child->WaitExit(absl::Seconds(20))) process->child->Signal(SIGKILL);
  }
}

Process& OpsStack::Launch(const std::string& name, const std::string& binary, std::vector<std::string> args,
                          const std::map<std::string, std::string>& environment) {
  auto process = std::make_unique<Process>();
  process->name = name;
  process->port_file = absl::StrCat(folder_, "/", name, ".port");
  process->metrics_port_file = absl::StrCat(folder_, "/", name, ".metrics-port");
  args.push_back("--port_file=" + process->port_file);
  args.push_back("--metrics_port=0");
  args.push_back("--metrics_port_file=" + process->metrics_port_file);
  process->child = std::make_unique<quxiang::testing::ChildProcess>(binary, args, environment,
                                                                   absl::StrCat(folder_, "/", name, ".log"));
  processes_.push_back(std::move(process));
  return *processes_.back();
}

Process& OpsStack::LaunchAccounts(const std::string& name, const std::vector<std::string>& extra_args) {
  // A short drain keeps the teardown quick; a test that needs another passes its own, and the
  // last occurrence of a flag wins.
  std::vector<std::string> args = {"--grpc_port=0", "--drain_delay_ms=100",
                                   "--token_private_key_file=" + folder_ + "/private.pem",
                                   "--token_public_key_files=" + folder_ + "/public.pem",
                                   "--operator_password_file=" + folder_ + "/operator",
                                   "--service_secrets_file=" + folder_ + "/service-secrets",
                                   "--graduate_identity_key_file=" + folder_ + "/graduate-identity-key"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return Launch(name, quxiang::testing::BuildDir() + "/services/accounts/accounts", args,
                database_->Environment());
}

Process* OpsStack::LaunchWarning(const std::vector<std::string>& extra_args) {
  std::string binary = quxiang::testing::BuildDir() + "/services/warning/warning";
  if (access(binary.c_str(), X_OK) != 0) return nullptr;
  // The warning service owns a schema of its own.
  warning_database_ = quxiang::testing::TestDatabase::Create("ops_warning");
  std::vector<std::string> args = {"--grpc_port=0", "--drain_delay_ms=100",
                                   "--token_public_key_files=" + folder_ + "/public.pem"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return &Launch("warning", binary, args, warning_database_->Environment());
}

Process* OpsStack::LaunchEmsSimulator(const std::string& name) {
  std::string binary = quxiang::testing::BuildDir() + "/tools/ems-simulator/ems-simulator";
  if (access(binary.c_str(), X_OK) != 0) return nullptr;
  return &Launch(name, binary,
                 {"--grpc_port=0", "--drain_delay_ms=100", "--seed=1",
                  "--token_public_key_files=" + folder_ + "/public.pem"},
                 {});
}

Process* OpsStack::LaunchSync(const std::string& name, int ems_port, int accounts_port,
                              const std::vector<std::string>& extra_args) {
  std::string binary = quxiang::testing::BuildDir() + "/services/sync/sync";
  if (access(binary.c_str(), X_OK) != 0) return nullptr;
  // Replicas share one schema, as in a Deployment.
  if (!sync_database_) sync_database_ = quxiang::testing::TestDatabase::Create("ops_sync");
  // dns:/// targets with round_robin, as the Kubernetes manifests give them.
  std::vector<std::string> args = {"--grpc_port=0", "--drain_delay_ms=100",
                                   "--token_public_key_files=" + folder_ + "/public.pem",
                                   absl::StrCat("--ems_address=dns:///127.0.0.1:", ems_port),
                                   absl::StrCat("--accounts_address=dns:///127.0.0.1:", accounts_port),
                                   "--service_secret_file=" + folder_ + "/sync-secret"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return &Launch(name, binary, args, sync_database_->Environment());
}

Process* OpsStack::LaunchSigning(int accounts_port, int sync_port, int warning_port) {
  std::string binary = quxiang::testing::BuildDir() + "/services/signing/signing";
  if (access(binary.c_str(), X_OK) != 0) return nullptr;
  signing_database_ = quxiang::testing::TestDatabase::Create("ops_signing");
  std::vector<std::string> args = {"--grpc_port=0", "--drain_delay_ms=100",
                                   "--token_public_key_files=" + folder_ + "/public.pem",
                                   absl::StrCat("--accounts_address=dns:///127.0.0.1:", accounts_port),
                                   absl::StrCat("--sync_address=dns:///127.0.0.1:", sync_port),
                                   absl::StrCat("--warning_address=dns:///127.0.0.1:", warning_port),
                                   "--service_secret_file=" + folder_ + "/signing-secret",
                                   "--agreement_key_file=" + folder_ + "/agreement-key"};
  return &Launch("signing", binary, args, signing_database_->Environment());
}

Process& OpsStack::LaunchGateway(const std::string& backends) {
  return Launch("gateway", quxiang::testing::BuildDir() + "/services/gateway/gateway",
                {"--http_port=0", "--backends=" + backends,
                 "--web_root=" + quxiang::testing::SourceDir() + "/web/placeholder"},
                {});
}

bool OpsStack::WaitReady(Process& process, absl::Duration timeout, std::string* failure) {
  process.port = quxiang::testing::WaitForPortFile(process.port_file, timeout, process.child.get());
  if (process.port > 0) {
    process.metrics_port =
        quxiang::testing::WaitForPortFile(process.metrics_port_file, absl::Seconds(5), process.child.get());
  }
  if (process.port > 0 && process.metrics_port > 0) return true;
  *failure = absl::StrCat(process.name, " did not start:\n", process.child->Log());
  return false;
}

std::string HealthStatus(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  if (!status.ok()) return "UNREACHABLE";
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

std::string ScrapeMetrics(int port) {
  quxiang::testing::HttpClient client(port);
  return client.Get("/metrics").body;
}

std::pair<int, std::string> PromtoolCheckMetrics(const std::string& text) {
  std::string input = quxiang::testing::MakeTempDir("qx-promtool") + "/metrics.txt";
  std::ofstream(input) << text;
  std::string command = std::string(QUXIANG_PROMTOOL) + " check metrics <" + input + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (pipe != nullptr && fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  int status = pipe == nullptr ? -1 : pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::optional<double> SampleValue(const std::string& metrics_text, const std::string& series) {
  std::istringstream lines(metrics_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace quxiang::ops

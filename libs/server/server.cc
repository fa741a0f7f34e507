#include "libs/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <fstream>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/status/error.h"
#include "libs/status/grpc_status.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_address, "127.0.0.1", "Address the gRPC server listens on (0.0.0.0 in containers).");
ABSL_FLAG(int, grpc_port, 0, "Port of the gRPC server; 0 picks a free one (see --port_file).");
ABSL_FLAG(std::string, port_file, "", "File the bound gRPC port is written to once the server listens.");
ABSL_FLAG(int, worker_threads, 8, "Threads running blocking work (database calls); match the DB pool size.");
ABSL_FLAG(int, worker_queue_limit, 256, "Calls waiting for a worker beyond which new calls get RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, default_deadline_ms, 30000, "Deadline in milliseconds of calls that arrive without one.");
ABSL_FLAG(int, drain_delay_ms, 5000, "Milliseconds between NOT_SERVING and shutdown on SIGTERM, for load balancers to notice.");
ABSL_FLAG(int, shutdown_grace_ms, 10000, "Milliseconds in-flight calls get to finish at shutdown.");
ABSL_FLAG(int, max_connection_age_ms, 300000, "Age in milliseconds after which a client connection is closed so clients re-resolve.");
ABSL_FLAG(std::string, token_public_key_files, "", "Comma-separated Ed25519 public keys (PEM) that identity tokens may be signed with.");

namespace quxiang::server {
namespace {

constexpr char kRequestIdHeader[] = "x-request-id";
constexpr char kAuthorizationHeader[] = "authorization";

std::string Metadata(grpc::CallbackServerContext* context, const char* key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x%016x", random(), random());
}

bool IsValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> CallContext::MakeClientContext() const {
  std::unique_ptr<grpc::ClientContext> client;
  if (grpc_context != nullptr) {
    client = grpc::ClientContext::FromCallbackServerContext(*grpc_context);
  } else {
    client = std::make_unique<grpc::ClientContext>();
    if (deadline != absl::InfiniteFuture()) client->set_deadline(absl::ToChronoTime(deadline));
  }
  client->AddMetadata(kRequestIdHeader, request_id);
  return client;
}

RuntimeOptions RuntimeOptionsFromFlags() {
  RuntimeOptions options;
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.queue_limit = absl::GetFlag(FLAGS_worker_queue_limit);
  options.default_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_default_deadline_ms));
  return options;
}

Runtime::Runtime(RuntimeOptions options)
    : options_(options),
      workers_(options.worker_threads, options.queue_limit),
      handled_(metrics::Registry::Default().GetOrAddCounter(
          "grpc_server_handled_total", "RPCs completed on the server, by method and status code.",
          {"grpc_service", "grpc_method", "grpc_code"})),
      handling_seconds_(metrics::Registry::Default().GetOrAddHistogram(
          "grpc_server_handling_seconds",
          "Time from admitting an RPC to its response, in seconds, by method.",
          {"grpc_service", "grpc_method"}, metrics::DefaultLatencyBuckets())) {}

Runtime::~Runtime() { workers_.Drain(); }

absl::Status Runtime::Admit(grpc::CallbackServerContext* context, const char* method, Auth auth,
                            CallContext& call) {
  call.method = method;
  call.grpc_context = context;
  call.peer = context->peer();
  std::string request_id = Metadata(context, kRequestIdHeader);
  call.request_id = IsValidRequestId(request_id) ? request_id : NewRequestId();

  absl::Time now = absl::Now();
  absl::Time deadline = absl::FromChrono(context->deadline());
  if (deadline > now + options_.default_deadline) deadline = now + options_.default_deadline;
  call.deadline = deadline;
  if (deadline <= now) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED",
                     "请求已超时，请稍后重试。");
  }

  std::string authorization = Metadata(context, kAuthorizationHeader);
  constexpr absl::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    if (auth == Auth::kPublic) return absl::OkStatus();
    return Unauthenticated("MISSING_TOKEN", "请先登录。");
  }
  if (absl::string_view(authorization).substr(0, kBearer.size()) != kBearer ||
      options_.verifier == nullptr) {
    return Unauthenticated("INVALID_TOKEN", "身份凭证无效，请重新登录。");
  }
  auto claims = options_.verifier->Verify(
      absl::string_view(authorization).substr(kBearer.size()), options_.clock->Now());
  if (!claims.ok()) return claims.status();
  call.principal.emplace(*std::move(claims));
  return absl::OkStatus();
}

absl::Status Runtime::RunHandler(CallContext& call, const std::function<absl::Status()>& body) {
  if (call.grpc_context != nullptr && call.grpc_context->IsCancelled()) {
    return MakeError(absl::StatusCode::kCancelled, "CANCELLED", "请求已取消。");
  }
  if (absl::Now() >= call.deadline) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED",
                     "请求已超时，请稍后重试。");
  }
  try {
    return body();
  } catch (const std::exception& error) {
    // Handlers return statuses, so an exception here is a bug. It becomes INTERNAL, never a crash.
    return Internal("UNCAUGHT_EXCEPTION", error.what());
  }
}

void Runtime::Finish(grpc::ServerUnaryReactor* reactor, const CallContext& call,
                     const absl::Status& status, absl::Time started) {
  LogCall(call, status, started);
  reactor->Finish(ToGrpcStatus(status));
}

void Runtime::LogCall(const CallContext& call, const absl::Status& status, absl::Time started) {
  double millis = absl::ToDoubleMilliseconds(absl::Now() - started);
  std::string principal = call.principal ? call.principal->LogLabel() : "anonymous";
  if (status.ok()) {
    spdlog::info("rpc method={} code=OK duration_ms={:.2f} request_id={} principal={}",
                 call.method, millis, call.request_id, principal);
  } else {
    std::string detail;
    if (auto internal = status.GetPayload("quxiang/internal-detail"); internal.has_value()) {
      detail = absl::StrCat(" detail=\"", std::string(*internal), "\"");
    }
    auto level = status.code() == absl::StatusCode::kInternal ||
                         status.code() == absl::StatusCode::kUnknown
                     ? spdlog::level::err
                     : spdlog::level::info;
    spdlog::log(level, "rpc method={} code={} reason={} duration_ms={:.2f} request_id={} principal={}{}",
                call.method, absl::StatusCodeToString(status.code()), ErrorReason(status), millis,
                call.request_id, principal, detail);
  }
  RecordCall(call.method, status.code(), absl::Now() - started);
}

void Runtime::RecordCall(const std::string& method, absl::StatusCode code,
                         absl::Duration duration) {
  // "/package.Service/Method" splits into its service and method labels.
  absl::string_view full(method);
  if (!full.empty() && full.front() == '/') full.remove_prefix(1);
  size_t slash = full.find('/');
  std::string service(full.substr(0, slash));
  std::string name(slash == absl::string_view::npos ? "" : full.substr(slash + 1));
  handled_.WithLabels({service, name, absl::StatusCodeToString(code)}).Increment();
  handling_seconds_.WithLabels({service, name}).Observe(absl::ToDoubleSeconds(duration));
}

absl::Status Runtime::Overloaded() {
  return ResourceExhausted("SERVER_BUSY", "系统繁忙，请稍后重试。");
}

ServeOptions ServeOptionsFromFlags() {
  ServeOptions options;
  options.address = absl::GetFlag(FLAGS_grpc_address);
  options.port = absl::GetFlag(FLAGS_grpc_port);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  options.drain_delay = absl::Milliseconds(absl::GetFlag(FLAGS_drain_delay_ms));
  options.shutdown_grace = absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
  options.max_connection_age = absl::Milliseconds(absl::GetFlag(FLAGS_max_connection_age_ms));
  options.metrics = metrics::ServerOptionsFromFlags();
  return options;
}

void BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int Serve(const ServeOptions& options, const std::vector<grpc::Service*>& services,
          Runtime& runtime, const std::function<void()>& on_started) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int bound_port = 0;
  std::string address = absl::StrCat(options.address, ":", options.port);
  if (options.address.find(':') != std::string::npos) {
    address = absl::StrCat("[", options.address, "]:", options.port);
  }
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_age)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_age_grace)));
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    spdlog::critical("cannot listen on {}", address);
    return 1;
  }

  // NOTE: only the sync service sets this gauge (from its outbox to the EMS). Every other process
  // exports it as 0, because the registration here is shared by all gRPC services.
  metrics::Registry::Default()
      .GetOrAddGauge("quxiang_ems_sync_lag_seconds",
                     "Seconds since the oldest ledger change that the EMS has not acknowledged; "
                     "0 when the EMS has every change.")
      .WithLabels({})
      .Set(0);
  auto metrics_server = metrics::MetricsServer::Start(options.metrics, metrics::Registry::Default());
  if (!metrics_server.ok()) {
    spdlog::critical("{}", std::string(metrics_server.status().message()));
    server->Shutdown(absl::ToChronoTime(absl::Now()));
    return 1;
  }

  if (!options.port_file.empty()) {
    std::string temporary = options.port_file + ".tmp";
    std::ofstream(temporary) << bound_port << "\n";
    std::rename(temporary.c_str(), options.port_file.c_str());
  }
  spdlog::info("listening on {}:{}", options.address, bound_port);
  if (on_started) on_started();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);

  spdlog::info("signal {} received; health NOT_SERVING, draining for {} ms", received,
               absl::ToInt64Milliseconds(options.drain_delay));
  server->GetHealthCheckService()->SetServingStatus(false);
  absl::SleepFor(options.drain_delay);
  server->Shutdown(absl::ToChronoTime(absl::Now() + options.shutdown_grace));
  runtime.workers().Drain();
  metrics_server->reset();
  spdlog::info("stopped");
  return 0;
}

absl::StatusOr<std::unique_ptr<identity::TokenVerifier>> VerifierFromFlags() {
  std::vector<std::string> paths =
      absl::StrSplit(absl::GetFlag(FLAGS_token_public_key_files), ',', absl::SkipWhitespace());
  if (paths.empty()) {
    return FailedPrecondition("NO_VERIFICATION_KEY",
                              "没有配置令牌验证公钥（--token_public_key_files）。");
  }
  return identity::TokenVerifier::FromPemFiles(paths);
}

}  // namespace quxiang::server

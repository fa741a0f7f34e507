// The server bootstrap every gRPC service uses.
//
// A service implements the generated CallbackService and forwards each method to
// Runtime::Handle, which does what every call needs: it verifies the identity token from the
// "authorization" metadata, takes the request id and the deadline, runs the handler on the
// bounded worker pool (RESOURCE_EXHAUSTED when full), converts the absl::Status once, and logs
// one line per call. Serve() builds the server with health checking and reflection, and drains
// on SIGTERM: health NOT_SERVING, a delay for load balancers to notice, Shutdown(deadline).
//
// Example:
//   grpc::ServerUnaryReactor* GetSchool(grpc::CallbackServerContext* context,
//                                       const GetSchoolRequest* request, School* response) override {
//     return runtime_.Handle(context, request, response, kGetSchool, Auth::kRequired,
//         [this](CallContext& call, const GetSchoolRequest& r, School* out) {
//           return accounts_.GetSchool(call, r, out);
//         });
//   }
#ifndef QUXIANG_LIBS_SERVER_SERVER_H_
#define QUXIANG_LIBS_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/status/grpc_status.h"
#include "libs/identity/principal.h"
#include "libs/identity/token.h"
#include "libs/metrics/metrics.h"
#include "libs/metrics/server.h"
#include "libs/server/worker_pool.h"

namespace quxiang::server {

enum class Auth {
  // The call must carry a valid identity token.
  kRequired,
  // No token needed (login, employer registration); a token that is present is still verified.
  kPublic,
};

// The call as a handler receives it.
struct CallContext {
  std::string method;
  std::string request_id;
  std::string peer;
  absl::Time deadline = absl::InfiniteFuture();
  std::optional<identity::Principal> principal;
  grpc::CallbackServerContext* grpc_context = nullptr;

  // The verified principal; only valid for Auth::kRequired calls.
  const identity::Principal& caller() const { return *principal; }
  // Copies deadline and cancellation to an outgoing call (deadline propagation).
  std::unique_ptr<grpc::ClientContext> MakeClientContext() const;
};

struct RuntimeOptions {
  int worker_threads = 8;
  int queue_limit = 256;
  // Deadline given to calls that arrive without one.
  absl::Duration default_deadline = absl::Seconds(30);
  const identity::TokenVerifier* verifier = nullptr;
  const Clock* clock = &Clock::Real();
};

// The sending side of a server stream, for a handler that runs on a worker thread.
template <typename Response>
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends `message` and blocks until gRPC has taken it, so a handler holds at most one message
  // in flight. Returns CANCELLED when the client went away or the deadline passed.
  virtual absl::Status Write(const Response& message) = 0;
};

// Reads RuntimeOptions (minus verifier and clock) from --worker_threads, --worker_queue_limit and
// --default_deadline_ms.
RuntimeOptions RuntimeOptionsFromFlags();

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();

  template <typename Request, typename Response>
  using Handler = std::function<absl::Status(CallContext&, const Request&, Response*)>;

  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context, const Request* request,
                                   Response* response, const char* method, Auth auth,
                                   Handler<Request, Response> handler) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto call = std::make_shared<CallContext>();
    absl::Status admitted = Admit(context, method, auth, *call);
    if (!admitted.ok()) {
      Finish(reactor, *call, admitted, absl::Now());
      return reactor;
    }
    absl::Time started = absl::Now();
    bool queued = workers_.TrySubmit([this, reactor, call, request, response, started,
                                      handler = std::move(handler)] {
      absl::Status status = RunHandler(*call, [&] { return handler(*call, *request, response); });
      Finish(reactor, *call, status, started);
    });
    if (!queued) Finish(reactor, *call, Overloaded(), started);
    return reactor;
  }

  template <typename Request, typename Response>
  using StreamHandler = std::function<absl::Status(CallContext&, const Request&, StreamWriter<Response>&)>;

  // Handle for a server-streaming method: the same admission, worker pool, status conversion
  // and call log, with a handler that writes the messages itself. The handler occupies one
  // worker thread until its last message is sent, because each Write waits for the client.
  template <typename Request, typename Response>
  grpc::ServerWriteReactor<Response>* HandleServerStream(grpc::CallbackServerContext* context,
                                                         const Request* request, const char* method, Auth auth,
                                                         StreamHandler<Request, Response> handler) {
    auto* reactor = new BlockingWriteReactor<Response>(this);
    auto call = std::make_shared<CallContext>();
    absl::Status admitted = Admit(context, method, auth, *call);
    if (!admitted.ok()) {
      reactor->Complete(*call, admitted, absl::Now());
      return reactor;
    }
    absl::Time started = absl::Now();
    bool queued = workers_.TrySubmit([this, reactor, call, request, started, handler = std::move(handler)] {
      absl::Status status = RunHandler(*call, [&] { return handler(*call, *request, *reactor); });
      reactor->Complete(*call, status, started);
    });
    if (!queued) reactor->Complete(*call, Overloaded(), started);
    return reactor;
  }

  WorkerPool& workers() { return workers_; }
  const Clock& clock() const { return *options_.clock; }

 private:
  // A write reactor whose Write blocks the worker thread until gRPC reports the write done.
  // It deletes itself in OnDone, which gRPC calls only after Finish and every write are done.
  template <typename Response>
  class BlockingWriteReactor final : public grpc::ServerWriteReactor<Response>, public StreamWriter<Response> {
   public:
    explicit BlockingWriteReactor(Runtime* runtime) : runtime_(runtime) {}

    absl::Status Write(const Response& message) override {
      std::unique_lock<std::mutex> lock(mutex_);
      if (cancelled_) return Cancelled();
      writing_ = true;
      // gRPC may run OnWriteDone inline, so StartWrite runs without the lock.
      lock.unlock();
      this->StartWrite(&message);
      lock.lock();
      done_.wait(lock, [this] { return !writing_; });
      if (!write_ok_ || cancelled_) return Cancelled();
      return absl::OkStatus();
    }

    // Logs the call and finishes the stream. Nothing may touch the reactor afterwards.
    void Complete(const CallContext& call, const absl::Status& status, absl::Time started) {
      runtime_->LogCall(call, status, started);
      this->Finish(ToGrpcStatus(status));
    }

    void OnWriteDone(bool ok) override {
      std::lock_guard<std::mutex> lock(mutex_);
      write_ok_ = ok;
      writing_ = false;
      done_.notify_all();
    }
    void OnCancel() override {
      std::lock_guard<std::mutex> lock(mutex_);
      cancelled_ = true;
    }
    void OnDone() override { delete this; }

   private:
    static absl::Status Cancelled() { return absl::CancelledError("the stream was cancelled or its deadline passed"); }

    Runtime* runtime_;
    std::mutex mutex_;
    std::condition_variable done_;
    bool writing_ = false;
    bool write_ok_ = true;
    bool cancelled_ = false;
  };

  absl::Status Admit(grpc::CallbackServerContext* context, const char* method, Auth auth,
                     CallContext& call);
  absl::Status RunHandler(CallContext& call, const std::function<absl::Status()>& body);
  void Finish(grpc::ServerUnaryReactor* reactor, const CallContext& call,
              const absl::Status& status, absl::Time started);
  // Writes the call's log line and metrics.
  void LogCall(const CallContext& call, const absl::Status& status, absl::Time started);
  // Counts the call in grpc_server_handled_total and its duration in
  // grpc_server_handling_seconds.
  void RecordCall(const std::string& method, absl::StatusCode code, absl::Duration duration);
  static absl::Status Overloaded();

  RuntimeOptions options_;
  WorkerPool workers_;
  metrics::Family<metrics::Counter>& handled_;
  metrics::Family<metrics::Histogram>& handling_seconds_;
};

struct ServeOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  // When set, the bound port is written there once the server listens.
  std::string port_file;
  absl::Duration drain_delay = absl::Seconds(5);
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Servers close connections after this age so that clients re-resolve and new replicas get
  // traffic behind a headless Service.
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // The largest request message accepted; larger ones get RESOURCE_EXHAUSTED before any handler
  // runs. 4 MiB is gRPC's own default.
  int max_receive_message_bytes = 4 << 20;
  // The Prometheus /metrics endpoint, on a port of its own.
  metrics::ServerOptions metrics;
};

// Reads ServeOptions from --grpc_address, --grpc_port, --port_file, --drain_delay_ms,
// --shutdown_grace_ms, --max_connection_age_ms and the --metrics_* flags.
ServeOptions ServeOptionsFromFlags();

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so that
// Serve() can wait for them. Call first thing in main().
void BlockTerminationSignals();

// Builds and starts a server with `services`, health checking and reflection, and the /metrics
// endpoint of metrics::Registry::Default(), and blocks until SIGTERM or SIGINT; then drains and
// returns 0 (1 when the server or the endpoint could not start).
// `on_started` runs once the server listens (background jobs start there).
int Serve(const ServeOptions& options, const std::vector<grpc::Service*>& services,
          Runtime& runtime, const std::function<void()>& on_started = nullptr);

// Loads the verifier from --token_public_key_files (comma-separated PEM paths).
absl::StatusOr<std::unique_ptr<identity::TokenVerifier>> VerifierFromFlags();

}  // namespace quxiang::server

#endif  // QUXIANG_LIBS_SERVER_SERVER_H_

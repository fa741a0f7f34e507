// stack_bench: the load generator of bench/run. Each run sends one kind of request at one
// concurrency and prints one RESULT line of key=value pairs: throughput, p50, p95 and p99 latency, and
// the server's statement, row and fsync counts per request.
//
// Operations (--operation):
//   grpc_echo      quxiang.testing.v1.EchoService/Echo over gRPC with --response_bytes of padding
//   gateway_echo   POST /v1/echo through the gateway, JSON in and out, same padding
//   http_get       GET --path through the gateway with the session of --username
//   http_review    POST {--path}/{id}:review (approve) for each line "id version" of --ids_file
//   http_login     POST /v1/sessions:login as --username
//   sql_list       the review-queue page statements of signing, run directly (COUNT, then the page)
//   sql_approve    the statements of an approve, run directly in signing's and sync's databases
//   sql_pk         SELECT of one graduate by primary key in sync's database
//   sql_aggregate  the statistics GROUP BY over every graduate of sync's database
// Requests go to 127.0.0.1 only. A run stops after --requests requests or --max_seconds,
// whichever comes first. Latencies include failed requests. Exit status: 0 when at least one
// request succeeded (the RESULT line counts the failures), 1 otherwise, 2 for invalid flags.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/db/db.h"
#include "libs/status/status_macros.h"
#include "quxiang/testing/v1/echo.grpc.pb.h"

ABSL_FLAG(std::string, operation, "", "Operation to run; see the list at the top of bench/stack_bench.cc.");
ABSL_FLAG(std::string, name, "", "Name of the RESULT line; the operation when empty.");
ABSL_FLAG(int, concurrency, 1, "Requests in flight at once, one thread each.");
ABSL_FLAG(int, requests, 200, "Requests measured, after the warm-up.");
ABSL_FLAG(int, warmup_requests, 10, "Requests sent before the measurement and not counted.");
ABSL_FLAG(double, max_seconds, 30, "Upper bound of the measurement in seconds; the run stops early when it is reached.");
ABSL_FLAG(int, port, 0, "Port on 127.0.0.1 of the gateway (HTTP operations) or the echo server (grpc_echo).");
ABSL_FLAG(std::string, path, "", "Request path of http_get, or the collection path of http_review.");
ABSL_FLAG(std::string, username, "", "Login of the HTTP operations.");
ABSL_FLAG(std::string, password, "", "Password of --username.");
ABSL_FLAG(int, response_bytes, 0, "Padding bytes of every echo response, the size of the real response it stands for.");
ABSL_FLAG(std::string, ids_file, "", "Lines of 'id version': the records that http_review and sql_approve approve, one per request.");
ABSL_FLAG(int64_t, school_id, 0, "School whose review queue sql_list reads.");
ABSL_FLAG(int, page, 1, "Page (1-based, 20 rows) that sql_list reads.");
ABSL_FLAG(int64_t, max_graduate_id, 1, "sql_pk reads random ids from 1 to this.");
ABSL_FLAG(std::string, signing_database, "quxiang_signing", "Database of the signing service.");
ABSL_FLAG(std::string, sync_database, "quxiang_sync", "Database of the sync service.");

namespace quxiang::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr int kPageSize = 20;

// The same columns and conditions as OnlineSigning::ListOnlineSignings with the pending-review
// filter and no department, name or employer filter.
constexpr char kSigningColumns[] =
    "id, school_id, class_year, graduate_id, graduate_name, student_number, department, employer_id, "
    "employer_name, employer_credit_code, invitation_state, review_state, review_stage, answer_deadline, "
    "reject_reason_code, reject_detail, version, created_at, updated_at";

// One request of an operation: returns "" on success, else the error.
using Request = std::function<std::string()>;

// Creates one Request per worker thread, so that each keeps its own connection.
using RequestFactory = std::function<Request()>;

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

db::Options DatabaseOptions(const std::string& database, int connections) {
  db::Options options;
  options.host = Env("MYSQL_HOST", "127.0.0.1");
  int port = 3306;
  if (!absl::SimpleAtoi(Env("MYSQL_PORT", "3306"), &port)) port = 3306;
  options.port = port;
  options.user = Env("MYSQL_USER", "root");
  options.password = Env("MYSQL_PASSWORD", "");
  options.database = database;
  options.create_database = false;
  options.max_connections = connections;
  options.acquire_timeout = absl::Seconds(30);
  options.read_timeout = absl::Seconds(120);
  return options;
}

// An HTTP/1.1 keep-alive connection to 127.0.0.1:port that reconnects when the server closes it.
class HttpConnection {
 public:
  explicit HttpConnection(int port) : port_(port), socket_(io_) {}

  // Sends one request; returns the status (0 on a transport error, with `error` set) and the body.
  int Send(http::verb method, const std::string& target, const std::string& body, const std::string& cookie,
           const std::string& csrf, std::string* response_body, std::vector<std::string>* set_cookies,
           std::string* error) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!socket_.is_open()) {
        beast::error_code connect_error;
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)),
                        connect_error);
        if (connect_error) {
          *error = absl::StrCat("connect: ", connect_error.message());
          return 0;
        }
        socket_.set_option(tcp::no_delay(true));
      }
      http::request<http::string_body> request{method, target, 11};
      request.set(http::field::host, "127.0.0.1");
      request.set(http::field::accept, "application/json");
      request.keep_alive(true);
      if (!cookie.empty()) request.set(http::field::cookie, cookie);
      if (!csrf.empty()) request.set("X-CSRF-Token", csrf);
      if (method != http::verb::get) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
      }
      beast::error_code io_error;
      http::write(socket_, request, io_error);
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      if (!io_error) http::read(socket_, buffer_, parser, io_error);
      if (io_error) {
        // A keep-alive connection that the server closed while idle: reconnect once.
        beast::error_code ignored;
        socket_.close(ignored);
        buffer_.clear();
        *error = io_error.message();
        continue;
      }
      const auto& response = parser.get();
      if (set_cookies != nullptr) {
        for (const auto& field : response.base()) {
          if (field.name() == http::field::set_cookie) set_cookies->push_back(std::string(field.value()));
        }
      }
      *response_body = response.body();
      if (!response.keep_alive()) {
        beast::error_code ignored;
        socket_.close(ignored);
      }
      return static_cast<int>(response.result_int());
    }
    return 0;
  }

 private:
  int port_;
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string CheckHttp(int status, const std::string& body, const std::string& error) {
  if (status == 0) return absl::StrCat("transport error: ", error);
  if (status >= 200 && status < 300) return "";
  return absl::StrCat("HTTP ", status, ": ", body.substr(0, 300));
}

struct Session {
  std::string cookie;
  std::string csrf;
};

// Logs in through the gateway and returns the cookies of the session.
absl::StatusOr<Session> Login(int port, const std::string& username, const std::string& password) {
  HttpConnection connection(port);
  std::string body;
  std::string error;
  std::vector<std::string> set_cookies;
  const std::string request = absl::StrFormat(R"({"username":"%s","password":"%s"})", username, password);
  int status = connection.Send(http::verb::post, "/v1/sessions:login", request, "", "", &body, &set_cookies, &error);
  std::string failure = CheckHttp(status, body, error);
  if (!failure.empty()) return absl::UnavailableError(absl::StrCat("login of ", username, " failed: ", failure));
  Session session;
  std::vector<std::string> pairs;
  for (const std::string& header : set_cookies) {
    std::string pair(header.substr(0, header.find(';')));
    if (absl::StartsWith(pair, "qx_csrf=")) session.csrf = pair.substr(8);
    pairs.push_back(pair);
  }
  session.cookie = absl::StrJoin(pairs, "; ");
  if (session.csrf.empty()) return absl::UnavailableError("the login response set no qx_csrf cookie");
  return session;
}

// The records that the approve operations take one per request, shared by the threads.
class RecordQueue {
 public:
  absl::Status Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read --ids_file ", path));
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> parts = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (parts.size() != 2) continue;
      int64_t id = 0;
      int64_t version = 0;
      if (absl::SimpleAtoi(parts[0], &id) && absl::SimpleAtoi(parts[1], &version)) records_.emplace_back(id, version);
    }
    if (records_.empty()) return absl::InvalidArgumentError(absl::StrCat("--ids_file ", path, " lists no record"));
    return absl::OkStatus();
  }

  // The next record, or nullopt when every record is taken.
  std::optional<std::pair<int64_t, int64_t>> Next() {
    size_t index = next_.fetch_add(1);
    if (index >= records_.size()) return std::nullopt;
    return records_[index];
  }

  size_t size() const { return records_.size(); }

 private:
  std::vector<std::pair<int64_t, int64_t>> records_;
  std::atomic<size_t> next_{0};
};

std::string RandomTag() {
  absl::BitGen random;
  return absl::StrFormat("%08x", absl::Uniform<uint32_t>(random));
}

RequestFactory GrpcEcho() {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)),
                                     grpc::InsecureChannelCredentials());
  auto stub = std::shared_ptr<testing::v1::EchoService::Stub>(testing::v1::EchoService::NewStub(channel));
  const int bytes = absl::GetFlag(FLAGS_response_bytes);
  return [stub, bytes]() -> Request {
    return [stub, bytes]() -> std::string {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      testing::v1::EchoRequest request;
      request.set_message("bench");
      request.set_response_bytes(bytes);
      testing::v1::EchoResponse response;
      grpc::Status status = stub->Echo(&context, request, &response);
      if (!status.ok()) return absl::StrCat("gRPC ", status.error_code(), ": ", status.error_message());
      return "";
    };
  };
}

RequestFactory GatewayEcho() {
  const int port = absl::GetFlag(FLAGS_port);
  const std::string body = absl::StrCat(R"({"message":"bench","responseBytes":)", absl::GetFlag(FLAGS_response_bytes), "}");
  return [port, body]() -> Request {
    auto connection = std::make_shared<HttpConnection>(port);
    return [connection, body]() -> std::string {
      std::string response;
      std::string error;
      int status = connection->Send(http::verb::post, "/v1/echo", body, "", "", &response, nullptr, &error);
      return CheckHttp(status, response, error);
    };
  };
}

RequestFactory HttpGet(const Session& session) {
  const int port = absl::GetFlag(FLAGS_port);
  const std::string path = absl::GetFlag(FLAGS_path);
  return [port, path, session]() -> Request {
    auto connection = std::make_shared<HttpConnection>(port);
    return [connection, path, session]() -> std::string {
      std::string response;
      std::string error;
      int status = connection->Send(http::verb::get, path, "", session.cookie, "", &response, nullptr, &error);
      return CheckHttp(status, response, error);
    };
  };
}

RequestFactory HttpReview(const Session& session, std::shared_ptr<RecordQueue> queue) {
  const int port = absl::GetFlag(FLAGS_port);
  const std::string path = absl::GetFlag(FLAGS_path);
  const std::string tag = RandomTag();
  return [port, path, session, queue, tag]() -> Request {
    auto connection = std::make_shared<HttpConnection>(port);
    return [connection, path, session, queue, tag]() -> std::string {
      auto record = queue->Next();
      if (!record) return "the --ids_file has no record left";
      const std::string body = absl::StrFormat(
          R"({"requestId":"bench-%s-%d","etag":"%d","decision":"REVIEW_DECISION_APPROVE"})", tag, record->first,
          record->second);
      std::string response;
      std::string error;
      int status = connection->Send(http::verb::post, absl::StrCat(path, "/", record->first, ":review"), body,
                                    session.cookie, session.csrf, &response, nullptr, &error);
      return CheckHttp(status, response, error);
    };
  };
}

RequestFactory HttpLogin() {
  const int port = absl::GetFlag(FLAGS_port);
  const std::string body = absl::StrFormat(R"({"username":"%s","password":"%s"})", absl::GetFlag(FLAGS_username),
                                           absl::GetFlag(FLAGS_password));
  return [port, body]() -> Request {
    auto connection = std::make_shared<HttpConnection>(port);
    return [connection, body]() -> std::string {
      std::string response;
      std::string error;
      int status = connection->Send(http::verb::post, "/v1/sessions:login", body, "", "", &response, nullptr, &error);
      return CheckHttp(status, response, error);
    };
  };
}

std::string StatusText(const absl::Status& status) { return status.ok() ? "" : status.ToString(); }

// The two statements of the pending-review list page, as the signing service runs them.
RequestFactory SqlList(std::shared_ptr<db::Pool> pool) {
  const int64_t school_id = absl::GetFlag(FLAGS_school_id);
  const int64_t offset = static_cast<int64_t>(absl::GetFlag(FLAGS_page) - 1) * kPageSize;
  return [pool, school_id, offset]() -> Request {
    return [pool, school_id, offset]() -> std::string {
      return StatusText(pool->Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) -> absl::Status {
        RETURN_IF_ERROR(
            s.QueryOne("SELECT COUNT(*) FROM online_signings WHERE school_id = ? AND review_state = 'PENDING'", {school_id})
                .status());
        ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kSigningColumns,
                                                         " FROM online_signings WHERE school_id = ? AND review_state = "
                                                         "'PENDING' ORDER BY id DESC LIMIT ? OFFSET ?"),
                                            {school_id, int64_t{kPageSize}, offset}));
        if (rows.empty()) return absl::NotFoundError("the page is empty");
        return absl::OkStatus();
      }));
    };
  };
}

// The writes of an approve that becomes effective, run directly in two transactions. In
// signing's database: the idempotency key (inserted first, as db::RunIdempotent does), the record
// under lock, the settings, the conditional update, the review history, the usage counter, the
// audit row and the stored response. Then in sync's database, as sync commits the destination:
// the graduate, the ledger row under lock, its update, the outbox event and the statistics
// counters.
// NOTE: the statements are written after reading the services' code, not captured from them, so
// their count differs from what the service runs; the table shows both counts.
RequestFactory SqlApprove(std::shared_ptr<db::Pool> signing, std::shared_ptr<db::Pool> sync,
                          std::shared_ptr<RecordQueue> queue) {
  const std::string tag = RandomTag();
  return [signing, sync, queue, tag]() -> Request {
    return [signing, sync, queue, tag]() -> std::string {
      auto record = queue->Next();
      if (!record) return "the --ids_file has no record left";
      const int64_t id = record->first;
      const int64_t version = record->second;
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      const std::string request_id = absl::StrCat("bench-sql-", tag, "-", id);
      int64_t graduate_id = 0;
      int64_t school_id = 0;
      int64_t class_year = 0;
      absl::Status status = signing->Transaction(deadline, [&](db::Session& s) -> absl::Status {
        RETURN_IF_ERROR(s.Execute("INSERT INTO idempotency_keys (scope, method, request_id, fingerprint, created_at) "
                                  "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))",
                                  {std::string("bench"), std::string("Review"), request_id, std::string(64, '0')})
                            .status());
        ASSIGN_OR_RETURN(auto row, s.QueryOne(absl::StrCat("SELECT ", kSigningColumns,
                                                           " FROM online_signings WHERE id = ? FOR UPDATE"),
                                              {id}));
        if (!row) return absl::NotFoundError(absl::StrCat("online signing ", id, " not found"));
        school_id = row->Int64(1);
        class_year = row->Int64(2);
        graduate_id = row->Int64(3);
        RETURN_IF_ERROR(
            s.QueryOne("SELECT * FROM signing_settings WHERE school_id = ? AND class_year = ?", {school_id, class_year})
                .status());
        ASSIGN_OR_RETURN(int64_t updated,
                         s.Execute("UPDATE online_signings SET review_state = 'APPROVED', review_stage = '', "
                                   "version = version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND version = ?",
                                   {id, version}));
        if (updated != 1) return absl::AbortedError(absl::StrCat("online signing ", id, " changed"));
        RETURN_IF_ERROR(s.Execute("INSERT INTO review_history (flow, record_id, version, action, stage, from_state, "
                                  "to_state, to_stage, actor_kind, reviewer_id, reviewer_name, request_id, occurred_at) "
                                  "VALUES ('signing.online', ?, ?, 'APPROVE', 'SCHOOL', 'PENDING', 'APPROVED', '', "
                                  "'SCHOOL', 'bench', 'bench', ?, UTC_TIMESTAMP(6))",
                                  {std::to_string(id), version + 1, request_id})
                            .status());
        RETURN_IF_ERROR(s.Execute("UPDATE settings_usage SET records_in_review = records_in_review - 1 "
                                  "WHERE school_id = ? AND class_year = ?",
                                  {school_id, class_year})
                            .status());
        RETURN_IF_ERROR(
            s.QueryOne(absl::StrCat("SELECT ", kSigningColumns, " FROM online_signings WHERE id = ?"), {id}).status());
        RETURN_IF_ERROR(s.Execute("INSERT INTO audit_log (occurred_at, actor_user_id, actor_username, school_id, action, "
                                  "target_type, target_id, before_json, after_json, request_id) "
                                  "VALUES (UTC_TIMESTAMP(6), 'bench', 'bench', ?, 'online_signing.approve', "
                                  "'online_signing', ?, '{}', '{}', ?)",
                                  {school_id, std::to_string(id), request_id})
                            .status());
        return s.Execute("UPDATE idempotency_keys SET response = 'x' WHERE scope = ? AND method = ? AND request_id = ?",
                         {std::string("bench"), std::string("Review"), request_id})
            .status();
      });
      if (!status.ok()) return status.ToString();
      status = sync->Transaction(deadline, [&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(auto graduate,
                         s.QueryOne("SELECT id, department, major_code, education_level_code, gender_code "
                                    "FROM graduates WHERE id = ?",
                                    {graduate_id}));
        if (!graduate) return absl::NotFoundError(absl::StrCat("graduate ", graduate_id, " not found"));
        RETURN_IF_ERROR(s.QueryOne("SELECT * FROM ledger WHERE graduate_id = ? FOR UPDATE", {graduate_id}).status());
        ASSIGN_OR_RETURN(int64_t updated,
                         s.Execute("UPDATE ledger SET state = 3, destination = 'x', destination_code = '10', "
                                   "ledger_version = ledger_version + 1, version = version + 1, "
                                   "updated_at = UTC_TIMESTAMP(6) WHERE graduate_id = ? AND state IN (2, 3) "
                                   "AND holder_flow = 1 AND holder_record_id = ?",
                                   {graduate_id, std::to_string(id)}));
        if (updated != 1) return absl::AbortedError(absl::StrCat("the ledger row of graduate ", graduate_id, " changed"));
        RETURN_IF_ERROR(s.Execute("INSERT INTO outbox (event_id, aggregate_id, aggregate_version, type, payload, "
                                  "created_at, next_attempt_at) VALUES (UUID(), ?, 1, 'bench.destination', 'x', "
                                  "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                                  {std::to_string(graduate_id)})
                            .status());
        const std::string department = graduate->String(1);
        const std::vector<std::string> values = {department, graduate->String(2), graduate->String(3),
                                                 graduate->String(4)};
        // The graduate leaves the counters of destination 70 and joins those of destination 10.
        // The rows go in primary-key order, as sync writes them from an ordered map, so that
        // concurrent approvals lock them in the same order.
        std::vector<db::Param> params;
        for (int dimension = 1; dimension <= 4; ++dimension) {
          for (const auto& [code, delta] : {std::pair<std::string, int64_t>{"10", 1}, {"70", -1}}) {
            params.insert(params.end(), {school_id, class_year, department, int64_t{dimension}, values[dimension - 1],
                                         code, code == "10", std::string(), delta});
          }
        }
        std::string placeholders;
        for (int i = 0; i < 8; ++i) absl::StrAppend(&placeholders, i == 0 ? "" : ", ", "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
        return s
            .Execute(absl::StrCat("INSERT INTO statistics_counters (school_id, class_year, department, dimension, "
                                  "dimension_value, destination_code, signed, display_name, graduates) VALUES ",
                                  placeholders, " ON DUPLICATE KEY UPDATE graduates = graduates + VALUES(graduates)"),
                     params)
            .status();
      });
      return StatusText(status);
    };
  };
}

RequestFactory SqlPk(std::shared_ptr<db::Pool> pool) {
  const int64_t max_id = std::max<int64_t>(1, absl::GetFlag(FLAGS_max_graduate_id));
  return [pool, max_id]() -> Request {
    auto random = std::make_shared<absl::BitGen>();
    return [pool, max_id, random]() -> std::string {
      const int64_t id = absl::Uniform<int64_t>(absl::IntervalClosed, *random, 1, max_id);
      return StatusText(pool->Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) -> absl::Status {
        return s.QueryOne("SELECT * FROM graduates WHERE id = ?", {id}).status();
      }));
    };
  };
}

// The recount of every school's counters from the roster and the ledger, as the statistics
// migration computes them, over the whole graduates table.
RequestFactory SqlAggregate(std::shared_ptr<db::Pool> pool) {
  return [pool]() -> Request {
    return [pool]() -> std::string {
      return StatusText(pool->Run(absl::Now() + absl::Seconds(600), [&](db::Session& s) -> absl::Status {
        return s
            .Query("SELECT g.school_id, g.class_year, g.department, d.dimension, "
                   "CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_code "
                   "WHEN 3 THEN g.education_level_code ELSE g.gender_code END AS v, "
                   "IF(l.state = 3, l.destination_code, '70') AS code, "
                   "l.state = 3 AND l.holder_flow IN (1, 2, 3) AS signed_flag, COUNT(*) "
                   "FROM graduates g JOIN ledger l ON l.graduate_id = g.id "
                   "JOIN (SELECT 1 AS dimension UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) d "
                   "WHERE g.state = 1 GROUP BY g.school_id, g.class_year, g.department, d.dimension, v, code, "
                   "signed_flag")
            .status();
      }));
    };
  };
}

// Global counters of the server, read before and after the measurement.
struct ServerCounters {
  std::map<std::string, int64_t> status;
  // Statements and rows examined of every client, from performance_schema (0 when it is off).
  int64_t statements = 0;
  int64_t rows_examined = 0;
};

absl::StatusOr<ServerCounters> ReadCounters(db::Pool& pool) {
  ServerCounters counters;
  RETURN_IF_ERROR(pool.Run(absl::Now() + absl::Seconds(30), [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', "
                                        "'Com_commit', 'Innodb_os_log_fsyncs', 'Innodb_data_fsyncs', "
                                        "'Handler_read_next', 'Handler_read_prev', 'Handler_read_key', "
                                        "'Handler_read_rnd_next', 'Handler_read_first', 'Handler_read_last', "
                                        "'Innodb_log_writes', 'Binlog_commits', 'Binlog_group_commits')",
                                        {}));
    for (const db::Row& row : rows) counters.status[row.String(0)] = row.Int64(1);
    // Prepared statements run as statement/com/Execute, text statements as statement/sql/*.
    // The digest table would name the schema, but MariaDB 10.11 leaves executions of prepared
    // statements out of it.
    auto digest = s.QueryOne("SELECT COALESCE(SUM(COUNT_STAR), 0), COALESCE(SUM(SUM_ROWS_EXAMINED), 0) "
                             "FROM performance_schema.events_statements_summary_global_by_event_name "
                             "WHERE EVENT_NAME LIKE 'statement/sql/%' OR EVENT_NAME = 'statement/com/Execute'",
                             {});
    if (digest.ok() && *digest) {
      counters.statements = (*digest)->Int64(0);
      counters.rows_examined = (*digest)->Int64(1);
    }
    return absl::OkStatus();
  }));
  return counters;
}

struct Outcome {
  std::vector<double> latencies_ms;
  int errors = 0;
  std::string first_error;
  double seconds = 0;
};

// Runs `requests` requests on `concurrency` threads, each with its own Request, and stops at the
// time limit.
Outcome RunRequests(const RequestFactory& factory, int concurrency, int requests, double max_seconds) {
  Outcome outcome;
  std::vector<Request> workers;
  for (int i = 0; i < concurrency; ++i) workers.push_back(factory());
  std::atomic<int> next{0};
  std::mutex mutex;
  const Clock::time_point start = Clock::now();
  const Clock::time_point stop = start + std::chrono::microseconds(static_cast<int64_t>(max_seconds * 1e6));
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&, i] {
      std::vector<double> latencies;
      int errors = 0;
      std::string first_error;
      while (next.fetch_add(1) < requests && Clock::now() < stop) {
        const Clock::time_point sent = Clock::now();
        std::string error = workers[i]();
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        if (!error.empty()) {
          if (errors++ == 0) first_error = error;
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      outcome.latencies_ms.insert(outcome.latencies_ms.end(), latencies.begin(), latencies.end());
      outcome.errors += errors;
      if (outcome.first_error.empty()) outcome.first_error = first_error;
    });
  }
  for (std::thread& thread : threads) thread.join();
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return outcome;
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

int Run() {
  const std::string operation = absl::GetFlag(FLAGS_operation);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (concurrency < 1 || concurrency > 256) {
    std::fprintf(stderr, "--concurrency must be between 1 and 256, got %d\n", concurrency);
    return 2;
  }
  const int connections = concurrency + 2;
  auto counters_pool = db::Pool::Create(DatabaseOptions("", 1));
  if (!counters_pool.ok()) {
    std::fprintf(stderr, "cannot connect to MariaDB: %s\n", counters_pool.status().ToString().c_str());
    return 1;
  }
  auto pool_for = [&](const std::string& database) -> std::shared_ptr<db::Pool> {
    auto pool = db::Pool::Create(DatabaseOptions(database, connections));
    if (!pool.ok()) {
      std::fprintf(stderr, "cannot connect to database %s: %s\n", database.c_str(), pool.status().ToString().c_str());
      std::exit(1);
    }
    return std::shared_ptr<db::Pool>(std::move(*pool));
  };
  auto load_queue = [&]() -> std::shared_ptr<RecordQueue> {
    auto queue = std::make_shared<RecordQueue>();
    absl::Status loaded = queue->Load(absl::GetFlag(FLAGS_ids_file));
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.ToString().c_str());
      std::exit(2);
    }
    return queue;
  };
  auto login = [&]() -> Session {
    auto session = Login(absl::GetFlag(FLAGS_port), absl::GetFlag(FLAGS_username), absl::GetFlag(FLAGS_password));
    if (!session.ok()) {
      std::fprintf(stderr, "%s\n", session.status().ToString().c_str());
      std::exit(1);
    }
    return *session;
  };

  RequestFactory factory;
  if (operation == "grpc_echo") {
    factory = GrpcEcho();
  } else if (operation == "gateway_echo") {
    factory = GatewayEcho();
  } else if (operation == "http_get") {
    factory = HttpGet(login());
  } else if (operation == "http_review") {
    factory = HttpReview(login(), load_queue());
  } else if (operation == "http_login") {
    factory = HttpLogin();
  } else if (operation == "sql_list") {
    factory = SqlList(pool_for(absl::GetFlag(FLAGS_signing_database)));
  } else if (operation == "sql_approve") {
    factory = SqlApprove(pool_for(absl::GetFlag(FLAGS_signing_database)), pool_for(absl::GetFlag(FLAGS_sync_database)),
                         load_queue());
  } else if (operation == "sql_pk") {
    factory = SqlPk(pool_for(absl::GetFlag(FLAGS_sync_database)));
  } else if (operation == "sql_aggregate") {
    factory = SqlAggregate(pool_for(absl::GetFlag(FLAGS_sync_database)));
  } else {
    std::fprintf(stderr, "unknown --operation '%s'; see bench/stack_bench.cc for the list\n", operation.c_str());
    return 2;
  }

  const int warmup = absl::GetFlag(FLAGS_warmup_requests);
  if (warmup > 0) {
    Outcome warm = RunRequests(factory, std::min(concurrency, warmup), warmup, absl::GetFlag(FLAGS_max_seconds));
    if (warm.errors > 0) {
      std::fprintf(stderr, "%s: warm-up request failed: %s\n", operation.c_str(), warm.first_error.c_str());
      return 1;
    }
  }
  // Reading the counters runs statements too: two reads in a row measure that cost, which is
  // then taken off the measured difference.
  auto idle = ReadCounters(**counters_pool);
  auto before = ReadCounters(**counters_pool);
  Outcome outcome =
      RunRequests(factory, concurrency, absl::GetFlag(FLAGS_requests), absl::GetFlag(FLAGS_max_seconds));
  auto after = ReadCounters(**counters_pool);
  if (!idle.ok() || !before.ok() || !after.ok()) {
    std::fprintf(stderr, "reading SHOW GLOBAL STATUS failed\n");
    return 1;
  }

  const size_t done = outcome.latencies_ms.size();
  const double per = done > 0 ? 1.0 / static_cast<double>(done) : 0;
  auto delta = [&](const std::string& name) {
    return static_cast<double>((after->status[name] - before->status[name]) -
                               (before->status[name] - idle->status[name]));
  };
  const double statements =
      static_cast<double>((after->statements - before->statements) - (before->statements - idle->statements));
  const double rows_examined = static_cast<double>((after->rows_examined - before->rows_examined) -
                                                   (before->rows_examined - idle->rows_examined));
  const std::string name = absl::GetFlag(FLAGS_name).empty() ? operation : absl::GetFlag(FLAGS_name);
  std::printf(
      "RESULT name=%s concurrency=%d requests=%zu errors=%d seconds=%.3f rps=%.1f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f "
      "statements=%.2f rows_examined=%.2f questions=%.2f handler_reads=%.2f log_fsyncs=%.3f data_fsyncs=%.3f "
      "log_writes=%.3f binlog_commits=%.3f binlog_group_commits=%.3f\n",
      name.c_str(), concurrency, done, outcome.errors, outcome.seconds,
      outcome.seconds > 0 ? static_cast<double>(done) / outcome.seconds : 0, Percentile(outcome.latencies_ms, 0.5),
      Percentile(outcome.latencies_ms, 0.95),
      Percentile(outcome.latencies_ms, 0.99), statements * per, rows_examined * per, delta("Questions") * per,
      (delta("Handler_read_next") + delta("Handler_read_prev") + delta("Handler_read_key") +
       delta("Handler_read_rnd_next") + delta("Handler_read_first") + delta("Handler_read_last")) *
          per,
      delta("Innodb_os_log_fsyncs") * per, delta("Innodb_data_fsyncs") * per, delta("Innodb_log_writes") * per,
      delta("Binlog_commits") * per, delta("Binlog_group_commits") * per);
  if (outcome.errors > 0) {
    std::fprintf(stderr, "%s: %d of %zu requests failed; the first: %s\n", name.c_str(), outcome.errors, done,
                 outcome.first_error.c_str());
    // A run in which some requests failed still measured the others; the RESULT line counts the
    // failures, and only a run with no success fails.
    if (static_cast<size_t>(outcome.errors) == done) return 1;
  }
  if (done == 0) {
    std::fprintf(stderr, "%s: no request finished within --max_seconds\n", name.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace quxiang::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("stack_bench: one load run of bench/run against a running stack on loopback");
  absl::ParseCommandLine(argc, argv);
  return quxiang::bench::Run();
}

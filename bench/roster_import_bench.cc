// roster_import_bench: the time of importing a graduate roster end to end, as a ratio to inserting
// the same rows with plain multi-row INSERTs in the same process.
//
// It runs four operations on the server that MYSQL_* names:
//   baseline    the rows inserted into an empty graduates table of sync's schema in a second
//               database (same columns and indexes), with multi-row INSERTs of up to 128 rows
//               and one transaction per --batch_rows rows
//   import      the file sent to the EMS simulator with EmsSimulatorControl.UploadRoster over gRPC
//               (parse, validate, store), then sync's roster feed run until it lists no more
//               changes, every row applied into sync's database
//   re-import   the same file uploaded again and the feed run again; the simulator finds every
//               row unchanged, so the feed gets no change and no row changes
//   re-apply    the feed's cursor set back to 0 and every change applied again; the fingerprint
//               guard must leave every row unchanged
// The four run --repetitions times, each time on fresh databases, and the table shows the fastest
// time of each with the slowest beside it, because other work on the machine only adds time.
// The roster file travels whole in one gRPC message, so the simulator's in-process server accepts
// messages up to the file's size plus 1 MiB (gRPC's default limit is 4 MiB).
//
// Exit status: 0 after a run whose checks passed, 1 when a step failed or a check did not hold,
// 77 when MYSQL_HOST is not set.
#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/import_stack.h"
#include "libs/db/db.h"
#include "libs/db/migrations.h"
#include "libs/roster/roster_reader.h"
#include "libs/roster/roster_validator.h"
#include "libs/status/status_macros.h"
#include "libs/testing/process.h"
#include "libs/testing/test_database.h"
#include "libs/validation/validation.h"
#include "services/sync/migrations.h"
#include "services/sync/roster_record.h"
#include "services/sync/sql_lists.h"
#include "spdlog/spdlog.h"
#include "tools/ems-simulator/roster_conversion.h"
#include "tools/ems-simulator/simulator.h"

ABSL_FLAG(int, rows, 30000, "Graduates in the roster that tools/demo/generate_roster.py writes; ignored with --roster_file.");
ABSL_FLAG(std::string, roster_file, "", "Roster file (CSV or XLSX, national layout) to import instead of a generated one.");
ABSL_FLAG(std::string, format, "csv-utf8", "Format of the generated roster: csv-utf8, csv-utf8-bom, csv-gb18030 or xlsx.");
ABSL_FLAG(std::string, school_code, "4111010001", "院校代码 of the roster's rows; the benchmark creates this school.");
ABSL_FLAG(int, class_year, 2022, "Graduating class the roster is uploaded as.");
ABSL_FLAG(int, page_size, 500, "Roster changes per ListRosterChanges call of sync's feed (1 to 1000).");
ABSL_FLAG(int, batch_rows, 500, "Rows per transaction of the baseline INSERTs.");
ABSL_FLAG(int, repetitions, 3, "Times every operation runs, each time on fresh databases; the table shows the fastest.");
ABSL_FLAG(int, top_statements, 0, "Prints the feed's N slowest kinds of statement (by their first characters) for each run.");

namespace quxiang::bench {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitSkipped = 77;

struct Roster {
  std::string file_name;
  std::string content;
  std::vector<ems::v1::RosterGraduate> graduates;
  int rows_read = 0;
  int invalid_rows = 0;
  absl::Duration parse_time;
};

struct Measurement {
  std::string operation;
  int64_t rows = 0;
  absl::Duration elapsed;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string SourceDir() {
  const char* dir = std::getenv("QUXIANG_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : QUXIANG_BENCH_SOURCE_DIR;
}

// Writes a roster of `rows` graduates with tools/demo/generate_roster.py into `folder`.
absl::StatusOr<std::string> GenerateRoster(const std::string& folder, int rows) {
  const std::string format = absl::GetFlag(FLAGS_format);
  const std::string path = absl::StrCat(folder, "/roster.", format == "xlsx" ? "xlsx" : "csv");
  testing::ChildProcess generator(
      QUXIANG_PYTHON3,
      {SourceDir() + "/tools/demo/generate_roster.py", absl::StrCat("--count=", rows), "--format=" + format,
       "--school-code=" + absl::GetFlag(FLAGS_school_code), absl::StrCat("--class-year=", absl::GetFlag(FLAGS_class_year)),
       "--seed=2022", "--output=" + path},
      {}, folder + "/generate_roster.log");
  std::optional<int> exit_status = generator.WaitExit(absl::Minutes(10));
  if (exit_status != 0) {
    return absl::InternalError(absl::StrCat("generate_roster.py failed (exit status ",
                                            exit_status ? std::to_string(*exit_status) : "none, timed out",
                                            "): ", generator.Log()));
  }
  return path;
}

// Reads and validates the roster in this process, as UploadRoster does, and keeps the valid rows
// in the form the EMS sends them.
absl::Status ParseRoster(Roster& roster) {
  absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<roster::RosterReader> reader,
                   roster::RosterReader::Open(roster.content, roster.file_name));
  roster::RosterValidator validator(absl::GetFlag(FLAGS_school_code), absl::GetFlag(FLAGS_class_year), absl::Now());
  roster::GraduateRecord record;
  int row = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool has_record, reader->Next(&record, &row));
    if (!has_record) break;
    ++roster.rows_read;
    if (!validator.Validate(record, row).empty()) {
      ++roster.invalid_rows;
      continue;
    }
    roster.graduates.push_back(ems_simulator::ToRosterGraduate(record));
  }
  roster.parse_time = absl::Now() - start;
  return absl::OkStatus();
}

// The values of one graduates row as sync's UpsertGraduates writes them, in `columns` order.
std::vector<db::Param> RowValues(const ems::v1::RosterGraduate& graduate, int64_t school_id, int64_t sequence,
                                 absl::Time now) {
  const std::string& school_code = absl::GetFlag(FLAGS_school_code);
  const int class_year = absl::GetFlag(FLAGS_class_year);
  ems::v1::RosterGraduate record = graduate;
  record.set_id_number(validation::NormalizeIdNumber(record.id_number()));
  if (record.school_code().empty()) record.set_school_code(school_code);

  std::vector<db::Param> values = {school_id, static_cast<int64_t>(class_year),
                                   ems_simulator::GraduateKey(school_code, record.id_number())};
  const google::protobuf::Reflection* reflection = record.GetReflection();
  for (const auto* field : sync::RosterRecordFields()) values.push_back(reflection->GetString(record, field));
  values.push_back(sync::RowFingerprint(record, class_year));
  values.push_back(int64_t{1});  // state ACTIVE
  values.push_back(sequence);
  values.push_back(int64_t{1});  // version
  values.push_back(now);
  values.push_back(now);
  return values;
}

// Inserts `graduates` into an empty graduates table of a second database with multi-row INSERTs
// of at most sync::kMaxStatementRows rows, one transaction per --batch_rows rows.
absl::StatusOr<Measurement> RunBaseline(const std::vector<ems::v1::RosterGraduate>& graduates, int64_t school_id) {
  std::optional<testing::TestDatabase> database = testing::TestDatabase::Create("bench_baseline");
  if (!database) return absl::NotFoundError("MYSQL_HOST is not set");
  ASSIGN_OR_RETURN(std::unique_ptr<db::Pool> pool, db::Pool::Create(database->options()));
  RETURN_IF_ERROR(db::ApplyMigrations(*pool, sync::Migrations()));

  std::vector<std::string> columns = {"school_id", "class_year", "graduate_key"};
  for (const auto* field : sync::RosterRecordFields()) columns.push_back(field->name());
  for (const char* column : {"fingerprint", "state", "roster_sequence", "version", "created_at", "updated_at"}) {
    columns.push_back(column);
  }
  const std::string insert = absl::StrCat("INSERT INTO graduates (", absl::StrJoin(columns, ", "), ") VALUES ");

  // The values are prepared before the clock starts: the baseline times the database only.
  const absl::Time now = absl::Now();
  std::vector<std::vector<db::Param>> rows;
  rows.reserve(graduates.size());
  for (size_t i = 0; i < graduates.size(); ++i) {
    rows.push_back(RowValues(graduates[i], school_id, static_cast<int64_t>(i + 1), now));
  }

  const size_t batch_rows = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_batch_rows)));
  absl::Time start = absl::Now();
  for (size_t batch_start = 0; batch_start < rows.size(); batch_start += batch_rows) {
    const size_t batch_end = std::min(rows.size(), batch_start + batch_rows);
    RETURN_IF_ERROR(pool->Transaction(absl::Now() + absl::Minutes(1), [&](db::Session& s) -> absl::Status {
      size_t next = batch_start;
      for (size_t chunk : sync::PowerOfTwoChunks(batch_end - batch_start)) {
        std::vector<db::Param> params;
        params.reserve(chunk * columns.size());
        for (size_t i = next; i < next + chunk; ++i) params.insert(params.end(), rows[i].begin(), rows[i].end());
        RETURN_IF_ERROR(
            s.Execute(absl::StrCat(insert, sync::RowPlaceholders(chunk, columns.size())), params).status());
        next += chunk;
      }
      return absl::OkStatus();
    }));
  }
  absl::Duration elapsed = absl::Now() - start;

  ASSIGN_OR_RETURN(int64_t stored, pool->Read<int64_t>(absl::Now() + absl::Minutes(1),
                                                        [](db::Session& s) -> absl::StatusOr<int64_t> {
                                                          ASSIGN_OR_RETURN(auto row,
                                                                           s.QueryOne("SELECT COUNT(*) FROM graduates"));
                                                          return row ? row->Int64(0) : 0;
                                                        }));
  if (stored != static_cast<int64_t>(graduates.size())) {
    return absl::InternalError(absl::StrCat("the baseline stored ", stored, " rows, expected ", graduates.size()));
  }
  return Measurement{"multi-row INSERT (baseline)", stored, elapsed};
}

double Seconds(absl::Duration duration) { return absl::ToDoubleSeconds(duration); }

// Prints where the feed's time went since the timers were last reset.
void PrintFeedProfile(const std::string& operation, ImportStack& stack, absl::Duration feed_time) {
  CallTimes list = stack.timed_ems().list_calls();
  CallTimes statements = stack.timed_pool().statements();
  CallTimes transactions = stack.timed_pool().transaction_overhead();
  absl::Duration rest = feed_time - list.total - statements.total - transactions.total;
  std::printf("  %s, sync roster feed: %.2f s\n", operation.c_str(), Seconds(feed_time));
  std::printf("    ListRosterChanges over gRPC: %lld calls, %.1f MB, %.2f s\n", static_cast<long long>(list.calls),
              static_cast<double>(stack.timed_ems().list_bytes()) / 1e6, Seconds(list.total));
  std::printf("    SQL statements: %lld, %.2f s\n", static_cast<long long>(statements.calls), Seconds(statements.total));
  std::printf("    transactions (connection, BEGIN, COMMIT): %lld, %.2f s\n", static_cast<long long>(transactions.calls),
              Seconds(transactions.total));
  std::printf("    the rest (feed code in C++, accounts lookup): %.2f s\n", Seconds(rest));
  const auto by_text = stack.timed_pool().StatementsByText();
  const size_t shown = std::min(by_text.size(), static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_top_statements))));
  for (size_t i = 0; i < shown; ++i) {
    std::printf("      %6.2f s %5lld x  %s\n", Seconds(by_text[i].second.total),
                static_cast<long long>(by_text[i].second.calls), by_text[i].first.c_str());
  }
  stack.timed_ems().ResetTimes();
  stack.timed_pool().ResetTimes();
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "unknown";
}

absl::Status PrintEnvironment(db::Pool& pool) {
  struct sysinfo info {};
  sysinfo(&info);
  const double memory_gib = static_cast<double>(info.totalram) * info.mem_unit / (1024.0 * 1024 * 1024);
  std::printf("machine: %u cores (hardware threads), %.1f GiB memory, %s\n", std::thread::hardware_concurrency(),
              memory_gib, CpuModel().c_str());
  return pool.Run(absl::Now() + absl::Minutes(1), [](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto row, s.QueryOne("SELECT VERSION(), @@innodb_flush_log_at_trx_commit, "
                                          "@@innodb_buffer_pool_size, @@sync_binlog, @@log_bin"));
    if (!row) return absl::InternalError("the server settings query returned no row");
    std::printf("database: %s, innodb_flush_log_at_trx_commit=%s, innodb_buffer_pool_size=%lld MiB, "
                "sync_binlog=%s, log_bin=%s\n",
                row->String(0).c_str(), row->String(1).c_str(), static_cast<long long>(row->Int64(2) >> 20),
                row->String(3).c_str(), row->String(4).c_str());
    return absl::OkStatus();
  });
}

void PrintTable(const std::vector<Measurement>& best, const std::vector<Measurement>& slowest, int repetitions) {
  std::printf("\nfastest of %d repetitions; ratio = seconds / seconds of the baseline\n", repetitions);
  std::printf("%-46s %8s %9s %9s %8s %12s\n", "operation", "rows", "seconds", "rows/s", "ratio", "slowest (s)");
  const double baseline_seconds = Seconds(best[0].elapsed);
  for (size_t i = 0; i < best.size(); ++i) {
    const Measurement& m = best[i];
    const double seconds = Seconds(m.elapsed);
    std::printf("%-46s %8lld %9.2f %9.0f %7.2fx %12.2f\n", m.operation.c_str(), static_cast<long long>(m.rows),
                seconds, seconds > 0 ? static_cast<double>(m.rows) / seconds : 0.0, seconds / baseline_seconds,
                Seconds(slowest[i].elapsed));
  }
}

// Checks `condition`; on failure prints `message` and returns false.
bool Check(bool condition, const std::string& message) {
  if (!condition) std::fprintf(stderr, "check failed: %s\n", message.c_str());
  return condition;
}

// Runs every operation once on fresh databases and appends the measurements in table order:
// baseline, import, re-import, re-apply. Returns the exit status: 0, or kExitFailed or
// kExitSkipped after printing why.
int RunOnce(const Roster& roster, int repetition, std::vector<Measurement>* measurements) {
  const int64_t valid_rows = static_cast<int64_t>(roster.graduates.size());
  ImportStackOptions options;
  options.max_receive_message_bytes = static_cast<int>(std::max<size_t>(4 << 20, roster.content.size() + (1 << 20)));
  options.page_size = absl::GetFlag(FLAGS_page_size);
  absl::StatusOr<std::unique_ptr<ImportStack>> started = ImportStack::Start(options);
  if (absl::IsNotFound(started.status())) {
    std::printf("skipped: %s\n", std::string(started.status().message()).c_str());
    return kExitSkipped;
  }
  if (!started.ok()) {
    std::fprintf(stderr, "starting the services failed: %s\n", started.status().ToString().c_str());
    return kExitFailed;
  }
  ImportStack& stack = **started;
  absl::StatusOr<int64_t> school_id = stack.CreateSchool(absl::GetFlag(FLAGS_school_code), "京华大学");
  if (!school_id.ok()) {
    std::fprintf(stderr, "creating the school failed: %s\n", school_id.status().ToString().c_str());
    return kExitFailed;
  }

  if (repetition == 1) {
    absl::Status environment = PrintEnvironment(stack.sync_pool());
    if (!environment.ok()) {
      std::fprintf(stderr, "reading the server settings failed: %s\n", environment.ToString().c_str());
      return kExitFailed;
    }
  }
  std::printf("\nprofile of repetition %d:\n", repetition);

  // The baseline runs first, on its own database.
  absl::StatusOr<Measurement> baseline = RunBaseline(roster.graduates, *school_id);
  if (!baseline.ok()) {
    std::fprintf(stderr, "the baseline failed: %s\n", baseline.status().ToString().c_str());
    return kExitFailed;
  }
  measurements->push_back(*baseline);
  bool passed = true;

  // The end-to-end import.
  absl::Time start = absl::Now();
  absl::StatusOr<ems::v1::UploadRosterResponse> upload =
      stack.UploadRoster(absl::GetFlag(FLAGS_school_code), absl::GetFlag(FLAGS_class_year), roster.file_name,
                         roster.content);
  absl::Time uploaded = absl::Now();
  if (!upload.ok()) {
    std::fprintf(stderr, "the upload failed: %s\n", upload.status().ToString().c_str());
    return kExitFailed;
  }
  absl::StatusOr<sync::RosterCounts> imported = stack.RunFeedUntilIdle();
  absl::Time applied = absl::Now();
  if (!imported.ok()) {
    std::fprintf(stderr, "the roster feed failed: %s\n", imported.status().ToString().c_str());
    return kExitFailed;
  }
  absl::StatusOr<int64_t> stored = stack.CountGraduates();
  passed &= Check(stored.ok() && *stored == valid_rows,
                  absl::StrCat("sync holds ", stored.ok() ? absl::StrCat(*stored) : stored.status().ToString(),
                               " graduates after the import, expected ", valid_rows));
  passed &= Check(upload->inserted() == valid_rows,
                  absl::StrCat("the simulator inserted ", upload->inserted(), " graduates, expected ", valid_rows));
  passed &= Check(imported->inserted == valid_rows,
                  absl::StrCat("the feed inserted ", imported->inserted, ", expected ", valid_rows));
  measurements->push_back({"import: upload, parse, validate, feed, apply", valid_rows, applied - start});
  std::printf("  import, UploadRoster over gRPC (%.1f MB message; parse, validate, store): %.2f s\n",
              static_cast<double>(roster.content.size()) / 1e6, Seconds(uploaded - start));
  PrintFeedProfile("import", stack, applied - uploaded);

  // The same file again, which must change nothing.
  start = absl::Now();
  absl::StatusOr<ems::v1::UploadRosterResponse> reupload =
      stack.UploadRoster(absl::GetFlag(FLAGS_school_code), absl::GetFlag(FLAGS_class_year), roster.file_name,
                         roster.content);
  uploaded = absl::Now();
  absl::StatusOr<sync::RosterCounts> reimported =
      reupload.ok() ? stack.RunFeedUntilIdle() : absl::StatusOr<sync::RosterCounts>(reupload.status());
  applied = absl::Now();
  if (!reimported.ok()) {
    std::fprintf(stderr, "the re-import failed: %s\n", reimported.status().ToString().c_str());
    return kExitFailed;
  }
  absl::StatusOr<int64_t> changed = stack.CountGraduatesUpdatedSince(start);
  passed &= Check(reupload->unchanged() == valid_rows,
                  absl::StrCat("the simulator found ", reupload->unchanged(), " rows unchanged, expected ", valid_rows));
  passed &= Check(reimported->applied() == 0,
                  absl::StrCat("the feed applied ", reimported->applied(), " changes of the re-import, expected 0"));
  passed &= Check(changed.ok() && *changed == 0, absl::StrCat("the re-import changed ",
                                                              changed.ok() ? absl::StrCat(*changed) : "?", " rows"));
  measurements->push_back(
      {absl::StrCat("re-import of the same file (", changed.ok() ? *changed : -1, " rows changed)"), valid_rows,
       applied - start});
  std::printf("  re-import, UploadRoster over gRPC: %.2f s\n", Seconds(uploaded - start));
  PrintFeedProfile("re-import", stack, applied - uploaded);

  // Every change read and applied again, with an unchanged fingerprint each.
  absl::Status rewound = stack.RewindFeedCursor();
  if (!rewound.ok()) {
    std::fprintf(stderr, "rewinding the feed failed: %s\n", rewound.ToString().c_str());
    return kExitFailed;
  }
  start = absl::Now();
  absl::StatusOr<sync::RosterCounts> reapplied = stack.RunFeedUntilIdle();
  applied = absl::Now();
  if (!reapplied.ok()) {
    std::fprintf(stderr, "re-applying the changes failed: %s\n", reapplied.status().ToString().c_str());
    return kExitFailed;
  }
  changed = stack.CountGraduatesUpdatedSince(start);
  passed &= Check(reapplied->unchanged == valid_rows,
                  absl::StrCat("the feed found ", reapplied->unchanged, " changes unchanged, expected ", valid_rows));
  passed &= Check(changed.ok() && *changed == 0, absl::StrCat("re-applying the changes changed ",
                                                              changed.ok() ? absl::StrCat(*changed) : "?", " rows"));
  measurements->push_back(
      {absl::StrCat("feed re-applies every change (", changed.ok() ? *changed : -1, " rows changed)"), valid_rows,
       applied - start});
  PrintFeedProfile("re-apply", stack, applied - start);
  return passed ? 0 : kExitFailed;
}

int Run() {
  const std::string folder = testing::MakeTempDir("qx-roster-bench");
  struct RemoveFolder {
    std::string path;
    ~RemoveFolder() { std::filesystem::remove_all(path); }
  } remove_folder{folder};

  Roster roster;
  std::string path = absl::GetFlag(FLAGS_roster_file);
  if (path.empty()) {
    if (absl::GetFlag(FLAGS_rows) < 1) {
      std::fprintf(stderr, "--rows must be at least 1, got %d\n", absl::GetFlag(FLAGS_rows));
      return kExitFailed;
    }
    absl::StatusOr<std::string> generated = GenerateRoster(folder, absl::GetFlag(FLAGS_rows));
    if (!generated.ok()) {
      std::fprintf(stderr, "generating the roster failed: %s\n", generated.status().ToString().c_str());
      return kExitFailed;
    }
    path = *generated;
  }
  roster.file_name = std::filesystem::path(path).filename().string();
  roster.content = ReadFile(path);
  if (roster.content.empty()) {
    std::fprintf(stderr, "the roster file %s is missing or empty\n", path.c_str());
    return kExitFailed;
  }
  absl::Status parsed = ParseRoster(roster);
  if (!parsed.ok()) {
    std::fprintf(stderr, "reading the roster %s failed: %s\n", path.c_str(), parsed.ToString().c_str());
    return kExitFailed;
  }
  const int64_t valid_rows = static_cast<int64_t>(roster.graduates.size());
  if (valid_rows == 0) {
    std::fprintf(stderr, "the roster %s has no valid row (%d rows read)\n", path.c_str(), roster.rows_read);
    return kExitFailed;
  }

  std::printf("roster: %s, %.1f MB, %d rows read, %lld valid, %d invalid\n", roster.file_name.c_str(),
              static_cast<double>(roster.content.size()) / 1e6, roster.rows_read, static_cast<long long>(valid_rows),
              roster.invalid_rows);
  std::printf("roster read and validated in this process (no gRPC, before the runs): %.2f s\n",
              Seconds(roster.parse_time));

  const int repetitions = std::max(1, absl::GetFlag(FLAGS_repetitions));
  std::vector<std::vector<Measurement>> runs;
  for (int repetition = 1; repetition <= repetitions; ++repetition) {
    std::vector<Measurement> measurements;
    int status = RunOnce(roster, repetition, &measurements);
    if (status != 0) return status;
    runs.push_back(std::move(measurements));
  }

  // The fastest of the repetitions is the one least disturbed by other work on the machine.
  std::vector<Measurement> best = runs[0];
  std::vector<Measurement> slowest = runs[0];
  for (const auto& run : runs) {
    for (size_t i = 0; i < run.size(); ++i) {
      best[i].elapsed = std::min(best[i].elapsed, run[i].elapsed);
      slowest[i].elapsed = std::max(slowest[i].elapsed, run[i].elapsed);
    }
  }
  PrintTable(best, slowest, repetitions);
  std::printf("\nratio end-to-end import / multi-row INSERT baseline: %.2f\n",
              Seconds(best[1].elapsed) / Seconds(best[0].elapsed));
  return 0;
}

}  // namespace
}  // namespace quxiang::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "roster_import_bench: imports a graduate roster through the EMS simulator and sync's roster feed and prints "
      "its time as a ratio to multi-row INSERTs of the same rows");
  absl::ParseCommandLine(argc, argv);
  // The feed logs every page at info; the table is the output.
  spdlog::set_level(spdlog::level::warn);
  return quxiang::bench::Run();
}

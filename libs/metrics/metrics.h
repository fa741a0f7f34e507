// Process metrics in the Prometheus text exposition format 0.0.4.
//
// A Registry contains metric families by name. A family has fixed label names, and each distinct
// tuple of label values gets its own counter, gauge or histogram, created on first use and kept
// for the life of the process, so label values must come from a small fixed set (method names,
// status codes, reasons), never from user input. Callback families compute their samples when
// /metrics is scraped, for values that another component owns (connection pool sizes, the
// outbox backlog).
//
// Registration errors (an invalid name, the same name with another type or other labels, a
// label value count that does not match the label names) are bugs of the caller and throw
// std::invalid_argument.
//
// Example:
//   auto& handled = metrics::Registry::Default().GetOrAddCounter(
//       "grpc_server_handled_total", "RPCs completed by the server.", {"grpc_method", "grpc_code"});
//   handled.WithLabels({"Login", "OK"}).Increment();
#ifndef QUXIANG_LIBS_METRICS_METRICS_H_
#define QUXIANG_LIBS_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace quxiang::metrics {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

enum class MetricType { kCounter, kGauge, kHistogram };

// A double updated without a lock.
class AtomicDouble {
 public:
  void Add(double amount);
  void Set(double value) { bits_.store(ToBits(value), std::memory_order_relaxed); }
  double Get() const { return FromBits(bits_.load(std::memory_order_relaxed)); }

 private:
  static uint64_t ToBits(double value);
  static double FromBits(uint64_t bits);
  std::atomic<uint64_t> bits_{0};
};

// A value that only goes up (from 0 at process start).
class Counter {
 public:
  // Adds `amount`; a negative amount throws std::invalid_argument.
  void Increment(double amount = 1);
  double Value() const { return value_.Get(); }

 private:
  AtomicDouble value_;
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.Set(value); }
  void Add(double amount) { value_.Add(amount); }
  double Value() const { return value_.Get(); }

 private:
  AtomicDouble value_;
};

// Observations counted in buckets by upper bound, with their sum and count.
class Histogram {
 public:
  // `upper_bounds` strictly increasing and finite; the +Inf bucket is implicit.
  explicit Histogram(const std::vector<double>& upper_bounds);

  void Observe(double value);

  struct Snapshot {
    // Cumulative counts per bound of upper_bounds, then the +Inf bucket (equal to count).
    std::vector<uint64_t> cumulative_counts;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Collect() const;

 private:
  const std::vector<double> upper_bounds_;
  // Per bucket (not cumulative); the last element is the +Inf bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  AtomicDouble sum_;
};

// Bounds in seconds suited to request latencies from 1 ms to 10 s.
const std::vector<double>& DefaultLatencyBuckets();

// The metrics of one name, one per tuple of label values.
template <typename Metric>
class Family {
 public:
  // The metric for `values`, created on first use. The reference stays valid for the life of
  // the registry.
  Metric& WithLabels(const LabelValues& values);

 private:
  friend class Registry;
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
};

// One sample that a callback family returns at scrape time.
struct Sample {
  LabelValues labels;
  double value = 0;
};
using SampleCallback = std::function<std::vector<Sample>()>;

// Keeps a callback registered. The destructor removes it and waits for a scrape that is running
// it, so the callback may refer to objects that live only as long as this registration.
class CallbackRegistration {
 public:
  CallbackRegistration() = default;
  CallbackRegistration(CallbackRegistration&& other) noexcept;
  CallbackRegistration& operator=(CallbackRegistration&& other) noexcept;
  ~CallbackRegistration();

 private:
  friend class Registry;
  struct CallbackFamily;
  CallbackRegistration(std::shared_ptr<CallbackFamily> family, uint64_t id)
      : family_(std::move(family)), id_(id) {}
  void Reset();

  std::shared_ptr<CallbackFamily> family_;
  uint64_t id_ = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The registry that the process's /metrics endpoint serves.
  static Registry& Default();

  // Each returns the family named `name`, adding it when missing. Asking again with the same
  // type, label names (and bucket bounds) returns the same family.
  Family<Counter>& GetOrAddCounter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& label_names = {});
  Family<Gauge>& GetOrAddGauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& label_names = {});
  Family<Histogram>& GetOrAddHistogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& label_names,
                                       const std::vector<double>& upper_bounds);

  // Adds `callback` to the counter or gauge family `name`, whose samples are the union of what
  // its callbacks return when /metrics is scraped. The callback runs on the scraping thread and
  // should return within a few seconds; a sample whose label count is wrong is dropped.
  [[nodiscard]] CallbackRegistration AddCallback(MetricType type, const std::string& name,
                                                 const std::string& help,
                                                 const std::vector<std::string>& label_names,
                                                 SampleCallback callback);

  // Every family with at least one sample, by name, in the text format 0.0.4: HELP and TYPE
  // lines, then one line per sample.
  std::string Render() const;

 private:
  struct Entry;
  Entry& FindOrAdd(const std::string& name, const std::string& help, MetricType type,
                   bool is_callback, const std::vector<std::string>& label_names,
                   const std::vector<double>& upper_bounds);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

// Text-format helpers, exposed for tests.
// A sample value: the shortest decimal that reads back as `value`, or +Inf, -Inf, NaN.
std::string FormatValue(double value);
// Escapes backslash, double quote and line feed in a label value.
std::string EscapeLabelValue(const std::string& value);
// Escapes backslash and line feed in HELP text.
std::string EscapeHelp(const std::string& help);

}  // namespace quxiang::metrics

#endif  // QUXIANG_LIBS_METRICS_METRICS_H_

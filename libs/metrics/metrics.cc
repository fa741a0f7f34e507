#include "libs/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace quxiang::metrics {
namespace {

bool IsMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// Label names starting with "__" are reserved for Prometheus itself.
bool IsLabelName(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void CheckLabelNames(const std::string& metric, const std::vector<std::string>& label_names,
                     MetricType type) {
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsLabelName(label)) {
      throw std::invalid_argument("metric " + metric + ": invalid label name \"" + label + "\"");
    }
    if (type == MetricType::kHistogram && label == "le") {
      throw std::invalid_argument("histogram " + metric + ": the label name \"le\" is reserved");
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      throw std::invalid_argument("metric " + metric + ": label \"" + label + "\" named twice");
    }
  }
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Appends `name{label="value",...}`; `extra_name`/`extra_value` is one more label (the
// histogram's "le") when `extra_name` is not empty.
void AppendSeries(std::string& out, const std::string& name,
                  const std::vector<std::string>& label_names, const LabelValues& values,
                  const char* extra_name = "", const std::string& extra_value = "") {
  out += name;
  bool has_extra = extra_name[0] != '\0';
  if (label_names.empty() && !has_extra) return;
  out += '{';
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (has_extra) {
    if (!label_names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, const std::string& name,
                  const std::vector<std::string>& label_names, const LabelValues& values,
                  double value) {
  AppendSeries(out, name, label_names, values);
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  MetricType type) {
  out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  out += "# TYPE " + name + " " + TypeName(type) + "\n";
}

void CheckLabelCount(const std::vector<std::string>& label_names, const LabelValues& values) {
  if (values.size() != label_names.size()) {
    throw std::invalid_argument("expected " + std::to_string(label_names.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
}

}  // namespace

// ---- values ----

uint64_t AtomicDouble::ToBits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

double AtomicDouble::FromBits(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

void AtomicDouble::Add(double amount) {
  uint64_t expected = bits_.load(std::memory_order_relaxed);
  while (!bits_.compare_exchange_weak(expected, ToBits(FromBits(expected) + amount),
                                      std::memory_order_relaxed)) {
  }
}

void Counter::Increment(double amount) {
  if (!(amount >= 0)) throw std::invalid_argument("a counter cannot decrease");
  value_.Add(amount);
}

Histogram::Histogram(const std::vector<double>& upper_bounds)
    : upper_bounds_(upper_bounds),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::Observe(double value) {
  // A value equal to a bound belongs to that bound's bucket ("le" is less than or equal).
  size_t bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
                  upper_bounds_.begin();
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.Add(value);
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot snapshot;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(cumulative);
  }
  // The count is taken from the buckets so that it always equals the +Inf bucket, even while
  // other threads observe.
  snapshot.count = cumulative;
  snapshot.sum = sum_.Get();
  return snapshot;
}

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,   0.25,   0.5,   1,    2.5,   5,   10};
  return buckets;
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(const LabelValues& values) {
  CheckLabelCount(label_names_, values);
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<Metric>& child = children_[values];
  if (child == nullptr) child = make_();
  return *child;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- callbacks ----

struct CallbackRegistration::CallbackFamily {
  std::vector<std::string> label_names;
  // Held while callbacks run and while one is removed, so removal waits for a running scrape.
  std::mutex mutex;
  std::map<uint64_t, SampleCallback> callbacks;
  uint64_t next_id = 1;

  std::vector<Sample> Collect() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Sample> samples;
    for (auto& [id, callback] : callbacks) {
      for (Sample& sample : callback()) {
        if (sample.labels.size() == label_names.size()) samples.push_back(std::move(sample));
      }
    }
    std::sort(samples.begin(), samples.end(),
              [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
    return samples;
  }
};

CallbackRegistration::CallbackRegistration(CallbackRegistration&& other) noexcept
    : family_(std::move(other.family_)), id_(other.id_) {
  other.family_.reset();
}

CallbackRegistration& CallbackRegistration::operator=(CallbackRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    family_ = std::move(other.family_);
    id_ = other.id_;
    other.family_.reset();
  }
  return *this;
}

CallbackRegistration::~CallbackRegistration() { Reset(); }

void CallbackRegistration::Reset() {
  if (family_ == nullptr) return;
  std::lock_guard<std::mutex> lock(family_->mutex);
  family_->callbacks.erase(id_);
  family_.reset();
}

// ---- registry ----

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  bool is_callback = false;
  std::vector<std::string> label_names;
  std::vector<double> upper_bounds;

  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::shared_ptr<CallbackRegistration::CallbackFamily> callbacks;

  void Render(std::string& out) const;
};

void Registry::Entry::Render(std::string& out) const {
  std::string body;
  if (callbacks != nullptr) {
    for (const Sample& sample : callbacks->Collect()) {
      AppendSample(body, name, label_names, sample.labels, sample.value);
    }
  } else if (counters != nullptr) {
    std::lock_guard<std::mutex> lock(counters->mutex_);
    for (const auto& [values, counter] : counters->children_) {
      AppendSample(body, name, label_names, values, counter->Value());
    }
  } else if (gauges != nullptr) {
    std::lock_guard<std::mutex> lock(gauges->mutex_);
    for (const auto& [values, gauge] : gauges->children_) {
      AppendSample(body, name, label_names, values, gauge->Value());
    }
  } else if (histograms != nullptr) {
    std::lock_guard<std::mutex> lock(histograms->mutex_);
    for (const auto& [values, histogram] : histograms->children_) {
      Histogram::Snapshot snapshot = histogram->Collect();
      for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
        std::string bound = i < upper_bounds.size() ? FormatValue(upper_bounds[i]) : "+Inf";
        AppendSeries(body, name + "_bucket", label_names, values, "le", bound);
        body += ' ' + std::to_string(snapshot.cumulative_counts[i]) + '\n';
      }
      AppendSample(body, name + "_sum", label_names, values, snapshot.sum);
      AppendSeries(body, name + "_count", label_names, values);
      body += ' ' + std::to_string(snapshot.count) + '\n';
    }
  }
  if (body.empty()) return;
  AppendHeader(out, name, help, type);
  out += body;
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry& Registry::Default() {
  static Registry* registry = new Registry();
  return *registry;
}

Registry::Entry& Registry::FindOrAdd(const std::string& name, const std::string& help,
                                     MetricType type, bool is_callback,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& upper_bounds) {
  if (!IsMetricName(name)) throw std::invalid_argument("invalid metric name \"" + name + "\"");
  CheckLabelNames(name, label_names, type);

  std::lock_guard<std::mutex> lock(mutex_);
  auto found = entries_.find(name);
  if (found != entries_.end()) {
    const Entry& existing = *found->second;
    if (existing.type != type || existing.is_callback != is_callback ||
        existing.label_names != label_names || existing.upper_bounds != upper_bounds) {
      throw std::invalid_argument("metric " + name +
                                  " is already registered with another type, labels or buckets");
    }
    return *found->second;
  }

  auto entry = std::make_shared<Entry>();
  entry->name = name;
  entry->help = help;
  entry->type = type;
  entry->is_callback = is_callback;
  entry->label_names = label_names;
  entry->upper_bounds = upper_bounds;
  if (is_callback) {
    entry->callbacks = std::make_shared<CallbackRegistration::CallbackFamily>();
    entry->callbacks->label_names = label_names;
  } else if (type == MetricType::kCounter) {
    entry->counters.reset(
        new Family<Counter>(label_names, [] { return std::make_unique<Counter>(); }));
  } else if (type == MetricType::kGauge) {
    entry->gauges.reset(new Family<Gauge>(label_names, [] { return std::make_unique<Gauge>(); }));
  } else {
    entry->histograms.reset(new Family<Histogram>(
        label_names, [upper_bounds] { return std::make_unique<Histogram>(upper_bounds); }));
  }
  return *entries_.emplace(name, std::move(entry)).first->second;
}

Family<Counter>& Registry::GetOrAddCounter(const std::string& name, const std::string& help,
                                           const std::vector<std::string>& label_names) {
  return *FindOrAdd(name, help, MetricType::kCounter, false, label_names, {}).counters;
}

Family<Gauge>& Registry::GetOrAddGauge(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& label_names) {
  return *FindOrAdd(name, help, MetricType::kGauge, false, label_names, {}).gauges;
}

Family<Histogram>& Registry::GetOrAddHistogram(const std::string& name, const std::string& help,
                                               const std::vector<std::string>& label_names,
                                               const std::vector<double>& upper_bounds) {
  if (upper_bounds.empty()) {
    throw std::invalid_argument("histogram " + name + " needs at least one bucket bound");
  }
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
      throw std::invalid_argument("histogram " + name +
                                  ": bucket bounds must be finite and strictly increasing");
    }
  }
  return *FindOrAdd(name, help, MetricType::kHistogram, false, label_names, upper_bounds)
              .histograms;
}

CallbackRegistration Registry::AddCallback(MetricType type, const std::string& name,
                                           const std::string& help,
                                           const std::vector<std::string>& label_names,
                                           SampleCallback callback) {
  if (type == MetricType::kHistogram) {
    throw std::invalid_argument("metric " + name + ": callbacks give counters or gauges only");
  }
  std::shared_ptr<CallbackRegistration::CallbackFamily> family =
      FindOrAdd(name, help, type, true, label_names, {}).callbacks;
  std::lock_guard<std::mutex> lock(family->mutex);
  uint64_t id = family->next_id++;
  family->callbacks.emplace(id, std::move(callback));
  return CallbackRegistration(family, id);
}

std::string Registry::Render() const {
  // The entries are copied first so that slow callbacks do not hold the registry's lock, which
  // request threads take to find their families.
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : entries_) entries.push_back(entry);
  }
  std::string out;
  for (const auto& entry : entries) entry->Render(out);
  return out;
}

// ---- text format ----

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc()) return "NaN";
  return std::string(buffer, end);
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace quxiang::metrics

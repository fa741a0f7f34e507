#include "libs/metrics/metrics.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/process.h"

namespace quxiang::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `promtool check metrics` on `text`; returns its exit status and output.
std::pair<int, std::string> PromtoolCheck(const std::string& text) {
  std::string folder = quxiang::testing::MakeTempDir("qx-metrics");
  std::string input = folder + "/metrics.txt";
  std::ofstream(input) << text;
  std::string command = std::string(QUXIANG_PROMTOOL) + " check metrics <" + input + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (pipe != nullptr && fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  int status = pipe == nullptr ? -1 : pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(Registry, RendersCounterWithHelpAndType) {
  Registry registry;
  auto& calls = registry.GetOrAddCounter("calls_total", "Calls handled.", {"method", "code"});
  calls.WithLabels({"Login", "OK"}).Increment();
  calls.WithLabels({"Login", "OK"}).Increment(2);
  calls.WithLabels({"Logout", "UNAUTHENTICATED"}).Increment();

  EXPECT_EQ(registry.Render(),
            "# HELP calls_total Calls handled.\n"
            "# TYPE calls_total counter\n"
            "calls_total{method=\"Login\",code=\"OK\"} 3\n"
            "calls_total{method=\"Logout\",code=\"UNAUTHENTICATED\"} 1\n");
}

TEST(Registry, RendersGaugeWithoutLabels) {
  Registry registry;
  auto& gauge = registry.GetOrAddGauge("temperature_celsius", "Temperature.").WithLabels({});
  gauge.Set(21.5);
  gauge.Add(-1.25);
  EXPECT_EQ(registry.Render(),
            "# HELP temperature_celsius Temperature.\n"
            "# TYPE temperature_celsius gauge\n"
            "temperature_celsius 20.25\n");
}

TEST(Registry, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& latency = registry.GetOrAddHistogram("latency_seconds", "Latency.", {"route"}, {0.125, 1});
  auto& login = latency.WithLabels({"login"});
  login.Observe(0.0625);
  login.Observe(0.125);  // equal to a bound: counted in that bound's bucket
  login.Observe(0.5);
  login.Observe(7);

  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"login\",le=\"0.125\"} 2\n"
            "latency_seconds_bucket{route=\"login\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"login\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"login\"} 7.6875\n"
            "latency_seconds_count{route=\"login\"} 4\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.GetOrAddCounter("odd_total", "Back\\slash and\nnew line.", {"value"})
      .WithLabels({"quote \" back \\ line \n end"})
      .Increment();
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# HELP odd_total Back\\\\slash and\\nnew line.\n"));
  EXPECT_THAT(text, HasSubstr("odd_total{value=\"quote \\\" back \\\\ line \\n end\"} 1\n"));
}

TEST(Registry, FamiliesWithoutSamplesAreLeftOut) {
  Registry registry;
  registry.GetOrAddCounter("unused_total", "Never incremented.", {"reason"});
  EXPECT_EQ(registry.Render(), "");
}

TEST(Registry, SameRegistrationReturnsSameFamily) {
  Registry registry;
  auto& first = registry.GetOrAddCounter("events_total", "Events.", {"kind"});
  auto& second = registry.GetOrAddCounter("events_total", "Events.", {"kind"});
  EXPECT_EQ(&first, &second);
  first.WithLabels({"a"}).Increment();
  EXPECT_EQ(second.WithLabels({"a"}).Value(), 1);
}

TEST(Registry, RejectsInvalidRegistrations) {
  Registry registry;
  registry.GetOrAddCounter("taken_total", "Taken.", {"kind"});

  EXPECT_THROW(registry.GetOrAddGauge("taken_total", "Taken.", {"kind"}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("taken_total", "Taken.", {"other"}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("1starts_with_digit", "x"), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("", "x"), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("ok_total", "x", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddCounter("ok_total", "x", {"twice", "twice"}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddHistogram("h_seconds", "x", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddHistogram("h_seconds", "x", {}, {}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddHistogram("h_seconds", "x", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddHistogram("h_seconds", "x", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.GetOrAddHistogram("h_seconds", "x", {}, {1, INFINITY}),
               std::invalid_argument);
  EXPECT_THROW((void)registry.AddCallback(MetricType::kHistogram, "cb", "x", {}, nullptr),
               std::invalid_argument);
}

TEST(Registry, RejectsWrongLabelCount) {
  Registry registry;
  auto& family = registry.GetOrAddCounter("pairs_total", "Pairs.", {"a", "b"});
  EXPECT_THROW(family.WithLabels({"only one"}), std::invalid_argument);
  EXPECT_THROW(family.WithLabels({"one", "two", "three"}), std::invalid_argument);
}

TEST(Counter, RejectsDecrease) {
  Counter counter;
  EXPECT_THROW(counter.Increment(-1), std::invalid_argument);
  EXPECT_THROW(counter.Increment(NAN), std::invalid_argument);
  EXPECT_EQ(counter.Value(), 0);
}

TEST(Registry, CallbackSamplesAtRenderTime) {
  Registry registry;
  double value = 1;
  {
    CallbackRegistration registration = registry.AddCallback(
        MetricType::kGauge, "pool_open_connections", "Open connections.", {"service"},
        [&value]() -> std::vector<Sample> {
          return {{{"accounts"}, value}, {{"wrong", "label count"}, 99}};
        });
    EXPECT_THAT(registry.Render(), HasSubstr("pool_open_connections{service=\"accounts\"} 1\n"));
    value = 4;
    std::string text = registry.Render();
    EXPECT_THAT(text, HasSubstr("pool_open_connections{service=\"accounts\"} 4\n"));
    EXPECT_THAT(text, Not(HasSubstr("99")));
  }
  // The registration is gone, so the callback, which refers to `value`, no longer runs.
  EXPECT_EQ(registry.Render(), "");
}

TEST(Registry, MovedRegistrationStaysRegistered) {
  Registry registry;
  CallbackRegistration kept;
  {
    CallbackRegistration first = registry.AddCallback(
        MetricType::kCounter, "moved_total", "Moved.", {},
        []() -> std::vector<Sample> { return {{{}, 5}}; });
    kept = std::move(first);
  }
  EXPECT_THAT(registry.Render(), HasSubstr("# TYPE moved_total counter\nmoved_total 5\n"));
}

TEST(Registry, ConcurrentIncrementsAllCount) {
  Registry registry;
  auto& family = registry.GetOrAddCounter("concurrent_total", "Concurrent.", {"thread"});
  auto& histogram = registry.GetOrAddHistogram("concurrent_seconds", "Concurrent.", {}, {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, &histogram] {
      for (int i = 0; i < 10000; ++i) {
        family.WithLabels({"shared"}).Increment();
        histogram.WithLabels({}).Observe(0.25);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.WithLabels({"shared"}).Value(), 40000);
  Histogram::Snapshot snapshot = histogram.WithLabels({}).Collect();
  EXPECT_EQ(snapshot.count, 40000u);
  EXPECT_EQ(snapshot.sum, 10000);
}

TEST(FormatValue, UsesShortestFormAndSpecialValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
}

TEST(Registry, OutputPassesPromtool) {
  ASSERT_STRNE(QUXIANG_PROMTOOL, "")
      << "promtool not found: install the Debian package prometheus (scripts/setup does)";
  Registry registry;
  registry.GetOrAddCounter("quxiang_test_requests_total", "Requests \\ with \"odd\"\ntext.",
                           {"route", "code"})
      .WithLabels({"/v1/a\"b\\c\nd", "200"})
      .Increment();
  registry.GetOrAddGauge("quxiang_test_in_flight", "In flight.").WithLabels({}).Set(-3);
  auto& histogram = registry.GetOrAddHistogram("quxiang_test_duration_seconds", "Duration.",
                                               {"route"}, DefaultLatencyBuckets());
  histogram.WithLabels({"login"}).Observe(0.003);
  histogram.WithLabels({"login"}).Observe(20);
  CallbackRegistration registration = registry.AddCallback(
      MetricType::kGauge, "quxiang_test_pool_open_connections", "Open.", {"service"},
      []() -> std::vector<Sample> { return {{{"accounts"}, 2}}; });

  auto [status, output] = PromtoolCheck(registry.Render());
  EXPECT_EQ(status, 0) << output << "\n" << registry.Render();
}

TEST(Promtool, RejectsMalformedExposition) {
  // Shows that the check above can fail: promtool rejects a repeated TYPE line and an
  // unterminated label value.
  ASSERT_STRNE(QUXIANG_PROMTOOL, "");
  auto [status, output] = PromtoolCheck(
      "# TYPE broken counter\n# TYPE broken counter\nbroken{a=\"unterminated} 1\n");
  EXPECT_NE(status, 0) << output;
}

}  // namespace
}  // namespace quxiang::metrics

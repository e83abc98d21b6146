#include "daemon/serve/open_metrics_serializer.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "tests/daemon/serve/exposition_tools.h"

namespace handoff {
namespace {

using namespace handoff::testing;  // NOLINT: test-local tools
namespace prom = prometheus;

prom::ClientMetric Counter(std::vector<prom::ClientMetric::Label> labels, double value) {
  prom::ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  return metric;
}

// One family of every type prometheus-cpp collects, an exemplar on one counter series
// and one whose series is not there.
std::vector<prom::MetricFamily> EveryType() {
  prom::MetricFamily counter{
      "jobs_total", "Jobs done.\nBy \"queue\" \\ kind.", prom::MetricType::Counter, {}};
  counter.metric.push_back(Counter({{"queue", "a"}}, 3));
  counter.metric.push_back(Counter({{"queue", "b\"\\\n"}}, 0.5));
  prom::MetricFamily bare{"restarts", "", prom::MetricType::Counter, {Counter({}, 2)}};
  prom::MetricFamily gauge{"temperature_celsius", "Now.", prom::MetricType::Gauge, {}};
  gauge.metric.emplace_back().gauge.value = -1.5;
  gauge.metric.back().timestamp_ms = 1'700'000'000'250;
  prom::MetricFamily histogram{"wait_seconds", "Waits.", prom::MetricType::Histogram, {}};
  prom::ClientMetric& h = histogram.metric.emplace_back();
  h.label = {{"sla", "x"}};
  h.histogram.sample_count = 3;
  h.histogram.sample_sum = 4000.5;
  h.histogram.bucket = {{1, 0.25}, {2, 3600}, {2, 1e6}};  // no +Inf: the serializer adds it
  prom::MetricFamily summary{"rpc_seconds", "RPCs.", prom::MetricType::Summary, {}};
  prom::ClientMetric& s = summary.metric.emplace_back();
  s.summary.sample_count = 4;
  s.summary.sample_sum = 1.25;
  s.summary.quantile = {{0.5, 0.2}, {0.99, std::numeric_limits<double>::quiet_NaN()}};
  prom::MetricFamily untyped{"legacy", "Old.", prom::MetricType::Untyped, {}};
  untyped.metric.emplace_back().untyped.value = 7;
  return {counter, bare, gauge, histogram, summary, untyped};
}

std::vector<CounterExemplar> Exemplars() {
  return {{"jobs_total", {{"queue", "a"}}, {{"order", "o-\"1\""}}, 1, 1'795'777'200'000},
          {"jobs_total", {{"queue", "gone"}}, {{"order", "o-2"}}, 1, 1'795'777'200'000}};
}

TEST(OpenMetricsSerializer, WritesEveryTypeWithExemplarsAndEof) {
  EXPECT_EQ(OpenMetricsSerializer().Serialize(EveryType(), Exemplars()),
            "# TYPE jobs counter\n"
            "# HELP jobs Jobs done.\\nBy \\\"queue\\\" \\\\ kind.\n"
            "jobs_total{queue=\"a\"} 3.0 # {order=\"o-\\\"1\\\"\"} 1.0 1795777200.000\n"
            "jobs_total{queue=\"b\\\"\\\\\\n\"} 0.5\n"
            "# TYPE restarts counter\n"
            "restarts_total 2.0\n"
            "# TYPE temperature_celsius gauge\n"
            "# HELP temperature_celsius Now.\n"
            "temperature_celsius -1.5 1700000000.250\n"
            "# TYPE wait_seconds histogram\n"
            "# HELP wait_seconds Waits.\n"
            "wait_seconds_bucket{sla=\"x\",le=\"0.25\"} 1\n"
            "wait_seconds_bucket{sla=\"x\",le=\"3600.0\"} 2\n"
            "wait_seconds_bucket{sla=\"x\",le=\"1e+06\"} 2\n"
            "wait_seconds_bucket{sla=\"x\",le=\"+Inf\"} 3\n"
            "wait_seconds_count{sla=\"x\"} 3\n"
            "wait_seconds_sum{sla=\"x\"} 4000.5\n"
            "# TYPE rpc_seconds summary\n"
            "# HELP rpc_seconds RPCs.\n"
            "rpc_seconds{quantile=\"0.5\"} 0.2\n"
            "rpc_seconds{quantile=\"0.99\"} NaN\n"
            "rpc_seconds_count 4\n"
            "rpc_seconds_sum 1.25\n"
            "# TYPE legacy unknown\n"
            "# HELP legacy Old.\n"
            "legacy 7.0\n"
            "# EOF\n");
}

TEST(OpenMetricsSerializer, RealParsersAcceptIt) {
  std::string text = OpenMetricsSerializer().Serialize(EveryType(), Exemplars());
  if (HavePythonOpenMetricsParser()) {
    EXPECT_EQ(PythonParseOpenMetrics(text), "rc=0\n");
  }
  if (HavePromtool()) {
    EXPECT_EQ(PromtoolParseOpenMetrics(text), "rc=0\n");
  }
}

// The spec's own examples of canonical numbers ("Considerations: Canonical Numbers").
TEST(OpenMetricsNumber, FollowsTheCanonicalForms) {
  const double kInf = std::numeric_limits<double>::infinity();
  std::vector<std::pair<double, const char*>> cases = {{0, "0.0"},
                                                       {0.001, "0.001"},
                                                       {0.002, "0.002"},
                                                       {0.01, "0.01"},
                                                       {0.1, "0.1"},
                                                       {0.9, "0.9"},
                                                       {0.95, "0.95"},
                                                       {0.99, "0.99"},
                                                       {0.999, "0.999"},
                                                       {1, "1.0"},
                                                       {1.7, "1.7"},
                                                       {10, "10.0"},
                                                       {1e-10, "1e-10"},
                                                       {1e-9, "1e-09"},
                                                       {1e-5, "1e-05"},
                                                       {1e-4, "0.0001"},
                                                       {1e5, "100000.0"},
                                                       {1e6, "1e+06"},
                                                       {1e10, "1e+10"},
                                                       {3240, "3240.0"},
                                                       {-1.5, "-1.5"},
                                                       {kInf, "+Inf"},
                                                       {-kInf, "-Inf"},
                                                       {std::nan(""), "NaN"},
                                                       {1296000, "1.296e+06"}};
  for (const auto& [value, text] : cases) EXPECT_EQ(OpenMetricsNumber(value), text) << text;
  EXPECT_EQ(OpenMetricsTimestamp(1'795'777'200'000), "1795777200.000");
  EXPECT_EQ(OpenMetricsTimestamp(1'795'777'200'042), "1795777200.042");
  EXPECT_EQ(OpenMetricsTimestamp(-1'500), "-1.500");
}

// 128 code points of names and values, counted as code points, not bytes.
TEST(OpenMetricsSerializer, ExemplarLabelsFitIn128CodePoints) {
  std::string e123;
  for (int i = 0; i < 123; ++i) e123 += "\xc3\xa9";
  EXPECT_TRUE(FitsExemplar({{"order", e123}}));
  EXPECT_FALSE(FitsExemplar({{"order", e123 + "x"}}));
  EXPECT_TRUE(FitsExemplar({{"order", std::string(60, 'a')}, {"trace", std::string(58, 'b')}}));
  EXPECT_FALSE(FitsExemplar({{"order", "\xff"}}));
  EXPECT_TRUE(FitsExemplar({}));
  // The serializer leaves out one that does not fit.
  prom::MetricFamily family{"jobs_total", "", prom::MetricType::Counter, {Counter({}, 1)}};
  EXPECT_EQ(OpenMetricsSerializer().Serialize({family},
                                              {{"jobs_total", {}, {{"order", e123 + "x"}}, 1, 0}}),
            "# TYPE jobs counter\njobs_total 1.0\n# EOF\n");
}

}  // namespace
}  // namespace handoff

// The OpenMetrics 1.0.0 text format (docs/reference/metrics.md, "Two formats"): what
// /metrics answers a scraper that asks for application/openmetrics-text. prometheus-cpp
// 1.0.1 writes only the 0.0.4 text and knows no exemplars, so this writes the families
// its Registry::Collect() returns, with exemplars on counter series from a table the
// caller keeps (Metrics copies its table on the engine thread). Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "handlers/time.h"

namespace handoff {

// The OpenMetrics limit on an exemplar's label set: names and values together, in UTF-8
// code points.
inline constexpr std::size_t kMaxExemplarLabelChars = 128;

// Whether `labels` can be an exemplar's label set: every name and value valid UTF-8, at
// most kMaxExemplarLabelChars code points in all.
bool FitsExemplar(const std::vector<prometheus::ClientMetric::Label>& labels);

// The exemplar of one counter series.
struct CounterExemplar {
  std::string family;  // as registered: "handoff_sla_breached_total"
  std::vector<prometheus::ClientMetric::Label> series;  // the series' labels, by name
  std::vector<prometheus::ClientMetric::Label> labels;  // the exemplar's own
  double value = 1;
  TimeMs at = 0;  // Unix time, ms
};

class OpenMetricsSerializer {
 public:
  // `families` in their order, then `# EOF`. A counter family "x_total" (or "x") is
  // written as family "x" with the sample "x_total"; no _created samples, no UNIT.
  // An exemplar whose series is not in `families`, or whose labels do not fit, is left out.
  std::string Serialize(const std::vector<prometheus::MetricFamily>& families,
                        const std::vector<CounterExemplar>& exemplars) const;
};

// A Unix time as seconds with milliseconds: "1795777200.000" (timestamps of samples and
// exemplars; OpenMetrics allows any real number there, and this one reads as a time).
std::string OpenMetricsTimestamp(TimeMs at);

// A number as OpenMetrics writes "le" and "quantile" values (Go's %g, shortest, with
// ".0" when that has no point or exponent: 0.25, 3600.0, 1e+06, +Inf, NaN); every
// float this serializer writes takes this form, as Prometheus' own clients write them.
std::string OpenMetricsNumber(double value);

}  // namespace handoff

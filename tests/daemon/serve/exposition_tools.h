// The real tools that judge a /metrics body, as the metrics and serializer tests run them.
// Each returns "rc=0\n" when the tool accepts the text, else what it printed and its
// exit status; each Have* says whether the tool can run here.
#pragma once

#include <string>

namespace handoff::testing {

// `promtool check metrics`: lints the 0.0.4 text. promtool 2.42 reads only that format
// (it stops at the first exemplar of an OpenMetrics text, and says so).
bool HavePromtool();
std::string PromtoolCheckMetrics(const std::string& text_004);

// Prometheus' own OpenMetrics parser, run by `promtool tsdb create-blocks-from
// openmetrics` (which needs a timestamp on every sample: WithTimestamps adds one). It
// refuses what a scrape would refuse: no `# EOF`, a malformed line or exemplar, an
// exemplar on a gauge.
std::string PromtoolParseOpenMetrics(const std::string& open_metrics);
// `text` with " <seconds>" after the value of every sample line that has no timestamp,
// before any exemplar.
std::string WithTimestamps(const std::string& text, long long seconds);

// The strict OpenMetrics parser of the Python client (Debian's python3-prometheus-client,
// prometheus_client.openmetrics.parser): also the 128-character exemplar limit, escaping,
// metadata before samples, suffixes, histogram rules.
bool HavePythonOpenMetricsParser();
std::string PythonParseOpenMetrics(const std::string& open_metrics);

}  // namespace handoff::testing

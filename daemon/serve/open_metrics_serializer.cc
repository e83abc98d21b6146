#include "daemon/serve/open_metrics_serializer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <tuple>

#include "handlers/json_writer.h"

namespace handoff {
namespace {

namespace prom = prometheus;
using Labels = std::vector<prom::ClientMetric::Label>;

constexpr std::string_view kTotal = "_total";

// Label values and HELP text: backslash, double quote and line feed escaped (the ABNF's
// escaped-string).
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// {a="x",b="y"} with an extra label (le, quantile) last; nothing when there is no label.
void AppendLabels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  char separator = '{';
  auto one = [&](std::string_view name, std::string_view value) {
    out += separator;
    out += name;
    out += "=\"";
    AppendEscaped(out, value);
    out += '"';
    separator = ',';
  };
  for (const auto& label : labels) one(label.name, label.value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out += '}';
}

// One sample line without its line feed: name, labels, a space and the value (and the
// timestamp when the collector set one).
void AppendSample(std::string& out, std::string_view name, const prom::ClientMetric& metric,
                  std::string_view value, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  out += name;
  AppendLabels(out, metric.label, extra_name, extra_value);
  out += ' ';
  out += value;
  if (metric.timestamp_ms != 0) {
    out += ' ';
    out += OpenMetricsTimestamp(metric.timestamp_ms);
  }
}

// Exemplars sorted by (family, series) so a series finds its own by binary search.
class ExemplarIndex {
 public:
  explicit ExemplarIndex(const std::vector<CounterExemplar>& exemplars) {
    for (const CounterExemplar& e : exemplars) {
      if (FitsExemplar(e.labels)) sorted_.push_back(&e);
    }
    std::sort(sorted_.begin(), sorted_.end(), [](const auto* a, const auto* b) {
      return std::tie(a->family, a->series) < std::tie(b->family, b->series);
    });
  }

  const CounterExemplar* Find(const std::string& family, const Labels& series) const {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::tie(family, series),
                               [](const CounterExemplar* e, const auto& key) {
                                 return std::tie(e->family, e->series) < key;
                               });
    return it != sorted_.end() && (*it)->family == family && (*it)->series == series ? *it
                                                                                     : nullptr;
  }

 private:
  std::vector<const CounterExemplar*> sorted_;
};

void AppendFamily(std::string& out, const prom::MetricFamily& family,
                  const ExemplarIndex& exemplars) {
  // A counter's family name has no _total; its samples do.
  std::string_view name = family.name;
  std::string_view type = "unknown";
  switch (family.type) {
    case prom::MetricType::Counter:
      type = "counter";
      if (name.ends_with(kTotal)) name.remove_suffix(kTotal.size());
      break;
    case prom::MetricType::Gauge:
      type = "gauge";
      break;
    case prom::MetricType::Histogram:
      type = "histogram";
      break;
    case prom::MetricType::Summary:
      type = "summary";
      break;
    case prom::MetricType::Untyped:
      break;
  }
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  if (!family.help.empty()) {
    out.append("# HELP ").append(name).append(" ");
    AppendEscaped(out, family.help);
    out += '\n';
  }
  const std::string plain(name);
  const std::string total = plain + std::string(kTotal);
  for (const prom::ClientMetric& metric : family.metric) {
    switch (family.type) {
      case prom::MetricType::Counter: {
        AppendSample(out, total, metric, OpenMetricsNumber(metric.counter.value));
        if (const CounterExemplar* e = exemplars.Find(family.name, metric.label)) {
          out += " # ";
          AppendLabels(out, e->labels);
          out.append(" ").append(OpenMetricsNumber(e->value));
          out.append(" ").append(OpenMetricsTimestamp(e->at));
        }
        break;
      }
      case prom::MetricType::Gauge:
        AppendSample(out, plain, metric, OpenMetricsNumber(metric.gauge.value));
        break;
      case prom::MetricType::Untyped:
        AppendSample(out, plain, metric, OpenMetricsNumber(metric.untyped.value));
        break;
      case prom::MetricType::Histogram: {
        // Buckets (cumulative, ending at +Inf), then count and sum.
        const auto& h = metric.histogram;
        bool has_inf = false;
        for (const auto& bucket : h.bucket) {
          has_inf = has_inf || std::isinf(bucket.upper_bound);
          AppendSample(out, plain + "_bucket", metric, std::to_string(bucket.cumulative_count),
                       "le", OpenMetricsNumber(bucket.upper_bound));
          out += '\n';
        }
        if (!has_inf) {
          AppendSample(out, plain + "_bucket", metric, std::to_string(h.sample_count), "le",
                       "+Inf");
          out += '\n';
        }
        AppendSample(out, plain + "_count", metric, std::to_string(h.sample_count));
        out += '\n';
        AppendSample(out, plain + "_sum", metric, OpenMetricsNumber(h.sample_sum));
        break;
      }
      case prom::MetricType::Summary: {
        const auto& s = metric.summary;
        for (const auto& q : s.quantile) {
          AppendSample(out, plain, metric, OpenMetricsNumber(q.value), "quantile",
                       OpenMetricsNumber(q.quantile));
          out += '\n';
        }
        AppendSample(out, plain + "_count", metric, std::to_string(s.sample_count));
        out += '\n';
        AppendSample(out, plain + "_sum", metric, OpenMetricsNumber(s.sample_sum));
        break;
      }
    }
    out += '\n';
  }
}

}  // namespace

bool FitsExemplar(const Labels& labels) {
  std::size_t total = 0;
  for (const auto& label : labels) {
    auto name = Utf8CodePoints(label.name);
    auto value = Utf8CodePoints(label.value);
    if (!name || !value) return false;
    total += *name + *value;
  }
  return total <= kMaxExemplarLabelChars;
}

std::string OpenMetricsNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Go's %g with the shortest digits switches to an exponent below 1e-4 and from 1e+06.
  std::array<char, 64> buf{};
  char* end =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific).ptr;
  std::string_view scientific(buf.data(), static_cast<std::size_t>(end - buf.data()));
  int exponent = 0;
  std::string_view digits = scientific.substr(scientific.find('e') + 1);
  if (digits.front() == '+') digits.remove_prefix(1);
  std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
  if (exponent < -4 || exponent >= 6) return std::string(scientific);
  end = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed).ptr;
  std::string fixed(buf.data(), end);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

std::string OpenMetricsTimestamp(TimeMs at) {
  const unsigned long long magnitude =
      at < 0 ? 0ULL - static_cast<unsigned long long>(at) : static_cast<unsigned long long>(at);
  std::string millis = std::to_string(magnitude % 1000);
  return (at < 0 ? "-" : "") + std::to_string(magnitude / 1000) + "." +
         std::string(3 - millis.size(), '0') + millis;
}

std::string OpenMetricsSerializer::Serialize(const std::vector<prom::MetricFamily>& families,
                                             const std::vector<CounterExemplar>& exemplars) const {
  const ExemplarIndex index(exemplars);
  std::string out;
  out.reserve(128 * 1024);
  for (const prom::MetricFamily& family : families) AppendFamily(out, family, index);
  out += "# EOF\n";
  return out;
}

}  // namespace handoff

#include "daemon/serve/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "daemon/host/build_info.h"
#include "daemon/serve/open_metrics_serializer.h"
#include "daemon/serve/process_metrics.h"
#include "handlers/instance_json.h"
#include "handlers/journey_tracker.h"

namespace handoff {
namespace {

namespace prom = prometheus;

double Seconds(DurationMs ms) { return static_cast<double>(ms) / 1000.0; }

// "0.5", "0.8": the shortest text that reads back as the same double.
std::string ThresholdLabel(double threshold) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), threshold);
  return ec == std::errc() ? std::string(buf.data(), end) : std::to_string(threshold);
}

prom::ClientMetric Sample(std::vector<prom::ClientMetric::Label> labels, double value,
                          prom::MetricType type) {
  prom::ClientMetric sample;
  sample.label = std::move(labels);
  if (type == prom::MetricType::Counter) {
    sample.counter.value = value;
  } else {
    sample.gauge.value = value;
  }
  return sample;
}

prom::MetricFamily OneSample(std::string name, std::string help, prom::MetricType type,
                             double value) {
  prom::MetricFamily family{std::move(name), std::move(help), type, {}};
  family.metric.push_back(Sample({}, value, type));
  return family;
}

// The checkpoint writer (issue #7) measures fsync-bound writes: 1 ms to 10 s.
const prom::Histogram::BucketBoundaries kCheckpointBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                              0.5,   1,     2.5,  5,    10};

}  // namespace

double HistogramSeconds(DurationMs elapsed, DurationMs instance_target, DurationMs default_target,
                        bool met) {
  const double bound = Seconds(default_target);
  double seconds = instance_target == default_target || instance_target <= 0
                       ? Seconds(elapsed)
                       : static_cast<double>(elapsed) / static_cast<double>(instance_target) * bound;
  if (met) return std::min(seconds, bound);
  return std::max(seconds, std::nextafter(bound, std::numeric_limits<double>::infinity()));
}

struct Metrics::Series {
  struct Sla {
    SlaDefinition definition;  // as the series were made (labels, buckets, thresholds)
    prom::Labels labels;       // sla, from, to, owner
    prom::Counter* started = nullptr;
    prom::Counter* met = nullptr;
    prom::Counter* breached = nullptr;
    prom::Counter* cancelled = nullptr;
    std::vector<prom::Counter*> warnings;  // parallel to the SLA's warn_at
    prom::Histogram* elapsed = nullptr;
    std::array<prom::Gauge*, 3> open{};    // running, paused, overdue
    prom::Gauge* max_overdue = nullptr;
    prom::Gauge* target = nullptr;
    // Journeys (docs/accountability.md): held time per bucket of `plan`; breaches per
    // (baton bucket, first late stage or none), at baton * (stages + 1) + stage.
    JourneyPlan plan;
    std::vector<prom::Counter*> held;
    std::vector<prom::Counter*> breached_by;
    std::vector<prom::Counter*> paused;  // per pause reason, then `other`
  };

  // Adds the series of slas[i] (or finds them: prometheus-cpp returns the existing
  // series for labels it already has), at 0 when new.
  Sla Add(const std::vector<SlaDefinition>& slas, std::size_t i);
  // Removes the series of an SLA that a reload removed or changed.
  void Remove(const Sla& sla);
  // A journey's breach (by baton and first late stage) or stop (held time by department).
  static void CountJourney(Sla& s, const Decision& d);
  // Makes d's order the exemplar of `counter`, unless its key cannot be one.
  void RememberOrder(const prom::Counter* counter, const Decision& d);

  prom::Registry registry;
  prom::Family<prom::Counter>* started = nullptr;
  prom::Family<prom::Counter>* met = nullptr;
  prom::Family<prom::Counter>* breached = nullptr;
  prom::Family<prom::Counter>* cancelled = nullptr;
  prom::Family<prom::Counter>* warnings = nullptr;
  prom::Family<prom::Gauge>* open = nullptr;
  prom::Family<prom::Gauge>* max_overdue = nullptr;
  prom::Family<prom::Gauge>* target = nullptr;
  prom::Family<prom::Histogram>* elapsed = nullptr;
  prom::Family<prom::Counter>* journey_held = nullptr;
  prom::Family<prom::Counter>* journey_breached = nullptr;
  prom::Family<prom::Counter>* paused = nullptr;
  std::vector<Sla> slas;
  // The latest order behind each met and breached series, for OpenMetrics scrapes
  // (`# {order="KEY"} 1 TIME`). Keyed by the series: a series that Remove drops loses
  // its entry there, one that a reload keeps keeps it.
  struct Exemplar {
    std::vector<prom::ClientMetric::Label> labels;
    TimeMs at = 0;
  };
  std::unordered_map<const prom::Counter*, Exemplar> exemplars;
  prom::Gauge* reload_successful = nullptr;
  prom::Gauge* reload_timestamp = nullptr;
  prom::Gauge* checkpoint_timestamp = nullptr;
  prom::Histogram* checkpoint_duration = nullptr;
  prom::Counter* auth_failures = nullptr;
};

Metrics::Metrics(const EngineHost& host, TimeMs start_time)
    : host_(host), series_(std::make_unique<Series>()) {
  prom::Registry& r = series_->registry;
  auto counter = [&r](const char* name, const char* help) -> prom::Family<prom::Counter>& {
    return prom::BuildCounter().Name(name).Help(help).Register(r);
  };
  auto gauge = [&r](const char* name, const char* help) -> prom::Family<prom::Gauge>& {
    return prom::BuildGauge().Name(name).Help(help).Register(r);
  };
  series_->started = &counter("handoff_sla_started_total", "SLA instances opened.");
  series_->met = &counter("handoff_sla_met_total", "SLA instances stopped within their target.");
  series_->breached = &counter(
      "handoff_sla_breached_total", "SLA instances that passed their deadline, counted at the deadline.");
  series_->cancelled = &counter("handoff_sla_cancelled_total", "SLA instances cancelled.");
  series_->warnings = &counter("handoff_sla_warnings_total", "SLA warning thresholds reached.");
  series_->open = &gauge("handoff_sla_open", "Open SLA instances by state.");
  series_->max_overdue = &gauge("handoff_sla_max_overdue_seconds",
                                "How far past its deadline the worst open instance is, in event time.");
  series_->target = &gauge("handoff_sla_target_seconds", "The SLA's configured default target.");
  series_->elapsed = &prom::BuildHistogram()
                          .Name("handoff_sla_elapsed_seconds")
                          .Help("Elapsed SLA working time at stop (met and resolved instances); "
                                "buckets are fractions of the default target.")
                          .Register(r);
  series_->journey_held = &counter(
      "handoff_journey_held_seconds_total",
      "A journey's elapsed working time by who held the order, counted when an instance stops.");
  series_->journey_breached = &counter(
      "handoff_journey_breached_total",
      "Journey breaches by who held the order at the deadline and the stage late first.");
  series_->paused = &counter("handoff_sla_paused_seconds_total",
                             "Working time paused, by reason, counted when the pause ends.");
  const std::vector<SlaDefinition>& slas = host.config().slas;
  for (std::size_t i = 0; i < slas.size(); ++i) series_->slas.push_back(series_->Add(slas, i));

  gauge("handoff_build_info", "The handoffd build; the value is always 1.")
      .Add({{"version", kVersion}, {"revision", kRevision}})
      .Set(1);
  series_->reload_successful =
      &gauge("handoff_config_last_reload_successful",
             "Whether the last config load or reload succeeded (1) or failed (0).")
           .Add({});
  series_->reload_timestamp = &gauge("handoff_config_last_reload_success_timestamp_seconds",
                                     "When the config was last loaded successfully.")
                                   .Add({});
  series_->checkpoint_timestamp = &gauge("handoff_checkpoint_last_success_timestamp_seconds",
                                         "When the last checkpoint was written; 0 before the first.")
                                       .Add({});
  series_->checkpoint_duration = &prom::BuildHistogram()
                                      .Name("handoff_checkpoint_duration_seconds")
                                      .Help("Time to write a checkpoint.")
                                      .Register(r)
                                      .Add({}, kCheckpointBuckets);
  series_->auth_failures =
      &counter("handoff_http_auth_failures_total",
               "HTTP requests refused for wrong credentials or a malformed Authorization header.")
           .Add({});
  RecordReload(true, start_time);
}

Metrics::~Metrics() = default;

Metrics::Series::Sla Metrics::Series::Add(const std::vector<SlaDefinition>& slas, std::size_t i) {
  const SlaDefinition& sla = slas[i];
  const prom::Labels labels{{"sla", sla.name}, {"from", sla.from}, {"to", sla.to},
                            {"owner", sla.owner}};
  auto with = [&labels](const char* name, std::string value) {
    prom::Labels extended = labels;
    extended.emplace(name, std::move(value));
    return extended;
  };
  Sla s;
  s.definition = sla;
  s.labels = labels;
  s.started = &started->Add(labels);
  s.met = &met->Add(labels);
  s.breached = &breached->Add(labels);
  s.cancelled = &cancelled->Add(labels);
  for (double threshold : sla.warn_at) {
    s.warnings.push_back(&warnings->Add(with("threshold", ThresholdLabel(threshold))));
  }
  prom::Histogram::BucketBoundaries bounds;
  for (double factor : kElapsedBucketFactors) bounds.push_back(factor * Seconds(sla.target));
  s.elapsed = &elapsed->Add(labels, bounds);
  s.open = {&open->Add(with("state", "running")), &open->Add(with("state", "paused")),
            &open->Add(with("state", "overdue"))};
  s.max_overdue = &max_overdue->Add(labels);
  s.target = &target->Add(labels);
  s.target->Set(Seconds(sla.target));
  // Only for an SLA that keeps pause reasons: the others have no `other` to count.
  for (std::size_t r = 0; !sla.pause_reasons.empty() && r <= sla.pause_reasons.size(); ++r) {
    s.paused.push_back(
        &paused->Add(with("reason", r < sla.pause_reasons.size() ? sla.pause_reasons[r] : "other")));
  }
  if (!sla.is_journey()) return s;
  s.plan = JourneyPlan::Of(slas, i);
  for (const std::string& bucket : s.plan.buckets) {
    s.held.push_back(&journey_held->Add(with("department", bucket)));
    for (std::size_t stage = 0; stage <= sla.stages.size(); ++stage) {
      prom::Labels breach = with("baton", bucket);
      breach.emplace("first_late_stage", FirstLateStageName(sla, static_cast<std::uint8_t>(stage)));
      s.breached_by.push_back(&journey_breached->Add(breach));
    }
  }
  return s;
}

void Metrics::Series::Remove(const Sla& s) {
  exemplars.erase(s.met);
  exemplars.erase(s.breached);
  started->Remove(s.started);
  met->Remove(s.met);
  breached->Remove(s.breached);
  cancelled->Remove(s.cancelled);
  for (prom::Counter* warning : s.warnings) warnings->Remove(warning);
  elapsed->Remove(s.elapsed);
  for (prom::Gauge* gauge : s.open) open->Remove(gauge);
  max_overdue->Remove(s.max_overdue);
  target->Remove(s.target);
  for (prom::Counter* c : s.held) journey_held->Remove(c);
  for (prom::Counter* c : s.breached_by) journey_breached->Remove(c);
  for (prom::Counter* c : s.paused) paused->Remove(c);
}

void Metrics::OnReconfigured() {
  // An SLA whose labels, target (the histogram's buckets) or thresholds changed gets new
  // series; one that is unchanged keeps its counters, wherever it now is in the list.
  // A journey's series also depend on its stages' owners and `to`s: its plan's buckets.
  const std::vector<SlaDefinition>& slas = host_.config().slas;
  auto same = [&slas](std::size_t i, const Series::Sla& old) {
    const SlaDefinition& a = slas[i];
    const SlaDefinition& b = old.definition;
    return a.name == b.name && a.from == b.from && a.to == b.to && a.owner == b.owner &&
           a.target == b.target && a.warn_at == b.warn_at && a.stages == b.stages &&
           a.pause_reasons == b.pause_reasons &&
           (a.is_journey() ? JourneyPlan::Of(slas, i).buckets : std::vector<std::string>{}) ==
               old.plan.buckets;
  };
  for (const Series::Sla& old : series_->slas) {
    bool kept = false;
    for (std::size_t i = 0; i < slas.size() && !kept; ++i) kept = same(i, old);
    if (!kept) series_->Remove(old);
  }
  std::vector<Series::Sla> rebuilt;
  for (std::size_t i = 0; i < slas.size(); ++i) rebuilt.push_back(series_->Add(slas, i));
  series_->slas = std::move(rebuilt);
}

void Metrics::OnDecisions(std::int32_t, std::span<const Decision> decisions) {
  const std::vector<SlaDefinition>& slas = host_.config().slas;
  for (const Decision& d : decisions) {
    if (d.instance.sla >= series_->slas.size()) continue;  // cannot happen with one config
    Series::Sla& s = series_->slas[d.instance.sla];
    const SlaDefinition& sla = slas[d.instance.sla];
    if (d.pause_reason < s.paused.size()) s.paused[d.pause_reason]->Increment(Seconds(d.paused));
    if (!s.held.empty()) Series::CountJourney(s, d);
    switch (d.kind) {
      case DecisionKind::kStarted: s.started->Increment(); break;
      case DecisionKind::kBreached:
        s.breached->Increment();
        series_->RememberOrder(s.breached, d);
        break;
      case DecisionKind::kCancelled: s.cancelled->Increment(); break;
      case DecisionKind::kMet:
        s.met->Increment();
        series_->RememberOrder(s.met, d);
        s.elapsed->Observe(HistogramSeconds(d.instance.elapsed, d.instance.target, sla.target, true));
        break;
      case DecisionKind::kResolved:
        s.elapsed->Observe(HistogramSeconds(d.instance.elapsed, d.instance.target, sla.target, false));
        break;
      case DecisionKind::kWarning: {
        auto it = std::find(sla.warn_at.begin(), sla.warn_at.end(), d.threshold);
        if (it != sla.warn_at.end()) s.warnings[it - sla.warn_at.begin()]->Increment();
        break;
      }
      case DecisionKind::kPaused:
      case DecisionKind::kResumed: break;
    }
  }
}

void Metrics::Series::CountJourney(Sla& s, const Decision& d) {
  const InstanceSnapshot& i = d.instance;
  std::size_t lates = s.definition.stages.size() + 1;
  if (d.kind == DecisionKind::kBreached && i.baton < s.held.size() && i.first_late_stage < lates) {
    s.breached_by[i.baton * lates + i.first_late_stage]->Increment();
  } else if ((d.kind == DecisionKind::kMet || d.kind == DecisionKind::kResolved) &&
             i.held.size() == s.held.size()) {
    for (std::size_t b = 0; b < i.held.size(); ++b) s.held[b]->Increment(Seconds(i.held[b]));
  }
}

// A key too long for OpenMetrics' 128 characters (with the label name "order"), or not
// UTF-8, is not cut: a cut key would link to another order or to none. The series keeps
// its previous exemplar, a real order that breached (or met) earlier.
void Metrics::Series::RememberOrder(const prom::Counter* counter, const Decision& d) {
  std::vector<prom::ClientMetric::Label> labels{{"order", d.instance.key}};
  if (!FitsExemplar(labels)) return;
  Exemplar& exemplar = exemplars[counter];
  exemplar.labels = std::move(labels);
  exemplar.at = d.at;
}

void Metrics::RecordReload(bool success, TimeMs now) {
  series_->reload_successful->Set(success ? 1 : 0);
  if (success) series_->reload_timestamp->Set(Seconds(now));
}

void Metrics::RecordCheckpoint(DurationMs duration, TimeMs now) {
  series_->checkpoint_timestamp->Set(Seconds(now));
  series_->checkpoint_duration->Observe(Seconds(duration));
}

void Metrics::RecordAuthFailure() { series_->auth_failures->Increment(); }

std::string Metrics::Scrape(ExpositionFormat format) { return ScrapeLater(format)(); }

std::function<std::string()> Metrics::ScrapeLater(ExpositionFormat format) {
  const Config& config = host_.config();
  const auto& partitions = host_.partitions();

  // SLA gauges. Overdue is measured per partition against that partition's frontier (the
  // event-time clock that decided the breach), so it is never negative and does not jump
  // with the wall clock; the worst partition wins.
  for (std::size_t i = 0; i < series_->slas.size(); ++i) {
    Series::Sla& s = series_->slas[i];
    OpenCounts open = host_.open_counts(i);
    s.open[0]->Set(static_cast<double>(open.running));
    s.open[1]->Set(static_cast<double>(open.paused));
    s.open[2]->Set(static_cast<double>(open.overdue));
    DurationMs worst = 0;
    for (const auto& [_, partition] : partitions) {
      TimeMs breach = partition.engine.EarliestOpenBreach(i);
      if (breach != kNoTime) worst = std::max(worst, partition.engine.frontier() - breach);
    }
    s.max_overdue->Set(Seconds(worst));
  }

  // Engine state is copied here; the registry (atomics and per-histogram locks) is
  // collected on the thread that renders.
  std::vector<prom::MetricFamily> families;
  const auto counter = prom::MetricType::Counter;
  const auto gauge = prom::MetricType::Gauge;

  // handoff_sla_shadow: one series per shadow SLA of the config in force, none when
  // there is no shadow SLA, so rules can leave shadow SLAs out with `unless on(sla)`.
  prom::MetricFamily shadow{"handoff_sla_shadow",
                            "1 for an SLA that runs in shadow: its decisions are not sent or "
                            "alerted.",
                            gauge, {}};
  for (const SlaDefinition& sla : config.slas) {
    if (!sla.shadow) continue;
    shadow.metric.push_back(Sample(
        {{"from", sla.from}, {"owner", sla.owner}, {"sla", sla.name}, {"to", sla.to}}, 1, gauge));
  }
  if (!shadow.metric.empty()) families.push_back(std::move(shadow));

  // Topics: the configured ones (so their series exist from start-up) and any the source
  // reported on.
  std::set<std::string> topics(config.kafka.topics.begin(), config.kafka.topics.end());
  for (const auto& [topic, _] : host_.consumed()) topics.insert(topic);

  prom::MetricFamily consumed{"handoff_events_consumed_total", "Records read, by topic.",
                              counter, {}};
  for (const std::string& topic : topics) {
    auto it = host_.consumed().find(topic);
    double value = it == host_.consumed().end() ? 0 : static_cast<double>(it->second);
    consumed.metric.push_back(Sample({{"topic", topic}}, value, counter));
  }
  families.push_back(std::move(consumed));

  prom::MetricFamily rejected{"handoff_events_rejected_total",
                              "Records rejected by the decoder, by reason.", counter, {}};
  for (RejectReason reason : kAllRejectReasons) {
    rejected.metric.push_back(Sample({{"reason", std::string(RejectReasonName(reason))}},
                                     static_cast<double>(host_.rejected(reason)), counter));
  }
  families.push_back(std::move(rejected));

  const EngineStats& totals = host_.totals();
  families.push_back(OneSample("handoff_events_duplicate_total",
                               "Events dropped because their id was seen before.", counter,
                               static_cast<double>(totals.duplicate)));
  families.push_back(OneSample("handoff_events_late_total",
                               "Events that arrived at or behind the frontier.", counter,
                               static_cast<double>(totals.late)));
  families.push_back(OneSample("handoff_events_ignored_total",
                               "(event, SLA) pairs that matched a condition that could not act.",
                               counter, static_cast<double>(totals.ignored)));

  // A partition's frontier is shared by every topic (an order lives in one partition
  // number across topics); it is exported per configured topic to join with the lag.
  // 0 means no frontier yet.
  prom::MetricFamily frontier{"handoff_partition_frontier_timestamp_seconds",
                              "Event-time frontier of the partition; 0 before any event.", gauge,
                              {}};
  prom::MetricFamily lag{"handoff_kafka_consumer_lag",
                         "Messages behind the partition's high watermark.", gauge, {}};
  for (const auto& [number, partition] : partitions) {
    const std::string p = std::to_string(number);
    TimeMs f = partition.engine.frontier();
    for (const std::string& topic : topics) {
      frontier.metric.push_back(
          Sample({{"partition", p}, {"topic", topic}}, f == kNoTime ? 0 : Seconds(f), gauge));
    }
    for (const auto& [topic, behind] : partition.lag) {
      lag.metric.push_back(
          Sample({{"partition", p}, {"topic", topic}}, static_cast<double>(behind), gauge));
    }
  }
  families.push_back(std::move(frontier));
  families.push_back(std::move(lag));

  // The exemplars are engine state too: copied here, never read by the render.
  std::vector<CounterExemplar> exemplars;
  if (format == ExpositionFormat::kOpenMetrics100) {
    for (const Series::Sla& s : series_->slas) {
      for (auto [counter, family] :
           {std::pair(s.met, series_->met), std::pair(s.breached, series_->breached)}) {
        auto it = series_->exemplars.find(counter);
        if (it == series_->exemplars.end()) continue;
        CounterExemplar& e = exemplars.emplace_back();
        e.family = family->GetName();
        for (const auto& [name, value] : s.labels) e.series.push_back({name, value});
        e.labels = it->second.labels;
        e.at = it->second.at;
      }
    }
  }

  // The process figures are not engine state: they are read with the text.
  return [registry = &series_->registry, host_families = std::move(families), format,
          exemplars = std::move(exemplars)]() {
    const auto counter = prom::MetricType::Counter;
    const auto gauge = prom::MetricType::Gauge;
    std::vector<prom::MetricFamily> families = registry->Collect();
    families.insert(families.end(), host_families.begin(), host_families.end());
    if (auto process = ReadProcessStats()) {
      families.push_back(OneSample("process_cpu_seconds_total",
                                   "Total user and system CPU time spent in seconds.", counter,
                                   process->cpu_seconds));
      families.push_back(OneSample("process_resident_memory_bytes", "Resident memory size in bytes.",
                                   gauge, process->resident_memory_bytes));
      families.push_back(OneSample("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                   gauge, process->virtual_memory_bytes));
      families.push_back(OneSample("process_open_fds", "Number of open file descriptors.", gauge,
                                   process->open_fds));
      families.push_back(OneSample("process_max_fds", "Maximum number of open file descriptors.",
                                   gauge, process->max_fds));
      families.push_back(OneSample("process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds.", gauge,
                                   process->start_time_seconds));
    }
    if (format == ExpositionFormat::kOpenMetrics100) {
      return OpenMetricsSerializer().Serialize(families, exemplars);
    }
    return prom::TextSerializer().Serialize(families);
  };
}

}  // namespace handoff

#include "handlers/replay_report.h"

#include <algorithm>
#include <tuple>

#include "handlers/instance_json.h"
#include "handlers/json_writer.h"

namespace handoff {

DurationMs NearestRank(const std::vector<DurationMs>& sorted, int percent) {
  std::size_t rank = (sorted.size() * percent + 99) / 100;
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

ReplayReport::ReplayReport(SlaEngine::Slas slas, ReplayOptions options)
    : slas_(slas),
      options_(std::move(options)),
      feed_(slas, options_.format, options_.engine, options_.as_of),
      totals_(slas->size()) {}

void ReplayReport::AddLine(std::string_view line) {
  if (auto event = feed_.Decode(line)) Record(feed_.Offer(std::move(event).value()));
}

void ReplayReport::Record(const std::vector<Decision>& decisions) {
  for (const Decision& d : decisions) {
    SlaSummary& totals = totals_[d.instance.sla];
    switch (d.kind) {
      case DecisionKind::kStarted: ++totals.started; break;
      case DecisionKind::kPaused:
      case DecisionKind::kResumed:
      case DecisionKind::kWarning: break;
      case DecisionKind::kBreached: ++totals.breached; break;
      case DecisionKind::kMet:
      case DecisionKind::kResolved:
        if (d.kind == DecisionKind::kMet) ++totals.met;
        totals.stopped_elapsed.push_back(d.instance.elapsed);
        if (options_.instances) closed_.push_back(d.instance);
        break;
      case DecisionKind::kCancelled:
        ++totals.cancelled;
        if (options_.instances) closed_.push_back(d.instance);
        break;
    }
  }
}

ReplaySummary ReplayReport::Summarize() {
  Record(feed_.Finish());
  const SlaEngine& engine = feed_.engine();
  ReplaySummary summary{.as_of = feed_.as_of(),
                        .read = feed_.read(),
                        .rejected = feed_.rejected(),
                        .stats = engine.stats(),
                        .pending = engine.pending(),
                        .slas = std::move(totals_),
                        .instances = {}};
  for (std::size_t i = 0; i < summary.slas.size(); ++i) {
    SlaSummary& sla = summary.slas[i];
    sla.open = engine.open_counts(i);
    std::sort(sla.stopped_elapsed.begin(), sla.stopped_elapsed.end());
  }
  if (options_.instances) {
    summary.instances = std::move(closed_);
    engine.VisitOpenInstances(
        [&](const InstanceSnapshot& s) { summary.instances.push_back(s); });
    std::sort(summary.instances.begin(), summary.instances.end(),
              [&](const InstanceSnapshot& a, const InstanceSnapshot& b) {
                return std::tie((*slas_)[a.sla].name, a.key, a.cycle) <
                       std::tie((*slas_)[b.sla].name, b.key, b.cycle);
              });
  }
  return summary;
}

std::string ReplayReport::Finish() { return Render(Summarize()); }

std::string ReplayReport::Render(const ReplaySummary& summary) const {
  JsonWriter json(options_.pretty);
  json.BeginObject();
  json.Key("as_of").Time(summary.as_of);
  json.Key("events").BeginObject();
  json.Key("read").Int(summary.read);
  json.Key("applied").Int(summary.stats.applied);
  json.Key("rejected").Int(summary.rejected);
  json.Key("duplicate").Int(summary.stats.duplicate);
  json.Key("late").Int(summary.stats.late);
  json.Key("ignored").Int(summary.stats.ignored);
  json.Key("pending").Int(summary.pending);
  json.EndObject();

  json.Key("slas").BeginObject();
  for (std::size_t i = 0; i < slas_->size(); ++i) {
    const SlaSummary& totals = summary.slas[i];
    json.Key((*slas_)[i].name).BeginObject();
    json.Key("started").Int(totals.started);
    json.Key("met").Int(totals.met);
    json.Key("breached").Int(totals.breached);
    json.Key("cancelled").Int(totals.cancelled);
    json.Key("open").BeginObject();
    json.Key("running").Int(totals.open.running);
    json.Key("paused").Int(totals.open.paused);
    json.Key("overdue").Int(totals.open.overdue);
    json.EndObject();
    json.Key("elapsed_seconds").BeginObject();
    for (int percent : {50, 90, 99}) {
      json.Key("p" + std::to_string(percent));
      if (totals.stopped_elapsed.empty()) {
        json.Null();
      } else {
        json.Seconds(NearestRank(totals.stopped_elapsed, percent));
      }
    }
    json.EndObject();
    json.EndObject();
  }
  json.EndObject();

  if (options_.instances) {
    json.Key("instances").BeginArray();
    for (const InstanceSnapshot& s : summary.instances) {
      json.BeginObject();
      WriteInstanceFields(json, s, (*slas_)[s.sla].name, EndedAt::kInclude);
      json.EndObject();
    }
    json.EndArray();
  }
  json.EndObject();
  return json.TakeLine();
}

}  // namespace handoff

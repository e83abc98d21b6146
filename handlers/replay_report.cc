#include "handlers/replay_report.h"

#include <algorithm>
#include <tuple>

#include "handlers/instance_json.h"

namespace handoff {

DurationMs NearestRank(const std::vector<DurationMs>& sorted, int percent) {
  std::size_t rank = (sorted.size() * percent + 99) / 100;
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

ReplayReport::ReplayReport(SlaEngine::Slas slas, ReplayOptions options)
    : slas_(slas),
      options_(std::move(options)),
      feed_(slas, options_.format, options_.engine, options_.as_of, options_.now,
            options_.max_future),
      totals_(slas->size()),
      plans_(slas->size()) {
  for (std::size_t i = 0; i < slas->size(); ++i) {
    const SlaDefinition& def = (*slas)[i];
    SlaSummary& totals = totals_[i];
    totals.paused.assign(def.pause_reasons.empty() ? 0 : def.pause_reasons.size() + 1, 0);
    if (!def.is_journey()) continue;
    plans_[i] = JourneyPlan::Of(*slas, i);
    totals.held.assign(plans_[i].buckets.size(), 0);
    totals.breached_by_baton.assign(plans_[i].buckets.size(), 0);
    totals.breached_by_first_late_stage.assign(def.stages.size() + 1, 0);
  }
}

void ReplayReport::AddLine(std::string_view line) {
  if (auto event = feed_.Decode(line)) Record(feed_.Offer(std::move(event).value()));
}

void ReplayReport::Record(const std::vector<Decision>& decisions) {
  for (const Decision& d : decisions) {
    SlaSummary& totals = totals_[d.instance.sla];
    if (d.pause_reason != Decision::kNoPauseReason) totals.paused[d.pause_reason] += d.paused;
    if (!totals.held.empty()) RecordJourney(d, totals);
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

void ReplayReport::RecordJourney(const Decision& d, SlaSummary& totals) {
  if (d.kind == DecisionKind::kBreached) {
    ++totals.breached_by_baton[d.instance.baton];
    ++totals.breached_by_first_late_stage[d.instance.first_late_stage];
  } else if (d.kind == DecisionKind::kMet || d.kind == DecisionKind::kResolved) {
    for (std::size_t b = 0; b < d.instance.held.size(); ++b) totals.held[b] += d.instance.held[b];
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
  for (std::size_t i = 0; i < slas_->size(); ++i) RenderSla(json, i, summary.slas[i]);
  json.EndObject();

  if (options_.instances) {
    json.Key("instances").BeginArray();
    for (const InstanceSnapshot& s : summary.instances) {
      json.BeginObject();
      WriteInstanceFields(json, s, (*slas_)[s.sla].name, EndedAt::kInclude);
      if (!plans_[s.sla].buckets.empty()) {
        WriteJourneyFields(json, s, (*slas_)[s.sla], plans_[s.sla]);
      }
      json.EndObject();
    }
    json.EndArray();
  }
  json.EndObject();
  return json.TakeLine();
}

void ReplayReport::RenderSla(JsonWriter& json, std::size_t i, const SlaSummary& totals) const {
  const SlaDefinition& def = (*slas_)[i];
  json.Key(def.name).BeginObject();
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
  const JourneyPlan& plan = plans_[i];
  if (!plan.buckets.empty()) {
    json.Key("held_seconds").BeginObject();
    for (std::size_t b = 0; b < plan.buckets.size(); ++b) {
      json.Key(plan.buckets[b]).Seconds(totals.held[b]);
    }
    json.EndObject();
    json.Key("breached_by_baton").BeginObject();
    for (std::size_t b = 0; b < plan.buckets.size(); ++b) {
      json.Key(plan.buckets[b]).Int(totals.breached_by_baton[b]);
    }
    json.EndObject();
    json.Key("breached_by_first_late_stage").BeginObject();
    for (std::size_t s = 0; s <= def.stages.size(); ++s) {
      json.Key(FirstLateStageName(def, static_cast<std::uint8_t>(s)))
          .Int(totals.breached_by_first_late_stage[s]);
    }
    json.EndObject();
  }
  if (!def.pause_reasons.empty()) {
    json.Key("paused_seconds").BeginObject();
    for (std::size_t r = 0; r <= def.pause_reasons.size(); ++r) {
      json.Key(r < def.pause_reasons.size() ? std::string_view(def.pause_reasons[r]) : "other")
          .Seconds(totals.paused[r]);
    }
    json.EndObject();
  }
  json.EndObject();
}

}  // namespace handoff

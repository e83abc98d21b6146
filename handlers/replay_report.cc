#include "handlers/replay_report.h"

#include <algorithm>
#include <tuple>

#include "handlers/instance_json.h"
#include "handlers/json_writer.h"

namespace handoff {
namespace {

EngineOptions CappedAt(EngineOptions options, TimeMs as_of) {
  if (as_of != kNoTime) options.frontier_cap = as_of;
  return options;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Nearest rank: the smallest value with at least p% of the values at or below it.
DurationMs NearestRank(const std::vector<DurationMs>& sorted, int percent) {
  std::size_t rank = (sorted.size() * percent + 99) / 100;
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

}  // namespace

ReplayReport::ReplayReport(SlaEngine::Slas slas, ReplayOptions options)
    : slas_(slas),
      options_(std::move(options)),
      decoder_(options_.format),
      engine_(slas, CappedAt(options_.engine, options_.as_of)),
      totals_(slas->size()),
      plans_(slas->size()) {
  for (std::size_t i = 0; i < slas->size(); ++i) {
    const SlaDefinition& def = (*slas)[i];
    SlaTotals& totals = totals_[i];
    totals.paused.assign(def.pause_reasons.empty() ? 0 : def.pause_reasons.size() + 1, 0);
    if (!def.is_journey()) continue;
    plans_[i] = JourneyPlan::Of(*slas, i);
    totals.held.assign(plans_[i].buckets.size(), 0);
    totals.breached_by_baton.assign(plans_[i].buckets.size(), 0);
    totals.breached_by_first_late_stage.assign(def.stages.size() + 1, 0);
  }
}

void ReplayReport::AddLine(std::string_view line) {
  if (IsBlank(line)) return;
  ++read_;
  auto event = decoder_.Decode(RecordView{.value = line, .key = {}, .headers = {}});
  if (!event || (options_.now != kNoTime &&
                 IsTooFarAhead(event->time, options_.now, options_.max_future))) {
    ++rejected_;
    return;
  }
  TimeMs time = event->time;
  decisions_.clear();
  if (engine_.Offer(std::move(event).value(), decisions_) != SlaEngine::Admission::kDuplicate) {
    max_accepted_time_ = std::max(max_accepted_time_, time);
  }
  Record(decisions_);
}

void ReplayReport::AddBytes(std::string_view chunk) {
  while (!chunk.empty()) {
    std::size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (skipping_line_) {
      // The rest of a rejected line: not read, not kept.
    } else if (partial_line_.size() + piece.size() > kMaxRecordBytes) {
      ++read_;
      ++rejected_;  // too_large
      skipping_line_ = true;
      partial_line_.clear();
      partial_line_.shrink_to_fit();
    } else if (newline != std::string_view::npos && partial_line_.empty()) {
      AddLine(piece);  // the whole line is in this chunk: no copy
    } else {
      partial_line_.append(piece);
    }
    if (newline == std::string_view::npos) return;
    if (!partial_line_.empty()) AddLine(partial_line_);
    partial_line_.clear();
    skipping_line_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

void ReplayReport::Record(const std::vector<Decision>& decisions) {
  for (const Decision& d : decisions) {
    SlaTotals& totals = totals_[d.instance.sla];
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

void ReplayReport::RecordJourney(const Decision& d, SlaTotals& totals) {
  if (d.kind == DecisionKind::kBreached) {
    ++totals.breached_by_baton[d.instance.baton];
    ++totals.breached_by_first_late_stage[d.instance.first_late_stage];
  } else if (d.kind == DecisionKind::kMet || d.kind == DecisionKind::kResolved) {
    for (std::size_t b = 0; b < d.instance.held.size(); ++b) totals.held[b] += d.instance.held[b];
  }
}

std::string ReplayReport::Finish() {
  if (!partial_line_.empty()) AddLine(partial_line_);
  partial_line_.clear();
  TimeMs as_of = options_.as_of != kNoTime ? options_.as_of : max_accepted_time_;
  if (as_of != kNoTime) {
    decisions_.clear();
    engine_.AdvanceFrontier(as_of, decisions_);
    Record(decisions_);
  }
  return Render(as_of);
}

std::string ReplayReport::Render(TimeMs as_of) {
  const EngineStats& stats = engine_.stats();
  JsonWriter json(options_.pretty);
  json.BeginObject();
  json.Key("as_of").Time(as_of);
  json.Key("events").BeginObject();
  json.Key("read").Int(read_);
  json.Key("applied").Int(stats.applied);
  json.Key("rejected").Int(rejected_);
  json.Key("duplicate").Int(stats.duplicate);
  json.Key("late").Int(stats.late);
  json.Key("ignored").Int(stats.ignored);
  json.Key("pending").Int(engine_.pending());
  json.EndObject();

  json.Key("slas").BeginObject();
  for (std::size_t i = 0; i < slas_->size(); ++i) {
    RenderSla(json, i);
  }
  json.EndObject();

  if (options_.instances) {
    std::vector<InstanceSnapshot> all = closed_;
    engine_.VisitOpenInstances([&](const InstanceSnapshot& s) { all.push_back(s); });
    std::sort(all.begin(), all.end(), [&](const InstanceSnapshot& a, const InstanceSnapshot& b) {
      return std::tie((*slas_)[a.sla].name, a.key, a.cycle) <
             std::tie((*slas_)[b.sla].name, b.key, b.cycle);
    });
    json.Key("instances").BeginArray();
    for (const InstanceSnapshot& s : all) {
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
  std::string out = json.Take();
  out += '\n';
  return out;
}

void ReplayReport::RenderSla(JsonWriter& json, std::size_t i) {
  const SlaDefinition& def = (*slas_)[i];
  SlaTotals& totals = totals_[i];
  const OpenCounts& open = engine_.open_counts(i);
  json.Key(def.name).BeginObject();
  json.Key("started").Int(totals.started);
  json.Key("met").Int(totals.met);
  json.Key("breached").Int(totals.breached);
  json.Key("cancelled").Int(totals.cancelled);
  json.Key("open").BeginObject();
  json.Key("running").Int(open.running);
  json.Key("paused").Int(open.paused);
  json.Key("overdue").Int(open.overdue);
  json.EndObject();
  json.Key("elapsed_seconds").BeginObject();
  std::sort(totals.stopped_elapsed.begin(), totals.stopped_elapsed.end());
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

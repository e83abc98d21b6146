#include "handlers/baseline_report.h"

#include <algorithm>

namespace handoff {

DurationMs RoundUpTarget(DurationMs elapsed) {
  // Units people set targets in: "45m", "2h15m", "30h". Finer steps would promise a
  // precision the history does not have; coarser ones would give away too much.
  DurationMs unit = elapsed < kHour ? kMinute : elapsed < kDay ? 15 * kMinute : kHour;
  DurationMs rounded = (elapsed + unit - 1) / unit * unit;
  return std::max(rounded, kMinute);
}

void BaselineGroup::AddTarget(DurationMs instance_target) {
  if (instance_target == 0 || instance_target == target) return;
  target = target == 0 ? instance_target : kMixedTargets;
}

BaselineReport::BaselineReport(SlaEngine::Slas slas, BaselineOptions options)
    : slas_(slas),
      options_(std::move(options)),
      feed_(slas, options_.format, options_.engine, options_.as_of),
      totals_(slas->size()),
      groups_(options_.by ? slas->size() : 0) {}

void BaselineReport::AddLine(std::string_view line) {
  auto event = feed_.Decode(line);
  if (!event) return;
  if (!options_.by) {
    Record(feed_.Offer(std::move(event).value()));
    return;
  }
  NoteStart(*event);
  Record(feed_.Offer(std::move(event).value()));
  ForgetApplied();
}

void BaselineReport::NoteStart(const Event& event) {
  bool starts_any = std::any_of(slas_->begin(), slas_->end(),
                                [&](const SlaDefinition& sla) { return sla.start.Matches(event); });
  if (!starts_any) return;
  const std::optional<std::string>& value = event.attributes[*options_.by];
  ValueIndex index = kMissing;
  if (value) {
    auto [it, added] = value_index_.try_emplace(*value, static_cast<ValueIndex>(values_.size()));
    if (added) values_.push_back(*value);
    index = it->second;
  }
  // A second event with a pending id is a duplicate the engine will drop: keep the first.
  if (pending_starts_.try_emplace(event.id, index).second) {
    pending_by_time_.emplace(event.time, event.id);
  }
}

void BaselineReport::ForgetApplied() {
  // Every event at or before the frontier has been applied (a late one at once).
  TimeMs frontier = feed_.engine().frontier();
  while (!pending_by_time_.empty() && pending_by_time_.top().first <= frontier) {
    pending_starts_.erase(pending_by_time_.top().second);
    pending_by_time_.pop();
  }
}

std::string BaselineReport::OpenKey(const InstanceSnapshot& instance) const {
  std::string key(reinterpret_cast<const char*>(&instance.sla), sizeof instance.sla);
  key += instance.key;
  return key;
}

BaselineGroup& BaselineReport::GroupOf(const InstanceSnapshot& instance, bool forget) {
  if (!options_.by) return totals_[instance.sla].all;
  ValueIndex value = kMissing;
  auto it = open_values_.find(OpenKey(instance));
  if (it != open_values_.end()) {
    value = it->second;
    if (forget) open_values_.erase(it);
  }
  return groups_[instance.sla][value];
}

void BaselineReport::Record(const std::vector<Decision>& decisions) {
  for (const Decision& d : decisions) {
    switch (d.kind) {
      case DecisionKind::kStarted:
        if (options_.by) {
          auto pending = pending_starts_.find(d.event_id);
          open_values_[OpenKey(d.instance)] =
              pending == pending_starts_.end() ? kMissing : pending->second;
        }
        break;
      case DecisionKind::kMet:
      case DecisionKind::kResolved: {
        BaselineGroup& group = GroupOf(d.instance, /*forget=*/true);
        ++(d.kind == DecisionKind::kMet ? group.met : group.breached);
        group.elapsed.push_back(d.instance.elapsed);
        group.AddTarget(d.instance.target);
        break;
      }
      case DecisionKind::kCancelled:
        if (options_.by) open_values_.erase(OpenKey(d.instance));
        break;
      case DecisionKind::kPaused:
      case DecisionKind::kResumed:
      case DecisionKind::kWarning:
      case DecisionKind::kBreached: break;
    }
  }
}

Baseline BaselineReport::Finish() {
  Record(feed_.Finish());
  feed_.engine().VisitOpenInstances([&](const InstanceSnapshot& s) {
    BaselineGroup& group = GroupOf(s, /*forget=*/false);
    ++group.open;
    if (s.breached_at != kNoTime) ++group.overdue;
  });
  Baseline baseline{.as_of = feed_.as_of(), .slas = std::move(totals_)};
  for (std::size_t i = 0; i < baseline.slas.size(); ++i) {
    BaselineSla& sla = baseline.slas[i];
    if (options_.by) {
      for (auto& [value, group] : groups_[i]) {
        if (value != kMissing) group.value = values_[value];
        sla.all.met += group.met;
        sla.all.breached += group.breached;
        sla.all.open += group.open;
        sla.all.overdue += group.overdue;
        sla.all.AddTarget(group.target);
        sla.all.elapsed.insert(sla.all.elapsed.end(), group.elapsed.begin(), group.elapsed.end());
        std::sort(group.elapsed.begin(), group.elapsed.end());
        sla.groups.push_back(std::move(group));
      }
      // By value, byte-wise; the missing attribute last.
      std::sort(sla.groups.begin(), sla.groups.end(),
                [](const BaselineGroup& a, const BaselineGroup& b) {
                  return std::make_pair(!a.value, a.value.value_or("")) <
                         std::make_pair(!b.value, b.value.value_or(""));
                });
    }
    std::sort(sla.all.elapsed.begin(), sla.all.elapsed.end());
  }
  return baseline;
}

}  // namespace handoff

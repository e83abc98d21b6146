#include "daemon/engine_host.h"

#include <algorithm>

namespace handoff {

EngineHost::EngineHost(std::shared_ptr<const Config> config)
    : config_(std::move(config)),
      slas_(std::make_shared<const std::vector<SlaDefinition>>(config_->slas)) {}

void EngineHost::Assign(std::int32_t partition) {
  EngineOptions options{.lateness = config_->time.lateness,
                        .dedupe_window = config_->time.dedupe_window,
                        .retention = config_->time.retention};
  partitions_.try_emplace(partition, SlaEngine(slas_, options));
}

void EngineHost::Revoke(std::int32_t partition) { partitions_.erase(partition); }

void EngineHost::Offer(std::int32_t partition, Event event, TimeMs wall_now) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;  // revoked while the record was in flight
  it->second.last_event_wall = wall_now;
  Run(partition, it->second, [&](SlaEngine& engine, std::vector<Decision>& out) {
    engine.Offer(std::move(event), out);
  });
}

void EngineHost::SetCaughtUp(std::int32_t partition, bool caught_up) {
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) it->second.caught_up = caught_up;
}

void EngineHost::SetLag(std::int32_t partition, const std::string& topic, std::int64_t lag) {
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) it->second.lag[topic] = lag;
}

TimeMs EngineHost::Tick(TimeMs wall_now) {
  const DurationMs lateness = config_->time.lateness;
  const DurationMs idle_timeout = config_->time.idle_timeout;
  TimeMs wake = kEndOfTime;
  for (auto& [partition, state] : partitions_) {
    if (!state.caught_up) continue;
    // A partition that has had no event since it was assigned is idle already.
    TimeMs idle_at =
        state.last_event_wall == kNoTime ? wall_now : state.last_event_wall + idle_timeout;
    if (wall_now >= idle_at) {
      Run(partition, state, [&](SlaEngine& engine, std::vector<Decision>& out) {
        engine.AdvanceFrontier(wall_now - lateness, out);
      });
      TimeMs next_due = state.engine.NextTimerDue();
      if (next_due != kNoTime) wake = std::min(wake, next_due + lateness);
    } else {
      wake = std::min(wake, idle_at);
    }
  }
  return wake;
}

void EngineHost::Run(std::int32_t partition, Partition& state,
                     const std::function<void(SlaEngine&, std::vector<Decision>&)>& step) {
  EngineStats before = state.engine.stats();
  decisions_.clear();
  step(state.engine, decisions_);
  const EngineStats& after = state.engine.stats();
  totals_.applied += after.applied - before.applied;
  totals_.late += after.late - before.late;
  totals_.duplicate += after.duplicate - before.duplicate;
  totals_.ignored += after.ignored - before.ignored;
  if (decisions_.empty()) return;
  for (DecisionSink* sink : sinks_) sink->OnDecisions(partition, decisions_);
}

OpenCounts EngineHost::open_counts(std::size_t sla) const {
  OpenCounts sum;
  for (const auto& [_, state] : partitions_) {
    const OpenCounts& c = state.engine.open_counts(sla);
    sum.running += c.running;
    sum.paused += c.paused;
    sum.overdue += c.overdue;
  }
  return sum;
}

TimeMs EngineHost::EarliestOpenBreach(std::size_t sla) const {
  TimeMs earliest = kNoTime;
  for (const auto& [_, state] : partitions_) {
    TimeMs t = state.engine.EarliestOpenBreach(sla);
    if (t != kNoTime && (earliest == kNoTime || t < earliest)) earliest = t;
  }
  return earliest;
}

void EngineHost::VisitOpenInstances(
    const std::function<void(std::int32_t, const InstanceSnapshot&)>& visit) const {
  for (const auto& [partition, state] : partitions_) {
    state.engine.VisitOpenInstances(
        [&](const InstanceSnapshot& snapshot) { visit(partition, snapshot); });
  }
}

}  // namespace handoff
